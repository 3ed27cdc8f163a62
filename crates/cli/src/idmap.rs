//! The external-id map of an import: external ids (as written in the input files) to the
//! `NodeId`s the import gave them.
//!
//! Memory is bounded: up to `memory_entries` ids live in hash maps; the rest spill to a
//! B+Tree in a scratch database next to the target (durability off, a 16 MiB page cache),
//! deleted when the import ends. Decimal ids (SNAP, Graphalytics) are kept as numbers.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pagegraph::NodeId;
use pagegraph::storage::{Database, Durability, Options, WriteTxn};
use rustc_hash::FxHashMap;

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
        drop(self.tx.take());
        drop(self.db.take());
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(pagegraph::storage::wal_path(&self.path));
    }
}

/// External id -> `NodeId`, bounded in memory.
pub struct IdMap {
    nums: FxHashMap<u64, NodeId>,
    texts: FxHashMap<Box<str>, NodeId>,
    memory_entries: usize,
    spill_path: PathBuf,
    spill: Option<Spill>,
}

impl IdMap {
    /// A map holding at most `memory_entries` ids in memory; more spill next to `db_path`.
    pub fn new(db_path: &Path, memory_entries: usize) -> IdMap {
        let mut s = db_path.as_os_str().to_os_string();
        s.push(format!(".import-ids-{}", std::process::id()));
        IdMap {
            nums: FxHashMap::default(),
            texts: FxHashMap::default(),
            memory_entries,
            spill_path: PathBuf::from(s),
            spill: None,
        }
    }

    /// Ids held, in memory and spilled.
    #[cfg(test)]
    pub fn len(&self) -> u64 {
        (self.nums.len() + self.texts.len()) as u64 + self.spill.as_ref().map_or(0, |s| s.entries)
    }

    /// Ids spilled to disk.
    pub fn spilled(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.entries)
    }

    /// The node of an external id, if the import has seen it.
    pub fn get(&mut self, id: &ExtId) -> Result<Option<NodeId>> {
        let found = match id {
            ExtId::Num(n) => self.nums.get(n).copied(),
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
        if self.nums.len() + self.texts.len() < self.memory_entries {
            match id {
                ExtId::Num(n) => self.nums.insert(n, node),
                ExtId::Text(s) => self.texts.insert(s, node),
            };
            return Ok(());
        }
        if self.spill.is_none() {
            let _ = std::fs::remove_file(&self.spill_path);
            let db = Database::open(
                &self.spill_path,
                Options::default()
                    .durability(Durability::Off)
                    .cache_pages(4096),
            )
            .with_context(|| {
                format!(
                    "{}: cannot create the id spill file",
                    self.spill_path.display()
                )
            })?;
            let tx = db.begin_write()?;
            self.spill = Some(Spill {
                path: self.spill_path.clone(),
                tx: Some(tx),
                db: Some(db),
                entries: 0,
            });
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
    fn spilled_ids_are_found_like_ids_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let mut small = IdMap::new(&dir.path().join("g.pgdb"), 10);
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
        assert_eq!(small.spilled(), 1990);
        for (k, v) in &model {
            assert_eq!(small.get(k).unwrap(), Some(*v), "{k}");
        }
        assert_eq!(small.get(&ExtId::Num(1)).unwrap(), None);
        assert_eq!(small.get(&ExtId::Text("t1".into())).unwrap(), None);
        let spill = small.spill_path.clone();
        assert!(spill.exists());
        drop(small);
        assert!(!spill.exists(), "the spill file is removed");
    }
}
