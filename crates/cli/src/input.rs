//! Reading input files line by line: plain or gzip (by the `.gz` suffix), with the line
//! number for error messages and the bytes read so far for the progress bar.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use flate2::read::MultiGzDecoder;

/// Counts the bytes read from the file itself (compressed bytes for `.gz`).
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Whether a path names a gzip file.
pub fn is_gzip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// An input file opened for streaming.
pub struct Input {
    /// The path, for messages.
    pub path: PathBuf,
    /// The file's size on disk, for the progress bar.
    pub size: u64,
    /// Bytes of the file read so far.
    pub read: Arc<AtomicU64>,
    reader: Box<dyn BufRead + Send>,
    line: u64,
}

impl Input {
    /// Opens `path`; `.gz` files are decompressed as they are read.
    pub fn open(path: &Path) -> Result<Input> {
        let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        let meta = file
            .metadata()
            .with_context(|| format!("{}: cannot read metadata", path.display()))?;
        if meta.is_dir() {
            bail!("{}: is a directory, not a file", path.display());
        }
        let read = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: file,
            read: Arc::clone(&read),
        };
        let reader: Box<dyn BufRead + Send> = if is_gzip(path) {
            Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(BufReader::with_capacity(1 << 16, counting)),
            ))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, counting))
        };
        Ok(Input {
            path: path.to_path_buf(),
            size: meta.len(),
            read,
            reader,
            line: 0,
        })
    }

    /// The number of the line last returned (1-based).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// `path:line: ` for an error about the line last returned.
    pub fn at(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }

    /// Reads the next line into `buf` (without its line end); false at the end of the file.
    pub fn next_line(&mut self, buf: &mut String) -> Result<bool> {
        buf.clear();
        self.line += 1;
        let n = self.reader.read_line(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidData {
                anyhow::anyhow!("{}: not valid UTF-8 text", self.at())
            } else {
                anyhow::anyhow!("{}: read failed: {e}", self.at())
            }
        })?;
        if n == 0 {
            self.line -= 1;
            return Ok(false);
        }
        if buf.ends_with('\n') {
            buf.pop();
            if buf.ends_with('\r') {
                buf.pop();
            }
        }
        Ok(true)
    }

    /// The reader, for parsers that read on their own (CSV); they report their own lines.
    pub fn into_reader(self) -> Box<dyn BufRead + Send> {
        self.reader
    }
}
