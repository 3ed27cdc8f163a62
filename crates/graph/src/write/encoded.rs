//! Edge data encoded ahead of a write, as the graph stores it: one edge's
//! ([`EncodedData`]) or a run of edges' back to back in one buffer ([`EncodedBatch`]).

use serde_json::Value;

use crate::error::{GraphError, Result};
use crate::stage::{DataRef, Packed};

/// JSON data encoded as the graph stores it, its size checked: made only from a `Value`,
/// so what it holds is always data the graph can read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedData(Box<[u8]>);

impl EncodedData {
    /// Encodes `data`; `Invalid` when it is over [`crate::DATA_SIZE_MAX`] encoded.
    pub fn new(data: &Value) -> Result<EncodedData> {
        Ok(EncodedData(
            crate::record::encode_data("edge data", data)?.into_boxed_slice(),
        ))
    }

    /// Encodes the object of `entries`, whose keys must be strictly ascending (as a map of
    /// them holds them): the same bytes as [`EncodedData::new`] of that object, without
    /// building it. `Invalid` when the keys are out of order or repeat, or the data is
    /// over [`crate::DATA_SIZE_MAX`] encoded.
    pub fn from_sorted<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Result<EncodedData> {
        thread_local! {
            // Encoded into a buffer kept for the thread's next call, then copied out at
            // its size: one allocation per call instead of one per doubling.
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let invalid = |reason: String| GraphError::Invalid {
            field: "edge data",
            reason,
        };
        SCRATCH.with_borrow_mut(|out| {
            out.clear();
            crate::data::encode_sorted_into(out, entries).map_err(invalid)?;
            crate::record::check_data_size("edge data", out.len())?;
            let encoded = EncodedData(Box::from(out.as_slice()));
            // A buffer grown by one huge value is not kept.
            if out.capacity() > 1 << 16 {
                *out = Vec::new();
            }
            Ok(encoded)
        })
    }

    /// The encoded bytes: a binary object, or JSON text for data that is no object (see
    /// `docs/file-format.md`).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The data as a JSON value (what [`EncodedData::new`] was given).
    pub fn to_value(&self) -> Result<Value> {
        crate::record::decode_data("encoded data", "", &self.0)
    }
}

/// The encoded data of a run of edges, back to back in one buffer, for
/// [`WriteTxn::insert_edges_encoded`]: a batch of a million edges costs a few allocations
/// instead of one per edge, and the write takes the buffer as it is. Made only from values,
/// so what it holds is always data the graph can read back.
#[derive(Default)]
pub struct EncodedBatch {
    pub(super) data: Packed,
}

impl EncodedBatch {
    /// An empty batch.
    pub fn new() -> EncodedBatch {
        EncodedBatch::default()
    }

    /// Appends the data of the next edge (`Value::Null` for none); `Invalid` when it is
    /// over [`crate::DATA_SIZE_MAX`] encoded, and then nothing is appended.
    pub fn push(&mut self, data: &Value) -> Result<()> {
        self.data.push_data("edge data", DataRef::Value(data))
    }

    /// Appends the object of `entries` as the next edge's data, whose keys must be strictly
    /// ascending: the same bytes as [`EncodedBatch::push`] of that object, without building
    /// it. `Invalid` when the keys are out of order or repeat, or the data is over
    /// [`crate::DATA_SIZE_MAX`] encoded; then nothing is appended.
    pub fn push_sorted<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Result<()> {
        self.data.push_sorted("edge data", entries)
    }

    /// Appends data encoded ahead (its size was checked when it was made).
    pub fn push_encoded(&mut self, data: &EncodedData) {
        // Encoded bytes are appended as they are: this cannot fail.
        let _ = self
            .data
            .push_data("edge data", DataRef::Encoded(data.as_bytes()));
    }

    /// Edges whose data the batch holds.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the batch holds no edge's data.
    pub fn is_empty(&self) -> bool {
        self.data.len() == 0
    }
}

impl std::fmt::Debug for EncodedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedBatch")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
