//! Property indexes through the public API, against hand-computed answers: the two views of
//! a node, lookups of every kind, unique constraints (and the transaction staying usable
//! after a violation), merges, deletes by key, persistence, the catalog, and damage to an
//! index or its catalog entry, which `check` reports and lookups never skip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::type_complexity,
    reason = "tests"
)]

use std::ops::Bound;

use pagegraph::storage::{Database, Options as StorageOptions};
use pagegraph::value::Inequality;
use pagegraph::{
    Condition, EdgeSpec, Graph, GraphError, IndexSpec, IndexState, IndexTarget, NodeId, NodeSpec,
    Properties, PropertyValue as V,
};
use serde_json::json;

fn props(pairs: &[(&str, V)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn ids(it: impl Iterator<Item = pagegraph::Result<NodeId>>) -> Vec<NodeId> {
    it.map(Result::unwrap).collect()
}

/// People with an age and a city; ages chosen so that every operator has a known answer.
fn people(g: &Graph) -> Vec<NodeId> {
    let mut tx = g.begin_write().unwrap();
    let rows = [
        ("ada", V::Int(36), "London"),
        ("bob", V::Float(36.0), "Lyon"),
        ("cy", V::Int(41), "Lisbon"),
        ("dee", V::Float(19.5), "Paris"),
        ("eve", V::String("old".into()), "London"),
    ];
    let out = rows
        .iter()
        .map(|(name, age, city)| {
            tx.create_node(
                &["Person"],
                props(&[
                    ("name", V::String((*name).into())),
                    ("age", age.clone()),
                    ("city", V::String((*city).into())),
                ]),
            )
            .unwrap()
        })
        .collect();
    tx.commit().unwrap();
    out
}

#[test]
fn lookups_answer_the_same_with_and_without_an_index() {
    let g = Graph::in_memory().unwrap();
    let p = people(&g);
    let cases: Vec<(&str, Condition, Vec<NodeId>)> = vec![
        ("age", Condition::Eq(V::Int(36)), vec![p[0], p[1]]),
        (
            "age",
            Condition::Cmp(Inequality::Gt, V::Int(36)),
            vec![p[2]],
        ),
        (
            "age",
            Condition::Cmp(Inequality::Le, V::Float(36.0)),
            vec![p[0], p[1], p[3]],
        ),
        (
            "age",
            Condition::Between(Bound::Excluded(V::Int(19)), Bound::Excluded(V::Int(41))),
            vec![p[0], p[1], p[3]],
        ),
        (
            "age",
            Condition::In(vec![V::Int(41), V::String("old".into())]),
            vec![p[2], p[4]],
        ),
        (
            "city",
            Condition::StartsWith("L".into()),
            vec![p[0], p[1], p[2], p[4]],
        ),
        ("city", Condition::StartsWith("Li".into()), vec![p[2]]),
        ("name", Condition::Eq(V::String("cy".into())), vec![p[2]]),
        ("missing", Condition::Eq(V::Int(1)), vec![]),
    ];
    for indexed in [false, true] {
        if indexed {
            let mut tx = g.begin_write().unwrap();
            for prop in ["age", "city", "name", "missing"] {
                tx.create_index(IndexSpec::on_label("Person", prop))
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        let r = g.begin_read().unwrap();
        for (prop, cond, want) in &cases {
            let mut got = ids(r.nodes_where("Person", prop, cond).unwrap());
            got.sort_unstable();
            assert_eq!(&got, want, "indexed {indexed}: {prop} {cond:?}");
        }
        assert!(
            ids(r
                .nodes_where("Nobody", "age", &Condition::Eq(V::Int(36)))
                .unwrap())
            .is_empty()
        );
    }
    // Through the index, ids come by value, then id: 19.5, 36 (int), 36.0, 41.
    let r = g.begin_read().unwrap();
    let by_value = ids(r
        .nodes_where("Person", "age", &Condition::Cmp(Inequality::Ge, V::Int(0)))
        .unwrap());
    assert_eq!(by_value, vec![p[3], p[0], p[1], p[2]]);
    let info = r.indexes().unwrap();
    let age = info.iter().find(|i| i.name == "Person_age").unwrap();
    assert_eq!(
        (age.entries, age.state, age.unique),
        (5, IndexState::Ready, false)
    );
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn both_views_read_the_same_records() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    let a = tx
        .insert_node(NodeSpec {
            kind: "Person".into(),
            name: "ada".into(),
            data: json!({"born": 1815, "langs": ["en"], "gone": null}),
        })
        .unwrap();
    let b = tx
        .create_node(
            &["Person", "Author", "Person"],
            props(&[("name", V::String("bo".into())), ("x", V::Float(1.0))]),
        )
        .unwrap();
    let c = tx.create_node(&[], props(&[("name", V::Int(3))])).unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    let pa = r.node_props(a).unwrap().unwrap();
    assert_eq!(pa.labels, vec!["Person"]);
    assert_eq!(
        pa.properties,
        props(&[
            ("name", V::String("ada".into())),
            ("born", V::Int(1815)),
            ("langs", V::List(vec![V::String("en".into())]))
        ])
    );
    let nb = r.node(b).unwrap().unwrap();
    assert_eq!(
        (nb.kind.as_str(), nb.name.as_str(), &nb.data),
        ("Person", "bo", &json!({"x": 1.0}))
    );
    assert_eq!(
        r.node_props(b).unwrap().unwrap().labels,
        vec!["Person", "Author"]
    );
    assert_eq!(r.nodes_by_kind("Author").unwrap(), vec![b]);
    assert_eq!(
        r.kinds().unwrap(),
        vec![("Author".into(), 1), ("Person".into(), 2)]
    );
    // No label, and a `name` that is not a string: kept in the data.
    let nc = r.node(c).unwrap().unwrap();
    assert_eq!(
        (nc.kind.as_str(), nc.name.as_str(), &nc.data),
        ("", "", &json!({"name": 3}))
    );
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn unique_constraints_refuse_duplicates_and_leave_the_transaction_usable() {
    let g = Graph::in_memory().unwrap();
    let p = people(&g);
    let mut tx = g.begin_write().unwrap();
    // Existing duplicates (36 and 36.0 are equal) refuse the constraint.
    let err = tx
        .create_index(IndexSpec::on_label("Person", "age").unique())
        .unwrap_err();
    match err {
        GraphError::ConstraintViolation {
            index,
            properties,
            existing,
            ..
        } => {
            assert_eq!(
                (index.as_str(), properties, existing),
                ("Person_age", vec!["age".to_string()], p[0].0)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(tx.indexes().unwrap().is_empty());
    tx.create_index(IndexSpec::on_label("Person", "name").unique())
        .unwrap();
    // A duplicate by insert, by batch, by update and by label: each refused, nothing changed.
    let dup = props(&[("name", V::String("ada".into()))]);
    let err = tx.create_node(&["Person"], dup.clone()).unwrap_err();
    assert!(err.to_string().contains("already held by node 1"), "{err}");
    let batch = vec![
        (&["Person"][..], props(&[("name", V::String("new".into()))])),
        (&["Person"][..], props(&[("name", V::String("new".into()))])),
    ];
    assert!(matches!(
        tx.create_nodes(batch),
        Err(GraphError::ConstraintViolation { .. })
    ));
    assert!(matches!(
        tx.set_node_property(p[1], "name", V::String("ada".into())),
        Err(GraphError::ConstraintViolation { .. })
    ));
    let other = tx.create_node(&["Robot"], dup).unwrap();
    assert!(matches!(
        tx.add_label(other, "Person"),
        Err(GraphError::ConstraintViolation { .. })
    ));
    // Still usable: a good write and a commit.
    tx.set_node_property(p[1], "name", V::String("bobby".into()))
        .unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), 6);
    assert_eq!(
        ids(r
            .nodes_where("Person", "name", &Condition::Eq(V::String("bobby".into())))
            .unwrap()),
        vec![p[1]]
    );
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn merges_get_or_create_and_deletes_by_key_take_edges_along() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.create_index(IndexSpec::on_label("File", "path").unique())
        .unwrap();
    let key = |p: &str| props(&[("path", V::String(p.into()))]);
    let m1 = tx
        .merge_node(
            &["File"],
            key("a.rs"),
            props(&[("v", V::Int(1))]),
            Properties::new(),
        )
        .unwrap();
    let m2 = tx
        .merge_node(
            &["File"],
            key("a.rs"),
            props(&[("v", V::Int(9))]),
            props(&[("seen", V::Bool(true))]),
        )
        .unwrap();
    assert!(m1.created && !m2.created && m1.id == m2.id);
    let n = tx.node_props(m1.id).unwrap().unwrap();
    assert_eq!(
        n.properties,
        props(&[
            ("path", V::String("a.rs".into())),
            ("v", V::Int(1)),
            ("seen", V::Bool(true))
        ])
    );
    let f = tx
        .create_node(&["Fn"], props(&[("file", V::String("a.rs".into()))]))
        .unwrap();
    let e1 = tx
        .merge_edge(
            f,
            m1.id,
            "IN",
            Properties::new(),
            Properties::new(),
            Properties::new(),
        )
        .unwrap();
    let e2 = tx
        .merge_edge(
            f,
            m1.id,
            "IN",
            Properties::new(),
            Properties::new(),
            Properties::new(),
        )
        .unwrap();
    assert!(e1.created && !e2.created && e1.id == e2.id);
    tx.commit().unwrap();
    // The re-index of a file: delete what came from it, insert anew, commit once.
    let mut tx = g.begin_write().unwrap();
    let cond = Condition::Eq(V::String("a.rs".into()));
    assert_eq!(tx.delete_nodes_where("Fn", "file", &cond).unwrap(), 1);
    assert_eq!(tx.delete_nodes_where("File", "path", &cond).unwrap(), 1);
    assert!(tx.node(f).unwrap().is_none());
    tx.merge_node(&["File"], key("a.rs"), Properties::new(), Properties::new())
        .unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!((r.node_count().unwrap(), r.edge_count().unwrap()), (1, 0));
    assert!(g.check().unwrap().is_clean());
    // A null key is refused.
    let mut tx = g.begin_write().unwrap();
    assert!(matches!(
        tx.merge_node(
            &["File"],
            props(&[("path", V::Null)]),
            Properties::new(),
            Properties::new()
        ),
        Err(GraphError::Invalid { .. })
    ));
}

/// The conditions the held-entries test asks, each with its answer as a set of names.
fn age_and_name_conditions() -> Vec<(&'static str, Condition)> {
    vec![
        ("age", Condition::Cmp(Inequality::Ge, V::Int(0))),
        ("age", Condition::Eq(V::Int(36))),
        ("age", Condition::Cmp(Inequality::Lt, V::Int(30))),
        ("age", Condition::Cmp(Inequality::Gt, V::Int(36))),
        (
            "age",
            Condition::In(vec![V::Int(20), V::Int(41), V::Int(60)]),
        ),
        ("name", Condition::StartsWith("h".into())),
        (
            "name",
            Condition::Cmp(Inequality::Ge, V::String(String::new())),
        ),
    ]
}

#[test]
fn a_transaction_sees_the_index_entries_it_holds_before_writing_them() {
    let g = Graph::in_memory().unwrap();
    let p = people(&g);
    let mut tx = g.begin_write().unwrap();
    tx.create_index(IndexSpec::on_label("Person", "age"))
        .unwrap();
    tx.create_index(IndexSpec::on_label("Person", "name").unique())
        .unwrap();
    tx.commit().unwrap();

    let person = |name: &str, age: Option<i64>| {
        let mut p = props(&[("name", V::String(name.into()))]);
        if let Some(a) = age {
            p.insert("age".into(), V::Int(a));
        }
        p
    };
    let mut tx = g.begin_write().unwrap();
    // One write each: their entries are held in memory, between and around the tree's.
    let a = tx
        .create_node(&["Person"], person("fay", Some(36)))
        .unwrap();
    let b = tx
        .create_node(&["Person"], person("gus", Some(20)))
        .unwrap();
    let c = tx
        .create_node(&["Person"], person("hal", Some(50)))
        .unwrap();
    let by = |tx: &pagegraph::WriteTxn, prop: &str, cond: &Condition| {
        ids(tx.nodes_where("Person", prop, cond).unwrap())
    };
    let sorted = |mut v: Vec<NodeId>| {
        v.sort_unstable();
        v
    };
    // Tree and held entries together (ages: dee 19.5, gus 20, ada 36, bob 36.0, fay 36,
    // cy 41, hal 50; eve's is a string).
    let ge0 = Condition::Cmp(Inequality::Ge, V::Int(0));
    assert_eq!(
        sorted(by(&tx, "age", &ge0)),
        sorted(vec![p[0], p[1], p[2], p[3], a, b, c])
    );
    assert_eq!(
        sorted(by(&tx, "age", &Condition::Eq(V::Int(36)))),
        vec![p[0], p[1], a]
    );
    assert_eq!(by(&tx, "name", &Condition::StartsWith("h".into())), vec![c]);
    assert_eq!(
        by(&tx, "name", &Condition::Eq(V::String("gus".into()))),
        vec![b]
    );
    let counts = |tx: &pagegraph::WriteTxn| -> Vec<(String, u64)> {
        tx.indexes()
            .unwrap()
            .into_iter()
            .map(|i| (i.name, i.entries))
            .collect()
    };
    assert_eq!(
        counts(&tx),
        vec![
            ("Person_age".to_string(), 8),
            ("Person_name".to_string(), 8)
        ]
    );

    // Unique constraints see held entries: by update, by insert, by merge.
    match tx.set_node_property(p[4], "name", V::String("fay".into())) {
        Err(GraphError::ConstraintViolation { existing, .. }) => assert_eq!(existing, a.0),
        other => panic!("{other:?}"),
    }
    match tx.create_node(&["Person"], person("gus", None)) {
        Err(GraphError::ConstraintViolation { existing, .. }) => assert_eq!(existing, b.0),
        other => panic!("{other:?}"),
    }
    let m = tx
        .merge_node(
            &["Person"],
            person("hal", None),
            Properties::new(),
            props(&[("seen", V::Bool(true))]),
        )
        .unwrap();
    assert!(!m.created && m.id == c);
    // A merge keyed on the non-unique index finds a held entry too.
    let m = tx
        .merge_node(
            &["Person"],
            props(&[("age", V::Int(20))]),
            Properties::new(),
            Properties::new(),
        )
        .unwrap();
    assert!(!m.created && m.id == b);

    // Updates and deletes take held entries away.
    tx.set_node_property(b, "age", V::Int(60)).unwrap();
    assert!(by(&tx, "age", &Condition::Eq(V::Int(20))).is_empty());
    assert_eq!(by(&tx, "age", &Condition::Eq(V::Int(60))), vec![b]);
    tx.delete_node(c).unwrap();
    assert!(by(&tx, "age", &Condition::Eq(V::Int(50))).is_empty());
    let d = tx.create_node(&["Person"], person("hal", None)).unwrap();
    assert_eq!(by(&tx, "name", &Condition::StartsWith("h".into())), vec![d]);
    // A committed entry removed, a held one put in its place.
    tx.set_node_property(p[2], "age", V::Int(20)).unwrap();
    assert_eq!(
        counts(&tx),
        vec![
            ("Person_age".to_string(), 7),
            ("Person_name".to_string(), 8)
        ]
    );
    // An index dropped with entries held leaves nothing behind.
    tx.create_index(IndexSpec::on_label("Person", "nick"))
        .unwrap();
    tx.create_node(&["Person"], props(&[("nick", V::String("z".into()))]))
        .unwrap();
    tx.drop_index("Person_nick").unwrap();

    // Inside the transaction, every answer in the order the committed indexes give.
    let inside: Vec<Vec<NodeId>> = age_and_name_conditions()
        .iter()
        .map(|(prop, cond)| by(&tx, prop, cond))
        .collect();
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
    let r = g.begin_read().unwrap();
    let after: Vec<Vec<NodeId>> = age_and_name_conditions()
        .iter()
        .map(|(prop, cond)| ids(r.nodes_where("Person", prop, cond).unwrap()))
        .collect();
    assert_eq!(inside, after);
    assert_eq!(sorted(after[4].clone()), sorted(vec![p[2], b]));
    assert_eq!(after[5], vec![d]);
    assert_eq!(r.indexes().unwrap().len(), 2);
}

#[test]
fn edge_indexes_follow_edge_writes() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    let a = tx.insert_node(NodeSpec::new("N", "a")).unwrap();
    let b = tx.insert_node(NodeSpec::new("N", "b")).unwrap();
    tx.create_index(IndexSpec::on_edge_type("KNOWS", "since"))
        .unwrap();
    let e = tx
        .insert_edges((0..10).map(|i| EdgeSpec {
            from: a,
            to: b,
            edge_type: "KNOWS".into(),
            data: json!({"since": 2000 + i}),
        }))
        .unwrap();
    tx.update_edge(e[0], json!({"since": 1990})).unwrap();
    tx.delete_edge(e[1]).unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    let got: Vec<_> = r
        .edges_where(
            "KNOWS",
            "since",
            &Condition::Cmp(Inequality::Lt, V::Int(2003)),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, vec![e[0], e[2]]);
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn indexes_persist_and_are_dropped_with_their_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    {
        let g = Graph::open(&path).unwrap();
        people(&g);
        let mut tx = g.begin_write().unwrap();
        let info = tx.create_index(IndexSpec {
            name: Some("by_city".into()),
            target: IndexTarget::Label("Person".into()),
            properties: vec!["city".into(), "age".into()],
            unique: true,
        });
        assert_eq!(info.unwrap().entries, 5);
        tx.create_index(IndexSpec::on_label("Person", "city"))
            .unwrap();
        assert!(matches!(
            tx.create_index(IndexSpec {
                name: Some("by_city".into()),
                ..IndexSpec::on_label("X", "y")
            }),
            Err(GraphError::IndexExists(_))
        ));
        tx.commit().unwrap();
        g.close().unwrap();
    }
    let g = Graph::open(&path).unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.graph_format().unwrap(), pagegraph::GRAPH_FORMAT);
    let names: Vec<String> = r.indexes().unwrap().into_iter().map(|i| i.name).collect();
    assert_eq!(names, vec!["Person_city", "by_city"]);
    // A composite key match uses the composite index.
    let key = props(&[
        ("city", V::String("London".into())),
        ("age", V::Float(36.0)),
    ]);
    assert_eq!(
        r.nodes_matching(&["Person"], &key).unwrap(),
        vec![NodeId(1)]
    );
    drop(r);
    let mut tx = g.begin_write().unwrap();
    tx.drop_index("by_city").unwrap();
    assert!(matches!(
        tx.drop_index("by_city"),
        Err(GraphError::IndexNotFound(_))
    ));
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.indexes().unwrap().len(), 1);
    drop(r);
    assert!(g.check().unwrap().is_clean());
}

/// An index built, then damaged behind the graph's back through the storage layer.
fn damaged(damage: impl FnOnce(&mut pagegraph::storage::WriteTxn)) -> (tempfile::TempDir, Graph) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    {
        let g = Graph::open(&path).unwrap();
        people(&g);
        let mut tx = g.begin_write().unwrap();
        tx.create_index(IndexSpec::on_label("Person", "age"))
            .unwrap();
        tx.commit().unwrap();
        g.close().unwrap();
    }
    let db = Database::open(&path, StorageOptions::default()).unwrap();
    let mut tx = db.begin_write().unwrap();
    damage(&mut tx);
    tx.commit().unwrap();
    db.close().unwrap();
    let g = Graph::open(&path).unwrap();
    (dir, g)
}

fn first_key(tx: &mut pagegraph::storage::WriteTxn, tree: &str) -> Vec<u8> {
    let t = tx.read_tree(tree).unwrap().unwrap();
    let (k, _) = t.iter().next().unwrap().unwrap();
    k
}

#[test]
fn check_reports_missing_extra_altered_and_malformed_index_entries() {
    let cases: Vec<(&str, Box<dyn FnOnce(&mut pagegraph::storage::WriteTxn)>)> = vec![
        (
            "missing",
            Box::new(|tx| {
                let k = first_key(tx, "g.ix.1");
                tx.tree("g.ix.1").unwrap().remove(&k).unwrap();
            }),
        ),
        (
            "altered id",
            Box::new(|tx| {
                let mut k = first_key(tx, "g.ix.1");
                tx.tree("g.ix.1").unwrap().remove(&k).unwrap();
                let n = k.len();
                k[n - 2] ^= 0x40; // the id's last byte
                tx.tree("g.ix.1").unwrap().insert(&k, &[]).unwrap();
            }),
        ),
        (
            "malformed",
            Box::new(|tx| {
                tx.tree("g.ix.1")
                    .unwrap()
                    .insert(&[0x43, 0xff, 0xff], &[])
                    .unwrap();
            }),
        ),
        (
            "orphan tree",
            Box::new(|tx| {
                tx.tree("g.ix.77").unwrap().insert(b"x", &[]).unwrap();
            }),
        ),
        (
            "orphan delta tree",
            Box::new(|tx| {
                tx.tree("g.ix.77.r").unwrap().insert(b"x", &[]).unwrap();
            }),
        ),
        (
            "added delta entry also in the main tree",
            Box::new(|tx| {
                let k = first_key(tx, "g.ix.1");
                tx.tree("g.ix.1.d").unwrap().insert(&k, &[]).unwrap();
            }),
        ),
        (
            "removed delta entry the main tree does not hold",
            Box::new(|tx| {
                let mut k = first_key(tx, "g.ix.1");
                let n = k.len();
                k[n - 2] ^= 0x40; // the id's last byte
                tx.tree("g.ix.1.r").unwrap().insert(&k, &[]).unwrap();
            }),
        ),
        (
            "malformed removed delta entry",
            Box::new(|tx| {
                tx.tree("g.ix.1.r")
                    .unwrap()
                    .insert(&[0x43, 0xff, 0xff], &[])
                    .unwrap();
            }),
        ),
        (
            "catalog says building",
            Box::new(|tx| {
                let mut v = tx
                    .tree("g.idx")
                    .unwrap()
                    .get(&1u32.to_be_bytes())
                    .unwrap()
                    .unwrap();
                v[4] = 0;
                tx.tree("g.idx")
                    .unwrap()
                    .insert(&1u32.to_be_bytes(), &v)
                    .unwrap();
            }),
        ),
    ];
    for (what, damage) in cases {
        let (_dir, g) = damaged(damage);
        let report = g.check().unwrap();
        assert!(!report.is_clean(), "{what}: check found nothing");
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.message.contains("index") || p.message.contains("g.ix.77")),
            "{what}: {:?}",
            report.problems
        );
    }
    // A malformed entry in a lookup's range is an error, never skipped.
    let (_dir, g) = damaged(|tx| {
        tx.tree("g.ix.1")
            .unwrap()
            .insert(&[0x43, 0x04, 0x49, 0x00, 0x00, 0x09], &[])
            .unwrap();
    });
    let r = g.begin_read().unwrap();
    let results: Vec<_> = r
        .nodes_where("Person", "age", &Condition::Cmp(Inequality::Ge, V::Int(0)))
        .unwrap()
        .collect();
    assert!(
        results
            .iter()
            .any(|x| matches!(x, Err(GraphError::Corrupt { .. }))),
        "{results:?}"
    );
}

/// Whether `r` is the refusal of a value too long for the `Person_bio` or `Knows_note` index.
fn is_too_long<T>(r: &pagegraph::Result<T>) -> bool {
    matches!(r, Err(GraphError::Invalid { field: "indexed value", reason })
        if reason.contains("Person_bio") || reason.contains("Knows_note"))
}

/// A value too long to be an index key is refused before anything is written, on every
/// path that writes entries (create, batch create, update, label added, edge create and
/// update, index build), with an error naming the index; the transaction stays usable and
/// exactly as it was, and what commits is consistent.
#[test]
fn a_value_too_long_for_an_index_key_is_refused_and_leaves_nothing_behind() {
    let too_long = V::String("x".repeat(1_000));
    let fits = V::String("x".repeat(900));
    let dir = tempfile::tempdir().unwrap();
    let g = Graph::open(dir.path().join("g.pgdb")).unwrap();
    let people = people(&g);
    let mut tx = g.begin_write().unwrap();
    tx.create_index(IndexSpec::on_label("Person", "bio"))
        .unwrap();
    tx.create_index(IndexSpec::on_edge_type("Knows", "note").unique())
        .unwrap();
    let e = tx
        .create_edge(people[0], people[1], "Knows", props(&[("note", V::Int(1))]))
        .unwrap();
    tx.commit().unwrap();

    let mut tx = g.begin_write().unwrap();
    let r = tx.create_node(&["Person"], props(&[("bio", too_long.clone())]));
    assert!(is_too_long(&r), "{r:?}");
    let r = tx.create_nodes([
        (&["Person"][..], props(&[("bio", fits.clone())])),
        (&["Person"][..], props(&[("bio", too_long.clone())])),
    ]);
    assert!(is_too_long(&r), "{r:?}");
    let r = tx.set_node_property(people[0], "bio", too_long.clone());
    assert!(is_too_long(&r), "{r:?}");
    // A node outside the label takes the value; the label would bring it under the index.
    let other = tx
        .create_node(&["Robot"], props(&[("bio", too_long.clone())]))
        .unwrap();
    let r = tx.add_label(other, "Person");
    assert!(is_too_long(&r), "{r:?}");
    let r = tx.create_edge(
        people[1],
        people[2],
        "Knows",
        props(&[("note", too_long.clone())]),
    );
    assert!(is_too_long(&r), "{r:?}");
    let r = tx.set_edge_property(e, "note", too_long.clone());
    assert!(is_too_long(&r), "{r:?}");
    // Still usable: a value that fits goes in and is found.
    let ok = tx
        .create_node(&["Person"], props(&[("bio", fits.clone())]))
        .unwrap();
    tx.commit().unwrap();

    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), people.len() as u64 + 2);
    assert_eq!(r.edge_count().unwrap(), 1);
    assert_eq!(
        ids(r
            .nodes_where("Person", "bio", &Condition::Eq(fits))
            .unwrap()),
        vec![ok]
    );
    assert_eq!(
        ids(r.nodes_with_label("Person").unwrap()).len(),
        people.len() + 1
    );
    assert_eq!(
        r.node_labels(other).unwrap(),
        Some(vec!["Robot".to_string()])
    );
    drop(r);
    assert!(g.check().unwrap().is_clean());

    // An index over data that holds such a value is refused, and not left half built.
    let mut tx = g.begin_write().unwrap();
    let r = tx.create_index(IndexSpec::on_label("Robot", "bio"));
    assert!(
        matches!(&r, Err(GraphError::Invalid { field: "indexed value", reason }) if reason.contains("Robot_bio")),
        "{r:?}"
    );
    assert_eq!(tx.indexes().unwrap().len(), 2);
    tx.create_edge(people[2], people[3], "Likes", props(&[("note", too_long)]))
        .unwrap();
    let r = tx.create_index(IndexSpec::on_edge_type("Likes", "note"));
    assert!(
        matches!(&r, Err(GraphError::Invalid { field: "indexed value", reason }) if reason.contains("Likes_note")),
        "{r:?}"
    );
    assert_eq!(tx.indexes().unwrap().len(), 2);
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
}

/// A unique equality reads its hits from one leaf without a cursor: a malformed entry
/// among them is an error, and the good hit before it is not handed out either.
#[test]
fn a_malformed_entry_beside_a_unique_hit_is_an_error_not_a_hit() {
    for keep_good in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.pgdb");
        {
            let g = Graph::open(&path).unwrap();
            people(&g);
            let mut tx = g.begin_write().unwrap();
            tx.create_index(IndexSpec::on_label("Person", "name").unique())
                .unwrap();
            tx.commit().unwrap();
            let r = g.begin_read().unwrap();
            let ada = Condition::Eq(V::String("ada".into()));
            assert_eq!(
                ids(r.nodes_where("Person", "name", &ada).unwrap()),
                vec![NodeId(1)]
            );
            drop(r);
            g.close().unwrap();
        }
        let db = Database::open(&path, StorageOptions::default()).unwrap();
        let mut tx = db.begin_write().unwrap();
        // "ada" sorts first: her entry, then the same bytes with two more (no entry
        // decodes with bytes after its id), in her equality range.
        let good = first_key(&mut tx, "g.ix.1");
        let mut bad = good.clone();
        bad.extend_from_slice(&[0xff, 0xff]);
        tx.tree("g.ix.1").unwrap().insert(&bad, &[]).unwrap();
        if !keep_good {
            tx.tree("g.ix.1").unwrap().remove(&good).unwrap();
        }
        tx.commit().unwrap();
        db.close().unwrap();
        let g = Graph::open(&path).unwrap();
        let r = g.begin_read().unwrap();
        let results: Vec<_> = r
            .nodes_where("Person", "name", &Condition::Eq(V::String("ada".into())))
            .unwrap()
            .collect();
        assert!(
            matches!(results.as_slice(), [Err(GraphError::Corrupt { .. })]),
            "keep_good {keep_good}: {results:?}"
        );
        // Another name's lookup is untouched by the damage.
        let bob = Condition::Eq(V::String("bob".into()));
        assert_eq!(
            ids(r.nodes_where("Person", "name", &bob).unwrap()),
            vec![NodeId(2)]
        );
    }
}

#[test]
fn a_catalog_entry_that_does_not_decode_is_an_error() {
    let (_dir, g) = damaged(|tx| {
        tx.tree("g.idx")
            .unwrap()
            .insert(&1u32.to_be_bytes(), &[9, 9])
            .unwrap();
    });
    let r = g.begin_read().unwrap();
    assert!(matches!(r.indexes(), Err(GraphError::Corrupt { .. })));
    assert!(g.begin_write().is_err());
    assert!(g.check().is_err() || !g.check().unwrap().is_clean());
}

#[test]
fn a_newer_graph_format_is_refused_and_never_misread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    Graph::open(&path).unwrap().close().unwrap();
    let db = Database::open(&path, StorageOptions::default()).unwrap();
    let mut tx = db.begin_write().unwrap();
    tx.tree("g.meta")
        .unwrap()
        .insert(b"format", &99u64.to_be_bytes())
        .unwrap();
    tx.commit().unwrap();
    db.close().unwrap();
    let err = Graph::open(&path).unwrap_err();
    assert!(
        matches!(err, GraphError::UnsupportedFormat { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade pagegraph"), "{err}");
}
