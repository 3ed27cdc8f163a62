//! Damaged input never panics: each fixture (GML, GraphML, labelled CSV with its mapping)
//! is damaged many times over (bytes flipped, cut short, spliced, with quotes, brackets
//! and delimiters thrown in) and imported into a graph in memory; every import must return,
//! with a summary or an error, and an error for bad input must name its file. Seeded, so a
//! failure repeats. The bytes are chosen to reach the parsers' corners, not at random
//! alone; this is a stable-toolchain cousin of the cargo-fuzz targets, not a replacement.
#![allow(clippy::unwrap_used, reason = "a failed step is a failed test")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pagegraph::Graph;
use pagegraph_import::{
    ImportError, ImportOptions, Mapping, NoProgress, run_csv, run_gml, run_graphml,
};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Bytes that matter to one of the formats.
const SPICE: &[&[u8]] = &[
    b"\"",
    b"'",
    b"\\",
    b"[",
    b"]",
    b"<",
    b">",
    b"</node>",
    b"<data key=\"d0\">",
    b"&",
    b"&#0;",
    b"&#x110000;",
    b"<![CDATA[",
    b"|",
    b",",
    b"\t",
    b"\n",
    b"\r\n",
    b":ID(",
    b":END_ID(X)",
    b";",
    b"\xff",
    b"\xEF\xBB\xBF",
    b"99999999999999999999999",
    b"-",
    b"1e999",
    b"node [ id ",
    b"edge",
];

/// `bytes` damaged in one of several ways.
fn damage(rng: &mut fastrand::Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..rng.usize(1..4) {
        let at = rng.usize(..=out.len());
        match rng.u8(..4) {
            0 => out.truncate(at),
            1 if at < out.len() => out[at] = rng.u8(..),
            2 => {
                let s = SPICE[rng.usize(..SPICE.len())];
                out.splice(at..at, s.iter().copied());
            }
            _ => {
                let end = (at + rng.usize(..16)).min(out.len());
                out.drain(at..end);
            }
        }
    }
    out
}

/// An import's result must be a summary or an error that names a file (bad input) or
/// says what else failed; reaching here at all means it did not panic.
fn check(result: Result<pagegraph_import::Summary, ImportError>, file: &Path) {
    if let Err(e) = result {
        let text = e.to_string();
        assert!(!text.is_empty());
        if let ImportError::Line { file: f, line, .. } = &e {
            assert!(f == file || f.starts_with(file.parent().unwrap()), "{text}");
            assert!(*line <= 10_000, "{text}");
        }
    }
}

#[test]
fn damaged_gml_and_graphml_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(23);
    for (fixture, graphml) in [
        ("gml/features.gml", false),
        ("graphml/features.graphml", true),
    ] {
        let bytes = std::fs::read(data().join(fixture)).unwrap();
        let path = dir.path().join(if graphml { "x.graphml" } else { "x.gml" });
        for round in 0..300 {
            std::fs::write(&path, damage(&mut rng, &bytes)).unwrap();
            let g = Graph::in_memory().unwrap();
            let opts = ImportOptions {
                skip_bad: round % 2 == 0,
                create_missing: round % 3 == 0,
                ..ImportOptions::default()
            };
            let result = if graphml {
                run_graphml(&g, &path, opts, Arc::new(NoProgress))
            } else {
                run_gml(&g, &path, opts, Arc::new(NoProgress))
            };
            check(result, &path);
        }
    }
}

#[test]
fn damaged_labelled_csv_files_and_mappings_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let src = data().join("labelled");
    let mut rng = fastrand::Rng::with_seed(2023);
    let names: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for round in 0..300 {
        // Every file as it is, then one of them (the mapping too) damaged.
        for n in &names {
            std::fs::copy(src.join(n), dir.path().join(n)).unwrap();
        }
        let victim = &names[rng.usize(..names.len())];
        let bytes = std::fs::read(src.join(victim)).unwrap();
        std::fs::write(dir.path().join(victim), damage(&mut rng, &bytes)).unwrap();
        let mapping = dir.path().join("mapping.toml");
        let Ok(m) = Mapping::load(&mapping, None) else {
            continue;
        };
        let g = Graph::in_memory().unwrap();
        let opts = ImportOptions {
            skip_bad: round % 2 == 0,
            create_missing: round % 3 == 0,
            batch: 1 + round % 4,
            ..ImportOptions::default()
        };
        let db = dir.path().join("scratch.pgdb");
        check(
            run_csv(&g, &db, &m.import, opts, Arc::new(NoProgress)),
            &mapping,
        );
    }
}
