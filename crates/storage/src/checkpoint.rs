//! Checkpointing: the committed frames of the WAL copied into the database file, then a new
//! WAL generation (recovery.md invariant 5). Used by commit (past the automatic threshold),
//! by `Database::checkpoint` and close, and by recovery at open; it sits below all of them.

use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::file::DbFile;
use crate::ids::{IdMap, PageId};
use crate::meta::Header;
use crate::page::{self, PageBuf, write_runs};
use crate::pager::{Store, Writer};
use crate::wal::Wal;

/// Checkpoint: copy the WAL into the file, then start a new WAL generation.
/// Runs with the writer lock held, so no frame is appended meanwhile.
pub(crate) fn run(store: &Store, w: &mut Writer) -> Result<()> {
    let wal_live = w.wal_marked;
    let Some(wal) = w.wal.as_mut() else {
        return Ok(());
    };
    if wal.frame_count() == 0 {
        return Ok(());
    }
    let frames = store.wal_index.read().map.clone();
    let meta = store.state.lock().meta;
    let header = store.header(w.header_seq + 1, meta, false, wal_live);
    // The cache holds the committed image of a page, the one its last frame holds (the
    // image every reader gets first): copied from memory instead of read back.
    let cached = |id: PageId| store.cache.peek(id);
    copy_frames(
        &*store.db,
        &**wal.file(),
        store.page_size,
        &frames,
        &header,
        &cached,
    )?;
    w.header_seq += 1;
    let mut index = store.wal_index.write();
    wal.reset(meta.txn_id)?;
    index.map.clear();
    Ok(())
}

/// Copies the WAL's committed frames into the database file, syncs, writes the header and
/// syncs again (recovery.md invariants 4 and 5). Leaves the WAL as it is. `cached(id)` may
/// give the image of page `id` that its last frame holds, to skip reading it back; an image
/// that does not verify is read from the WAL instead.
pub(crate) fn copy_frames(
    db: &dyn DbFile,
    wal_file: &dyn DbFile,
    page_size: u32,
    frames: &IdMap<u64>,
    header: &Header,
    cached: &dyn Fn(PageId) -> Option<PageBuf>,
) -> Result<()> {
    let mut entries: Vec<(PageId, u64)> = frames.iter().map(|(p, f)| (*p, *f)).collect();
    entries.sort_unstable();
    for chunk in entries.chunks(256) {
        let mut pages: Vec<(PageId, PageBuf)> = Vec::with_capacity(chunk.len());
        for &(id, frame) in chunk {
            if let Some(image) = cached(id).filter(|b| page::verify(id, b).is_ok()) {
                #[cfg(debug_assertions)]
                {
                    let mut framed = vec![0u8; page_size as usize];
                    Wal::read_page_at(wal_file, page_size, frame, &mut framed)?;
                    debug_assert!(*image == *framed, "cached image of {id:?} is not its frame");
                }
                pages.push((id, image));
                continue;
            }
            let mut buf = vec![0u8; page_size as usize];
            Wal::read_page_at(wal_file, page_size, frame, &mut buf)?;
            page::verify(id, &buf)?;
            pages.push((id, Arc::from(buf)));
        }
        write_runs(db, page_size, &pages)?;
    }
    db.sync()
        .map_err(StorageError::io("syncing the database file"))?;
    header.write_durable(db)
}
