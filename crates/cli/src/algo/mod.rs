//! `bfs`, `path` and `algo`: the graph algorithms from the command line.
//!
//! Traversals from a node ([`walk`]) read the store directly; `algo` builds an in-memory
//! snapshot and runs a whole-graph algorithm on it ([`run`]); [`report`] prints results.

#![allow(
    clippy::cast_precision_loss,
    reason = "degrees and triangle counts are shown as numbers; exact below 2^53"
)]

mod report;
mod walk;

use anyhow::{Result, bail};
use clap::ValueEnum;
use pagegraph::algo::{
    self, Betweenness, Csr, CsrOptions, LabelPropagation, Louvain, PageRank, Progress, StoreView,
};
use pagegraph::{Direction, Graph, NodeId, ReadTxn};
use serde_json::{Value, json};

use crate::output::nothing_found;
use crate::progress;
use crate::query::resolve;

pub use walk::{bfs, path};

/// The whole-graph algorithms `pagegraph algo` runs.
#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub enum AlgoName {
    /// Weakly connected components (undirected by definition): each node's component label
    /// (its smallest id).
    Wcc,
    /// Strongly connected components (directed), largest first.
    Scc,
    /// PageRank (LDBC Graphalytics definition), highest first; --dir both: undirected.
    Pagerank,
    /// A topological order (fails, naming a cycle, if there is none).
    Topo,
    /// One directed cycle, if any.
    Cycle,
    /// Degree of each node (--dir; both by default), highest first.
    Degree,
    /// Betweenness centrality (Brandes; --samples to estimate, --normalized).
    Betweenness,
    /// Closeness centrality (Wasserman-Faust; --dir in by default: distances to a node).
    Closeness,
    /// Community labels by label propagation (Graphalytics CDLP; --iterations, --seed).
    Cdlp,
    /// Communities by modularity, Louvain method, on the undirected graph (--resolution,
    /// --seed, --weight).
    Louvain,
    /// Triangles of the undirected graph: the total and the nodes in most.
    Triangles,
    /// Local clustering coefficient (Graphalytics LCC; --dir both: undirected, out:
    /// directed).
    Lcc,
    /// Core numbers (k-cores) of the undirected graph; --k lists the nodes of the k-core.
    Kcore,
    /// Single-source shortest paths from --source (--weight for costs), nearest first.
    Sssp,
    /// Every node reachable from --source.
    Reach,
    /// Transitive reduction of a DAG: the edges to keep.
    Tred,
    /// Immediate dominators of the nodes reached from the entry --source.
    Dominators,
    /// Immediate post-dominators of the nodes that reach the exit --source.
    PostDominators,
    /// Natural loops of the control-flow graph entered at --source.
    Loops,
}

/// Options of `pagegraph algo`; each algorithm reads the ones it needs.
#[derive(clap::Args)]
pub struct AlgoArgs {
    /// Only edges of this type.
    #[arg(long = "type")]
    pub edge_type: Option<String>,
    /// Which edges to follow or count (each algorithm has a sensible default).
    #[arg(long, value_enum)]
    pub dir: Option<crate::Dir>,
    /// The start node (sssp, reach), the entry (dominators, loops) or the exit
    /// (post-dominators): an id, a name with --by-name, or a key with --key.
    #[arg(long)]
    pub source: Option<String>,
    #[command(flatten)]
    pub naming: crate::query::NamingArgs,
    /// Edge-data field holding each edge's weight (sssp, louvain); missing fields count 1.
    #[arg(long)]
    pub weight: Option<String>,
    /// PageRank damping factor (0.85 by default).
    #[arg(long)]
    pub damping: Option<f64>,
    /// Iterations at most (pagerank: 20, cdlp: 10 by default).
    #[arg(long)]
    pub iterations: Option<u32>,
    /// PageRank stops once ranks change by less than this (L1) in one iteration (0, the
    /// default: run every iteration).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Betweenness estimated from this many random sources instead of all.
    #[arg(long)]
    pub samples: Option<usize>,
    /// Seed for betweenness samples, cdlp tie-breaks and louvain's node order.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Betweenness divided by the number of node pairs.
    #[arg(long)]
    pub normalized: bool,
    /// Louvain's resolution (above 1: smaller communities; 1 by default).
    #[arg(long)]
    pub resolution: Option<f64>,
    /// kcore: list the nodes of the k-core instead of the core numbers.
    #[arg(long)]
    pub k: Option<u32>,
    /// sssp: also list the nodes not reached, at distance "infinity".
    #[arg(long)]
    pub all: bool,
    /// Rows shown at most (0: all). Text shows 20 by default; --json lists every row
    /// unless --top is given (partitions always list every node's label).
    #[arg(long)]
    pub top: Option<usize>,
}

impl AlgoArgs {
    /// PageRank's parameters.
    pub fn pagerank(&self) -> PageRank {
        PageRank {
            damping: self.damping.unwrap_or(0.85),
            iterations: self.iterations.unwrap_or(20),
            tolerance: self.tolerance.unwrap_or(0.0),
            dir: self.dir_or(Direction::Outgoing),
        }
    }

    fn dir_or(&self, default: Direction) -> Direction {
        self.dir.map_or(default, Into::into)
    }
}

/// How a traversal walks: edge direction, type filter, and how node arguments name
/// their nodes.
pub struct Walk<'a> {
    /// Which edges to follow.
    pub dir: Direction,
    /// Only edges of this type.
    pub edge_type: Option<&'a str>,
    /// How node arguments name their nodes.
    pub naming: crate::query::Naming,
}

/// A progress bar fed by an algorithm's [`Progress`] reports.
fn reporter() -> (indicatif::ProgressBar, impl FnMut(Progress)) {
    let pb = progress::bar(0, "", false);
    let feed = pb.clone();
    let f = move |p: Progress| {
        feed.set_message(p.stage);
        feed.set_length(p.total.max(p.done));
        feed.set_position(p.done);
    };
    (pb, f)
}

/// Runs `f` with a progress bar that is cleared when it returns.
fn with_progress<T>(f: impl FnOnce(&mut dyn FnMut(Progress)) -> T) -> T {
    let (pb, mut report) = reporter();
    let out = f(&mut report);
    pb.finish_and_clear();
    out
}

fn snapshot(r: &ReadTxn, options: &CsrOptions) -> Result<Csr> {
    Ok(with_progress(|p| Csr::build(r, options, p))?)
}

fn name_of(r: &ReadTxn, id: NodeId) -> Result<String> {
    Ok(r.node_raw(id)?.map(|n| n.name).unwrap_or_default())
}

/// The algorithms that take each option (`--type` and `--top` apply to all).
const OPTION_USERS: [(&str, &[AlgoName]); 11] = {
    use AlgoName as A;
    [
        (
            "--source",
            &[
                A::Sssp,
                A::Reach,
                A::Dominators,
                A::PostDominators,
                A::Loops,
            ],
        ),
        ("--weight", &[A::Sssp, A::Louvain]),
        ("--damping", &[A::Pagerank]),
        ("--tolerance", &[A::Pagerank]),
        ("--iterations", &[A::Pagerank, A::Cdlp]),
        ("--samples", &[A::Betweenness]),
        ("--normalized", &[A::Betweenness]),
        ("--seed", &[A::Betweenness, A::Cdlp, A::Louvain]),
        ("--resolution", &[A::Louvain]),
        ("--k", &[A::Kcore]),
        ("--all", &[A::Sssp]),
    ]
};

/// The `--dir` values an algorithm takes, and why it takes no others.
fn dirs(name: AlgoName) -> (&'static [crate::Dir], &'static str) {
    use crate::Dir as D;
    use AlgoName as A;
    match name {
        A::Wcc => (
            &[],
            "weakly connected components ignore edge direction by definition",
        ),
        A::Scc | A::Topo | A::Cycle | A::Tred => (&[], "it is defined on the directed edges"),
        A::Dominators | A::PostDominators | A::Loops => (
            &[],
            "it is defined on the directed edges (post-dominators walk them backwards)",
        ),
        A::Triangles | A::Kcore | A::Louvain => (
            &[],
            "it is defined on the undirected graph (every edge counts both ways)",
        ),
        A::Lcc => (
            &[D::Out, D::Both],
            "out is the directed coefficient, both the undirected one; in would count as out",
        ),
        A::Pagerank | A::Degree | A::Betweenness | A::Closeness | A::Cdlp | A::Sssp | A::Reach => {
            (&[D::Out, D::In, D::Both], "")
        }
    }
}

fn algo_name(name: AlgoName) -> String {
    name.to_possible_value()
        .map_or_else(|| format!("{name:?}"), |v| v.get_name().to_string())
}

/// Checks the arguments an algorithm needs before any work is done, and refuses every
/// option the algorithm would not use, saying why.
fn validate(name: AlgoName, args: &AlgoArgs) -> Result<()> {
    use AlgoName as A;
    let given = [
        ("--source", args.source.is_some()),
        ("--weight", args.weight.is_some()),
        ("--damping", args.damping.is_some()),
        ("--tolerance", args.tolerance.is_some()),
        ("--iterations", args.iterations.is_some()),
        ("--samples", args.samples.is_some()),
        ("--normalized", args.normalized),
        ("--seed", args.seed.is_some()),
        ("--resolution", args.resolution.is_some()),
        ("--k", args.k.is_some()),
        ("--all", args.all),
    ];
    let algo = algo_name(name);
    for ((option, is_given), (_, users)) in given.iter().zip(&OPTION_USERS) {
        if *is_given && !users.contains(&name) {
            let takers: Vec<String> = users.iter().map(|&u| algo_name(u)).collect();
            bail!(
                "{option} does not apply to {algo} (it is an option of {})",
                takers.join(", ")
            );
        }
    }
    if let Some(dir) = args.dir {
        let (allowed, why) = dirs(name);
        if !allowed.contains(&dir) {
            let dir = dir.to_possible_value().map(|v| v.get_name().to_string());
            if allowed.is_empty() {
                bail!("--dir does not apply to {algo}: {why}");
            }
            bail!(
                "{algo} does not take --dir {}: {why}",
                dir.unwrap_or_default()
            );
        }
    }
    if args.seed.is_some() && name == A::Betweenness && args.samples.is_none() {
        bail!("--seed picks betweenness's --samples; without --samples every node is a source");
    }
    if (args.naming.by_name || args.naming.key) && args.source.is_none() {
        let flag = if args.naming.key {
            "--key"
        } else {
            "--by-name"
        };
        bail!("{flag} names the --source node; {algo} was given no --source");
    }
    if name == A::Pagerank {
        args.pagerank().validate()?;
    }
    let needs_source = matches!(
        name,
        A::Sssp | A::Reach | A::Dominators | A::PostDominators | A::Loops
    );
    if needs_source && args.source.is_none() {
        bail!("{algo} needs --source (a node id, or a name with --by-name)");
    }
    Ok(())
}

/// `pagegraph algo NAME`: a whole-graph algorithm on a snapshot of the database.
pub fn run(graph: &Graph, name: AlgoName, args: &AlgoArgs, json_out: bool) -> Result<()> {
    use AlgoName as A;
    validate(name, args)?;
    let r = graph.begin_read()?;
    let source = match &args.source {
        Some(s) => Some(resolve(&r, s, args.naming.naming())?),
        None => None,
    };
    let csr = snapshot(
        &r,
        &CsrOptions {
            edge_type: args.edge_type.clone(),
            weight_field: args.weight.clone(),
        },
    )?;
    let out = report::Out {
        r: &r,
        top: args.top,
        json: json_out,
    };
    if let Some(done) = measure(name, &csr, args, &out) {
        return done;
    }
    let source = || source.ok_or_else(|| anyhow::anyhow!("--source is missing"));
    match name {
        A::Wcc => out.partition("weakly connected components", &algo::wcc(&csr), None),
        A::Scc => out.scc(&csr),
        A::Topo => out.nodes("topological order", &algo::toposort(&csr)?),
        A::Cycle => match algo::find_cycle(&csr) {
            Some(c) => out.cycle(&c),
            None => nothing_found(json_out, &json!([]), "no cycle".to_string()),
        },
        A::Sssp => {
            let d = algo::sssp(&csr, source()?, args.dir_or(Direction::Outgoing))?;
            out.distances(d, args.all.then_some(&csr))
        }
        A::Reach => {
            let view = StoreView::new(&r, args.edge_type.as_deref());
            let nodes = algo::reachable(&view, source()?, args.dir_or(Direction::Outgoing))?;
            out.nodes("reachable", &nodes)
        }
        A::Tred => out.tred(&csr, &algo::transitive_reduction(&csr)?),
        A::Dominators => out.dominators(&algo::dominators(&csr, source()?)?, "dominator"),
        A::PostDominators => {
            out.dominators(&algo::post_dominators(&csr, source()?)?, "post-dominator")
        }
        A::Loops => out.loops(&algo::natural_loops(&csr, source()?)?),
        _ => bail!("{name:?} is not a structural algorithm"),
    }
}

/// The centrality, cohesion and community algorithms: `None` for the others.
fn measure(
    name: AlgoName,
    csr: &Csr,
    args: &AlgoArgs,
    out: &report::Out<'_>,
) -> Option<Result<()>> {
    use AlgoName as A;
    let counts =
        |rows: Vec<(NodeId, usize)>| rows.into_iter().map(|(v, x)| (v, x as f64)).collect();
    Some(match name {
        A::Pagerank => with_progress(|p| algo::pagerank(csr, args.pagerank(), p))
            .map_err(Into::into)
            .and_then(|ranks| out.scores("rank", ranks, true)),
        A::Degree => out.scores(
            "degree",
            counts(algo::degree(csr, args.dir_or(Direction::Both))),
            true,
        ),
        A::Betweenness => {
            let params = Betweenness {
                dir: args.dir_or(Direction::Outgoing),
                samples: args.samples,
                seed: args.seed.unwrap_or(0),
                normalized: args.normalized,
            };
            with_progress(|p| algo::betweenness(csr, &params, p))
                .map_err(Into::into)
                .and_then(|b| out.scores("betweenness", b, true))
        }
        A::Closeness => {
            let c = with_progress(|p| algo::closeness(csr, args.dir_or(Direction::Incoming), p));
            out.scores("closeness", c, true)
        }
        A::Cdlp => {
            let params = LabelPropagation {
                dir: args.dir_or(Direction::Both),
                iterations: args.iterations.unwrap_or(10),
                seed: args.seed,
            };
            let labels = with_progress(|p| algo::label_propagation(csr, &params, p));
            out.partition("communities (label propagation)", &labels, None)
        }
        A::Louvain => {
            let params = Louvain {
                resolution: args.resolution.unwrap_or(1.0),
                seed: args.seed,
                ..Louvain::default()
            };
            with_progress(|p| algo::louvain(csr, &params, p))
                .map_err(Into::into)
                .and_then(|c| out.partition("communities (Louvain)", &c.labels, Some(c.modularity)))
        }
        A::Triangles => {
            let t = with_progress(|p| algo::triangles(csr, p));
            let total = t.iter().map(|x| x.1).sum::<u64>() / 3;
            let per_node = t.into_iter().map(|(v, x)| (v, x as f64)).collect();
            out.with_total("triangles", total, per_node)
        }
        A::Lcc => {
            let directed = args.dir_or(Direction::Both) != Direction::Both;
            let c = with_progress(|p| algo::lcc(csr, directed, p));
            out.scores("clustering", c, true)
        }
        A::Kcore => {
            if let Some(k) = args.k {
                out.nodes(&format!("{k}-core"), &algo::k_core(csr, k))
            } else {
                let cores = algo::core_numbers(csr);
                let cores = cores.into_iter().map(|(v, c)| (v, f64::from(c))).collect();
                out.scores("core", cores, true)
            }
        }
        _ => return None,
    })
}

/// The JSON for a node with its name.
fn named(r: &ReadTxn, id: NodeId) -> Result<Value> {
    Ok(json!({"node": id.0, "name": name_of(r, id)?}))
}
