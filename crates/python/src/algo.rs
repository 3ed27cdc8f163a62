//! Graph algorithms on a snapshot, over the whole graph or a projection: the nodes of a
//! label and the edges of a type between them (as Cypher's `CALL algo.*` procedures
//! project). Each runs with the interpreter released and answers in node id order.

use std::collections::BTreeSet;

use pagegraph::algo::{self, Betweenness, Csr, CsrOptions, LabelPropagation, Louvain, PageRank};
use pagegraph::{Direction, NodeId, ReadTxn};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::Fail;

/// The snapshot `r` as a `Csr`: every node and the edges of `edge_type` (all when None),
/// or, with a label, its nodes and the edges between them.
fn projection(r: &ReadTxn, label: Option<&str>, edge_type: Option<&str>) -> Result<Csr, Fail> {
    let Some(label) = label else {
        return weighted(r, edge_type, None);
    };
    let nodes: Vec<NodeId> = r
        .nodes_with_label(label)?
        .collect::<pagegraph::Result<_>>()?;
    let set: BTreeSet<NodeId> = nodes.iter().copied().collect();
    let mut edges = Vec::new();
    for &n in &nodes {
        for (_, other) in r.neighbors(n, Direction::Outgoing, edge_type)? {
            if set.contains(&other) {
                edges.push((n, other));
            }
        }
    }
    Ok(Csr::from_edges(&nodes, &edges)?)
}

/// PageRank of the projection, `(node, rank)` in id order.
pub(crate) fn pagerank(
    r: &ReadTxn,
    label: Option<&str>,
    edge_type: Option<&str>,
    params: PageRank,
) -> Result<Vec<(NodeId, f64)>, Fail> {
    let g = projection(r, label, edge_type)?;
    Ok(algo::pagerank(&g, params, &mut |_| {})?)
}

/// Weakly connected components of the projection, `(node, smallest id in its component)`
/// in id order.
pub(crate) fn wcc(
    r: &ReadTxn,
    label: Option<&str>,
    edge_type: Option<&str>,
) -> Result<Vec<(NodeId, NodeId)>, Fail> {
    let g = projection(r, label, edge_type)?;
    Ok(algo::wcc(&g))
}

/// An algorithm of the ones below, by name, with its options.
pub(crate) enum Run {
    /// Strongly connected components: `(node, smallest id of its component)`.
    Scc,
    /// Louvain communities: `(node, smallest id of its community)`.
    Louvain(Louvain),
    /// Label propagation communities: `(node, its community's label node)`.
    LabelPropagation(LabelPropagation),
    /// Degree in a direction.
    Degree(Direction),
    /// Betweenness centrality.
    Betweenness(Betweenness),
    /// Closeness centrality in a direction.
    Closeness(Direction),
    /// k-core numbers.
    CoreNumbers,
    /// Triangles at each node (edge directions ignored).
    Triangles,
    /// Local clustering coefficient (directed or not).
    Clustering(bool),
}

/// One value per node, as a Python object maker.
pub(crate) enum PerNode {
    /// Integers (component ids, degrees, counts).
    Int(Vec<(NodeId, u64)>),
    /// Floats (centralities, coefficients).
    Float(Vec<(NodeId, f64)>),
}

/// Runs `run` over the projection of `label` and `edge_type`.
pub(crate) fn per_node(
    r: &ReadTxn,
    label: Option<&str>,
    edge_type: Option<&str>,
    run: &Run,
) -> Result<PerNode, Fail> {
    let g = projection(r, label, edge_type)?;
    let ids =
        |v: Vec<(NodeId, NodeId)>| PerNode::Int(v.into_iter().map(|(n, c)| (n, c.0)).collect());
    Ok(match run {
        Run::Scc => {
            let mut out: Vec<(NodeId, u64)> = algo::scc(&g)
                .into_iter()
                .flat_map(|c| {
                    let least = c.iter().min().map_or(0, |n| n.0);
                    c.into_iter().map(move |n| (n, least))
                })
                .collect();
            out.sort_unstable();
            PerNode::Int(out)
        }
        Run::Louvain(p) => ids(algo::louvain(&g, p, &mut |_| {})?.labels),
        Run::LabelPropagation(p) => ids(algo::label_propagation(&g, p, &mut |_| {})),
        Run::Degree(d) => PerNode::Int(
            algo::degree(&g, *d)
                .into_iter()
                .map(|(n, k)| (n, k as u64))
                .collect(),
        ),
        Run::Betweenness(p) => PerNode::Float(algo::betweenness(&g, p, &mut |_| {})?),
        Run::Closeness(d) => PerNode::Float(algo::closeness(&g, *d, &mut |_| {})),
        Run::CoreNumbers => PerNode::Int(
            algo::core_numbers(&g)
                .into_iter()
                .map(|(n, k)| (n, u64::from(k)))
                .collect(),
        ),
        Run::Triangles => PerNode::Int(algo::triangles(&g, &mut |_| {})),
        Run::Clustering(directed) => PerNode::Float(algo::lcc(&g, *directed, &mut |_| {})),
    })
}

impl PerNode {
    /// `{node id: value}` in id order.
    pub(crate) fn into_dict(self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        match self {
            PerNode::Int(v) => to_dict(py, v),
            PerNode::Float(v) => to_dict(py, v),
        }
    }
}

/// The shortest path from `from` to `to` over edges of `edge_type` (all when None) in
/// `dir`, fewest edges, or least total `weight` (a numeric edge property) when given.
pub(crate) fn shortest_path(
    r: &ReadTxn,
    from: NodeId,
    to: NodeId,
    edge_type: Option<&str>,
    dir: Direction,
    weight: Option<&str>,
) -> Result<Option<algo::Path>, Fail> {
    if weight.is_none() {
        // Straight from the store: a search from both ends.
        let view = algo::StoreView::new(r, edge_type);
        return Ok(algo::shortest_path(&view, from, to, dir)?);
    }
    let g = weighted(r, edge_type, weight)?;
    Ok(algo::dijkstra(&g, from, to, dir)?)
}

/// Breadth-first search from `start`: `(node, depth)` of every node reached, in the order
/// reached.
pub(crate) fn bfs(
    r: &ReadTxn,
    start: NodeId,
    edge_type: Option<&str>,
    dir: Direction,
    max_depth: Option<u32>,
) -> Result<Vec<(NodeId, u32)>, Fail> {
    let view = algo::StoreView::new(r, edge_type);
    Ok(algo::bfs(&view, start, dir, max_depth)?
        .into_iter()
        .map(|v| (v.node, v.depth))
        .collect())
}

/// A `Csr` of every node and the edges of `edge_type` (all when None), with the numeric
/// edge property `weight` as costs when given.
fn weighted(r: &ReadTxn, edge_type: Option<&str>, weight: Option<&str>) -> Result<Csr, Fail> {
    let options = CsrOptions {
        edge_type: edge_type.map(str::to_string),
        weight_field: weight.map(str::to_string),
    };
    Ok(Csr::build(r, &options, &mut |_| {})?)
}

/// Distances from `source` to every node it reaches (fewest edges, or least total
/// `weight`), nearest first.
pub(crate) fn sssp(
    r: &ReadTxn,
    source: NodeId,
    edge_type: Option<&str>,
    dir: Direction,
    weight: Option<&str>,
) -> Result<Vec<(NodeId, f64)>, Fail> {
    let g = weighted(r, edge_type, weight)?;
    let mut d = algo::sssp(&g, source, dir)?;
    d.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(d)
}

/// The `k` shortest loopless paths from `from` to `to` (Yen), shortest first.
pub(crate) fn k_shortest_paths(
    r: &ReadTxn,
    from: NodeId,
    to: NodeId,
    k: usize,
    edge_type: Option<&str>,
    dir: Direction,
    weight: Option<&str>,
) -> Result<Vec<algo::Path>, Fail> {
    let g = weighted(r, edge_type, weight)?;
    Ok(algo::k_shortest_paths(&g, from, to, k, dir)?)
}

/// The immediate dominator of every node reached from `root` but `root` itself (with
/// `post`, the immediate post-dominator of every node that reaches it), in id order.
pub(crate) fn dominators(
    r: &ReadTxn,
    root: NodeId,
    edge_type: Option<&str>,
    post: bool,
) -> Result<Vec<(NodeId, u64)>, Fail> {
    let g = weighted(r, edge_type, None)?;
    let dom = if post {
        algo::post_dominators(&g, root)?
    } else {
        algo::dominators(&g, root)?
    };
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a Csr holds under 2^32 nodes"
    )]
    Ok((0..g.node_count() as u32)
        .map(|i| g.id(i))
        .filter_map(|n| dom.immediate_dominator(n).map(|d| (n, d.0)))
        .collect())
}

/// The edges (of `edge_type`, all when None) of a DAG to keep in its transitive
/// reduction, by id.
pub(crate) fn transitive_reduction(r: &ReadTxn, edge_type: Option<&str>) -> Result<Vec<u64>, Fail> {
    let g = weighted(r, edge_type, None)?;
    Ok(algo::transitive_reduction(&g)?
        .into_iter()
        .map(|e| e.0)
        .collect())
}

/// A directed cycle of the projection, as its nodes, if it has one.
pub(crate) fn find_cycle(
    r: &ReadTxn,
    label: Option<&str>,
    edge_type: Option<&str>,
) -> Result<Option<Vec<u64>>, Fail> {
    let g = projection(r, label, edge_type)?;
    Ok(algo::find_cycle(&g).map(|c| c.into_iter().map(|n| n.0).collect()))
}

/// The projection's nodes in an order where every edge goes forward.
pub(crate) fn toposort(
    r: &ReadTxn,
    label: Option<&str>,
    edge_type: Option<&str>,
) -> Result<Vec<NodeId>, Fail> {
    let g = projection(r, label, edge_type)?;
    Ok(algo::toposort(&g)?)
}

/// A path as `{"nodes": [...], "edges": [...], "cost": float}`.
pub(crate) fn path_dict(py: Python<'_>, p: &algo::Path) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("nodes", PyList::new(py, p.nodes.iter().map(|n| n.0))?)?;
    d.set_item("edges", PyList::new(py, p.edges.iter().map(|e| e.0))?)?;
    d.set_item("cost", p.cost)?;
    Ok(d.unbind())
}

/// `{node id: value}` in id order.
pub(crate) fn to_dict<'py, V: IntoPyObject<'py> + Copy>(
    py: Python<'py>,
    values: Vec<(NodeId, V)>,
) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    for (n, v) in values {
        d.set_item(n.0, v)?;
    }
    Ok(d.unbind())
}
