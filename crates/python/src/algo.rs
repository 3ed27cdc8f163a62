//! Graph algorithms on a snapshot, over the whole graph or a projection: the nodes of a
//! label and the edges of a type between them (as Cypher's `CALL algo.*` procedures
//! project).

use std::collections::BTreeSet;

use pagegraph::algo::{self, Csr, CsrOptions, PageRank};
use pagegraph::{Direction, NodeId, ReadTxn};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::Fail;

/// The snapshot `r` as a `Csr`: every node and the edges of `edge_type` (all when None),
/// or, with a label, its nodes and the edges between them.
fn projection(r: &ReadTxn, label: Option<&str>, edge_type: Option<&str>) -> Result<Csr, Fail> {
    let Some(label) = label else {
        let options = CsrOptions {
            edge_type: edge_type.map(str::to_string),
            weight_field: None,
        };
        return Ok(Csr::build(r, &options, &mut |_| {})?);
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
