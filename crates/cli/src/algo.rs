//! `bfs`, `path` and `algo`: the graph algorithms from the command line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use clap::ValueEnum;
use pagegraph::algo::{self, Csr, CsrOptions, PageRank, Progress, StoreView};
use pagegraph::{Direction, Graph, NodeId, ReadTxn};
use serde_json::{Value, json};

use crate::output::emit;
use crate::progress;
use crate::query::resolve;

/// The whole-graph algorithms `pagegraph algo` runs.
#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum AlgoName {
    /// Weakly connected components: each node's component label (its smallest id).
    Wcc,
    /// Strongly connected components, largest first.
    Scc,
    /// PageRank (LDBC Graphalytics definition), highest first.
    Pagerank,
    /// A topological order (fails, naming a cycle, if there is none).
    Topo,
    /// One directed cycle, if any.
    Cycle,
}

/// Options of `pagegraph algo`.
pub struct AlgoOptions {
    /// Only edges of this type.
    pub edge_type: Option<String>,
    /// PageRank's damping factor, iterations and tolerance.
    pub pagerank: PageRank,
    /// Rows printed at most (0: all).
    pub top: usize,
}

/// How a traversal walks: edge direction, type filter, and whether node arguments are
/// names.
pub struct Walk<'a> {
    /// Which edges to follow.
    pub dir: Direction,
    /// Only edges of this type.
    pub edge_type: Option<&'a str>,
    /// Node arguments are names.
    pub by_name: bool,
}

/// A progress bar fed by an algorithm's [`Progress`] reports.
fn reporter() -> (indicatif::ProgressBar, impl FnMut(Progress)) {
    let pb = progress::bar(0, "", false);
    let feed = pb.clone();
    let f = move |p: Progress| {
        feed.set_message(p.stage);
        feed.set_length(p.total.max(p.done));
        feed.set_position(p.done);
    };
    (pb, f)
}

fn snapshot(r: &ReadTxn, options: &CsrOptions) -> Result<Csr> {
    let (pb, mut report) = reporter();
    let csr = Csr::build(r, options, &mut report);
    pb.finish_and_clear();
    Ok(csr?)
}

fn name_of(r: &ReadTxn, id: NodeId) -> Result<String> {
    Ok(r.node_raw(id)?.map(|n| n.name).unwrap_or_default())
}

/// `pagegraph bfs`: every node reached from the start, with depth and parent.
pub fn bfs(
    graph: &Graph,
    start: &str,
    depth: Option<u32>,
    walk: &Walk<'_>,
    json_out: bool,
) -> Result<()> {
    let r = graph.begin_read()?;
    let start = resolve(&r, start, walk.by_name)?;
    let visits = algo::bfs(&StoreView::new(&r, walk.edge_type), start, walk.dir, depth)?;
    let mut rows = Vec::with_capacity(visits.len());
    let mut text = String::from("depth\tnode\tname\tparent\tedge\n");
    for v in &visits {
        let name = name_of(&r, v.node)?;
        let (parent, edge) = match v.parent {
            Some((p, e)) => (json!(p.0), json!(e.0)),
            None => (Value::Null, Value::Null),
        };
        if json_out {
            rows.push(json!({"node": v.node.0, "name": name, "depth": v.depth,
                "parent": parent, "edge": edge}));
        } else {
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{}\t{}",
                v.depth,
                v.node,
                name,
                v.parent.map_or("-".into(), |p| p.0.to_string()),
                v.parent.map_or("-".into(), |p| p.1.to_string()),
            );
        }
    }
    emit(json_out, &Value::Array(rows), || text)
}

/// `pagegraph path`: a shortest path (fewest edges, or cheapest by a weight field).
pub fn path(
    graph: &Graph,
    ends: (&str, &str),
    weight: Option<&str>,
    walk: &Walk<'_>,
    json_out: bool,
) -> Result<()> {
    let r = graph.begin_read()?;
    let from = resolve(&r, ends.0, walk.by_name)?;
    let to = resolve(&r, ends.1, walk.by_name)?;
    let found = match weight {
        None => algo::shortest_path(&StoreView::new(&r, walk.edge_type), from, to, walk.dir)?,
        Some(field) => {
            let options = CsrOptions {
                edge_type: walk.edge_type.map(str::to_string),
                weight_field: Some(field.to_string()),
            };
            algo::dijkstra(&snapshot(&r, &options)?, from, to, walk.dir)?
        }
    };
    let Some(p) = found else {
        return emit(json_out, &Value::Null, || {
            format!("no path from {from} to {to}")
        });
    };
    let mut names = Vec::with_capacity(p.nodes.len());
    for &n in &p.nodes {
        names.push(name_of(&r, n)?);
    }
    let value = json!({
        "cost": p.cost,
        "nodes": p.nodes.iter().zip(&names)
            .map(|(n, name)| json!({"id": n.0, "name": name})).collect::<Vec<_>>(),
        "edges": p.edges.iter().map(|e| e.0).collect::<Vec<_>>(),
    });
    emit(json_out, &value, || {
        let mut t = format!("cost {}, {} edges\n", p.cost, p.edges.len());
        for (k, (n, name)) in p.nodes.iter().zip(&names).enumerate() {
            let _ = match p.edges.get(k) {
                Some(e) => writeln!(t, "{n}\t{name}\tvia edge {e}"),
                None => writeln!(t, "{n}\t{name}"),
            };
        }
        t
    })
}

/// `pagegraph algo NAME`: a whole-graph algorithm on a snapshot of the database.
pub fn run(graph: &Graph, name: AlgoName, options: &AlgoOptions, json_out: bool) -> Result<()> {
    let r = graph.begin_read()?;
    let csr = snapshot(
        &r,
        &CsrOptions {
            edge_type: options.edge_type.clone(),
            weight_field: None,
        },
    )?;
    let top = |n: usize| {
        if options.top == 0 {
            n
        } else {
            options.top.min(n)
        }
    };
    match name {
        AlgoName::Wcc => wcc(&csr, top, json_out),
        AlgoName::Scc => scc(&csr, top, json_out),
        AlgoName::Pagerank => pagerank(&r, &csr, options.pagerank, top, json_out),
        AlgoName::Topo => {
            let order = algo::toposort(&csr)?;
            let ids: Vec<u64> = order.iter().take(top(order.len())).map(|n| n.0).collect();
            emit(json_out, &json!(ids), || {
                ids.iter().fold(String::new(), |mut t, i| {
                    let _ = writeln!(t, "{i}");
                    t
                })
            })
        }
        AlgoName::Cycle => match algo::find_cycle(&csr) {
            Some(c) => {
                let ids: Vec<u64> = c.iter().map(|n| n.0).collect();
                emit(json_out, &json!(ids), || {
                    let mut s: Vec<String> = ids.iter().map(ToString::to_string).collect();
                    s.extend(ids.first().map(ToString::to_string));
                    format!("cycle: {}", s.join(" -> "))
                })
            }
            None => emit(json_out, &Value::Null, || "no cycle".to_string()),
        },
    }
}

fn wcc(csr: &Csr, top: impl Fn(usize) -> usize, json_out: bool) -> Result<()> {
    let labels = algo::wcc(csr);
    let mut sizes: BTreeMap<NodeId, u64> = BTreeMap::new();
    for (_, l) in &labels {
        *sizes.entry(*l).or_default() += 1;
    }
    let mut by_size: Vec<(NodeId, u64)> = sizes.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let shown = top(by_size.len());
    let value = json!({
        "components": by_size.len(),
        "largest": by_size.iter().take(shown)
            .map(|(l, s)| json!({"label": l.0, "size": s})).collect::<Vec<_>>(),
        "labels": if json_out {
            labels.iter().map(|(n, l)| json!([n.0, l.0])).collect::<Vec<_>>()
        } else { Vec::new() },
    });
    emit(json_out, &value, || {
        let mut t = format!(
            "{} weakly connected components\nlabel\tsize\n",
            by_size.len()
        );
        for (l, s) in by_size.iter().take(shown) {
            let _ = writeln!(t, "{l}\t{s}");
        }
        t
    })
}

fn scc(csr: &Csr, top: impl Fn(usize) -> usize, json_out: bool) -> Result<()> {
    let mut comps = algo::scc(csr);
    comps.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let shown = top(comps.len());
    let value = json!({
        "components": comps.len(),
        "largest": comps.iter().take(shown)
            .map(|c| c.iter().map(|n| n.0).collect::<Vec<_>>()).collect::<Vec<_>>(),
    });
    emit(json_out, &value, || {
        let mut t = format!(
            "{} strongly connected components\nsize\tnodes\n",
            comps.len()
        );
        for c in comps.iter().take(shown) {
            let ids: Vec<String> = c.iter().take(20).map(ToString::to_string).collect();
            let more = if c.len() > 20 { " ..." } else { "" };
            let _ = writeln!(t, "{}\t{}{more}", c.len(), ids.join(" "));
        }
        t
    })
}

fn pagerank(
    r: &ReadTxn,
    csr: &Csr,
    params: PageRank,
    top: impl Fn(usize) -> usize,
    json_out: bool,
) -> Result<()> {
    let (pb, mut report) = reporter();
    let ranks = algo::pagerank(csr, params, &mut report);
    pb.finish_and_clear();
    let mut ranks = ranks?;
    ranks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let shown = top(ranks.len());
    let mut rows = Vec::with_capacity(shown);
    let mut t = String::from("rank\tnode\tname\n");
    for (n, rank) in ranks.iter().take(shown) {
        let name = name_of(r, *n)?;
        let _ = writeln!(t, "{rank:.6e}\t{n}\t{name}");
        rows.push(json!({"node": n.0, "name": name, "rank": rank}));
    }
    emit(json_out, &Value::Array(rows), || t)
}
