//! The external-id map of an import: external ids (as written in the input files) to the
//! `NodeId`s the import gave them.
//!
//! Memory is bounded by a byte budget. Decimal ids (SNAP, Graphalytics) are kept as numbers,
//! and while they are dense (most of the numbers up to the largest seen are in use) they
//! live in an array indexed by the number: 8 bytes an id, one memory access a lookup. Other
//! ids live in hash maps (counted at [`MAP_ENTRY_BYTES`] each, plus the text). Once the
//! budget is spent, further ids go to a B+Tree in a scratch database next to the target
//! (durability off, a 16 MiB page cache), deleted when the import ends.
//!
//! The scratch file is `<db>.import-ids-<random>`, created exclusively (never through a
//! file or symlink already at that path), readable by its owner only, and locked while in
//! use. An import that is killed leaves it behind; the next import of the database removes
//! the scratch files of that database that no live process holds locked
//! ([`remove_stale_scratch`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{Context, ImportError, Result};
use pagegraph::NodeId;
use pagegraph::storage::file::{Create, DbFile, OpenMode, StdVfs, Vfs};
use pagegraph::storage::{Database, Durability, Options, WriteTxn};
use rustc_hash::FxHashMap;

/// What the names of a database's scratch files add to its path.
const SCRATCH_INFIX: &str = ".import-ids-";

/// Creates a new scratch file next to `db_path` (exclusively, mode 0600) and locks it.
fn create_scratch(db_path: &Path) -> Result<(PathBuf, File)> {
    let mut attempt = 0;
    loop {
        // Random, so that no one can place a file or link at it in advance.
        let path = pagegraph::storage::file::scratch_path(db_path, SCRATCH_INFIX);
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => {
                // A file this process just created: nobody else holds its lock.
                if let Err(e) = file.try_lock() {
                    let _ = std::fs::remove_file(&path);
                    return Err(ImportError::file(
                        &path,
                        format!("cannot lock the id spill file: {e}"),
                    ));
                }
                return Ok((path, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => {
                return Err(ImportError::Io {
                    context: format!("{}: cannot create the id spill file", path.display()),
                    source: e,
                });
            }
        }
    }
}

/// Removes the scratch files of the database at `db_path` whose import is gone: those no
/// process holds locked (and anything else at such a name that is not a regular file,
/// which is removed without being followed). Returns how many it removed; files it cannot
/// look at are left alone.
pub fn remove_stale_scratch(db_path: &Path) -> usize {
    let Some(name) = db_path.file_name() else {
        return 0;
    };
    let mut prefix = name.to_os_string();
    prefix.push(SCRATCH_INFIX);
    let prefix = prefix.as_encoded_bytes();
    let dir = match db_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        // Only names of the exact form this module makes (16 hex digits after the infix):
        // a user's `g.pgdb.import-ids-notes.txt` is not ours to remove.
        let file_name = entry.file_name();
        let ours = file_name
            .as_encoded_bytes()
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.len() == 16 && rest.iter().all(u8::is_ascii_hexdigit));
        if !ours {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let stale = if meta.is_file() {
            // Locked means its import is running. The lock is released with the file.
            File::open(&path).is_ok_and(|f| match f.try_lock() {
                Ok(()) => true,
                Err(TryLockError::WouldBlock | TryLockError::Error(_)) => false,
            })
        } else {
            !meta.is_dir()
        };
        if stale && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The scratch file, opened and locked by [`create_scratch`], handed to the storage
/// engine: it is the only file the spill database opens (durability off: no WAL).
struct ScratchVfs {
    file: Mutex<Option<File>>,
}

/// The engine opens its database through this: the path is first reported missing, so the
/// engine creates the database, and the creation's one new file is the scratch file
/// (whatever scratch name the engine asks for; its "rename" into place is a no-op, since the
/// file already has its final name).
impl Vfs for ScratchVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn DbFile>> {
        if mode.create == Create::No {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the id spill database is created, never reopened",
            ));
        }
        match self.file.lock().ok().and_then(|mut f| f.take()) {
            Some(f) => Ok(StdVfs::wrap(f)),
            None => Err(io::Error::other(format!(
                "{}: the id spill database opens only its own file, once",
                path.display()
            ))),
        }
    }

    fn exists(&self, _path: &Path) -> bool {
        false
    }

    fn remove(&self, _path: &Path) -> io::Result<()> {
        Ok(())
    }

    fn rename_new(&self, _from: &Path, _to: &Path) -> io::Result<()> {
        Ok(())
    }

    fn sync_dir(&self, _path: &Path) -> io::Result<()> {
        Ok(()) // scratch data: nothing needs to survive a crash
    }

    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }

    fn list_prefix(&self, _prefix: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(Vec::new())
    }

    fn file_id(&self, _path: &Path) -> Option<(u64, u64)> {
        None
    }
}

/// An external id: a canonical decimal number, or any other text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExtId {
    /// A decimal integer without sign or leading zeros (so its text round-trips).
    Num(u64),
    /// Any other id.
    Text(Box<str>),
}

impl ExtId {
    /// Parses an id as written in a file.
    pub fn parse(s: &str) -> ExtId {
        let canonical = !s.is_empty()
            && s.len() <= 19
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        match s.parse() {
            Ok(n) if canonical => ExtId::Num(n),
            _ => ExtId::Text(s.into()),
        }
    }

    fn spill_key(&self) -> Vec<u8> {
        match self {
            ExtId::Num(n) => [&[b'n'][..], &n.to_be_bytes()].concat(),
            ExtId::Text(s) => [&[b's'][..], s.as_bytes()].concat(),
        }
    }
}

impl std::fmt::Display for ExtId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtId::Num(n) => write!(f, "{n}"),
            ExtId::Text(s) => f.write_str(s),
        }
    }
}

/// Ids beyond the in-memory budget, in a scratch database.
struct Spill {
    path: PathBuf,
    tx: Option<WriteTxn>,
    db: Option<Database>,
    entries: u64,
}

impl Drop for Spill {
    fn drop(&mut self) {
        // Removed while still locked, so that no cleanup by another import races this one.
        let _ = std::fs::remove_file(&self.path);
        drop(self.tx.take());
        drop(self.db.take());
    }
}

/// Bytes an id in a hash map is counted for: its bucket (key, value, control byte) over
/// the table's load factor.
pub const MAP_ENTRY_BYTES: usize = 32;
/// Bytes of one slot of the dense array.
const SLOT_BYTES: usize = 8;
/// Slots the dense array may have beyond twice the numbers it holds (so the first ids of a
/// file, seen before any density shows, still go in).
const DENSE_SLACK: usize = 4096;

/// The array slot of decimal id `n` (past any array when it does not fit a `usize`).
fn index(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// External id -> `NodeId`, bounded in memory.
pub struct IdMap {
    /// The node (its `NodeId` number) of each decimal id below `dense.len()`; 0 where the
    /// id is not here (no node has id 0).
    dense: Vec<u64>,
    /// Non-zero slots of `dense`.
    dense_held: usize,
    /// Decimal ids outside the array.
    nums: FxHashMap<u64, NodeId>,
    texts: FxHashMap<Box<str>, NodeId>,
    text_bytes: usize,
    budget: usize,
    /// The database the import writes to: the spill file goes next to it.
    db_path: PathBuf,
    spill: Option<Spill>,
}

impl IdMap {
    /// A map using about `budget` bytes of memory; ids past it spill next to `db_path`.
    pub fn new(db_path: &Path, budget: usize) -> IdMap {
        IdMap {
            dense: Vec::new(),
            dense_held: 0,
            nums: FxHashMap::default(),
            texts: FxHashMap::default(),
            text_bytes: 0,
            budget,
            db_path: db_path.to_path_buf(),
            spill: None,
        }
    }

    /// Ids held, in memory and spilled.
    #[cfg(test)]
    pub fn len(&self) -> u64 {
        (self.dense_held + self.nums.len() + self.texts.len()) as u64
            + self.spill.as_ref().map_or(0, |s| s.entries)
    }

    /// Bytes the in-memory part is counted for.
    fn used(&self) -> usize {
        self.dense.len() * SLOT_BYTES
            + (self.nums.len() + self.texts.len()) * MAP_ENTRY_BYTES
            + self.text_bytes
    }

    /// The array length to grow to so that it holds decimal id `n`, if the budget allows
    /// it and the ids held so far are dense enough to make the array worth its memory.
    fn growth(&self, n: u64) -> Option<usize> {
        let n = usize::try_from(n).ok()?;
        if n >= 2 * (self.dense_held + self.nums.len()) + DENSE_SLACK {
            return None;
        }
        let room = self.budget.saturating_sub(self.used()) / SLOT_BYTES;
        let most = self.dense.len().saturating_add(room);
        // Growing by a quarter keeps the unused tail small (the array is most of the
        // budget on big imports); reallocating a large array is a remap, not a copy.
        let wanted = (n + 1)
            .max(self.dense.len() + self.dense.len() / 4)
            .max(DENSE_SLACK);
        let len = wanted.min(most);
        (len > n).then_some(len)
    }

    /// Grows the array to `len` slots and moves the decimal ids it now covers out of `nums`.
    fn grow(&mut self, len: usize) {
        self.dense.resize(len, 0);
        let (dense, held) = (&mut self.dense, &mut self.dense_held);
        self.nums.retain(|&n, id| match dense.get_mut(index(n)) {
            Some(slot) => {
                *slot = id.0;
                *held += 1;
                false
            }
            None => true,
        });
    }

    /// Ids spilled to disk.
    pub fn spilled(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.entries)
    }

    /// The node of an external id, if the import has seen it.
    pub fn get(&mut self, id: &ExtId) -> Result<Option<NodeId>> {
        let found = match id {
            ExtId::Num(n) => match self.dense.get(index(*n)) {
                Some(&slot) if slot != 0 => Some(NodeId(slot)),
                _ => self.nums.get(n).copied(),
            },
            ExtId::Text(s) => self.texts.get(s).copied(),
        };
        if found.is_some() {
            return Ok(found);
        }
        let Some(tx) = self.spill.as_mut().and_then(|s| s.tx.as_mut()) else {
            return Ok(None);
        };
        let v = tx.tree("ids")?.get(&id.spill_key())?;
        Ok(v.and_then(|b| b.try_into().ok())
            .map(|b| NodeId(u64::from_be_bytes(b))))
    }

    /// Records the node of an external id not seen before.
    pub fn insert(&mut self, id: ExtId, node: NodeId) -> Result<()> {
        // Once anything spilled, memory takes nothing more: an id is in one place only.
        if self.spill.is_none() {
            let used = self.used();
            match id {
                ExtId::Num(n) => {
                    if index(n) >= self.dense.len()
                        && let Some(len) = self.growth(n)
                    {
                        self.grow(len);
                    }
                    if let Some(slot) = self.dense.get_mut(index(n)) {
                        self.dense_held += usize::from(*slot == 0);
                        *slot = node.0;
                        return Ok(());
                    }
                    if used + MAP_ENTRY_BYTES <= self.budget {
                        self.nums.insert(n, node);
                        return Ok(());
                    }
                }
                ExtId::Text(ref s) => {
                    if used + MAP_ENTRY_BYTES + s.len() <= self.budget {
                        self.text_bytes += s.len();
                        if let ExtId::Text(s) = id {
                            self.texts.insert(s, node);
                        }
                        return Ok(());
                    }
                }
            }
        }
        if self.spill.is_none() {
            let (path, file) = create_scratch(&self.db_path)?;
            // From here on the file is removed when `spill` drops, on every way out.
            let mut spill = Spill {
                path: path.clone(),
                tx: None,
                db: None,
                entries: 0,
            };
            let vfs = Arc::new(ScratchVfs {
                file: Mutex::new(Some(file)),
            });
            let db = Database::open_with_vfs(
                vfs,
                &path,
                Options::default()
                    .durability(Durability::Off)
                    .cache_pages(4096),
            )
            .context_with(|| format!("{}: cannot create the id spill file", path.display()))?;
            spill.tx = Some(db.begin_write()?);
            spill.db = Some(db);
            self.spill = Some(spill);
        }
        if let Some(s) = self.spill.as_mut()
            && let Some(tx) = s.tx.as_mut()
        {
            tx.tree("ids")?
                .put(&id.spill_key(), &node.0.to_be_bytes())?;
            s.entries += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn canonical_decimals_are_numbers_and_the_rest_text() {
        assert_eq!(ExtId::parse("0"), ExtId::Num(0));
        assert_eq!(ExtId::parse("123"), ExtId::Num(123));
        assert_eq!(ExtId::parse("0123"), ExtId::Text("0123".into()));
        assert_eq!(ExtId::parse("-1"), ExtId::Text("-1".into()));
        assert_eq!(
            ExtId::parse("99999999999999999999"),
            ExtId::Text("99999999999999999999".into())
        );
        assert_eq!(ExtId::parse("a b"), ExtId::Text("a b".into()));
        for s in ["0", "7", "0123", "x", ""] {
            assert_eq!(ExtId::parse(s).to_string(), s);
        }
    }

    #[test]
    fn dense_decimal_ids_live_in_the_array_and_the_rest_in_maps() {
        let dir = tempfile::tempdir().unwrap();
        let mut map = IdMap::new(&dir.path().join("g.pgdb"), 1 << 20);
        let mut rng = fastrand::Rng::with_seed(3);
        let mut ids: Vec<u64> = (0..20_000).collect();
        rng.shuffle(&mut ids);
        for (i, &n) in ids.iter().enumerate() {
            map.insert(ExtId::Num(n), NodeId(i as u64 + 1)).unwrap();
        }
        map.insert(ExtId::Num(1 << 40), NodeId(50_000)).unwrap();
        map.insert(ExtId::Text("x".into()), NodeId(50_001)).unwrap();
        assert_eq!(
            map.dense_held, 20_000,
            "early ids moved into the array as it grew"
        );
        assert_eq!((map.nums.len(), map.texts.len(), map.spilled()), (1, 1, 0));
        for (i, &n) in ids.iter().enumerate() {
            assert_eq!(map.get(&ExtId::Num(n)).unwrap(), Some(NodeId(i as u64 + 1)));
        }
        assert_eq!(map.get(&ExtId::Num(1 << 40)).unwrap(), Some(NodeId(50_000)));
        assert_eq!(
            map.get(&ExtId::Text("x".into())).unwrap(),
            Some(NodeId(50_001))
        );
        assert_eq!(map.get(&ExtId::Num(20_000)).unwrap(), None);
        assert_eq!(map.get(&ExtId::Num(u64::MAX)).unwrap(), None);
        assert!(map.used() <= 1 << 20);
    }

    #[test]
    fn any_budget_finds_every_id_as_a_plain_map_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..40 {
            let budget = rng.usize(0..40_000);
            let mut map = IdMap::new(&dir.path().join(format!("g{round}.pgdb")), budget);
            let mut model = std::collections::HashMap::new();
            let spread = [100, 5_000, 1 << 20, u64::MAX][rng.usize(0..4)];
            for i in 0..rng.usize(0..3000) {
                let id = if rng.u8(0..4) == 0 {
                    ExtId::Text(format!("t{}", rng.u32(0..5000)).into())
                } else {
                    ExtId::Num(rng.u64(0..spread))
                };
                if model.contains_key(&id) {
                    continue;
                }
                let node = NodeId(i as u64 + 1);
                map.insert(id.clone(), node).unwrap();
                model.insert(id, node);
                if rng.u8(0..50) == 0 {
                    for (k, v) in &model {
                        assert_eq!(map.get(k).unwrap(), Some(*v), "{k} budget {budget}");
                    }
                }
            }
            for (k, v) in &model {
                assert_eq!(map.get(k).unwrap(), Some(*v), "{k} budget {budget}");
            }
            for n in [0, 1, 99, 4_999, 1 << 19, u64::MAX] {
                let id = ExtId::Num(n);
                assert_eq!(map.get(&id).unwrap(), model.get(&id).copied(), "{n}");
            }
            assert!(map.used() <= budget, "used {} of {budget}", map.used());
            assert_eq!(map.len(), model.len() as u64);
        }
    }

    #[test]
    fn spilled_ids_are_found_like_ids_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        // Room for ten hash-map entries: the text ids take them, and the decimal ids (sparse:
        // multiples of 7) do not make the array worth its memory.
        let mut small = IdMap::new(&dir.path().join("g.pgdb"), 10 * MAP_ENTRY_BYTES + 20);
        let mut model = std::collections::HashMap::new();
        for i in 0..2000u64 {
            let id = if i % 3 == 0 {
                ExtId::Text(format!("t{i}").into())
            } else {
                ExtId::Num(i * 7)
            };
            small.insert(id.clone(), NodeId(i + 1)).unwrap();
            model.insert(id, NodeId(i + 1));
        }
        assert_eq!(small.len(), 2000);
        assert!(small.spilled() >= 1990, "{}", small.spilled());
        for (k, v) in &model {
            assert_eq!(small.get(k).unwrap(), Some(*v), "{k}");
        }
        assert_eq!(small.get(&ExtId::Num(1)).unwrap(), None);
        assert_eq!(small.get(&ExtId::Text("t1".into())).unwrap(), None);
        let spill = small.spill.as_ref().unwrap().path.clone();
        assert!(spill.exists());
        drop(small);
        assert!(!spill.exists(), "the spill file is removed");
    }

    /// A map that has spilled one id.
    fn spilled(db: &Path) -> IdMap {
        let mut map = IdMap::new(db, 0);
        map.insert(ExtId::Text("x".into()), NodeId(1)).unwrap();
        assert_eq!(map.spilled(), 1);
        map
    }

    #[test]
    fn scratch_files_have_unpredictable_names_and_are_locked_while_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.pgdb");
        // A link planted at the name the import used to take (`<db>.import-ids-<pid>`),
        // and one at every name a guess could try, are never followed.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let planted = dir
            .path()
            .join(format!("g.pgdb.import-ids-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let (a, b) = (spilled(&db), spilled(&db));
        let (pa, pb) = (
            a.spill.as_ref().unwrap().path.clone(),
            b.spill.as_ref().unwrap().path.clone(),
        );
        assert_ne!(pa, pb);
        for p in [&pa, &pb] {
            let name = p.file_name().unwrap().to_str().unwrap();
            let suffix = name.strip_prefix("g.pgdb.import-ids-").unwrap();
            assert_eq!(suffix.len(), 16, "{name}");
            assert!(suffix.bytes().all(|c| c.is_ascii_hexdigit()), "{name}");
            assert_ne!(suffix, std::process::id().to_string());
            let meta = std::fs::symlink_metadata(p).unwrap();
            assert!(meta.is_file());
            assert_eq!(
                std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
                0o600
            );
            // Another open file description cannot take the lock while the map lives.
            let other = File::open(p).unwrap();
            assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        }
        // Cleanup leaves the scratch files in use, and the planted link (not a name this
        // module makes) alone, never following it.
        assert_eq!(remove_stale_scratch(&db), 0);
        assert!(pa.exists() && pb.exists());
        assert!(std::fs::symlink_metadata(&planted).is_ok());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        // A link planted at a name of the scratch form is removed, not followed.
        let planted_hex = dir.path().join("g.pgdb.import-ids-00000000deadbeef");
        std::os::unix::fs::symlink(&victim, &planted_hex).unwrap();
        assert_eq!(remove_stale_scratch(&db), 1);
        assert!(std::fs::symlink_metadata(&planted_hex).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        std::fs::remove_file(&planted).unwrap();
        drop(a);
        drop(b);
        assert!(!pa.exists() && !pb.exists());
        // No WAL or other file was made next to the database.
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["victim"]);
    }

    #[test]
    fn stale_scratch_files_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.pgdb");
        let stale = dir.path().join("g.pgdb.import-ids-00000000000004d2");
        std::fs::write(&stale, "left by a killed import").unwrap();
        let held = dir.path().join("g.pgdb.import-ids-000000000000abcd");
        std::fs::write(&held, "").unwrap();
        let holder = File::open(&held).unwrap();
        holder.try_lock().unwrap();
        // Another database's scratch file, and a file that only looks alike.
        let other = dir.path().join("h.pgdb.import-ids-00000000000004d2");
        std::fs::write(&other, "").unwrap();
        let alike = dir.path().join("g.pgdb.import-idsX");
        std::fs::write(&alike, "").unwrap();
        let users = dir.path().join("g.pgdb.import-ids-notes.txt");
        std::fs::write(&users, "a user's file").unwrap();
        assert_eq!(remove_stale_scratch(&db), 1);
        assert!(!stale.exists());
        assert!(held.exists() && other.exists() && alike.exists() && users.exists());
        drop(holder);
        assert_eq!(remove_stale_scratch(&db), 1);
        assert!(!held.exists());
        // A relative database path looks in the current directory, and finds nothing here.
        assert_eq!(remove_stale_scratch(Path::new("no-such-db.pgdb")), 0);
    }
}
