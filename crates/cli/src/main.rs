//! The `pagegraph` command-line tool. For now it runs a storage-engine demo; the graph
//! commands (import, export, queries) come with the graph layer.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pagegraph::storage::{Database, Durability, Options};

/// pagegraph: an embedded graph database on a crash-safe page store.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "Example:\n  pagegraph demo /tmp/demo.pgdb"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a database from the bundled Neo4j movies graph and show what the engine does.
    Demo {
        /// Where to create the demo database (default: a temporary directory).
        db: Option<std::path::PathBuf>,
    },
}

/// The Neo4j "movies" graph (Apache-2.0), bundled with its README and licence.
const MOVIES: &str = include_str!("../data/neo4j-movies/movies.cypher");

/// A relationship of the movies script: from variable, type, to variable.
type Relationship = (String, String, String);

/// `(Var:Label {...})` node declarations and `(A)-[:TYPE {...}]->(B)` relationships of the
/// Cypher script. Enough for the demo; a full importer comes with the graph layer.
fn parse_movies(text: &str) -> (Vec<(String, String)>, Vec<Relationship>) {
    let (mut nodes, mut rels) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line = line.trim().trim_start_matches("CREATE").trim();
        if let Some(rest) = line.strip_prefix('(')
            && let Some((var, after)) = rest.split_once(')')
        {
            if let Some(r) = after.strip_prefix("-[:") {
                let ty: String = r
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some((_, to)) = r.rsplit_once("]->(") {
                    let to = to.trim_end_matches([',', ';']).trim_end_matches(')');
                    rels.push((var.to_string(), ty, to.to_string()));
                }
            } else if let Some((v, label)) = var.split_once(':') {
                let label = label.split_whitespace().next().unwrap_or_default();
                nodes.push((v.to_string(), label.to_string()));
            }
        }
    }
    (nodes, rels)
}

fn demo(path: Option<std::path::PathBuf>) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("pagegraph-demo-{}", std::process::id()));
    let path = if let Some(p) = path {
        p
    } else {
        std::fs::create_dir_all(&dir)?;
        dir.join("demo.pgdb")
    };
    let start = Instant::now();
    let db = Database::open(&path, Options::default().durability(Durability::Full))
        .with_context(|| format!("opening {}", path.display()))?;
    let (nodes, rels) = parse_movies(MOVIES);
    let mut tx = db.begin_write()?;
    for (var, label) in &nodes {
        tx.tree("nodes")?.insert(var.as_bytes(), label.as_bytes())?;
    }
    for (from, ty, to) in &rels {
        // Keyed so that a node's out-neighbours, optionally by type, are one prefix scan.
        let out = format!("{from}\0{ty}\0{to}");
        let inc = format!("{to}\0{ty}\0{from}");
        tx.tree("out")?.insert(out.as_bytes(), b"")?;
        tx.tree("in")?.insert(inc.as_bytes(), b"")?;
    }
    tx.commit()?;
    println!(
        "loaded {} nodes and {} relationships of the Neo4j movies graph into {} in {:.1?}",
        nodes.len(),
        rels.len(),
        path.display(),
        start.elapsed()
    );
    let r = db.begin_read()?;
    let out = r.tree("out")?.context("out tree missing")?;
    let inc = r.tree("in")?.context("in tree missing")?;
    let split = |k: Vec<u8>| -> String {
        let s = String::from_utf8_lossy(&k).into_owned();
        s.rsplit('\0').next().unwrap_or_default().to_string()
    };
    for (tree, node, what) in [
        (&out, "Keanu\0ACTED_IN\0", "Keanu acted in"),
        (&inc, "TheMatrix\0", "The Matrix <-"),
    ] {
        let found: Vec<String> = tree
            .prefix(node.as_bytes())
            .map(|e| e.map(|(k, _)| split(k)))
            .collect::<Result<_, _>>()?;
        println!("{what}: {} ({})", found.join(", "), found.len());
    }
    drop(r);
    let report = db.check()?;
    let stats = db.stats()?;
    println!(
        "check: {} problems; {} pages of {} bytes, {} in use; WAL {} frames",
        report.problems.len(),
        stats.page_count,
        stats.page_size,
        report.pages_in_use,
        stats.wal_frames
    );
    db.close()?;
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { db } => demo(db),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
