//! GraphML export with typed attributes: one `<key>` per property name (for nodes and for
//! edges), its `attr.type` the narrowest GraphML type that holds every value written under
//! that name, so networkx, Gephi and yEd read each property as its own attribute.
//!
//! | values of a property | `attr.type` | written as |
//! |---|---|---|
//! | all booleans | `boolean` | `true` / `false` |
//! | all integers | `long` | the integer |
//! | integers and floats | `double` | the number |
//! | all strings | `string` | the text |
//! | lists, maps, or a mix of kinds | `string` | JSON text (a string as its text) |
//!
//! Labels are the node attribute `labels`, written `:A:B` (as Neo4j's APOC exports them);
//! an edge's type is the edge attribute `label`. A property named like one of them is
//! written as `data:NAME`. The graph is read twice: once for the keys, once to write.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use indicatif::ProgressBar;
use pagegraph::{PropertyValue, ReadTxn};

use crate::export::{Written, xml};

/// The GraphML type of a property, widened as values arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Boolean,
    Long,
    Double,
    String,
    /// Lists, maps, or values of different kinds: written as text.
    Text,
}

impl Kind {
    fn of(v: &PropertyValue) -> Kind {
        match v {
            PropertyValue::Bool(_) => Kind::Boolean,
            PropertyValue::Int(_) => Kind::Long,
            PropertyValue::Float(_) => Kind::Double,
            PropertyValue::String(_) => Kind::String,
            _ => Kind::Text,
        }
    }

    fn widen(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Long | Kind::Double, Kind::Long | Kind::Double) => Kind::Double,
            _ => Kind::Text,
        }
    }

    fn attr_type(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::Long => "long",
            Kind::Double => "double",
            Kind::String | Kind::Text => "string",
        }
    }
}

/// A value as the text of its key's type.
fn text(v: &PropertyValue) -> String {
    match v {
        PropertyValue::String(s) => s.clone(),
        PropertyValue::Bool(b) => b.to_string(),
        PropertyValue::Int(i) => i.to_string(),
        // The shortest text that parses back to the same float, and reads as a float
        // (`1.0`, `1e300`) where the key is a string.
        PropertyValue::Float(f) => format!("{f:?}"),
        other => other
            .to_json()
            .map_or_else(|_| format!("{other:?}"), |j| j.to_string()),
    }
}

/// The keys of one domain (node or edge): property name -> (key id, kind).
type Keys = BTreeMap<String, (String, Kind)>;

fn note(keys: &mut BTreeMap<String, Kind>, name: &str, v: &PropertyValue) {
    let k = Kind::of(v);
    keys.entry(name.to_string())
        .and_modify(|old| *old = old.widen(k))
        .or_insert(k);
}

/// Writes the graph as GraphML with typed keys.
pub fn write(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    let (mut node_kinds, mut edge_kinds) = (BTreeMap::new(), BTreeMap::new());
    for id in r.node_ids() {
        if let Some(n) = r.node_props(id?)? {
            for (k, v) in &n.properties {
                note(&mut node_kinds, k, v);
            }
        }
    }
    for e in r.edges() {
        for (k, v) in &e?.properties()? {
            note(&mut edge_kinds, k, v);
        }
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
    )?;
    writeln!(
        out,
        r#"  <key id="labels" for="node" attr.name="labels" attr.type="string"/>"#
    )?;
    writeln!(
        out,
        r#"  <key id="label" for="edge" attr.name="label" attr.type="string"/>"#
    )?;
    let mut keys = |kinds: BTreeMap<String, Kind>, domain: &str, prefix: &str, reserved: &str| {
        let mut keys = Keys::new();
        for (i, (name, kind)) in kinds.into_iter().enumerate() {
            let id = format!("{prefix}{i}");
            let shown = if name == reserved {
                format!("data:{name}")
            } else {
                name.clone()
            };
            writeln!(
                out,
                r#"  <key id="{id}" for="{domain}" attr.name="{}" attr.type="{}"/>"#,
                xml(&shown),
                kind.attr_type()
            )?;
            keys.insert(name, (id, kind));
        }
        Ok::<Keys, std::io::Error>(keys)
    };
    let node_keys = keys(node_kinds, "node", "n", "labels")?;
    let edge_keys = keys(edge_kinds, "edge", "e", "label")?;
    writeln!(out, r#"  <graph id="G" edgedefault="directed">"#)?;
    for id in r.node_ids() {
        let Some(n) = r.node_props(id?)? else {
            continue;
        };
        let labels: String = n.labels.iter().flat_map(|l| [":", l.as_str()]).collect();
        write!(
            out,
            r#"    <node id="n{}"><data key="labels">{}</data>"#,
            n.id.0,
            xml(&labels)
        )?;
        data(out, &n.properties, &node_keys)?;
        writeln!(out, "</node>")?;
        w.nodes += 1;
        pb.inc(1);
    }
    for e in r.edges() {
        let e = e?;
        let properties = e.properties()?;
        write!(
            out,
            r#"    <edge id="e{}" source="n{}" target="n{}"><data key="label">{}</data>"#,
            e.id.0,
            e.from.0,
            e.to.0,
            xml(&e.edge_type)
        )?;
        data(out, &properties, &edge_keys)?;
        writeln!(out, "</edge>")?;
        w.edges += 1;
        pb.inc(1);
    }
    writeln!(out, "  </graph>\n</graphml>")?;
    Ok(())
}

fn data(
    out: &mut impl Write,
    props: &BTreeMap<String, PropertyValue>,
    keys: &Keys,
) -> std::io::Result<()> {
    for (name, v) in props {
        if let Some((id, _)) = keys.get(name) {
            write!(out, r#"<data key="{id}">{}</data>"#, xml(&text(v)))?;
        }
    }
    Ok(())
}
