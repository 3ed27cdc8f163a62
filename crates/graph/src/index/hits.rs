//! Reading an index's key ranges: `IndexHits` streams the ids of a range from the main
//! tree, merged with the delta trees and a write transaction's held entries where they
//! hold entries of the range (see `index`, "Delta trees", and `write::pending`).

use std::collections::{BTreeSet, VecDeque, btree_set};
use std::iter::Peekable;
use std::ops::Bound;

use pagegraph_storage::{Range, Tree};

use super::{IndexDef, bad_entry, decode_entry, range_of};
use crate::error::Result;
use crate::value::key::KeyRange;

/// The entries of `set` (a write transaction's held entries of one index, see
/// `write::pending`) in range `r`, in key order.
fn set_range<'s>(set: &'s BTreeSet<Vec<u8>>, r: &KeyRange) -> btree_set::Range<'s, Vec<u8>> {
    // An empty range is asked for as one the set answers without a panic (its range must
    // not start after it ends).
    let lower: &[u8] = &r.lower;
    let upper = match &r.upper {
        Some(_) if r.is_empty() => Bound::Excluded(lower),
        Some(u) => Bound::Excluded(u.as_slice()),
        None => Bound::Unbounded,
    };
    set.range::<[u8], _>((Bound::Included(lower), upper))
}

/// The ids in some key ranges of an index, streamed in key order: by value (in `ORDER BY`
/// order), then by id. Damage arrives as an `Err` item, after which the iterator ends.
/// The ids are read a leaf's run at a time: one bounds check per leaf, not per entry.
pub struct IndexHits<'a> {
    tree: Option<Tree<'a>>,
    /// The index's delta trees of added and removed entries (non-unique indexes, see
    /// "Delta trees" in `index`).
    delta: Option<Tree<'a>>,
    removed: Option<Tree<'a>>,
    ranges: VecDeque<KeyRange>,
    current: Option<Range<'a>>,
    /// Ids of the current run not handed out yet, in order, and the next one's place.
    ids: Vec<u64>,
    next: usize,
    done: bool,
    /// The index is unique: an equality range holds at most one entry per numeric type.
    unique: bool,
    /// Entries a write transaction holds for the index (see `write::pending`).
    pending: Option<&'a BTreeSet<Vec<u8>>>,
    /// The current range, read from the trees and the held entries together (boxed: large
    /// beside the rest).
    merged: Option<Box<Merged<'a>>>,
}

/// Ids handed out per refill of a merged range.
const MERGED_RUN: usize = 256;

/// One sorted source of a merged range: a tree's range and its next key, read and not
/// handed out yet (`head`, valid when `full`; the buffer is reused).
struct TreeHead<'a> {
    range: Option<Range<'a>>,
    head: Vec<u8>,
    full: bool,
}

impl<'a> TreeHead<'a> {
    fn new(range: Option<Range<'a>>) -> Self {
        TreeHead {
            range,
            head: Vec::new(),
            full: false,
        }
    }

    /// Reads the next key into `head` if it is not there; false at the range's end.
    fn load(&mut self) -> Result<bool> {
        if !self.full
            && let Some(r) = self.range.as_mut()
        {
            match r.next_ref() {
                Some(entry) => {
                    self.head.clear();
                    self.head.extend_from_slice(entry?.0);
                    self.full = true;
                }
                None => self.range = None,
            }
        }
        Ok(self.full)
    }

    /// The next key, if loaded.
    fn head(&self) -> Option<&[u8]> {
        self.full.then_some(self.head.as_slice())
    }
}

/// One range of an index read from its main tree less its removed delta, its added delta
/// and the entries a write transaction holds for it, merged in key order.
struct Merged<'a> {
    /// The main tree's range, read a leaf's run at a time; `None` once it has ended.
    main: Option<Range<'a>>,
    /// The added delta's range.
    delta: TreeHead<'a>,
    /// The removed delta's range: keys of the main tree to skip.
    removed: TreeHead<'a>,
    held: Peekable<btree_set::Range<'a, Vec<u8>>>,
}

/// Hands out, from the small sources of a merged range (the added delta and the held
/// entries), every entry before `k`; when `k` is `None`, the next ones until `ids` holds
/// [`MERGED_RUN`].
fn small_before(
    delta: &mut TreeHead<'_>,
    held: &mut Peekable<btree_set::Range<'_, Vec<u8>>>,
    k: Option<&[u8]>,
    ids: &mut Vec<u64>,
) -> Result<()> {
    while k.is_some() || ids.len() < MERGED_RUN {
        delta.load()?;
        let (from_delta, from_held) = (delta.head(), held.peek().map(|p| p.as_slice()));
        let Some(least) = from_delta.into_iter().chain(from_held).min() else {
            return Ok(());
        };
        if k.is_some_and(|before| least >= before) {
            return Ok(());
        }
        let (_, id) = decode_entry(least).ok_or_else(bad_entry)?;
        let (in_delta, in_held) = (from_delta == Some(least), from_held == Some(least));
        ids.push(id);
        delta.full &= !in_delta;
        if in_held {
            held.next();
        }
    }
    Ok(())
}

/// Copies the least next key of the sources other than the main tree into `out`; true if
/// they have none left.
fn least_other(
    delta: &mut TreeHead<'_>,
    removed: &mut TreeHead<'_>,
    held: &mut Peekable<btree_set::Range<'_, Vec<u8>>>,
    out: &mut Vec<u8>,
) -> Result<bool> {
    delta.load()?;
    removed.load()?;
    let least = [
        delta.head(),
        removed.head(),
        held.peek().map(|p| p.as_slice()),
    ]
    .into_iter()
    .flatten()
    .min();
    out.clear();
    if let Some(k) = least {
        out.extend_from_slice(k);
    }
    Ok(least.is_none())
}

/// Hands out main tree entry `k` of a merged range, after the small sources' entries before
/// it, unless the removed delta holds it.
fn main_entry(
    k: &[u8],
    delta: &mut TreeHead<'_>,
    removed: &mut TreeHead<'_>,
    held: &mut Peekable<btree_set::Range<'_, Vec<u8>>>,
    ids: &mut Vec<u64>,
) -> Result<()> {
    small_before(delta, held, Some(k), ids)?;
    // The removed delta is a subset of the main tree; a key of it before `k` is damage
    // that `check` reports, and is passed over here.
    while removed.load()? && removed.head().is_some_and(|r| r < k) {
        removed.full = false;
    }
    if removed.head() == Some(k) {
        removed.full = false;
        return Ok(());
    }
    // The same entry in a small source too is one hit.
    delta.full &= delta.head() != Some(k);
    if held.peek().is_some_and(|p| p.as_slice() == k) {
        held.next();
    }
    let (_, id) = decode_entry(k).ok_or_else(bad_entry)?;
    ids.push(id);
    Ok(())
}

impl Merged<'_> {
    /// Reads the main tree a leaf's run at a time (the other sources are small), handing
    /// out the other sources' entries between its keys, until `ids` holds [`MERGED_RUN`]
    /// or the main tree's range ends.
    fn fill_runs(&mut self, ids: &mut Vec<u64>) -> Result<()> {
        let Merged {
            main,
            delta,
            removed,
            held,
        } = self;
        while ids.len() < MERGED_RUN {
            let Some(range) = main.as_mut() else {
                break;
            };
            let mut failed = None;
            // Main keys before the other sources' least key (most of them) go out at once.
            let mut barrier = Vec::new();
            let mut open = least_other(delta, removed, held, &mut barrier)?;
            let run = range.next_run(|run| {
                for k in run.iter() {
                    if open || k < barrier.as_slice() {
                        match decode_entry(k) {
                            Some((_, id)) => ids.push(id),
                            None => failed = Some(bad_entry()),
                        }
                    } else {
                        let next = main_entry(k, delta, removed, held, ids)
                            .and_then(|()| least_other(delta, removed, held, &mut barrier));
                        match next {
                            Ok(o) => open = o,
                            Err(e) => failed = Some(e),
                        }
                    }
                    if failed.is_some() {
                        return;
                    }
                }
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            if run.is_none() {
                *main = None;
            }
        }
        Ok(())
    }

    /// Appends the next ids (at least one, about [`MERGED_RUN`]) to `ids`; false at the
    /// range's end.
    fn fill(&mut self, ids: &mut Vec<u64>) -> Result<bool> {
        self.fill_runs(ids)?;
        if ids.len() < MERGED_RUN {
            // The main tree's range has ended: the rest of the small sources.
            small_before(&mut self.delta, &mut self.held, None, ids)?;
        }
        Ok(!ids.is_empty())
    }
}

impl<'a> IndexHits<'a> {
    /// The entries of `ranges` (in order) of the index `def`, whose entry trees are `tree`
    /// and the added and removed deltas, together with those a write transaction holds for
    /// it (`pending`).
    pub(crate) fn new(
        def: &IndexDef,
        tree: Option<Tree<'a>>,
        [delta, removed]: [Option<Tree<'a>>; 2],
        pending: Option<&'a BTreeSet<Vec<u8>>>,
        ranges: Vec<KeyRange>,
    ) -> Self {
        IndexHits {
            tree,
            delta: delta.filter(|d| !d.is_empty()),
            removed: removed.filter(|d| !d.is_empty()),
            ranges: ranges.into(),
            current: None,
            ids: Vec::new(),
            next: 0,
            done: false,
            unique: def.unique,
            pending,
            merged: None,
        }
    }

    /// Refills `ids` from the next run of the ranges; false when they are exhausted.
    fn refill(&mut self) -> Result<bool> {
        self.ids.clear();
        self.next = 0;
        loop {
            if let Some(m) = self.merged.as_mut() {
                if m.fill(&mut self.ids)? {
                    return Ok(true);
                }
                self.merged = None;
            }
            if let Some(r) = self.current.as_mut() {
                let ids = &mut self.ids;
                let run = r.next_run(|run| {
                    ids.reserve(run.len());
                    run.iter().all(|k| match decode_entry(k) {
                        Some((_, id)) => {
                            ids.push(id);
                            true
                        }
                        None => false,
                    })
                })?;
                match run {
                    Some(true) => return Ok(true),
                    Some(false) => return Err(bad_entry()),
                    None => self.current = None,
                }
            }
            if self.tree.is_none() && self.delta.is_none() && self.pending.is_none() {
                return Ok(false);
            }
            let Some(next) = self.ranges.pop_front() else {
                return Ok(false);
            };
            let mut held = self
                .pending
                .map(|set| set_range(set, &next))
                .unwrap_or_default()
                .peekable();
            let mut delta = TreeHead::new(self.delta.as_ref().map(|d| range_of(d, next.clone())));
            let mut removed =
                TreeHead::new(self.removed.as_ref().map(|d| range_of(d, next.clone())));
            if held.peek().is_some() || delta.load()? || removed.load()? {
                self.merged = Some(Box::new(Merged {
                    main: self.tree.as_ref().map(|t| range_of(t, next)),
                    delta,
                    removed,
                    held,
                }));
                continue;
            }
            let Some(tree) = self.tree.as_ref() else {
                continue;
            };
            if !(self.unique && next.is_prefix()) {
                self.current = Some(range_of(tree, next));
                continue;
            }
            // An equality on a unique index: at most one entry (one per numeric type), read
            // from its leaf after one descent; a cursor only if the run goes on past it.
            let (ids, mut bad) = (&mut self.ids, false);
            let more =
                tree.leaf_run(&next.lower, next.upper.as_deref(), |k| {
                    match decode_entry(k) {
                        Some((_, id)) if !bad => ids.push(id),
                        _ => bad = true,
                    }
                })?;
            if bad {
                return Err(bad_entry());
            }
            if let Some(last) = more {
                let hi = next.upper.map_or(Bound::Unbounded, Bound::Excluded);
                self.current = Some(tree.range_owned(Bound::Excluded(last), hi));
            }
            if !self.ids.is_empty() {
                return Ok(true);
            }
        }
    }
}

impl Iterator for IndexHits<'_> {
    type Item = Result<u64>;

    fn next(&mut self) -> Option<Result<u64>> {
        if let Some(&id) = self.ids.get(self.next) {
            self.next += 1;
            return Some(Ok(id));
        }
        if self.done {
            return None;
        }
        match self.refill() {
            Ok(true) => {
                let id = *self.ids.first()?;
                self.next = 1;
                Some(Ok(id))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                // The ids before a damaged entry in its run are not handed out: the error
                // comes where the run starts.
                self.ids.clear();
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
