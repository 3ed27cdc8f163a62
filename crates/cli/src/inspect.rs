//! `stats`, `check` and `compact`.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use pagegraph::Graph;
use serde_json::json;

use crate::output::{emit, human_bytes};
use crate::progress;

/// `stats`: counts, kinds and edge types, pages by use, file and WAL sizes.
pub fn stats(g: &Graph, json_out: bool) -> Result<()> {
    let r = g.begin_read()?;
    let (nodes, edges) = (r.node_count()?, r.edge_count()?);
    let kinds = r.kinds()?;
    let types = r.edge_types()?;
    drop(r);
    let s = g.stats()?;
    let pages = g.page_usage()?;
    let value = json!({
        "nodes": nodes,
        "edges": edges,
        "kinds": kinds.iter().map(|(k, n)| json!({"kind": k, "count": n})).collect::<Vec<_>>(),
        "edge_types": types.iter().map(|(t, n)| json!({"type": t, "count": n})).collect::<Vec<_>>(),
        "page_size": s.page_size,
        "page_count": s.page_count,
        "free_pages": s.free_pages,
        "file_bytes": s.file_size_bytes,
        "wal_bytes": s.wal_size_bytes,
        "wal_frames": s.wal_frames,
        "last_txn": s.last_txn.0,
        "pages_by_use": pages.iter().map(|t| json!({
            "tree": t.name, "branch": t.branch, "leaf": t.leaf, "overflow": t.overflow
        })).collect::<Vec<_>>(),
    });
    emit(json_out, &value, || {
        let mut t = format!("nodes       {nodes}\nedges       {edges}\n");
        t.push_str(&format!("kinds       {}\n", kinds.len()));
        for (k, n) in &kinds {
            t.push_str(&format!("  {n:>10}  {k}\n"));
        }
        t.push_str(&format!("edge types  {}\n", types.len()));
        for (k, n) in &types {
            t.push_str(&format!("  {n:>10}  {k}\n"));
        }
        t.push_str(&format!(
            "file        {} ({} pages of {} bytes, {} free)\nWAL         {} ({} frames)\n",
            human_bytes(s.file_size_bytes),
            s.page_count,
            s.page_size,
            s.free_pages,
            human_bytes(s.wal_size_bytes),
            s.wal_frames
        ));
        t.push_str("pages by use (branch / leaf / overflow):\n");
        for p in &pages {
            if p.branch + p.leaf + p.overflow > 0 {
                t.push_str(&format!(
                    "  {:<14} {:>8} {:>10} {:>10}\n",
                    p.name, p.branch, p.leaf, p.overflow
                ));
            }
        }
        t
    })
}

/// `check`: the full integrity check. Returns whether the database is clean.
pub fn check(g: &Graph, json_out: bool) -> Result<bool> {
    let report = g.check()?;
    let clean = report.is_clean();
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    let value = json!({
        "clean": clean,
        "problems": problems,
        "problems_unlisted": report.problems_unlisted,
        "page_count": report.page_count,
        "pages_in_use": report.pages_in_use,
    });
    emit(json_out, &value, || {
        if clean {
            format!(
                "ok: {} pages, {} in use, no problems",
                report.page_count, report.pages_in_use
            )
        } else {
            let mut t = format!(
                "{} problem(s) found:\n",
                report.problems.len() + report.problems_unlisted
            );
            for p in &problems {
                t.push_str(&format!("  {p}\n"));
            }
            if report.problems_unlisted > 0 {
                t.push_str(&format!("  ... and {} more\n", report.problems_unlisted));
            }
            t
        }
    })?;
    Ok(clean)
}

/// `compact`: the database rewritten without free pages (`Graph::compact_with`), with a
/// bar over the entries copied; prints the sizes before and after.
pub fn compact(g: Graph, db: &Path, json_out: bool) -> Result<()> {
    let started = Instant::now();
    let bar = progress::bar(0, "compacting", false);
    let stats = g.compact_with(&mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let stats = stats?;
    let seconds = started.elapsed().as_secs_f64();
    let before = stats.file_size_before_bytes + stats.wal_size_before_bytes;
    let value = json!({
        "path": db,
        "trees": stats.trees,
        "entries": stats.entries,
        "bytes_before": before,
        "file_bytes_before": stats.file_size_before_bytes,
        "wal_bytes_before": stats.wal_size_before_bytes,
        "pages_before": stats.page_count_before,
        "free_pages_before": stats.free_pages_before,
        "bytes_after": stats.file_size_after_bytes,
        "pages_after": stats.page_count_after,
        "free_pages_after": stats.free_pages_after,
        "seconds": seconds,
    });
    emit(json_out, &value, || {
        format!(
            "compacted {}: {} -> {} ({} pages, {} free -> {} pages, {} free; {} entries in \
             {} trees) in {seconds:.1} s",
            db.display(),
            human_bytes(before),
            human_bytes(stats.file_size_after_bytes),
            stats.page_count_before,
            stats.free_pages_before,
            stats.page_count_after,
            stats.free_pages_after,
            stats.entries,
            stats.trees,
        )
    })
}
