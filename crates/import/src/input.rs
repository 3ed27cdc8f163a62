//! Reading input files line by line: plain or gzip (by the `.gz` suffix), a leading UTF-8
//! byte-order mark dropped, lines bounded by [`LINE_MAX`], with the line number for error
//! messages and the bytes read so far reported to the [`Progress`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::error::{ImportError, Result};
use crate::progress::Progress;

/// The longest line (or CSV record) an import reads, in bytes, line end not counted: well
/// above the 16 MiB limit on a node's or edge's data plus the JSON around it. A longer line
/// stops the import with its `file:line`, so memory stays bounded however the input looks.
pub const LINE_MAX: usize = 32 << 20;

/// The UTF-8 byte-order mark some tools write at the start of a text file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Counts the bytes read from the file itself (compressed bytes for `.gz`) and reports
/// them as they are read.
struct Counting<R> {
    inner: R,
    read: u64,
    progress: Arc<dyn Progress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.progress.read(self.read);
        Ok(n)
    }
}

/// Whether a path names a gzip file.
pub fn is_gzip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// A short form of text for an error message: at most about 80 characters, with the
/// total length when cut, so that a message never echoes a huge input.
pub fn clip(s: &str) -> String {
    const SHOWN: usize = 80;
    if s.len() <= SHOWN {
        return s.to_string();
    }
    let mut end = SHOWN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

/// Reads the first bytes of `reader` and gives back a reader of all of it but a leading
/// byte-order mark.
fn without_bom(mut reader: Box<dyn BufRead + Send>) -> io::Result<Box<dyn BufRead + Send>> {
    let mut head = [0u8; 3];
    let mut n = 0;
    while n < head.len() {
        match reader.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let kept = if head[..n] == *BOM {
        &[][..]
    } else {
        &head[..n]
    };
    Ok(Box::new(Cursor::new(kept.to_vec()).chain(reader)))
}

/// An input file opened for streaming.
pub struct Input {
    /// The path, for messages.
    pub path: PathBuf,
    reader: Box<dyn BufRead + Send>,
    line: u64,
}

impl Input {
    /// Opens `path`, which holds `what` (for the progress report); `.gz` files are
    /// decompressed as they are read. `progress` learns the file's size on disk, then the
    /// bytes read from it as they are read.
    pub fn open(path: &Path, what: &str, progress: &Arc<dyn Progress>) -> Result<Input> {
        let io = |what: &str| {
            let context = format!("{}: {what}", path.display());
            move |source| ImportError::Io { context, source }
        };
        let file = File::open(path).map_err(io("cannot open"))?;
        let meta = file.metadata().map_err(io("cannot read metadata"))?;
        if meta.is_dir() {
            return Err(ImportError::file(path, "is a directory, not a file"));
        }
        progress.file_started(path, what, meta.len());
        progress.read(0);
        let counting = Counting {
            inner: file,
            read: 0,
            progress: Arc::clone(progress),
        };
        let reader: Box<dyn BufRead + Send> = if is_gzip(path) {
            Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(BufReader::with_capacity(1 << 16, counting)),
            ))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, counting))
        };
        let reader = without_bom(reader).map_err(|source| ImportError::Io {
            context: format!("{}:1: read failed", path.display()),
            source,
        })?;
        Ok(Input {
            path: path.to_path_buf(),
            reader,
            line: 0,
        })
    }

    /// The number of the line last returned (1-based).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Reads the next line's bytes into `buf` (without its line end); false at the end of
    /// the file. A line longer than [`LINE_MAX`] is an error, found after reading at most
    /// that much of it. The bytes are not checked to be UTF-8 (see [`text`]).
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        buf.clear();
        self.line += 1;
        // Room for the longest line, its line end, and one byte that shows it is longer.
        let limit = LINE_MAX as u64 + 3;
        let n = loop {
            match (&mut self.reader).take(limit).read_until(b'\n', buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(ImportError::line(
                        &self.path,
                        self.line,
                        format!("read failed: {e}"),
                    ));
                }
            }
        };
        if n == 0 {
            self.line -= 1;
            return Ok(false);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if buf.len() > LINE_MAX {
            return Err(ImportError::line(
                &self.path,
                self.line,
                format!(
                    "line longer than {} MiB (the longest line an import reads)",
                    LINE_MAX >> 20
                ),
            ));
        }
        Ok(true)
    }

    /// The reader, for parsers that read on their own (CSV); they report their own lines.
    pub fn into_reader(self) -> Box<dyn BufRead + Send> {
        self.reader
    }
}

/// A line's bytes as text, or why they are not (a bad line).
pub fn text(line: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(line)
        .map_err(|e| format!("not valid UTF-8 text (at byte {})", e.valid_up_to() + 1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use super::*;
    use crate::progress::NoProgress;

    fn quiet() -> Arc<dyn Progress> {
        Arc::new(NoProgress)
    }

    /// The file size and bytes read that an input reports.
    #[derive(Default)]
    struct Seen {
        size: AtomicU64,
        read: AtomicU64,
    }

    impl Progress for Seen {
        fn file_started(&self, _: &Path, _: &str, size_bytes: u64) {
            self.size.store(size_bytes, Relaxed);
        }

        fn read(&self, bytes: u64) {
            self.read.store(bytes, Relaxed);
        }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn lines(input: &mut Input) -> Vec<Result<String, String>> {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while input.next_line(&mut buf).unwrap() {
            out.push(text(&buf).map(str::to_string));
        }
        out
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_plain_and_gzipped() {
        let dir = tempfile::tempdir().unwrap();
        let body = b"\xEF\xBB\xBF1 2\r\n\xEF\xBB\xBF3 4\n";
        for (name, bytes) in [("e.txt", body.to_vec()), ("e.txt.gz", gzip(body))] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let mut input = Input::open(&path, "lines", &quiet()).unwrap();
            // Only the mark at the start of the file is dropped.
            assert_eq!(
                lines(&mut input),
                [Ok("1 2".to_string()), Ok("\u{feff}3 4".to_string())],
                "{name}"
            );
        }
        // Files shorter than a mark, and a file that is only one.
        for (content, want) in [(&b""[..], 0), (b"\xEF\xBB", 1), (b"\xEF\xBB\xBF", 0)] {
            let path = dir.path().join("short.txt");
            std::fs::write(&path, content).unwrap();
            let mut input = Input::open(&path, "lines", &quiet()).unwrap();
            assert_eq!(lines(&mut input).len(), want, "{content:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_a_bad_line_and_reading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        std::fs::write(&path, b"a\nb\xFFc\nd").unwrap();
        let mut input = Input::open(&path, "lines", &quiet()).unwrap();
        assert_eq!(
            lines(&mut input),
            [
                Ok("a".to_string()),
                Err("not valid UTF-8 text (at byte 2)".to_string()),
                Ok("d".to_string())
            ]
        );
        assert_eq!(input.line(), 3);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.txt");
        let mut bytes = b"short\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', LINE_MAX));
        bytes.extend_from_slice(b"\r\n");
        // No line end at all after this one: read until the limit, no further.
        bytes.extend(std::iter::repeat_n(b'0', LINE_MAX + (8 << 10)));
        std::fs::write(&path, &bytes).unwrap();
        let mut input = Input::open(&path, "lines", &quiet()).unwrap();
        let mut buf = Vec::new();
        assert!(input.next_line(&mut buf).unwrap());
        assert!(
            input.next_line(&mut buf).unwrap(),
            "exactly the limit is fine"
        );
        assert_eq!(buf.len(), LINE_MAX);
        let err = input.next_line(&mut buf).unwrap_err().to_string();
        let want = "3: line longer than 32 MiB (the longest line an import reads)";
        assert_eq!(err, format!("{}:{want}", path.display()));
        assert!(buf.len() <= LINE_MAX + 3, "{}", buf.len());

        // The same inside a .gz (zeros compress a thousandfold).
        let gz = dir.path().join("zeros.gz");
        std::fs::write(&gz, gzip(&vec![0; LINE_MAX + 1])).unwrap();
        let mut input = Input::open(&gz, "lines", &quiet()).unwrap();
        let err = input.next_line(&mut buf).unwrap_err().to_string();
        assert!(
            err.ends_with("zeros.gz:1: line longer than 32 MiB (the longest line an import reads)"),
            "{err}"
        );
    }

    #[test]
    fn progress_follows_the_bytes_read_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut body = Vec::new();
        for i in 0..100_000 {
            body.extend_from_slice(format!("{i} {}\n", i + 1).as_bytes());
        }
        let compressed = gzip(&body);
        for (name, bytes) in [("e.txt", body.clone()), ("e.txt.gz", compressed)] {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let seen = Arc::new(Seen::default());
            let progress: Arc<dyn Progress> = seen.clone();
            let mut input = Input::open(&path, "edges", &progress).unwrap();
            assert_eq!(seen.size.load(Relaxed), bytes.len() as u64, "{name}");
            let mut buf = Vec::new();
            assert!(input.next_line(&mut buf).unwrap());
            let early = seen.read.load(Relaxed);
            assert!(early > 0 && early < bytes.len() as u64, "{name}: {early}");
            while input.next_line(&mut buf).unwrap() {}
            assert_eq!(seen.read.load(Relaxed), bytes.len() as u64, "{name}");
        }
    }

    #[test]
    fn clipped_text_is_short_and_says_how_long_it_was() {
        assert_eq!(clip("abc"), "abc");
        let long = "é".repeat(100);
        let c = clip(&long);
        assert!(c.len() < 100 && c.ends_with("... (200 bytes)"), "{c}");
    }
}
