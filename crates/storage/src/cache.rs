//! The shared cache of committed page images: bounded, sharded, CLOCK eviction.
//!
//! Entries are `Arc` page images, so a reader that got a page keeps it valid even if the
//! entry is evicted a moment later (the `Arc` is the pin). Only committed images enter this
//! cache; a write transaction keeps its own dirty pages apart (see `pager`), so eviction here
//! never loses data: an evicted page can always be read back from the WAL or the file.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::ids::PageId;
use crate::page::PageBuf;

/// A hasher for page ids: one multiply (Fibonacci hashing). Page ids are not attacker-chosen
/// keys of an open service, so a DoS-resistant hash buys nothing here.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A `HashMap` keyed by page id with [`IdHasher`].
pub(crate) type IdMap<V> = HashMap<PageId, V, BuildHasherDefault<IdHasher>>;

/// A `HashSet` of page ids with [`IdHasher`].
pub(crate) type IdSet = std::collections::HashSet<PageId, BuildHasherDefault<IdHasher>>;

struct Slot {
    id: PageId,
    buf: Option<PageBuf>,
    referenced: bool,
}

struct Shard {
    map: IdMap<usize>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    hand: usize,
    capacity: usize,
}

impl Shard {
    fn insert(&mut self, id: PageId, buf: PageBuf) {
        if let Some(&i) = self.map.get(&id) {
            self.slots[i].buf = Some(buf);
            self.slots[i].referenced = true;
            return;
        }
        let i = if let Some(i) = self.free.pop() {
            i
        } else if self.slots.len() < self.capacity {
            self.slots.push(Slot {
                id,
                buf: None,
                referenced: false,
            });
            self.slots.len() - 1
        } else {
            self.evict()
        };
        self.slots[i] = Slot {
            id,
            buf: Some(buf),
            referenced: false,
        };
        self.map.insert(id, i);
    }

    /// CLOCK: sweep, giving referenced entries a second chance; returns the freed slot.
    fn evict(&mut self) -> usize {
        loop {
            let i = self.hand;
            self.hand = (self.hand + 1) % self.slots.len();
            let slot = &mut self.slots[i];
            if slot.referenced {
                slot.referenced = false;
                continue;
            }
            if slot.buf.is_some() {
                self.map.remove(&slot.id);
            }
            slot.buf = None;
            return i;
        }
    }
}

/// The shared page cache.
pub(crate) struct PageCache {
    shards: Vec<Mutex<Shard>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl PageCache {
    /// A cache of at most `capacity_pages` pages.
    pub fn new(capacity_pages: usize) -> PageCache {
        let shard_count = (capacity_pages / 256).clamp(1, 16);
        let per_shard = capacity_pages.div_ceil(shard_count).max(1);
        PageCache {
            shards: (0..shard_count)
                .map(|_| {
                    Mutex::new(Shard {
                        map: IdMap::default(),
                        slots: Vec::with_capacity(per_shard.min(4096)),
                        free: Vec::new(),
                        hand: 0,
                        capacity: per_shard,
                    })
                })
                .collect(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn shard(&self, id: PageId) -> &Mutex<Shard> {
        let h = id.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        &self.shards[(h as usize) % self.shards.len()]
    }

    /// The cached image of `id`, if any.
    pub fn get(&self, id: PageId) -> Option<PageBuf> {
        let mut shard = self.shard(id).lock();
        let found = shard.map.get(&id).copied();
        let out = found.and_then(|i| {
            let slot = &mut shard.slots[i];
            slot.referenced = true;
            slot.buf.clone()
        });
        drop(shard);
        if out.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        out
    }

    /// True if `id` is cached (without counting a hit or a miss).
    pub fn contains(&self, id: PageId) -> bool {
        self.shard(id).lock().map.contains_key(&id)
    }

    /// Caches `buf` as the committed image of `id`, replacing any older image.
    pub fn insert(&self, id: PageId, buf: PageBuf) {
        self.shard(id).lock().insert(id, buf);
    }

    /// Removes and returns the cached image of `id`, if any.
    pub fn take(&self, id: PageId) -> Option<PageBuf> {
        let mut shard = self.shard(id).lock();
        let i = shard.map.remove(&id)?;
        let buf = shard.slots[i].buf.take();
        shard.slots[i].referenced = false;
        shard.free.push(i);
        buf
    }

    /// Drops the cached image of `id`, if any.
    pub fn remove(&self, id: PageId) {
        let mut shard = self.shard(id).lock();
        if let Some(i) = shard.map.remove(&id) {
            shard.slots[i].buf = None;
            shard.slots[i].referenced = false;
            shard.free.push(i);
        }
    }

    /// (hits, misses) since the database was opened.
    pub fn hit_miss(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Pages held now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

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
}
