//! `pagegraph`: the command-line tool over the pagegraph library. Import and export graphs,
//! look nodes and edges up, run Cypher (one statement, a script, or the interactive shell),
//! print statistics, check integrity, run the demo.
//!
//! Exit codes: 0 success; 1 an error (or `check` found problems); 2 a usage error; 3 a
//! search that found nothing; 4 an import committed every batch but its closing checkpoint
//! failed (the WAL holds them: do not rerun it).

// Output text is built with `push_str(&format!(..))`, clearer here than `write!` results.
#![allow(clippy::format_push_string)]

/// The global allocator: mimalloc. Imports and queries allocate and free many small
/// buffers across threads; with the system allocator its arena locks and consolidation
/// were a measured share of an import's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod algo;
mod cypher;
mod demo;
mod edit;
mod export;
mod filter;
mod graphml;
mod index;
mod inspect;
mod output;
mod progress;
mod query;
mod shell;

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use pagegraph::{Direction, Durability, Graph, Options};
use pagegraph_import::{Format, ImportError, ImportOptions};
use serde_json::json;

use crate::export::ExportFormat;
use crate::index::IndexCommand;
use crate::output::{EXIT_NOTHING_FOUND, NothingFound, emit, human_bytes, peak_rss};
use crate::query::NamingArgs;

/// pagegraph: an embedded graph database on a crash-safe page store.
///
/// The database path comes first after the command. Node arguments are internal ids
/// unless --by-name (a node name) or --key (LABEL.PROPERTY=VALUE) is given; an import
/// names each node by its id in the input file and keeps that id as its `id` property.
/// Add --json to any command for machine-readable output.
#[derive(Parser)]
#[command(
    name = "pagegraph",
    version,
    about,
    after_help = "Examples:\n  pagegraph demo\n  pagegraph import g.pgdb --edges wiki-Vote.txt\n  pagegraph stats g.pgdb\n  pagegraph shell g.pgdb                               # interactive Cypher\n  pagegraph neighbors g.pgdb 30 --by-name --dir out   # the node with id 30 in the file\n  pagegraph node get g.pgdb --key node.id=30          # the same, by its id property\n  pagegraph node find g.pgdb --label node --where 'id<10'\n  pagegraph export g.pgdb --format jsonl --out dump/\n\nNode arguments are the database's internal ids unless --by-name or --key is given; an\nimport names each node by its id in the input file, so use --by-name with the file's\nids, or --key LABEL.id=ID (the import keeps each id as the property id, unique per label).\n\nExit status: 0 success; 1 an error (or check found problems); 2 a usage error;\n3 nothing found (node find, neighbors, path, algo cycle, a --key no node has: the reason\non stderr, and with --json the empty result on stdout where the command has one); 4 an import committed every batch but its closing\ncheckpoint failed (the WAL holds them: do not rerun it).\n\nJSON (--json) shapes: a lookup, edit or summary is one object; node lists are\n{\"total\"|\"count\", \"nodes\"|\"neighbors\": [...]}; bfs and per-node algorithm results are\n[{\"node\", \"name\", <value>}...]; path is {\"paths\": [...]}; partitions are\n{\"components\"|\"communities\", \"largest\", \"labels\": [{\"node\", \"name\", \"label\"}...]}."
)]
struct Cli {
    /// Print results as JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Open a database that was not closed cleanly after `--durability off`, or whose WAL
    /// is missing, read-only anyway, to inspect or export what its file holds (it may be
    /// inconsistent). Read-only commands only.
    #[arg(long, global = true)]
    allow_unclean: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an empty database.
    #[command(after_help = "Example:\n  pagegraph init g.pgdb --page-size 8192")]
    Init {
        /// The database file to create.
        db: PathBuf,
        /// Page size in bytes: a power of two from 4096 to 65536.
        #[arg(long, default_value_t = 4096)]
        page_size: u32,
    },
    /// Import nodes and edges from JSONL, CSV or edge-list files (plain or .gz).
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Export the graph (or the nodes of some labels and edges of some types) as JSONL, CSV,
    /// GraphML, DOT, or Parquet or Arrow tables.
    #[command(
        after_help = "Examples:\n  pagegraph export g.pgdb --format jsonl --out dump/   # dump/nodes.jsonl, dump/edges.jsonl\n  pagegraph export g.pgdb --format graphml --out g.graphml\n  pagegraph export g.pgdb --format dot | dot -Tsvg > g.svg\n  pagegraph export g.pgdb --format parquet --out tables/   # tables/nodes/<label>.parquet, tables/edges/<type>.parquet\n  pagegraph export g.pgdb --format parquet --out people/ --labels Person --types KNOWS\n  pagegraph export g.pgdb --format parquet --out q/ --query 'MATCH p = (:Person {id: 7})-[:KNOWS*1..2]->() RETURN p'\n\nThe Parquet tables are read as they are by DuckDB (read_parquet('tables/nodes/*.parquet'))\nand by Spark GraphFrames (vertices with `id`, edges with `src` and `dst`); see docs/tables.md."
    )]
    Export {
        /// The database.
        db: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// A directory for jsonl and csv (nodes.* and edges.* go in it) and for parquet
        /// and arrow (nodes/<label>.parquet, edges/<type>.parquet), a file otherwise;
        /// stdout when absent (jsonl: nodes, then edges).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only the nodes with one of these labels (comma-separated, or the flag given
        /// again), and only the edges between two of them.
        #[arg(long, value_delimiter = ',', value_name = "LABEL")]
        labels: Vec<String>,
        /// Only the edges of these types (comma-separated, or the flag given again).
        #[arg(long, value_delimiter = ',', value_name = "TYPE")]
        types: Vec<String>,
        /// Only the nodes and relationships a read-only Cypher query returns (as values,
        /// in lists, maps or paths; a relationship brings its two nodes), on the same
        /// snapshot as the export; with --labels and --types, only those among them.
        #[arg(long, value_name = "CYPHER")]
        query: Option<String>,
    },
    /// Counts, kinds and edge types, pages by use, file and WAL sizes.
    #[command(after_help = "Example:\n  pagegraph stats g.pgdb --json")]
    Stats {
        /// The database.
        db: PathBuf,
    },
    /// Full integrity check of pages, trees and graph indexes. Exit 0 when clean, 1 with
    /// the list of problems.
    #[command(after_help = "Example:\n  pagegraph check g.pgdb && echo clean")]
    Check {
        /// The database.
        db: PathBuf,
    },
    /// Rewrite the database into a fresh file with no free pages, so that a file grown by
    /// large import batches or deletes shrinks to its live size. Every node and edge keeps
    /// its id and content, indexes included. The new file replaces the old one in one
    /// atomic rename: if compaction is interrupted (even killed), the database is the old
    /// one, unchanged. Needs free disk for the live data again; other processes cannot
    /// open the database meanwhile.
    #[command(
        after_help = "Example:\n  pagegraph compact g.pgdb   # prints the size before and after"
    )]
    Compact {
        /// The database.
        db: PathBuf,
    },
    /// Get, add, find, change or delete nodes.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Get, add or delete edges.
    #[command(subcommand)]
    Edge(EdgeCommand),
    /// Create, drop or list property indexes and unique constraints.
    #[command(subcommand)]
    Index(IndexCommand),
    /// The neighbors of a node, with the edges that lead to them.
    #[command(
        after_help = "Examples:\n  pagegraph neighbors g.pgdb 42                # internal id 42\n  pagegraph neighbors g.pgdb 30 --by-name      # the node imported as 30\n  pagegraph neighbors g.pgdb --key node.id=30  # the same, by its id property\n  pagegraph neighbors g.pgdb \"Tom Hanks\" --by-name --dir out --type ACTED_IN"
    )]
    Neighbors {
        /// The database.
        db: PathBuf,
        /// The node: an id, a name with --by-name, or a key with --key.
        node: String,
        /// Which edges to follow.
        #[arg(long, value_enum, default_value_t = Dir::Both)]
        dir: Dir,
        /// Only edges of this type.
        #[arg(long = "type")]
        edge_type: Option<String>,
        #[command(flatten)]
        naming: NamingArgs,
    },
    /// Breadth-first search from a node: every node reached, with its depth and parent.
    #[command(
        after_help = "Examples:\n  pagegraph bfs g.pgdb --start 42 --depth 3\n  pagegraph bfs g.pgdb --start 30 --by-name --all --json   # unreached nodes at \"infinity\"\n  pagegraph bfs g.pgdb --start \"Tom Hanks\" --by-name --dir both --type ACTED_IN --json"
    )]
    Bfs {
        /// The database.
        db: PathBuf,
        /// The start node: an id, a name with --by-name, or a key with --key.
        #[arg(long)]
        start: String,
        /// Hops at most (no limit when absent).
        #[arg(long)]
        depth: Option<u32>,
        /// Also list the nodes not reached, at depth "infinity".
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        walk: WalkArgs,
    },
    /// A shortest path between two nodes: fewest edges, or cheapest by a numeric field of
    /// the edge data (--weight; missing fields count 1, a negative one is an error: any
    /// edge's with --k or --astar, which read every weight first, else one the search
    /// reaches). Both searches grow from the two ends, straight from the database.
    #[command(
        after_help = "Examples:\n  pagegraph path g.pgdb 1 42\n  pagegraph path g.pgdb 1 42 --weight distance --json\n  pagegraph path g.pgdb 1 42 --weight distance --k 5\n  pagegraph path g.pgdb 1 42 --weight km --astar lon_km,lat_km\n  pagegraph path g.pgdb \"Kevin Bacon\" \"Tom Hanks\" --by-name --dir both"
    )]
    Path {
        /// The database.
        db: PathBuf,
        /// Where the path starts: an id, a name with --by-name, or a key with --key.
        from: String,
        /// Where it ends.
        to: String,
        /// Edge-data field holding each edge's cost (Dijkstra); fewest edges when absent.
        #[arg(long)]
        weight: Option<String>,
        /// The K cheapest loopless paths (Yen's algorithm), cheapest first.
        #[arg(long)]
        k: Option<usize>,
        /// A* search guided by the straight-line distance between nodes, from the numeric
        /// node-data fields X,Y (a node without them counts 0). The path is cheapest when
        /// no edge costs less than the distance between its ends.
        #[arg(long, value_name = "X,Y", conflicts_with = "k")]
        astar: Option<String>,
        #[command(flatten)]
        walk: WalkArgs,
    },
    /// A whole-graph algorithm, on an in-memory snapshot of the database.
    #[command(
        after_help = "Examples:\n  pagegraph algo g.pgdb wcc\n  pagegraph algo g.pgdb pagerank --iterations 50 --tolerance 1e-9 --top 20\n  pagegraph algo g.pgdb scc --type CALLS --json\n  pagegraph algo g.pgdb betweenness --samples 500 --seed 7 --dir both\n  pagegraph algo g.pgdb louvain --weight weight\n  pagegraph algo g.pgdb sssp --source main --by-name --weight cost\n  pagegraph algo g.pgdb dominators --source entry --by-name --type FLOWS_TO\n\nAn option that does not apply to the algorithm is refused, with the reason.\n\nDirections (--dir):\n  directed, --dir refused:   scc, topo, cycle, tred, dominators, post-dominators, loops\n  undirected, --dir refused: wcc, triangles, kcore, louvain (every edge counts both ways)\n  --dir out|in|both:         pagerank (out; both = undirected PageRank, as NetworkX on an\n                             undirected graph), degree (both), betweenness (out),\n                             closeness (in), cdlp (both), sssp (out), reach (out)\n  --dir out|both:            lcc (both = undirected, the default; out = directed)\n\nWith --json every row is listed unless --top is given; text shows 20 by default.\nsssp --all also lists the nodes not reached, at distance \"infinity\"."
    )]
    Algo {
        /// The database.
        db: PathBuf,
        /// The algorithm.
        #[arg(value_enum)]
        name: algo::AlgoName,
        #[command(flatten)]
        args: algo::AlgoArgs,
    },
    /// Run Cypher: one statement, or a `;`-separated script with -f (each statement its own
    /// transaction). Reading statements open the database read-only.
    #[command(
        after_help = "Examples:\n  pagegraph query g.pgdb 'MATCH (p:Person) WHERE p.born > 1970 RETURN p.name ORDER BY p.name LIMIT 5'\n  pagegraph query g.pgdb 'MATCH (p:Person {name: $name})-[:ACTED_IN]->(m) RETURN m.title' --param name='\"Tom Hanks\"'\n  pagegraph query g.pgdb -f movies.cypher\n  pagegraph query g.pgdb 'CALL algo.pagerank(\"Person\", \"KNOWS\") YIELD node, score RETURN node.name, score ORDER BY score DESC LIMIT 10' --csv"
    )]
    Query(cypher::QueryArgs),
    /// An interactive Cypher shell: multi-line statements ended by `;`, history, tables
    /// fitted to the terminal, `:help`, `:schema`, `:timing`, `:mode`, `:param`. Each
    /// statement is its own transaction. With stdin not a terminal, runs the statements it
    /// holds without prompts (exit status 1 if any failed).
    #[command(after_help = SHELL_HELP)]
    Shell(shell::ShellArgs),
    /// Build a database from the bundled Neo4j movies graph and query it.
    #[command(after_help = "Example:\n  pagegraph demo /tmp/movies.pgdb")]
    Demo {
        /// Where to create the demo database (default: a new temporary directory).
        db: Option<PathBuf>,
    },
}

const SHELL_HELP: &str = "Examples:
  pagegraph shell g.pgdb
  pagegraph shell g.pgdb --read-only
  echo 'MATCH (n) RETURN count(n);' | pagegraph shell g.pgdb
  pagegraph shell g.pgdb --mode csv < report.cypher > report.csv

In the shell:
  pagegraph> MATCH (p:Person)
         ..>   WHERE p.born > $year
         ..>   RETURN p.name ORDER BY p.name LIMIT 5;
  pagegraph> :param year 1970
  pagegraph> :schema
  pagegraph> :timing on
  pagegraph> :mode json
  pagegraph> :help

Commands (at the start of a statement): :help, :schema (labels with node counts,
relationship types with counts, property keys, indexes), :mode table|csv|json,
:timing on|off, :param NAME VALUE (a Cypher literal such as 42, 'Ann' or [1, 2], else
JSON, else text; :param NAME unsets it), :params, :quit (or Ctrl-D). Ctrl-C cancels the
running statement, or drops the unfinished one. Results print on stdout; errors, what a
statement wrote and timings on stderr. Errors do not end the shell. Tab completes
commands, keywords, labels, relationship types and indexed property keys. History is kept in
~/.pagegraph_history (PAGEGRAPH_HISTORY names another file; empty keeps none). Tables fit
the terminal's width (or COLUMNS when stdout is not a terminal); wider cells end with an
ellipsis.";

const IMPORT_HELP: &str =
    "Formats (by --format, else by file name: .jsonl/.ndjson, .csv, anything else is an edge list):
  jsonl     nodes: {\"id\": \"a\", \"kind\": \"Person\", \"name\": \"Ann\", \"data\": {...}}
            edges: {\"from\": \"a\", \"to\": \"b\", \"type\": \"KNOWS\", \"data\": {...}}
  csv       nodes: header id,kind[,name][,more...]; edges: from,to[,type][,more...];
            the other columns go into data: a cell is a number when it is written as
            the number prints (12, 2.5; not 1e5, 007 or 1.50, which stay text); a
            column data:NAME holds the field NAME (what export writes for a field
            named like a fixed column, such as the id an import keeps); a column
            data:json instead holds the whole data as JSON (what export writes when
            fields cannot be columns)
  edgelist  `u v [weight]` per line, # comments; --nodes takes one vertex id per line;
            nodes are created on first sight (kind `node`, named by their id)

Files are UTF-8 (a leading byte-order mark is ignored). A line, or CSV record, may be at
most 32 MiB long: a longer one stops the import. A number id keeps its exact text; a
number in data that a float would round is a bad line. A line that is not UTF-8 is a bad
line, and an unterminated CSV quote stops the import naming the line it opened on.

Each batch of --batch lines is one transaction: after an interruption the database holds
exactly the batches committed. An edge endpoint is the node of this import's nodes with
that id, or else the node already in the database with that name; an id that names more
than one node (an id of this import that is also an older node's name, or the name of
several) is an error, never a guess. An edge list's endpoints are nodes of --node-kind:
one that is not in this import's nodes is first looked up by its id property.

Ids: every node keeps its id from the file as the property `id` (--id-property to choose
another), a decimal id as an integer and any other as text; data that already has that
property (an export of an imported graph) keeps its value. The ids are unique per label:
the first batch that meets a label creates the unique index LABEL_id if it is missing, so
`pagegraph node get g.pgdb --key Person.id=ann` finds a node by its file id. A node whose
label and id the database already has (a second run of the same import) is a bad line,
naming both; with --upsert it updates that node instead (its labels stay, the line's
properties are set, others are kept), and an edge whose from, to and type the database
already has updates that edge, so a second run with --upsert changes no counts. Without
--upsert an edge is always added: an edge list run again finds its endpoints by id and
adds its edges a second time.

Labelled CSV (--mapping FILE): a TOML file lists node and edge files, each group with
its label or type, delimiter, quote, escape and array delimiter, and a header for files
that have no header row; headers use the Neo4j admin-import syntax (id:ID(Person),
:START_ID(Person), :END_ID(Post), name:STRING, age:INT, tags:STRING[], :LABEL, :TYPE,
:IGNORE). Each id space is a label whose nodes keep their id as a unique property (id by
default), so the same id in two spaces names two nodes; endpoints resolve in the space
their column names, and one no node has is an error, a new node with only its key
(--create-missing), or a skipped line (--skip-bad, counted by reason). Untyped cells keep
what they say (12 is an integer; 1e5, 007 and 23-digit numbers stay text). See
docs/import.md for the format and a mapping of the LDBC SNB files.

GML and GraphML (--graph FILE, by the name: .graphml or .xml is GraphML, else GML): one
file of nodes and edges; each node becomes a node keyed by its id (unique per label, as for
every import), each edge an edge, and every other attribute a typed property. GML nodes are
of --node-kind and edges of --edge-type; a GraphML node's `labels` attribute (:A:B) gives
its labels and an edge's `label` attribute its type, as `export --format graphml` writes
them, so an export imports back as the same graph.

Examples:
  pagegraph import g.pgdb --edges com-orkut.ungraph.txt.gz
  pagegraph import g.pgdb --nodes people.jsonl --edges knows.jsonl --skip-bad
  pagegraph import g.pgdb --nodes people.jsonl --edges knows.jsonl --upsert   # again
  pagegraph import g.pgdb --nodes n.csv --edges e.csv --batch 50000 --durability full
  pagegraph import ldbc.pgdb --mapping docs/ldbc-snb.toml --data-dir ldbc-sf0.1/
  pagegraph import karate.pgdb --graph karate.gml --node-kind Member
  pagegraph import copy.pgdb --graph exported.graphml";

/// Input file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated, with a header row.
    Csv,
    /// Whitespace-separated `u v [weight]` lines, `#` comments (SNAP, Graphalytics).
    Edgelist,
}

impl FormatArg {
    fn format(self) -> Format {
        match self {
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Csv => Format::Csv,
            FormatArg::Edgelist => Format::Edgelist,
        }
    }
}

#[derive(Args)]
struct ImportArgs {
    /// The database (created if it does not exist).
    db: PathBuf,
    /// Nodes file (for edge lists: a vertex list, one id per line).
    #[arg(long, conflicts_with = "mapping")]
    nodes: Option<PathBuf>,
    /// Edges file.
    #[arg(long, conflicts_with = "mapping")]
    edges: Option<PathBuf>,
    /// A GML (.gml) or GraphML (.graphml, .xml) file holding both nodes and edges
    /// (networkx, igraph, Gephi, yEd): its nodes become nodes of --node-kind (GraphML:
    /// of their `labels`) keyed by their id, its edges edges of --edge-type (GraphML: of
    /// their `label`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["nodes", "edges", "mapping", "format"])]
    graph: Option<PathBuf>,
    /// A directory of Parquet or Arrow IPC tables, as `export --format parquet` writes
    /// (and `DuckDB`, Spark, pandas or polars can): node tables in DIR/nodes/ (an `id`
    /// column, a `labels` list column or the label as the file name, then one column per
    /// property), edge tables in DIR/edges/ (`src`, `dst`, the type as the file name or a
    /// `type` column, then properties). Nodes are keyed by their `id` property, else their
    /// `id` cell.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["nodes", "edges", "mapping", "format", "graph"])]
    tables: Option<PathBuf>,
    /// A TOML mapping of a labelled CSV dataset (node and edge files with Neo4j
    /// admin-import headers, their labels, types, id spaces and dialect): loads all of it.
    #[arg(long, value_name = "FILE", conflicts_with = "format")]
    mapping: Option<PathBuf>,
    /// The directory the mapping's relative file paths are in (default: the mapping
    /// file's directory).
    #[arg(long, value_name = "DIR", requires = "mapping")]
    data_dir: Option<PathBuf>,
    /// With --mapping or --graph: an edge endpoint that no node has creates a node with
    /// only its key (labelled by its id space) instead of being a bad line.
    #[arg(long)]
    create_missing: bool,
    /// Input format; by default inferred from each file's name.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Lines (rows) per batch; by default 2,000,000 for JSONL, CSV and edge lists, and
    /// 200,000 for --mapping, --tables and --graph, whose rows carry properties. Memory
    /// grows with it (about 200 bytes per edge-list line, several times that for a row
    /// with properties). Into a database with edges each batch is a transaction and
    /// rewrites the adjacency pages it touches, so on big graphs fewer, larger batches
    /// import faster. Into one without edges (a fresh import, without --upsert) the whole
    /// import is one transaction whose adjacency is sorted on disk and written once at the
    /// end: a crash leaves the database as it was, and a bad line (found while reading or
    /// checking a batch) keeps the batches before it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    batch: Option<u64>,
    /// When a batch is durable: full (fsync per commit), normal (synced at the end; a crash
    /// keeps the committed batches), off (no WAL: fastest, but a crash ruins the database).
    #[arg(long, value_enum, default_value_t = DurabilityArg::Normal)]
    durability: DurabilityArg,
    /// Skip bad lines (the first few are reported) instead of stopping at the first.
    #[arg(long)]
    skip_bad: bool,
    /// Kind of the nodes an edge list creates.
    #[arg(long, default_value = "node")]
    node_kind: String,
    /// Type of edges when the input gives none (edge lists, CSV without a type column).
    #[arg(long, default_value = "edge")]
    edge_type: String,
    /// Page cache size in MiB, from 1 to 67108864 (a batch's changed pages may hold as much
    /// again before they spill to the WAL). A bound, not an allocation: memory grows with
    /// the pages actually cached.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=CACHE_MIB_MAX))]
    cache_mib: u64,
    /// Memory for the external-id map (bytes, or with a K, M or G suffix). Dense decimal ids
    /// take 8 bytes each, others about 32 plus their text; past this, ids spill to a
    /// scratch file next to the database (slower, unbounded).
    #[arg(long, default_value = "256M", value_parser = parse_size)]
    id_memory: usize,
    /// The property that keeps each node's id from the input file, under a unique
    /// constraint per label (the import creates its index when a label has none).
    #[arg(long, default_value = "id", value_name = "NAME")]
    id_property: String,
    /// Update the nodes whose label and id the database already has, and the edges whose
    /// (from, to, type) it already has, instead of refusing the nodes and adding the edges
    /// again; repeats of an edge in the input update one edge.
    #[arg(long)]
    upsert: bool,
}

/// Largest `--cache-mib`: 2^34 pages of 4 KiB, the engine's cache limit.
const CACHE_MIB_MAX: u64 = 1 << 26;

/// A byte count: digits with an optional K, M or G suffix (powers of 1024).
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, shift) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 10),
        Some((i, 'M' | 'm')) => (&s[..i], 20),
        Some((i, 'G' | 'g')) => (&s[..i], 30),
        _ => (s, 0),
    };
    let n: usize = digits.parse().map_err(|_| {
        let s = pagegraph_import::clip(s);
        format!("{s:?} is not a size (such as 1048576, 512K, 256M or 2G)")
    })?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{:?} is too large", pagegraph_import::clip(s)))
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Print one node.
    #[command(
        after_help = "Examples:\n  pagegraph node get g.pgdb 1\n  pagegraph node get g.pgdb \"Keanu Reeves\" --by-name --json\n  pagegraph node get g.pgdb --key Person.id=ann"
    )]
    Get {
        /// The database.
        db: PathBuf,
        /// The node: an id, a name with --by-name, or a key with --key.
        node: String,
        #[command(flatten)]
        naming: NamingArgs,
    },
    /// Add a node; prints its id.
    #[command(
        after_help = "Example:\n  pagegraph node add g.pgdb --kind Person --name Ann --data '{\"age\": 41}'"
    )]
    Add {
        /// The database (created if it does not exist).
        db: PathBuf,
        /// Its kind.
        #[arg(long)]
        kind: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its data: JSON, @FILE for the JSON in a file, or - for the JSON on stdin.
        #[arg(long, allow_hyphen_values = true)]
        data: Option<String>,
    },
    /// Find nodes by label (kind), property conditions, exact name, name prefix or name glob
    /// (* and ?).
    #[command(after_help = FIND_HELP)]
    Find {
        /// The database.
        db: PathBuf,
        #[command(flatten)]
        by: FindBy,
        /// Keep the nodes of the --label whose property satisfies a condition: PROP=VALUE,
        /// PROP<VALUE, PROP<=VALUE, PROP>VALUE, PROP>=VALUE, PROP^=PREFIX (a string that
        /// starts with PREFIX) or PROP IN [V, ...]. Repeatable: every condition must hold.
        #[arg(
            long = "where",
            value_name = "CONDITION",
            requires = "kind",
            conflicts_with_all = ["name", "prefix", "glob"]
        )]
        wheres: Vec<String>,
        /// Show at most this many (all are counted).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Set or remove properties and labels of a node.
    #[command(
        after_help = "Examples:\n  pagegraph node set g.pgdb 1 --prop age=42 --prop nick=annie\n  pagegraph node set g.pgdb --key Person.id=ann --remove nick --label Admin\n  pagegraph node set g.pgdb 1 --prop 'zip=\"01234\"'   # text, not a number\n\nA value is JSON when it parses as JSON, else the text as written. A change that would\nbreak a unique constraint is refused and changes nothing."
    )]
    Set(edit::SetArgs),
    /// Delete a node; one with edges only with --detach (then its edges too).
    #[command(
        after_help = "Examples:\n  pagegraph node delete g.pgdb 7\n  pagegraph node delete g.pgdb --key Person.id=ann --detach"
    )]
    Delete {
        /// The database.
        db: PathBuf,
        /// The node: an id, a name with --by-name, or a key with --key.
        node: String,
        #[command(flatten)]
        naming: NamingArgs,
        /// Also delete the node's edges (without it, a node with edges is refused).
        #[arg(long)]
        detach: bool,
    },
}

const FIND_HELP: &str = "Examples:
  pagegraph node find g.pgdb --kind Movie
  pagegraph node find g.pgdb --glob 'The Matrix*' --limit 5
  pagegraph node find g.pgdb --label Person --where 'age>=30' --where 'name^=A'
  pagegraph node find g.pgdb --label Person --where 'id IN [\"ann\", \"bob\"]' --json

Conditions (--where, with --label): PROP=VALUE, PROP<VALUE, PROP<=VALUE, PROP>VALUE,
PROP>=VALUE, PROP^=PREFIX (a string starting with PREFIX), PROP IN [V, ...]. A value is
JSON when it parses as JSON, else the text as written: age>30 compares with the integer
30, name=Ann and name='\"Ann\"' with the string Ann, zip='\"01234\"' with a string. As in
openCypher, a node without the property, or whose value is of another type (a string
against a number), does not match; 1 equals 1.0. A node's name is its property name.

An index on the label's property (pagegraph index create) answers a condition, and the
nodes then come in the order of its values; without one, every node of the label is read,
in id order. Results are printed as they are found.";

#[derive(Args)]
#[group(required = true, multiple = false)]
struct FindBy {
    /// Nodes with this label (a node's kind is its first label).
    #[arg(long, visible_alias = "label")]
    kind: Option<String>,
    /// Nodes with exactly this name.
    #[arg(long)]
    name: Option<String>,
    /// Nodes whose name starts with this.
    #[arg(long)]
    prefix: Option<String>,
    /// Nodes whose name matches this glob (* any run, ? one character).
    #[arg(long)]
    glob: Option<String>,
}

#[derive(Subcommand)]
enum EdgeCommand {
    /// Print one edge.
    #[command(after_help = "Example:\n  pagegraph edge get g.pgdb 7")]
    Get {
        /// The database.
        db: PathBuf,
        /// The edge id.
        id: u64,
    },
    /// Add an edge; prints its id.
    #[command(
        after_help = "Examples:\n  pagegraph edge add g.pgdb 1 2 --type KNOWS\n  pagegraph edge add g.pgdb Ann Bob --by-name --type KNOWS --data '{\"since\": 2020}'\n  pagegraph edge add g.pgdb --key Person.id=ann Person.id=bob --type KNOWS"
    )]
    Add {
        /// The database.
        db: PathBuf,
        /// Source node: an id, a name with --by-name, or a key with --key.
        from: String,
        /// Target node, as FROM.
        to: String,
        /// Edge type.
        #[arg(long = "type")]
        edge_type: String,
        /// Its data: JSON, @FILE for the JSON in a file, or - for the JSON on stdin.
        #[arg(long, allow_hyphen_values = true)]
        data: Option<String>,
        #[command(flatten)]
        naming: NamingArgs,
    },
    /// Delete an edge.
    #[command(after_help = "Example:\n  pagegraph edge delete g.pgdb 7")]
    Delete {
        /// The database.
        db: PathBuf,
        /// The edge id.
        id: u64,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Dir {
    Out,
    In,
    Both,
}

impl From<Dir> for Direction {
    fn from(d: Dir) -> Direction {
        match d {
            Dir::Out => Direction::Outgoing,
            Dir::In => Direction::Incoming,
            Dir::Both => Direction::Both,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Full,
    Normal,
    Off,
}

/// How `bfs` and `path` walk the graph.
#[derive(clap::Args)]
struct WalkArgs {
    /// Which edges to follow.
    #[arg(long, value_enum, default_value_t = Dir::Out)]
    dir: Dir,
    /// Only edges of this type.
    #[arg(long = "type")]
    edge_type: Option<String>,
    #[command(flatten)]
    naming: NamingArgs,
}

impl WalkArgs {
    fn walk(&self) -> algo::Walk<'_> {
        algo::Walk {
            dir: self.dir.into(),
            edge_type: self.edge_type.as_deref(),
            naming: self.naming.naming(),
        }
    }
}

/// `bfs`, `path` and `algo`.
fn algorithm(cmd: Command, j: bool) -> Result<()> {
    match cmd {
        Command::Bfs {
            db,
            start,
            depth,
            all,
            walk,
        } => {
            algo::bfs(&open_existing(&db)?, &start, (depth, all), &walk.walk(), j)?;
        }
        Command::Path {
            db,
            from,
            to,
            weight,
            k,
            astar,
            walk,
        } => {
            algo::path(
                &open_existing(&db)?,
                (&from, &to),
                weight.as_deref(),
                (k, astar.as_deref()),
                &walk.walk(),
                j,
            )?;
        }
        Command::Algo { db, name, args } => {
            algo::run(&open_existing(&db)?, name, &args, j)?;
        }
        _ => {}
    }
    Ok(())
}

/// Set from `--allow-unclean` before any command runs.
static ALLOW_UNCLEAN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Opens an existing database read-only, for the commands that only read: nothing is
/// written or created (not even a WAL), no write permission is needed, and any number of
/// such commands may read one database at once while no writer has it.
fn open_existing(db: &Path) -> Result<Graph> {
    open(
        db,
        Options {
            read_only: true,
            create: false,
            allow_unclean: ALLOW_UNCLEAN.load(std::sync::atomic::Ordering::Relaxed),
            ..Options::default()
        },
    )
}

/// Opens an existing database for writing (an error naming the path if there is none).
fn open_existing_for_write(db: &Path) -> Result<Graph> {
    open(
        db,
        Options {
            create: false,
            ..Options::default()
        },
    )
}

fn open(db: &Path, options: Options) -> Result<Graph> {
    use pagegraph::storage::StorageError;
    // main names the database before an error that does not.
    Graph::open_with(db, options).map_err(|e| match &e {
        pagegraph::GraphError::Storage(StorageError::NoDatabase { .. }) => {
            anyhow::anyhow!("{e} (create one with `pagegraph init` or `pagegraph import`)")
        }
        _ => anyhow::Error::new(e),
    })
}

/// `--allow-unclean` opens read-only: a command that writes refuses it rather than ignore it.
fn refuse_allow_unclean_for_writes(cli: &Cli) -> Result<()> {
    if cli.allow_unclean && cli.command.writes() {
        bail!(
            "--allow-unclean does not apply to a command that writes: it opens a database \
             read-only, for the commands that only read (stats, check, export, lookups, \
             bfs, path, algo)"
        );
    }
    Ok(())
}

#[allow(clippy::many_single_char_names)]
fn run(cli: Cli) -> Result<ExitCode> {
    let j = cli.json;
    ALLOW_UNCLEAN.store(cli.allow_unclean, std::sync::atomic::Ordering::Relaxed);
    refuse_allow_unclean_for_writes(&cli)?;
    match cli.command {
        Command::Init { db, page_size } => {
            if db.exists() {
                bail!("{}: already exists", db.display());
            }
            let g = open(
                &db,
                Options {
                    page_size,
                    ..Options::default()
                },
            )?;
            g.close()?;
            emit(j, &json!({"path": db, "page_size": page_size}), || {
                format!("created {} (pages of {page_size} bytes)", db.display())
            })?;
        }
        Command::Import(a) => return import(&a, j),
        Command::Export {
            db,
            format,
            out,
            labels,
            types,
            query,
        } => {
            let subset = pagegraph_import::Subset {
                labels: (!labels.is_empty()).then(|| labels.into_iter().collect()),
                types: (!types.is_empty()).then(|| types.into_iter().collect()),
                ..pagegraph_import::Subset::default()
            };
            export(&db, format, out.as_deref(), subset, query.as_deref(), j)?;
        }
        Command::Stats { db } => inspect::stats(&open_existing(&db)?, j)?,
        Command::Compact { db } => inspect::compact(open_existing_for_write(&db)?, &db, j)?,
        Command::Check { db } => {
            if !inspect::check(&open_existing(&db)?, j)? {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Node(cmd) => node_command(cmd, j)?,
        Command::Edge(cmd) => edge_command(cmd, j)?,
        Command::Index(cmd) => match &cmd {
            IndexCommand::Create(a) => index::create(&open_existing_for_write(&a.db)?, a, j)?,
            IndexCommand::Drop { db, name } => {
                index::drop(&open_existing_for_write(db)?, name, j)?;
            }
            IndexCommand::List { db } => index::list(&open_existing(db)?, j)?,
        },
        cmd @ (Command::Bfs { .. } | Command::Path { .. } | Command::Algo { .. }) => {
            algorithm(cmd, j)?;
        }
        Command::Neighbors {
            db,
            node,
            dir,
            edge_type,
            naming,
        } => {
            let dir = dir.into();
            query::neighbors(
                &open_existing(&db)?,
                &node,
                dir,
                edge_type.as_deref(),
                naming.naming(),
                j,
            )?;
        }
        Command::Demo { db } => demo::run(db, j)?,
        Command::Query(a) => cypher::run(&a, j, open)?,
        Command::Shell(a) => {
            let graph = if a.read_only {
                open_existing(&a.db)?
            } else {
                open(&a.db, Options::default())?
            };
            return shell::run(&a, j, graph);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `node get|add|find|set|delete`.
fn node_command(cmd: NodeCommand, j: bool) -> Result<()> {
    match cmd {
        NodeCommand::Get { db, node, naming } => {
            query::node_get(&open_existing(&db)?, &node, naming.naming(), j)?;
        }
        NodeCommand::Add {
            db,
            kind,
            name,
            data,
        } => {
            query::node_add(
                &open(&db, Options::default())?,
                kind,
                name,
                data.as_deref(),
                j,
            )?;
        }
        NodeCommand::Find {
            db,
            by,
            wheres,
            limit,
        } => {
            let find = match (by.kind, by.name, by.prefix, by.glob) {
                (Some(k), ..) => query::Find::Kind(k),
                (_, Some(n), ..) => query::Find::Name(n),
                (_, _, Some(p), _) => query::Find::Prefix(p),
                (_, _, _, Some(g)) => query::Find::Glob(g),
                _ => bail!("give one of --kind (--label), --name, --prefix, --glob"),
            };
            let wheres = wheres
                .iter()
                .map(|w| filter::parse_where(w))
                .collect::<Result<Vec<_>>>()?;
            query::node_find(&open_existing(&db)?, &find, &wheres, limit, j)?;
        }
        NodeCommand::Set(a) => {
            edit::node_set(&open_existing_for_write(&a.db)?, &a, j)?;
        }
        NodeCommand::Delete {
            db,
            node,
            naming,
            detach,
        } => {
            edit::node_delete(&open_existing_for_write(&db)?, &node, naming, detach, j)?;
        }
    }
    Ok(())
}

/// `edge get|add|delete`.
fn edge_command(cmd: EdgeCommand, j: bool) -> Result<()> {
    match cmd {
        EdgeCommand::Get { db, id } => query::edge_get(&open_existing(&db)?, id, j)?,
        EdgeCommand::Delete { db, id } => {
            edit::edge_delete(&open_existing_for_write(&db)?, id, j)?;
        }
        EdgeCommand::Add {
            db,
            from,
            to,
            edge_type,
            data,
            naming,
        } => {
            query::edge_add(
                &open_existing_for_write(&db)?,
                &from,
                &to,
                edge_type,
                data.as_deref(),
                naming.naming(),
                j,
            )?;
        }
    }
    Ok(())
}

fn export(
    db: &Path,
    format: ExportFormat,
    out: Option<&Path>,
    mut subset: pagegraph_import::Subset,
    query: Option<&str>,
    json_out: bool,
) -> Result<()> {
    let g = open_existing(db)?;
    let r = g.begin_read()?;
    if let Some(text) = query {
        let (nodes, edges) = export::query_subset(&r, text)?;
        subset.nodes = Some(nodes);
        subset.edges = Some(edges);
    }
    let pb = progress::bar(r.node_count()? + r.edge_count()?, "export", false);
    let w = export::run(&r, db, format, out, &subset, &pb)?;
    pb.finish_and_clear();
    // Data went to stdout when no file was written: print nothing more there.
    if !w.files.is_empty() {
        let value = json!({"nodes": w.nodes, "edges": w.edges, "files": w.files});
        emit(json_out, &value, || {
            let files: Vec<String> = w.files.iter().map(|f| f.display().to_string()).collect();
            format!(
                "exported {} nodes and {} edges to {}",
                w.nodes,
                w.edges,
                files.join(", ")
            )
        })?;
    }
    Ok(())
}

/// The import's options from its arguments and mapping file.
fn import_options(a: &ImportArgs, mapping: Option<&pagegraph_import::Mapping>) -> ImportOptions {
    ImportOptions {
        create_missing: a.create_missing || mapping.is_some_and(|m| m.create_missing),
        id_property: mapping
            .and_then(|m| m.id_property.clone())
            .unwrap_or_else(|| a.id_property.clone()),
        format: a.format.map(FormatArg::format),
        batch: match a.batch {
            Some(b) => usize::try_from(b).unwrap_or(usize::MAX),
            None if mapping.is_some() || a.tables.is_some() || a.graph.is_some() => {
                pagegraph_import::ROWS_BATCH
            }
            None => ImportOptions::default().batch,
        },
        skip_bad: a.skip_bad,
        node_kind: a.node_kind.clone(),
        edge_type: a.edge_type.clone(),
        id_memory: a.id_memory,
        upsert: a.upsert,
    }
}

#[allow(clippy::cast_precision_loss)] // rates for people
#[allow(clippy::many_single_char_names)]
fn import(a: &ImportArgs, json_out: bool) -> Result<ExitCode> {
    let durability = match a.durability {
        DurabilityArg::Full => Durability::Full,
        DurabilityArg::Normal => Durability::Normal,
        DurabilityArg::Off => Durability::Off,
    };
    // (clap's `requires` does not hold against --nodes/--edges, which conflict with
    // --mapping, so this is checked here.)
    if a.mapping.is_none() && a.data_dir.is_some() {
        bail!("--data-dir goes with --mapping");
    }
    if a.mapping.is_none() && a.graph.is_none() && a.tables.is_none() && a.create_missing {
        bail!("--create-missing goes with --mapping, --graph or --tables");
    }
    for f in [&a.nodes, &a.edges, &a.graph, &a.tables]
        .into_iter()
        .flatten()
    {
        if !f.exists() {
            bail!("{}: no such file", f.display());
        }
    }
    // A mapping is read (and refused if wrong) before the database is opened or created.
    let mapping = match &a.mapping {
        Some(m) => Some(pagegraph_import::Mapping::load(m, a.data_dir.as_deref())?),
        None => None,
    };
    let options = Options {
        durability,
        cache_pages: usize::try_from((a.cache_mib << 20) / 4096).unwrap_or(usize::MAX),
        ..Options::default()
    };
    let g = open(&a.db, options)?;
    let opts = import_options(a, mapping.as_ref());
    let bar = progress::ImportBar(progress::bar(0, "import", true));
    let bar = std::sync::Arc::new(bar);
    let s = match (&mapping, &a.graph) {
        _ if let Some(dir) = &a.tables => pagegraph_import::run_tables(&g, &a.db, dir, opts, bar)?,
        (Some(m), _) => pagegraph_import::run_csv(&g, &a.db, &m.import, opts, bar)?,
        (None, Some(file)) if is_graphml(file) => {
            pagegraph_import::run_graphml(&g, file, opts, bar)?
        }
        (None, Some(gml)) => pagegraph_import::run_gml(&g, gml, opts, bar)?,
        (None, None) => {
            pagegraph_import::run(&g, &a.db, a.nodes.as_deref(), a.edges.as_deref(), opts, bar)?
        }
    };
    // Every batch is committed by now: a failure of the closing checkpoint loses none of
    // them (the WAL holds them and the next open replays it), so the summary is printed
    // and the failure is a warning with its own exit status, so a script does not rerun
    // the import and duplicate it.
    let closed = g.close();
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let rss = peak_rss();
    let mut value = json!({
        "nodes": s.nodes,
        "edges": s.edges,
        "nodes_updated": s.nodes_updated,
        "edges_updated": s.edges_updated,
        "skipped": s.skipped,
        "batches": s.batches,
        "ids_spilled": s.ids_spilled,
        "seconds": s.elapsed.as_secs_f64(),
        "edges_per_second": s.edges as f64 / secs,
        "peak_rss_bytes": rss,
    });
    if !s.skipped_by_reason.is_empty() {
        value["skipped_by_reason"] = json!(s.skipped_by_reason);
    }
    emit(json_out, &value, || summary_text(&s, secs, rss))?;
    match closed {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // Without a WAL nothing holds the batches but the file, which stays marked unclean:
        // that is a failed import, not a warning.
        Err(e) if durability == Durability::Off => Err(anyhow::anyhow!(
            "every batch was written, but closing the database failed ({e}); it was \
             written with --durability off, so it stays marked unclean: rebuild it (or \
             inspect it with --allow-unclean)"
        )),
        Err(e) => {
            eprintln!(
                "pagegraph: warning: every batch was committed, but closing the database \
                 failed ({e}); the batches are safe on disk (in the WAL or already in the \
                 file) and the next open of {} finishes the checkpoint (exit status \
                 {EXIT_NOT_CHECKPOINTED}: do not rerun the import)",
                a.db.display()
            );
            Ok(ExitCode::from(EXIT_NOT_CHECKPOINTED))
        }
    }
}

/// Whether a --graph file is GraphML (by its name: .graphml or .xml);
/// anything else is read as GML.
fn is_graphml(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    Path::new(&name)
        .extension()
        .is_some_and(|e| e == "graphml" || e == "xml")
}

/// An import's summary as one line of text.
#[allow(clippy::cast_precision_loss)] // rates for people
fn summary_text(s: &pagegraph_import::Summary, secs: f64, rss: Option<u64>) -> String {
    let mut t = format!(
        "imported {} nodes and {} edges in {:.2} s ({:.0} edges/s) in {} batch(es)",
        s.nodes,
        s.edges,
        secs,
        s.edges as f64 / secs,
        s.batches
    );
    if s.nodes_updated + s.edges_updated > 0 {
        t.push_str(&format!(
            "; updated {} nodes and {} edges",
            s.nodes_updated, s.edges_updated
        ));
    }
    if s.skipped > 0 {
        t.push_str(&format!("; skipped {} bad line(s)", s.skipped));
        let reasons: Vec<String> = s
            .skipped_by_reason
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        if !reasons.is_empty() {
            t.push_str(&format!(" ({})", reasons.join(", ")));
        }
    }
    if s.ids_spilled > 0 {
        t.push_str(&format!("; {} ids spilled to disk", s.ids_spilled));
    }
    if let Some(r) = rss {
        t.push_str(&format!("; peak RSS {}", human_bytes(r)));
    }
    t
}

/// Exit status of an import whose batches were all committed but whose closing checkpoint
/// failed (e.g. a full disk): the data is safe in the WAL.
const EXIT_NOT_CHECKPOINTED: u8 = 4;

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe))
            || c.downcast_ref::<serde_json::Error>().is_some_and(|s| s.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

/// True if the error came from the database file (its pages, its WAL, its lock).
fn is_storage(e: &anyhow::Error) -> bool {
    use pagegraph::GraphError;
    use pagegraph::algo::AlgoError;
    let graph = |g: &GraphError| matches!(g, GraphError::Storage(_));
    e.chain().any(|c| {
        c.is::<pagegraph::storage::StorageError>()
            || c.downcast_ref::<GraphError>().is_some_and(graph)
            || c.downcast_ref::<AlgoError>()
                .is_some_and(|a| matches!(a, AlgoError::Graph(g) if graph(g)))
            || c.downcast_ref::<ImportError>()
                .is_some_and(|i| i.storage_error().is_some())
    })
}

/// Longest message printed whole; longer ones (a huge argument echoed) keep their ends.
const MESSAGE_MAX: usize = 600;

/// The error as one line, each fact once: the causes that the message does not already
/// include, the database path before a storage error that does not name it, no line
/// breaks, and the middle of an overlong message elided.
fn one_line(e: &anyhow::Error, db: Option<&Path>) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if c.is_empty() || msg.contains(&c) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&c);
    }
    if let Some(db) = db {
        let path = db.display().to_string();
        if is_storage(e) && !msg.contains(&path) {
            msg = format!("{path}: {msg}");
        }
    }
    let msg: String = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let chars = msg.chars().count();
    if chars <= MESSAGE_MAX {
        return msg;
    }
    let keep = MESSAGE_MAX / 2;
    let head: String = msg.chars().take(keep).collect();
    let tail: String = msg.chars().skip(chars - keep).collect();
    format!("{head}[... {} characters ...]{tail}", chars - 2 * keep)
}

/// Whether a `query` command's statements write (a statement that does not parse counts as
/// one that does not: its error comes when it runs).
fn query_writes(a: &cypher::QueryArgs) -> bool {
    let text = match (&a.text, &a.file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).unwrap_or_default(),
        (None, None) => String::new(),
    };
    pagegraph_query::parse_script(&text).is_ok_and(|s| s.iter().any(pagegraph_query::is_write))
}

impl Command {
    /// True for the commands that write (or create) a database.
    fn writes(&self) -> bool {
        match self {
            Command::Index(cmd) => cmd.writes(),
            _ => {
                matches!(
                    self,
                    Command::Init { .. }
                        | Command::Import(_)
                        | Command::Compact { .. }
                        | Command::Node(
                            NodeCommand::Add { .. }
                                | NodeCommand::Set(_)
                                | NodeCommand::Delete { .. }
                        )
                        | Command::Edge(EdgeCommand::Add { .. } | EdgeCommand::Delete { .. })
                        | Command::Demo { .. }
                ) || matches!(self, Command::Query(a) if query_writes(a))
                    || matches!(self, Command::Shell(a) if !a.read_only)
            }
        }
    }

    /// The database a command works on.
    fn db(&self) -> Option<&Path> {
        match self {
            Command::Init { db, .. }
            | Command::Export { db, .. }
            | Command::Stats { db }
            | Command::Check { db }
            | Command::Compact { db }
            | Command::Node(
                NodeCommand::Get { db, .. }
                | NodeCommand::Add { db, .. }
                | NodeCommand::Find { db, .. }
                | NodeCommand::Set(edit::SetArgs { db, .. })
                | NodeCommand::Delete { db, .. },
            )
            | Command::Edge(
                EdgeCommand::Get { db, .. }
                | EdgeCommand::Add { db, .. }
                | EdgeCommand::Delete { db, .. },
            )
            | Command::Neighbors { db, .. }
            | Command::Bfs { db, .. }
            | Command::Path { db, .. }
            | Command::Algo { db, .. } => Some(db),
            Command::Import(a) => Some(&a.db),
            Command::Index(cmd) => Some(cmd.db()),
            Command::Demo { db } => db.as_deref(),
            Command::Query(a) => Some(&a.db),
            Command::Shell(a) => Some(&a.db),
        }
    }
}

fn main() -> ExitCode {
    // Library code does not panic; should anything else, say so in one line, no backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info.to_string().replace('\n', " ");
        eprintln!("pagegraph: internal error: {what}");
    }));
    let cli = Cli::parse();
    let db = cli.command.db().map(Path::to_path_buf);
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.is::<NothingFound>() {
                EXIT_NOTHING_FOUND
            } else {
                1
            };
            match e.downcast_ref::<cypher::Multiline>() {
                Some(m) => eprintln!("pagegraph: {m}"),
                None => eprintln!("pagegraph: {}", one_line(&e, db.as_deref())),
            }
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{one_line, parse_size};
    use std::path::Path;

    #[test]
    fn an_error_chain_prints_each_fact_once_with_the_database_path() {
        let full = std::io::Error::from_raw_os_error(28);
        let e = pagegraph::storage::StorageError::Io {
            op: "writing WAL frames",
            source: full,
        };
        let e = anyhow::Error::from(pagegraph::GraphError::from(e));
        let line = one_line(&e, Some(Path::new("g.pgdb")));
        assert_eq!(line.matches("os error 28").count(), 1, "{line}");
        assert!(
            line.starts_with("g.pgdb: I/O error while writing WAL frames"),
            "{line}"
        );
        let locked = pagegraph::storage::StorageError::Locked {
            path: "g.pgdb".into(),
        };
        let line = one_line(&anyhow::Error::from(locked), Some(Path::new("g.pgdb")));
        assert_eq!(line, "g.pgdb: the database is in use by another process");
    }

    #[test]
    fn sizes_take_binary_suffixes_and_refuse_the_rest() {
        assert_eq!(parse_size("300"), Ok(300));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("256m"), Ok(256 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        for bad in ["", "M", "1.5G", "-1", "12T", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
