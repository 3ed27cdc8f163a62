//! The shared cache of committed page images: bounded, sharded, CLOCK eviction.
//!
//! Entries are `Arc` page images, so a reader that got a page keeps it valid even if the
//! entry is evicted a moment later (the `Arc` is the pin). Only committed images enter this
//! cache; a write transaction keeps its own dirty pages apart (see `pager`), so eviction here
//! never loses data: an evicted page can always be read back from the WAL or the file.
//!
//! Beside an image the cache may keep a *side value* derived from it, built once and shared
//! by every snapshot that reads the page: the B+Tree keeps a branch's routing table there
//! (`btree::route`). The cache does not know the side value's type (it sits below the
//! B+Tree layer); it stores it as `Any` and hands it back only to a caller holding the very
//! image it was built from, and the value leaves the cache with its page.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::ids::{IdMap, PageId};
use crate::page::PageBuf;

/// A value derived from a cached page image, of a type only its owner layer knows.
type Side = Arc<dyn Any + Send + Sync>;

/// Buckets a shard's table starts with (it doubles as pages arrive).
const SHARD_BUCKETS_INITIAL: usize = 1024;

/// Marks an empty bucket; no page has this id (`PAGE_COUNT_MAX` is far below it).
const EMPTY: PageId = PageId(u64::MAX);

/// One bucket of a shard's table: the page image lives in the bucket itself, so a hit reads
/// one cache line of the table and then the page (a map to a slot vector costs two more).
struct Bucket {
    id: PageId,
    buf: Option<PageBuf>,
    referenced: bool,
}

impl Bucket {
    const VACANT: Bucket = Bucket {
        id: EMPTY,
        buf: None,
        referenced: false,
    };
}

/// An open-addressing table (linear probing, at most half full, deletion by backward
/// shift) with CLOCK eviction sweeping over its buckets.
struct Shard {
    buckets: Vec<Bucket>,
    /// `buckets.len() - 1`; the length is a power of two.
    mask: usize,
    /// log2 of `buckets.len()`.
    bits: u32,
    len: usize,
    capacity: usize,
    hand: usize,
    /// Lookups that found their page, and those that did not (counted under the shard's
    /// lock: no shared counter for every reader thread to contend on).
    hits: u64,
    misses: u64,
    /// Side values of cached images (routing tables of branches), each with the image it
    /// was built from.
    sides: IdMap<(PageBuf, Side)>,
}

impl Shard {
    /// A shard that may hold `capacity` pages. Its table starts small and doubles as it
    /// fills (never past twice the capacity), so a large cache costs memory only as pages
    /// arrive: the capacity is a bound, not an allocation.
    fn new(capacity: usize) -> Shard {
        let capacity = capacity.max(1);
        let size = capacity
            .saturating_mul(2)
            .min(SHARD_BUCKETS_INITIAL)
            .next_power_of_two();
        Shard {
            buckets: (0..size).map(|_| Bucket::VACANT).collect(),
            mask: size - 1,
            bits: size.trailing_zeros(),
            len: 0,
            capacity,
            hand: 0,
            hits: 0,
            misses: 0,
            sides: IdMap::default(),
        }
    }

    /// Where `id`'s probe sequence starts: a second mix of the id, independent of the one
    /// that picked the shard.
    fn home(&self, id: PageId) -> usize {
        if self.bits == 0 {
            return 0;
        }
        let h = (id.0 ^ (id.0 >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        (h >> (64 - self.bits)) as usize
    }

    fn find(&self, id: PageId) -> Option<usize> {
        let mut i = self.home(id);
        // The table is never full, so an empty bucket ends every probe sequence.
        loop {
            let b = &self.buckets[i];
            if b.id == id {
                return Some(i);
            }
            if b.id == EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    fn insert(&mut self, id: PageId, buf: PageBuf) {
        if let Some(i) = self.find(id) {
            self.sides.remove(&id);
            let b = &mut self.buckets[i];
            b.buf = Some(buf);
            b.referenced = true;
            return;
        }
        if self.len >= self.capacity {
            self.evict();
        }
        if (self.len + 1) * 2 > self.buckets.len() {
            self.grow();
        }
        let mut i = self.home(id);
        while self.buckets[i].id != EMPTY {
            i = (i + 1) & self.mask;
        }
        self.buckets[i] = Bucket {
            id,
            buf: Some(buf),
            referenced: false,
        };
        self.len += 1;
    }

    /// Doubles the table, keeping it at most half full. Only reached while `len` is below the
    /// capacity, so the table never outgrows twice the capacity (rounded up).
    fn grow(&mut self) {
        let size = self.buckets.len() * 2;
        let old = std::mem::replace(
            &mut self.buckets,
            (0..size).map(|_| Bucket::VACANT).collect(),
        );
        self.mask = size - 1;
        self.bits = size.trailing_zeros();
        self.hand = 0;
        for b in old {
            if b.id != EMPTY {
                let mut i = self.home(b.id);
                while self.buckets[i].id != EMPTY {
                    i = (i + 1) & self.mask;
                }
                self.buckets[i] = b;
            }
        }
    }

    /// CLOCK: sweep, giving referenced entries a second chance; removes one entry.
    fn evict(&mut self) {
        // Two sweeps clear every reference bit, so this ends while any entry is held.
        for _ in 0..=2 * self.buckets.len() {
            let i = self.hand;
            self.hand = (self.hand + 1) & self.mask;
            let b = &mut self.buckets[i];
            if b.id == EMPTY {
                continue;
            }
            if b.referenced {
                b.referenced = false;
                continue;
            }
            self.remove_at(i);
            return;
        }
    }

    /// Empties bucket `i` and shifts later entries of the probe run back into the hole, so
    /// every entry stays reachable from its home without tombstones.
    fn remove_at(&mut self, i: usize) -> Option<PageBuf> {
        let old = std::mem::replace(&mut self.buckets[i], Bucket::VACANT);
        if !self.sides.is_empty() {
            self.sides.remove(&old.id);
        }
        let out = old.buf;
        self.len -= 1;
        let mut hole = i;
        let mut j = (i + 1) & self.mask;
        while self.buckets[j].id != EMPTY {
            let home = self.home(self.buckets[j].id);
            // The entry at `j` may move to `hole` if `hole` lies on its probe path, that is
            // cyclically within `home..=j`.
            if j.wrapping_sub(home) & self.mask >= j.wrapping_sub(hole) & self.mask {
                self.buckets.swap(hole, j);
                hole = j;
            }
            j = (j + 1) & self.mask;
        }
        out
    }

    /// Every entry is found from its home: the table's invariant, for tests.
    #[cfg(test)]
    fn check(&self) {
        let held = self.buckets.iter().filter(|b| b.id != EMPTY).count();
        assert_eq!(held, self.len);
        assert!(self.len <= self.capacity);
        for (i, b) in self.buckets.iter().enumerate() {
            if b.id != EMPTY {
                assert_eq!(self.find(b.id), Some(i));
                assert!(b.buf.is_some());
            }
        }
        // A table is kept only beside the image it was built from.
        for (id, (image, _)) in &self.sides {
            let i = self
                .find(*id)
                .expect("a side value for a page the cache does not hold");
            assert!(Arc::ptr_eq(self.buckets[i].buf.as_ref().unwrap(), image));
        }
    }
}

/// The shared page cache.
pub(crate) struct PageCache {
    shards: Vec<Mutex<Shard>>,
}

impl PageCache {
    /// A cache of at most `capacity_pages` pages.
    pub fn new(capacity_pages: usize) -> PageCache {
        let shard_count = (capacity_pages / 256).clamp(1, 16);
        let per_shard = capacity_pages.div_ceil(shard_count).max(1);
        PageCache {
            shards: (0..shard_count)
                .map(|_| Mutex::new(Shard::new(per_shard)))
                .collect(),
        }
    }

    fn shard(&self, id: PageId) -> &Mutex<Shard> {
        let h = id.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        &self.shards[(h as usize) % self.shards.len()]
    }

    /// The cached image of `id`, if any.
    pub fn get(&self, id: PageId) -> Option<PageBuf> {
        let mut shard = self.shard(id).lock();
        let Some(i) = shard.find(id) else {
            shard.misses += 1;
            return None;
        };
        shard.hits += 1;
        let b = &mut shard.buckets[i];
        b.referenced = true;
        b.buf.clone()
    }

    /// True if `id` is cached (without counting a hit or a miss).
    /// The side value of type `T` kept for page `id`, if it was built from this very image.
    pub fn side<T: Any + Send + Sync>(&self, id: PageId, buf: &PageBuf) -> Option<Arc<T>> {
        let shard = self.shard(id).lock();
        match shard.sides.get(&id) {
            Some((image, side)) if Arc::ptr_eq(image, buf) => Arc::clone(side).downcast().ok(),
            _ => None,
        }
    }

    /// Keeps `side`, built from `buf`, while the cache holds that image for `id`.
    pub fn keep_side<T: Any + Send + Sync>(&self, id: PageId, buf: &PageBuf, side: &Arc<T>) {
        let mut shard = self.shard(id).lock();
        let holds = shard
            .find(id)
            .and_then(|i| shard.buckets[i].buf.as_ref())
            .is_some_and(|held| Arc::ptr_eq(held, buf));
        if holds {
            shard
                .sides
                .insert(id, (PageBuf::clone(buf), Arc::clone(side) as Side));
        }
    }

    /// The cached image of `id`, if any, without counting a hit or a miss or marking it
    /// used (for a checkpoint, which reads what readers may not).
    pub fn peek(&self, id: PageId) -> Option<PageBuf> {
        let shard = self.shard(id).lock();
        shard.find(id).and_then(|i| shard.buckets[i].buf.clone())
    }

    pub fn contains(&self, id: PageId) -> bool {
        self.shard(id).lock().find(id).is_some()
    }

    /// Caches `buf` as the committed image of `id`, replacing any older image.
    pub fn insert(&self, id: PageId, buf: PageBuf) {
        debug_assert_ne!(id, EMPTY);
        self.shard(id).lock().insert(id, buf);
    }

    /// Removes and returns the cached image of `id`, if any.
    pub fn take(&self, id: PageId) -> Option<PageBuf> {
        let mut shard = self.shard(id).lock();
        let i = shard.find(id)?;
        shard.remove_at(i)
    }

    /// Drops the cached image of `id`, if any.
    pub fn remove(&self, id: PageId) {
        self.take(id);
    }

    /// (hits, misses) since the database was opened.
    pub fn hit_miss(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(h, m), s| {
            let s = s.lock();
            (h + s.hits, m + s.misses)
        })
    }

    /// Pages held now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    /// A side value; tests compare them by pointer.
    struct Route;

    fn route() -> Arc<Route> {
        Arc::new(Route)
    }

    #[test]
    fn a_route_is_handed_out_only_with_the_image_it_was_built_from() {
        let mut rng = fastrand::Rng::with_seed(8);
        let cache = PageCache::new(8);
        // What each id's current image is, and the table kept for that image, if any.
        let mut images: HashMap<PageId, PageBuf> = HashMap::new();
        let mut kept: HashMap<PageId, (PageBuf, Arc<Route>)> = HashMap::new();
        for step in 0..20_000u64 {
            let id = PageId(rng.u64(0..24));
            match rng.u8(0..4) {
                0 => {
                    let buf: PageBuf = Arc::from(step.to_le_bytes().to_vec());
                    cache.insert(id, Arc::clone(&buf));
                    images.insert(id, buf);
                }
                1 => {
                    if let Some(buf) = images.get(&id) {
                        let r = route();
                        cache.keep_side(id, buf, &r);
                        if cache.contains(id) {
                            kept.insert(id, (Arc::clone(buf), r));
                        }
                    }
                }
                2 => {
                    cache.remove(id);
                }
                _ => {
                    // An image the cache never saw gets nothing, whatever the id.
                    let stranger: PageBuf = Arc::from(vec![1u8]);
                    assert!(cache.side::<Route>(id, &stranger).is_none());
                }
            }
            if let Some(buf) = images.get(&id) {
                let got = cache.side::<Route>(id, buf);
                let want = kept
                    .get(&id)
                    .filter(|(image, _)| Arc::ptr_eq(image, buf) && cache.contains(id));
                match (got, want) {
                    (Some(g), Some((_, w))) => assert!(Arc::ptr_eq(&g, w)),
                    // Evicted with its page: gone, which the cache may do at any time.
                    (None, _) => {}
                    (Some(_), None) => panic!("a table for {id:?} outlived its image"),
                }
            }
            for shard in &cache.shards {
                shard.lock().check();
            }
        }
    }

    #[test]
    fn never_holds_more_than_capacity() {
        let cache = PageCache::new(16);
        for i in 0..1000u64 {
            cache.insert(PageId(i), Arc::from(vec![i as u8; 8]));
            assert!(cache.len() <= 16);
        }
        assert!(cache.get(PageId(999)).is_some());
        cache.remove(PageId(999));
        assert!(cache.get(PageId(999)).is_none());
    }

    /// Random inserts, lookups and removals against a map of what was last inserted: a
    /// lookup finds the latest image or nothing (evicted), never an older image or another
    /// page's, and the table stays consistent after every step.
    #[test]
    fn agrees_with_a_model_under_random_operations() {
        let mut rng = fastrand::Rng::with_seed(3);
        for capacity in [1, 2, 7, 64] {
            let mut shard = Shard::new(capacity);
            let mut model: HashMap<PageId, PageBuf> = HashMap::new();
            let mut version = 0u64;
            for _ in 0..20_000 {
                let id = PageId(rng.u64(0..(capacity as u64) * 3));
                match rng.u8(0..4) {
                    0 | 1 => {
                        version += 1;
                        let buf: PageBuf = Arc::from(version.to_le_bytes().to_vec());
                        shard.insert(id, Arc::clone(&buf));
                        model.insert(id, buf);
                    }
                    2 => {
                        if let Some(i) = shard.find(id) {
                            let got = shard.buckets[i].buf.as_ref();
                            assert!(Arc::ptr_eq(got.expect("held"), &model[&id]));
                        }
                    }
                    _ => {
                        let removed = shard.find(id).and_then(|i| shard.remove_at(i));
                        if let Some(buf) = removed {
                            assert!(Arc::ptr_eq(&buf, &model[&id]));
                        }
                        assert_eq!(shard.find(id), None);
                        model.remove(&id);
                    }
                }
                shard.check();
            }
        }
    }

    #[test]
    fn recently_used_pages_survive_a_scan() {
        let mut shard = Shard::new(8);
        let hot = PageId(1_000);
        shard.insert(hot, Arc::from(vec![1u8]));
        for i in 0..100u64 {
            // Touch the hot page between scanned pages, as a reader of a root page would.
            if let Some(j) = shard.find(hot) {
                shard.buckets[j].referenced = true;
            }
            shard.insert(PageId(i), Arc::from(vec![0u8]));
        }
        assert!(shard.find(hot).is_some());
        shard.check();
    }
}
