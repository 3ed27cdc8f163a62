//! `pagegraph demo`: builds a graph from the bundled Neo4j movies dataset (Apache-2.0; see
//! `data/neo4j-movies/README.md`) and shows what the database does.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use pagegraph::algo::{self, Csr, CsrOptions, PageRank, StoreView};
use pagegraph::{Direction, Graph, NodeId};
use serde_json::{Map, Value, json};

use crate::output::{emit, human_bytes, node_json};

/// The Neo4j "movies" Cypher script.
const MOVIES: &str = include_str!("../data/neo4j-movies/movies.cypher");

pub fn run(path: Option<PathBuf>, json_out: bool) -> Result<()> {
    let path = if let Some(p) = path {
        if p.exists() {
            bail!(
                "{}: already exists; the demo builds a new database (give a new path)",
                p.display()
            );
        }
        p
    } else {
        let tmp = std::env::temp_dir().join(format!("pagegraph-demo-{}", std::process::id()));
        std::fs::create_dir_all(&tmp)?;
        tmp.join("movies.pgdb")
    };
    let start = Instant::now();
    let g = Graph::open(&path).with_context(|| format!("{}: cannot create", path.display()))?;
    // The script runs as it is, through the Cypher engine, in one transaction; movies are
    // then named by their title, so that name lookups (exact, prefix, glob) find them too.
    let no_params = std::collections::BTreeMap::new();
    let mut tx = g.begin_write()?;
    let loaded = pagegraph_query::run_write(MOVIES, &no_params, &mut tx)
        .map_err(|e| anyhow!("movies.cypher: {e}"))?;
    pagegraph_query::run_write("MATCH (m:Movie) SET m.name = m.title", &no_params, &mut tx)
        .map_err(|e| anyhow!("{e}"))?;
    tx.commit()?;
    let (node_count, rel_count) = (loaded.stats.nodes_created, loaded.stats.rels_created);
    let mut report = Report::default();
    report.line(
        "loaded",
        json!({"nodes": node_count, "relationships": rel_count, "path": path,
            "seconds": start.elapsed().as_secs_f64()}),
        format!(
            "Loaded the Neo4j movies graph ({node_count} nodes, {rel_count} relationships) by running its Cypher script into {} in {:.1?}, one durable commit.\n",
            path.display(),
            start.elapsed()
        ),
    );
    show(&g, &mut report)?;
    let check = g.check()?;
    let pages = g.stats()?;
    g.close()?;
    // The sizes once closed: the close checkpoints the WAL into the file and removes it.
    let file_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    report.line(
        "check",
        json!({"clean": check.is_clean(), "problems": check.problems.len(),
            "file_bytes": file_bytes, "page_size": pages.page_size}),
        format!(
            "\ncheck: {}; closed, the file is {} ({} pages of {} bytes; no WAL is left beside it)",
            if check.is_clean() {
                "clean".to_string()
            } else {
                format!("{} problems", check.problems.len())
            },
            human_bytes(file_bytes),
            file_bytes / u64::from(pages.page_size.max(1)),
            pages.page_size,
        ),
    );
    report.text.push_str(&format!(
        "\nTry: pagegraph stats {0}\n     pagegraph neighbors {0} \"Tom Hanks\" --by-name --type ACTED_IN\n     pagegraph path {0} \"Kevin Bacon\" \"Meg Ryan\" --by-name --dir both\n     pagegraph algo {0} pagerank --top 10\n     pagegraph export {0} --format dot",
        path.display()
    ));
    emit(json_out, &Value::Object(report.json), || report.text)
}

/// The demo's answers, as text lines and as one JSON object.
#[derive(Default)]
struct Report {
    text: String,
    json: Map<String, Value>,
}

impl Report {
    fn line(&mut self, key: &str, value: Value, text: String) {
        self.json.insert(key.to_string(), value);
        self.text.push_str(&text);
        self.text.push('\n');
    }
}

/// Queries the demo graph and adds the answers to `out`.
#[allow(
    clippy::too_many_lines,
    reason = "one query after another, in the order shown"
)]
fn show(g: &Graph, out: &mut Report) -> Result<()> {
    let r = g.begin_read()?;
    let (kinds, types) = (r.kinds()?, r.edge_types()?);
    out.line(
        "kinds",
        json!(kinds_json(&kinds)),
        format!("Kinds:       {}", list(&kinds)),
    );
    out.line(
        "edge_types",
        json!(kinds_json(&types)),
        format!("Edge types:  {}\n", list(&types)),
    );
    let name_of = |id: NodeId| -> String {
        r.node(id)
            .ok()
            .flatten()
            .map(|n| n.name)
            .unwrap_or_default()
    };
    let one = |name: &str| -> Result<NodeId> {
        r.nodes_by_name(name)?
            .first()
            .copied()
            .ok_or_else(|| anyhow!("{name} is missing from the dataset"))
    };
    let keanu = one("Keanu Reeves")?;
    let movies: Vec<String> = r
        .neighbors(keanu, Direction::Outgoing, Some("ACTED_IN"))?
        .into_iter()
        .map(|(_, m)| name_of(m))
        .collect();
    out.line(
        "keanu_reeves_acted_in",
        json!(movies),
        format!(
            "neighbors(Keanu Reeves, out, ACTED_IN): {}",
            movies.join(", ")
        ),
    );
    let matrix = one("The Matrix")?;
    let cast: Vec<(String, String)> = r
        .neighbors(matrix, Direction::Incoming, None)?
        .into_iter()
        .filter_map(|(e, p)| Some((name_of(p), r.edge(e).ok()??.edge_type)))
        .collect();
    let cast_text: Vec<String> = cast.iter().map(|(p, t)| format!("{p} ({t})")).collect();
    out.line(
        "the_matrix_in",
        cast.iter()
            .map(|(p, t)| json!({"name": p, "type": t}))
            .collect(),
        format!("neighbors(The Matrix, in): {}", cast_text.join(", ")),
    );
    let node = r.node(matrix)?.context("The Matrix missing")?;
    out.line(
        "the_matrix",
        node_json(&node),
        format!(
            "node {}: {} {:?} {}",
            node.id, node.kind, node.name, node.data
        ),
    );
    let movie_count = r.nodes_by_kind("Movie")?.len();
    out.line(
        "movies",
        json!(movie_count),
        format!("nodes_by_kind(Movie): {movie_count} nodes"),
    );
    let toms: Vec<String> = r
        .nodes_by_name_prefix("Tom ")?
        .into_iter()
        .map(name_of)
        .collect();
    out.line(
        "names_starting_tom",
        json!(toms),
        format!("nodes_by_name_prefix(\"Tom \"): {}", toms.join(", ")),
    );
    let glob: Vec<String> = r
        .nodes_by_name_glob("The Matrix*")?
        .into_iter()
        .map(name_of)
        .collect();
    out.line(
        "names_matching_the_matrix",
        json!(glob),
        format!("nodes_by_name_glob(\"The Matrix*\"): {}", glob.join(", ")),
    );
    let reviewers: Vec<String> = r
        .nodes_by_kind("Person")?
        .into_iter()
        .filter(|&p| {
            r.degree(p, Direction::Outgoing, Some("REVIEWED"))
                .unwrap_or(0)
                > 0
        })
        .map(name_of)
        .collect();
    out.line(
        "reviewers",
        json!(reviewers),
        format!("people who reviewed a movie: {}", reviewers.join(", ")),
    );
    let (bacon, hanks) = (one("Kevin Bacon")?, one("Tom Hanks")?);
    let store = StoreView::new(&r, None);
    let near = algo::bfs(&store, bacon, Direction::Both, Some(2))?
        .len()
        .saturating_sub(1);
    out.line(
        "kevin_bacon_within_2",
        json!(near),
        format!("bfs(Kevin Bacon, both ways, depth 2): {near} nodes reached"),
    );
    if let Some(p) = algo::shortest_path(&store, bacon, hanks, Direction::Both)? {
        let hops: Vec<String> = p.nodes.into_iter().map(name_of).collect();
        out.line(
            "kevin_bacon_to_tom_hanks",
            json!(hops),
            format!(
                "shortest_path(Kevin Bacon, Tom Hanks): {}",
                hops.join(" - ")
            ),
        );
    }
    let csr = Csr::build(&r, &CsrOptions::default(), &mut |_| {})?;
    let mut ranks = algo::pagerank(&csr, PageRank::default(), &mut |_| {})?;
    ranks.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top: Vec<(String, f64)> = ranks
        .into_iter()
        .take(3)
        .map(|(n, x)| (name_of(n), x))
        .collect();
    let top_text: Vec<String> = top.iter().map(|(n, x)| format!("{n} {x:.4}")).collect();
    out.line(
        "pagerank_top3",
        top.iter()
            .map(|(n, x)| json!({"name": n, "rank": x}))
            .collect(),
        format!("pagerank, top 3: {}", top_text.join(", ")),
    );
    Ok(())
}

fn kinds_json(items: &[(String, u64)]) -> Map<String, Value> {
    items.iter().map(|(k, n)| (k.clone(), json!(n))).collect()
}

fn list(items: &[(String, u64)]) -> String {
    items
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_bundled_script_runs_to_the_counts_of_its_readme() {
        use pagegraph_query::Value as V;
        let g = Graph::in_memory().unwrap();
        let p = std::collections::BTreeMap::new();
        let r = pagegraph_query::execute(&g, MOVIES, &p).unwrap();
        assert_eq!((r.stats.nodes_created, r.stats.rels_created), (171, 253));
        let count = |q: &str| pagegraph_query::execute(&g, q, &p).unwrap().rows[0][0].clone();
        assert_eq!(count("MATCH (m:Movie) RETURN count(m)"), V::Int(38));
        assert_eq!(
            count("MATCH ()-[r:ACTED_IN]->() RETURN count(r)"),
            V::Int(172)
        );
        assert_eq!(
            count("MATCH ()-[r:REVIEWED]->() RETURN count(r)"),
            V::Int(9)
        );
        assert_eq!(
            count("MATCH (k:Person {name: 'Keanu Reeves'}) RETURN k.born"),
            V::Int(1964)
        );
        assert_eq!(
            count(
                "MATCH (:Person {name: 'Keanu Reeves'})-[r:ACTED_IN]->(:Movie {title: 'The Matrix'}) RETURN r.roles"
            ),
            V::List(vec![V::String("Neo".into())])
        );
        assert_eq!(
            count("MATCH (m:Movie) WHERE m.title STARTS WITH 'The Devil' RETURN m.title"),
            V::String("The Devil's Advocate".into())
        );
    }
}
