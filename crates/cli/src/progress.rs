//! Progress bars on stderr, drawn only when stderr is a terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pagegraph_import::Progress;

/// A bar over `total` bytes (or items when `bytes` is false), hidden when stderr is not a
/// terminal so that scripts and logs stay clean.
pub fn bar(total: u64, message: &str, bytes: bool) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = if bytes {
        "{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})"
    } else {
        "{msg:>10} [{bar:40}] {human_pos}/{human_len} ({per_sec}, eta {eta})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// An import's progress on a bar: the file being read (its bytes), and skipped lines
/// printed above it.
pub struct ImportBar(pub ProgressBar);

impl Progress for ImportBar {
    fn file_started(&self, _: &Path, what: &str, size_bytes: u64) {
        self.0.set_message(what.to_string());
        self.0.set_length(size_bytes);
        self.0.set_position(0);
    }

    fn read(&self, bytes: u64) {
        self.0.set_position(bytes);
    }

    fn skipped(&self, path: &Path, line: u64, reason: &str) {
        self.0
            .suspend(|| eprintln!("{}:{line}: {reason} (skipped)", path.display()));
    }

    fn finished(&self) {
        self.0.finish_and_clear();
    }
}
