//! `pagegraph index create|drop|list`: property indexes and unique constraints.

use std::path::{Path, PathBuf};

use anyhow::Result;
use pagegraph::{Graph, IndexInfo, IndexSpec, IndexState, IndexTarget};
use serde_json::{Value, json};

use crate::output::emit;

/// The `index` subcommands.
#[derive(clap::Subcommand)]
pub enum IndexCommand {
    /// Create a property index (with --unique, a unique constraint) and build it over the
    /// existing nodes or edges, in one transaction.
    #[command(
        after_help = "Examples:\n  pagegraph index create g.pgdb --label Person --property email --unique\n  pagegraph index create g.pgdb --label Person --property last --property first --name by_full_name\n  pagegraph index create g.pgdb --edge-type KNOWS --property since\n\nAn index on one property serves node find --where and --key lookups on it. A unique\nindex constrains the values of all its properties together: creating one over existing\nduplicates fails, naming them, and so does any later write that would make one."
    )]
    Create(CreateArgs),
    /// Drop an index by name.
    #[command(after_help = "Example:\n  pagegraph index drop g.pgdb Person_email")]
    Drop {
        /// The database.
        db: PathBuf,
        /// The index's name (see index list).
        name: String,
    },
    /// List the indexes: name, target, properties, unique or not, state, entries.
    #[command(after_help = "Example:\n  pagegraph index list g.pgdb --json")]
    List {
        /// The database.
        db: PathBuf,
    },
}

/// Arguments of `index create`.
#[derive(clap::Args)]
pub struct CreateArgs {
    /// The database.
    pub db: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    /// An indexed property; repeat for an index on several (in key order).
    #[arg(long = "property", required = true, value_name = "PROPERTY")]
    pub properties: Vec<String>,
    /// A unique constraint: no two nodes (edges) with equal values.
    #[arg(long)]
    pub unique: bool,
    /// Its name (default: the label or type and the properties, as `Person_email`).
    #[arg(long)]
    pub name: Option<String>,
}

/// What an index covers: one of `--label`, `--edge-type`.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// Index the nodes with this label.
    #[arg(long)]
    pub label: Option<String>,
    /// Index the edges of this type.
    #[arg(long)]
    pub edge_type: Option<String>,
}

impl IndexCommand {
    /// The database the command works on.
    pub fn db(&self) -> &Path {
        match self {
            IndexCommand::Create(a) => &a.db,
            IndexCommand::Drop { db, .. } | IndexCommand::List { db } => db,
        }
    }

    /// True for the subcommands that write.
    pub fn writes(&self) -> bool {
        !matches!(self, IndexCommand::List { .. })
    }
}

/// An index as JSON.
fn info_json(i: &IndexInfo) -> Value {
    let (on, target) = match &i.target {
        IndexTarget::Label(l) => ("label", l),
        IndexTarget::EdgeType(t) => ("edge_type", t),
    };
    json!({
        "name": i.name,
        "on": on,
        "target": target,
        "properties": i.properties,
        "unique": i.unique,
        "state": state_name(i.state),
        "entries": i.entries,
    })
}

fn state_name(s: IndexState) -> &'static str {
    match s {
        IndexState::Ready => "ready",
        IndexState::Building => "building",
    }
}

/// `index create`.
pub fn create(g: &Graph, a: &CreateArgs, json_out: bool) -> Result<()> {
    let target = match (&a.target.label, &a.target.edge_type) {
        (Some(l), _) => IndexTarget::Label(l.clone()),
        (None, Some(t)) => IndexTarget::EdgeType(t.clone()),
        (None, None) => anyhow::bail!("give --label or --edge-type"),
    };
    let spec = IndexSpec {
        name: a.name.clone(),
        target,
        properties: a.properties.clone(),
        unique: a.unique,
    };
    let mut tx = g.begin_write()?;
    let info = tx.create_index(spec)?;
    tx.commit()?;
    emit(json_out, &info_json(&info), || {
        format!(
            "created {}index {} on {}({}): {} entries",
            if info.unique { "unique " } else { "" },
            info.name,
            info.target,
            info.properties.join(", "),
            info.entries
        )
    })
}

/// `index drop`.
pub fn drop(g: &Graph, name: &str, json_out: bool) -> Result<()> {
    let mut tx = g.begin_write()?;
    tx.drop_index(name)?;
    tx.commit()?;
    emit(json_out, &json!({"dropped": name}), || {
        format!("dropped index {name}")
    })
}

/// `index list`: a table, or `{"count", "indexes": [...]}` with `--json`.
pub fn list(g: &Graph, json_out: bool) -> Result<()> {
    let infos = g.begin_read()?.indexes()?;
    let value = json!({
        "count": infos.len(),
        "indexes": infos.iter().map(info_json).collect::<Vec<_>>(),
    });
    emit(json_out, &value, || table(&infos))
}

/// The indexes as an aligned text table.
pub fn table(infos: &[IndexInfo]) -> String {
    if infos.is_empty() {
        return "no indexes".into();
    }
    let mut rows = vec![[
        "name".to_string(),
        "target".to_string(),
        "properties".to_string(),
        "unique".to_string(),
        "state".to_string(),
        "entries".to_string(),
    ]];
    for i in infos {
        rows.push([
            i.name.clone(),
            i.target.to_string(),
            i.properties.join(", "),
            if i.unique { "yes" } else { "no" }.to_string(),
            state_name(i.state).to_string(),
            i.entries.to_string(),
        ]);
    }
    let mut widths = [0usize; 6];
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut t = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in r.iter().zip(widths).enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        t.push_str(line.trim_end());
        t.push('\n');
    }
    t
}
