//! Recovery at open: finding the WAL that holds the database's last commits, checking that
//! it belongs to the database and that what it claims fits the files, and replaying it
//! (`docs/recovery.md`, "Recovery at open" and "Which files are the database").

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

/// Finds the WAL that holds this database's last commits and recovers it: the one the
/// header names if it still exists under that name (the database was reached by
/// another name), else the one beside the database. Read-write: replays it into the
/// file and returns the WAL this session writes (a new one if none). Read-only: returns
/// the recovered frames to be read from the WAL in place, writing nothing.
#[allow(clippy::type_complexity)]
pub(crate) fn recover(
    vfs: &dyn Vfs,
    db: &Arc<dyn DbFile>,
    path: &Path,
    header: &mut Header,
    options: &Options,
) -> Result<(Option<Wal>, Option<(Arc<dyn DbFile>, IdMap<u64>)>)> {
    let writable = !options.read_only;
    let page_size = header.page_size;
    let derived = wal_path(path);
    // The header's WAL is used only if it is the WAL of another name of this very
    // file (a hard link): a copy of the database must never replay, or remove, the
    // WAL of the original it was copied from.
    let recorded = header
        .wal
        .clone()
        .filter(|p| !p.as_os_str().is_empty() && *p != derived)
        .filter(|p| {
            let this = vfs.file_id(path);
            this.is_some() && db_path_of_wal(p).is_some_and(|d| vfs.file_id(&d) == this)
        });
    let found = match recorded {
        Some(r) if vfs.exists(&r) => Some(r),
        _ => vfs.exists(&derived).then(|| derived.clone()),
    };
    let open_err = |wal: &Path, op| {
        let wal = wal.to_path_buf();
        move |error| StorageError::Open {
            path: wal,
            op,
            error,
        }
    };
    let Some(found) = found else {
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
        return Ok((new_wal(vfs, path, header, options)?, None));
    };
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
        .open(&found, mode)
        .map_err(open_err(&found, "opening the WAL"))?;
    let (mut log, rec) = Wal::recover(file, page_size, header.db_id, header.meta.txn_id, writable)?;
    rec.check_binding(header.db_id, header.meta.txn_id)
        .map_err(|reason| StorageError::ForeignWal {
            wal: found.clone(),
            reason,
        })?;
    let file_len = db
        .len()
        .map_err(StorageError::io("reading the database file"))?;
    check_recovered(&rec, file_len, page_size)?;
    if !writable {
        if let Some(m) = rec.meta {
            header.meta = m;
        }
        return Ok((None, Some((Arc::clone(log.file()), rec.frames))));
    }
    if let Some(m) = rec.meta {
        header.seq += 1;
        header.meta = m;
        header.version = meta::FORMAT_VERSION;
        copy_frames(&**db, &**log.file(), page_size, &rec.frames, header)?;
    }
    if found != derived || options.durability == Durability::Off {
        // Its commits are in the file now; this session writes its own WAL (or none).
        drop(log);
        vfs.remove(&found)
            .map_err(open_err(&found, "removing the replayed WAL"))?;
        vfs.sync_dir(&found)
            .map_err(open_err(&found, "syncing the WAL's directory"))?;
        return Ok((new_wal(vfs, path, header, options)?, None));
    }
    if log.frame_count() > 0 || rec.discarded_frames > 0 || rec.db_id != Some(header.db_id) {
        log.reset(header.meta.txn_id)?;
    }
    Ok((Some(log), None))
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

/// Checks what recovery found against what the files can hold, before anything is copied:
/// every frame's page lies below the committed page count, and every region of that count
/// has its bitmap page in the file or the WAL (so a crafted count cannot make the engine
/// allocate, seek or write far beyond the files; `freelist` reads those bitmap pages next).
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
