//! Any bytes as a graph file or a labelled CSV file, through the import library's public
//! API into a graph in memory: as GML, as GraphML, and as a headerless CSV edge file and a
//! CSV node file with Neo4j admin-import headers (the first line of the input as the given
//! header). Each import must return a summary or an error, never panic.
#![no_main]

use std::path::PathBuf;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pagegraph::Graph;
use pagegraph_import::{
    CsvDialect, CsvFiles, CsvImport, Element, ImportOptions, NoProgress, run_csv, run_gml,
    run_graphml,
};

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pagegraph-fuzz-{}-{name}", std::process::id()))
}

fuzz_target!(|data: &[u8]| {
    let opts = ImportOptions {
        skip_bad: data.first().is_some_and(|b| b & 1 == 1),
        create_missing: data.first().is_some_and(|b| b & 2 == 2),
        batch: 3,
        ..ImportOptions::default()
    };
    let file = scratch("input");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    for graphml in [false, true] {
        let Ok(g) = Graph::in_memory() else { return };
        let _ = if graphml {
            run_graphml(&g, &file, opts.clone(), Arc::new(NoProgress))
        } else {
            run_gml(&g, &file, opts.clone(), Arc::new(NoProgress))
        };
    }
    let (first, _) = data.split_at(data.iter().position(|&b| b == b'\n').unwrap_or(data.len()));
    let header = String::from_utf8_lossy(first).into_owned();
    let dialect = CsvDialect {
        delimiter: b'|',
        escape: Some(b'\\'),
        ..CsvDialect::default()
    };
    let import = CsvImport {
        sources: vec![
            CsvFiles {
                element: Element::Nodes,
                files: vec![file.clone()],
                label: Some("N".into()),
                header: None,
                dialect,
            },
            CsvFiles {
                element: Element::Edges,
                files: vec![file.clone()],
                label: Some("E".into()),
                header: Some(header),
                dialect,
            },
        ],
        spaces: Vec::new(),
    };
    let Ok(g) = Graph::in_memory() else { return };
    let _ = run_csv(&g, &scratch("db"), &import, opts, Arc::new(NoProgress));
    let _ = std::fs::remove_file(&file);
});
