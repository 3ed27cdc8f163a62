//! Any bytes as a database file, with every page's checksum made valid: opened read-only
//! and read-write, checked, read, and (read-write) written to. Any panic, abort or
//! unbounded allocation is a bug; errors are the expected outcome.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pagegraph_fuzz::{DB, exercise_storage, reseal_pages};
use pagegraph_storage::file::MemVfs;
use pagegraph_storage::{Database, Options};

fuzz_target!(|data: &[u8]| {
    let mut image = data.to_vec();
    reseal_pages(&mut image);
    let mem = MemVfs::new();
    mem.write_file(Path::new(DB), image);
    for read_only in [true, false] {
        let options = Options::default()
            .cache_pages(16)
            .read_only(read_only)
            .create(false);
        if let Ok(db) = Database::open_with_vfs(Arc::new(mem.clone()), Path::new(DB), options) {
            exercise_storage(&db);
            if !read_only && let Ok(mut tx) = db.begin_write() {
                if let Ok(mut t) = tx.tree("fuzz") {
                    let _ = t.insert(b"k", b"v");
                }
                let _ = tx.commit();
                exercise_storage(&db);
            }
        }
    }
});
