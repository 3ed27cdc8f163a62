//! Branch pages a read snapshot holds on to, so that descents through the upper levels of
//! its trees skip the shared cache (its lock, its hash probe and a reference-count update
//! per level).
//!
//! A snapshot's pages never change while it is alive: writes copy pages, and a page freed
//! by a later transaction is reused only after every snapshot that could reach it has
//! ended. So a page image read once by a snapshot is valid for the rest of its life, and
//! keeping it needs no invalidation. Each pinned image comes with its routing table
//! (`btree::route`), the one the shared cache keeps for that image, so a pinned level is
//! routed without touching the page.
//!
//! The table is direct-mapped and filled once per slot: the first branch whose id maps to a
//! slot keeps it. Descents read the root first, so the slots go to the upper levels, which
//! every lookup crosses. A later branch that maps to a taken slot is read through the
//! shared cache as before. The table is allocated on the first pin, so a snapshot used for
//! a single lookup pays nothing for it.
//!
//! Memory: at most `slots` page images (and their routing tables) per live snapshot, on top
//! of the shared cache; [`Pins::slots_for`] keeps that to an eighth of the cache, and at
//! most [`PINNED_PAGES_MAX`].

use std::sync::{Arc, OnceLock};

use super::route::Route;
use crate::ids::PageId;
use crate::page::PageBuf;

/// Most branch pages one snapshot keeps.
pub(crate) const PINNED_PAGES_MAX: usize = 512;

/// A pinned branch: its id, its image and the image's routing table.
pub(crate) struct Pinned {
    /// The page id.
    pub id: PageId,
    /// The image, validated when it was read.
    pub buf: PageBuf,
    /// Its routing table.
    pub route: Arc<Route>,
}

/// One slot: empty, or a pinned branch, set once.
type Slot = OnceLock<Pinned>;

/// The pinned branch pages of one snapshot.
pub(crate) struct Pins {
    /// log2 of the slot count; `None` means pinning is off.
    bits: Option<u32>,
    table: OnceLock<Box<[Slot]>>,
}

impl Pins {
    /// How many slots a snapshot gets with a shared cache of `cache_pages`: a power of two
    /// at most an eighth of the cache and at most [`PINNED_PAGES_MAX`].
    pub fn slots_for(cache_pages: usize) -> usize {
        let eighth = (cache_pages / 8).min(PINNED_PAGES_MAX);
        if eighth == 0 { 0 } else { 1 << eighth.ilog2() }
    }

    /// An empty table of `slots` slots (rounded down to a power of two; 0 turns it off).
    pub fn new(slots: usize) -> Pins {
        Pins {
            bits: (slots > 0).then(|| slots.ilog2()),
            table: OnceLock::new(),
        }
    }

    fn slot(bits: u32, id: PageId) -> usize {
        if bits == 0 {
            return 0;
        }
        let h = id.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // `bits < 64`, and the shifted value has `bits` bits, so it fits a `usize` slot index.
        usize::try_from(h >> (64 - bits)).unwrap_or(0)
    }

    /// Branch `id`, if this snapshot pinned it.
    pub fn get(&self, id: PageId) -> Option<&Pinned> {
        let bits = self.bits?;
        let table = self.table.get()?;
        table
            .get(Self::slot(bits, id))?
            .get()
            .filter(|pinned| pinned.id == id)
    }

    /// Keeps `buf`, the image of branch page `id`, with its routing table, if its slot is
    /// free.
    pub fn pin(&self, id: PageId, buf: &PageBuf, route: &Arc<Route>) {
        let Some(bits) = self.bits else {
            return;
        };
        let table = self
            .table
            .get_or_init(|| (0..1usize << bits).map(|_| Slot::new()).collect());
        if let Some(slot) = table.get(Self::slot(bits, id)) {
            // A slot taken by another page (or by this one, from another thread) stays as it is.
            if slot.get().is_none() {
                let _ = slot.set(Pinned {
                    id,
                    buf: PageBuf::clone(buf),
                    route: Arc::clone(route),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> Arc<Route> {
        Arc::new(Route::empty())
    }

    #[test]
    fn finds_what_it_pinned_and_nothing_else() {
        let pins = Pins::new(8);
        assert!(pins.get(PageId(3)).is_none());
        let mut held = Vec::new();
        for i in 0..100u64 {
            let buf: PageBuf = Arc::from(i.to_le_bytes().to_vec());
            pins.pin(PageId(i), &buf, &route());
            if pins
                .get(PageId(i))
                .is_some_and(|p| Arc::ptr_eq(&p.buf, &buf))
            {
                held.push(i);
            }
        }
        // Eight slots: at most eight pages, each found with its own image.
        assert!(!held.is_empty() && held.len() <= 8, "{held:?}");
        for i in 0..100u64 {
            match pins.get(PageId(i)) {
                Some(p) => {
                    assert!(held.contains(&i));
                    assert_eq!(*p.buf, i.to_le_bytes());
                }
                None => assert!(!held.contains(&i)),
            }
        }
    }

    #[test]
    fn a_zero_slot_table_pins_nothing() {
        let pins = Pins::new(Pins::slots_for(7));
        pins.pin(PageId(1), &Arc::from(vec![1u8]), &route());
        assert!(pins.get(PageId(1)).is_none());
        assert_eq!(Pins::slots_for(16), 2);
        assert_eq!(Pins::slots_for(1 << 20), PINNED_PAGES_MAX);
        assert_eq!(Pins::slots_for(1000), 64);
    }
}
