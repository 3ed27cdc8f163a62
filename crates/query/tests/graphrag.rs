//! The Cypher that GraphRAG, agent-memory and code-graph tools send to their embedded
//! store, run on small fixtures and checked against answers computed by hand.
//!
//! Each query string is copied from the tool named above it (repository and path in a
//! comment), with the tool's own string interpolation done by hand (labels, depths,
//! limits) and realistic parameters. A query that needs a change to run here says so in a
//! `REWRITE:` comment; the differences are listed in `docs/cypher.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::doc_markdown,
    reason = "tests: one function per tool's fixture or query group; labels and relationship \
              types named in prose"
)]

use std::collections::BTreeMap;

use pagegraph::Graph;
use pagegraph_query::{QueryError, QueryResult, Value, execute};

fn run(g: &Graph, text: &str, params: &[(&str, Value)]) -> QueryResult {
    let params: BTreeMap<String, Value> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    execute(g, text, &params).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn rows(g: &Graph, text: &str, params: &[(&str, Value)]) -> Vec<Vec<Value>> {
    run(g, text, params).rows
}

/// The rows, sorted (for queries whose order is not specified).
fn sorted(mut r: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    r.sort_by_key(|row| format!("{row:?}"));
    r
}

/// The first column of every row.
fn col(r: &[Vec<Value>]) -> Vec<Value> {
    r.iter().map(|row| row[0].clone()).collect()
}

/// A column picked by name.
fn column(r: &QueryResult, name: &str) -> Vec<Value> {
    let i = r
        .columns
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", r.columns));
    r.rows.iter().map(|row| row[i].clone()).collect()
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn i(v: i64) -> Value {
    Value::Int(v)
}

fn f(v: f64) -> Value {
    Value::Float(v)
}

fn ss(v: &[&str]) -> Value {
    Value::List(v.iter().map(|x| s(x)).collect())
}

fn fs(v: &[f64]) -> Value {
    Value::List(v.iter().map(|x| f(*x)).collect())
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// A property of a node or relationship value, read back with a query.
fn prop(g: &Graph, v: &Value, key: &str) -> Value {
    let (pattern, id) = match v {
        Value::Node(n) => ("MATCH (x)", n.0),
        Value::Rel(r) => ("MATCH ()-[x]->()", r.0),
        other => panic!("not an element: {other:?}"),
    };
    let text = format!("{pattern} WHERE id(x) = $id RETURN x.`{key}`");
    rows(g, &text, &[("id", i(i64::try_from(id).unwrap()))])[0][0].clone()
}

fn count(g: &Graph, text: &str) -> i64 {
    match rows(g, text, &[])[0][0] {
        Value::Int(n) => n,
        ref other => panic!("{text}: not a count: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Graphiti (getzep/graphiti), Kùzu driver: graphiti_core/driver/kuzu_driver.py and the
// query strings it runs from graphiti_core/models/{nodes,edges}/*_db_queries.py and
// graphiti_core/driver/kuzu/operations/*.py. Kùzu has no relationship properties with a
// full-text index, so Graphiti stores an entity edge as a `RelatesToNode_` node between
// two `RELATES_TO` relationships. Timestamps are passed as ISO-8601 strings.
// ---------------------------------------------------------------------------------------

// graphiti_core/models/nodes/node_db_queries.py, get_episode_node_save_query (KUZU)
const GRAPHITI_EPISODE_SAVE: &str = "
    MERGE (n:Episodic {uuid: $uuid})
    SET
        n.name = $name,
        n.group_id = $group_id,
        n.created_at = $created_at,
        n.source = $source,
        n.source_description = $source_description,
        n.content = $content,
        n.valid_at = $valid_at,
        n.entity_edges = $entity_edges
    RETURN n.uuid AS uuid";

// graphiti_core/models/nodes/node_db_queries.py, get_entity_node_save_query (KUZU)
const GRAPHITI_ENTITY_SAVE: &str = "
    MERGE (n:Entity {uuid: $uuid})
    SET
        n.name = $name,
        n.group_id = $group_id,
        n.labels = $labels,
        n.created_at = $created_at,
        n.name_embedding = $name_embedding,
        n.summary = $summary,
        n.attributes = $attributes
    WITH n
    RETURN n.uuid AS uuid";

// graphiti_core/models/nodes/node_db_queries.py, get_community_node_save_query (KUZU)
const GRAPHITI_COMMUNITY_SAVE: &str = "
    MERGE (n:Community {uuid: $uuid})
    SET
        n.name = $name,
        n.group_id = $group_id,
        n.created_at = $created_at,
        n.name_embedding = $name_embedding,
        n.summary = $summary
    RETURN n.uuid AS uuid";

// graphiti_core/models/edges/edge_db_queries.py, get_episodic_edge_save_bulk_query (KUZU)
const GRAPHITI_MENTION_SAVE: &str = "
    MATCH (episode:Episodic {uuid: $source_node_uuid})
    MATCH (node:Entity {uuid: $target_node_uuid})
    MERGE (episode)-[e:MENTIONS {uuid: $uuid}]->(node)
    SET
        e.group_id = $group_id,
        e.created_at = $created_at
    RETURN e.uuid AS uuid";

// graphiti_core/models/edges/edge_db_queries.py, get_entity_edge_save_query (KUZU)
const GRAPHITI_ENTITY_EDGE_SAVE: &str = "
    MATCH (source:Entity {uuid: $source_uuid})
    MATCH (target:Entity {uuid: $target_uuid})
    MERGE (source)-[:RELATES_TO]->(e:RelatesToNode_ {uuid: $uuid})-[:RELATES_TO]->(target)
    SET
        e.group_id = $group_id,
        e.created_at = $created_at,
        e.name = $name,
        e.fact = $fact,
        e.fact_embedding = $fact_embedding,
        e.episodes = $episodes,
        e.expired_at = $expired_at,
        e.valid_at = $valid_at,
        e.invalid_at = $invalid_at,
        e.reference_time = $reference_time,
        e.attributes = $attributes
    RETURN e.uuid AS uuid";

// graphiti_core/models/edges/edge_db_queries.py, get_community_edge_save_query (KUZU)
const GRAPHITI_COMMUNITY_EDGE_SAVE: &str = "
    MATCH (community:Community {uuid: $community_uuid})
    MATCH (node:Entity {uuid: $entity_uuid})
    MERGE (community)-[e:HAS_MEMBER {uuid: $uuid}]->(node)
    SET
        e.group_id = $group_id,
        e.created_at = $created_at
    RETURN e.uuid AS uuid
    UNION
    MATCH (community:Community {uuid: $community_uuid})
    MATCH (node:Community {uuid: $entity_uuid})
    MERGE (community)-[e:HAS_MEMBER {uuid: $uuid}]->(node)
    SET
        e.group_id = $group_id,
        e.created_at = $created_at
    RETURN e.uuid AS uuid";

// graphiti_core/models/nodes/node_db_queries.py, get_entity_node_return_query (KUZU)
const GRAPHITI_ENTITY_RETURN: &str = "
    n.uuid AS uuid,
    n.name AS name,
    n.group_id AS group_id,
    n.labels AS labels,
    n.created_at AS created_at,
    n.summary AS summary,
    n.attributes AS attributes";

// graphiti_core/models/edges/edge_db_queries.py, get_entity_edge_return_query (KUZU)
const GRAPHITI_EDGE_RETURN: &str = "
    e.uuid AS uuid,
    n.uuid AS source_node_uuid,
    m.uuid AS target_node_uuid,
    e.group_id AS group_id,
    e.created_at AS created_at,
    e.name AS name,
    e.fact AS fact,
    e.episodes AS episodes,
    e.expired_at AS expired_at,
    e.valid_at AS valid_at,
    e.invalid_at AS invalid_at,
    e.reference_time AS reference_time,
    e.attributes AS attributes";

// graphiti_core/models/nodes/node_db_queries.py, EPISODIC_NODE_RETURN
const GRAPHITI_EPISODE_RETURN: &str = "
    e.uuid AS uuid,
    e.name AS name,
    e.group_id AS group_id,
    e.created_at AS created_at,
    e.source AS source,
    e.source_description AS source_description,
    e.content AS content,
    e.valid_at AS valid_at,
    e.entity_edges AS entity_edges";

// graphiti_core/models/nodes/node_db_queries.py, COMMUNITY_NODE_RETURN
const GRAPHITI_COMMUNITY_RETURN: &str = "
    c.uuid AS uuid,
    c.name AS name,
    c.group_id AS group_id,
    c.created_at AS created_at,
    c.name_embedding AS name_embedding,
    c.summary AS summary";

/// Entities Alice, Bob, Acme (group g1) and Zed (g2); episodes ep-1..3 (g1) mentioning
/// them; facts r-1 Alice WORKS_AT Acme, r-2 Bob KNOWS Alice, r-3 Bob WORKS_AT Acme; a
/// community c-1 with members Alice and Bob. All written with Graphiti's own save queries.
fn graphiti() -> Graph {
    let g = Graph::in_memory().unwrap();
    let t0 = "2024-01-01T00:00:00Z";
    for (uuid, name, group, labels, emb) in [
        (
            "n-alice",
            "Alice",
            "g1",
            &["Entity", "Person"][..],
            [1.0, 0.0, 0.0],
        ),
        (
            "n-bob",
            "Bob",
            "g1",
            &["Entity", "Person"][..],
            [0.6, 0.8, 0.0],
        ),
        (
            "n-acme",
            "Acme",
            "g1",
            &["Entity", "Organization"][..],
            [0.0, 0.0, 1.0],
        ),
        ("n-zed", "Zed", "g2", &["Entity"][..], [1.0, 0.0, 0.0]),
    ] {
        let r = rows(
            &g,
            GRAPHITI_ENTITY_SAVE,
            &[
                ("uuid", s(uuid)),
                ("name", s(name)),
                ("group_id", s(group)),
                ("labels", ss(labels)),
                ("created_at", s(t0)),
                ("name_embedding", fs(&emb)),
                ("summary", s(&format!("{name} summary"))),
                ("attributes", s("{}")),
            ],
        );
        assert_eq!(r, vec![vec![s(uuid)]]);
    }
    for (uuid, valid_at, content, edges) in [
        (
            "ep-1",
            "2024-01-01T00:00:00Z",
            "Alice joined Acme.",
            &["r-1"][..],
        ),
        (
            "ep-2",
            "2024-02-01T00:00:00Z",
            "Bob met Alice.",
            &["r-2"][..],
        ),
        (
            "ep-3",
            "2024-03-01T00:00:00Z",
            "Bob joined Acme.",
            &["r-3"][..],
        ),
    ] {
        let r = rows(
            &g,
            GRAPHITI_EPISODE_SAVE,
            &[
                ("uuid", s(uuid)),
                ("name", s(&format!("episode {uuid}"))),
                ("group_id", s("g1")),
                ("created_at", s(valid_at)),
                ("source", s("message")),
                ("source_description", s("chat")),
                ("content", s(content)),
                ("valid_at", s(valid_at)),
                ("entity_edges", ss(edges)),
            ],
        );
        assert_eq!(r, vec![vec![s(uuid)]]);
    }
    for (uuid, episode, entity) in [
        ("m-1", "ep-1", "n-alice"),
        ("m-2", "ep-1", "n-acme"),
        ("m-3", "ep-2", "n-bob"),
        ("m-4", "ep-2", "n-alice"),
        ("m-5", "ep-3", "n-bob"),
        ("m-6", "ep-3", "n-acme"),
    ] {
        let r = rows(
            &g,
            GRAPHITI_MENTION_SAVE,
            &[
                ("source_node_uuid", s(episode)),
                ("target_node_uuid", s(entity)),
                ("uuid", s(uuid)),
                ("group_id", s("g1")),
                ("created_at", s(t0)),
            ],
        );
        assert_eq!(r, vec![vec![s(uuid)]]);
    }
    for (uuid, src, dst, name, fact, emb, episode) in [
        (
            "r-1",
            "n-alice",
            "n-acme",
            "WORKS_AT",
            "Alice works at Acme",
            [1.0, 0.0, 0.0],
            "ep-1",
        ),
        (
            "r-2",
            "n-bob",
            "n-alice",
            "KNOWS",
            "Bob knows Alice",
            [0.0, 1.0, 0.0],
            "ep-2",
        ),
        (
            "r-3",
            "n-bob",
            "n-acme",
            "WORKS_AT",
            "Bob works at Acme",
            [0.6, 0.8, 0.0],
            "ep-3",
        ),
    ] {
        let r = rows(
            &g,
            GRAPHITI_ENTITY_EDGE_SAVE,
            &[
                ("source_uuid", s(src)),
                ("target_uuid", s(dst)),
                ("uuid", s(uuid)),
                ("group_id", s("g1")),
                ("created_at", s(t0)),
                ("name", s(name)),
                ("fact", s(fact)),
                ("fact_embedding", fs(&emb)),
                ("episodes", ss(&[episode])),
                ("expired_at", Value::Null),
                ("valid_at", s(t0)),
                ("invalid_at", Value::Null),
                ("reference_time", s(t0)),
                ("attributes", s("{}")),
            ],
        );
        assert_eq!(r, vec![vec![s(uuid)]]);
    }
    let r = rows(
        &g,
        GRAPHITI_COMMUNITY_SAVE,
        &[
            ("uuid", s("c-1")),
            ("name", s("Acme staff")),
            ("group_id", s("g1")),
            ("created_at", s(t0)),
            ("name_embedding", fs(&[0.0, 0.0, 1.0])),
            ("summary", s("people at Acme")),
        ],
    );
    assert_eq!(r, vec![vec![s("c-1")]]);
    for (uuid, member) in [("h-1", "n-alice"), ("h-2", "n-bob")] {
        // The member is an Entity, so the second branch of the UNION matches nothing.
        let r = rows(
            &g,
            GRAPHITI_COMMUNITY_EDGE_SAVE,
            &[
                ("community_uuid", s("c-1")),
                ("entity_uuid", s(member)),
                ("uuid", s(uuid)),
                ("group_id", s("g1")),
                ("created_at", s(t0)),
            ],
        );
        assert_eq!(r, vec![vec![s(uuid)]]);
    }
    g
}

#[test]
fn graphiti_saves_are_idempotent_upserts() {
    let g = graphiti();
    assert_eq!(count(&g, "MATCH (n:Entity) RETURN count(n)"), 4);
    assert_eq!(count(&g, "MATCH (n:RelatesToNode_) RETURN count(n)"), 3);
    assert_eq!(count(&g, "MATCH ()-[r:RELATES_TO]->() RETURN count(r)"), 6);
    assert_eq!(count(&g, "MATCH ()-[r:MENTIONS]->() RETURN count(r)"), 6);
    assert_eq!(count(&g, "MATCH ()-[r:HAS_MEMBER]->() RETURN count(r)"), 2);
    // Saving an entity edge again matches the existing path and updates it in place.
    let r = rows(
        &g,
        GRAPHITI_ENTITY_EDGE_SAVE,
        &[
            ("source_uuid", s("n-bob")),
            ("target_uuid", s("n-alice")),
            ("uuid", s("r-2")),
            ("group_id", s("g1")),
            ("created_at", s("2024-01-01T00:00:00Z")),
            ("name", s("KNOWS")),
            ("fact", s("Bob knows Alice well")),
            ("fact_embedding", fs(&[0.0, 1.0, 0.0])),
            ("episodes", ss(&["ep-2", "ep-3"])),
            ("expired_at", Value::Null),
            ("valid_at", s("2024-01-01T00:00:00Z")),
            ("invalid_at", s("2024-06-01T00:00:00Z")),
            ("reference_time", s("2024-01-01T00:00:00Z")),
            ("attributes", s("{}")),
        ],
    );
    assert_eq!(r, vec![vec![s("r-2")]]);
    assert_eq!(count(&g, "MATCH (n:RelatesToNode_) RETURN count(n)"), 3);
    assert_eq!(
        rows(
            &g,
            "MATCH (e:RelatesToNode_ {uuid: 'r-2'}) RETURN e.fact, e.episodes, e.invalid_at",
            &[]
        ),
        vec![vec![
            s("Bob knows Alice well"),
            ss(&["ep-2", "ep-3"]),
            s("2024-06-01T00:00:00Z")
        ]]
    );
    // Saving an entity again with new values: still one node, new summary.
    rows(
        &g,
        GRAPHITI_ENTITY_SAVE,
        &[
            ("uuid", s("n-zed")),
            ("name", s("Zed")),
            ("group_id", s("g2")),
            ("labels", ss(&["Entity"])),
            ("created_at", s("2024-01-01T00:00:00Z")),
            ("name_embedding", fs(&[1.0, 0.0, 0.0])),
            ("summary", s("Zed, updated")),
            ("attributes", s("{}")),
        ],
    );
    assert_eq!(count(&g, "MATCH (n:Entity) RETURN count(n)"), 4);
    assert_eq!(
        rows(&g, "MATCH (n:Entity {uuid: 'n-zed'}) RETURN n.summary", &[]),
        vec![vec![s("Zed, updated")]]
    );
}

#[test]
fn graphiti_node_reads() {
    let g = graphiti();
    // graphiti_core/driver/kuzu/operations/entity_node_ops.py, get_by_uuid
    let text = format!("MATCH (n:Entity {{uuid: $uuid}}) RETURN {GRAPHITI_ENTITY_RETURN}");
    let r = run(&g, &text, &[("uuid", s("n-alice"))]);
    assert_eq!(
        r.columns,
        [
            "uuid",
            "name",
            "group_id",
            "labels",
            "created_at",
            "summary",
            "attributes"
        ]
    );
    assert_eq!(
        r.rows,
        vec![vec![
            s("n-alice"),
            s("Alice"),
            s("g1"),
            ss(&["Entity", "Person"]),
            s("2024-01-01T00:00:00Z"),
            s("Alice summary"),
            s("{}")
        ]]
    );

    // entity_node_ops.py, get_by_uuids
    let text = format!("MATCH (n:Entity) WHERE n.uuid IN $uuids RETURN {GRAPHITI_ENTITY_RETURN}");
    let r = run(
        &g,
        &text,
        &[("uuids", ss(&["n-acme", "n-alice", "n-missing"]))],
    );
    assert_eq!(
        sorted(column(&r, "name").into_iter().map(|v| vec![v]).collect()),
        vec![vec![s("Acme")], vec![s("Alice")]]
    );

    // entity_node_ops.py, get_by_group_ids (no cursor)
    let text = format!(
        "MATCH (n:Entity) WHERE n.group_id IN $group_ids RETURN {GRAPHITI_ENTITY_RETURN} ORDER BY n.uuid DESC"
    );
    let r = run(&g, &text, &[("group_ids", ss(&["g1"]))]);
    assert_eq!(
        column(&r, "uuid"),
        vec![s("n-bob"), s("n-alice"), s("n-acme")]
    );
    // ... with a cursor and a limit, as the next page is asked for
    let text = format!(
        "MATCH (n:Entity) WHERE n.group_id IN $group_ids AND n.uuid < $uuid RETURN {GRAPHITI_ENTITY_RETURN} ORDER BY n.uuid DESC LIMIT $limit"
    );
    let r = run(
        &g,
        &text,
        &[
            ("group_ids", ss(&["g1"])),
            ("uuid", s("n-bob")),
            ("limit", i(1)),
        ],
    );
    assert_eq!(column(&r, "uuid"), vec![s("n-alice")]);

    // entity_node_ops.py, load_name_embedding
    let r = rows(
        &g,
        "MATCH (n:Entity {uuid: $uuid}) RETURN n.name_embedding AS name_embedding",
        &[("uuid", s("n-bob"))],
    );
    assert_eq!(r, vec![vec![fs(&[0.6, 0.8, 0.0])]]);

    // entity_node_ops.py, load_name_embeddings
    let r = rows(
        &g,
        "MATCH (n:Entity) WHERE n.uuid IN $uuids
         RETURN DISTINCT n.uuid AS uuid, n.name_embedding AS name_embedding",
        &[("uuids", ss(&["n-acme", "n-zed"]))],
    );
    assert_eq!(
        sorted(r),
        vec![
            vec![s("n-acme"), fs(&[0.0, 0.0, 1.0])],
            vec![s("n-zed"), fs(&[1.0, 0.0, 0.0])]
        ]
    );

    // graph_ops.py, get_group_ids
    let r = rows(
        &g,
        "MATCH (n:Entity) WHERE n.group_id IS NOT NULL RETURN collect(DISTINCT n.group_id) AS group_ids",
        &[],
    );
    let Value::List(mut ids) = r[0][0].clone() else {
        panic!("{r:?}")
    };
    ids.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(ids, vec![s("g1"), s("g2")]);
}

#[test]
fn graphiti_episode_reads() {
    let g = graphiti();
    // episode_node_ops.py, get_by_entity_node_uuid
    let text = format!(
        "MATCH (e:Episodic)-[r:MENTIONS]->(n:Entity {{uuid: $entity_node_uuid}}) RETURN DISTINCT {GRAPHITI_EPISODE_RETURN}"
    );
    let r = run(&g, &text, &[("entity_node_uuid", s("n-alice"))]);
    assert_eq!(
        sorted(r.rows.iter().map(|row| vec![row[0].clone()]).collect()),
        vec![vec![s("ep-1")], vec![s("ep-2")]]
    );
    assert_eq!(r.columns.len(), 9);

    // episode_node_ops.py, retrieve_episodes (no saga)
    let text = format!(
        "MATCH (e:Episodic) WHERE e.valid_at <= $reference_time
         RETURN {GRAPHITI_EPISODE_RETURN} ORDER BY e.valid_at DESC LIMIT $num_episodes"
    );
    let r = run(
        &g,
        &text,
        &[
            ("reference_time", s("2024-02-15T00:00:00Z")),
            ("num_episodes", i(5)),
        ],
    );
    assert_eq!(column(&r, "uuid"), vec![s("ep-2"), s("ep-1")]);
    assert_eq!(column(&r, "entity_edges"), vec![ss(&["r-2"]), ss(&["r-1"])]);

    // episode_node_ops.py, get_by_uuids
    let text = format!(
        "MATCH (e:Episodic) WHERE e.uuid IN $uuids RETURN DISTINCT {GRAPHITI_EPISODE_RETURN}"
    );
    let r = run(&g, &text, &[("uuids", ss(&["ep-3"]))]);
    assert_eq!(column(&r, "content"), vec![s("Bob joined Acme.")]);
}

#[test]
fn graphiti_edge_reads() {
    let g = graphiti();
    // entity_edge_ops.py, get_by_uuid
    let text = format!(
        "MATCH (n:Entity)-[:RELATES_TO]->(e:RelatesToNode_ {{uuid: $uuid}})-[:RELATES_TO]->(m:Entity)
         RETURN {GRAPHITI_EDGE_RETURN}"
    );
    let r = run(&g, &text, &[("uuid", s("r-2"))]);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(column(&r, "source_node_uuid"), vec![s("n-bob")]);
    assert_eq!(column(&r, "target_node_uuid"), vec![s("n-alice")]);
    assert_eq!(column(&r, "fact"), vec![s("Bob knows Alice")]);
    assert_eq!(column(&r, "episodes"), vec![ss(&["ep-2"])]);
    assert_eq!(column(&r, "invalid_at"), vec![Value::Null]);

    // entity_edge_ops.py, get_between_nodes
    let text = format!(
        "MATCH (n:Entity {{uuid: $source_node_uuid}})-[:RELATES_TO]->(e:RelatesToNode_)-[:RELATES_TO]->(m:Entity {{uuid: $target_node_uuid}})
         RETURN {GRAPHITI_EDGE_RETURN}"
    );
    let r = run(
        &g,
        &text,
        &[
            ("source_node_uuid", s("n-bob")),
            ("target_node_uuid", s("n-acme")),
        ],
    );
    assert_eq!(column(&r, "uuid"), vec![s("r-3")]);
    // Direction matters: nothing from Acme to Bob.
    let r = run(
        &g,
        &text,
        &[
            ("source_node_uuid", s("n-acme")),
            ("target_node_uuid", s("n-bob")),
        ],
    );
    assert!(r.rows.is_empty());

    // entity_edge_ops.py, get_by_node_uuid
    let text = format!(
        "MATCH (n:Entity {{uuid: $node_uuid}})-[:RELATES_TO]->(e:RelatesToNode_)-[:RELATES_TO]->(m:Entity)
         RETURN {GRAPHITI_EDGE_RETURN}"
    );
    let r = run(&g, &text, &[("node_uuid", s("n-bob"))]);
    assert_eq!(
        sorted(column(&r, "uuid").into_iter().map(|v| vec![v]).collect()),
        vec![vec![s("r-2")], vec![s("r-3")]]
    );

    // entity_edge_ops.py, get_by_group_ids (no cursor)
    let text = format!(
        "MATCH (n:Entity)-[:RELATES_TO]->(e:RelatesToNode_)-[:RELATES_TO]->(m:Entity)
         WHERE e.group_id IN $group_ids
         RETURN {GRAPHITI_EDGE_RETURN} ORDER BY e.uuid DESC"
    );
    let r = run(&g, &text, &[("group_ids", ss(&["g1"]))]);
    assert_eq!(column(&r, "uuid"), vec![s("r-3"), s("r-2"), s("r-1")]);

    // entity_edge_ops.py, load_fact_embeddings
    let r = rows(
        &g,
        "MATCH (n:Entity)-[:RELATES_TO]->(e:RelatesToNode_)-[:RELATES_TO]->(m:Entity)
         WHERE e.uuid IN $edge_uuids
         RETURN DISTINCT e.uuid AS uuid, e.fact_embedding AS fact_embedding",
        &[("edge_uuids", ss(&["r-1", "r-3"]))],
    );
    assert_eq!(
        sorted(r),
        vec![
            vec![s("r-1"), fs(&[1.0, 0.0, 0.0])],
            vec![s("r-3"), fs(&[0.6, 0.8, 0.0])]
        ]
    );
}

#[test]
fn graphiti_graph_maintenance_reads() {
    let g = graphiti();
    // graph_ops.py, get_mentioned_nodes count query
    let q = "MATCH (n:Entity {group_id: $group_id, uuid: $uuid})-[:RELATES_TO]->(:RelatesToNode_)-[:RELATES_TO]-(m:Entity {group_id: $group_id})
             WITH count(*) AS count, m.uuid AS uuid
             RETURN
                 uuid,
                 count";
    // From Bob: r-2 leads to Alice, r-3 to Acme; the way back over Bob's own
    // RELATES_TO is excluded by relationship uniqueness.
    let r = rows(&g, q, &[("group_id", s("g1")), ("uuid", s("n-bob"))]);
    assert_eq!(
        sorted(r),
        vec![vec![s("n-acme"), i(1)], vec![s("n-alice"), i(1)]]
    );

    // graph_ops.py, communities of an entity
    let text = format!(
        "MATCH (c:Community)-[:HAS_MEMBER]->(n:Entity {{uuid: $entity_uuid}}) RETURN {GRAPHITI_COMMUNITY_RETURN}"
    );
    let r = run(&g, &text, &[("entity_uuid", s("n-bob"))]);
    assert_eq!(column(&r, "uuid"), vec![s("c-1")]);
    assert_eq!(column(&r, "name_embedding"), vec![fs(&[0.0, 0.0, 1.0])]);

    // graph_ops.py, communities of the neighbours of an entity: Alice (r-1) and Bob (r-3)
    // both reach Acme, and both are members of c-1.
    let text = format!(
        "MATCH (c:Community)-[:HAS_MEMBER]->(m:Entity)-[:RELATES_TO]->(:RelatesToNode_)-[:RELATES_TO]-(n:Entity {{uuid: $entity_uuid}})
         RETURN {GRAPHITI_COMMUNITY_RETURN}"
    );
    let r = run(&g, &text, &[("entity_uuid", s("n-acme"))]);
    assert_eq!(column(&r, "uuid"), vec![s("c-1"), s("c-1")]);

    // graph_ops.py, communities of several entities
    let text = format!(
        "MATCH (c:Community)-[:HAS_MEMBER]->(m:Entity) WHERE m.uuid IN $uuids RETURN DISTINCT {GRAPHITI_COMMUNITY_RETURN}"
    );
    let r = run(&g, &text, &[("uuids", ss(&["n-alice", "n-bob"]))]);
    assert_eq!(column(&r, "uuid"), vec![s("c-1")]);

    // search_ops.py, node_distance_reranker
    let q = "MATCH (center:Entity {uuid: $center_uuid})-[:RELATES_TO]->(:RelatesToNode_)-[:RELATES_TO]-(n:Entity {uuid: $node_uuid})
             RETURN 1 AS score, n.uuid AS uuid";
    assert_eq!(
        rows(
            &g,
            q,
            &[("center_uuid", s("n-bob")), ("node_uuid", s("n-alice"))]
        ),
        vec![vec![i(1), s("n-alice")]]
    );
    assert!(
        rows(
            &g,
            q,
            &[("center_uuid", s("n-alice")), ("node_uuid", s("n-bob"))]
        )
        .is_empty()
    );
}

#[test]
fn graphiti_searches() {
    let g = graphiti();
    // search_ops.py, node_bfs_search from an Episodic origin
    let text = format!(
        "MATCH (origin:Episodic {{uuid: $origin_uuid}})-[:MENTIONS]->(n:Entity)
         WHERE n.group_id = origin.group_id
         RETURN {GRAPHITI_ENTITY_RETURN} LIMIT $limit"
    );
    let r = run(&g, &text, &[("origin_uuid", s("ep-1")), ("limit", i(10))]);
    assert_eq!(
        sorted(column(&r, "uuid").into_iter().map(|v| vec![v]).collect()),
        vec![vec![s("n-acme")], vec![s("n-alice")]]
    );

    // search_ops.py, node_bfs_search from an Entity origin, max_depth 2 (doubled: 2..4).
    // Paths from Bob: Bob-r2-Alice, Bob-r3-Acme, Bob-r2-Alice-r1-Acme.
    let text = format!(
        "MATCH (origin:Entity {{uuid: $origin_uuid}})-[:RELATES_TO*2..4]->(n:Entity)
         WHERE n.group_id = origin.group_id
         RETURN {GRAPHITI_ENTITY_RETURN} LIMIT $limit"
    );
    let r = run(&g, &text, &[("origin_uuid", s("n-bob")), ("limit", i(10))]);
    assert_eq!(
        sorted(column(&r, "uuid").into_iter().map(|v| vec![v]).collect()),
        vec![vec![s("n-acme")], vec![s("n-acme")], vec![s("n-alice")]]
    );

    // search_ops.py, edge_bfs_search from an Episodic origin
    let text = format!(
        "MATCH (origin:Episodic {{uuid: $origin_uuid}})-[:MENTIONS]->(start:Entity)-[:RELATES_TO]->(e:RelatesToNode_)-[:RELATES_TO]->(m:Entity)
         MATCH (n:Entity)-[:RELATES_TO]->(e)
         RETURN DISTINCT {GRAPHITI_EDGE_RETURN} LIMIT $limit"
    );
    // ep-2 mentions Bob (r-2, r-3) and Alice (r-1).
    let r = run(&g, &text, &[("origin_uuid", s("ep-2")), ("limit", i(10))]);
    assert_eq!(
        sorted(column(&r, "uuid").into_iter().map(|v| vec![v]).collect()),
        vec![vec![s("r-1")], vec![s("r-2")], vec![s("r-3")]]
    );

    // search_ops.py, edge_bfs_search from an Entity origin, max_depth 2 (doubled: 2..4).
    // An odd number of hops reaches a RelatesToNode_, so only 3 hops count here:
    // Bob-r2-Alice-r1.
    let text = format!(
        "MATCH (origin:Entity {{uuid: $origin_uuid}})-[:RELATES_TO*2..4]->(e:RelatesToNode_)
         MATCH (n:Entity)-[:RELATES_TO]->(e)-[:RELATES_TO]->(m:Entity)
         RETURN DISTINCT {GRAPHITI_EDGE_RETURN} LIMIT $limit"
    );
    let r = run(&g, &text, &[("origin_uuid", s("n-bob")), ("limit", i(10))]);
    assert_eq!(column(&r, "uuid"), vec![s("r-1")]);

    // search_ops.py, node_similarity_search, with the vector cast to its length.
    let text = format!(
        "MATCH (n:Entity) WHERE n.group_id IN $group_ids
         WITH n, array_cosine_similarity(n.name_embedding, CAST($search_vector AS FLOAT[3])) AS score
         WHERE score > $min_score
         RETURN {GRAPHITI_ENTITY_RETURN}
         ORDER BY score DESC
         LIMIT $limit"
    );
    let r = run(
        &g,
        &text,
        &[
            ("group_ids", ss(&["g1"])),
            ("search_vector", fs(&[1.0, 0.0, 0.0])),
            ("min_score", f(0.5)),
            ("limit", i(10)),
        ],
    );
    // Alice scores 1.0, Bob 0.6, Acme 0.0.
    assert_eq!(column(&r, "uuid"), vec![s("n-alice"), s("n-bob")]);

    // search_ops.py, edge_similarity_search
    let text = format!(
        "MATCH (n:Entity)-[:RELATES_TO]->(e:RelatesToNode_)-[:RELATES_TO]->(m:Entity)
         WHERE e.group_id IN $group_ids
         WITH DISTINCT e, n, m, array_cosine_similarity(e.fact_embedding, CAST($search_vector AS FLOAT[3])) AS score
         WHERE score > $min_score
         RETURN {GRAPHITI_EDGE_RETURN}
         ORDER BY score DESC
         LIMIT $limit"
    );
    let r = run(
        &g,
        &text,
        &[
            ("group_ids", ss(&["g1"])),
            ("search_vector", fs(&[0.0, 1.0, 0.0])),
            ("min_score", f(0.5)),
            ("limit", i(10)),
        ],
    );
    // r-2 scores 1.0, r-3 0.8, r-1 0.0.
    assert_eq!(column(&r, "uuid"), vec![s("r-2"), s("r-3")]);

    // search_ops.py, community_similarity_search
    let text = format!(
        "MATCH (c:Community) WHERE c.group_id IN $group_ids
         WITH c, array_cosine_similarity(c.name_embedding, CAST($search_vector AS FLOAT[3])) AS score
         WHERE score > $min_score
         RETURN {GRAPHITI_COMMUNITY_RETURN}
         ORDER BY score DESC
         LIMIT $limit"
    );
    let r = run(
        &g,
        &text,
        &[
            ("group_ids", ss(&["g1"])),
            ("search_vector", fs(&[0.0, 0.6, 0.8])),
            ("min_score", f(0.5)),
            ("limit", i(10)),
        ],
    );
    assert_eq!(column(&r, "uuid"), vec![s("c-1")]);
}

#[test]
fn graphiti_deletes() {
    let g = graphiti();
    // entity_edge_ops.py, delete
    run(
        &g,
        "MATCH (n:Entity)-[:RELATES_TO]->(e:RelatesToNode_ {uuid: $uuid})-[:RELATES_TO]->(m:Entity)
         DETACH DELETE e",
        &[("uuid", s("r-3"))],
    );
    assert_eq!(count(&g, "MATCH (n:RelatesToNode_) RETURN count(n)"), 2);
    assert_eq!(count(&g, "MATCH ()-[r:RELATES_TO]->() RETURN count(r)"), 4);

    // entity_node_ops.py, delete: the cleanup of the node's facts, then the node.
    run(
        &g,
        "MATCH (n:Entity {uuid: $uuid})-[:RELATES_TO]->(r:RelatesToNode_)
         DETACH DELETE r",
        &[("uuid", s("n-alice"))],
    );
    run(
        &g,
        "MATCH (n:Entity {uuid: $uuid})
         DETACH DELETE n",
        &[("uuid", s("n-alice"))],
    );
    // r-1 went with Alice's cleanup; r-2 (Bob's) stays, cut off from Alice.
    assert_eq!(
        col(&rows(&g, "MATCH (e:RelatesToNode_) RETURN e.uuid", &[])),
        vec![s("r-2")]
    );
    assert_eq!(count(&g, "MATCH ()-[r:RELATES_TO]->() RETURN count(r)"), 1);
    assert_eq!(count(&g, "MATCH ()-[r:MENTIONS]->() RETURN count(r)"), 4);

    // episode_node_ops.py, delete_by_uuids
    run(
        &g,
        "MATCH (n:Episodic)
         WHERE n.uuid IN $uuids
         DETACH DELETE n",
        &[("uuids", ss(&["ep-1", "ep-9"]))],
    );
    assert_eq!(count(&g, "MATCH (n:Episodic) RETURN count(n)"), 2);

    // entity_node_ops.py, delete_by_group_id
    run(
        &g,
        "MATCH (n:Entity {group_id: $group_id})
         DETACH DELETE n",
        &[("group_id", s("g2"))],
    );
    assert_eq!(
        sorted(rows(&g, "MATCH (n:Entity) RETURN n.uuid", &[])),
        vec![vec![s("n-acme")], vec![s("n-bob")]]
    );

    // community_edge_ops.py, delete
    run(
        &g,
        "MATCH (n:Community)-[e:HAS_MEMBER {uuid: $uuid}]->(m)
         DELETE e",
        &[("uuid", s("h-2"))],
    );
    assert_eq!(count(&g, "MATCH ()-[r:HAS_MEMBER]->() RETURN count(r)"), 0);

    // graph_ops.py, clear_data for a group
    run(
        &g,
        "MATCH (n:Episodic)
         WHERE n.group_id IN $group_ids
         DETACH DELETE n",
        &[("group_ids", ss(&["g1"]))],
    );
    assert_eq!(count(&g, "MATCH (n:Episodic) RETURN count(n)"), 0);
}

// ---------------------------------------------------------------------------------------
// LlamaIndex (run-llama/llama_index), Kùzu property graph store:
// llama-index-integrations/graph_stores/llama-index-graph-stores-kuzu/llama_index/
// graph_stores/kuzu/kuzu_property_graph.py (the default schema: node table `Entity`,
// relationship table `LINKS` with a `label` property, `Chunk` nodes and `MENTIONS`).
// ---------------------------------------------------------------------------------------

// kuzu_property_graph.py, upsert_nodes (chunks).
// REWRITE: `date($creation_date)` and `date($last_modified_date)` become the parameters
// themselves (dates kept as ISO-8601 strings, as this test was first written; the
// original form runs too: tests/temporal.rs).
const LLAMA_CHUNK_UPSERT: &str = "
    MERGE (c:Chunk {id: $id})
      SET c.text = $text,
          c.label = $label,
          c.embedding = $embedding,
          c.ref_doc_id = $ref_doc_id,
          c.creation_date = $creation_date,
          c.last_modified_date = $last_modified_date,
          c.file_name = $file_name,
          c.file_path = $file_path,
          c.file_size = $file_size,
          c.file_type = $file_type";

// kuzu_property_graph.py, upsert_nodes (entities), with the label `Entity`; same REWRITE.
const LLAMA_ENTITY_UPSERT: &str = "
    MERGE (e:Entity {id: $id})
    SET e.label = $label,
        e.name = $name,
        e.creation_date = $creation_date,
        e.last_modified_date = $last_modified_date,
        e.file_name = $file_name,
        e.file_path = $file_path,
        e.file_size = $file_size,
        e.file_type = $file_type,
        e.triplet_source_id = $triplet_source_id";

// kuzu_property_graph.py, upsert_relations (src, rel_tbl_name, dst = Entity, LINKS, Entity)
const LLAMA_RELATION_UPSERT: &str = "
    MATCH (a:Entity {id: $source_id}),
          (b:Entity {id: $target_id})
    MERGE (a)-[r:LINKS {label: $label}]->(b)
        SET r.triplet_source_id = $triplet_source_id";

// kuzu_property_graph.py, upsert_relations (chunks to entities)
const LLAMA_CHUNK_MENTIONS: &str = "
    MATCH (a:Entity {id: $source_id}),
            (b:Entity {id: $target_id}),
            (c:Chunk {id: $triplet_source_id})
    MERGE (c)-[:MENTIONS]->(a)
    MERGE (c)-[:MENTIONS]->(b)";

/// Chunks c1 (about Alice, Acme and Bob) and c2 (Bob and Acme); entities Alice, Bob
/// (PERSON) and Acme (ORGANIZATION); relations Alice WORKS_AT Acme and Bob KNOWS Alice
/// (from c1), Bob WORKS_AT Acme (from c2). Written with the store's own upserts, some twice.
fn llama() -> Graph {
    let g = Graph::in_memory().unwrap();
    for (id, text, emb, file) in [
        (
            "c1",
            "Alice works at Acme. Bob knows Alice.",
            [1.0, 0.0, 0.0],
            "a.txt",
        ),
        ("c2", "Bob works at Acme.", [0.0, 1.0, 0.0], "b.txt"),
    ] {
        run(
            &g,
            LLAMA_CHUNK_UPSERT,
            &[
                ("id", s(id)),
                ("text", s(text)),
                ("label", s("text_chunk")),
                ("embedding", fs(&emb)),
                ("ref_doc_id", s("doc-1")),
                ("creation_date", s("2024-05-01")),
                ("last_modified_date", s("2024-05-02")),
                ("file_name", s(file)),
                ("file_path", s(&format!("data/{file}"))),
                ("file_size", i(120)),
                ("file_type", s("text/plain")),
            ],
        );
    }
    for (name, label, source) in [
        ("Alice", "PERSON", "c1"),
        ("Bob", "PERSON", "c1"),
        ("Acme", "ORGANIZATION", "c1"),
        ("Bob", "PERSON", "c2"),
        ("Acme", "ORGANIZATION", "c2"),
    ] {
        run(
            &g,
            LLAMA_ENTITY_UPSERT,
            &[
                ("id", s(name)),
                ("label", s(label)),
                ("name", s(name)),
                ("creation_date", Value::Null),
                ("last_modified_date", Value::Null),
                ("file_name", Value::Null),
                ("file_path", Value::Null),
                ("file_size", Value::Null),
                ("file_type", Value::Null),
                ("triplet_source_id", s(source)),
            ],
        );
    }
    for (src, label, dst, chunk) in [
        ("Alice", "WORKS_AT", "Acme", "c1"),
        ("Bob", "KNOWS", "Alice", "c1"),
        ("Bob", "WORKS_AT", "Acme", "c2"),
        ("Bob", "WORKS_AT", "Acme", "c2"),
    ] {
        let p = [
            ("source_id", s(src)),
            ("target_id", s(dst)),
            ("triplet_source_id", s(chunk)),
            ("label", s(label)),
        ];
        run(&g, LLAMA_RELATION_UPSERT, &p);
        run(&g, LLAMA_CHUNK_MENTIONS, &p[..3]);
    }
    g
}

#[test]
fn llama_index_upserts_merge() {
    let g = llama();
    // kuzu_property_graph.py, _create_vector_index row count
    assert_eq!(count(&g, "MATCH (n:Chunk) RETURN COUNT(n)"), 2);
    assert_eq!(count(&g, "MATCH (n:Entity) RETURN COUNT(n)"), 3);
    assert_eq!(count(&g, "MATCH ()-[r:LINKS]->() RETURN count(r)"), 3);
    // c1 mentions Alice, Acme and Bob (Alice twice, merged); c2 mentions Bob and Acme.
    assert_eq!(count(&g, "MATCH ()-[r:MENTIONS]->() RETURN count(r)"), 5);
    // The second upsert of Bob moved his triplet_source_id to c2; nulls set nothing.
    assert_eq!(
        rows(
            &g,
            "MATCH (e:Entity {id: 'Bob'}) RETURN e.triplet_source_id, e.file_name, keys(e)",
            &[]
        ),
        vec![vec![
            s("c2"),
            Value::Null,
            ss(&["id", "label", "name", "triplet_source_id"])
        ]]
    );

    // kuzu_property_graph.py, get_schema
    let r = rows(
        &g,
        "MATCH ()-[r:LINKS]->() RETURN distinct r.label AS label;",
        &[],
    );
    assert_eq!(sorted(r), vec![vec![s("KNOWS")], vec![s("WORKS_AT")]]);
}

#[test]
fn llama_index_reads() {
    let g = llama();
    // kuzu_property_graph.py, get_triplets with entity names
    let r = run(
        &g,
        "MATCH (e)-[r]->(t) WHERE e.name in $entity_names AND e.label <> 'text_chunk' RETURN * LIMIT 100;",
        &[("entity_names", ss(&["Bob"]))],
    );
    assert_eq!(r.columns, ["e", "r", "t"]);
    let mut got: Vec<(Value, Value)> = r
        .rows
        .iter()
        .map(|row| (prop(&g, &row[1], "label"), prop(&g, &row[2], "id")))
        .collect();
    got.sort_by_key(|p| format!("{p:?}"));
    assert_eq!(
        got,
        vec![(s("KNOWS"), s("Alice")), (s("WORKS_AT"), s("Acme"))]
    );

    // get_triplets with entity and relation names
    let r = rows(
        &g,
        "MATCH (e)-[r]->(t) WHERE e.name in $entity_names AND r.label in $relation_names AND e.label <> 'text_chunk' RETURN * LIMIT 100;",
        &[
            ("entity_names", ss(&["Alice", "Bob"])),
            ("relation_names", ss(&["WORKS_AT"])),
        ],
    );
    let mut got: Vec<Value> = r.iter().map(|row| prop(&g, &row[0], "id")).collect();
    got.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(got, vec![s("Alice"), s("Bob")]);

    // get_triplets without filters: the chunks' MENTIONS are left out by their label.
    let r = rows(
        &g,
        "MATCH (e)-[r]->(t) WHERE e.label <> 'text_chunk' RETURN * LIMIT 100;",
        &[],
    );
    assert_eq!(r.len(), 3);

    // get_rel_map.
    // REWRITE: Kùzu's recursive-pattern filter `-[rel*1..2 (r, n | WHERE r.label <> "MENTIONS")]->`
    // becomes `-[rel*1..2]->` with `WHERE all(r IN rel WHERE r.label <> "MENTIONS")`.
    let q = "MATCH (e)
             WHERE e.id IN $ids
             MATCH (e)-[rel*1..2]->(other)
             WHERE all(r IN rel WHERE r.label <> \"MENTIONS\")
             RETURN *
             LIMIT 30;";
    // From Bob: KNOWS Alice, KNOWS Alice then WORKS_AT Acme, WORKS_AT Acme.
    let r = run(&g, q, &[("ids", ss(&["Bob"]))]);
    assert_eq!(r.columns, ["e", "other", "rel"]);
    let mut got: Vec<(Value, i64)> = r
        .rows
        .iter()
        .map(|row| {
            let Value::List(rels) = &row[2] else {
                panic!("{row:?}")
            };
            (prop(&g, &row[1], "id"), i64::try_from(rels.len()).unwrap())
        })
        .collect();
    got.sort_by_key(|p| format!("{p:?}"));
    assert_eq!(got, vec![(s("Acme"), 1), (s("Acme"), 2), (s("Alice"), 1)]);
    // From a chunk every first step is a MENTIONS, which has no label: nothing.
    assert!(rows(&g, q, &[("ids", ss(&["c1"]))]).is_empty());

    // vector_query.
    // REWRITE: `CALL QUERY_VECTOR_INDEX('Chunk', 'chunk_embedding_index', $query_embedding,
    // $top_k) RETURN node.id as id, distance ORDER BY distance` becomes a scan that
    // computes the cosine distance.
    let r = rows(
        &g,
        "MATCH (node:Chunk)
         WITH node, 1 - array_cosine_similarity(node.embedding, $query_embedding) AS distance
         RETURN node.id as id, distance
         ORDER BY distance
         LIMIT $top_k",
        &[("query_embedding", fs(&[0.6, 0.8, 0.0])), ("top_k", i(5))],
    );
    assert_eq!(col(&r), vec![s("c2"), s("c1")]);
    let Value::Float(d) = r[0][1] else {
        panic!("{r:?}")
    };
    assert!((d - 0.2).abs() < 1e-12, "{d}");

    // get (by ids).
    // REWRITE: Kùzu's `RETURN e.*` (one column per property) becomes
    // `RETURN properties(e) AS e`.
    let r = rows(
        &g,
        "MATCH (e) WHERE e.id in $ids RETURN properties(e) AS e",
        &[("ids", ss(&["c2"]))],
    );
    let Value::Map(m) = &r[0][0] else {
        panic!("{r:?}")
    };
    assert_eq!(m["text"], s("Bob works at Acme."));
    assert_eq!(m["file_size"], i(120));
}

#[test]
fn llama_index_deletes() {
    let g = llama();
    // kuzu_property_graph.py, delete by relation name (src, dst = Entity, Entity)
    run(
        &g,
        "MATCH (:Entity)-[r {label: $label}]->(:Entity)
         DELETE r",
        &[("label", s("KNOWS"))],
    );
    assert_eq!(count(&g, "MATCH ()-[r:LINKS]->() RETURN count(r)"), 2);

    // delete by properties
    run(
        &g,
        "MATCH (e) WHERE e.`file_name` = $property_0 DETACH DELETE e",
        &[("property_0", s("b.txt"))],
    );
    assert_eq!(
        rows(&g, "MATCH (c:Chunk) RETURN c.id", &[]),
        vec![vec![s("c1")]]
    );

    // delete by entity names
    run(
        &g,
        "MATCH (n) WHERE n.name IN $entity_names DETACH DELETE n",
        &[("entity_names", ss(&["Acme"]))],
    );
    // delete by ids
    run(
        &g,
        "MATCH (n) WHERE n.id IN $ids DETACH DELETE n",
        &[("ids", ss(&["c1"]))],
    );
    assert_eq!(
        sorted(rows(&g, "MATCH (n) RETURN n.id", &[])),
        vec![vec![s("Alice")], vec![s("Bob")]]
    );
    assert_eq!(count(&g, "MATCH ()-[r]->() RETURN count(r)"), 0);
}

// LlamaIndex's older Kùzu graph store: llama-index-integrations/graph_stores/
// llama-index-graph-stores-kuzu/llama_index/graph_stores/kuzu/base.py, with its default
// tables `entity` and `links`.
#[test]
fn llama_index_triplet_store() {
    let g = Graph::in_memory().unwrap();
    let exists = |e: &str| {
        !rows(
            &g,
            "MATCH (n:entity) WHERE n.ID = $entity RETURN n.ID",
            &[("entity", s(e))],
        )
        .is_empty()
    };
    let rel_exists = |a: &str, b: &str, p: &str| {
        !rows(
            &g,
            "MATCH (n1:entity)-[r:links]->(n2:entity) WHERE n1.ID = $subj AND n2.ID = $obj AND r.predicate = $pred RETURN r.predicate",
            &[("subj", s(a)), ("obj", s(b)), ("pred", s(p))],
        )
        .is_empty()
    };
    // upsert_triplet, as base.py runs it
    let upsert = |a: &str, p: &str, b: &str| {
        let (sa, sb) = (exists(a), exists(b));
        for (e, there) in [(a, sa), (b, sb)] {
            if !there {
                run(&g, "CREATE (n:entity {ID: $entity})", &[("entity", s(e))]);
            }
        }
        if sa && sb && rel_exists(a, b, p) {
            return;
        }
        run(
            &g,
            "MATCH (n1:entity), (n2:entity) WHERE n1.ID = $subj AND n2.ID = $obj CREATE (n1)-[r:links {predicate: $pred}]->(n2)",
            &[("subj", s(a)), ("obj", s(b)), ("pred", s(p))],
        );
    };
    upsert("alice", "knows", "bob");
    upsert("bob", "likes", "carol");
    upsert("alice", "knows", "bob");
    upsert("alice", "met", "bob");
    assert_eq!(count(&g, "MATCH (n:entity) RETURN count(n)"), 3);
    assert_eq!(count(&g, "MATCH ()-[r:links]->() RETURN count(r)"), 3);

    // get
    let r = rows(
        &g,
        "MATCH (n1:entity)-[r:links]->(n2:entity)
            WHERE n1.ID = $subj
            RETURN r.predicate, n2.ID;",
        &[("subj", s("alice"))],
    );
    assert_eq!(
        sorted(r),
        vec![vec![s("knows"), s("bob")], vec![s("met"), s("bob")]]
    );

    // get_rel_map, with the subjects as positional parameters $0, $1
    let r = run(
        &g,
        "MATCH (n1:entity)-[r:links*1..2]->(n2:entity) WHERE n1.ID = $0 OR n1.ID = $1 RETURN n1, r, n2 LIMIT 30",
        &[("0", s("alice")), ("1", s("carol"))],
    );
    // alice-knows-bob, alice-met-bob, and each of them then bob-likes-carol.
    let mut got: Vec<(Value, usize)> = r
        .rows
        .iter()
        .map(|row| {
            let Value::List(rels) = &row[1] else {
                panic!("{row:?}")
            };
            (prop(&g, &row[2], "ID"), rels.len())
        })
        .collect();
    got.sort_by_key(|p| format!("{p:?}"));
    assert_eq!(
        got,
        vec![
            (s("bob"), 1),
            (s("bob"), 1),
            (s("carol"), 2),
            (s("carol"), 2)
        ]
    );

    // delete: the relationship, then each end left without edges
    let del = |a: &str, p: &str, b: &str| {
        run(
            &g,
            "MATCH (n1:entity)-[r:links]->(n2:entity) WHERE n1.ID = $subj AND n2.ID = $obj AND r.predicate = $pred DELETE r",
            &[("subj", s(a)), ("obj", s(b)), ("pred", s(p))],
        );
        for e in [a, b] {
            let edges = rows(
                &g,
                "MATCH (n1:entity)-[r:links]-(n2:entity) WHERE n2.ID = $entity RETURN r.predicate",
                &[("entity", s(e))],
            );
            if edges.is_empty() {
                run(
                    &g,
                    "MATCH (n:entity) WHERE n.ID = $entity DELETE n",
                    &[("entity", s(e))],
                );
            }
        }
    };
    del("bob", "likes", "carol");
    assert_eq!(
        sorted(rows(&g, "MATCH (n:entity) RETURN n.ID", &[])),
        vec![vec![s("alice")], vec![s("bob")]]
    );
    del("alice", "knows", "bob");
    del("alice", "met", "bob");
    assert_eq!(count(&g, "MATCH (n:entity) RETURN count(n)"), 0);
}

// ---------------------------------------------------------------------------------------
// kuzu-memory (bobmatnyc/kuzu-memory): src/kuzu_memory/storage/query_builder.py,
// src/kuzu_memory/recall/strategies.py, src/kuzu_memory/enrichment/*.py. Kùzu's
// `TIMESTAMP($x)` casts an ISO-8601 string to a timestamp; here timestamps stay ISO-8601
// strings, which compare in time order when written the same way.
// REWRITE (every query below that has one): `TIMESTAMP($x)` becomes `$x` (timestamps kept
// as strings, as this test was first written; the original forms, `TIMESTAMP($x)` and
// `timestamp('1970-01-01 00:00:00')`, run too: tests/temporal.rs).
// ---------------------------------------------------------------------------------------

// query_builder.py, store_memory_in_database (new memory); REWRITE as above.
const MEMORY_CREATE: &str = "
    CREATE (m:Memory {
        id: $id,
        content: $content,
        content_hash: $content_hash,
        source_type: $source,
        memory_type: $memory_type,
        knowledge_type: $knowledge_type,
        project_tag: $project_tag,
        importance: $importance,
        confidence: $confidence,
        access_count: $access_count,
        created_at: $created_at,
        valid_from: CASE WHEN $valid_from IS NOT NULL THEN $valid_from ELSE NULL END,
        valid_to: CASE WHEN $expires_at IS NOT NULL THEN $expires_at ELSE NULL END,
        accessed_at: CASE WHEN $accessed_at IS NOT NULL THEN $accessed_at ELSE NULL END,
        user_id: $user_id,
        session_id: $session_id,
        agent_id: $agent_id,
        metadata: $metadata
    })
    RETURN m";

// query_builder.py, store_memory_entities; REWRITE as above.
const MEMORY_ENTITY_MERGE: &str = "
    MERGE (e:Entity {id: $id})
    ON CREATE SET e.name = $name,
                 e.entity_type = $entity_type,
                 e.normalized_name = $normalized_name,
                 e.first_seen = $created_at,
                 e.last_seen = $created_at,
                 e.mention_count = 1
    ON MATCH SET e.mention_count = COALESCE(e.mention_count, 0) + 1,
                e.last_seen = $created_at
    RETURN e";

// query_builder.py, store_memory_entities (unchanged)
const MEMORY_MENTION_MERGE: &str = "
    MATCH (m:Memory {id: $memory_id})
    MATCH (e:Entity {id: $entity_id})
    MERGE (m)-[r:MENTIONS]->(e)
    ON CREATE SET r.confidence = $confidence,
                 r.extraction_method = $extraction_method
    RETURN r";

/// Memories mem-1 (preference, Alice and Rust), mem-2 (procedure, Deploy and Rust) and
/// mem-3 (episodic, Alice and Rust, expired on 2024-05-04); RELATES_TO mem-1 -> mem-3
/// (0.5, shared_entity), mem-2 -> mem-3 (0.25, temporal), mem-1 -> mem-2 (1.0, semantic).
fn kuzu_memory() -> Graph {
    let g = Graph::in_memory().unwrap();
    for (id, content, kind, importance, created, expires, entities) in [
        (
            "mem-1",
            "Alice prefers Rust for systems work",
            "preference",
            0.9,
            "2024-05-01T10:00:00",
            None,
            &["Alice", "Rust"][..],
        ),
        (
            "mem-2",
            "Deploy runs on Fridays, built with Rust",
            "procedure",
            0.7,
            "2024-05-03T10:00:00",
            None,
            &["Deploy", "Rust"][..],
        ),
        (
            "mem-3",
            "Alice shared a temporary Rust token",
            "episodic",
            0.3,
            "2024-05-02T10:00:00",
            Some("2024-05-04T00:00:00"),
            &["Alice", "Rust"][..],
        ),
    ] {
        let r = rows(
            &g,
            MEMORY_CREATE,
            &[
                ("id", s(id)),
                ("content", s(content)),
                ("content_hash", s(&format!("hash-{id}"))),
                ("source", s("conversation")),
                ("memory_type", s(kind)),
                ("knowledge_type", s("note")),
                ("project_tag", s("")),
                ("importance", f(importance)),
                ("confidence", f(1.0)),
                ("access_count", i(0)),
                ("created_at", s(created)),
                ("valid_from", s(created)),
                ("expires_at", expires.map_or(Value::Null, s)),
                ("accessed_at", Value::Null),
                ("user_id", s("u1")),
                ("session_id", s("s1")),
                ("agent_id", s("default")),
                ("metadata", s("{}")),
            ],
        );
        assert_eq!(r.len(), 1);
        for name in entities {
            let entity_id = format!("ent-{}", name.to_lowercase());
            rows(
                &g,
                MEMORY_ENTITY_MERGE,
                &[
                    ("id", s(&entity_id)),
                    ("name", s(name)),
                    ("entity_type", s("concept")),
                    ("normalized_name", s(&name.to_lowercase())),
                    ("created_at", s(created)),
                ],
            );
            let r = rows(
                &g,
                MEMORY_MENTION_MERGE,
                &[
                    ("memory_id", s(id)),
                    ("entity_id", s(&entity_id)),
                    ("confidence", f(0.8)),
                    ("extraction_method", s("pattern")),
                ],
            );
            assert_eq!(r.len(), 1);
        }
    }
    run(
        &g,
        "MATCH (a:Memory {id: 'mem-1'}), (b:Memory {id: 'mem-2'}), (c:Memory {id: 'mem-3'})
         CREATE (a)-[:RELATES_TO {weight: 0.5, relationship_type: 'shared_entity'}]->(c),
                (b)-[:RELATES_TO {weight: 0.25, relationship_type: 'temporal'}]->(c),
                (a)-[:RELATES_TO {weight: 1.0, relationship_type: 'semantic'}]->(b)",
        &[],
    );
    g
}

#[test]
fn kuzu_memory_store() {
    let g = kuzu_memory();
    // Rust was merged three times, Alice twice, Deploy once; last_seen is the latest save.
    let r = rows(
        &g,
        "MATCH (e:Entity) RETURN e.name, e.mention_count, e.first_seen, e.last_seen ORDER BY e.name",
        &[],
    );
    assert_eq!(
        r,
        vec![
            vec![
                s("Alice"),
                i(2),
                s("2024-05-01T10:00:00"),
                s("2024-05-02T10:00:00")
            ],
            vec![
                s("Deploy"),
                i(1),
                s("2024-05-03T10:00:00"),
                s("2024-05-03T10:00:00")
            ],
            vec![
                s("Rust"),
                i(3),
                s("2024-05-01T10:00:00"),
                s("2024-05-02T10:00:00")
            ],
        ]
    );
    assert_eq!(count(&g, "MATCH ()-[r:MENTIONS]->() RETURN count(r)"), 6);
    // A memory saved with no expiry has no valid_to at all.
    assert_eq!(
        rows(
            &g,
            "MATCH (m:Memory {id: 'mem-1'}) RETURN m.valid_to, m.importance",
            &[]
        ),
        vec![vec![Value::Null, f(0.9)]]
    );

    // query_builder.py, store_memory_in_database: the content-hash dedup check
    let q = "MATCH (m:Memory {content_hash: $h}) RETURN m.id LIMIT 1";
    assert_eq!(
        rows(&g, q, &[("h", s("hash-mem-2"))]),
        vec![vec![s("mem-2")]]
    );
    assert!(rows(&g, q, &[("h", s("hash-none"))]).is_empty());

    // query_builder.py, store_memory_in_database (update); REWRITE as above.
    let r = rows(
        &g,
        "MATCH (m:Memory {id: $id})
         SET m.content = $content,
             m.importance = $importance,
             m.valid_to = CASE WHEN $expires_at IS NOT NULL THEN $expires_at ELSE NULL END,
             m.access_count = $access_count
         RETURN m",
        &[
            ("id", s("mem-2")),
            (
                "content",
                s("Deploy runs on Fridays and Mondays, built with Rust"),
            ),
            ("importance", f(0.8)),
            ("expires_at", Value::Null),
            ("access_count", i(2)),
        ],
    );
    assert_eq!(prop(&g, &r[0][0], "access_count"), i(2));
    assert_eq!(prop(&g, &r[0][0], "importance"), f(0.8));
}

#[test]
fn kuzu_memory_recall() {
    let g = kuzu_memory();
    let now = "2024-05-05T00:00:00";
    let ids =
        |r: &[Vec<Value>]| -> Vec<Value> { r.iter().map(|row| prop(&g, &row[0], "id")).collect() };

    // query_builder.py, get_existing_memories_for_deduplication (unchanged)
    let r = rows(
        &g,
        "MATCH (m:Memory)
         WHERE m.created_at >= $cutoff_date AND m.source_type = $source_type AND ANY(word IN $search_words WHERE LOWER(m.content) CONTAINS word)
         RETURN m
         ORDER BY m.created_at DESC
         LIMIT 100",
        &[
            ("cutoff_date", s("2024-05-01T12:00:00")),
            ("source_type", s("conversation")),
            ("search_words", ss(&["alice", "fridays"])),
        ],
    );
    // mem-1 is older than the cutoff; mem-2 has "fridays", mem-3 "alice".
    assert_eq!(ids(&r), vec![s("mem-2"), s("mem-3")]);

    // query_builder.py, get_memory_by_id; REWRITE as above.
    let q = "MATCH (m:Memory {id: $memory_id})
             WHERE m.valid_to IS NULL OR m.valid_to > $now
             RETURN m";
    assert_eq!(
        ids(&rows(&g, q, &[("memory_id", s("mem-1")), ("now", s(now))])),
        vec![s("mem-1")]
    );
    assert!(rows(&g, q, &[("memory_id", s("mem-3")), ("now", s(now))]).is_empty());

    // query_builder.py, get_recent_memories with a memory_type filter; REWRITE as above.
    let r = rows(
        &g,
        "MATCH (m:Memory)
         WHERE m.memory_type = $memory_type AND (m.valid_to IS NULL OR m.valid_to > $now)
         RETURN m
         ORDER BY m.created_at DESC
         LIMIT $limit",
        &[
            ("memory_type", s("procedure")),
            ("now", s(now)),
            ("limit", i(10)),
        ],
    );
    assert_eq!(ids(&r), vec![s("mem-2")]);

    // query_builder.py, get_memory_statistics; REWRITE as above.
    let r = rows(
        &g,
        "MATCH (m:Memory)
         WHERE m.valid_to IS NULL OR m.valid_to > $now
         RETURN m.memory_type as type, count(m) as count
         ORDER BY count DESC",
        &[("now", s(now))],
    );
    assert_eq!(
        sorted(r),
        vec![vec![s("preference"), i(1)], vec![s("procedure"), i(1)]]
    );
    let r = rows(
        &g,
        "MATCH (m:Memory)
         WHERE m.created_at >= $week_ago AND (m.valid_to IS NULL OR m.valid_to > $now)
         RETURN count(m) as recent_count",
        &[("now", s(now)), ("week_ago", s("2024-05-02T00:00:00"))],
    );
    assert_eq!(r, vec![vec![i(1)]]);

    // recall/strategies.py, entity recall; REWRITE as above.
    let r = rows(
        &g,
        "MATCH (e:Entity)-[:MENTIONS]-(m:Memory)
         WHERE e.normalized_name IN $entity_names
         AND (m.valid_to IS NULL OR m.valid_to > $current_time)
         AND m.user_id = $user_id
         RETURN DISTINCT m
         ORDER BY m.importance DESC, m.created_at DESC
         LIMIT $limit",
        &[
            ("entity_names", ss(&["alice", "rust"])),
            ("current_time", s(now)),
            ("user_id", s("u1")),
            ("limit", i(10)),
        ],
    );
    assert_eq!(ids(&r), vec![s("mem-1"), s("mem-2")]);

    // recall/strategies.py, graph traversal from seeds (unchanged)
    let r = rows(
        &g,
        "MATCH (seed:Memory)-[r:RELATES_TO]->(related:Memory)
         WHERE seed.id IN $seed_ids
           AND related.id NOT IN $seed_ids
         RETURN DISTINCT related,
                SUM(r.weight) AS total_weight,
                MAX(r.relationship_type) AS rel_type
         ORDER BY total_weight DESC
         LIMIT $limit",
        &[("seed_ids", ss(&["mem-1", "mem-2"])), ("limit", i(10))],
    );
    assert_eq!(r.len(), 1);
    assert_eq!(prop(&g, &r[0][0], "id"), s("mem-3"));
    assert_eq!(r[0][1..], [f(0.75), s("temporal")]);

    // enrichment/tfidf_keyword.py, active memories.
    // REWRITE: `timestamp('1970-01-01 00:00:00')` becomes '1970-01-01 00:00:00'.
    let r = rows(
        &g,
        "MATCH (m:Memory)
         WHERE m.valid_to IS NULL OR m.valid_to > '1970-01-01 00:00:00'
         RETURN m.id AS id, m.content AS content",
        &[],
    );
    assert_eq!(r.len(), 3);
}

#[test]
fn kuzu_memory_enrichment_and_cleanup() {
    let g = kuzu_memory();
    // enrichment/entity_cooccurrence.py, the three steps (unchanged)
    run(
        &g,
        "MATCH (e1:Entity)<-[:MENTIONS]-(m:Memory)-[:MENTIONS]->(e2:Entity)
         WHERE e1.name < e2.name
         MERGE (e1)-[:CO_OCCURS_WITH]->(e2)",
        &[],
    );
    assert_eq!(
        count(&g, "MATCH ()-[r:CO_OCCURS_WITH]->() RETURN COUNT(r) AS cnt"),
        2
    );
    run(
        &g,
        "MATCH (e1:Entity)-[r:CO_OCCURS_WITH]->(e2:Entity)
         MATCH (e1)<-[:MENTIONS]-(m:Memory)-[:MENTIONS]->(e2)
         WITH r, COUNT(m) AS cocount
         SET r.weight = cocount",
        &[],
    );
    assert_eq!(
        rows(
            &g,
            "MATCH (a)-[r:CO_OCCURS_WITH]->(b) RETURN a.name, b.name, r.weight ORDER BY a.name",
            &[]
        ),
        vec![
            vec![s("Alice"), s("Rust"), i(2)],
            vec![s("Deploy"), s("Rust"), i(1)]
        ]
    );

    // query_builder.py, cleanup_expired_memories; REWRITE as above. mem-3 has four
    // relationships (two MENTIONS, two RELATES_TO in), so four rows are counted.
    let r = rows(
        &g,
        "MATCH (m:Memory)
         WHERE m.valid_to IS NOT NULL AND m.valid_to <= $now
         WITH m
         OPTIONAL MATCH (m)-[r]-()
         DELETE r, m
         RETURN count(m) as deleted_count",
        &[("now", s("2024-05-05T00:00:00"))],
    );
    assert_eq!(r, vec![vec![i(4)]]);
    assert_eq!(
        sorted(rows(&g, "MATCH (m:Memory) RETURN m.id", &[])),
        vec![vec![s("mem-1")], vec![s("mem-2")]]
    );
    assert_eq!(count(&g, "MATCH ()-[r:MENTIONS]->() RETURN count(r)"), 4);
}

// ---------------------------------------------------------------------------------------
// The additions these tools need, on their own: `NOT IN` (Kùzu), the vector functions of
// Kùzu and Neo4j, `lower` and `upper`.
// ---------------------------------------------------------------------------------------

#[test]
fn not_in_is_the_negation_of_in() {
    let g = Graph::in_memory().unwrap();
    assert_eq!(
        rows(
            &g,
            "RETURN 3 NOT IN [1, 2] AS a, 1 NOT IN [1, 2] AS b, 3 NOT IN [1, null] AS c,
                    null NOT IN [] AS d, true AND 2 NOT IN [2] AS e",
            &[]
        ),
        vec![vec![
            Value::Bool(true),
            Value::Bool(false),
            Value::Null,
            Value::Bool(true),
            Value::Bool(false)
        ]]
    );
}

#[test]
fn kuzu_cast() {
    let g = Graph::in_memory().unwrap();
    let one = |q: &str| rows(&g, &format!("RETURN {q}"), &[])[0][0].clone();
    assert_eq!(one("CAST([1, 2.5] AS FLOAT[2])"), fs(&[1.0, 2.5]));
    assert_eq!(one("cast(null AS DOUBLE[])"), Value::Null);
    assert_eq!(one("CAST('42' AS INT64) + 1"), i(43));
    assert_eq!(one("CAST(2.5 AS INT32)"), i(3));
    assert_eq!(one("CAST(-2.5 AS INT64)"), i(-3));
    assert_eq!(one("CAST(7 AS STRING)"), s("7"));
    assert_eq!(one("CAST(1.5, 'STRING')"), s("1.5"));
    assert_eq!(one("CAST(' TRUE ' AS BOOLEAN)"), Value::Bool(true));
    assert_eq!(
        one("CAST(['1', null] AS INT8[])"),
        Value::List(vec![i(1), Value::Null])
    );
    assert_eq!(one("CAST(null AS STRING)"), Value::Null);
    for bad in [
        "RETURN CAST([1, 2] AS FLOAT[3])",
        "RETURN CAST('x' AS INT64)",
        "RETURN CAST(300 AS INT8)",
        "RETURN CAST(-1 AS UINT64)",
        "RETURN CAST(1 AS FLOAT[])",
        "RETURN CAST(true AS DOUBLE)",
        "RETURN CAST('2024-01-01' AS DATE)",
        "RETURN CAST(1, 2)",
        "RETURN CAST(1 AS)",
    ] {
        assert!(
            execute(&g, bad, &BTreeMap::new()).is_err(),
            "{bad} should fail"
        );
    }
}

#[test]
fn vector_functions() {
    let g = Graph::in_memory().unwrap();
    let one = |q: &str| rows(&g, &format!("RETURN {q}"), &[])[0][0].clone();
    let close = |q: &str, want: f64| {
        let Value::Float(x) = one(q) else {
            panic!("{q}: not a float")
        };
        assert!((x - want).abs() < 1e-12, "{q}: {x}, want {want}");
    };
    close("array_cosine_similarity([1, 0], [0.6, 0.8])", 0.6);
    close("array_cosine_similarity([1.0, 1.0], [-2.0, -2.0])", -1.0);
    close("ARRAY_INNER_PRODUCT([1, 2, 3], [4, 5, 6])", 32.0);
    close("array_dot_product([1, 2], [3, 4])", 11.0);
    close("array_distance([0, 0], [3, 4])", 5.0);
    close("array_squared_distance([0, 0], [3, 4])", 25.0);
    close("vector.similarity.cosine([1, 0], [0, 1])", 0.5);
    close("vector.similarity.euclidean([0, 0], [3, 4])", 1.0 / 26.0);
    assert_eq!(one("array_cosine_similarity(null, [1.0])"), Value::Null);
    assert_eq!(one("array_distance([1, null], [1, 2])"), Value::Null);
    assert_eq!(one("array_cosine_similarity([0, 0], [1, 2])"), Value::Null);
    assert_eq!(one("lower('AbC') + upper('dE')"), s("abcDE"));
    for bad in [
        "RETURN array_distance([1, 2], [1, 2, 3])",
        "RETURN array_cosine_similarity('a', [1])",
        "RETURN array_inner_product([1, 'x'], [1, 2])",
        "RETURN array_distance([1])",
    ] {
        assert!(
            execute(&g, bad, &BTreeMap::new()).is_err(),
            "{bad} should fail"
        );
    }
}

// ---------------------------------------------------------------------------------------
// code-graph-rag (vitali87/code-graph-rag), written for Memgraph (Neo4j's Cypher):
// codebase_rag/cypher_queries.py and codebase_rag/constants/graph.py. Nodes and
// relationships are written in batches by the tool's query builders wrapped in
// `UNWIND $batch AS row` (wrap_with_unwind), with labels filled in by hand below.
// ---------------------------------------------------------------------------------------

fn batch(g: &Graph, query: &str, rows_in: Vec<Value>) -> QueryResult {
    // cypher_queries.py, wrap_with_unwind
    run(
        g,
        &format!("UNWIND $batch AS row\n{query}"),
        &[("batch", Value::List(rows_in))],
    )
}

fn node_row(id: &str, props: &[(&str, Value)]) -> Value {
    map(&[("id", s(id)), ("props", map(props))])
}

fn rel_row(from: &str, to: &str, props: &[(&str, Value)]) -> Value {
    map(&[
        ("from_val", s(from)),
        ("to_val", s(to)),
        ("props", map(props)),
    ])
}

/// Project proj: modules proj.app (app.py: function main, decorated `task`) and proj.db
/// (db.py: functions connect and database_url, class UserService with method get,
/// decorated `Flow`); main and get call connect; proj.app imports the external module
/// sys, and the external module os is imported by nothing. Files README.md (alone) and
/// app.py, which both proj and a second project, other, contain.
fn code_graph() -> Graph {
    let g = Graph::in_memory().unwrap();
    // cypher_queries.py, build_index_query and build_constraint_query
    for label in ["Module", "Function", "Method", "Class"] {
        run(
            &g,
            &format!("CREATE INDEX ON :{label}(qualified_name);"),
            &[],
        );
    }
    run(
        &g,
        "CREATE CONSTRAINT ON (n:Project) ASSERT n.name IS UNIQUE;",
        &[],
    );
    // cypher_queries.py, build_merge_node_query(label, id_key)
    let merge_node = |label: &str, key: &str, rows_in: Vec<Value>| {
        let q = format!("MERGE (n:{label} {{{key}: row.id}})\nSET n += row.props");
        batch(&g, &q, rows_in);
    };
    merge_node(
        "Project",
        "name",
        vec![
            node_row(
                "proj",
                &[("name", s("proj")), ("root_path", s("repo/proj"))],
            ),
            node_row(
                "other",
                &[("name", s("other")), ("root_path", s("repo/other"))],
            ),
        ],
    );
    merge_node(
        "Module",
        "qualified_name",
        vec![
            node_row("proj.app", &[("name", s("app")), ("path", s("app.py"))]),
            node_row("proj.db", &[("name", s("db")), ("path", s("db.py"))]),
        ],
    );
    let def = |qn: &str, name: &str, path: &str, lines: (i64, i64), decorators: &[&str]| {
        node_row(
            qn,
            &[
                ("qualified_name", s(qn)),
                ("name", s(name)),
                ("path", s(path)),
                ("start_line", i(lines.0)),
                ("end_line", i(lines.1)),
                ("decorators", ss(decorators)),
            ],
        )
    };
    merge_node(
        "Function",
        "qualified_name",
        vec![
            def("proj.app.main", "main", "app.py", (1, 10), &["task"]),
            def("proj.db.connect", "connect", "db.py", (1, 5), &[]),
            def("proj.db.database_url", "database_url", "db.py", (7, 9), &[]),
        ],
    );
    merge_node(
        "Class",
        "qualified_name",
        vec![def(
            "proj.db.UserService",
            "UserService",
            "db.py",
            (11, 30),
            &[],
        )],
    );
    merge_node(
        "Method",
        "qualified_name",
        vec![def(
            "proj.db.UserService.get",
            "get",
            "db.py",
            (12, 20),
            &["Flow"],
        )],
    );
    merge_node(
        "ExternalModule",
        "name",
        vec![node_row("sys", &[]), node_row("os", &[])],
    );
    // cypher_queries.py, build_create_node_query(label, id_key)
    batch(
        &g,
        "CREATE (n:File {path: row.id})\nSET n += row.props",
        vec![
            node_row(
                "README.md",
                &[("name", s("README.md")), ("extension", s(".md"))],
            ),
            node_row("app.py", &[("name", s("app.py")), ("extension", s(".py"))]),
        ],
    );
    // cypher_queries.py, build_merge_relationship_query(...)
    let merge_rel = |from: (&str, &str),
                     rel: &str,
                     to: (&str, &str),
                     props: bool,
                     rows_in: Vec<Value>| {
        let mut q = format!(
            "MATCH (a:{} {{{}: row.from_val}}), (b:{} {{{}: row.to_val}})\nMERGE (a)-[r:{rel}]->(b)\n",
            from.0, from.1, to.0, to.1
        );
        q += if props {
            "SET r += row.props\nRETURN count(r) as created"
        } else {
            "RETURN count(r) as created"
        };
        let n = i64::try_from(rows_in.len()).unwrap();
        assert_eq!(batch(&g, &q, rows_in).rows, vec![vec![i(n)]], "{q}");
    };
    let qn = "qualified_name";
    merge_rel(
        ("Project", "name"),
        "CONTAINS_MODULE",
        ("Module", qn),
        false,
        vec![
            rel_row("proj", "proj.app", &[]),
            rel_row("proj", "proj.db", &[]),
        ],
    );
    merge_rel(
        ("Module", qn),
        "DEFINES",
        ("Function", qn),
        false,
        vec![
            rel_row("proj.app", "proj.app.main", &[]),
            rel_row("proj.db", "proj.db.connect", &[]),
            rel_row("proj.db", "proj.db.database_url", &[]),
            // Sent twice: merged into one.
            rel_row("proj.db", "proj.db.connect", &[]),
        ],
    );
    merge_rel(
        ("Module", qn),
        "DEFINES",
        ("Class", qn),
        false,
        vec![rel_row("proj.db", "proj.db.UserService", &[])],
    );
    merge_rel(
        ("Class", qn),
        "DEFINES_METHOD",
        ("Method", qn),
        false,
        vec![rel_row(
            "proj.db.UserService",
            "proj.db.UserService.get",
            &[],
        )],
    );
    merge_rel(
        ("Function", qn),
        "CALLS",
        ("Function", qn),
        true,
        vec![rel_row(
            "proj.app.main",
            "proj.db.connect",
            &[("line", i(4))],
        )],
    );
    merge_rel(
        ("Method", qn),
        "CALLS",
        ("Function", qn),
        true,
        vec![rel_row(
            "proj.db.UserService.get",
            "proj.db.connect",
            &[("line", i(15))],
        )],
    );
    merge_rel(
        ("Module", qn),
        "IMPORTS",
        ("ExternalModule", "name"),
        false,
        vec![rel_row("proj.app", "sys", &[])],
    );
    merge_rel(
        ("Project", "name"),
        "CONTAINS_FILE",
        ("File", "path"),
        false,
        vec![
            rel_row("proj", "app.py", &[]),
            rel_row("other", "app.py", &[]),
        ],
    );
    g
}

#[test]
fn code_graph_rag_audits_and_stats() {
    let g = code_graph();
    assert_eq!(count(&g, "MATCH (n) RETURN count(n)"), 13);
    assert_eq!(count(&g, "MATCH ()-[r]->() RETURN count(r)"), 12);
    assert_eq!(
        rows(
            &g,
            "MATCH ()-[r:CALLS]->(b) RETURN r.line ORDER BY r.line",
            &[]
        ),
        vec![vec![i(4)], vec![i(15)]]
    );

    // cypher_queries.py, CYPHER_AUDIT_ORPHANS
    let r = rows(
        &g,
        "MATCH (n) WHERE NOT n:Project OPTIONAL MATCH (n)--(x) WITH n, count(x) AS degree WHERE degree = 0 RETURN labels(n)[0] AS label, count(n) AS orphans",
        &[],
    );
    assert_eq!(
        sorted(r),
        vec![vec![s("ExternalModule"), i(1)], vec![s("File"), i(1)]]
    );

    // CYPHER_AUDIT_LABELS
    let r = rows(
        &g,
        "MATCH (n) UNWIND labels(n) AS label RETURN DISTINCT label",
        &[],
    );
    assert_eq!(
        sorted(r),
        sorted(
            [
                "Class",
                "ExternalModule",
                "File",
                "Function",
                "Method",
                "Module",
                "Project"
            ]
            .iter()
            .map(|l| vec![s(l)])
            .collect()
        )
    );

    // CYPHER_AUDIT_REL_TRIPLES
    let r = rows(
        &g,
        "MATCH (a)-[r]->(b) RETURN DISTINCT labels(a)[0] AS src, type(r) AS rel, labels(b)[0] AS dst",
        &[],
    );
    let want: Vec<Vec<Value>> = [
        ("Class", "DEFINES_METHOD", "Method"),
        ("Function", "CALLS", "Function"),
        ("Method", "CALLS", "Function"),
        ("Module", "DEFINES", "Class"),
        ("Module", "DEFINES", "Function"),
        ("Module", "IMPORTS", "ExternalModule"),
        ("Project", "CONTAINS_FILE", "File"),
        ("Project", "CONTAINS_MODULE", "Module"),
    ]
    .iter()
    .map(|(a, r, b)| vec![s(a), s(r), s(b)])
    .collect();
    assert_eq!(sorted(r), sorted(want));

    // CYPHER_AUDIT_LABEL_PROPS, for the Class label
    let r = rows(
        &g,
        "MATCH (n) UNWIND labels(n) AS label UNWIND keys(n) AS key RETURN DISTINCT label AS label, key AS key",
        &[],
    );
    let class_keys: Vec<Vec<Value>> = r
        .into_iter()
        .filter(|row| row[0] == s("Class"))
        .map(|row| vec![row[1].clone()])
        .collect();
    assert_eq!(
        sorted(class_keys),
        sorted(
            [
                "decorators",
                "end_line",
                "name",
                "path",
                "qualified_name",
                "start_line"
            ]
            .iter()
            .map(|k| vec![s(k)])
            .collect()
        )
    );

    // CYPHER_LIST_PROJECTS
    assert_eq!(
        rows(
            &g,
            "MATCH (p:Project) RETURN p.name AS name, p.root_path AS root_path ORDER BY p.name",
            &[]
        ),
        vec![
            vec![s("other"), s("repo/other")],
            vec![s("proj"), s("repo/proj")]
        ]
    );

    // CYPHER_STATS_NODE_COUNTS
    let r = rows(
        &g,
        "MATCH (n)
         RETURN labels(n) AS labels, count(*) AS count
         ORDER BY count DESC",
        &[],
    );
    assert_eq!(r[0], vec![ss(&["Function"]), i(3)]);
    assert_eq!(r.len(), 7);

    // CYPHER_STATS_RELATIONSHIP_COUNTS
    let r = rows(
        &g,
        "MATCH ()-[r]->()
         RETURN type(r) AS type, count(*) AS count
         ORDER BY count DESC",
        &[],
    );
    assert_eq!(r[0], vec![s("DEFINES"), i(4)]);
    assert_eq!(r.len(), 6);

    // CYPHER_EXPORT_NODES, CYPHER_EXPORT_RELATIONSHIPS
    let r = rows(
        &g,
        "MATCH (n)
         RETURN id(n) as node_id, labels(n) as labels, properties(n) as properties",
        &[],
    );
    assert_eq!(r.len(), 13);
    let r = rows(
        &g,
        "MATCH (a)-[r]->(b)
         RETURN id(a) as from_id, id(b) as to_id, type(r) as type, properties(r) as properties",
        &[],
    );
    let calls: Vec<&Vec<Value>> = r.iter().filter(|row| row[2] == s("CALLS")).collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().any(|row| row[3] == map(&[("line", i(15))])));

    // constants/graph.py, CYPHER_COUNT_PROJECT_MODULES
    assert_eq!(
        rows(
            &g,
            "MATCH (m:Module) WHERE m.qualified_name = $project_name OR m.qualified_name STARTS WITH $project_prefix RETURN count(m) AS count",
            &[("project_name", s("proj")), ("project_prefix", s("proj."))]
        ),
        vec![vec![i(2)]]
    );
}

#[test]
fn code_graph_rag_examples() {
    let g = code_graph();
    // cypher_queries.py, CYPHER_EXAMPLE_DECORATED_FUNCTIONS (CYPHER_DEFAULT_LIMIT = 50)
    let r = rows(
        &g,
        "MATCH (n:Function|Method)
WHERE ANY(d IN n.decorators WHERE toLower(d) IN ['flow', 'task'])
RETURN n.name AS name, n.qualified_name AS qualified_name, labels(n) AS type
LIMIT 50",
        &[],
    );
    assert_eq!(
        sorted(r),
        vec![
            vec![s("get"), s("proj.db.UserService.get"), ss(&["Method"])],
            vec![s("main"), s("proj.app.main"), ss(&["Function"])]
        ]
    );

    // CYPHER_EXAMPLE_KEYWORD_SEARCH
    let r = rows(
        &g,
        "MATCH (n)
WHERE toLower(n.name) CONTAINS 'database' OR (n.qualified_name IS NOT NULL AND toLower(n.qualified_name) CONTAINS 'database')
RETURN n.name AS name, n.qualified_name AS qualified_name, labels(n) AS type
LIMIT 50",
        &[],
    );
    assert_eq!(
        r,
        vec![vec![
            s("database_url"),
            s("proj.db.database_url"),
            ss(&["Function"])
        ]]
    );

    // CYPHER_EXAMPLE_TASKS
    let r = rows(
        &g,
        "MATCH (n:Function|Method)
WHERE 'task' IN n.decorators
RETURN n.qualified_name AS qualified_name, n.name AS name, labels(n) AS type
LIMIT 50",
        &[],
    );
    assert_eq!(col(&r), vec![s("proj.app.main")]);

    // CYPHER_EXAMPLE_CLASS_METHODS
    let r = rows(
        &g,
        "MATCH (c:Class)-[:DEFINES_METHOD]->(m:Method)
WHERE c.name = 'UserService'
RETURN c.name AS className, m.name AS methodName, m.qualified_name AS qualified_name, labels(m) AS type
LIMIT 50",
        &[],
    );
    assert_eq!(
        r,
        vec![vec![
            s("UserService"),
            s("get"),
            s("proj.db.UserService.get"),
            ss(&["Method"])
        ]]
    );

    // CYPHER_EXAMPLE_PYTHON_FILES
    let r = rows(
        &g,
        "MATCH (f:File)
WHERE f.extension = '.py'
RETURN f.path AS path, f.name AS name, labels(f) AS type
LIMIT 50",
        &[],
    );
    assert_eq!(r, vec![vec![s("app.py"), s("app.py"), ss(&["File"])]]);

    // CYPHER_EXAMPLE_FIND_FILE
    let r = rows(
        &g,
        "MATCH (f:File) WHERE toLower(f.name) = 'readme.md' AND f.path = 'README.md'
RETURN f.path as path, f.name as name, labels(f) as type",
        &[],
    );
    assert_eq!(col(&r), vec![s("README.md")]);
}

#[test]
fn code_graph_rag_lookups() {
    let g = code_graph();
    let id_of = |qn: &str| {
        rows(
            &g,
            "MATCH (n {qualified_name: $qn}) RETURN id(n)",
            &[("qn", s(qn))],
        )[0][0]
            .clone()
    };

    // cypher_queries.py, CYPHER_GET_FUNCTION_SOURCE_LOCATION
    let r = rows(
        &g,
        "MATCH (m:Module)-[:DEFINES]->(n)
WHERE id(n) = $node_id
RETURN n.qualified_name AS qualified_name, n.start_line AS start_line,
       n.end_line AS end_line, m.path AS path, n.absolute_path AS absolute_path",
        &[("node_id", id_of("proj.db.connect"))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("proj.db.connect"),
            i(1),
            i(5),
            s("db.py"),
            Value::Null
        ]]
    );

    // CYPHER_FIND_BY_QUALIFIED_NAME: some module reaches the method by an undirected path.
    let r = rows(
        &g,
        "MATCH (n) WHERE n.qualified_name = $qn
OPTIONAL MATCH (m:Module)-[*]-(n)
RETURN n.name AS name, n.start_line AS start, n.end_line AS end, m.path AS path,
       n.absolute_path AS absolute_path, n.docstring AS docstring
LIMIT 1",
        &[("qn", s("proj.db.UserService.get"))],
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0][..3], [s("get"), i(12), i(20)]);
    assert!(r[0][3] == s("db.py") || r[0][3] == s("app.py"), "{r:?}");

    // build_nodes_by_ids_query, with positional parameters $0, $1
    let r = rows(
        &g,
        "
MATCH (n)
WHERE id(n) IN [$0, $1]
RETURN id(n) AS node_id, n.qualified_name AS qualified_name,
       labels(n) AS type, n.name AS name
ORDER BY n.qualified_name
",
        &[
            ("0", id_of("proj.db.connect")),
            ("1", id_of("proj.app.main")),
        ],
    );
    assert_eq!(
        r.iter().map(|row| row[1].clone()).collect::<Vec<_>>(),
        vec![s("proj.app.main"), s("proj.db.connect")]
    );

    // cypher_queries.py, CYPHER_DEAD_CODE_NODES and CYPHER_DEAD_CODE_RELS
    let r = rows(
        &g,
        "MATCH (n:Function|Method|Class|Module)
WHERE n.qualified_name STARTS WITH $project_prefix
RETURN labels(n)[0] AS label, n.qualified_name AS qualified_name,
       n.name AS name, n.path AS path,
       n.start_line AS start_line, n.end_line AS end_line,
       n.decorators AS decorators, n.is_exported AS is_exported,
       n.overrides_external AS overrides_external,
       n.rust_cfg_test_mods AS rust_cfg_test_mods,
       n.rust_ungated_mods AS rust_ungated_mods",
        &[("project_prefix", s("proj."))],
    );
    assert_eq!(r.len(), 7);
    let r = rows(
        &g,
        "MATCH (a:Function|Method|Class|Module)-[r:CALLS|REFERENCES|INSTANTIATES|INHERITS|DEFINES|DEFINES_METHOD|OVERRIDES|IMPLEMENTS]->(b)
WHERE a.qualified_name STARTS WITH $project_prefix
RETURN labels(a)[0] AS from_label, a.qualified_name AS from_qn,
       type(r) AS rel_type, labels(b)[0] AS to_label,
       b.qualified_name AS to_qn",
        &[("project_prefix", s("proj."))],
    );
    assert_eq!(r.len(), 7);

    // constants/graph.py, CYPHER_QUERY_EMBEDDINGS: functions defined by a module
    let r = rows(
        &g,
        "
MATCH (m:Module)-[:DEFINES]->(n)
WHERE (n:Function OR n:Method)
  AND m.qualified_name STARTS WITH ($project_name + '.')
RETURN id(n) AS node_id, n.qualified_name AS qualified_name,
       n.start_line AS start_line, n.end_line AS end_line,
       m.path AS path
",
        &[("project_name", s("proj"))],
    );
    assert_eq!(
        sorted(
            r.iter()
                .map(|row| vec![row[1].clone(), row[4].clone()])
                .collect()
        ),
        vec![
            vec![s("proj.app.main"), s("app.py")],
            vec![s("proj.db.connect"), s("db.py")],
            vec![s("proj.db.database_url"), s("db.py")]
        ]
    );

    // constants/graph.py, CYPHER_ALL_DEFINITION_QNS
    let r = rows(
        &g,
        "MATCH (n) WHERE (n:Function OR n:Method OR n:Class OR n:Interface OR n:Enum OR n:Type OR n:Union) AND n.qualified_name STARTS WITH $project_prefix RETURN n.qualified_name AS qualified_name, head(labels(n)) AS label, n.is_property AS is_property, n.is_macro AS is_macro, n.path AS path, n.start_line AS start_line, n.end_line AS end_line",
        &[("project_prefix", s("proj."))],
    );
    assert_eq!(r.len(), 5);

    // constants/graph.py, CYPHER_INBOUND_EDGES: main (app.py) calls into db.py; get is
    // itself in db.py, so its call is left out.
    let r = rows(
        &g,
        "MATCH (caller)-[r:CALLS|REFERENCES|INSTANTIATES|IMPORTS|INHERITS|OVERRIDES]->(target) WHERE target.path IN $paths AND caller.qualified_name IS NOT NULL AND (caller.path IS NULL OR NOT caller.path IN $paths) RETURN head(labels(caller)) AS caller_label, caller.qualified_name AS caller_qn, type(r) AS rel, head(labels(target)) AS target_label, target.qualified_name AS target_qn",
        &[("paths", ss(&["db.py"]))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("Function"),
            s("proj.app.main"),
            s("CALLS"),
            s("Function"),
            s("proj.db.connect")
        ]]
    );

    // constants/graph.py, CYPHER_AFFECTED_CALLER_PATHS
    let r = rows(
        &g,
        "MATCH (caller)-[:CALLS|REFERENCES|INSTANTIATES|IMPORTS|INHERITS]->(target) WHERE target.path IN $paths AND caller.path IS NOT NULL AND NOT caller.path IN $paths AND caller.qualified_name STARTS WITH $project_prefix AND target.qualified_name STARTS WITH $project_prefix RETURN DISTINCT caller.path AS caller_path",
        &[("paths", ss(&["db.py"])), ("project_prefix", s("proj."))],
    );
    assert_eq!(r, vec![vec![s("app.py")]]);
}

#[test]
fn code_graph_rag_maintenance() {
    let g = code_graph();
    // cypher_queries.py, CYPHER_ANY_SHARED_STRUCTURE: app.py is in two projects.
    let shared = "MATCH (parent)-[:CONTAINS_FOLDER|CONTAINS_FILE]->(n) WHERE (n:Folder OR n:File) WITH n, count(parent) AS parents WHERE parents > 1 RETURN 1 AS damaged LIMIT 1";
    assert_eq!(rows(&g, shared, &[]), vec![vec![i(1)]]);
    // CYPHER_ANY_KEYLESS_STRUCTURE: no file has an absolute_path.
    assert_eq!(
        rows(
            &g,
            "MATCH (n) WHERE (n:Folder OR n:File) AND n.absolute_path IS NULL RETURN 1 AS damaged LIMIT 1",
            &[]
        ),
        vec![vec![i(1)]]
    );
    // CYPHER_PURGE_CROSS_PROJECT_STRUCTURE
    let r = rows(
        &g,
        "MATCH (p:Project)-[:CONTAINS_PACKAGE|CONTAINS_FOLDER|CONTAINS_FILE|CONTAINS_MODULE*]->(n) WHERE (n:Folder OR n:File) WITH n, count(DISTINCT p) AS owners WHERE owners > 1 DETACH DELETE n RETURN count(n) AS purged",
        &[],
    );
    assert_eq!(r, vec![vec![i(1)]]);
    assert!(rows(&g, shared, &[]).is_empty());

    // constants/graph.py, CYPHER_DELETE_ORPHAN_EXTERNAL_MODULES: os goes, sys stays.
    run(
        &g,
        "MATCH (m:ExternalModule) OPTIONAL MATCH (x)-->(m) WITH m, count(x) AS inbound WHERE inbound = 0 DETACH DELETE m",
        &[],
    );
    assert_eq!(
        rows(&g, "MATCH (m:ExternalModule) RETURN m.name", &[]),
        vec![vec![s("sys")]]
    );

    // constants/graph.py, CYPHER_DELETE_CALLS
    run(&g, "MATCH ()-[r:CALLS]->() DELETE r", &[]);
    assert_eq!(count(&g, "MATCH ()-[r:CALLS]->() RETURN count(r)"), 0);

    // constants/graph.py, CYPHER_DELETE_MODULE: proj.db and everything it defines,
    // found by a path of zero or more DEFINES / DEFINES_METHOD steps.
    run(
        &g,
        "MATCH (m:Module {path: $path}) WHERE m.qualified_name = $project_name OR m.qualified_name STARTS WITH $project_prefix OPTIONAL MATCH (m)-[:DEFINES|DEFINES_METHOD*0..]->(c) DETACH DELETE m, c",
        &[
            ("path", s("db.py")),
            ("project_name", s("proj")),
            ("project_prefix", s("proj.")),
        ],
    );
    assert_eq!(
        sorted(rows(
            &g,
            "MATCH (n) WHERE n.qualified_name IS NOT NULL RETURN n.qualified_name",
            &[]
        )),
        vec![vec![s("proj.app")], vec![s("proj.app.main")]]
    );

    // cypher_queries.py, CYPHER_DELETE_PROJECT: the project, its containers and their
    // definitions; README.md and the external module sys stay.
    run(
        &g,
        "
MATCH (p:Project {name: $project_name})
OPTIONAL MATCH (p)-[:CONTAINS_PACKAGE|CONTAINS_FOLDER|CONTAINS_FILE|CONTAINS_MODULE*]->(container)
OPTIONAL MATCH (container)-[:DEFINES|DEFINES_METHOD*]->(defined)
DETACH DELETE p, container, defined
",
        &[("project_name", s("proj"))],
    );
    assert_eq!(
        sorted(rows(&g, "MATCH (n) RETURN labels(n)[0]", &[])),
        vec![
            vec![s("ExternalModule")],
            vec![s("File")],
            vec![s("Project")]
        ]
    );

    // The unique constraint holds: a second project named other cannot be created.
    assert!(execute(&g, "CREATE (:Project {name: 'other'})", &BTreeMap::new()).is_err());
    // cypher_queries.py, build_drop_constraint_query.
    // REWRITE: the old form `DROP CONSTRAINT ON (n:Project) ASSERT n.name IS UNIQUE` is not
    // read; the constraint is dropped by its name, found with `db.indexes()`.
    assert!(
        execute(
            &g,
            "DROP CONSTRAINT ON (n:Project) ASSERT n.name IS UNIQUE;",
            &BTreeMap::new()
        )
        .is_err()
    );
    let r = rows(
        &g,
        "CALL db.indexes() YIELD name, target, unique WHERE unique RETURN name, target",
        &[],
    );
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0][1], s(":Project"));
    let Value::String(name) = &r[0][0] else {
        panic!("{r:?}")
    };
    run(&g, &format!("DROP CONSTRAINT `{name}`"), &[]);
    run(&g, "CREATE (:Project {name: 'other'})", &[]);

    // cypher_queries.py, CYPHER_DELETE_ALL
    run(&g, "MATCH (n) DETACH DELETE n;", &[]);
    assert_eq!(count(&g, "MATCH (n) RETURN count(n)"), 0);
}

#[test]
fn label_disjunction_in_match() {
    let g = Graph::in_memory().unwrap();
    run(
        &g,
        "CREATE (:A {v: 1}), (:B {v: 2}), (:A:B {v: 3}), (:C {v: 4}), ({v: 5})",
        &[],
    );
    let vs = |q: &str| col(&rows(&g, q, &[]));
    assert_eq!(
        vs("MATCH (n:A|B) RETURN n.v ORDER BY n.v"),
        vec![i(1), i(2), i(3)]
    );
    assert_eq!(vs("MATCH (n:A|:C {v: 4}) RETURN n.v"), vec![i(4)]);
    // The clause's own WHERE still applies, and three-valued logic is kept.
    assert_eq!(
        vs("MATCH (n:B | C) WHERE n.v > 2 RETURN n.v ORDER BY n.v"),
        vec![i(3), i(4)]
    );
    // OPTIONAL MATCH keeps its row when nothing has the labels.
    assert_eq!(
        vs("UNWIND [1, 5] AS x OPTIONAL MATCH (n:A|B {v: x}) RETURN n.v ORDER BY x"),
        vec![i(1), Value::Null]
    );
    // Graphiti's Neo4j query for a community edge, with spaces around `|`.
    assert_eq!(vs("MATCH (node:A | C {v: 4}) RETURN node.v"), vec![i(4)]);
    for bad in [
        "CREATE (n:A|B)",
        "MERGE (n:A|B)",
        "MATCH (:A|B) RETURN 1",
        "MATCH (n) WHERE (n)-->(:A|B) RETURN n",
        "MATCH (n:A:B|C) RETURN n",
    ] {
        assert!(
            execute(&g, bad, &BTreeMap::new()).is_err(),
            "{bad} should fail"
        );
    }
}

// ---------------------------------------------------------------------------------------
// CodeGraphContext (CodeGraphContext/CodeGraphContext), written for Neo4j:
// src/codegraphcontext/tools/graph_builder.py (writes) and
// src/codegraphcontext/tools/code_finder.py (reads).
// ---------------------------------------------------------------------------------------

/// A CodeGraphContext item: label, file, name, line, arguments, decorators.
type Item<'a> = (&'a str, &'a str, &'a str, i64, &'a [&'a str], &'a [&'a str]);

// graph_builder.py, add_file_to_graph: items of a file (label filled in)
fn cgc_item(label: &str) -> String {
    format!(
        "
        MATCH (f:File {{path: $file_path}})
        MERGE (n:{label} {{name: $name, file_path: $file_path, line_number: $line_number}})
        SET n += $props
        MERGE (f)-[:CONTAINS]->(n)
    "
    )
}

// graph_builder.py, _create_function_calls (caller known by name, file and line)
const CGC_CALL: &str = "
    MATCH (caller) WHERE (caller:Function OR caller:Class) 
      AND caller.name = $caller_name 
      AND caller.file_path = $caller_file_path 
      AND caller.line_number = $caller_line_number
    MATCH (called) WHERE (called:Function OR called:Class)
      AND called.name = $called_name 
      AND called.file_path = $called_file_path
    
    WITH caller, called
    OPTIONAL MATCH (called)-[:CONTAINS]->(init:Function)
    WHERE called:Class AND init.name IN [\"__init__\", \"constructor\"]
    WITH caller, COALESCE(init, called) as final_target
    
    MERGE (caller)-[:CALLS {line_number: $line_number, args: $args, full_call_name: $full_call_name}]->(final_target)";

/// Repository shop with files shop/app.py (functions main, decorated `app.route`, and
/// handler(request); variable DEBUG; imports db as database) and shop/db.py (connect(url);
/// class User with __init__ and save(self, user_id); _test_helper; unused). main calls
/// handler; handler calls connect and User (resolved to User.__init__).
fn cgc() -> Graph {
    let g = Graph::in_memory().unwrap();
    // graph_builder.py, add_repository_to_graph
    run(
        &g,
        "
        MERGE (r:Repository {path: $path})
        SET r.name = $name, r.is_dependency = $is_dependency
        ",
        &[
            ("path", s("shop")),
            ("name", s("shop")),
            ("is_dependency", Value::Bool(false)),
        ],
    );
    for file in ["shop/app.py", "shop/db.py"] {
        // graph_builder.py, add_file_to_graph
        run(
            &g,
            "
                MERGE (f:File {path: $path})
                SET f.name = $name, f.relative_path = $relative_path, f.is_dependency = $is_dependency
            ",
            &[
                ("path", s(file)),
                ("name", s(&file[5..])),
                ("relative_path", s(&file[5..])),
                ("is_dependency", Value::Bool(false)),
            ],
        );
    }
    run(
        &g,
        "MATCH (r:Repository), (f:File) CREATE (r)-[:CONTAINS]->(f)",
        &[],
    );
    let items: [Item; 9] = [
        ("Function", "shop/app.py", "main", 1, &[], &["app.route"]),
        ("Function", "shop/app.py", "handler", 10, &["request"], &[]),
        ("Variable", "shop/app.py", "DEBUG", 20, &[], &[]),
        ("Function", "shop/db.py", "connect", 1, &["url"], &[]),
        ("Class", "shop/db.py", "User", 10, &[], &[]),
        ("Function", "shop/db.py", "__init__", 11, &["self"], &[]),
        (
            "Function",
            "shop/db.py",
            "save",
            12,
            &["self", "user_id"],
            &[],
        ),
        ("Function", "shop/db.py", "_test_helper", 30, &[], &[]),
        ("Function", "shop/db.py", "unused", 40, &[], &[]),
    ];
    for (label, file, name, line, args, decorators) in items {
        let mut props = vec![
            ("name", s(name)),
            ("line_number", i(line)),
            ("docstring", s(&format!("{name} docs"))),
            ("is_dependency", Value::Bool(false)),
        ];
        if label == "Function" {
            props.push(("args", ss(args)));
            props.push(("decorators", ss(decorators)));
        }
        if label == "Variable" {
            props.push(("value", s("True")));
        }
        run(
            &g,
            &cgc_item(label),
            &[
                ("file_path", s(file)),
                ("name", s(name)),
                ("line_number", i(line)),
                ("props", map(&props)),
            ],
        );
        for arg in args {
            // graph_builder.py, add_file_to_graph (parameters)
            run(
                &g,
                "
                MATCH (fn:Function {name: $func_name, file_path: $file_path, line_number: $line_number})
                MERGE (p:Parameter {name: $arg_name, file_path: $file_path, function_line_number: $line_number})
                MERGE (fn)-[:HAS_PARAMETER]->(p)
                ",
                &[
                    ("func_name", s(name)),
                    ("file_path", s(file)),
                    ("line_number", i(line)),
                    ("arg_name", s(arg)),
                ],
            );
        }
    }
    run(
        &g,
        "MATCH (c:Class {name: 'User'}), (f:Function) WHERE f.name IN ['__init__', 'save']
         CREATE (c)-[:CONTAINS]->(f)",
        &[],
    );
    // graph_builder.py, add_file_to_graph (imports, Python), with `alias` given
    run(
        &g,
        "
        MATCH (f:File {path: $file_path})
        MERGE (m:Module {name: $name})
        SET m.alias = $alias
        MERGE (f)-[r:IMPORTS]->(m)
        SET r += $rel_props
        ",
        &[
            ("file_path", s("shop/app.py")),
            ("name", s("db")),
            ("alias", s("database")),
            (
                "rel_props",
                map(&[("line_number", i(1)), ("alias", s("database"))]),
            ),
        ],
    );
    for (caller, caller_file, caller_line, called, called_file, line) in [
        ("main", "shop/app.py", 1, "handler", "shop/app.py", 3),
        ("handler", "shop/app.py", 10, "connect", "shop/db.py", 11),
        ("handler", "shop/app.py", 10, "User", "shop/db.py", 12),
        // The same call again: merged.
        ("handler", "shop/app.py", 10, "connect", "shop/db.py", 11),
    ] {
        run(
            &g,
            CGC_CALL,
            &[
                ("caller_name", s(caller)),
                ("caller_file_path", s(caller_file)),
                ("caller_line_number", i(caller_line)),
                ("called_name", s(called)),
                ("called_file_path", s(called_file)),
                ("line_number", i(line)),
                ("args", ss(&[])),
                ("full_call_name", s(called)),
            ],
        );
    }
    g
}

#[test]
fn codegraphcontext_writes() {
    let g = cgc();
    assert_eq!(count(&g, "MATCH (n:Function) RETURN count(n)"), 7);
    assert_eq!(count(&g, "MATCH (n:Parameter) RETURN count(n)"), 5);
    // handler's call to the class User went to its constructor.
    assert_eq!(
        sorted(rows(
            &g,
            "MATCH (a)-[c:CALLS]->(b) RETURN a.name, b.name, c.line_number",
            &[]
        )),
        vec![
            vec![s("handler"), s("__init__"), i(12)],
            vec![s("handler"), s("connect"), i(11)],
            vec![s("main"), s("handler"), i(3)]
        ]
    );
}

#[test]
fn codegraphcontext_finds() {
    let g = cgc();
    // code_finder.py, find_by_function_name (exact)
    let r = rows(
        &g,
        "
        MATCH (node:Function {name: $name})
        RETURN node.name as name, node.file_path as file_path, node.line_number as line_number,
               node.source as source, node.docstring as docstring, node.is_dependency as is_dependency
        LIMIT 20
        ",
        &[("name", s("connect"))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("connect"),
            s("shop/db.py"),
            i(1),
            Value::Null,
            s("connect docs"),
            Value::Bool(false)
        ]]
    );

    // find_by_variable_name
    let r = rows(
        &g,
        "
        MATCH (v:Variable)
        WHERE v.name CONTAINS $search_term
        RETURN v.name as name, v.file_path as file_path, v.line_number as line_number,
               v.value as value, v.context as context, v.is_dependency as is_dependency
        ORDER BY v.is_dependency ASC, v.name
        LIMIT 20
        ",
        &[("search_term", s("DEB"))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("DEBUG"),
            s("shop/app.py"),
            i(20),
            s("True"),
            Value::Null,
            Value::Bool(false)
        ]]
    );

    // find_by_module_name
    let r = rows(
        &g,
        "
        MATCH (m:Module)
        WHERE m.name CONTAINS $search_term
        RETURN m.name as name, m.lang as lang
        ORDER BY m.name
        LIMIT 20
        ",
        &[("search_term", s("d"))],
    );
    assert_eq!(r, vec![vec![s("db"), Value::Null]]);

    // find_imports
    let r = rows(
        &g,
        "
        MATCH (f:File)-[r:IMPORTS]->(m:Module)
        WHERE r.alias = $search_term OR r.imported_name = $search_term
        RETURN 
            r.alias as alias, 
            r.imported_name as imported_name, 
            m.name as module_name, 
            f.path as file_path, 
            r.line_number as line_number
        ORDER BY f.path
        LIMIT 20
        ",
        &[("search_term", s("database"))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("database"),
            Value::Null,
            s("db"),
            s("shop/app.py"),
            i(1)
        ]]
    );

    // find_functions_by_argument (no file)
    let r = rows(
        &g,
        "
        MATCH (f:Function)-[:HAS_PARAMETER]->(p:Parameter)
        WHERE p.name = $argument_name
        RETURN f.name AS function_name, f.file_path AS file_path, f.line_number AS line_number,
               f.docstring AS docstring, f.is_dependency AS is_dependency
        ORDER BY f.is_dependency ASC, f.file_path, f.line_number
        LIMIT 20
        ",
        &[("argument_name", s("self"))],
    );
    assert_eq!(col(&r), vec![s("__init__"), s("save")]);

    // find_functions_by_decorator (no file)
    let r = rows(
        &g,
        "
        MATCH (f:Function)
        WHERE $decorator_name IN f.decorators
        RETURN f.name AS function_name, f.file_path AS file_path, f.line_number AS line_number,
               f.docstring AS docstring, f.is_dependency AS is_dependency, f.decorators AS decorators
        ORDER BY f.is_dependency ASC, f.file_path, f.line_number
        LIMIT 20
        ",
        &[("decorator_name", s("app.route"))],
    );
    assert_eq!(col(&r), vec![s("main")]);

    // find_function_overrides
    let r = rows(
        &g,
        "
        MATCH (class:Class)-[:CONTAINS]->(func:Function {name: $function_name})
        OPTIONAL MATCH (file:File)-[:CONTAINS]->(class)
        RETURN DISTINCT
            class.name as class_name,
            class.file_path as class_file_path,
            func.name as function_name,
            func.line_number as function_line_number,
            func.args as function_args,
            func.docstring as function_docstring,
            func.is_dependency as is_dependency,
            file.name as file_name
        ORDER BY func.is_dependency ASC, class.name
        LIMIT 20
        ",
        &[("function_name", s("save"))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("User"),
            s("shop/db.py"),
            s("save"),
            i(12),
            ss(&["self", "user_id"]),
            s("save docs"),
            Value::Bool(false),
            s("db.py")
        ]]
    );
}

#[test]
fn codegraphcontext_relationships() {
    let g = cgc();
    // code_finder.py, who_calls_function (no file)
    let r = rows(
        &g,
        "
        MATCH (target:Function {name: $function_name})
        MATCH (caller:Function)-[call:CALLS]->(target)
        OPTIONAL MATCH (caller_file:File)-[:CONTAINS]->(caller)
        RETURN DISTINCT
            caller.name as caller_function,
            caller.file_path as caller_file_path,
            caller.line_number as caller_line_number,
            caller.docstring as caller_docstring,
            caller.is_dependency as caller_is_dependency,
            call.line_number as call_line_number,
            call.args as call_args,
            call.full_call_name as full_call_name,
            target.file_path as target_file_path
        ORDER BY caller.is_dependency ASC, caller.file_path, caller.line_number
        LIMIT 20
        ",
        &[("function_name", s("connect"))],
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0][0], s("handler"));
    assert_eq!(r[0][5..], [i(11), ss(&[]), s("connect"), s("shop/db.py")]);

    // what_does_function_call (no file)
    let r = rows(
        &g,
        "
        MATCH (caller:Function {name: $function_name})
        MATCH (caller)-[call:CALLS]->(called:Function)
        OPTIONAL MATCH (called_file:File)-[:CONTAINS]->(called)
        RETURN DISTINCT
            called.name as called_function,
            called.file_path as called_file_path,
            called.line_number as called_line_number,
            called.docstring as called_docstring,
            called.is_dependency as called_is_dependency,
            call.line_number as call_line_number,
            call.args as call_args,
            call.full_call_name as full_call_name
        ORDER BY called.is_dependency ASC, called.name
        LIMIT 20
        ",
        &[("function_name", s("handler"))],
    );
    assert_eq!(col(&r), vec![s("__init__"), s("connect")]);
    assert_eq!(r[0][7], s("User"));

    // who_imports_module
    let r = rows(
        &g,
        "
        MATCH (file:File)-[imp:IMPORTS]->(module:Module)
        WHERE module.name = $module_name OR module.full_import_name CONTAINS $module_name
        OPTIONAL MATCH (repo:Repository)-[:CONTAINS]->(file)
        WITH file, repo, COLLECT({
            imported_module: module.name,
            import_alias: module.alias,
            full_import_name: module.full_import_name
        }) AS imports
        RETURN
            file.name AS file_name,
            file.path AS file_path,
            file.relative_path AS file_relative_path,
            file.is_dependency AS file_is_dependency,
            repo.name AS repository_name,
            imports
        ORDER BY file.is_dependency ASC, file.path
        LIMIT 20
        ",
        &[("module_name", s("db"))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("app.py"),
            s("shop/app.py"),
            s("app.py"),
            Value::Bool(false),
            s("shop"),
            Value::List(vec![map(&[
                ("imported_module", s("db")),
                ("import_alias", s("database")),
                ("full_import_name", Value::Null)
            ])])
        ]]
    );

    // who_modifies_variable: DEBUG is at file level.
    let r = rows(
        &g,
        "
        MATCH (var:Variable {name: $variable_name})
        MATCH (container)-[:CONTAINS]->(var)
        WHERE container:Function OR container:Class OR container:File
        OPTIONAL MATCH (file:File)-[:CONTAINS]->(container)
        RETURN DISTINCT
            CASE 
                WHEN container:Function THEN container.name
                WHEN container:Class THEN container.name
                ELSE 'file_level'
            END as container_name,
            CASE 
                WHEN container:Function THEN 'function'
                WHEN container:Class THEN 'class'
                ELSE 'file'
            END as container_type,
            COALESCE(container.file_path, file.path) as file_path,
            container.line_number as container_line_number,
            var.line_number as variable_line_number,
            var.value as variable_value,
            var.context as variable_context,
            COALESCE(container.is_dependency, file.is_dependency, false) as is_dependency
        ORDER BY is_dependency ASC, file_path, variable_line_number
        LIMIT 20
        ",
        &[("variable_name", s("DEBUG"))],
    );
    assert_eq!(
        r,
        vec![vec![
            s("file_level"),
            s("file"),
            Value::Null,
            Value::Null,
            i(20),
            s("True"),
            Value::Null,
            Value::Bool(false)
        ]]
    );

    // find_dead_code: save and unused are called by nobody; main and __init__ are
    // excluded by name, _test_helper by prefix.
    let r = rows(
        &g,
        "
        MATCH (func:Function)
        WHERE func.is_dependency = false
          AND NOT func.name IN ['main', '__init__', '__main__', 'setup', 'run', '__new__', '__del__']
          AND NOT func.name STARTS WITH '_test'
          AND NOT func.name STARTS WITH 'test_'
          AND ALL(decorator_name IN $exclude_decorated_with WHERE NOT decorator_name IN func.decorators)
        WITH func
        OPTIONAL MATCH (caller:Function)-[:CALLS]->(func)
        WHERE caller.is_dependency = false
        WITH func, count(caller) as caller_count
        WHERE caller_count = 0
        OPTIONAL MATCH (file:File)-[:CONTAINS]->(func)
        RETURN
            func.name as function_name,
            func.file_path as file_path,
            func.line_number as line_number,
            func.docstring as docstring,
            func.context as context,
            file.name as file_name
        ORDER BY func.file_path, func.line_number
        LIMIT 50
        ",
        &[("exclude_decorated_with", ss(&["app.route"]))],
    );
    assert_eq!(col(&r), vec![s("save"), s("unused")]);
    assert_eq!(r[0][5], s("db.py"));

    // find_all_callers, with a file: every function with a CALLS path to connect.
    let r = rows(
        &g,
        "
        MATCH (f:Function)-[:CALLS*]->(target:Function {name: $function_name, file_path: $file_path})
        RETURN DISTINCT f.name AS caller_name, f.file_path AS caller_file_path, f.line_number AS caller_line_number, f.is_dependency AS caller_is_dependency
        ORDER BY f.is_dependency ASC, f.file_path, f.line_number
        LIMIT 50
        ",
        &[("function_name", s("connect")), ("file_path", s("shop/db.py"))],
    );
    assert_eq!(col(&r), vec![s("main"), s("handler")]);
}

#[test]
fn clause_words_as_variables_with_properties() {
    let g = Graph::in_memory().unwrap();
    run(&g, "CREATE (:A)-[:R {x: 1}]->(:B {y: 2})", &[]);
    assert_eq!(
        rows(
            &g,
            "MATCH (a)-[call:R]->(match) RETURN DISTINCT a.z, call.x AS x, match.y ORDER BY call.x",
            &[]
        ),
        vec![vec![Value::Null, i(1), i(2)]]
    );
    // Without a property the word still begins a clause.
    assert!(execute(&g, "MATCH (n) RETURN call", &BTreeMap::new()).is_err());
}

// ---------------------------------------------------------------------------------------
// mem0 (mem0ai/mem0), graph memory on Kùzu: mem0/memory/kuzu_memory.py, with the node
// label `:Entity` and embeddings of 3 dimensions filled in. mem0 writes
// `(n :Entity ...)` with a space before the label.
// ---------------------------------------------------------------------------------------

// kuzu_memory.py, _add_entities, both nodes new (relationship `{relationship}` filled in).
// REWRITE: Kùzu's `current_timestamp()` becomes `timestamp()` (epoch milliseconds), as this
// test was first written; `current_timestamp()` runs too (a UTC datetime: tests/temporal.rs).
fn mem0_add(relationship: &str) -> String {
    format!(
        "
        MERGE (source :Entity {{name: $source_name, user_id: $user_id}})
        ON CREATE SET
            source.created = timestamp(),
            source.mentions = 1,
            source.embedding = CAST($source_embedding,'FLOAT[3]')
        ON MATCH SET
            source.mentions = coalesce(source.mentions, 0) + 1,
            source.embedding = CAST($source_embedding,'FLOAT[3]')
        WITH source
        MERGE (destination :Entity {{name: $dest_name, user_id: $user_id}})
        ON CREATE SET
            destination.created = timestamp(),
            destination.mentions = 1,
            destination.embedding = CAST($dest_embedding,'FLOAT[3]')
        ON MATCH SET
            destination.mentions = coalesce(destination.mentions, 0) + 1,
            destination.embedding = CAST($dest_embedding,'FLOAT[3]')
        WITH source, destination
        MERGE (source)-[rel:{relationship}]->(destination)
        ON CREATE SET
            rel.created = timestamp(),
            rel.mentions = 1
        ON MATCH SET
            rel.mentions = coalesce(rel.mentions, 0) + 1
        RETURN source.name AS source, label(rel) AS relationship, destination.name AS target
        "
    )
}

const MEM0_ALICE: [f64; 3] = [1.0, 0.0, 0.0];
const MEM0_BOB: [f64; 3] = [0.6, 0.8, 0.0];

/// User alice's memory: alice likes pizza, alice works_at acme, bob knows alice, then
/// alice (found by id) loves pasta.
fn mem0() -> Graph {
    let g = Graph::in_memory().unwrap();
    for (src, rel, dst, se, de) in [
        ("alice", "likes", "pizza", MEM0_ALICE, [0.0, 1.0, 0.0]),
        ("alice", "works_at", "acme", MEM0_ALICE, [0.0, 0.0, 1.0]),
        ("bob", "knows", "alice", MEM0_BOB, MEM0_ALICE),
    ] {
        let r = rows(
            &g,
            &mem0_add(rel),
            &[
                ("source_name", s(src)),
                ("dest_name", s(dst)),
                ("source_embedding", fs(&se)),
                ("dest_embedding", fs(&de)),
                ("user_id", s("alice")),
            ],
        );
        assert_eq!(r, vec![vec![s(src), s(rel), s(dst)]]);
    }
    // kuzu_memory.py, _add_entities with the source found by _search_source_node.
    // REWRITE: `id(source) = internal_id($table_id, $offset_id)` becomes
    // `id(source) = $source_id`, and `current_timestamp()` `timestamp()`.
    let alice = rows(&g, "MATCH (n:Entity {name: 'alice'}) RETURN id(n)", &[])[0][0].clone();
    let r = rows(
        &g,
        "
        MATCH (source)
        WHERE id(source) = $source_id
        SET source.mentions = coalesce(source.mentions, 0) + 1
        WITH source
        MERGE (destination :Entity {name: $destination_name, user_id: $user_id})
        ON CREATE SET
            destination.created = timestamp(),
            destination.mentions = 1,
            destination.embedding = CAST($destination_embedding,'FLOAT[3]')
        ON MATCH SET
            destination.mentions = coalesce(destination.mentions, 0) + 1,
            destination.embedding = CAST($destination_embedding,'FLOAT[3]')
        WITH source, destination
        MERGE (source)-[r:loves]->(destination)
        ON CREATE SET
            r.created = timestamp(),
            r.mentions = 1
        ON MATCH SET
            r.mentions = coalesce(r.mentions, 0) + 1
        RETURN source.name AS source, label(r) AS relationship, destination.name AS target
        ",
        &[
            ("source_id", alice),
            ("destination_name", s("pasta")),
            ("destination_embedding", fs(&[0.0, 0.6, 0.8])),
            ("user_id", s("alice")),
        ],
    );
    assert_eq!(r, vec![vec![s("alice"), s("loves"), s("pasta")]]);
    g
}

#[test]
fn mem0_graph_memory() {
    let g = mem0();
    // alice was created, matched twice by the add query, and counted once more by id.
    assert_eq!(
        rows(
            &g,
            "MATCH (n:Entity {name: 'alice'}) RETURN n.mentions, n.embedding",
            &[]
        ),
        vec![vec![i(4), fs(&MEM0_ALICE)]]
    );

    // kuzu_memory.py, get_all
    let get_all = "
        MATCH (n :Entity {user_id: $user_id})-[r]->(m :Entity {user_id: $user_id})
        RETURN n.name AS source, label(r) AS relationship, m.name AS target
        LIMIT $limit
        ";
    let p = [("user_id", s("alice")), ("limit", i(100))];
    assert_eq!(
        sorted(rows(&g, get_all, &p)),
        vec![
            vec![s("alice"), s("likes"), s("pizza")],
            vec![s("alice"), s("loves"), s("pasta")],
            vec![s("alice"), s("works_at"), s("acme")],
            vec![s("bob"), s("knows"), s("alice")]
        ]
    );

    // kuzu_memory.py, _search_graph_db: the outgoing and the incoming relationships of
    // the nodes near the query (2 * cosine - 1 >= 0.7: only alice).
    let params = [
        ("n_embedding", fs(&MEM0_ALICE)),
        ("threshold", f(0.7)),
        ("user_id", s("alice")),
        ("limit", i(100)),
    ];
    let out = rows(
        &g,
        "
        MATCH (n :Entity)
        WHERE n.embedding IS NOT NULL AND n.user_id = $user_id
        WITH n, round(2 * array_cosine_similarity(n.embedding, CAST($n_embedding,'FLOAT[3]')) - 1, 4) AS similarity // denormalize for backward compatibility
        WHERE similarity >= CAST($threshold, 'DOUBLE')
        MATCH (n)-[r]->(m)
        RETURN n.name AS source, id(n) AS source_id, label(r) AS relationship, id(r) AS relation_id, m.name AS destination, id(m) AS destination_id, similarity
        LIMIT $limit
        ",
        &params,
    );
    assert_eq!(
        sorted(
            out.iter()
                .map(|r| vec![r[0].clone(), r[2].clone(), r[4].clone(), r[6].clone()])
                .collect()
        ),
        vec![
            vec![s("alice"), s("likes"), s("pizza"), f(1.0)],
            vec![s("alice"), s("loves"), s("pasta"), f(1.0)],
            vec![s("alice"), s("works_at"), s("acme"), f(1.0)]
        ]
    );
    let inc = rows(
        &g,
        "
        MATCH (n :Entity)
        WHERE n.embedding IS NOT NULL AND n.user_id = $user_id
        WITH n, round(2 * array_cosine_similarity(n.embedding, CAST($n_embedding,'FLOAT[3]')) - 1, 4) AS similarity // denormalize for backward compatibility
        WHERE similarity >= CAST($threshold, 'DOUBLE')
        MATCH (m)-[r]->(n)
        RETURN n.name AS source, id(n) AS source_id, label(r) AS relationship, id(r) AS relation_id, m.name AS destination, id(m) AS destination_id, similarity
        LIMIT $limit                
        ",
        &params,
    );
    assert_eq!(inc.len(), 1);
    assert_eq!(
        [inc[0][0].clone(), inc[0][2].clone(), inc[0][4].clone()],
        [s("alice"), s("knows"), s("bob")]
    );

    // kuzu_memory.py, _search_source_node: bob's embedding scores 1.0, pizza's
    // 2 * 0.8 - 1 = 0.6, alice's 0.2.
    let r = rows(
        &g,
        "
        MATCH (source_candidate :Entity)
        WHERE source_candidate.embedding IS NOT NULL 
        AND source_candidate.user_id = $user_id

        WITH source_candidate,
        round(2 * array_cosine_similarity(source_candidate.embedding, CAST($source_embedding,'FLOAT[3]')) - 1, 4) AS source_similarity // denormalize for backward compatibility
        WHERE source_similarity >= $threshold

        WITH source_candidate, source_similarity
        ORDER BY source_similarity DESC
        LIMIT 1

        RETURN id(source_candidate) as id
        ",
        &[
            ("source_embedding", fs(&MEM0_BOB)),
            ("user_id", s("alice")),
            ("threshold", f(0.9)),
        ],
    );
    assert_eq!(
        r,
        rows(&g, "MATCH (n:Entity {name: 'bob'}) RETURN id(n)", &[])
    );

    // kuzu_memory.py, _delete_entities (relationship `knows` filled in)
    let r = rows(
        &g,
        "
        MATCH (n :Entity {name: $source_name, user_id: $user_id})
        -[r:knows]->
        (m :Entity {name: $dest_name, user_id: $user_id})
        DELETE r
        RETURN 
            n.name AS source,
            m.name AS target,
            label(r) AS relationship
        ",
        &[
            ("source_name", s("bob")),
            ("dest_name", s("alice")),
            ("user_id", s("alice")),
        ],
    );
    assert_eq!(r, vec![vec![s("bob"), s("alice"), s("knows")]]);
    assert_eq!(rows(&g, get_all, &p).len(), 3);

    // kuzu_memory.py, delete_all
    run(
        &g,
        "
        MATCH (n :Entity {user_id: $user_id})
        DETACH DELETE n
        ",
        &[("user_id", s("alice"))],
    );
    assert_eq!(count(&g, "MATCH (n) RETURN count(n)"), 0);
}

#[test]
fn round_to_a_precision_and_label() {
    let g = Graph::in_memory().unwrap();
    let one = |q: &str| rows(&g, &format!("RETURN {q}"), &[])[0][0].clone();
    assert_eq!(one("round(2.71828, 2)"), f(2.72));
    assert_eq!(one("round(-2.5, 0)"), f(-3.0));
    assert_eq!(one("round(1250, -2)"), f(1300.0));
    assert_eq!(one("round(1.5, 1000)"), f(1.5));
    assert_eq!(one("round(null, 2)"), Value::Null);
    assert_eq!(one("round(2.5, null)"), Value::Null);
    assert!(execute(&g, "RETURN round(2.5, 'x')", &BTreeMap::new()).is_err());
    run(&g, "CREATE (:Person:Employee)-[:KNOWS]->()", &[]);
    assert_eq!(
        rows(
            &g,
            "MATCH (a)-[r]->(b) RETURN label(a), label(r), label(b), label(null)",
            &[]
        ),
        vec![vec![s("Person"), s("KNOWS"), Value::Null, Value::Null]]
    );
}

#[test]
fn label_disjunction_outside_a_match_pattern_is_a_syntax_error() {
    let g = Graph::in_memory().unwrap();
    for text in [
        "CREATE (n:A|B)",
        "MATCH (n) WHERE exists((n)-->(m:A|B)) RETURN n",
        "MATCH (n) RETURN [(n)-->(m:A|B) | m]",
    ] {
        let e = execute(&g, text, &BTreeMap::new()).unwrap_err();
        assert!(matches!(e, QueryError::Syntax(_)), "{text}: {e}");
    }
    let e = execute(&g, "MERGE (n:A|B)", &BTreeMap::new()).unwrap_err();
    assert!(
        e.to_string().contains("only read in a MATCH pattern"),
        "{e}"
    );
    let e = execute(&g, "MATCH (:A|B) RETURN 1", &BTreeMap::new()).unwrap_err();
    assert!(e.to_string().contains("needs a named node"), "{e}");
}

#[test]
fn type_of_a_relationship_the_query_deleted() {
    let g = Graph::in_memory().unwrap();
    run(&g, "CREATE (:A)-[:T {w: 1}]->(:B)", &[]);
    // Matched both ways, deleted once; its type still answers, and reading its properties
    // is an error (openCypher's EntityNotFound) that discards the delete.
    let e = execute(&g, "MATCH ()-[r]-() DELETE r RETURN r.w", &BTreeMap::new()).unwrap_err();
    assert!(matches!(e, pagegraph_query::QueryError::Deleted(_)), "{e}");
    assert_eq!(count(&g, "MATCH ()-[r]->() RETURN count(r)"), 1);
    let r = run(&g, "MATCH ()-[r]-() DELETE r RETURN type(r), label(r)", &[]);
    assert_eq!(r.rows, vec![vec![s("T"), s("T")], vec![s("T"), s("T")]]);
    assert_eq!(r.stats.rels_deleted, 1);
    assert_eq!(count(&g, "MATCH ()-[r]->() RETURN count(r)"), 0);
}

// ---------------------------------------------------------------------------------------
// Graphiti on Neo4j: graphiti_core/models/{nodes,edges}/*_db_queries.py (the Neo4j
// cases) and graphiti_core/driver/neo4j/operations/search_ops.py. Here an entity edge is
// a RELATES_TO relationship with properties. The save queries are Graphiti's variant
// without `WITH n CALL db.create.setNodeVectorProperty(...)` (the one it sends when the
// embeddings live in another store); that procedure is not supported, and the embedding
// is saved with the other properties.
// ---------------------------------------------------------------------------------------

// graphiti_core/models/edges/edge_db_queries.py, get_entity_edge_return_query (Neo4j)
const GRAPHITI_NEO4J_EDGE_RETURN: &str = "
    e.uuid AS uuid,
    startNode(e).uuid AS source_node_uuid,
    endNode(e).uuid AS target_node_uuid,
    e.group_id AS group_id,
    e.created_at AS created_at,
    e.name AS name,
    e.fact AS fact,
    e.episodes AS episodes,
    e.expired_at AS expired_at,
    e.valid_at AS valid_at,
    e.invalid_at AS invalid_at,
    e.reference_time AS reference_time,
    properties(e) AS attributes";

// graphiti_core/models/nodes/node_db_queries.py, get_entity_node_return_query (Neo4j)
const GRAPHITI_NEO4J_ENTITY_RETURN: &str = "
    n.uuid AS uuid,
    n.name AS name,
    n.group_id AS group_id,
    n.created_at AS created_at,
    n.summary AS summary,
    labels(n) AS labels,
    properties(n) AS attributes";

/// The Graphiti fixture above, stored as Graphiti stores it in Neo4j: Alice, Bob (Person)
/// and Acme (Organization) in g1, Zed in g2; facts r-1 Alice WORKS_AT Acme, r-2 Bob KNOWS
/// Alice, r-3 Bob WORKS_AT Acme as RELATES_TO relationships; episode ep-1 mentions Alice;
/// community c-1 has member Alice.
fn graphiti_neo4j() -> Graph {
    let g = Graph::in_memory().unwrap();
    let t0 = "2024-01-01T00:00:00Z";
    for (uuid, name, group, label, emb) in [
        ("n-alice", "Alice", "g1", "Person", [1.0, 0.0, 0.0]),
        ("n-bob", "Bob", "g1", "Person", [0.6, 0.8, 0.0]),
        ("n-acme", "Acme", "g1", "Organization", [0.0, 0.0, 1.0]),
        ("n-zed", "Zed", "g2", "Person", [1.0, 0.0, 0.0]),
    ] {
        // node_db_queries.py, get_entity_node_save_query (Neo4j), labels filled in
        let q = format!(
            "
                MERGE (n:Entity {{uuid: $entity_data.uuid}})
                SET n:{label}
                SET n = $entity_data
                RETURN n.uuid AS uuid
            "
        );
        let data = map(&[
            ("uuid", s(uuid)),
            ("name", s(name)),
            ("group_id", s(group)),
            ("created_at", s(t0)),
            ("summary", s(&format!("{name} summary"))),
            ("name_embedding", fs(&emb)),
        ]);
        assert_eq!(rows(&g, &q, &[("entity_data", data)]), vec![vec![s(uuid)]]);
    }
    for (uuid, src, dst, name, fact, emb) in [
        (
            "r-1",
            "n-alice",
            "n-acme",
            "WORKS_AT",
            "Alice works at Acme",
            [1.0, 0.0, 0.0],
        ),
        (
            "r-2",
            "n-bob",
            "n-alice",
            "KNOWS",
            "Bob knows Alice",
            [0.0, 1.0, 0.0],
        ),
        (
            "r-3",
            "n-bob",
            "n-acme",
            "WORKS_AT",
            "Bob works at Acme",
            [0.6, 0.8, 0.0],
        ),
    ] {
        // edge_db_queries.py, get_entity_edge_save_query (Neo4j)
        let data = map(&[
            ("uuid", s(uuid)),
            ("source_uuid", s(src)),
            ("target_uuid", s(dst)),
            ("group_id", s("g1")),
            ("created_at", s(t0)),
            ("name", s(name)),
            ("fact", s(fact)),
            ("fact_embedding", fs(&emb)),
            ("episodes", ss(&["ep-1"])),
        ]);
        let r = rows(
            &g,
            "
                MATCH (source:Entity {uuid: $edge_data.source_uuid})
                MATCH (target:Entity {uuid: $edge_data.target_uuid})
                MERGE (source)-[e:RELATES_TO {uuid: $edge_data.uuid}]->(target)
                SET e = $edge_data
                RETURN e.uuid AS uuid
            ",
            &[("edge_data", data)],
        );
        assert_eq!(r, vec![vec![s(uuid)]]);
    }
    // node_db_queries.py, get_episode_node_save_query (Neo4j)
    run(
        &g,
        "
                MERGE (n:Episodic {uuid: $uuid})
                SET n = {uuid: $uuid, name: $name, group_id: $group_id, source_description: $source_description, source: $source, content: $content,
                entity_edges: $entity_edges, created_at: $created_at, valid_at: $valid_at}
                RETURN n.uuid AS uuid
            ",
        &[
            ("uuid", s("ep-1")),
            ("name", s("episode 1")),
            ("group_id", s("g1")),
            ("source_description", s("chat")),
            ("source", s("message")),
            ("content", s("Alice joined Acme.")),
            ("entity_edges", ss(&["r-1"])),
            ("created_at", s(t0)),
            ("valid_at", s(t0)),
        ],
    );
    // edge_db_queries.py, EPISODIC_EDGE_SAVE
    run(
        &g,
        "
    MATCH (episode:Episodic {uuid: $episode_uuid})
    MATCH (node:Entity {uuid: $entity_uuid})
    MERGE (episode)-[e:MENTIONS {uuid: $uuid}]->(node)
    SET
        e.group_id = $group_id,
        e.created_at = $created_at
    RETURN e.uuid AS uuid
",
        &[
            ("episode_uuid", s("ep-1")),
            ("entity_uuid", s("n-alice")),
            ("uuid", s("m-1")),
            ("group_id", s("g1")),
            ("created_at", s(t0)),
        ],
    );
    // node_db_queries.py, get_community_node_save_query (Neo4j).
    // REWRITE: `WITH n CALL db.create.setNodeVectorProperty(n, "name_embedding",
    // $name_embedding)` becomes `SET n.name_embedding = $name_embedding`.
    run(
        &g,
        "
                MERGE (n:Community {uuid: $uuid})
                SET n = {uuid: $uuid, name: $name, group_id: $group_id, summary: $summary, created_at: $created_at}
                SET n.name_embedding = $name_embedding
                RETURN n.uuid AS uuid
            ",
        &[
            ("name_embedding", fs(&[0.0, 0.0, 1.0])),
            ("uuid", s("c-1")),
            ("name", s("Acme staff")),
            ("group_id", s("g1")),
            ("summary", s("people at Acme")),
            ("created_at", s(t0)),
        ],
    );
    // edge_db_queries.py, get_community_edge_save_query (Neo4j): a label disjunction
    let r = rows(
        &g,
        "
                MATCH (community:Community {uuid: $community_uuid})
                MATCH (node:Entity | Community {uuid: $entity_uuid})
                MERGE (community)-[e:HAS_MEMBER {uuid: $uuid}]->(node)
                SET e = {uuid: $uuid, group_id: $group_id, created_at: $created_at}
                RETURN e.uuid AS uuid
            ",
        &[
            ("community_uuid", s("c-1")),
            ("entity_uuid", s("n-alice")),
            ("uuid", s("h-1")),
            ("group_id", s("g1")),
            ("created_at", s(t0)),
        ],
    );
    assert_eq!(r, vec![vec![s("h-1")]]);
    g
}

#[test]
fn graphiti_neo4j_saves_and_searches() {
    let g = graphiti_neo4j();
    // The label set by `SET n:Person` stays through `SET n = $entity_data`.
    let text = format!("MATCH (n:Entity {{uuid: 'n-bob'}}) RETURN {GRAPHITI_NEO4J_ENTITY_RETURN}");
    let r = run(&g, &text, &[]);
    assert_eq!(column(&r, "labels"), vec![ss(&["Entity", "Person"])]);
    let Value::Map(attrs) = &column(&r, "attributes")[0] else {
        panic!("{r:?}")
    };
    assert_eq!(attrs["name_embedding"], fs(&[0.6, 0.8, 0.0]));

    // search_ops.py, node_similarity_search (Neo4j): vector.similarity.cosine is
    // (1 + cosine) / 2, so Alice 1.0, Bob 0.8, Acme 0.5.
    let text = format!(
        "MATCH (n:Entity) WHERE n.group_id IN $group_ids
            WITH n, vector.similarity.cosine(n.name_embedding, $search_vector) AS score
            WHERE score > $min_score
            RETURN {GRAPHITI_NEO4J_ENTITY_RETURN}
            ORDER BY score DESC
            LIMIT $limit"
    );
    let r = run(
        &g,
        &text,
        &[
            ("group_ids", ss(&["g1"])),
            ("search_vector", fs(&[1.0, 0.0, 0.0])),
            ("min_score", f(0.6)),
            ("limit", i(10)),
        ],
    );
    assert_eq!(column(&r, "uuid"), vec![s("n-alice"), s("n-bob")]);

    // search_ops.py, edge_similarity_search (Neo4j)
    let text = format!(
        "MATCH (n:Entity)-[e:RELATES_TO]->(m:Entity) WHERE e.group_id IN $group_ids
            WITH DISTINCT e, n, m, vector.similarity.cosine(e.fact_embedding, $search_vector) AS score
            WHERE score > $min_score
            RETURN {GRAPHITI_NEO4J_EDGE_RETURN}
            ORDER BY score DESC
            LIMIT $limit"
    );
    let r = run(
        &g,
        &text,
        &[
            ("group_ids", ss(&["g1"])),
            ("search_vector", fs(&[0.0, 1.0, 0.0])),
            ("min_score", f(0.6)),
            ("limit", i(10)),
        ],
    );
    assert_eq!(column(&r, "uuid"), vec![s("r-2"), s("r-3")]);
    assert_eq!(column(&r, "source_node_uuid"), vec![s("n-bob"), s("n-bob")]);
    assert_eq!(
        column(&r, "target_node_uuid"),
        vec![s("n-alice"), s("n-acme")]
    );

    // search_ops.py, node_bfs_search (Neo4j), max_depth 2, with a group filter: from
    // ep-1 (MENTIONS Alice) and Bob.
    let text = format!(
        "
            UNWIND $bfs_origin_node_uuids AS origin_uuid
            MATCH (origin {{uuid: origin_uuid}})-[:RELATES_TO|MENTIONS*1..2]->(n:Entity)
            WHERE n.group_id = origin.group_id
             AND n.group_id IN $group_ids AND origin.group_id IN $group_ids
            RETURN
            {GRAPHITI_NEO4J_ENTITY_RETURN}
            LIMIT $limit
            "
    );
    let r = run(
        &g,
        &text,
        &[
            ("bfs_origin_node_uuids", ss(&["ep-1", "n-bob"])),
            ("group_ids", ss(&["g1"])),
            ("limit", i(20)),
        ],
    );
    // ep-1: Alice, Alice-Acme. Bob: Alice, Acme, Alice-Acme.
    assert_eq!(
        sorted(column(&r, "uuid").into_iter().map(|v| vec![v]).collect()),
        vec![
            vec![s("n-acme")],
            vec![s("n-acme")],
            vec![s("n-acme")],
            vec![s("n-alice")],
            vec![s("n-alice")]
        ]
    );

    // search_ops.py, edge_bfs_search (Neo4j), max_depth 1: the relationships on the paths
    // from ep-1, found again by uuid (the MENTIONS one matches no RELATES_TO).
    let text = format!(
        "
            UNWIND $bfs_origin_node_uuids AS origin_uuid
            MATCH path = (origin {{uuid: origin_uuid}})-[:RELATES_TO|MENTIONS*1..2]->(:Entity)
            UNWIND relationships(path) AS rel
            MATCH (n:Entity)-[e:RELATES_TO {{uuid: rel.uuid}}]-(m:Entity)
             WHERE e.group_id IN $group_ids
            RETURN DISTINCT
            {GRAPHITI_NEO4J_EDGE_RETURN}
            LIMIT $limit
            "
    );
    let r = run(
        &g,
        &text,
        &[
            ("bfs_origin_node_uuids", ss(&["ep-1"])),
            ("group_ids", ss(&["g1"])),
            ("limit", i(20)),
        ],
    );
    assert_eq!(column(&r, "uuid"), vec![s("r-1")]);
    assert_eq!(column(&r, "source_node_uuid"), vec![s("n-alice")]);

    // search_ops.py, node_distance_reranker (Neo4j)
    let r = rows(
        &g,
        "
        UNWIND $node_uuids AS node_uuid
        MATCH (center:Entity {uuid: $center_uuid})-[:RELATES_TO]-(n:Entity {uuid: node_uuid})
        RETURN 1 AS score, node_uuid AS uuid
        ",
        &[
            ("node_uuids", ss(&["n-alice", "n-acme", "n-zed"])),
            ("center_uuid", s("n-bob")),
        ],
    );
    assert_eq!(
        sorted(r),
        vec![vec![i(1), s("n-acme")], vec![i(1), s("n-alice")]]
    );
    assert_eq!(count(&g, "MATCH ()-[r:HAS_MEMBER]->() RETURN count(r)"), 1);
    assert_eq!(
        rows(&g, "MATCH (c:Community) RETURN c.name_embedding", &[]),
        vec![vec![fs(&[0.0, 0.0, 1.0])]]
    );
}
