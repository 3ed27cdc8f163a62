//! Parquet and Arrow IPC tables: a graph exported and imported into an empty database is
//! the same graph (ids included), on hand-made graphs and random ones; subsets; tables
//! other tools write (Arrow types the export never uses); bad tables with `file:row`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::cast_possible_wrap
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{FixedSizeListBuilder, Float32Builder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BinaryArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array,
    RecordBatch, StringArray, StructArray, TimestampMillisecondArray, UInt64Array,
};
use arrow_schema::{DataType, Field};
use pagegraph::{Graph, NodeId, PropertyValue as P};
use pagegraph_import::tables::{JSON_METADATA, file_stem};
use pagegraph_import::{
    ImportError, ImportOptions, NoProgress, Subset, TableFormat, export_tables, run_tables,
};
use parquet::arrow::ArrowWriter;

type Props = BTreeMap<String, P>;

fn props(pairs: &[(&str, P)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

/// Every node (id, labels, properties) and edge (id, from, to, type, properties).
#[derive(Debug, PartialEq)]
struct Dump {
    nodes: Vec<(u64, Vec<String>, Props)>,
    edges: Vec<(u64, u64, u64, String, Props)>,
}

fn dump(g: &Graph) -> Dump {
    let r = g.begin_read().unwrap();
    let nodes = r
        .node_ids()
        .map(|id| {
            let n = r.node_props(id.unwrap()).unwrap().unwrap();
            (n.id.0, n.labels, n.properties)
        })
        .collect();
    let edges = r
        .edges()
        .map(|e| {
            let e = e.unwrap();
            let p = r.edge_props(e.id).unwrap().unwrap();
            (e.id.0, e.from.0, e.to.0, e.edge_type, p.properties)
        })
        .collect();
    Dump { nodes, edges }
}

fn export(g: &Graph, dir: &Path, format: TableFormat, subset: &Subset) -> u64 {
    let r = g.begin_read().unwrap();
    let mut ticks = 0;
    let out = export_tables(&r, dir, format, subset, &mut || ticks += 1).unwrap();
    assert_eq!(out.nodes + out.edges, ticks);
    ticks
}

fn import(
    g: &Graph,
    dir: &Path,
    opts: ImportOptions,
) -> Result<pagegraph_import::Summary, ImportError> {
    // The id map's scratch file (if it spills) goes beside the tables' directory.
    run_tables(
        g,
        &dir.with_extension("pgdb"),
        dir,
        opts,
        Arc::new(NoProgress),
    )
}

/// A graph with every kind of value, names, several labels, a property named like each
/// fixed column, one that starts with `data:`, a column of mixed ints and floats, odd
/// label and type names, edges with and without properties. Every node has an `id`
/// property (as an imported graph's nodes do), so the import adds none.
fn sample(g: &Graph) {
    let mut w = g.begin_write().unwrap();
    let a = w
        .create_node(
            &["Person", "Admin"],
            props(&[
                ("id", P::Int(1)),
                ("name", P::String("Ann".into())),
                ("age", P::Int(41)),
                ("score", P::Float(1.0)),
                ("ok", P::Bool(true)),
                (
                    "tags",
                    P::List(vec![P::String("x".into()), P::String("y".into())]),
                ),
                ("ints", P::List(vec![P::Int(1), P::Int(-2)])),
                ("labels", P::String("a property".into())),
                ("data:x", P::Int(7)),
                (
                    "m",
                    P::Map(props(&[(
                        "k",
                        P::List(vec![P::Int(1), P::String("s".into())]),
                    )])),
                ),
            ]),
        )
        .unwrap();
    let b = w
        .create_node(
            &["City"],
            props(&[
                ("id", P::String("c-1".into())),
                ("name", P::String("Oslo".into())),
            ]),
        )
        .unwrap();
    let c = w
        .create_node(
            &["Person"],
            props(&[
                ("id", P::Int(2)),
                ("age", P::Float(30.5)),
                ("score", P::Float(-0.25)),
                ("tags", P::List(vec![])),
                ("ints", P::List(vec![P::Int(1), P::Float(2.5)])),
            ]),
        )
        .unwrap();
    let d = w
        .create_node(&["odd label/ü"], props(&[("id", P::Int(3))]))
        .unwrap();
    w.create_edge(a, b, "LIVES_IN", props(&[("since", P::Int(2001))]))
        .unwrap();
    w.create_edge(c, b, "LIVES_IN", Props::new()).unwrap();
    w.create_edge(
        a,
        c,
        "KNOWS",
        props(&[("w", P::Float(0.5)), ("src", P::Bool(false))]),
    )
    .unwrap();
    w.create_edge(c, a, "KNOWS", props(&[("w", P::Int(3))]))
        .unwrap();
    w.create_edge(d, d, "self loop", Props::new()).unwrap();
    w.commit().unwrap();
}

#[test]
fn an_export_imports_back_as_the_same_graph_in_both_formats() {
    for format in [TableFormat::Parquet, TableFormat::Arrow] {
        let dir = tempfile::tempdir().unwrap();
        let g = Graph::open(dir.path().join("a.pgdb")).unwrap();
        sample(&g);
        let before = dump(&g);
        let out = dir.path().join("t");
        assert_eq!(export(&g, &out, format, &Subset::default()), 9);
        let ext = format.extension();
        for f in [
            "nodes/Person",
            "nodes/City",
            "edges/KNOWS",
            "edges/self%20loop",
        ] {
            assert!(out.join(format!("{f}.{ext}")).exists(), "{f}");
        }
        assert!(
            out.join(format!("nodes/{}.{ext}", file_stem("odd label/ü")))
                .exists()
        );
        let g2 = Graph::open(dir.path().join("b.pgdb")).unwrap();
        let s = import(&g2, &out, ImportOptions::default()).unwrap();
        assert_eq!((s.nodes, s.edges, s.skipped), (4, 5, 0));
        assert_eq!(dump(&g2), before, "{format:?}");
        // The second import's export is byte for byte the first.
        let again = dir.path().join("t2");
        export(&g2, &again, format, &Subset::default());
        for f in walk(&out) {
            let rel = f.strip_prefix(&out).unwrap();
            assert_eq!(
                std::fs::read(&f).unwrap(),
                std::fs::read(again.join(rel)).unwrap(),
                "{}",
                rel.display()
            );
        }
        // With --upsert, importing again changes nothing.
        let opts = ImportOptions {
            upsert: true,
            ..ImportOptions::default()
        };
        let s = import(&g2, &out, opts).unwrap();
        assert_eq!(
            (s.nodes, s.nodes_updated, s.edges, s.edges_updated),
            (0, 4, 0, 5)
        );
        assert_eq!(dump(&g2), before);
        // Without it, the nodes are in the database already.
        let err = import(&g2, &out, ImportOptions::default()).unwrap_err();
        assert!(err.to_string().contains("already in the database"), "{err}");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn column_types_are_the_narrowest_that_hold_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let g = Graph::open(dir.path().join("a.pgdb")).unwrap();
    sample(&g);
    let out = dir.path().join("t");
    export(&g, &out, TableFormat::Parquet, &Subset::default());
    let file = std::fs::File::open(out.join("nodes/Person.parquet")).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = reader.schema().clone();
    let ty = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    let json = |name: &str| {
        schema
            .field_with_name(name)
            .unwrap()
            .metadata()
            .get(JSON_METADATA)
            .cloned()
    };
    assert_eq!(ty("id"), DataType::Int64);
    assert_eq!(ty("labels"), DataType::new_list(DataType::Utf8, true));
    // `id` and `labels` properties move aside; so does one starting with `data:`.
    assert_eq!(ty("data:id"), DataType::Int64);
    assert_eq!(ty("data:labels"), DataType::Utf8);
    assert_eq!(ty("data:data:x"), DataType::Int64);
    assert_eq!(ty("name"), DataType::Utf8);
    assert_eq!(ty("score"), DataType::Float64);
    assert_eq!(ty("ok"), DataType::Boolean);
    assert_eq!(ty("tags"), DataType::new_list(DataType::Utf8, true));
    // 41 and 30.5: openCypher tells 1 from 1.0, so the column is JSON text.
    assert_eq!(
        (ty("age"), json("age")),
        (DataType::Utf8, Some("true".into()))
    );
    assert_eq!(json("ints"), Some("true".into()));
    assert_eq!(json("m"), Some("true".into()));
    assert_eq!(json("name"), None);
    let rows: usize = reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 2);
}

#[test]
fn a_subset_has_the_chosen_labels_and_the_edges_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let g = Graph::open(dir.path().join("a.pgdb")).unwrap();
    sample(&g);
    let out = dir.path().join("t");
    let subset = Subset {
        labels: Some(["Person".to_string()].into()),
        ..Subset::default()
    };
    assert_eq!(export(&g, &out, TableFormat::Parquet, &subset), 4);
    let g2 = Graph::open(dir.path().join("b.pgdb")).unwrap();
    import(&g2, &out, ImportOptions::default()).unwrap();
    let got = dump(&g2);
    let labels: Vec<&Vec<String>> = got.nodes.iter().map(|n| &n.1).collect();
    assert_eq!(
        labels,
        [
            &vec!["Person".to_string(), "Admin".into()],
            &vec!["Person".into()]
        ]
    );
    let types: Vec<&str> = got.edges.iter().map(|e| e.3.as_str()).collect();
    assert_eq!(types, ["KNOWS", "KNOWS"]);

    // By type only: every node, the edges of the type.
    let out = dir.path().join("t2");
    let subset = Subset {
        types: Some(["LIVES_IN".to_string()].into()),
        ..Subset::default()
    };
    assert_eq!(export(&g, &out, TableFormat::Parquet, &subset), 4 + 2);
    // A node with a chosen label that is not its first goes to that label's file.
    let out = dir.path().join("t3");
    let subset = Subset {
        labels: Some(["Admin".to_string()].into()),
        ..Subset::default()
    };
    assert_eq!(export(&g, &out, TableFormat::Arrow, &subset), 1);
    assert!(out.join("nodes/Admin.arrow").exists());
    // Chosen nodes and edges (a query's answer): a chosen edge brings its ends.
    let out = dir.path().join("t4");
    let subset = Subset {
        nodes: Some([NodeId(1), NodeId(2), NodeId(3)].into()),
        edges: Some(
            [
                pagegraph::EdgeId(1),
                pagegraph::EdgeId(3),
                pagegraph::EdgeId(5),
            ]
            .into(),
        ),
        ..Subset::default()
    };
    // Nodes 1-3; edges 1 (1->2), 3 (1->3) and 5, the loop on node 4, which comes too.
    assert_eq!(export(&g, &out, TableFormat::Parquet, &subset), 4 + 3);
    // Chosen nodes alone: the edges between them.
    let out = dir.path().join("t5");
    let subset = Subset {
        nodes: Some([NodeId(1), NodeId(3)].into()),
        ..Subset::default()
    };
    // Edges 1->3 (KNOWS) and 3->1 (KNOWS).
    assert_eq!(export(&g, &out, TableFormat::Parquet, &subset), 2 + 2);
    // An export does not mix with an earlier one.
    let r = g.begin_read().unwrap();
    let err =
        export_tables(&r, &out, TableFormat::Arrow, &Subset::default(), &mut || {}).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}

#[test]
fn random_graphs_round_trip() {
    let seed = std::env::var("PAGEGRAPH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let rounds = if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        60
    } else {
        6
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    for round in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let g = Graph::open(dir.path().join("a.pgdb")).unwrap();
        let mut w = g.begin_write().unwrap();
        let labels = ["A", "B", "C d", "E"];
        let n = rng.usize(1..300);
        let mut ids: Vec<NodeId> = Vec::new();
        for i in 0..n {
            let mut ls: Vec<&str> = vec![labels[rng.usize(..labels.len())]];
            if rng.u8(..4) == 0 {
                let more = labels[rng.usize(..labels.len())];
                if !ls.contains(&more) {
                    ls.push(more);
                }
            }
            let mut p = props(&[("id", P::Int(i as i64))]);
            for k in ["p", "q", "r"] {
                if let Some(v) = random_value(&mut rng) {
                    p.insert(k.into(), v);
                }
            }
            ids.push(w.create_node(&ls, p).unwrap());
        }
        for _ in 0..rng.usize(0..1000) {
            let (a, b) = (ids[rng.usize(..n)], ids[rng.usize(..n)]);
            let t = ["T", "U", "V"][rng.usize(..3)];
            let mut p = Props::new();
            if let Some(v) = random_value(&mut rng) {
                p.insert("w".into(), v);
            }
            w.create_edge(a, b, t, p).unwrap();
        }
        w.commit().unwrap();
        let before = dump(&g);
        let format = if round % 2 == 0 {
            TableFormat::Parquet
        } else {
            TableFormat::Arrow
        };
        let out = dir.path().join("t");
        export(&g, &out, format, &Subset::default());
        let g2 = Graph::open(dir.path().join("b.pgdb")).unwrap();
        let opts = ImportOptions {
            batch: rng.usize(1..500),
            // Every third round, the id map spills every id to its scratch file.
            id_memory: if round % 3 == 0 { 1 } else { 256 << 20 },
            ..ImportOptions::default()
        };
        let spills = opts.id_memory == 1;
        let s = import(&g2, &out, opts).unwrap();
        assert_eq!(s.ids_spilled > 0, spills, "round {round}");
        assert_eq!(dump(&g2), before, "seed {seed} round {round}");
        assert!(g2.check().unwrap().problems.is_empty());
    }
}

fn random_value(rng: &mut fastrand::Rng) -> Option<P> {
    let scalar = |rng: &mut fastrand::Rng| match rng.u8(..5) {
        0 => P::Bool(rng.bool()),
        1 => P::Int(rng.i64(..)),
        2 => P::Float(f64::from(rng.i32(..)) / 7.0),
        3 => P::String(["", "x", "ünï", "a,b"][rng.usize(..4)].into()),
        _ => P::Int(rng.i64(-3..3)),
    };
    Some(match rng.u8(..8) {
        0 | 1 => return None,
        2 => P::List((0..rng.usize(0..4)).map(|_| scalar(rng)).collect()),
        3 => P::Map(
            [
                ("k".to_string(), scalar(rng)),
                ("l".into(), P::List(vec![scalar(rng)])),
            ]
            .into(),
        ),
        _ => scalar(rng),
    })
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn tables_other_tools_write_load_with_every_arrow_type_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t");
    let mut dict = StringDictionaryBuilder::<Int32Type>::new();
    dict.append_value("red");
    dict.append_value("red");
    let mut emb = FixedSizeListBuilder::new(Float32Builder::new(), 2);
    for v in [[0.5f32, 1.0], [2.0, -1.5]] {
        emb.values().append_slice(&v);
        emb.append(true);
    }
    let point = StructArray::from(vec![(
        Arc::new(Field::new("x", DataType::Int32, true)),
        Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef,
    )]);
    // A persons table as pandas or DuckDB would write it: string ids, no labels column.
    write_parquet(
        &t.join("nodes/persons.parquet"),
        vec![
            (
                "id",
                Arc::new(StringArray::from(vec!["p1", "p2"])) as ArrayRef,
            ),
            ("name", Arc::new(StringArray::from(vec![Some("Ann"), None]))),
            ("born", Arc::new(Date32Array::from(vec![0, 19_723]))),
            (
                "seen",
                Arc::new(TimestampMillisecondArray::from(vec![1_500, -1]).with_timezone("+00:00")),
            ),
            (
                "price",
                Arc::new(
                    Decimal128Array::from(vec![12_345, -5])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
            ),
            ("colour", Arc::new(dict.finish())),
            ("emb", Arc::new(emb.finish())),
            ("point", Arc::new(point)),
            ("big", Arc::new(UInt64Array::from(vec![Some(7), None]))),
        ],
    );
    write_parquet(
        &t.join("edges/knows.parquet"),
        vec![
            ("src", Arc::new(StringArray::from(vec!["p1"])) as ArrayRef),
            ("dst", Arc::new(StringArray::from(vec!["p2"]))),
            ("w", Arc::new(Float64Array::from(vec![0.25]))),
        ],
    );
    let g = Graph::open(dir.path().join("g.pgdb")).unwrap();
    let s = import(&g, &t, ImportOptions::default()).unwrap();
    assert_eq!((s.nodes, s.edges), (2, 1));
    let got = dump(&g);
    let s = |x: &str| P::String(x.into());
    assert_eq!(
        got.nodes[0],
        (
            1,
            vec!["persons".to_string()],
            props(&[
                ("id", s("p1")),
                ("name", s("Ann")),
                ("born", s("1970-01-01")),
                ("seen", s("1970-01-01T00:00:01.500Z")),
                ("price", s("123.45")),
                ("colour", s("red")),
                ("emb", P::List(vec![P::Float(0.5), P::Float(1.0)])),
                ("point", P::Map(props(&[("x", P::Int(1))]))),
                ("big", P::Int(7)),
            ])
        )
    );
    assert_eq!(got.nodes[1].2["born"], s("2024-01-01"));
    assert_eq!(got.nodes[1].2["seen"], s("1969-12-31T23:59:59.999Z"));
    assert_eq!(got.nodes[1].2["price"], s("-0.05"));
    assert!(!got.nodes[1].2.contains_key("name"));
    assert_eq!(
        got.edges,
        [(
            1,
            1,
            2,
            "knows".to_string(),
            props(&[("w", P::Float(0.25))])
        )]
    );
}

#[test]
fn bad_tables_name_their_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let g = Graph::open(dir.path().join("g.pgdb")).unwrap();
    let case =
        |name: &str, columns: Vec<(&str, ArrayRef)>, edges: Option<Vec<(&str, ArrayRef)>>| {
            let t = dir.path().join(name);
            write_parquet(&t.join("nodes/N.parquet"), columns);
            if let Some(e) = edges {
                write_parquet(&t.join("edges/E.parquet"), e);
            }
            t
        };
    let ids = || Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef;

    // NaN cannot be stored: row 2.
    let t = case(
        "nan",
        vec![
            ("id", ids()),
            ("x", Arc::new(Float64Array::from(vec![1.0, f64::NAN, 2.0]))),
        ],
        None,
    );
    let err = import(&g, &t, ImportOptions::default()).unwrap_err();
    let (file, row) = err.location().unwrap();
    assert!(file.ends_with("nodes/N.parquet"), "{err}");
    assert_eq!(row, 2, "{err}");
    assert!(err.to_string().contains("column \"x\""), "{err}");
    // Skipped and counted instead.
    let opts = ImportOptions {
        skip_bad: true,
        ..ImportOptions::default()
    };
    let g2 = Graph::open(dir.path().join("g2.pgdb")).unwrap();
    let s = import(&g2, &t, opts.clone()).unwrap();
    assert_eq!((s.nodes, s.skipped), (2, 1));
    assert_eq!(s.skipped_by_reason["bad value"], 1);

    // An unsigned id beyond i64 in a property; a duplicate id; an unknown endpoint.
    let t = case(
        "mixed",
        vec![
            ("id", Arc::new(Int64Array::from(vec![1, 2, 1])) as ArrayRef),
            ("u", Arc::new(UInt64Array::from(vec![1, u64::MAX, 3]))),
        ],
        Some(vec![
            ("src", Arc::new(Int64Array::from(vec![1, 9])) as ArrayRef),
            ("dst", Arc::new(Int64Array::from(vec![3, 1]))),
        ]),
    );
    let err = import(
        &Graph::open(dir.path().join("g3.pgdb")).unwrap(),
        &t,
        ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.location().unwrap().1, 2, "{err}");
    assert!(err.to_string().contains("does not fit"), "{err}");
    let g4 = Graph::open(dir.path().join("g4.pgdb")).unwrap();
    let s = import(&g4, &t, opts.clone()).unwrap();
    assert_eq!(
        (s.nodes, s.edges, s.skipped),
        (1, 0, 4),
        "{:?}",
        s.skipped_by_reason
    );
    assert_eq!(s.skipped_by_reason["bad value"], 1);
    assert_eq!(s.skipped_by_reason["duplicate id"], 1);
    assert_eq!(s.skipped_by_reason["missing endpoint"], 2);

    // A node table without ids; a binary column; an edge table without src.
    let t = case("noid", vec![("x", ids())], None);
    let err = import(&g, &t, ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("needs an `id` column"), "{err}");
    let bin = Arc::new(BinaryArray::from_vec(vec![b"a", b"b", b"c"])) as ArrayRef;
    let t = case("binary", vec![("id", ids()), ("blob", bin)], None);
    let err = import(&g, &t, ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("\"blob\""), "{err}");
    let t = case("nosrc", vec![("id", ids())], Some(vec![("dst", ids())]));
    let err = import(&g, &t, ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("`src` and `dst`"), "{err}");
    // Nothing there at all.
    let err = import(&g, &dir.path().join("none"), ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("holds no tables"), "{err}");
    // Nothing of the failed imports was written.
    assert_eq!(g.begin_read().unwrap().node_count().unwrap(), 0);
}

#[test]
fn damaged_table_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let src = Graph::open(dir.path().join("a.pgdb")).unwrap();
    sample(&src);
    for format in [TableFormat::Parquet, TableFormat::Arrow] {
        let out = dir.path().join(format!("t-{}", format.extension()));
        export(&src, &out, format, &Subset::default());
        let file = out.join(format!("nodes/Person.{}", format.extension()));
        let good = std::fs::read(&file).unwrap();
        let mut rng = fastrand::Rng::with_seed(3);
        for i in 0..200 {
            let mut bytes = good.clone();
            match i % 3 {
                0 => bytes.truncate(rng.usize(..bytes.len())),
                1 => {
                    for _ in 0..rng.usize(1..8) {
                        let at = rng.usize(..bytes.len());
                        bytes[at] = rng.u8(..);
                    }
                }
                _ => {
                    let at = rng.usize(..bytes.len());
                    bytes[at] ^= 1 << rng.u8(..8);
                }
            }
            std::fs::write(&file, &bytes).unwrap();
            let g = Graph::open(dir.path().join(format!("d{i}.pgdb"))).unwrap();
            // Either an error or a graph (a flipped bit in a value is a different value).
            let _ = import(&g, &out, ImportOptions::default());
            assert!(g.check().unwrap().problems.is_empty());
            drop(g);
            let _ = std::fs::remove_file(dir.path().join(format!("d{i}.pgdb")));
        }
        std::fs::write(&file, &good).unwrap();
    }
}

#[test]
fn nodes_of_interleaved_files_keep_their_ids() {
    // Ids 1..=6 alternate between two labels: the import takes them in id order.
    let dir = tempfile::tempdir().unwrap();
    let g = Graph::open(dir.path().join("a.pgdb")).unwrap();
    let mut w = g.begin_write().unwrap();
    let mut ids = Vec::new();
    for i in 0..6 {
        let l = if i % 2 == 0 { "A" } else { "B" };
        ids.push(w.create_node(&[l], props(&[("id", P::Int(i))])).unwrap());
    }
    for pair in ids.windows(2) {
        w.create_edge(
            pair[1],
            pair[0],
            if pair[0].0 % 2 == 0 { "X" } else { "Y" },
            Props::new(),
        )
        .unwrap();
    }
    w.commit().unwrap();
    let out = dir.path().join("t");
    export(&g, &out, TableFormat::Parquet, &Subset::default());
    let g2 = Graph::open(dir.path().join("b.pgdb")).unwrap();
    import(&g2, &out, ImportOptions::default()).unwrap();
    assert_eq!(dump(&g2), dump(&g));
}

#[test]
fn arrow_streams_load_and_damaged_lengths_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t");
    std::fs::create_dir_all(t.join("nodes")).unwrap();
    let batch = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("name", Arc::new(StringArray::from(vec!["a", "b"]))),
    ])
    .unwrap();
    // The IPC stream format (no footer), as pyarrow's `new_stream` writes it.
    let path = t.join("nodes/N.ipc");
    let mut w = arrow_ipc::writer::StreamWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        &batch.schema(),
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let g = Graph::open(dir.path().join("g.pgdb")).unwrap();
    assert_eq!(import(&g, &t, ImportOptions::default()).unwrap().nodes, 2);
    // A body length past the end of the file: refused before anything is read.
    let good = std::fs::read(&path).unwrap();
    let g2 = Graph::open(dir.path().join("g2.pgdb")).unwrap();
    let mut cut = good.clone();
    cut.truncate(good.len() - 20);
    std::fs::write(&path, &cut).unwrap();
    let err = import(&g2, &t, ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("damaged Arrow IPC file"), "{err}");
    // And a file whose footer names a block past its end.
    let file_path = t.join("nodes/N.arrow");
    std::fs::remove_file(&path).unwrap();
    let mut w = arrow_ipc::writer::FileWriter::try_new(
        std::fs::File::create(&file_path).unwrap(),
        &batch.schema(),
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let good = std::fs::read(&file_path).unwrap();
    std::fs::write(&file_path, &good[..good.len() / 2]).unwrap();
    assert!(import(&g2, &t, ImportOptions::default()).is_err());
    assert_eq!(g2.begin_read().unwrap().node_count().unwrap(), 0);
}
