//! Named limits. Every one is enforced with an error, never with a panic, and every loop that
//! follows on-disk links is bounded by one of them, so a corrupt file with a cycle fails instead
//! of hanging.

/// Smallest page size a database can be created with.
pub const PAGE_SIZE_MIN: u32 = 4096;
/// Largest page size a database can be created with.
pub const PAGE_SIZE_MAX: u32 = 65536;
/// The page size used when none is chosen.
pub const PAGE_SIZE_DEFAULT: u32 = 4096;

/// Largest key a B+Tree accepts, in bytes. Chosen so that four maximal cells fit in a
/// 4 KiB page, which is what keeps every split valid (see `btree::node`).
pub const KEY_SIZE_MAX: usize = 960;
/// Largest value a B+Tree accepts, in bytes. Larger values than fit in a cell go to overflow
/// pages; this caps the chain length and the allocation a (possibly corrupt) length can cause.
pub const VALUE_SIZE_MAX: usize = 64 << 20;
/// Largest tree name, in bytes.
pub const TREE_NAME_SIZE_MAX: usize = 255;
/// Deepest B+Tree the engine descends. With >= 4 cells per page, 32 levels is far more
/// than any file can need; a deeper path means a cycle or corruption.
pub const TREE_DEPTH_MAX: usize = 32;
/// Smallest page cache the engine accepts, in pages.
pub const CACHE_PAGES_MIN: usize = 16;
/// Largest page cache the engine accepts, in pages (2^34 pages of 4 KiB is 64 TiB). The
/// cache is a bound, not an allocation: it grows with the pages it holds.
pub const CACHE_PAGES_MAX: usize = 1 << 34;
/// Default page cache capacity, in pages (256 MiB of 4 KiB pages, as `pagegraph import`
/// uses): a bound, not an allocation, so a small database costs only what it holds.
pub const CACHE_PAGES_DEFAULT: usize = 65536;
/// Largest database the engine addresses, in pages (2^40 pages of 4 KiB is 4 PiB).
pub const PAGE_COUNT_MAX: u64 = 1 << 40;
/// WAL size, in frames, past which a commit runs an automatic checkpoint.
pub const WAL_AUTO_CHECKPOINT_FRAMES_DEFAULT: u64 = 16 * 1024;

/// Longest overflow chain for a value of `VALUE_SIZE_MAX` bytes at the given page size.
pub fn overflow_chain_len_max(page_size: u32) -> u64 {
    let payload = u64::from(page_size) - crate::page::PAGE_HEADER_SIZE as u64;
    (VALUE_SIZE_MAX as u64).div_ceil(payload)
}
