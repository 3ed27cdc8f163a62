//! Any bytes as the WAL of a valid database, with the WAL header's, frames' and pages'
//! checksums, salts and frame numbers made valid (and the database id copied in, half the
//! time): recovery must refuse or replay it, never panic, abort, or write beyond what the
//! files hold.
#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use pagegraph_fuzz::{DB, WAL, base_storage_image, exercise_storage, reseal_wal};
use pagegraph_storage::file::MemVfs;
use pagegraph_storage::{Database, Options};

static BASE: OnceLock<Vec<u8>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let base = BASE.get_or_init(base_storage_image);
    let mut wal = data.to_vec();
    if wal.len() >= 48 && wal[0] & 1 == 0 {
        // The WAL names this database (its id, at byte 88 of the header) and version 3.
        wal[..8].copy_from_slice(b"PGWALv03");
        wal[8..12].copy_from_slice(&3u32.to_le_bytes());
        wal[12..16].copy_from_slice(&4096u32.to_le_bytes());
        if let Some(id) = base.get(88..96) {
            wal[24..32].copy_from_slice(id);
        }
    }
    reseal_wal(&mut wal, 4096);
    let mem = MemVfs::new();
    mem.write_file(Path::new(DB), base.clone());
    mem.write_file(Path::new(WAL), wal);
    let file_len = base.len();
    for read_only in [true, false] {
        let options = Options::default()
            .cache_pages(16)
            .read_only(read_only)
            .create(false);
        if let Ok(db) = Database::open_with_vfs(Arc::new(mem.clone()), Path::new(DB), options) {
            exercise_storage(&db);
        }
    }
    // Recovery never grows the file far past what the file and WAL hold.
    let grown = mem.read_file(Path::new(DB)).map_or(0, |b| b.len());
    assert!(grown <= file_len + data.len() * 64 + (1 << 20), "file grew to {grown}");
});
