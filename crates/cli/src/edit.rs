//! Changes to what exists: `node set`, `node delete`, `edge delete`.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use pagegraph::{Direction, EdgeId, Graph, NodeProps, Properties, PropertyValue};
use serde_json::{Value, json};

use crate::filter::parse_assignment;
use crate::output::emit;
use crate::query::{NamingArgs, resolve};
use pagegraph_import::clip;

/// Arguments of `node set`.
#[derive(clap::Args)]
pub struct SetArgs {
    /// The database.
    pub db: PathBuf,
    /// The node: an id, a name with --by-name, or a key with --key.
    pub node: String,
    #[command(flatten)]
    pub naming: NamingArgs,
    #[command(flatten)]
    pub changes: Changes,
}

/// What `node set` changes; at least one is needed.
#[derive(clap::Args)]
#[group(required = true, multiple = true)]
pub struct Changes {
    /// Set a property, KEY=VALUE (the value is JSON when it parses, else text: age=42 is a
    /// number, name=Ann and name='"42"' are text; KEY=null removes it). Repeatable.
    #[arg(long = "prop", value_name = "KEY=VALUE")]
    pub props: Vec<String>,
    /// Remove a property. Repeatable.
    #[arg(long = "remove", value_name = "KEY")]
    pub removes: Vec<String>,
    /// Add a label (a node without labels gets it as its kind). Repeatable.
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Remove a label (removing the kind makes the next label the kind). Repeatable.
    #[arg(long = "remove-label", value_name = "LABEL")]
    pub remove_labels: Vec<String>,
}

/// A node in the labels/properties view, as JSON.
fn node_props_json(n: &NodeProps) -> Result<Value> {
    let mut props = serde_json::Map::new();
    for (k, v) in &n.properties {
        props.insert(
            k.clone(),
            v.to_json().map_err(|e| anyhow!("property {k}: {e}"))?,
        );
    }
    Ok(json!({"id": n.id.0, "labels": n.labels, "properties": props}))
}

/// `node set`: changes a node's properties and labels in one transaction; prints the node
/// as it then is.
pub fn node_set(g: &Graph, a: &SetArgs, json_out: bool) -> Result<()> {
    let mut changes = Properties::new();
    for p in &a.changes.props {
        let (k, v) = parse_assignment(p)?;
        changes.insert(k, v);
    }
    for k in &a.changes.removes {
        if changes
            .get(k)
            .is_some_and(|v| !matches!(v, PropertyValue::Null))
        {
            bail!("--prop and --remove both name the property {:?}", clip(k));
        }
        changes.insert(k.clone(), PropertyValue::Null);
    }
    let id = resolve(&g.begin_read()?, &a.node, a.naming.naming())?;
    let mut tx = g.begin_write()?;
    if !changes.is_empty() {
        tx.merge_node_properties(id, changes)?;
    }
    for l in &a.changes.labels {
        tx.add_label(id, l)?;
    }
    for l in &a.changes.remove_labels {
        tx.remove_label(id, l)?;
    }
    let n = tx
        .node_props(id)?
        .ok_or_else(|| anyhow!("node {id} not found"))?;
    tx.commit()?;
    emit(json_out, &node_props_json(&n)?, || {
        format!(
            "set node {id}: labels [{}], properties {}",
            n.labels.join(", "),
            PropertyValue::Map(n.properties.clone())
        )
    })
}

/// `node delete`: deletes a node; one with edges only with `detach`, with its edges.
pub fn node_delete(
    g: &Graph,
    node: &str,
    naming: NamingArgs,
    detach: bool,
    json_out: bool,
) -> Result<()> {
    let id = resolve(&g.begin_read()?, node, naming.naming())?;
    let mut tx = g.begin_write()?;
    let out = tx.neighbors(id, Direction::Outgoing, None)?;
    let inc = tx.neighbors(id, Direction::Incoming, None)?;
    let mut edges: Vec<EdgeId> = out.iter().chain(&inc).map(|&(e, _)| e).collect();
    edges.sort_unstable();
    edges.dedup();
    if !edges.is_empty() && !detach {
        bail!(
            "node {id} has {} edge(s) ({} out, {} in): delete them first, or add --detach to \
             delete them with the node",
            edges.len(),
            out.len(),
            inc.len()
        );
    }
    tx.delete_node(id)?;
    tx.commit()?;
    let value = json!({"deleted": id.0, "edges_deleted": edges.len()});
    emit(json_out, &value, || {
        if edges.is_empty() {
            format!("deleted node {id}")
        } else {
            format!("deleted node {id} and its {} edge(s)", edges.len())
        }
    })
}

/// `edge delete`.
pub fn edge_delete(g: &Graph, id: u64, json_out: bool) -> Result<()> {
    let mut tx = g.begin_write()?;
    tx.delete_edge(EdgeId(id))?;
    tx.commit()?;
    emit(json_out, &json!({"deleted": id}), || {
        format!("deleted edge {id}")
    })
}
