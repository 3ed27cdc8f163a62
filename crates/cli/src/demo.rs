//! `pagegraph demo`: builds a graph from the bundled Neo4j movies dataset (Apache-2.0; see
//! `data/neo4j-movies/README.md`) and shows what the database does.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use pagegraph::algo::{self, Csr, CsrOptions, PageRank, StoreView};
use pagegraph::{Direction, EdgeSpec, Graph, NodeId, NodeSpec};
use serde_json::{Map, Number, Value, json};

use crate::output::{emit, human_bytes, node_json};

/// The Neo4j "movies" Cypher script.
const MOVIES: &str = include_str!("../data/neo4j-movies/movies.cypher");

/// A node of the script: variable, label, properties.
pub struct CypherNode {
    /// The script's variable for it.
    pub var: String,
    /// Its label (our kind).
    pub label: String,
    /// Its property map.
    pub props: Map<String, Value>,
}

/// A relationship of the script: from variable, type, to variable, properties.
pub struct CypherRel {
    /// Source variable.
    pub from: String,
    /// Relationship type.
    pub rel_type: String,
    /// Target variable.
    pub to: String,
    /// Its property map.
    pub props: Map<String, Value>,
}

/// A cursor over a Cypher literal.
struct Lit<'a> {
    s: &'a [u8],
    at: usize,
}

impl Lit<'_> {
    fn skip_ws(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<()> {
        self.skip_ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            Ok(())
        } else {
            bail!("expected {:?} at byte {}", c as char, self.at)
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.at).copied()
    }
    fn map(&mut self) -> Result<Map<String, Value>> {
        self.eat(b'{')?;
        let mut m = Map::new();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(m);
        }
        loop {
            self.skip_ws();
            let start = self.at;
            while self.at < self.s.len()
                && (self.s[self.at].is_ascii_alphanumeric() || self.s[self.at] == b'_')
            {
                self.at += 1;
            }
            let key = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
            self.eat(b':')?;
            let v = self.value()?;
            m.insert(key, v);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(m);
                }
                _ => bail!("expected ',' or '}}' at byte {}", self.at),
            }
        }
    }
    fn value(&mut self) -> Result<Value> {
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => {
                self.at += 1;
                let start = self.at;
                while self.at < self.s.len() && self.s[self.at] != q {
                    self.at += 1;
                }
                let text = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
                self.eat(q)?;
                Ok(Value::String(text))
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                while self.peek() != Some(b']') {
                    items.push(self.value()?);
                    if self.peek() == Some(b',') {
                        self.at += 1;
                    }
                }
                self.at += 1;
                Ok(Value::Array(items))
            }
            Some(_) => {
                let start = self.at;
                while self.at < self.s.len()
                    && (self.s[self.at].is_ascii_digit() || b"-.".contains(&self.s[self.at]))
                {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.at])?;
                let n: Number = text.parse().map_err(|_| anyhow!("bad number {text:?}"))?;
                Ok(Value::Number(n))
            }
            None => bail!("unexpected end of a property map"),
        }
    }
}

fn props(text: &str) -> Result<Map<String, Value>> {
    match text.find('{') {
        Some(i) => Lit {
            s: &text.as_bytes()[i..],
            at: 0,
        }
        .map(),
        None => Ok(Map::new()),
    }
}

/// The `CREATE (Var:Label {...})` nodes and `(A)-[:TYPE {...}]->(B)` relationships of the
/// movies script (the only forms it uses).
pub fn parse_movies(text: &str) -> Result<(Vec<CypherNode>, Vec<CypherRel>)> {
    let (mut nodes, mut rels) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches("CREATE").trim();
        let Some(rest) = line.strip_prefix('(') else {
            continue;
        };
        let ctx = || format!("movies.cypher:{}", i + 1);
        if let Some((var, after)) = rest.split_once(")-[:") {
            let (inner, to) = after
                .split_once("]->(")
                .with_context(|| format!("{}: bad relationship", ctx()))?;
            let rel_type: String = inner
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let to = to.trim_end_matches([',', ';']).trim_end_matches(')');
            rels.push(CypherRel {
                from: var.to_string(),
                rel_type,
                to: to.to_string(),
                props: props(inner).with_context(ctx)?,
            });
        } else if let Some((head, _)) = rest.split_once(' ').or(Some((rest, "")))
            && let Some((var, label)) = head.trim_end_matches(')').split_once(':')
        {
            nodes.push(CypherNode {
                var: var.to_string(),
                label: label.to_string(),
                props: props(rest).with_context(ctx)?,
            });
        }
    }
    Ok((nodes, rels))
}

/// Runs the demo in `path` (a fresh temporary directory when `None`); prints its answers
/// as text, or as one JSON object with `json_out`.
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
    let (nodes, rels) = parse_movies(MOVIES)?;
    let mut tx = g.begin_write()?;
    let specs = nodes.iter().map(|n| {
        let name = n
            .props
            .get("name")
            .or_else(|| n.props.get("title"))
            .and_then(Value::as_str)
            .unwrap_or(&n.var);
        NodeSpec {
            kind: n.label.clone(),
            name: name.to_string(),
            data: Value::Object(n.props.clone()),
        }
    });
    let ids = tx.insert_nodes(specs.collect::<Vec<_>>())?;
    let by_var: HashMap<&str, NodeId> = nodes.iter().map(|n| n.var.as_str()).zip(ids).collect();
    let mut edges = Vec::new();
    for r in &rels {
        let end = |v: &str| {
            by_var
                .get(v)
                .copied()
                .ok_or_else(|| anyhow!("relationship to unknown variable {v}"))
        };
        edges.push(EdgeSpec {
            from: end(&r.from)?,
            to: end(&r.to)?,
            edge_type: r.rel_type.clone(),
            data: if r.props.is_empty() {
                Value::Null
            } else {
                Value::Object(r.props.clone())
            },
        });
    }
    tx.insert_edges(edges)?;
    tx.commit()?;
    let mut report = Report::default();
    report.line(
        "loaded",
        json!({"nodes": nodes.len(), "relationships": rels.len(), "path": path,
            "seconds": start.elapsed().as_secs_f64()}),
        format!(
            "Loaded the Neo4j movies graph ({} nodes, {} relationships) into {} in {:.1?}, one durable commit.\n",
            nodes.len(),
            rels.len(),
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
    fn the_bundled_script_parses_to_the_counts_of_its_readme() {
        let (nodes, rels) = parse_movies(MOVIES).unwrap();
        assert_eq!(nodes.len(), 171);
        assert_eq!(nodes.iter().filter(|n| n.label == "Movie").count(), 38);
        assert_eq!(rels.len(), 253);
        assert_eq!(
            rels.iter().filter(|r| r.rel_type == "ACTED_IN").count(),
            172
        );
        assert_eq!(rels.iter().filter(|r| r.rel_type == "REVIEWED").count(), 9);
        let keanu = nodes.iter().find(|n| n.var == "Keanu").unwrap();
        assert_eq!(
            Value::Object(keanu.props.clone()),
            serde_json::json!({"name": "Keanu Reeves", "born": 1964})
        );
        let r = rels
            .iter()
            .find(|r| r.from == "Keanu" && r.to == "TheMatrix")
            .unwrap();
        assert_eq!(
            Value::Object(r.props.clone()),
            serde_json::json!({"roles": ["Neo"]})
        );
        let devil = nodes.iter().find(|n| n.var == "TheDevilsAdvocate").unwrap();
        assert_eq!(devil.props["title"], "The Devil's Advocate");
    }
}
