//! Labelled CSV imports (`run_csv` and mapping files) against hand-written fixtures: every
//! header feature (typed, untyped, array and ignored columns, `:LABEL`, `:TYPE`, id
//! spaces) and every option (delimiter, quote, escape, given header, `.gz`, missing
//! endpoints, skip-bad, upsert) checked value by value, and for each a bad input that must
//! fail with its `file:line`. The expected values are written out by hand from the
//! fixtures in `tests/data/labelled`. Not covered here: the LDBC dataset (`ldbc.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "tests: a failed step is a failed test; each test reads as one story"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pagegraph::{Condition, Graph, NodeProps, PropertyValue as V, ReadTxn};
use pagegraph_import::{
    CsvDialect, CsvFiles, CsvImport, Element, ImportError, ImportOptions, Mapping, NoProgress,
    SpaceSpec, Summary, run_csv,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/labelled")
}

fn import(db: &Path, imp: &CsvImport, opts: ImportOptions) -> Result<Summary, ImportError> {
    let g = Graph::open(db).unwrap();
    run_csv(&g, db, imp, opts, Arc::new(NoProgress))
}

/// The one node of `label` whose `prop` is `value`.
fn node(r: &ReadTxn, label: &str, prop: &str, value: V) -> NodeProps {
    let ids: Vec<_> = r
        .nodes_where(label, prop, &Condition::Eq(value.clone()))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids.len(), 1, "{label}.{prop} = {value:?}");
    r.node_props(ids[0]).unwrap().unwrap()
}

fn props(pairs: &[(&str, V)]) -> BTreeMap<String, V> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn text(x: &str) -> V {
    V::String(x.into())
}

/// Edges as (type, from key, to key, properties), sorted.
fn edges(r: &ReadTxn) -> Vec<(String, V, V, BTreeMap<String, V>)> {
    let key = |id| {
        let p = r.node_props(id).unwrap().unwrap();
        p.properties
            .get("pid")
            .or(p.properties.get("id"))
            .cloned()
            .unwrap()
    };
    let mut out: Vec<_> = r
        .edges()
        .map(|e| {
            let e = e.unwrap();
            let p = r.edge_props(e.id).unwrap().unwrap();
            (e.edge_type, key(e.from), key(e.to), p.properties)
        })
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

#[test]
fn a_mapping_loads_every_header_feature_and_option() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let m = Mapping::load(&fixtures().join("mapping.toml"), None).unwrap();
    let s = import(&db, &m.import, ImportOptions::default()).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (7, 8, 0));

    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    // `:ID(Person)` names no property: the space's `key` keeps the id.
    let ann = node(&r, "Person", "pid", V::Int(1));
    assert_eq!(ann.labels, ["Person", "Admin", "Staff"]);
    assert_eq!(
        ann.properties,
        props(&[
            ("pid", V::Int(1)),
            ("name", text("Ann")),
            ("age", V::Int(34)),
            ("score", V::Float(2.5)),
            ("tags", V::List(vec![text("a"), text("b")])),
            ("active", V::Bool(true)),
            ("born", text("1990-01-02")),
            // Untyped: kept as written.
            ("note", text("1e5")),
        ])
    );
    let bob = node(&r, "Person", "pid", V::Int(2));
    assert_eq!(bob.labels, ["Person"]);
    assert_eq!(
        bob.properties,
        props(&[
            ("pid", V::Int(2)),
            ("name", text("Bob")),
            ("score", V::Float(0.5)),
            ("active", V::Bool(false)),
            ("born", text("1985-12-31")),
            ("note", text("007")),
        ])
    );
    let cy = node(&r, "Person", "pid", V::Int(3));
    assert_eq!(cy.labels, ["Person", "Staff"]);
    assert_eq!(cy.properties["name"], text("Cy, Jr."));
    assert_eq!(cy.properties["score"], V::Float(1.0));
    assert_eq!(cy.properties["active"], V::Bool(true));
    assert_eq!(cy.properties["note"], text("12345678901234567890123"));
    assert!(!cy.properties.contains_key("skip"));
    // Id 1 is also a City: its own node, labelled by its file and its space.
    let paris = node(&r, "City", "id", V::Int(1));
    assert_eq!(paris.labels, ["Place", "City"]);
    assert_eq!(
        paris.properties,
        props(&[
            ("id", V::Int(1)),
            ("name", text("Paris")),
            ("population", V::Int(2_100_000))
        ])
    );
    assert_eq!(
        node(&r, "Place", "id", V::Int(2)).properties["name"],
        text("Oslo")
    );
    // Quote ' and escape \.
    assert_eq!(
        node(&r, "Tag", "id", text("t1")).properties["name"],
        text("rock, roll")
    );
    assert_eq!(
        node(&r, "Tag", "id", text("t2")).properties["name"],
        text("it's")
    );

    let p = |k: i64| V::Int(k);
    let mut want = vec![
        (
            "LIVES_IN".to_string(),
            p(1),
            p(1),
            props(&[("since", V::Int(2001))]),
        ),
        (
            "LIVES_IN".into(),
            p(2),
            p(2),
            props(&[("since", V::Int(1999))]),
        ),
        (
            "LIVES_IN".into(),
            p(3),
            p(1),
            props(&[("since", V::Int(2020))]),
        ),
        (
            "KNOWS".into(),
            p(1),
            p(2),
            props(&[("weight", V::Float(0.5))]),
        ),
        (
            "LIKES".into(),
            p(2),
            p(3),
            props(&[("weight", V::Float(1.0))]),
        ),
        (
            "KNOWS".into(),
            p(3),
            p(1),
            props(&[("weight", V::Float(2.25))]),
        ),
        (
            "LIKES_TAG".into(),
            p(1),
            text("t1"),
            props(&[("weight", V::Int(3))]),
        ),
        (
            "HATES_TAG".into(),
            p(3),
            text("t2"),
            props(&[("weight", text("1e5"))]),
        ),
    ];
    want.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(edges(&r), want);
    // The LIVES_IN edge from Person 1 ends at City 1, not at Person 1.
    let e = r
        .edges()
        .map(Result::unwrap)
        .find(|e| e.edge_type == "LIVES_IN" && e.from == ann.id)
        .unwrap();
    assert_eq!(e.to, paris.id);
    drop(r);
    g.close().unwrap();

    // A second run is refused at its first node, naming it.
    let err = import(&db, &m.import, ImportOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: node id \"1\" of id space \"Person\" is already in the database (node {}); \
             --upsert updates such nodes instead",
            fixtures().join("people.csv").display(),
            ann.id
        )
    );
    // With upsert it changes nothing.
    let before = {
        let g = Graph::open(&db).unwrap();
        let r = g.begin_read().unwrap();
        (r.node_count().unwrap(), edges(&r))
    };
    let opts = ImportOptions {
        upsert: true,
        ..ImportOptions::default()
    };
    let s = import(&db, &m.import, opts).unwrap();
    assert_eq!(
        (s.nodes, s.edges, s.nodes_updated, s.edges_updated),
        (0, 0, 7, 8)
    );
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!((r.node_count().unwrap(), edges(&r)), before);
    assert_eq!(
        node(&r, "Person", "pid", V::Int(1)).labels,
        ["Person", "Admin", "Staff"]
    );
}

/// One group of files for a bad-input case.
fn files(element: Element, dir: &Path, name: &str, text: &[u8]) -> (CsvFiles, PathBuf) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let src = CsvFiles {
        element,
        files: vec![path.clone()],
        label: None,
        header: None,
        dialect: CsvDialect::default(),
    };
    (src, path)
}

const PEOPLE: &[u8] = b":ID(P),name\n1,Ann\n2,Bob\n";

/// The error of importing `sources` (after the people above) into a new database.
fn error_of(dir: &Path, sources: Vec<CsvFiles>, opts: ImportOptions) -> String {
    let db = dir.join(format!("g{}.pgdb", fastrand::u32(..)));
    let mut all = vec![files(Element::Nodes, dir, "people-ok.csv", PEOPLE).0];
    all.extend(sources);
    let imp = CsvImport {
        sources: all,
        spaces: Vec::new(),
    };
    import(&db, &imp, opts).unwrap_err().to_string()
}

#[test]
fn bad_cells_name_their_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&str, &str, &str)] = &[
        (
            "int",
            ":ID(Q),n:int\n1,5\n2,x\n",
            "3: column \"n\": \"x\" is not a 64-bit integer",
        ),
        (
            "long",
            ":ID(Q),n:long\n1,9223372036854775808\n",
            "2: column \"n\": \"9223372036854775808\" is not a 64-bit integer",
        ),
        (
            "float",
            ":ID(Q),w:double\n1,1.5\n2,abc\n",
            "3: column \"w\": \"abc\" is not a finite number",
        ),
        (
            "bool",
            ":ID(Q),b:boolean\n1,yes\n",
            "2: column \"b\": \"yes\" is not a boolean (true or false)",
        ),
        (
            "array",
            ":ID(Q),xs:int[]\n1,1;2\n2,3;x\n",
            "3: column \"xs\": \"x\" is not a 64-bit integer",
        ),
        (
            "type",
            ":ID(Q),a:blob\n1,2\n",
            "1: column \"a:blob\": unknown type \"blob\"",
        ),
        ("no-id", "name\nAnn\n", "1: no :ID column"),
        (
            "two-ids",
            ":ID(Q),:ID(R)\n1,2\n",
            "1: more than one :ID column",
        ),
        ("empty-id", ":ID(Q),n\n,5\n", "2: the :ID column is empty"),
        (
            "dup",
            ":ID(Q),n\n1,a\n1,b\n",
            "3: duplicate node id \"1\" in id space \"Q\" (first on line 2)",
        ),
        (
            "fields",
            ":ID(Q),n\n1,a,b\n",
            "2: 3 fields, the header has 2",
        ),
        (
            "quote",
            ":ID(Q),n\n1,a\n2,\"b\n3,c\n",
            "3: a quoted field starts here and is never closed",
        ),
        (
            "label",
            ":ID(Q),:LABEL,:LABEL\n1,a,b\n",
            "1: more than one :LABEL column",
        ),
        (
            "no-space",
            ":ID,n\n1,a\n",
            "1: the :ID column names no id space, and the file has no label",
        ),
        (
            "key-column",
            ":ID(Q),id\n1,a\n",
            "1: column \"id\" holds the property that keeps the ids of id space \"Q\"",
        ),
        (
            "multiline",
            ":ID(Q),m,n:int\n1,\"a\nb\",5\n2,\"c\nd\",x\n",
            "4: column \"n\": \"x\" is not a 64-bit integer",
        ),
    ];
    for (name, text, want) in cases {
        let (src, path) = files(Element::Nodes, d, &format!("{name}.csv"), text.as_bytes());
        let err = error_of(d, vec![src], ImportOptions::default());
        let expected = format!("{}:{want}", path.display());
        assert!(
            err.starts_with(&expected),
            "{name}: {err}\n  wanted {expected}"
        );
    }
}

#[test]
fn bad_edges_name_their_file_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let typed = |text: &str, name: &str| {
        let (mut src, path) = files(Element::Edges, d, name, text.as_bytes());
        src.label = Some("KNOWS".into());
        (src, path)
    };
    let cases = [
        (
            typed(":START_ID(P),:END_ID(P)\n1,2\n2,9\n", "missing.csv"),
            "3: unknown node \"9\" in id space \"P\" (:END_ID; --create-missing creates it)",
        ),
        (
            typed(":START_ID,:END_ID(P)\n1,2\n", "nospace.csv"),
            "1: the :START_ID column names no id space: write :START_ID(Space)",
        ),
        (
            typed(":START_ID(P),:END_ID(P),w:int\n1,2,x\n", "w.csv"),
            "2: column \"w\": \"x\" is not a 64-bit integer",
        ),
        (
            typed(":START_ID(P),:END_ID(P)\n,2\n", "empty.csv"),
            "2: the :START_ID column is empty",
        ),
        (
            typed(":START_ID(P)\n1\n", "noend.csv"),
            "1: no :END_ID column",
        ),
        (
            typed(":START_ID(P),:END_ID(P),:LABEL\n1,2,x\n", "label.csv"),
            "1: an edge file has no :ID or :LABEL column",
        ),
        (
            files(
                Element::Edges,
                d,
                "notype.csv",
                b":START_ID(P),:END_ID(P)\n1,2\n",
            ),
            "1: no edge type: give the files a type or a :TYPE column",
        ),
        (
            files(
                Element::Edges,
                d,
                "emptytype.csv",
                b":START_ID(P),:END_ID(P),:TYPE\n1,2,\n",
            ),
            "2: the :TYPE column is empty",
        ),
    ];
    for ((src, path), want) in cases {
        let err = error_of(d, vec![src], ImportOptions::default());
        let expected = format!("{}:{want}", path.display());
        assert_eq!(err, expected);
    }
}

#[test]
fn dialects_given_headers_and_gzip_keep_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A headerless file with its header given: the first line is data, line 1.
    let (mut src, path) = files(Element::Edges, d, "part.csv", b"1,2\n1,7\n");
    src.header = Some(":START_ID(P),:END_ID(P)".into());
    src.label = Some("KNOWS".into());
    let err = error_of(d, vec![src.clone()], ImportOptions::default());
    assert_eq!(
        err,
        format!(
            "{}:2: unknown node \"7\" in id space \"P\" (:END_ID; --create-missing creates it)",
            path.display()
        )
    );
    // A bad given header names the file and says it was given.
    src.header = Some(":START_ID(P),:END_ID(P),x:blob".into());
    let err = error_of(d, vec![src], ImportOptions::default());
    assert!(
        err.starts_with(&format!(
            "{}: the given header: column \"x:blob\"",
            path.display()
        )),
        "{err}"
    );
    // Tab-delimited, gzipped.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b":ID(Q)\tn:int\n1\t2\n2\t3\n3\tfour\n").unwrap();
    let (mut src, path) = files(Element::Nodes, d, "q.tsv.gz", &gz.finish().unwrap());
    src.dialect.delimiter = b'\t';
    let err = error_of(d, vec![src], ImportOptions::default());
    assert_eq!(
        err,
        format!(
            "{}:4: column \"n\": \"four\" is not a 64-bit integer",
            path.display()
        )
    );
    // Quote ' with escape \: an escaped quote does not close the field, so this one
    // never closes.
    let (mut src, path) = files(
        Element::Nodes,
        d,
        "esc.csv",
        b":ID(Q),n\n1,'a\\'b'\n2,'c\\'\n3,d\n",
    );
    src.dialect.quote = Some(b'\'');
    src.dialect.escape = Some(b'\\');
    let err = error_of(d, vec![src], ImportOptions::default());
    assert_eq!(
        err,
        format!(
            "{}:3: a quoted field starts here and is never closed",
            path.display()
        )
    );
    // Without quoting, a quote is text.
    let (mut src, _) = files(Element::Nodes, d, "noquote.csv", b":ID(Q),n\n1,\"a\n");
    src.dialect.quote = None;
    let db = d.join("nq.pgdb");
    let imp = CsvImport {
        sources: vec![src],
        spaces: Vec::new(),
    };
    import(&db, &imp, ImportOptions::default()).unwrap();
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(node(&r, "Q", "id", V::Int(1)).properties["n"], text("\"a"));
}

#[test]
fn missing_endpoints_are_errors_new_nodes_or_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let edges = b":START_ID(P),:END_ID(Post),w:int\n1,100,1\n2,100,2\n9,101,3\n1,bad,x\n1,2\n";
    let group = |label: &str| {
        let (mut src, _) = files(Element::Edges, d, "likes.csv", edges);
        src.label = Some(label.into());
        src
    };
    let people = files(Element::Nodes, d, "people-ok.csv", PEOPLE).0;
    let imp = CsvImport {
        sources: vec![people, group("LIKES")],
        spaces: vec![SpaceSpec {
            name: "Post".into(),
            label: Some("Message".into()),
            key: Some("postId".into()),
        }],
    };
    // Skipped and counted by reason: three lines name a node no file has.
    let skip = ImportOptions {
        skip_bad: true,
        ..ImportOptions::default()
    };
    let s = import(&d.join("a.pgdb"), &imp, skip).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (2, 0, 5));
    let want: BTreeMap<String, u64> = [
        ("missing endpoint".to_string(), 3),
        ("bad value".to_string(), 1),
        ("bad record".to_string(), 1),
    ]
    .into();
    assert_eq!(s.skipped_by_reason, want);

    let create = ImportOptions {
        skip_bad: true,
        create_missing: true,
        ..ImportOptions::default()
    };
    let db = d.join("b.pgdb");
    let s = import(&db, &imp, create).unwrap();
    // Post 100 and 101 (mapped to the label Message, key postId) and P 9 are created.
    assert_eq!((s.nodes, s.edges, s.skipped), (5, 3, 2));
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    let post = node(&r, "Message", "postId", V::Int(100));
    assert_eq!(post.labels, ["Message"]);
    assert_eq!(post.properties, props(&[("postId", V::Int(100))]));
    assert_eq!(
        node(&r, "P", "id", V::Int(9)).properties,
        props(&[("id", V::Int(9))])
    );
    assert_eq!(r.nodes_with_label("Message").unwrap().count(), 2);
}

/// Into a graph without edges the import is one bulk transaction; a bad line found while
/// checking a batch still keeps the batches before it, and the import's key index with them.
#[test]
fn a_bad_line_keeps_the_batches_before_it_in_a_bulk_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("bulk.pgdb");
    let (src, path) = files(
        Element::Nodes,
        d,
        "dup.csv",
        b":ID(Q),n\n1,a\n2,b\n1,c\n3,d\n",
    );
    let imp = CsvImport {
        sources: vec![src],
        spaces: Vec::new(),
    };
    let opts = ImportOptions {
        batch: 1,
        ..ImportOptions::default()
    };
    let err = import(&db, &imp, opts).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:4: duplicate node id", path.display())),
        "{err}"
    );
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), 2);
    assert_eq!(
        node(&r, "Q", "id", V::Int(2)).properties.get("n"),
        Some(&text("b"))
    );
    drop(r);
    assert!(g.check().unwrap().is_clean());
}
