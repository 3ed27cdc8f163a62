//! Running the `pagegraph` binary from tests.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary uses a part; a failed step is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pagegraph"))
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// Bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs a command with `--json`; returns the parsed output.
pub fn json_of(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(&a)).unwrap()
}

/// Runs a command that must fail with exit code 1 and one clear line (no panic); returns
/// stderr.
pub fn fails(args: &[&str]) -> String {
    let out = run(args);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}: {err}{}",
        text(&out.stdout)
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(err.starts_with("pagegraph: "), "{err}");
    err
}

/// Writes `content` to `path` and returns the path.
pub fn write(path: &Path, content: &str) -> PathBuf {
    std::fs::write(path, content).unwrap();
    path.to_path_buf()
}

/// A path as `&str`.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs a search that must find nothing: exit status 3, the reason on stderr; returns the
/// `--json` output (the command's usual shape, empty).
pub fn nothing_found(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = run(&a);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{a:?}: {err}{}",
        text(&out.stdout)
    );
    assert!(
        err.starts_with("pagegraph: ") && err.lines().count() == 1,
        "{err}"
    );
    let plain = run(args);
    assert_eq!(plain.status.code(), Some(3), "{args:?}");
    assert!(plain.stdout.is_empty(), "{args:?}: {}", text(&plain.stdout));
    serde_json::from_slice(&out.stdout).unwrap()
}
