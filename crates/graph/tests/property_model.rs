//! Model-based property test of labels, typed properties, indexes, unique constraints,
//! merges and deletes by key: random operation sequences, with index creation and drop at
//! random points, commits, aborts and reopens (through a 16-page cache), against an
//! in-memory model that answers every lookup by a full scan. After every operation the
//! write transaction's own reads are compared with the model; after every commit, a
//! snapshot's, and `check` must be clean. A write that the model says breaks a unique
//! constraint must fail with `ConstraintViolation` and leave the transaction usable.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation,
    reason = "a model test reads best as one loop against one model"
)]

use std::collections::BTreeMap;
use std::ops::Bound;

use pagegraph::value::{Inequality, Temporal, equals};
use pagegraph::{
    Condition, EdgeId, Graph, GraphError, IndexSpec, IndexTarget, NodeId, Options, Properties,
    PropertyValue as V, WriteTxn,
};

#[derive(Clone, Debug, PartialEq)]
struct MNode {
    labels: Vec<String>,
    props: Properties,
}

#[derive(Clone, Debug, PartialEq)]
struct MEdge {
    from: NodeId,
    to: NodeId,
    ty: String,
    props: Properties,
}

#[derive(Clone, Debug)]
struct MIndex {
    edges: bool,
    target: String,
    props: Vec<String>,
    unique: bool,
}

#[derive(Clone, Debug, Default)]
struct Model {
    nodes: BTreeMap<NodeId, MNode>,
    edges: BTreeMap<EdgeId, MEdge>,
    indexes: BTreeMap<String, MIndex>,
}

const LABELS: [&str; 3] = ["A", "B", "C"];
const KEYS: [&str; 4] = ["name", "k", "x", "s"];
const TYPES: [&str; 2] = ["R", "S"];

/// A temporal value of `kind` from its text.
fn t(kind: &str, text: &str) -> V {
    V::Temporal(Temporal::parse(kind, text).unwrap())
}

fn value(rng: &mut fastrand::Rng) -> V {
    match rng.u8(0..13) {
        10 => t(
            "date",
            ["2020-01-01", "2020-01-02", "1969-07-20"][rng.usize(0..3)],
        ),
        // One instant at two offsets, and another.
        11 => t(
            "datetime",
            [
                "2020-01-01T01:00+01:00",
                "2020-01-01T00:00Z",
                "2020-01-01T00:30Z",
            ][rng.usize(0..3)],
        ),
        12 => t("duration", ["P1D", "PT24H"][rng.usize(0..2)]),
        0 => V::Int(1),
        1 => V::Float(1.0),
        2 => V::Int(2),
        3 => V::Float(2.5),
        4 => V::String("a".into()),
        5 => V::String("ab".into()),
        6 => V::String("b".into()),
        7 => V::Bool(true),
        8 => V::List(vec![V::Int(1)]),
        _ => V::Int(rng.i64(-3..40)),
    }
}

fn props(rng: &mut fastrand::Rng, keys: &[&str]) -> Properties {
    let mut p = Properties::new();
    for k in keys {
        if rng.bool() {
            p.insert((*k).to_string(), value(rng));
        }
    }
    p
}

fn conditions() -> Vec<Condition> {
    vec![
        Condition::Eq(V::Int(1)),
        Condition::Eq(V::String("ab".into())),
        Condition::Eq(V::Float(2.5)),
        Condition::Cmp(Inequality::Lt, V::Int(2)),
        Condition::Cmp(Inequality::Ge, V::Float(1.0)),
        Condition::Cmp(Inequality::Gt, V::String("a".into())),
        Condition::Between(Bound::Included(V::Int(1)), Bound::Excluded(V::Float(2.5))),
        Condition::StartsWith("a".into()),
        Condition::In(vec![V::Int(2), V::String("b".into()), V::Bool(true)]),
        Condition::Eq(V::List(vec![V::Int(1)])),
        Condition::Eq(t("date", "2020-01-01")),
        Condition::Cmp(Inequality::Lt, t("date", "2020-01-02")),
        Condition::Cmp(Inequality::Ge, t("datetime", "2020-01-01T00:00Z")),
        Condition::Eq(t("duration", "P1D")),
        Condition::Cmp(Inequality::Gt, t("duration", "PT1H")),
    ]
}

/// Whether two nodes' (or edges') values for `props` are all present, scalar and equal.
fn same_key(a: &Properties, b: &Properties, props: &[String]) -> bool {
    props.iter().all(|p| match (a.get(p), b.get(p)) {
        (Some(x), Some(y)) => x.is_indexable() && equals(x, y) == Some(true),
        _ => false,
    })
}

impl Model {
    /// Whether node `id` as `n` breaks a unique constraint against the other nodes.
    fn node_violates(&self, id: Option<NodeId>, n: &MNode) -> bool {
        self.indexes.values().any(|ix| {
            ix.unique
                && !ix.edges
                && n.labels.contains(&ix.target)
                && self.nodes.iter().any(|(&other, m)| {
                    Some(other) != id
                        && m.labels.contains(&ix.target)
                        && same_key(&n.props, &m.props, &ix.props)
                })
        })
    }

    fn edge_violates(&self, id: Option<EdgeId>, e: &MEdge) -> bool {
        self.indexes.values().any(|ix| {
            ix.unique
                && ix.edges
                && e.ty == ix.target
                && self.edges.iter().any(|(&other, m)| {
                    Some(other) != id
                        && m.ty == ix.target
                        && same_key(&e.props, &m.props, &ix.props)
                })
        })
    }

    fn index_violated(&self, ix: &MIndex) -> bool {
        if !ix.unique {
            return false;
        }
        if ix.edges {
            let es: Vec<&MEdge> = self.edges.values().filter(|e| e.ty == ix.target).collect();
            es.iter().enumerate().any(|(i, a)| {
                es[i + 1..]
                    .iter()
                    .any(|b| same_key(&a.props, &b.props, &ix.props))
            })
        } else {
            let ns: Vec<&MNode> = self
                .nodes
                .values()
                .filter(|n| n.labels.contains(&ix.target))
                .collect();
            ns.iter().enumerate().any(|(i, a)| {
                ns[i + 1..]
                    .iter()
                    .any(|b| same_key(&a.props, &b.props, &ix.props))
            })
        }
    }

    fn nodes_where(&self, label: &str, prop: &str, c: &Condition) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.labels.iter().any(|l| l == label) && c.holds(n.props.get(prop)))
            .map(|(&id, _)| id)
            .collect()
    }

    fn edges_where(&self, ty: &str, prop: &str, c: &Condition) -> Vec<EdgeId> {
        self.edges
            .iter()
            .filter(|(_, e)| e.ty == ty && c.holds(e.props.get(prop)))
            .map(|(&id, _)| id)
            .collect()
    }
}

fn sorted<T: Ord>(it: impl Iterator<Item = pagegraph::Result<T>>) -> Vec<T> {
    let mut v: Vec<T> = it.map(Result::unwrap).collect();
    let n = v.len();
    v.sort_unstable();
    v.dedup();
    assert_eq!(v.len(), n, "a lookup returned an id twice");
    v
}

/// Compares the write transaction's own view with the model.
fn compare_txn(tx: &WriteTxn, m: &Model, ctx: &str) {
    for (&id, n) in &m.nodes {
        let got = tx
            .node_props(id)
            .unwrap()
            .unwrap_or_else(|| panic!("{ctx}: {id} missing"));
        assert_eq!(
            (&got.labels, &got.properties),
            (&n.labels, &n.props),
            "{ctx}: node {id}"
        );
        for key in KEYS.iter().chain(&["w", "absent"]) {
            let one = tx.node_property(id, key).unwrap();
            assert_eq!(one.as_ref(), n.props.get(*key), "{ctx}: {id}.{key}");
        }
    }
    for (&id, e) in &m.edges {
        for key in KEYS.iter().chain(&["w", "absent"]) {
            let one = tx.edge_property(id, key).unwrap();
            assert_eq!(one.as_ref(), e.props.get(*key), "{ctx}: {id}.{key}");
        }
    }
    for label in LABELS {
        for key in KEYS {
            for c in conditions() {
                let got = sorted(tx.nodes_where(label, key, &c).unwrap());
                assert_eq!(
                    got,
                    m.nodes_where(label, key, &c),
                    "{ctx}: {label}.{key} {c:?}"
                );
            }
        }
    }
    for ty in TYPES {
        for c in conditions() {
            let got = sorted(tx.edges_where(ty, "w", &c).unwrap());
            assert_eq!(got, m.edges_where(ty, "w", &c), "{ctx}: [{ty}].w {c:?}");
        }
    }
    let names: Vec<String> = tx.indexes().unwrap().into_iter().map(|i| i.name).collect();
    assert_eq!(
        names,
        m.indexes.keys().cloned().collect::<Vec<_>>(),
        "{ctx}: indexes"
    );
}

/// Compares a snapshot with the model and runs the checker.
fn compare_snapshot(g: &Graph, m: &Model, ctx: &str) {
    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), m.nodes.len() as u64, "{ctx}");
    assert_eq!(r.edge_count().unwrap(), m.edges.len() as u64, "{ctx}");
    for (&id, n) in &m.nodes {
        let got = r.node_props(id).unwrap().unwrap();
        assert_eq!(
            (&got.labels, &got.properties),
            (&n.labels, &n.props),
            "{ctx}: node {id}"
        );
        // The kind view: the first label.
        let kind = r.node(id).unwrap().unwrap().kind;
        assert_eq!(
            kind,
            n.labels.first().cloned().unwrap_or_default(),
            "{ctx}: kind of {id}"
        );
    }
    for (&id, e) in &m.edges {
        let got = r.edge_props(id).unwrap().unwrap();
        assert_eq!(
            (got.from, got.to, &got.edge_type, &got.properties),
            (e.from, e.to, &e.ty, &e.props),
            "{ctx}: edge {id}"
        );
        for key in KEYS.iter().chain(&["w", "absent"]) {
            let one = r.edge_property(id, key).unwrap();
            assert_eq!(one.as_ref(), e.props.get(*key), "{ctx}: {id}.{key}");
        }
    }
    for label in LABELS {
        let want: Vec<NodeId> = m
            .nodes
            .iter()
            .filter(|(_, n)| n.labels.iter().any(|l| l == label))
            .map(|(&id, _)| id)
            .collect();
        assert_eq!(
            r.nodes_by_kind(label).unwrap(),
            want,
            "{ctx}: label {label}"
        );
        for key in KEYS {
            for c in conditions() {
                let got = sorted(r.nodes_where(label, key, &c).unwrap());
                assert_eq!(
                    got,
                    m.nodes_where(label, key, &c),
                    "{ctx}: {label}.{key} {c:?}"
                );
            }
        }
    }
    let infos = r.indexes().unwrap();
    assert_eq!(infos.len(), m.indexes.len(), "{ctx}");
    for info in infos {
        let ix = &m.indexes[&info.name];
        let target = if ix.edges {
            IndexTarget::EdgeType(ix.target.clone())
        } else {
            IndexTarget::Label(ix.target.clone())
        };
        assert_eq!(
            (&info.target, &info.properties, info.unique),
            (&target, &ix.props, ix.unique),
            "{ctx}"
        );
    }
    drop(r);
    let report = g.check().unwrap();
    assert!(report.is_clean(), "{ctx}: {:?}", report.problems);
}

fn open(path: &std::path::Path) -> Graph {
    Graph::open_with(
        path,
        Options {
            cache_pages: 16,
            ..Options::default()
        },
    )
    .unwrap()
}

fn violation<T: std::fmt::Debug>(r: pagegraph::Result<T>, ctx: &str) {
    match r {
        Err(GraphError::ConstraintViolation { .. }) => {}
        other => panic!("{ctx}: expected a constraint violation, got {other:?}"),
    }
}

fn run(seed: u64, steps: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut g = open(&path);
    let mut committed = Model::default();
    let mut step = 0;
    let mut next_index = 0;
    while step < steps {
        let mut m = committed.clone();
        let mut tx = g.begin_write().unwrap();
        for _ in 0..rng.usize(1..12) {
            step += 1;
            let ctx = format!("seed {seed} step {step}");
            let node_ids: Vec<NodeId> = m.nodes.keys().copied().collect();
            let edge_ids: Vec<EdgeId> = m.edges.keys().copied().collect();
            match rng.u8(0..16) {
                0..=3 => {
                    let n = MNode {
                        labels: {
                            let mut l: Vec<String> = Vec::new();
                            for _ in 0..rng.usize(0..3) {
                                let x = LABELS[rng.usize(..LABELS.len())].to_string();
                                if !l.contains(&x) {
                                    l.push(x);
                                }
                            }
                            l
                        },
                        props: props(&mut rng, &KEYS),
                    };
                    let labels: Vec<&str> = n.labels.iter().map(String::as_str).collect();
                    let r = tx.create_node(&labels, n.props.clone());
                    if m.node_violates(None, &n) {
                        violation(r, &ctx);
                    } else {
                        m.nodes.insert(r.unwrap(), n);
                    }
                }
                4 | 5 if !node_ids.is_empty() => {
                    let id = node_ids[rng.usize(..node_ids.len())];
                    let key = KEYS[rng.usize(..KEYS.len())];
                    let v = if rng.u8(0..4) == 0 {
                        V::Null
                    } else {
                        value(&mut rng)
                    };
                    let mut n = m.nodes[&id].clone();
                    if v == V::Null {
                        n.props.remove(key);
                    } else {
                        n.props.insert(key.to_string(), v.clone());
                    }
                    let r = tx.set_node_property(id, key, v);
                    if m.node_violates(Some(id), &n) {
                        violation(r, &ctx);
                    } else {
                        r.unwrap();
                        m.nodes.insert(id, n);
                    }
                }
                6 if !node_ids.is_empty() => {
                    let id = node_ids[rng.usize(..node_ids.len())];
                    let label = LABELS[rng.usize(..LABELS.len())];
                    let mut n = m.nodes[&id].clone();
                    if rng.bool() {
                        let had = n.labels.iter().any(|l| l == label);
                        if !had {
                            n.labels.push(label.to_string());
                        }
                        let r = tx.add_label(id, label);
                        if m.node_violates(Some(id), &n) {
                            violation(r, &ctx);
                        } else {
                            assert_eq!(r.unwrap(), !had, "{ctx}");
                            m.nodes.insert(id, n);
                        }
                    } else {
                        let had = n.labels.iter().any(|l| l == label);
                        n.labels.retain(|l| l != label);
                        assert_eq!(tx.remove_label(id, label).unwrap(), had, "{ctx}");
                        m.nodes.insert(id, n);
                    }
                }
                7 if !node_ids.is_empty() => {
                    let id = node_ids[rng.usize(..node_ids.len())];
                    tx.delete_node(id).unwrap();
                    m.nodes.remove(&id);
                    m.edges.retain(|_, e| e.from != id && e.to != id);
                }
                8 | 9 if !node_ids.is_empty() => {
                    let e = MEdge {
                        from: node_ids[rng.usize(..node_ids.len())],
                        to: node_ids[rng.usize(..node_ids.len())],
                        ty: TYPES[rng.usize(..TYPES.len())].to_string(),
                        props: props(&mut rng, &["w"]),
                    };
                    let r = tx.create_edge(e.from, e.to, &e.ty, e.props.clone());
                    if m.edge_violates(None, &e) {
                        violation(r, &ctx);
                    } else {
                        m.edges.insert(r.unwrap(), e);
                    }
                }
                10 if !edge_ids.is_empty() => {
                    let id = edge_ids[rng.usize(..edge_ids.len())];
                    if rng.bool() {
                        tx.delete_edge(id).unwrap();
                        m.edges.remove(&id);
                    } else {
                        let v = value(&mut rng);
                        let mut e = m.edges[&id].clone();
                        e.props.insert("w".into(), v.clone());
                        let r = tx.set_edge_property(id, "w", v);
                        if m.edge_violates(Some(id), &e) {
                            violation(r, &ctx);
                        } else {
                            r.unwrap();
                            m.edges.insert(id, e);
                        }
                    }
                }
                11 => {
                    let edges = rng.u8(0..4) == 0;
                    let (target, props) = if edges {
                        (TYPES[rng.usize(..TYPES.len())], vec!["w".to_string()])
                    } else {
                        let mut p = vec![KEYS[rng.usize(..KEYS.len())].to_string()];
                        if rng.u8(0..3) == 0 {
                            let q = KEYS[rng.usize(..KEYS.len())].to_string();
                            if !p.contains(&q) {
                                p.push(q);
                            }
                        }
                        (LABELS[rng.usize(..LABELS.len())], p)
                    };
                    let ix = MIndex {
                        edges,
                        target: target.to_string(),
                        props: props.clone(),
                        unique: rng.bool(),
                    };
                    let exists = m
                        .indexes
                        .values()
                        .any(|o| o.edges == edges && o.target == target && o.props == props);
                    next_index += 1;
                    let name = format!("ix{next_index}");
                    let spec = IndexSpec {
                        name: Some(name.clone()),
                        target: if edges {
                            IndexTarget::EdgeType(target.to_string())
                        } else {
                            IndexTarget::Label(target.to_string())
                        },
                        properties: props,
                        unique: ix.unique,
                    };
                    let r = tx.create_index(spec);
                    if exists {
                        assert!(matches!(r, Err(GraphError::IndexExists(_))), "{ctx}: {r:?}");
                    } else if m.index_violated(&ix) {
                        violation(r, &ctx);
                    } else {
                        r.unwrap();
                        m.indexes.insert(name, ix);
                    }
                }
                12 if !m.indexes.is_empty() => {
                    let names: Vec<String> = m.indexes.keys().cloned().collect();
                    let name = &names[rng.usize(..names.len())];
                    tx.drop_index(name).unwrap();
                    m.indexes.remove(name);
                }
                13 => {
                    let label = LABELS[rng.usize(..LABELS.len())];
                    let key_name = KEYS[rng.usize(1..KEYS.len())];
                    let v = value(&mut rng);
                    let key: Properties = [(key_name.to_string(), v.clone())].into();
                    let on_create: Properties = [("s".to_string(), V::String("new".into()))].into();
                    let on_match: Properties = [("x".to_string(), V::Int(step as i64))].into();
                    let matches: Vec<NodeId> = m
                        .nodes
                        .iter()
                        .filter(|(_, n)| {
                            n.labels.iter().any(|l| l == label)
                                && n.props
                                    .get(key_name)
                                    .is_some_and(|x| equals(x, &v) == Some(true))
                        })
                        .map(|(&id, _)| id)
                        .collect();
                    if matches.is_empty() {
                        let mut p = key.clone();
                        p.extend(on_create.clone());
                        let n = MNode {
                            labels: vec![label.to_string()],
                            props: p,
                        };
                        let r = tx.merge_node(&[label], key, on_create, on_match);
                        if m.node_violates(None, &n) {
                            violation(r, &ctx);
                        } else {
                            let merged = r.unwrap();
                            assert!(merged.created, "{ctx}");
                            m.nodes.insert(merged.id, n);
                        }
                    } else {
                        // Matched nodes get x = step: a violation is possible only if some
                        // unique index covers x; skip the merge then.
                        let mut after = m.clone();
                        for id in &matches {
                            after
                                .nodes
                                .get_mut(id)
                                .unwrap()
                                .props
                                .insert("x".into(), V::Int(step as i64));
                        }
                        if matches
                            .iter()
                            .any(|id| after.node_violates(Some(*id), &after.nodes[id]))
                        {
                            continue;
                        }
                        let merged = tx.merge_node(&[label], key, on_create, on_match).unwrap();
                        assert!(!merged.created, "{ctx}");
                        assert_eq!(merged.id, matches[0], "{ctx}");
                        m = after;
                    }
                }
                14 => {
                    let label = LABELS[rng.usize(..LABELS.len())];
                    let key = KEYS[rng.usize(..KEYS.len())];
                    let conds = conditions();
                    let c = &conds[rng.usize(..conds.len())];
                    let doomed = m.nodes_where(label, key, c);
                    assert_eq!(
                        tx.delete_nodes_where(label, key, c).unwrap(),
                        doomed.len() as u64,
                        "{ctx}"
                    );
                    for id in doomed {
                        m.nodes.remove(&id);
                        m.edges.retain(|_, e| e.from != id && e.to != id);
                    }
                }
                _ => continue,
            }
            compare_txn(&tx, &m, &format!("seed {seed} step {step}"));
        }
        match rng.u8(0..8) {
            0 => {
                tx.abort();
            }
            1 => {
                tx.commit().unwrap();
                committed = m;
                drop(g);
                g = open(&path);
            }
            _ => {
                tx.commit().unwrap();
                committed = m;
            }
        }
        compare_snapshot(&g, &committed, &format!("seed {seed} after step {step}"));
    }
}

#[test]
fn labels_properties_and_indexes_match_a_scanning_model() {
    let seeds: u64 = std::env::var("PAGEGRAPH_STRESS").map_or(4, |_| 60);
    for seed in 0..seeds {
        run(seed, 220);
    }
}
