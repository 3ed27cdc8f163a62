//! Recovery at open (`docs/recovery.md`, "Recovery at open" and "Which files are the
//! database"), as steps; each function names the step of recovery.md it performs and the
//! invariant it relies on.
//!
//! ```text
//!   recover
//!     find_wal (step 2) ──none──► no_wal: header names a live WAL? WalMissing : new_wal
//!        │ found
//!     scan (steps 3–5: Wal::recover) ─► check_binding (step 2) ─► check_bounds (step 6)
//!        │                                                            │ read-only
//!        │                                                            └─► read_in_place
//!     replay (step 7, recovery.md invariant 5)
//!        └─► session_wal: the WAL kept (reset), or removed and a new_wal
//! ```
//!
//! Step 1 (reading the header) is `meta::read_header`, done by the open before it calls
//! [`recover`]. Nothing is written before the WAL is known to belong to the database and to
//! fit the files; a read-only open writes nothing at all.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::checkpoint::copy_frames;
use crate::error::{Result, StorageError};
use crate::file::{Create, DbFile, Lock, OpenMode, Vfs};
use crate::freelist::{bitmap_page, region_pages};
use crate::ids::IdMap;
use crate::meta::{self, Header};
use crate::options::{Durability, Options};
use crate::wal::{Recovered, Wal, wal_path};

/// The database path a WAL path belongs to (`<db>-wal` without its suffix).
fn db_path_of_wal(wal: &Path) -> Option<PathBuf> {
    let bytes = wal.as_os_str().as_encoded_bytes();
    let db = bytes.strip_suffix(b"-wal")?;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(db)))
}

/// What recovery hands the open: the WAL this session writes (read-write in a WAL mode),
/// or, read-only, the recovered WAL's file and committed frames, to be read in place.
pub(crate) type Recovery = (Option<Wal>, Option<(Arc<dyn DbFile>, IdMap<u64>)>);

/// Finds the WAL that holds this database's last commits and recovers it: the one the
/// header names if it still exists under that name (the database was reached by
/// another name), else the one beside the database. Read-write: replays it into the
/// file and returns the WAL this session writes (a new one if none). Read-only: returns
/// the recovered frames to be read from the WAL in place, writing nothing. `header` is
/// left as the recovered state's header.
pub(crate) fn recover(
    vfs: &dyn Vfs,
    db: &Arc<dyn DbFile>,
    path: &Path,
    header: &mut Header,
    options: &Options,
) -> Result<Recovery> {
    let writable = !options.read_only;
    let derived = wal_path(path);
    let Some(found) = find_wal(vfs, path, header, &derived) else {
        return no_wal(vfs, path, header, options, derived);
    };
    let (log, rec) = scan(vfs, &found, header, writable)?;
    check_binding(&rec, header, &found)?;
    check_bounds(&rec, &**db, header.page_size)?;
    if !writable {
        return Ok(read_in_place(header, &log, rec));
    }
    replay(&**db, &log, &rec, header)?;
    session_wal(
        vfs,
        &**db,
        path,
        (found, derived),
        log,
        &rec,
        header,
        options,
    )
}

/// Step 2, which WAL: the one the header names, if that is the WAL of another name of this
/// very file (a hard link) and it exists; else the one beside the database, if it exists.
/// A copy of the database must never replay, or remove, the WAL of the original it was
/// copied from ("Which files are the database").
fn find_wal(vfs: &dyn Vfs, path: &Path, header: &Header, derived: &Path) -> Option<PathBuf> {
    let recorded = header
        .wal
        .clone()
        .filter(|p| !p.as_os_str().is_empty() && *p != derived)
        .filter(|p| {
            let this = vfs.file_id(path);
            this.is_some() && db_path_of_wal(p).is_some_and(|d| vfs.file_id(&d) == this)
        });
    match recorded {
        Some(r) if vfs.exists(&r) => Some(r),
        _ => vfs.exists(derived).then(|| derived.to_path_buf()),
    }
}

/// No WAL exists: if the header names a live one, the commits since the last checkpoint
/// are missing (`WalMissing`, unless the caller inspects an unclean file); else the
/// session starts its own WAL.
fn no_wal(
    vfs: &dyn Vfs,
    path: &Path,
    header: &Header,
    options: &Options,
    derived: PathBuf,
) -> Result<Recovery> {
    if header.wal.is_some() && !options.allow_unclean {
        return Err(StorageError::WalMissing {
            path: path.to_path_buf(),
            wal: header
                .wal
                .clone()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(derived),
        });
    }
    Ok((new_wal(vfs, path, header, options)?, None))
}

/// Steps 3 to 5: opens the WAL (for writing only in a read-write open) and scans its
/// frames (`Wal::recover`: header, frames up to the first invalid one, torn tail or
/// damage; recovery.md invariant 2 makes the first invalid frame the end).
fn scan(vfs: &dyn Vfs, found: &Path, header: &Header, writable: bool) -> Result<(Wal, Recovered)> {
    let mode = if writable {
        OpenMode {
            write: true,
            create: Create::No,
            lock: Lock::None,
        }
    } else {
        OpenMode::READ_ONLY
    };
    let file = vfs
        .open(found, mode)
        .map_err(open_err(found, "opening the WAL"))?;
    Wal::recover(
        file,
        header.page_size,
        header.db_id,
        header.meta.txn_id,
        writable,
    )
}

/// Step 2, the binding: the WAL carries this database's id and a base the header's txn id
/// matches; anything else is `ForeignWal`, and nothing is replayed or written.
fn check_binding(rec: &Recovered, header: &Header, found: &Path) -> Result<()> {
    // A format-1 file has no id on disk; a read-write open has drawn one, not yet written.
    let db_id = if header.version < 2 { 0 } else { header.db_id };
    rec.check_binding(db_id, header.meta.txn_id)
        .map_err(|reason| StorageError::ForeignWal {
            wal: found.to_path_buf(),
            reason,
        })
}

/// Step 6, bounds: checks what the scan found against what the files can hold, before
/// anything is copied: every frame's page lies below the committed page count, and every
/// region of that count has its bitmap page in the file or the WAL (so a crafted count
/// cannot make the engine allocate, seek or write far beyond the files; `freelist` reads
/// those bitmap pages next).
fn check_bounds(rec: &Recovered, db: &dyn DbFile, page_size: u32) -> Result<()> {
    let file_len = db
        .len()
        .map_err(StorageError::io("reading the database file"))?;
    check_recovered(rec, file_len, page_size)
}

/// A read-only open: nothing is written; the recovered meta becomes the session's, and its
/// pages are read from the WAL's frames in place.
fn read_in_place(header: &mut Header, log: &Wal, rec: Recovered) -> Recovery {
    if let Some(m) = rec.meta {
        header.meta = m;
    }
    (None, Some((Arc::clone(log.file()), rec.frames)))
}

/// Step 7: copies the recovered commits into the file and writes the header naming them
/// (the checkpoint order of recovery.md invariant 5: replaying again after a crash here
/// is idempotent). Nothing to do if the WAL holds no commit.
fn replay(db: &dyn DbFile, log: &Wal, rec: &Recovered, header: &mut Header) -> Result<()> {
    let Some(m) = rec.meta else {
        return Ok(());
    };
    header.seq += 1;
    header.meta = m;
    header.version = meta::FORMAT_VERSION;
    copy_frames(
        db,
        &**log.file(),
        header.page_size,
        &rec.frames,
        header,
        &|_| None,
    )
}

/// The WAL this session writes, once the recovered commits are in the file: a WAL found
/// under another name (or any WAL with `Durability::Off`) is removed and the session
/// starts its own; the WAL beside the database is kept, and reset to a new generation if
/// it held anything (recovery.md invariant 5).
///
/// The header then names no WAL but the one this session keeps, in the order of a clean
/// close (recovery.md, "Closing"): the WAL emptied, the header no longer naming it, the WAL
/// removed. A crash at any step leaves a header naming a WAL that exists, or naming none
/// beside an empty one. A header left naming the replayed WAL would name a file that is
/// gone while this session's commits go to another one: every later open by a name whose
/// WAL that is not would refuse the database as `WalMissing`, or, with `allow_unclean`,
/// show it without those commits.
#[allow(clippy::too_many_arguments)]
fn session_wal(
    vfs: &dyn Vfs,
    db: &dyn DbFile,
    path: &Path,
    (found, derived): (PathBuf, PathBuf),
    mut log: Wal,
    rec: &Recovered,
    header: &mut Header,
    options: &Options,
) -> Result<Recovery> {
    let removed = found != derived || options.durability == Durability::Off;
    if log.frame_count() > 0 || rec.discarded_frames > 0 || rec.db_id != Some(header.db_id) {
        log.reset(header.meta.txn_id)?;
    }
    if header.wal.is_some() && (removed || header.wal.as_deref() != Some(derived.as_path())) {
        header.wal = None;
        header.seq += 1;
        header.version = meta::FORMAT_VERSION;
        header.write_durable(db)?;
    }
    if removed {
        drop(log);
        vfs.remove(&found)
            .map_err(open_err(&found, "removing the replayed WAL"))?;
        vfs.sync_dir(&found)
            .map_err(open_err(&found, "syncing the WAL's directory"))?;
        return Ok((new_wal(vfs, path, header, options)?, None));
    }
    Ok((Some(log), None))
}

/// The error of a failed operation `op` on the WAL at `wal`.
fn open_err(wal: &Path, op: &'static str) -> impl FnOnce(std::io::Error) -> StorageError {
    let wal = wal.to_path_buf();
    move |error| StorageError::Open {
        path: wal,
        op,
        error,
    }
}

/// The WAL a read-write session in a WAL mode writes, created beside the database (and
/// its directory synced); `None` read-only or with `Durability::Off`.
fn new_wal(vfs: &dyn Vfs, path: &Path, header: &Header, options: &Options) -> Result<Option<Wal>> {
    if options.read_only || options.durability == Durability::Off {
        return Ok(None);
    }
    let wal = wal_path(path);
    let err = |op| {
        let wal = wal.clone();
        move |error| StorageError::Open {
            path: wal,
            op,
            error,
        }
    };
    let file = vfs
        .open(&wal, OpenMode::READ_WRITE)
        .map_err(err("creating the WAL"))?;
    let log = Wal::create(file, header.page_size, header.db_id, header.meta.txn_id)?;
    vfs.sync_dir(&wal)
        .map_err(err("syncing the WAL's directory"))?;
    Ok(Some(log))
}

/// The bounds of step 6 (see [`check_bounds`]) against a file of `file_len` bytes.
fn check_recovered(rec: &Recovered, file_len: u64, page_size: u32) -> Result<()> {
    let Some(meta) = &rec.meta else {
        return Ok(());
    };
    let bad = |reason: String| StorageError::WalCorrupted { frame: 0, reason };
    if meta.page_count > crate::limits::PAGE_COUNT_MAX {
        return Err(bad(format!(
            "the last commit claims {} pages, over the limit of {}",
            meta.page_count,
            crate::limits::PAGE_COUNT_MAX
        )));
    }
    if let Some(id) = rec.frames.keys().find(|id| id.0 >= meta.page_count) {
        return Err(bad(format!(
            "a frame holds page {id}, beyond the committed page count {}",
            meta.page_count
        )));
    }
    let file_pages = file_len / u64::from(page_size);
    let regions = meta.page_count.div_ceil(region_pages(page_size));
    for r in 0..regions {
        let id = bitmap_page(page_size, r);
        if id.0 >= file_pages && !rec.frames.contains_key(&id) {
            return Err(bad(format!(
                "the last commit claims {} pages, but the bitmap page of region {r} (page {id}) \
                 is in neither the file nor the WAL",
                meta.page_count
            )));
        }
    }
    Ok(())
}
