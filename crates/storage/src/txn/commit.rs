//! Commit: the write transaction's last steps, in order, each citing the `docs/recovery.md`
//! invariant it relies on.
//!
//! ```text
//!        WriteTxn::commit ─► run
//!   Open ──apply_changes──► Flushed ──write_pages──► Written ──publish──► Published
//!    │                        │                        (durable per the mode)   │
//!    │                        └─ nothing changed: rollback ─► Done        finish│
//!    │                                                                          ▼
//!    │                                         auto_checkpoint (after) ◄──── Done
//!    └─ an error in any step: WriteTxn::commit ─► Failed ─ drop: rollback ─► Done
//! ```
//!
//! - [`apply_changes`]: buffered puts applied, changed trees recorded in the catalog. After
//!   it every change of the transaction is in its pages.
//! - [`write_pages`]: changed bitmap pages encoded, every changed page sealed, then written:
//!   WAL frames ending in the commit frame (`Full`: then synced), or, with no WAL, pages
//!   then the header. From the commit frame's (or the header's) write on, a failure leaves
//!   the outcome unknown (recovery.md invariant 8).
//! - [`publish`]: the written pages made findable, then the new meta made visible
//!   (recovery.md invariant 4).
//! - [`finish`]: the allocator keeps the commit's frees for the readers that may need the
//!   pages (recovery.md invariant 7); the transaction's page maps are cleared.
//! - [`auto_checkpoint`]: past the WAL threshold, a checkpoint (recovery.md invariant 5). The
//!   commit is already made; a failure poisons the handle (recovery.md invariant 8) but is not
//!   the commit's.

use std::sync::Arc;

use crate::btree;
use crate::error::{Result, StorageError};
use crate::freelist::bitmap_page;
use crate::ids::{PageId, TxId};
use crate::meta::Meta;
use crate::options::Durability;
use crate::page::{self, Pages};
use crate::pager::{Dirty, Location, PageWriter, Store, Writer};

use super::WriteTxn;

/// Where the write transaction is. Changes are made only `Open`; the states between
/// `Flushed` and `Published` exist only inside [`run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TxState {
    /// Changes may be made.
    Open,
    /// Buffered puts applied and the catalog records every changed tree.
    Flushed,
    /// Every changed page sealed and written where recovery finds it.
    Written,
    /// The pages findable and the new meta visible to new readers.
    Published,
    /// Committed or rolled back: nothing left to undo.
    Done,
    /// A change or the commit failed: only dropping the transaction (a rollback) is left.
    Failed,
}

/// Commits at or above this many pages write their new pages straight to the database file
/// (one extra file sync) instead of through the WAL, so a bulk load is written once.
const DIRECT_COMMIT_PAGES_MIN: usize = 4096;

/// Runs the commit's steps (see the module doc). The caller marks the transaction
/// [`TxState::Failed`] if this fails.
pub(super) fn run(t: &mut WriteTxn) -> Result<TxId> {
    let txn = t.txn;
    let catalog_root = apply_changes(t)?;
    if t.w.dirty.is_empty() && t.w.spilled.is_empty() {
        // Nothing changed: a read-only write transaction.
        t.rollback();
        return Ok(txn.0.checked_sub(1).map_or(TxId(0), TxId));
    }
    let meta = Meta {
        txn_id: txn,
        page_count: t.w.alloc.page_count(),
        catalog_root,
    };
    let (written, locations) = write_pages(t, meta)?;
    publish(t, meta, written, &locations);
    finish(t);
    auto_checkpoint(t);
    Ok(txn)
}

/// Open → Flushed: applies buffered puts, then records changed tree roots and counts in the
/// catalog. Returns the new catalog root.
fn apply_changes(t: &mut WriteTxn) -> Result<PageId> {
    debug_assert_eq!(t.state, TxState::Open);
    t.flush_all()?;
    let store = Arc::clone(&t.store);
    let mut catalog_root = t.catalog_root;
    let mut pw = PageWriter {
        store: &store,
        w: &mut t.w,
        txn: t.txn,
    };
    for tree in t.trees.iter().filter(|tree| tree.dirty) {
        if tree.exists {
            btree::insert(
                &mut pw,
                &mut catalog_root,
                tree.name.as_bytes(),
                &tree.info.encode(),
            )?;
        } else {
            btree::remove(&mut pw, &mut catalog_root, tree.name.as_bytes())?;
        }
    }
    t.state = TxState::Flushed;
    Ok(catalog_root)
}

/// Flushed → Written: encodes the changed bitmap pages, seals every changed page and writes
/// them with the commit record `meta`. Returns every page written, with where it went
/// (pages written behind earlier among them, in the file).
fn write_pages(t: &mut WriteTxn, meta: Meta) -> Result<(Pages, Vec<Location>)> {
    debug_assert_eq!(t.state, TxState::Flushed);
    let store = Arc::clone(&t.store);
    encode_bitmaps(&store, &mut t.w);
    // recovery.md invariant 3e: nothing may still be on its way to the file when the commit is
    // written.
    t.w.behind.drain().inspect_err(|e| store.poison(e))?;
    let behind = t.w.written_behind();
    let pages = seal_changed(&store, &mut t.w);
    let mut pw = PageWriter {
        store: &store,
        w: &mut t.w,
        txn: t.txn,
    };
    let (mut written, mut locations) = if pw.w.wal.is_some() {
        write_wal(&mut pw, pages, meta)?
    } else {
        write_file(&mut pw, pages, meta)?
    };
    locations.extend(std::iter::repeat_n(Location::File, behind.len()));
    written.extend(behind);
    t.state = TxState::Written;
    Ok((written, locations))
}

/// The bitmap pages of the regions whose allocation changed, as dirty pages (invariant 1
/// of `freelist`: on disk a page's bit says whether the committed state reaches it).
fn encode_bitmaps(store: &Store, w: &mut Writer) {
    let regions: Vec<u64> = w.alloc.dirty_regions().collect();
    for r in regions {
        let id = bitmap_page(store.page_size, r);
        let mut buf = vec![0u8; store.page_size as usize];
        w.alloc.encode_region(r, &mut buf);
        w.dirty.insert(id, Dirty::new(Arc::from(buf)));
    }
}

/// Seals every changed dirty page, in id order (recovery.md invariant 1: sealed right before it
/// leaves memory).
fn seal_changed(store: &Store, w: &mut Writer) -> Pages {
    let mut ids: Vec<PageId> = w
        .dirty
        .iter()
        .filter(|(_, d)| d.modified)
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    let mut pages: Pages = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(d) = w.dirty.get_mut(&id) {
            store.seal_for_write(Arc::make_mut(&mut d.buf));
            pages.push((id, Arc::clone(&d.buf)));
        }
    }
    pages
}

/// Writes the commit in WAL mode. New pages of a large (or already spilling) transaction go
/// straight to the file, which is synced before the commit frame is written (recovery.md invariant
/// 3); the rest, bitmap pages always among them, go to the WAL ending in the commit frame, appended
/// after every earlier frame (recovery.md invariant 2). Returns every page written, with where it
/// went.
fn write_wal(pw: &mut PageWriter<'_>, pages: Pages, meta: Meta) -> Result<(Pages, Vec<Location>)> {
    let store = pw.store;
    let (direct, mut rest) = if pages.len() >= DIRECT_COMMIT_PAGES_MIN || pw.w.direct_written {
        pw.split_direct(pages)
    } else {
        (Vec::new(), pages)
    };
    pw.write_direct(&direct)?;
    if pw.w.direct_written {
        // recovery.md invariant 3d: the pages written in place are durable before the commit frame.
        store
            .db
            .sync()
            .map_err(StorageError::io("syncing the database file"))
            .inspect_err(|e| store.poison(e))?;
    }
    if rest.is_empty() {
        // Every change went out already; the commit frame needs a page to ride on.
        let id = bitmap_page(store.page_size, 0);
        let mut buf = vec![0u8; store.page_size as usize];
        pw.w.alloc.encode_region(0, &mut buf);
        page::seal(&mut buf);
        debug_assert!(page::verify(id, &buf).is_ok());
        rest.push((id, Arc::from(buf)));
    }
    // recovery.md invariant 8: from the commit frame's write on, a failure leaves the outcome
    // unknown: the frame may have reached the disk whole, and recovery would then keep the commit.
    let mut locations = pw
        .write_out(&rest, Some(meta))
        .map_err(StorageError::outcome_unknown)?;
    if store.durability == Durability::Full
        && let Some(wal) = pw.w.wal.as_ref()
    {
        wal.sync()
            .inspect_err(|e| store.poison(e))
            .map_err(StorageError::outcome_unknown)?;
    }
    locations.extend(std::iter::repeat_n(Location::File, direct.len()));
    rest.extend(direct);
    Ok((rest, locations))
}

/// Writes the commit with no WAL (`Durability::Off`): the pages to their places, then the
/// header naming the new meta, still marked unclean. From the header's write on the
/// outcome is unknown (recovery.md invariant 8).
fn write_file(pw: &mut PageWriter<'_>, pages: Pages, meta: Meta) -> Result<(Pages, Vec<Location>)> {
    let store = pw.store;
    let locations = pw.write_out(&pages, None)?;
    pw.w.header_seq += 1;
    let header = store.header(pw.w.header_seq, meta, true, false);
    header
        .write(&*store.db)
        .inspect_err(|e| store.poison(e))
        .map_err(StorageError::outcome_unknown)?;
    Ok((pages, locations))
}

/// Written → Published: makes the written pages findable (WAL index, cache) before the new
/// meta is published, so a reader that sees the meta finds every page it points at
/// (recovery.md invariant 4).
fn publish(t: &mut WriteTxn, meta: Meta, pages: Pages, locations: &[Location]) {
    debug_assert_eq!(t.state, TxState::Written);
    let store = &*t.store;
    {
        let mut index = store.wal_index.write();
        for (id, loc) in &t.w.spilled {
            if let Location::Wal(f) = loc {
                index.map.insert(*id, *f);
            }
        }
        for ((id, _), loc) in pages.iter().zip(locations) {
            if let Location::Wal(f) = loc {
                index.map.insert(*id, *f);
            }
        }
    }
    // Spilled pages keep their cached images: each is the page's latest (now committed)
    // image, since every spill and every reload-and-change refreshes it.
    for (id, buf) in pages {
        store.cache.insert(id, buf);
    }
    store.state.lock().meta = meta;
    t.state = TxState::Published;
}

/// Published → Done: the allocator records the commit (its frees wait for older readers,
/// recovery.md invariant 7) and the transaction's page maps are cleared.
fn finish(t: &mut WriteTxn) {
    debug_assert_eq!(t.state, TxState::Published);
    t.w.alloc.commit(t.txn);
    t.w.clear_txn();
    t.state = TxState::Done;
}

/// After the commit: a checkpoint once the WAL is past its threshold (recovery.md invariant 5). The
/// commit is already made; a failure here refuses later writes until reopen (which recovers
/// from the WAL, recovery.md invariant 8) but is not this commit's failure.
fn auto_checkpoint(t: &mut WriteTxn) {
    debug_assert_eq!(t.state, TxState::Done);
    let frames = t.w.wal.as_ref().map_or(0, crate::wal::Wal::frame_count);
    if frames >= t.w.wal_auto_checkpoint_frames
        && let Err(e) = crate::checkpoint::run(&t.store, &mut t.w)
    {
        t.store.poison(&e);
    }
}
