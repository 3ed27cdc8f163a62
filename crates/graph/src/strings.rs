//! A cache of the interned string table (kinds and edge types), shared by every snapshot.
//!
//! String ids are handed out once and never reused or changed, so an id read from any
//! committed snapshot names the same string in every snapshot that holds it: one cache
//! serves all readers. Only committed data fills it (a writer's new strings reach it after
//! commit, through a reader). It holds at most `CACHED_MAX` strings; beyond that lookups go
//! to the string trees.

use std::sync::Arc;

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

/// Most strings the cache holds.
const CACHED_MAX: usize = 1 << 16;

#[derive(Default)]
struct Maps {
    by_id: FxHashMap<u32, Arc<str>>,
    by_name: FxHashMap<Arc<str>, u32>,
}

/// The shared cache; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct StringCache(Arc<RwLock<Maps>>);

impl std::fmt::Debug for StringCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StringCache")
            .field("len", &self.0.read().by_id.len())
            .finish()
    }
}

impl StringCache {
    /// The string with this id, if cached, as a new `String`.
    pub fn name(&self, id: u32) -> Option<String> {
        self.0.read().by_id.get(&id).map(|s| String::from(&**s))
    }

    /// The id of this string, if cached.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.0.read().by_name.get(name).copied()
    }

    /// Remembers a committed string.
    pub fn insert(&self, id: u32, name: &str) {
        let mut maps = self.0.write();
        if maps.by_id.len() < CACHED_MAX && !maps.by_id.contains_key(&id) {
            let name: Arc<str> = Arc::from(name);
            maps.by_name.insert(Arc::clone(&name), id);
            maps.by_id.insert(id, name);
        }
    }
}
