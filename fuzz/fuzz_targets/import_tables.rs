//! Damaged Parquet and Arrow IPC tables through the import library's public API: a small
//! graph is exported once in both formats, and each input patches one of the files (a
//! cut, then bytes at offsets) before `run_tables` loads the directory into a graph in
//! memory. The import must return a summary or an error, never panic: the Arrow and
//! Parquet readers panic on some damaged files, and the importer turns that into an error,
//! so the panic hook is silenced here and only a panic that escapes `run_tables` is a
//! crash.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, Once, OnceLock};

use libfuzzer_sys::fuzz_target;
use pagegraph::{Graph, PropertyValue as P};
use pagegraph_import::{
    ImportOptions, NoProgress, Subset, TableFormat, export_tables, run_tables,
};

/// The two exports: (format, node file's bytes, edge file's bytes).
fn exports() -> &'static Vec<(TableFormat, Vec<u8>, Vec<u8>)> {
    static EXPORTS: OnceLock<Vec<(TableFormat, Vec<u8>, Vec<u8>)>> = OnceLock::new();
    EXPORTS.get_or_init(|| {
        let g = Graph::in_memory().expect("an in-memory graph");
        let mut w = g.begin_write().expect("a write");
        let mut ids = Vec::new();
        for i in 0..50i64 {
            let props = [
                ("id".to_string(), P::Int(i)),
                ("name".to_string(), P::String(format!("n{i}"))),
                ("score".to_string(), P::Float(i as f64 / 3.0)),
                ("tags".to_string(), P::List(vec![P::String("a".into()); (i % 3) as usize])),
                ("m".to_string(), P::Map([("k".to_string(), P::Int(i))].into())),
            ];
            ids.push(w.create_node(&["N"], props.into()).expect("a node"));
        }
        for pair in ids.windows(2) {
            let props = [("w".to_string(), P::Int(pair[0].0 as i64))];
            w.create_edge(pair[0], pair[1], "E", props.into()).expect("an edge");
        }
        w.commit().expect("a commit");
        let r = g.begin_read().expect("a read");
        [TableFormat::Parquet, TableFormat::Arrow]
            .into_iter()
            .map(|f| {
                let dir = scratch(f.extension());
                let _ = std::fs::remove_dir_all(&dir);
                export_tables(&r, &dir, f, &Subset::default(), &mut || {}).expect("an export");
                let ext = f.extension();
                let nodes = std::fs::read(dir.join(format!("nodes/N.{ext}"))).expect("nodes");
                let edges = std::fs::read(dir.join(format!("edges/E.{ext}"))).expect("edges");
                (f, nodes, edges)
            })
            .collect()
    })
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pagegraph-fuzz-tables-{}-{name}", std::process::id()))
}

fuzz_target!(|data: &[u8]| {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let [how, cut_hi, cut_lo, rest @ ..] = data else {
        return;
    };
    let (format, nodes, edges) = &exports()[usize::from(how & 1)];
    let (mut nodes, mut edges) = (nodes.clone(), edges.clone());
    let target = if how & 2 == 0 { &mut nodes } else { &mut edges };
    let cut = usize::from(u16::from_be_bytes([*cut_hi, *cut_lo]));
    if how & 4 != 0 && cut < target.len() {
        target.truncate(cut);
    }
    // Then (offset, byte) patches, offsets in two bytes.
    for patch in rest.chunks_exact(3) {
        if target.is_empty() {
            break;
        }
        let at = usize::from(u16::from_be_bytes([patch[0], patch[1]])) % target.len();
        target[at] = patch[2];
    }
    let dir = scratch("input");
    let ext = format.extension();
    let ok = std::fs::create_dir_all(dir.join("nodes")).is_ok()
        && std::fs::create_dir_all(dir.join("edges")).is_ok()
        && std::fs::write(dir.join(format!("nodes/N.{ext}")), &nodes).is_ok()
        && std::fs::write(dir.join(format!("edges/E.{ext}")), &edges).is_ok();
    if !ok {
        return;
    }
    let Ok(g) = Graph::in_memory() else { return };
    let opts = ImportOptions {
        skip_bad: how & 8 != 0,
        create_missing: how & 16 != 0,
        batch: 7,
        ..ImportOptions::default()
    };
    let _ = run_tables(&g, &dir.join("g.pgdb"), &dir, opts, Arc::new(NoProgress));
});
