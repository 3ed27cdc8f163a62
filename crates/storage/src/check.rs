//! The integrity checker: walks every page of the last committed state and reports each
//! problem found, rather than stopping at the first.
//!
//! It verifies: page checksums and types; B+Tree key order and separator fences; uniform
//! leaf depth; overflow chain shape; that every page is reachable exactly once or is free,
//! per the bitmap (no page owned twice, none leaked, none in use but marked free); and that
//! each tree's recorded entry count matches its entries.

use std::fmt;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use parking_lot::Mutex;

use crate::btree::PageRead;
use crate::btree::node::{Node, ValueRef};
use crate::btree::overflow;
use crate::catalog::TreeInfo;
use crate::error::{Result, StorageError};
use crate::freelist::{bitmap_bit, bitmap_page, check_bitmap_header, is_fixed_page, region_pages};
use crate::ids::PageId;
use crate::limits::TREE_DEPTH_MAX;
use crate::meta::Meta;
use crate::page::{self, PageBuf, PageType};
use crate::pager::{Store, Writer};

/// At most this many problems are listed; the rest are counted.
pub const PROBLEMS_LISTED_MAX: usize = 1000;

/// One problem the checker found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The page at fault, if one is.
    pub page: Option<PageId>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.page {
            Some(p) => write!(f, "page {p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What [`Database::check`](crate::Database::check) found.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct CheckReport {
    /// Problems, at most [`PROBLEMS_LISTED_MAX`].
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed.
    pub problems_unlisted: usize,
    /// Pages in the database.
    pub page_count: u64,
    /// Pages reachable from the meta (meta and bitmap pages included).
    pub pages_in_use: u64,
    /// Trees with their entry counts.
    pub trees: Vec<(String, u64)>,
    /// Pages by use: each tree's branch, leaf and overflow pages (the catalog included).
    pub tree_pages: Vec<TreePages>,
}

/// The pages one tree occupies, as counted by the checker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreePages {
    /// The tree's name; `(catalog)` for the catalog of trees.
    pub name: String,
    /// Branch (interior) pages.
    pub branch: u64,
    /// Leaf pages.
    pub leaf: u64,
    /// Overflow pages holding large values.
    pub overflow: u64,
}

impl CheckReport {
    /// True when no problem was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.problems_unlisted == 0
    }
}

/// A node still to visit: page, depth, low fence (inclusive), high fence (exclusive).
type Pending = (PageId, usize, Option<Vec<u8>>, Option<Vec<u8>>);

struct Checker<'a> {
    store: &'a Store,
    page_count: u64,
    seen: Vec<u64>,
    report: CheckReport,
    /// Pages the walk will read soon, for the read-ahead threads (large files only).
    ahead: Option<SyncSender<PageId>>,
}

/// Databases of at least this many pages are walked with read-ahead threads.
const READ_AHEAD_PAGES_MIN: u64 = 1 << 14;
/// Read-ahead threads: a walk reads one page at a time, each a random read once the file
/// is out of the OS cache (copy-on-write scatters a tree over the file). Several reads in
/// flight at once get several times the throughput from a disk (measured 3x with 8 on this
/// project's virtual disk), and the walk then finds its pages in the OS cache.
const READ_AHEAD_THREADS: usize = 6;
/// Page ids queued for the read-ahead threads; hints past it are dropped.
const READ_AHEAD_QUEUE: usize = 4096;

/// Reads the hinted pages from the database file into the OS cache, discarding them: only
/// a warm-up, so any error is ignored here (the walk's own read reports it).
fn read_ahead(store: &Store, queue: &Mutex<Receiver<PageId>>) {
    let mut buf = vec![0u8; store.page_size as usize];
    loop {
        let next = queue.lock().recv();
        match next {
            Ok(id) => {
                let _ = store.read_from_file(id, &mut buf);
            }
            Err(_) => return,
        }
    }
}

impl PageRead for Checker<'_> {
    fn read_page(&self, id: PageId) -> Result<PageBuf> {
        if id.0 >= self.page_count {
            return Err(StorageError::corrupted(
                id,
                "page number past the end of the database",
            ));
        }
        self.store.load(id)
    }
    fn page_size(&self) -> usize {
        self.store.page_size as usize
    }
}

impl Checker<'_> {
    fn problem(&mut self, page: Option<PageId>, message: impl Into<String>) {
        if self.report.problems.len() < PROBLEMS_LISTED_MAX {
            self.report.problems.push(Problem {
                page,
                message: message.into(),
            });
        } else {
            self.report.problems_unlisted += 1;
        }
    }

    fn error(&mut self, e: &StorageError) {
        match e {
            StorageError::Corrupted { page, reason } => self.problem(Some(*page), reason.clone()),
            other => self.problem(None, other.to_string()),
        }
    }

    /// Marks a page reachable; false (with a problem) if it is out of range or seen before.
    fn mark(&mut self, id: PageId, owner: &str) -> bool {
        if id.0 >= self.page_count {
            self.problem(
                Some(id),
                format!("{owner} points past the end of the database"),
            );
            return false;
        }
        let (w, b) = ((id.0 / 64) as usize, id.0 % 64);
        if self.seen[w] & (1 << b) != 0 {
            self.problem(
                Some(id),
                format!("page is reachable twice (again from {owner})"),
            );
            return false;
        }
        self.seen[w] |= 1 << b;
        true
    }

    /// Checks a tree; returns its entry count, and records its pages in the report.
    fn tree(&mut self, name: &str, root: PageId) -> u64 {
        let mut pages = TreePages {
            name: name.to_string(),
            ..TreePages::default()
        };
        let entries = self.tree_pages(name, root, &mut pages);
        self.report.tree_pages.push(pages);
        entries
    }

    fn tree_pages(&mut self, name: &str, root: PageId, pages: &mut TreePages) -> u64 {
        if root.is_none() {
            return 0;
        }
        let mut entries = 0u64;
        let mut leaf_depth = None;
        // (page, depth, low fence inclusive, high fence exclusive)
        let mut stack: Vec<Pending> = vec![(root, 0, None, None)];
        while let Some((id, depth, lo, hi)) = stack.pop() {
            if depth >= TREE_DEPTH_MAX {
                self.problem(Some(id), format!("tree {name:?} deeper than the limit"));
                continue;
            }
            if !self.mark(id, &format!("tree {name:?}")) {
                continue;
            }
            let buf = match self.read_page(id) {
                Ok(b) => b,
                Err(e) => {
                    self.error(&e);
                    continue;
                }
            };
            if !matches!(
                page::page_type(&buf),
                Some(PageType::Leaf | PageType::Branch)
            ) {
                self.problem(
                    Some(id),
                    format!("tree {name:?} reaches a page that is not a tree node"),
                );
                continue;
            }
            let node = Node::new(&buf);
            for i in 0..node.len() {
                let k = node.key(i);
                if i > 0 && node.key(i - 1) >= k {
                    self.problem(Some(id), format!("keys out of order at cell {i}"));
                }
                if lo.as_deref().is_some_and(|lo| k < lo) || hi.as_deref().is_some_and(|hi| k >= hi)
                {
                    self.problem(
                        Some(id),
                        format!("key at cell {i} lies outside its parent's separators"),
                    );
                }
            }
            if node.is_leaf() {
                pages.leaf += 1;
                if *leaf_depth.get_or_insert(depth) != depth {
                    self.problem(
                        Some(id),
                        format!("leaf at depth {depth}, others at {leaf_depth:?}"),
                    );
                }
                entries += node.len() as u64;
                for i in 0..node.len() {
                    if let ValueRef::Overflow { first, len } = node.value(i) {
                        pages.overflow += self.chain(first, len);
                    }
                }
                if node.len() == 0 {
                    self.problem(Some(id), "empty leaf in a non-empty tree");
                }
            } else {
                pages.branch += 1;
                // Pushed last child first, so the walk takes them in order, the order in
                // which the read-ahead gets them.
                for i in (0..=node.len()).rev() {
                    let clo = if i == 0 {
                        lo.clone()
                    } else {
                        Some(node.key(i - 1).to_vec())
                    };
                    let chi = if i == node.len() {
                        hi.clone()
                    } else {
                        Some(node.key(i).to_vec())
                    };
                    stack.push((node.child(i), depth + 1, clo, chi));
                }
                if let Some(ahead) = &self.ahead {
                    for i in 0..=node.len() {
                        if ahead.try_send(node.child(i)).is_err() {
                            break;
                        }
                    }
                }
            }
        }
        entries
    }

    /// Checks an overflow chain; returns its length in pages.
    fn chain(&mut self, first: PageId, len: u64) -> u64 {
        let mut pages = Vec::new();
        let result = overflow::walk(&*self, first, len, |id, _| {
            pages.push(id);
            Ok(())
        });
        let count = pages.len() as u64;
        for id in pages {
            self.mark(id, "an overflow chain");
        }
        if let Err(e) = result {
            self.error(&e);
        }
        count
    }

    fn bitmaps(&mut self) {
        let ps = self.store.page_size;
        let rp = region_pages(ps);
        for r in 0..self.page_count.div_ceil(rp) {
            let id = bitmap_page(ps, r);
            self.mark(id, "the bitmap");
            let buf = match self
                .read_page(id)
                .and_then(|b| check_bitmap_header(id, &b, r).map(|()| b))
            {
                Ok(b) => b,
                Err(e) => {
                    self.error(&e);
                    continue;
                }
            };
            let first = r * rp;
            for p in first..(first + rp).min(self.page_count) {
                let used = bitmap_bit(&buf, first, p);
                let reachable = self.seen[(p / 64) as usize] & (1 << (p % 64)) != 0
                    || is_fixed_page(ps, PageId(p));
                if used && !reachable {
                    self.problem(Some(PageId(p)), "marked in use but unreachable (leaked)");
                } else if !used && reachable {
                    self.problem(Some(PageId(p)), "reachable but marked free");
                }
            }
        }
    }
}

/// Runs the check on the committed state (the writer lock is held by the caller).
pub(crate) fn run(store: &Store, w: &Writer) -> CheckReport {
    let meta = store.state.lock().meta;
    debug_assert_eq!(meta.page_count, w.alloc.page_count());
    if meta.page_count < READ_AHEAD_PAGES_MIN {
        return walk(store, &meta, None);
    }
    let (hints, queue) = sync_channel(READ_AHEAD_QUEUE);
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        for _ in 0..READ_AHEAD_THREADS {
            scope.spawn(|| read_ahead(store, &queue));
        }
        // The walk drops the sender when it ends, and so stops the threads.
        walk(store, &meta, Some(hints))
    })
}

/// The check itself, on this thread.
fn walk(store: &Store, meta: &Meta, ahead: Option<SyncSender<PageId>>) -> CheckReport {
    let mut c = Checker {
        store,
        page_count: meta.page_count,
        seen: vec![0; meta.page_count.div_ceil(64) as usize],
        report: CheckReport {
            page_count: meta.page_count,
            ..CheckReport::default()
        },
        ahead,
    };
    for p in [PageId(0), PageId(1)] {
        c.mark(p, "the header");
        if let Err(e) = crate::meta::check_slot(&*store.db, p.0, store.page_size) {
            c.error(&e);
        }
    }
    c.tree("(catalog)", meta.catalog_root);
    let catalog = crate::txn::Tree::for_check(&c, meta.catalog_root);
    let mut trees = Vec::new();
    for item in &catalog {
        match item.and_then(|(k, v)| Ok((k, TreeInfo::decode(meta.catalog_root, &v)?))) {
            Ok((k, info)) => trees.push((String::from_utf8_lossy(&k).into_owned(), info)),
            Err(e) => {
                c.error(&e);
                break;
            }
        }
    }
    for (name, info) in trees {
        let counted = c.tree(&name, info.root);
        if counted != info.len {
            c.problem(
                Some(info.root),
                format!(
                    "tree {name:?} records {} entries but holds {counted}",
                    info.len
                ),
            );
        }
        c.report.trees.push((name, info.len));
    }
    c.bitmaps();
    c.report.pages_in_use = c.seen.iter().map(|w| u64::from(w.count_ones())).sum();
    c.report
}
