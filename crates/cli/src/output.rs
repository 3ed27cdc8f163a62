//! Printing results: human-readable text, or one JSON document with `--json`.

use std::io::Write;

use anyhow::Result;
use pagegraph::Node;
use serde_json::{Value, json};

/// Writes `value` as JSON (with `--json`) or `text` to stdout.
pub fn emit(json_out: bool, value: &Value, text: impl FnOnce() -> String) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json_out {
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
    } else {
        let t = text();
        if !t.is_empty() {
            writeln!(out, "{}", t.trim_end())?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The exit status of a search that ran and found nothing (no node, no path, no cycle).
pub const EXIT_NOTHING_FOUND: u8 = 3;

/// A search that ran and found nothing: `main` prints it on stderr and exits with
/// [`EXIT_NOTHING_FOUND`].
#[derive(Debug)]
pub struct NothingFound(pub String);

impl std::fmt::Display for NothingFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NothingFound {}

/// Ends a search that found nothing: with `--json` the (empty) result still goes to stdout,
/// in the command's usual shape; then the [`NothingFound`] error saying `what`.
pub fn nothing_found(json_out: bool, value: &Value, what: String) -> Result<()> {
    if json_out {
        emit(true, value, String::new)?;
    }
    Err(NothingFound(what).into())
}

/// A node as JSON.
pub fn node_json(n: &Node) -> Value {
    json!({ "id": n.id.0, "kind": n.kind, "name": n.name, "data": n.data })
}

/// A node as one tab-separated text line: id, kind, name, data.
pub fn node_line(n: &Node) -> String {
    format!("{}\t{}\t{}\t{}", n.id.0, n.kind, n.name, n.data)
}

/// A byte count for people: `12.3 MiB`.
#[allow(clippy::cast_precision_loss)] // one decimal shown
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Peak resident memory of this process, from `/proc/self/status` (Linux), in bytes.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
