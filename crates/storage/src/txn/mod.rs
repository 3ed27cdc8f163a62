//! Transactions: one writer at a time, any number of snapshot readers.
//!
//! ```text
//!            begin_write (waits for the writer lock)
//!   Idle ───────────────────────────────────────────► Open
//!    ▲                                                 │ insert / remove / tree ops
//!    │                                                 │ (an error after a change ─► Failed)
//!    ├──── commit: Flushed ─► Written ─► Published ◄──┤ (the steps: `commit`)
//!    │                                                 │
//!    └───────── abort / drop: undo allocator ◄────────┘ (Failed can only be dropped)
//! ```
//!
//! A reader captures the committed meta when it begins and registers its snapshot id, so
//! the allocator keeps every page that snapshot can reach (`freelist` invariant 2).

mod commit;
mod rewrite;

use std::ops::Bound;
use std::sync::Arc;

use parking_lot::RawMutex;
use parking_lot::lock_api::ArcMutexGuard;

use crate::batch::Batch;
use crate::btree::cursor::Range;
use crate::btree::node::ValueRef;
use crate::btree::pins::{Pinned, Pins};
use crate::btree::route::{self, Route};
use crate::btree::{self, PageRead};
use crate::catalog::{TreeInfo, check_name};
use crate::error::{Result, StorageError};
use crate::ids::{PageId, TxId};
use crate::meta::Meta;
use crate::options::Durability;
use crate::page::PageBuf;
use crate::pager::{PageWriter, Store, Writer, writer_page};
use crate::sorter::{FixedRecord, FixedSorter, Sorter};

use commit::TxState;

/// A read-only view of one tree, in a snapshot or in a write transaction.
pub struct Tree<'a> {
    src: &'a dyn PageRead,
    root: PageId,
    len: u64,
}

impl std::fmt::Debug for Tree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("root", &self.root)
            .field("len", &self.len)
            .finish()
    }
}

fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl<'a> Tree<'a> {
    /// The value stored under `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        btree::get(self.src, self.root, key)
    }

    /// Calls `f` on the value stored under `key` without copying it (unless it is large
    /// enough to live in overflow pages, which are read into one buffer first).
    pub fn get_with<T>(&self, key: &[u8], f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>> {
        btree::get_with(self.src, self.root, key, f)
    }

    /// Calls `f(key, value)` on the entry with the greatest key at most `key` (the floor),
    /// in place when its value is inline; `None` when every key is greater. One descent,
    /// unless the floor ends the leaf before the one `key` falls in.
    pub fn floor_with<T>(
        &self,
        key: &[u8],
        f: impl FnOnce(&[u8], &[u8]) -> T,
    ) -> Result<Option<T>> {
        let mut f = Some(f);
        let mut call = |k: &[u8], v: &[u8]| f.take().map(|f| f(k, v));
        if let Ok(out) = btree::floor_in_leaf_with(self.src, self.root, key, &mut call)? {
            return Ok(out);
        }
        let mut back = self.range_rev(Bound::Unbounded, Bound::Included(key));
        match back.next_ref() {
            Some(entry) => {
                let (k, v) = entry?;
                Ok(call(k, &v))
            }
            None => Ok(None),
        }
    }

    /// True if `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> Result<bool> {
        Ok(self.get_with(key, |_| ())?.is_some())
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if the tree has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries with `start <= key < end` (per the bounds), in ascending key order.
    pub fn range(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Range<'a> {
        Range::new(self.src, self.root, start, end, true)
    }

    /// [`Tree::range`] over bounds the caller owns and hands over (no copy of them).
    pub fn range_owned(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>) -> Range<'a> {
        Range::with_bounds(self.src, self.root, start, end, true)
    }

    /// The same entries as [`Tree::range`], in descending key order.
    pub fn range_rev(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Range<'a> {
        Range::new(self.src, self.root, start, end, false)
    }

    /// All entries in ascending key order.
    pub fn iter(&self) -> Range<'a> {
        self.range(Bound::Unbounded, Bound::Unbounded)
    }

    /// Calls `f(key)` for every key that starts with `prefix`, in ascending order, without
    /// reading values. The fast way to scan a short run of keys, such as one node's
    /// adjacency: one descent, then the leaf's keys in a loop; only a run that goes past
    /// the end of its leaf continues through a [`Range`]. A storage error ends the scan
    /// and is returned.
    pub fn for_each_key_with_prefix(&self, prefix: &[u8], mut f: impl FnMut(&[u8])) -> Result<()> {
        let Some(last) = btree::for_each_key_in_leaf(self.src, self.root, prefix, &mut f)? else {
            return Ok(());
        };
        // The run reached the end of its leaf: the rest, after the last key seen.
        let mut rest = match prefix_end(prefix) {
            Some(end) => self.range(Bound::Excluded(&last), Bound::Excluded(&end)),
            None => self.range(Bound::Excluded(&last), Bound::Unbounded),
        };
        rest.for_each_key(f)
    }

    /// The first leaf's part of the range `lower <= key < upper` (no upper bound for
    /// `None`): calls `f(key)` for its keys there, in ascending order, from one descent and
    /// no cursor. Returns `Some(last)` if the range may go on past that leaf (its keys are
    /// then those of `range(Excluded(last), upper)`), `None` if `f` saw all of it. The fast
    /// start of a scan that is usually short, such as an index lookup.
    pub fn leaf_run(
        &self,
        lower: &[u8],
        upper: Option<&[u8]>,
        mut f: impl FnMut(&[u8]),
    ) -> Result<Option<Vec<u8>>> {
        btree::for_each_entry_in_leaf_range(self.src, self.root, lower, upper, &mut |node, i| {
            f(node.key(i));
        })
    }

    /// Calls `f(key, value)` for every entry whose key starts with `prefix`, in ascending
    /// order: [`Tree::for_each_key_with_prefix`] with the values (read in place when they
    /// are inline in their leaf). A storage error ends the scan and is returned.
    pub fn for_each_entry_with_prefix(
        &self,
        prefix: &[u8],
        mut f: impl FnMut(&[u8], &[u8]),
    ) -> Result<()> {
        let mut failed = None;
        let last = btree::for_each_entry_in_leaf(self.src, self.root, prefix, &mut |node, i| {
            if failed.is_some() {
                return;
            }
            match node.value(i) {
                ValueRef::Inline(v) => f(node.key(i), v),
                far @ ValueRef::Overflow { .. } => match btree::load_value(self.src, far) {
                    Ok(v) => f(node.key(i), &v),
                    Err(e) => failed = Some(e),
                },
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        let Some(last) = last else {
            return Ok(());
        };
        let mut rest = match prefix_end(prefix) {
            Some(end) => self.range(Bound::Excluded(&last), Bound::Excluded(&end)),
            None => self.range(Bound::Excluded(&last), Bound::Unbounded),
        };
        while let Some(entry) = rest.next_ref() {
            let (k, v) = entry?;
            f(k, &v);
        }
        Ok(())
    }

    /// Up to `parts - 1` ascending keys that cut the tree into about equal runs of entries
    /// (by leaf pages), for scanning it on several threads: part `t` is the range from key
    /// `t - 1` (included) to key `t` (excluded), with the first and last parts open-ended.
    /// Reads only branch pages. Fewer keys come back for small trees; none for a tree that
    /// fits one leaf.
    pub fn split_keys(&self, parts: usize) -> Result<Vec<Vec<u8>>> {
        btree::split_keys(self.src, self.root, parts)
    }

    /// Entries whose key starts with `prefix`, in ascending key order.
    pub fn prefix(&self, prefix: &[u8]) -> Range<'a> {
        match prefix_end(prefix) {
            Some(end) => self.range(Bound::Included(prefix), Bound::Excluded(&end)),
            None => self.range(Bound::Included(prefix), Bound::Unbounded),
        }
    }
}

impl<'a> IntoIterator for &Tree<'a> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;
    type IntoIter = Range<'a>;
    fn into_iter(self) -> Range<'a> {
        self.iter()
    }
}

/// A tree resolved in one snapshot: its root and entry count. Only meaningful with the
/// [`ReadTxn`] that produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHandle {
    root: PageId,
    len: u64,
}

/// A consistent, read-only snapshot of the database. Cheap to create; many may be alive at
/// once, on any threads. It sees exactly the transactions committed before it began.
pub struct ReadTxn {
    store: Arc<Store>,
    meta: Meta,
    pins: Pins,
}

impl std::fmt::Debug for ReadTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadTxn")
            .field("snapshot", &self.meta.txn_id)
            .finish_non_exhaustive()
    }
}

impl PageRead for ReadTxn {
    fn read_page(&self, id: PageId) -> Result<PageBuf> {
        self.store.read_committed(id)
    }
    fn prefetch(&self, ids: &[PageId]) {
        self.store.prefetch(ids);
    }
    fn page_size(&self) -> usize {
        self.store.page_size as usize
    }
    fn pinned(&self, id: PageId) -> Option<&Pinned> {
        self.pins.get(id)
    }
    fn route(&self, id: PageId, buf: &PageBuf) -> Option<Arc<Route>> {
        let route = route::shared(&self.store, id, buf)?;
        self.pins.pin(id, buf, &route);
        Some(route)
    }
}

fn lookup_tree(src: &dyn PageRead, catalog_root: PageId, name: &str) -> Result<Option<TreeInfo>> {
    match btree::get(src, catalog_root, name.as_bytes())? {
        Some(v) => TreeInfo::decode(catalog_root, &v).map(Some),
        None => Ok(None),
    }
}

fn list_trees(src: &dyn PageRead, catalog_root: PageId) -> Result<Vec<(String, u64)>> {
    let tree = Tree {
        src,
        root: catalog_root,
        len: 0,
    };
    let mut out = Vec::new();
    for item in &tree {
        let (k, v) = item?;
        let info = TreeInfo::decode(catalog_root, &v)?;
        let name = String::from_utf8(k)
            .map_err(|_| StorageError::corrupted(catalog_root, "tree name is not UTF-8"))?;
        out.push((name, info.len));
    }
    Ok(out)
}

impl ReadTxn {
    pub(crate) fn new(store: Arc<Store>) -> ReadTxn {
        let meta = {
            let mut st = store.state.lock();
            let meta = st.meta;
            *st.readers.entry(meta.txn_id).or_default() += 1;
            meta
        };
        let pins = Pins::new(store.pinned_pages);
        ReadTxn { store, meta, pins }
    }

    /// The id of the last transaction this snapshot sees.
    pub fn snapshot_id(&self) -> TxId {
        self.meta.txn_id
    }

    /// The named tree, or `None` if it does not exist in this snapshot.
    pub fn tree(&self, name: &str) -> Result<Option<Tree<'_>>> {
        Ok(
            lookup_tree(self, self.meta.catalog_root, name)?.map(|info| Tree {
                src: self,
                root: info.root,
                len: info.len,
            }),
        )
    }

    /// Names and entry counts of every tree, in name order.
    pub fn trees(&self) -> Result<Vec<(String, u64)>> {
        list_trees(self, self.meta.catalog_root)
    }

    /// Resolves a tree name once, for repeated use through [`ReadTxn::view`]: saves the
    /// catalog lookup on every access. `None` if the tree does not exist in this snapshot.
    pub fn handle(&self, name: &str) -> Result<Option<TreeHandle>> {
        Ok(
            lookup_tree(self, self.meta.catalog_root, name)?.map(|info| TreeHandle {
                root: info.root,
                len: info.len,
            }),
        )
    }

    /// The tree a handle from [`ReadTxn::handle`] of this same snapshot names.
    pub fn view(&self, handle: TreeHandle) -> Tree<'_> {
        Tree {
            src: self,
            root: handle.root,
            len: handle.len,
        }
    }
}

impl Drop for ReadTxn {
    fn drop(&mut self) {
        let mut st = self.store.state.lock();
        if let Some(n) = st.readers.get_mut(&self.meta.txn_id) {
            *n -= 1;
            if *n == 0 {
                st.readers.remove(&self.meta.txn_id);
            }
        }
    }
}

struct OpenTree {
    name: String,
    info: TreeInfo,
    /// Changed by this transaction: the catalog entry must be rewritten at commit.
    dirty: bool,
    /// Exists as this transaction sees it (false: absent, or deleted by this transaction).
    exists: bool,
    /// `put`s not yet applied to the tree; applied before anything reads the tree.
    sorter: Option<Sorter>,
}

/// The one write transaction. Changes are visible to it at once and to others after
/// [`WriteTxn::commit`]; dropping it without committing rolls everything back.
pub struct WriteTxn {
    store: Arc<Store>,
    w: ArcMutexGuard<RawMutex, Writer>,
    txn: TxId,
    catalog_root: PageId,
    trees: Vec<OpenTree>,
    /// Where the transaction is (see `commit` for the states and their transitions).
    state: TxState,
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("txn", &self.txn)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl PageRead for WriteTxn {
    fn read_page(&self, id: PageId) -> Result<PageBuf> {
        writer_page(&self.store, &self.w, id)
    }
    fn page_size(&self) -> usize {
        self.store.page_size as usize
    }
}

/// Write access to one tree inside a [`WriteTxn`].
pub struct TreeMut<'t> {
    txn: &'t mut WriteTxn,
    idx: usize,
}

impl std::fmt::Debug for TreeMut<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeMut")
            .field("tree", &self.txn.trees[self.idx].name)
            .finish_non_exhaustive()
    }
}

impl WriteTxn {
    pub(crate) fn new(
        store: Arc<Store>,
        mut w: ArcMutexGuard<RawMutex, Writer>,
    ) -> Result<WriteTxn> {
        if store.read_only {
            return Err(StorageError::ReadOnly);
        }
        let (meta, oldest) = {
            let st = store.state.lock();
            if let Some(reason) = &st.poisoned {
                return Err(StorageError::Poisoned(reason.clone()));
            }
            (st.meta, st.oldest_reader())
        };
        w.alloc.release(oldest);
        if let Some(wal) = w.wal.as_mut() {
            wal.begin_attempt();
        }
        let mark_unclean = store.durability == Durability::Off && !w.unclean_marked;
        let mark_wal = w.wal.is_some() && !w.wal_marked;
        if mark_unclean || mark_wal {
            // Before the first change: from here on a crash is detectable (unclean), and the
            // header names the WAL that will hold the commits (found by any later name).
            w.header_seq += 1;
            let header = store.header(w.header_seq, meta, mark_unclean, mark_wal);
            header
                .write_durable(&*store.db)
                .inspect_err(|e| store.poison(e))?;
            w.unclean_marked |= mark_unclean;
            w.wal_marked |= mark_wal;
        }
        Ok(WriteTxn {
            store,
            w,
            txn: meta.txn_id.next(),
            catalog_root: meta.catalog_root,
            trees: Vec::new(),
            state: TxState::Open,
        })
    }

    /// The id this transaction commits as.
    pub fn txn_id(&self) -> TxId {
        self.txn
    }

    /// An external sort for the caller's own entries, holding up to about `budget_bytes`
    /// in memory and the rest in sorted runs in a temporary file beside the database
    /// (removed when the sorter is dropped or drained). For bulk loads that must see all
    /// their entries in order before writing any.
    pub fn sorter(&self, budget_bytes: usize) -> Sorter {
        let temp = crate::file::scratch_path(&self.store.path, crate::sorter::SORT_TAG);
        Sorter::new(Arc::clone(&self.store.vfs), temp, budget_bytes)
    }

    /// An external sort of fixed-width records (see [`FixedSorter`]), holding up to about
    /// `budget_bytes` of them in memory and the rest in sorted runs in a temporary file
    /// beside the database (removed when the sorter or its merge is dropped).
    pub fn fixed_sorter<T: FixedRecord>(&self, budget_bytes: usize) -> FixedSorter<T> {
        let temp = crate::file::scratch_path(&self.store.path, crate::sorter::SORT_TAG);
        FixedSorter::new(Arc::clone(&self.store.vfs), temp, budget_bytes)
    }

    /// Runs a change of tree `idx` with a page writer: marks the tree changed if it
    /// succeeds, and the transaction failed if it does not.
    pub(crate) fn with_tree<T>(
        &mut self,
        idx: usize,
        op: impl FnOnce(&mut PageWriter<'_>, &mut TreeInfo) -> Result<T>,
    ) -> Result<T> {
        let mut pw = PageWriter {
            store: &self.store,
            w: &mut self.w,
            txn: self.txn,
        };
        let tree = &mut self.trees[idx];
        match op(&mut pw, &mut tree.info) {
            Ok(v) => {
                tree.dirty = true;
                Ok(v)
            }
            Err(e) => {
                self.state = TxState::Failed;
                Err(e)
            }
        }
    }

    /// Refuses further use of a transaction that failed.
    pub(crate) fn usable(&self) -> Result<()> {
        if self.state == TxState::Failed {
            Err(StorageError::TransactionFailed)
        } else {
            Ok(())
        }
    }

    fn open_index(&mut self, name: &str) -> Result<usize> {
        if let Some(i) = self.trees.iter().position(|t| t.name == name) {
            return Ok(i);
        }
        check_name(name)?;
        let info = lookup_tree(&*self, self.catalog_root, name)?;
        self.trees.push(OpenTree {
            name: name.to_string(),
            info: info.unwrap_or(TreeInfo {
                root: PageId::NONE,
                len: 0,
            }),
            dirty: false,
            exists: info.is_some(),
            sorter: None,
        });
        Ok(self.trees.len() - 1)
    }

    /// Applies tree `idx`'s buffered puts, in key order.
    fn flush_tree(&mut self, idx: usize) -> Result<()> {
        let Some(mut sorter) = self.trees[idx].sorter.take() else {
            return Ok(());
        };
        if sorter.is_empty() {
            return Ok(());
        }
        let mut pw = PageWriter {
            store: &self.store,
            w: &mut self.w,
            txn: self.txn,
        };
        let info = &mut self.trees[idx].info;
        let mut n = 0u64;
        let mut inserter = btree::Inserter::default();
        let result = sorter.drain_into(|key, value| {
            if n.is_multiple_of(64) {
                pw.maybe_spill()?;
            }
            n += 1;
            if !inserter.insert(&mut pw, &mut info.root, key, value)? {
                info.len += 1;
            }
            Ok(())
        });
        if result.is_err() {
            self.state = TxState::Failed;
        }
        result
    }

    fn flush_all(&mut self) -> Result<()> {
        for idx in 0..self.trees.len() {
            self.flush_tree(idx)?;
        }
        Ok(())
    }

    /// The named tree for writing, created (empty) if it does not exist.
    pub fn tree(&mut self, name: &str) -> Result<TreeMut<'_>> {
        self.usable()?;
        let idx = self.open_index(name)?;
        let t = &mut self.trees[idx];
        if !t.exists {
            t.exists = true;
            t.dirty = true;
        }
        Ok(TreeMut { txn: self, idx })
    }

    /// A read view of the named tree as this transaction sees it, or `None`.
    /// Applies the tree's buffered puts first.
    pub fn read_tree(&mut self, name: &str) -> Result<Option<Tree<'_>>> {
        self.usable()?;
        if let Some(idx) = self.trees.iter().position(|t| t.name == name) {
            self.flush_tree(idx)?;
        }
        if let Some(t) = self.trees.iter().find(|t| t.name == name) {
            return Ok(t.exists.then_some(Tree {
                src: self,
                root: t.info.root,
                len: t.info.len,
            }));
        }
        Ok(
            lookup_tree(self, self.catalog_root, name)?.map(|info| Tree {
                src: self,
                root: info.root,
                len: info.len,
            }),
        )
    }

    /// Applies every tree's buffered puts, so that [`WriteTxn::view_tree`] sees them.
    pub fn apply_puts(&mut self) -> Result<()> {
        self.usable()?;
        self.flush_all()
    }

    /// A read view of the named tree as this transaction sees it, or `None`, through a
    /// shared borrow: several views may be open at once (an index and the records it
    /// points to). A tree with buffered puts is refused with `InvalidArgument`, since the
    /// view would miss them: call [`WriteTxn::apply_puts`] first.
    pub fn view_tree(&self, name: &str) -> Result<Option<Tree<'_>>> {
        self.usable()?;
        if let Some(t) = self.trees.iter().find(|t| t.name == name) {
            if t.sorter.as_ref().is_some_and(|s| !s.is_empty()) {
                return Err(StorageError::InvalidArgument(format!(
                    "tree {name} has buffered puts: apply them before viewing it"
                )));
            }
            return Ok(t.exists.then_some(Tree {
                src: self,
                root: t.info.root,
                len: t.info.len,
            }));
        }
        Ok(
            lookup_tree(self, self.catalog_root, name)?.map(|info| Tree {
                src: self,
                root: info.root,
                len: info.len,
            }),
        )
    }

    /// Deletes a tree and frees its pages. Returns false if it did not exist.
    pub fn delete_tree(&mut self, name: &str) -> Result<bool> {
        self.usable()?;
        let idx = self.open_index(name)?;
        if !self.trees[idx].exists {
            return Ok(false);
        }
        if let Some(mut sorter) = self.trees[idx].sorter.take() {
            sorter.discard();
        }
        let root = self.trees[idx].info.root;
        let result = {
            let mut pw = PageWriter {
                store: &self.store,
                w: &mut self.w,
                txn: self.txn,
            };
            btree::free_tree(&mut pw, root)
        };
        if let Err(e) = result {
            self.state = TxState::Failed;
            return Err(e);
        }
        let t = &mut self.trees[idx];
        t.info = TreeInfo {
            root: PageId::NONE,
            len: 0,
        };
        t.exists = false;
        t.dirty = true;
        Ok(true)
    }

    /// Names and entry counts of every tree as this transaction sees them.
    pub fn trees(&mut self) -> Result<Vec<(String, u64)>> {
        self.usable()?;
        self.flush_all()?;
        let mut all = list_trees(self, self.catalog_root)?;
        for t in &self.trees {
            all.retain(|(n, _)| n != &t.name);
            if t.exists {
                all.push((t.name.clone(), t.info.len));
            }
        }
        all.sort();
        Ok(all)
    }

    /// Makes every change durable (per the durability mode) and visible to new readers.
    /// On error nothing of the transaction is visible, and the database may refuse further
    /// writes until reopened (see [`StorageError::Poisoned`]).
    pub fn commit(mut self) -> Result<TxId> {
        self.usable()?;
        let result = commit::run(&mut self);
        if result.is_err() {
            self.state = TxState::Failed;
        }
        result
    }

    /// Discards every change.
    pub fn abort(mut self) {
        self.rollback();
    }

    /// Any state but Done → Done: forgets everything the transaction changed.
    fn rollback(&mut self) {
        if self.state != TxState::Done {
            if self.state != TxState::Published {
                // The shared cache holds only committed images once no write is open (a
                // checkpoint copies them): the spilled images of changes that never
                // committed leave it.
                for id in self.w.spilled.keys() {
                    self.store.cache.remove(*id);
                }
            }
            self.state = TxState::Done;
            // Pages written behind are free again once the allocator forgets them: nothing
            // may still be on its way to them then. A failed write does not matter here.
            let _ = self.w.behind.drain();
            self.w.alloc.abort();
            self.w.clear_txn();
        }
    }
}

impl Drop for WriteTxn {
    fn drop(&mut self) {
        self.rollback();
    }
}

impl TreeMut<'_> {
    fn run<T>(
        &mut self,
        op: impl FnOnce(&mut PageWriter<'_>, &mut TreeInfo) -> Result<T>,
    ) -> Result<T> {
        self.txn.usable()?;
        self.txn.flush_tree(self.idx)?;
        self.txn.with_tree(self.idx, |pw, info| {
            pw.maybe_spill()?;
            op(pw, info)
        })
    }

    /// Inserts or replaces a value. Returns true if the key was already present.
    /// A key or value over the limits is refused and the transaction stays usable.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<bool> {
        btree::check_sizes(key, value.len())?;
        self.run(|pw, info| {
            let replaced = btree::insert(pw, &mut info.root, key, value)?;
            if !replaced {
                info.len += 1;
            }
            Ok(replaced)
        })
    }

    /// Inserts or replaces a value without saying which: the bulk-load path.
    ///
    /// Puts are buffered and sorted (in memory up to half the writer's page budget, then in
    /// sorted runs in a temporary file beside the database) and applied in key order the
    /// next time anything reads this tree, or at commit. Random puts thus touch each leaf
    /// once per batch instead of once per key. A later put of the same key wins; the result
    /// is exactly that of the same `insert`s in the same order.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        btree::check_sizes(key, value.len())?;
        self.txn.usable()?;
        let ps = self.txn.store.page_size as usize;
        if btree::node::leaf_cell_len(key.len(), value.len(), false) > btree::node::max_cell_len(ps)
        {
            // Values that need overflow pages gain nothing from sorting.
            self.insert(key, value)?;
            return Ok(());
        }
        let t = &mut *self.txn;
        let budget = t.w.dirty_max * ps / 2;
        let tree = &mut t.trees[self.idx];
        tree.dirty = true;
        let sorter = tree.sorter.get_or_insert_with(|| {
            // An unpredictable name, created exclusively (see `Sorter`).
            let temp = crate::file::scratch_path(&t.store.path, crate::sorter::SORT_TAG);
            Sorter::new(Arc::clone(&t.store.vfs), temp, budget)
        });
        let result = sorter.put(key, value);
        if result.is_err() {
            t.state = TxState::Failed;
        }
        result
    }

    /// Inserts or replaces many entries now, through one remembered path: entries in
    /// ascending key order go straight to their leaf, without a descent per key and without
    /// the buffering of [`TreeMut::put`] (which is the better choice for unordered input).
    /// Any order is correct; the result is that of the same `insert`s in the same order.
    ///
    /// Returns how many keys were new. An entry over the limits ends the call with
    /// `LimitExceeded`; the entries before it stay inserted and the transaction stays usable.
    pub fn insert_many<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Result<u64> {
        self.batch()?.insert_all(entries)
    }

    /// A run of inserts through one remembered path, as [`TreeMut::insert_many`], for
    /// callers that encode each entry into a reused buffer or insert several runs. Applies
    /// buffered puts first.
    pub fn batch(&mut self) -> Result<Batch<'_>> {
        self.txn.usable()?;
        self.txn.flush_tree(self.idx)?;
        Ok(Batch::new(&mut *self.txn, self.idx))
    }

    /// Removes a key. Returns true if it was present.
    pub fn remove(&mut self, key: &[u8]) -> Result<bool> {
        self.run(|pw, info| {
            let removed = btree::remove(pw, &mut info.root, key)?;
            if removed {
                info.len -= 1;
            }
            Ok(removed)
        })
    }

    /// The value stored under `key`, as this transaction sees it.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.view()?.get(key)
    }

    /// Number of entries.
    pub fn len(&mut self) -> Result<u64> {
        Ok(self.view()?.len())
    }

    /// True if the tree has no entries.
    pub fn is_empty(&mut self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// A read view of this tree (for ranges), as this transaction sees it.
    /// Applies buffered puts first.
    pub fn view(&mut self) -> Result<Tree<'_>> {
        self.txn.usable()?;
        self.txn.flush_tree(self.idx)?;
        let info = self.txn.trees[self.idx].info;
        Ok(Tree {
            src: &*self.txn,
            root: info.root,
            len: info.len,
        })
    }
}

impl<'a> Tree<'a> {
    /// A view of the tree at `root` through any page source (for the checker).
    pub(crate) fn for_check(src: &'a dyn PageRead, root: PageId) -> Tree<'a> {
        Tree { src, root, len: 0 }
    }

    /// The tree's root page, for tests that look at its pages.
    #[cfg(test)]
    pub(crate) fn root(&self) -> PageId {
        self.root
    }
}
