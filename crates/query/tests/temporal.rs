//! Dates, times and durations through Cypher: stored as properties in a database file and
//! read back after it is reopened, compared, sorted, grouped, indexed, moved by durations
//! and taken apart, against answers computed by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::Graph;
use pagegraph::value::Temporal;
use pagegraph_query::{Value, execute};

fn rows(g: &Graph, text: &str, params: &BTreeMap<String, Value>) -> Vec<Vec<Value>> {
    execute(g, text, params)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .rows
}

/// The written form of every value of a one-column result.
fn texts(g: &Graph, text: &str, params: &BTreeMap<String, Value>) -> Vec<String> {
    rows(g, text, params)
        .into_iter()
        .map(|r| match &r[0] {
            Value::Temporal(t) => t.to_string(),
            Value::String(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

const EVENTS: &str = "
    CREATE (:Event {name: 'launch', at: datetime('2024-03-01T10:00+01:00'), day: date('2024-03-01')}),
           (:Event {name: 'review', at: datetime('2024-03-01T08:30Z'), day: date('2024-03-01')}),
           (:Event {name: 'retro',  at: datetime('2024-02-29T23:00-05:00'), day: date('2024-02-29')}),
           (:Event {name: 'kickoff', at: datetime({year: 2023, month: 12, day: 31, hour: 9, timezone: '+09:00'}), day: date('2023-12-31')}),
           (:Event {name: 'undated'})";

#[test]
fn stored_temporal_values_survive_a_reopen_and_compare_by_instant() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pgdb");
    let none = BTreeMap::new();
    {
        let g = Graph::open(&path).unwrap();
        rows(&g, EVENTS, &none);
    }
    let g = Graph::open(&path).unwrap();
    // In UTC: kickoff 2023-12-31T00:00, retro 2024-03-01T04:00, review 08:30, launch 09:00.
    assert_eq!(
        texts(
            &g,
            "MATCH (e:Event) WHERE e.at IS NOT NULL RETURN e.name ORDER BY e.at",
            &none
        ),
        ["kickoff", "retro", "review", "launch"]
    );
    assert_eq!(
        texts(&g, "MATCH (e:Event {name: 'retro'}) RETURN e.at", &none),
        ["2024-02-29T23:00-05:00"]
    );
    let cutoff = BTreeMap::from([(
        "t".to_string(),
        Value::Temporal(Temporal::parse("datetime", "2024-03-01T06:00Z").unwrap()),
    )]);
    let after = "MATCH (e:Event) WHERE e.at > $t RETURN e.name ORDER BY e.name";
    assert_eq!(texts(&g, after, &cutoff), ["launch", "review"]);
    // The same through an index seek.
    rows(&g, "CREATE INDEX FOR (e:Event) ON (e.at)", &none);
    let plan = texts(&g, &format!("EXPLAIN {after}"), &cutoff).join("\n");
    assert!(plan.contains("NodeIndexSeek"), "{plan}");
    assert_eq!(texts(&g, after, &cutoff), ["launch", "review"]);
    // Grouping and DISTINCT by date.
    assert_eq!(
        rows(
            &g,
            "MATCH (e:Event) WHERE e.day IS NOT NULL
             RETURN e.day AS day, count(*) AS n ORDER BY day DESC",
            &none
        ),
        vec![
            vec![
                Value::Temporal(Temporal::parse("date", "2024-03-01").unwrap()),
                Value::Int(2)
            ],
            vec![
                Value::Temporal(Temporal::parse("date", "2024-02-29").unwrap()),
                Value::Int(1)
            ],
            vec![
                Value::Temporal(Temporal::parse("date", "2023-12-31").unwrap()),
                Value::Int(1)
            ],
        ]
    );
    // Fields, in the value's own offset.
    assert_eq!(
        rows(
            &g,
            "MATCH (e:Event {name: 'retro'})
             RETURN e.at.year, e.at.month, e.at.day, e.at.hour, e.at.timezone, e.day.dayOfWeek",
            &none
        ),
        vec![vec![
            Value::Int(2024),
            Value::Int(2),
            Value::Int(29),
            Value::Int(23),
            s("-05:00"),
            Value::Int(4)
        ]]
    );
}

#[test]
fn durations_move_values_and_kinds_do_not_mix() {
    let none = BTreeMap::new();
    let g = Graph::in_memory().unwrap();
    let one = |text: &str| texts(&g, &format!("RETURN {text} AS v"), &none).remove(0);
    assert_eq!(one("date('2024-01-31') + duration('P1M')"), "2024-02-29");
    assert_eq!(
        one("date('2024-03-01') - duration({days: 1})"),
        "2024-02-29"
    );
    assert_eq!(
        one("datetime('2024-03-31T01:30+01:00') + duration('PT45M')"),
        "2024-03-31T02:15+01:00"
    );
    assert_eq!(one("localtime('23:59:59') + duration('PT2S')"), "00:00:01");
    assert_eq!(one("duration('P1D') + duration('PT36H')"), "P1DT36H");
    assert_eq!(
        one("toString(date({year: 2024, month: 2, day: 29}))"),
        "2024-02-29"
    );
    assert_eq!(one("duration({weeks: 2, hours: 1.5})"), "P14DT1H30M");
    assert_eq!(
        one("date(datetime('2024-03-01T23:30-05:00'))"),
        "2024-03-01"
    );
    // Comparisons of two kinds, or of durations, are null; equality is false.
    assert_eq!(
        rows(
            &g,
            "RETURN date('2024-01-01') < localdatetime('2024-01-02T00:00') AS a,
                    duration('P1D') < duration('P2D') AS b,
                    date('2024-01-01') = '2024-01-01' AS c,
                    date('2024-01-01') = date({year: 2024}) AS d",
            &none
        ),
        vec![vec![
            Value::Null,
            Value::Null,
            Value::Bool(false),
            Value::Bool(true)
        ]]
    );
    // Bad input: errors that say what is wrong.
    for bad in [
        "RETURN date('2024-02-30')",
        "RETURN date({year: 2024, day: 3})",
        "RETURN time({hour: 10, timezone: 'Europe/Paris'})",
        "RETURN date('2024-01-01') + date('2024-01-01')",
        "RETURN date('2024-01-01').hour",
        "CREATE ({m: {`\u{0}date`: '2024-01-01'}})",
    ] {
        assert!(execute(&g, bad, &none).is_err(), "{bad}");
    }
}

/// The timestamp forms of Kùzu-using tools run as they send them: kuzu-memory's
/// `TIMESTAMP($x)` on ISO-8601 parameters (a memory saved, found while valid, expired and
/// cleaned up), `timestamp('1970-01-01 00:00:00')` and `current_timestamp()`, and
/// `LlamaIndex`'s `date($creation_date)`.
#[test]
fn kuzu_timestamp_forms_run_unchanged() {
    let g = Graph::in_memory().unwrap();
    let p = |pairs: &[(&str, &str)]| -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), s(v)))
            .collect()
    };
    let save = "CREATE (m:Memory {id: $id, created_at: TIMESTAMP($created_at),
        valid_to: CASE WHEN $expires_at IS NOT NULL THEN TIMESTAMP($expires_at) ELSE NULL END})";
    rows(
        &g,
        save,
        &p(&[
            ("id", "m1"),
            ("created_at", "2024-03-01T10:00:00+02:00"),
            ("expires_at", "2024-03-08 08:00:00"),
        ]),
    );
    let mut forever = p(&[("id", "m2"), ("created_at", "2024-03-02 09:00:00")]);
    forever.insert("expires_at".into(), Value::Null);
    rows(&g, save, &forever);
    // Moved to UTC, as Kùzu keeps a TIMESTAMP.
    assert_eq!(
        texts(
            &g,
            "MATCH (m:Memory {id: 'm1'}) RETURN m.created_at",
            &BTreeMap::new()
        ),
        ["2024-03-01T08:00Z"]
    );
    let valid = "MATCH (m:Memory) WHERE m.valid_to IS NULL OR m.valid_to > TIMESTAMP($now)
                 RETURN m.id ORDER BY m.created_at DESC";
    assert_eq!(
        texts(&g, valid, &p(&[("now", "2024-03-05T00:00:00")])),
        ["m2", "m1"]
    );
    assert_eq!(
        texts(&g, valid, &p(&[("now", "2024-03-09T00:00:00")])),
        ["m2"]
    );
    assert_eq!(
        texts(
            &g,
            "MATCH (m:Memory) WHERE m.valid_to IS NULL OR m.valid_to > timestamp('1970-01-01 00:00:00')
             RETURN count(m)",
            &BTreeMap::new()
        ),
        ["Int(2)"]
    );
    rows(
        &g,
        "MATCH (m:Memory) WHERE m.valid_to IS NOT NULL AND m.valid_to <= TIMESTAMP($now) DETACH DELETE m",
        &p(&[("now", "2024-03-09T00:00:00")]),
    );
    assert_eq!(
        texts(&g, "MATCH (m:Memory) RETURN m.id", &BTreeMap::new()),
        ["m2"]
    );
    // Now is after every memory here, and a datetime in UTC.
    assert_eq!(
        rows(
            &g,
            "MATCH (m:Memory) RETURN m.created_at < current_timestamp(), current_timestamp().timezone,
                    current_date() >= date('2024-03-02')",
            &BTreeMap::new()
        ),
        vec![vec![Value::Bool(true), s("Z"), Value::Bool(true)]]
    );
    rows(
        &g,
        "MERGE (c:Chunk {id: $id}) SET c.creation_date = date($creation_date)",
        &p(&[("id", "c1"), ("creation_date", "2024-02-29")]),
    );
    assert_eq!(
        texts(
            &g,
            "MATCH (c:Chunk) RETURN c.creation_date.month",
            &BTreeMap::new()
        ),
        ["Int(2)"]
    );
}
