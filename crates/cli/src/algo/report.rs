//! Printing algorithm results: a table of the top rows as text, or JSON with `--json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use pagegraph::algo::{Csr, Dominators, Loop};
use pagegraph::{EdgeId, NodeId, ReadTxn};
use serde_json::{Value, json};

use super::walk::INFINITY;
use super::{name_of, named};
use crate::output::emit;

/// Where and how much to print.
pub struct Out<'r> {
    /// For node names.
    pub r: &'r ReadTxn,
    /// Rows at most (0: all); `None`: 20 in text, all in JSON.
    pub top: Option<usize>,
    /// JSON instead of text.
    pub json: bool,
}

/// Rows a text table shows when `--top` is not given.
pub const TEXT_ROWS: usize = 20;

/// A number as JSON: whole numbers (counts, hop distances) as integers.
fn number_json(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// A number as text: integers without a fraction, others with six decimals (or digits).
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if (1e-3..1e6).contains(&x.abs()) {
        format!("{x:.6}")
    } else {
        format!("{x:.6e}")
    }
}

impl Out<'_> {
    fn shown(&self, n: usize) -> usize {
        match self.top {
            Some(0) => n,
            Some(top) => top.min(n),
            None if self.json => n,
            None => TEXT_ROWS.min(n),
        }
    }

    /// A node as JSON: its id and name.
    fn node(&self, id: NodeId) -> Result<Value> {
        named(self.r, id)
    }

    /// The top per-node values, highest (or lowest) first, ties by id, as JSON rows and a
    /// text table; `what` names the value.
    fn ranked(
        &self,
        what: &str,
        mut rows: Vec<(NodeId, f64)>,
        highest: bool,
    ) -> Result<(Vec<Value>, String)> {
        rows.sort_by(|a, b| {
            let by = if highest {
                b.1.total_cmp(&a.1)
            } else {
                a.1.total_cmp(&b.1)
            };
            by.then(a.0.cmp(&b.0))
        });
        let shown = self.shown(rows.len());
        let mut values = Vec::with_capacity(shown);
        let mut text = format!("{what}\tnode\tname\n");
        for &(n, x) in rows.iter().take(shown) {
            let name = name_of(self.r, n)?;
            let _ = writeln!(text, "{}\t{n}\t{name}", number(x));
            values.push(json!({"node": n.0, "name": name, what: number_json(x)}));
        }
        Ok((values, text))
    }

    /// Per-node values, highest (or lowest) first; `what` names the value.
    pub fn scores(&self, what: &str, rows: Vec<(NodeId, f64)>, highest: bool) -> Result<()> {
        let (values, text) = self.ranked(what, rows, highest)?;
        emit(self.json, &Value::Array(values), || text)
    }

    /// Distances from a source, nearest first; with `all` (the snapshot) then every node
    /// not reached, at distance "infinity".
    pub fn distances(&self, rows: Vec<(NodeId, f64)>, all: Option<&Csr>) -> Result<()> {
        let reached: std::collections::HashSet<NodeId> = rows.iter().map(|r| r.0).collect();
        let unreached: Vec<NodeId> = all.map_or_else(Vec::new, |csr| {
            csr.ids()
                .iter()
                .copied()
                .filter(|n| !reached.contains(n))
                .collect()
        });
        let shown = self.shown(rows.len() + unreached.len());
        let (mut values, mut text) = self.ranked("distance", rows, false)?;
        values.truncate(shown);
        for &n in unreached.iter().take(shown.saturating_sub(values.len())) {
            let name = name_of(self.r, n)?;
            let _ = writeln!(text, "{INFINITY}\t{n}\t{name}");
            values.push(json!({"node": n.0, "name": name, "distance": INFINITY}));
        }
        emit(self.json, &Value::Array(values), || text)
    }

    /// Per-node counts, highest first, with a graph total (triangles).
    pub fn with_total(&self, what: &str, total: u64, rows: Vec<(NodeId, f64)>) -> Result<()> {
        let (nodes, table) = self.ranked(what, rows, true)?;
        emit(self.json, &json!({"total": total, "nodes": nodes}), || {
            format!("{total} {what}\n{table}")
        })
    }

    /// A labelling into groups (components, communities): the count, the largest groups,
    /// and with `--json` every node's label.
    pub fn partition(
        &self,
        title: &str,
        labels: &[(NodeId, NodeId)],
        modularity: Option<f64>,
    ) -> Result<()> {
        let mut sizes: BTreeMap<NodeId, u64> = BTreeMap::new();
        for (_, l) in labels {
            *sizes.entry(*l).or_default() += 1;
        }
        let mut by_size: Vec<(NodeId, u64)> = sizes.into_iter().collect();
        by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let shown = self.shown(by_size.len());
        let key = if title.contains("components") {
            "components"
        } else {
            "communities"
        };
        let mut value = json!({
            key: by_size.len(),
            "largest": by_size.iter().take(shown)
                .map(|(l, s)| json!({"label": l.0, "size": s})).collect::<Vec<_>>(),
        });
        if let Some(q) = modularity {
            value["modularity"] = json!(q);
        }
        if self.json {
            let mut rows = Vec::with_capacity(labels.len());
            for &(n, l) in labels {
                rows.push(json!({"node": n.0, "name": name_of(self.r, n)?, "label": l.0}));
            }
            value["labels"] = Value::Array(rows);
        }
        emit(self.json, &value, || {
            let mut t = format!("{} {title}\n", by_size.len());
            if let Some(q) = modularity {
                let _ = writeln!(t, "modularity {q:.6}");
            }
            t.push_str("label\tsize\tname\n");
            for (l, s) in by_size.iter().take(shown) {
                let name = name_of(self.r, *l).unwrap_or_default();
                let _ = writeln!(t, "{l}\t{s}\t{name}");
            }
            t
        })
    }

    /// A list of nodes in a meaningful order (a topological order, the nodes reached).
    pub fn nodes(&self, title: &str, nodes: &[NodeId]) -> Result<()> {
        let shown = self.shown(nodes.len());
        if self.json {
            let rows: Result<Vec<Value>> =
                nodes.iter().take(shown).map(|&n| self.node(n)).collect();
            return emit(true, &Value::Array(rows?), String::new);
        }
        let mut t = format!("{title}: {} nodes\nnode\tname\n", nodes.len());
        for &n in nodes.iter().take(shown) {
            let _ = writeln!(t, "{n}\t{}", name_of(self.r, n)?);
        }
        emit(false, &Value::Null, || t)
    }

    /// A cycle, as `a -> b -> ... -> a`, each node with its name.
    pub fn cycle(&self, nodes: &[NodeId]) -> Result<()> {
        let mut rows = Vec::with_capacity(nodes.len());
        let mut names = Vec::with_capacity(nodes.len() + 1);
        for &n in nodes {
            let name = name_of(self.r, n)?;
            names.push(format!("{n} ({name})"));
            rows.push(json!({"node": n.0, "name": name}));
        }
        names.extend(names.first().cloned());
        emit(self.json, &Value::Array(rows), || {
            format!("cycle: {}", names.join(" -> "))
        })
    }

    /// Each reached node's immediate (post-)dominator.
    pub fn dominators(&self, d: &Dominators, what: &str) -> Result<()> {
        let pairs = d.immediate_dominators();
        let shown = self.shown(pairs.len());
        let mut rows = Vec::with_capacity(shown);
        let mut t = format!(
            "root {} ({}), {} other nodes\nnode\tname\timmediate {what}\n",
            d.root(),
            name_of(self.r, d.root())?,
            pairs.len()
        );
        for &(n, i) in pairs.iter().take(shown) {
            let name = name_of(self.r, n)?;
            let idom_name = name_of(self.r, i)?;
            let _ = writeln!(t, "{n}\t{name}\t{i} ({idom_name})");
            rows.push(json!({"node": n.0, "name": name, "idom": i.0, "idom_name": idom_name}));
        }
        let value = json!({"root": named(self.r, d.root())?, "nodes": rows});
        emit(self.json, &value, || t)
    }

    /// Natural loops: header, back edges and body.
    pub fn loops(&self, loops: &[Loop]) -> Result<()> {
        let shown = self.shown(loops.len());
        let mut rows = Vec::with_capacity(shown);
        let mut t = format!(
            "{} natural loops\nheader\tname\tsize\tback edges\tbody\n",
            loops.len()
        );
        for l in loops.iter().take(shown) {
            let ids: Vec<String> = l.body.iter().take(20).map(ToString::to_string).collect();
            let more = if l.body.len() > 20 { " ..." } else { "" };
            let edges: Vec<String> = l.back_edges.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                t,
                "{}\t{}\t{}\t{}\t{}{more}",
                l.header,
                name_of(self.r, l.header)?,
                l.body.len(),
                edges.join(","),
                ids.join(" ")
            );
            let body: Result<Vec<Value>> = l.body.iter().map(|&n| self.node(n)).collect();
            rows.push(json!({
                "header": l.header.0,
                "header_name": name_of(self.r, l.header)?,
                "back_edges": l.back_edges.iter().map(|e| e.0).collect::<Vec<_>>(),
                "body": body?,
            }));
        }
        emit(self.json, &Value::Array(rows), || t)
    }

    /// The transitive reduction: the edges kept.
    pub fn tred(&self, csr: &Csr, kept: &[EdgeId]) -> Result<()> {
        let removed = csr.edge_count() - kept.len();
        let shown = self.shown(kept.len());
        let mut t = format!(
            "kept {} of {} edges ({removed} implied by others)\nedge\tfrom\tto\n",
            kept.len(),
            csr.edge_count()
        );
        if !self.json {
            for &e in kept.iter().take(shown) {
                if let Some(edge) = self.r.edge(e)? {
                    let _ = writeln!(t, "{e}\t{}\t{}", edge.from, edge.to);
                }
            }
        }
        let value =
            json!({"kept": kept.iter().map(|e| e.0).collect::<Vec<_>>(), "removed": removed});
        emit(self.json, &value, || t)
    }

    /// Strongly connected components, largest first.
    pub fn scc(&self, csr: &Csr) -> Result<()> {
        let mut comps = pagegraph::algo::scc(csr);
        comps.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let shown = self.shown(comps.len());
        if self.json {
            let mut largest = Vec::with_capacity(shown);
            for c in comps.iter().take(shown) {
                let rows: Result<Vec<Value>> = c.iter().map(|&n| self.node(n)).collect();
                largest.push(Value::Array(rows?));
            }
            let value = json!({"components": comps.len(), "largest": largest});
            return emit(true, &value, String::new);
        }
        let mut t = format!(
            "{} strongly connected components\nsize\tnodes\n",
            comps.len()
        );
        for c in comps.iter().take(shown) {
            let mut shown_nodes = Vec::with_capacity(20);
            for &n in c.iter().take(20) {
                shown_nodes.push(format!("{n} ({})", name_of(self.r, n)?));
            }
            let more = if c.len() > 20 { ", ..." } else { "" };
            let _ = writeln!(t, "{}\t{}{more}", c.len(), shown_nodes.join(", "));
        }
        emit(false, &Value::Null, || t)
    }
}
