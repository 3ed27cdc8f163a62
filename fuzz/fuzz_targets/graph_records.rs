//! A valid graph database with fuzzer-chosen bytes patched into it (pairs of a 3-byte
//! offset and a byte), every page's checksum then made valid: so node and edge records,
//! index entries, adjacency chunks, edge record chunks (keys and delta-encoded values) and
//! degree counts are crafted but reach the graph layer's decoders.
//! Every read must return a value or an error, never panic.
#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use pagegraph::Graph;
use pagegraph_fuzz::{DB, base_graph_image, exercise_graph, reseal_pages};
use pagegraph_storage::file::MemVfs;

static BASE: OnceLock<Vec<u8>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let base = BASE.get_or_init(base_graph_image);
    if base.is_empty() {
        return;
    }
    let mut image = base.clone();
    for patch in data.chunks_exact(4) {
        let at = (usize::from(patch[0]) << 16 | usize::from(patch[1]) << 8 | usize::from(patch[2]))
            % image.len();
        // Leave the header pages alone: they have their own target.
        if at >= 8192 {
            image[at] = patch[3];
        }
    }
    reseal_pages(&mut image);
    let mem = MemVfs::new();
    mem.write_file(Path::new(DB), image);
    let options = pagegraph::Options {
        cache_pages: 16,
        read_only: true,
        create: false,
        ..pagegraph::Options::default()
    };
    if let Ok(g) = Graph::open_with_vfs(Arc::new(mem), DB, options) {
        exercise_graph(&g);
    }
});
