//! The LDBC SNB SF0.1 subset (`../shared/datasets/ldbc-snb-sf0.1-kuzu-subset`, next to the
//! repository) loaded in one call through the mapping in `docs/ldbc-snb.toml`, checked
//! against the files themselves, read here with plain string splitting (the files have no
//! quotes): the row counts per label and edge type (also equal to the dataset README's
//! table), the `:LABEL` sub-kinds, a sample of edges of every file found by their LDBC ids
//! with their properties, and that a second run with upsert leaves counts and a
//! fingerprint of every node and edge unchanged. Skips, saying so, where the dataset is
//! not present.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "tests: a failed step is a failed test; each test reads as one story"
)]

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pagegraph::{Condition, Direction, Graph, NodeId, PropertyValue, ReadTxn};
use pagegraph_import::{ImportOptions, Mapping, NoProgress, key_value, run_csv};

fn dataset() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/ldbc-snb-sf0.1-kuzu-subset")
}

/// One edge file: its name, from space, to space, type, header and rows.
type EdgeFile = (
    String,
    String,
    String,
    String,
    Vec<String>,
    Vec<Vec<String>>,
);

/// What the files say: rows per label and type, and every edge row per file.
#[derive(Default)]
struct Truth {
    labels: BTreeMap<String, u64>,
    types: BTreeMap<String, u64>,
    edges: Vec<EdgeFile>,
}

/// Reads the dataset the simple way: lines split at `|`.
fn truth(dir: &Path, mapping: &str) -> Truth {
    let mut t = Truth::default();
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // The headers of headerless files come from the mapping, as the import has them.
    let given: HashMap<String, String> = {
        let table: toml::Table = mapping.parse().unwrap();
        let mut m = HashMap::new();
        for g in table["edges"].as_array().unwrap() {
            if let Some(h) = g.get("header") {
                for f in g["files"].as_array().unwrap() {
                    m.insert(
                        f.as_str().unwrap().to_string(),
                        h.as_str().unwrap().to_string(),
                    );
                }
            }
        }
        m
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "csv"))
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        let header: Vec<String> = match given.get(&name) {
            Some(h) => h.split('|').map(str::to_string).collect(),
            None => lines.remove(0).split('|').map(str::to_string).collect(),
        };
        let rows: Vec<Vec<String>> = lines
            .iter()
            .map(|l| l.split('|').map(str::to_string).collect())
            .collect();
        let stem = name.trim_end_matches(".csv").trim_end_matches("_1");
        let parts: Vec<&str> = stem.split('_').collect();
        if let [label] = parts.as_slice() {
            *t.labels.entry((*label).to_string()).or_default() += rows.len() as u64;
            if let Some(col) = header.iter().position(|h| h == ":LABEL") {
                for r in &rows {
                    *t.labels.entry(r[col].clone()).or_default() += 1;
                }
            }
            ids.entry((*label).to_string())
                .or_default()
                .extend(rows.iter().map(|r| r[0].clone()));
        } else {
            let [from, ty, to] = parts.as_slice() else {
                panic!("{name}")
            };
            *t.types.entry((*ty).to_string()).or_default() += rows.len() as u64;
            assert!(
                header[0].starts_with(":START_ID(") && header[1].starts_with(":END_ID("),
                "{name}"
            );
            for r in &rows {
                ids.entry((*from).to_string())
                    .or_default()
                    .insert(r[0].clone());
                ids.entry((*to).to_string())
                    .or_default()
                    .insert(r[1].clone());
            }
            t.edges.push((
                name.clone(),
                (*from).to_string(),
                (*to).to_string(),
                (*ty).to_string(),
                header,
                rows,
            ));
        }
    }
    // Comment and Post have no node files: their nodes are the ids the edges name.
    for space in ["Comment", "Post"] {
        t.labels.insert(space.to_string(), ids[space].len() as u64);
    }
    t
}

/// The node of `label` with LDBC id `id`.
fn node(r: &ReadTxn, label: &str, id: &str) -> NodeId {
    let found: Vec<NodeId> = r
        .nodes_where(label, "id", &Condition::Eq(key_value(id)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(found.len(), 1, "{label} {id}");
    found[0]
}

/// Counts per label and per edge type, and an order-free hash of every node (labels,
/// properties) and edge (type, endpoints' keys, properties).
fn census(r: &ReadTxn) -> (BTreeMap<String, u64>, BTreeMap<String, u64>, u64) {
    let mut labels = BTreeMap::new();
    let mut keys: HashMap<NodeId, String> = HashMap::new();
    let mut fingerprint = 0u64;
    let hash = |x: &dyn Fn(&mut DefaultHasher)| {
        let mut h = DefaultHasher::new();
        x(&mut h);
        h.finish()
    };
    for id in r.node_ids() {
        let p = r.node_props(id.unwrap()).unwrap().unwrap();
        for l in &p.labels {
            *labels.entry(l.clone()).or_default() += 1;
        }
        let text = format!("{:?} {:?}", p.labels, p.properties);
        fingerprint = fingerprint.wrapping_add(hash(&|h| text.hash(h)));
        keys.insert(p.id, format!("{}:{:?}", p.labels[0], p.properties["id"]));
    }
    let mut types = BTreeMap::new();
    for e in r.edges() {
        let e = e.unwrap();
        *types.entry(e.edge_type.clone()).or_default() += 1;
        let text = format!(
            "{} {} {} {}",
            e.edge_type, keys[&e.from], keys[&e.to], e.data
        );
        fingerprint = fingerprint.wrapping_add(hash(&|h| text.hash(h)));
    }
    (labels, types, fingerprint)
}

#[test]
fn the_ldbc_subset_loads_in_one_call_and_again_with_upsert_unchanged() {
    let dir = dataset();
    if !dir.join("Person.csv").exists() {
        println!("skipped: the LDBC SNB subset is not at {}", dir.display());
        return;
    }
    let mapping_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ldbc-snb.toml");
    let t = truth(&dir, &std::fs::read_to_string(&mapping_path).unwrap());
    // The files agree with the dataset's README.
    assert_eq!(t.types.values().sum::<u64>(), 1_354_697);
    let kinds = [
        "Forum",
        "Organisation",
        "Person",
        "Place",
        "Tag",
        "TagClass",
    ];
    let with_props: u64 = kinds.iter().map(|k| t.labels[*k]).sum();
    assert_eq!(
        (with_props, t.labels["Comment"], t.labels["Post"]),
        (40_844, 151_043, 135_701)
    );

    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ldbc.pgdb");
    let m = Mapping::load(&mapping_path, Some(&dir)).unwrap();
    let opts = ImportOptions {
        create_missing: m.create_missing,
        ..ImportOptions::default()
    };
    let graph = Graph::open(&db).unwrap();
    let s = run_csv(&graph, &db, &m.import, opts.clone(), Arc::new(NoProgress)).unwrap();
    let nodes: u64 = kinds
        .iter()
        .chain(&["Comment", "Post"])
        .map(|k| t.labels[*k])
        .sum();
    assert_eq!((s.nodes, s.edges, s.skipped), (nodes, 1_354_697, 0));

    let r = graph.begin_read().unwrap();
    let (labels, types, before) = census(&r);
    assert_eq!(labels, t.labels);
    assert_eq!(types, t.types);

    // A sample of every edge file, found by its LDBC ids, with its properties.
    for (name, from, to, ty, header, rows) in &t.edges {
        let step = (rows.len() / 100).max(1);
        for row in rows.iter().step_by(step) {
            let (a, b) = (node(&r, from, &row[0]), node(&r, to, &row[1]));
            let found: Vec<_> = r
                .neighbors(a, Direction::Outgoing, Some(ty))
                .unwrap()
                .into_iter()
                .filter(|&(_, n)| n == b)
                .collect();
            assert!(!found.is_empty(), "{name}: {row:?}");
            let props = r.edge_props(found[0].0).unwrap().unwrap().properties;
            for (col, cell) in header.iter().zip(row).skip(2) {
                let (prop, ty) = col.split_once(':').unwrap();
                let want = match ty {
                    "LONG" | "INT" => PropertyValue::Int(cell.parse().unwrap()),
                    other => panic!("{name}: a column of type {other}"),
                };
                assert_eq!(props.get(prop), Some(&want), "{name}: {row:?}");
            }
        }
    }
    drop(r);

    // Again with upsert: nothing new, every node and edge as it was.
    let upsert = ImportOptions {
        upsert: true,
        ..opts
    };
    let s = run_csv(&graph, &db, &m.import, upsert, Arc::new(NoProgress)).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (0, 0, 0));
    assert_eq!((s.nodes_updated, s.edges_updated), (with_props, 1_354_697));
    let r = graph.begin_read().unwrap();
    assert_eq!(census(&r), (t.labels, t.types, before));
}
