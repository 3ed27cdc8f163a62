//! A cache of the interned string table (kinds and edge types), shared by every snapshot.
//!
//! String ids are handed out once and never reused or changed, so an id read from any
//! committed snapshot names the same string in every snapshot that holds it: one cache
//! serves all readers. Only committed data fills it (a writer's new strings reach it after
//! commit, through a reader). It holds at most `CACHED_MAX` strings; beyond that lookups go
//! to the string trees.
//!
//! Ids are handed out from 0 up, so the first `DENSE` strings by id (every kind and type of
//! most graphs) sit in an array of set-once slots: naming a node's kind, done on every node
//! read, takes no lock and writes no shared memory.

use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

/// Most strings the cache holds.
const CACHED_MAX: usize = 1 << 16;

/// Ids below this are named from set-once slots.
const DENSE: usize = 1024;

#[derive(Default)]
struct Maps {
    by_id: FxHashMap<u32, Arc<str>>,
    by_name: FxHashMap<Arc<str>, u32>,
}

struct Inner {
    /// The names of ids below [`DENSE`], each set once.
    dense: Box<[OnceLock<Box<str>>]>,
    maps: RwLock<Maps>,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            dense: (0..DENSE).map(|_| OnceLock::new()).collect(),
            maps: RwLock::default(),
        }
    }
}

/// The shared cache; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct StringCache(Arc<Inner>);

impl std::fmt::Debug for StringCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StringCache")
            .field("len", &self.0.maps.read().by_id.len())
            .finish()
    }
}

impl StringCache {
    /// The string with this id, if cached, as a new `String`.
    pub fn name(&self, id: u32) -> Option<String> {
        match self.0.dense.get(id as usize) {
            Some(slot) => slot.get().map(|s| String::from(&**s)),
            None => self
                .0
                .maps
                .read()
                .by_id
                .get(&id)
                .map(|s| String::from(&**s)),
        }
    }

    /// The id of this string, if cached.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.0.maps.read().by_name.get(name).copied()
    }

    /// Remembers a committed string.
    pub fn insert(&self, id: u32, name: &str) {
        if let Some(slot) = self.0.dense.get(id as usize) {
            // Set once: a string id never changes its string.
            let _ = slot.set(Box::from(name));
        }
        let mut maps = self.0.maps.write();
        if maps.by_id.len() < CACHED_MAX && !maps.by_id.contains_key(&id) {
            let name: Arc<str> = Arc::from(name);
            maps.by_name.insert(Arc::clone(&name), id);
            maps.by_id.insert(id, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_on_both_sides_of_the_dense_slots() {
        let cache = StringCache::default();
        let ids = [0u32, 1, 7, DENSE as u32 - 1, DENSE as u32, 5000, u32::MAX];
        for &id in &ids {
            assert_eq!(cache.name(id), None);
        }
        for &id in &ids {
            cache.insert(id, &format!("s{id}"));
        }
        // Inserting again (another reader that missed too) changes nothing.
        cache.insert(7, "s7");
        for &id in &ids {
            assert_eq!(cache.name(id).as_deref(), Some(format!("s{id}").as_str()));
            assert_eq!(cache.id(&format!("s{id}")), Some(id));
        }
        assert_eq!(cache.name(8), None);
        assert_eq!(cache.id("s8"), None);
    }
}
