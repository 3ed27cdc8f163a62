//! The storage crate's layering, enforced: every `crate::X` reference in `src/` names a
//! module of the same or an earlier layer (the order documented in `src/lib.rs`), so a
//! lower layer never reaches up into a higher one. Test modules (`#[cfg(test)] mod`) are
//! exempt: a unit test may drive the whole engine.
//!
//! Before the layers were straightened out this test failed with eleven findings, among
//! them
//!
//! ```text
//! cache.rs:20 (layer of `cache`) refers to the later layer of `btree`: use crate::btree::route::Route;
//! txn.rs:686 (layer of `txn`) refers to the later layer of `db`: && let Err(e) = crate::db::checkpoint(&store, &mut self.w)
//! ```
//!
//! (the page cache named the B+Tree's routing table; commit called the facade's checkpoint).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The layers, lowest first, as `src/lib.rs` states them. A module may refer to modules of
/// its own layer and of earlier ones. A new module must be placed here.
const LAYERS: &[&[&str]] = &[
    &["ids", "error"],
    &["file"],
    &["page"],
    &["limits", "options"],
    &["meta"],
    &["wal", "freelist", "cache", "behind", "sorter"],
    &["pager"],
    &["btree", "catalog"],
    &["checkpoint"],
    &["recovery"],
    &["txn", "batch"],
    &["check"],
    &["db", "compact"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to: `btree/node.rs` is `btree`, `cache.rs`
/// is `cache`. `None` for the crate root.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(stem) => Some(stem.to_string()),
        None => Some(first),
    }
}

/// The source lines that are code outside `#[cfg(test)] mod` blocks, with line numbers;
/// comment lines are dropped (doc links such as ``[`crate::Database`]`` are not imports).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            let next_is_mod = lines.peek().is_some_and(|(_, l)| {
                let l = l.trim_start();
                l.starts_with("mod ")
                    || l.starts_with("pub mod ")
                    || l.starts_with("pub(crate) mod ")
            });
            if next_is_mod {
                // Skip the module: up to the brace that closes it.
                let mut depth = 0i64;
                let mut opened = false;
                for (_, l) in lines.by_ref() {
                    for c in l.chars() {
                        match c {
                            '{' => {
                                depth += 1;
                                opened = true;
                            }
                            '}' => depth -= 1,
                            _ => {}
                        }
                    }
                    if opened && depth <= 0 {
                        break;
                    }
                }
                continue;
            }
        }
        if t.starts_with("//") {
            continue;
        }
        out.push((n + 1, line.to_string()));
    }
    out
}

/// The modules a line names through `crate::`: `crate::page::X` gives `page`, and
/// `crate::{page, wal::Wal}` gives `page` and `wal`.
fn referenced_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        // `pub(crate)` and the like are visibility, not paths: `crate::` must not follow an
        // identifier character.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut name = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if at_start && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                        name.push(c);
                    }
                    _ => {
                        if at_start && !name.is_empty() {
                            out.push(std::mem::take(&mut name));
                            at_start = false;
                        }
                    }
                }
            }
            if !name.is_empty() {
                out.push(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

/// All layering violations in the crate's sources, as readable lines.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let Some(module) = module_of(rel) else {
            continue;
        };
        let Some(own) = layer_of(&module) else {
            bad.push(format!(
                "{}: module `{module}` is in no layer of LAYERS",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            for target in referenced_modules(&line) {
                match layer_of(&target) {
                    Some(layer) if layer <= own => {}
                    Some(_) => bad.push(format!(
                        "{}:{n} (layer of `{module}`) refers to the later layer of `{target}`: {}",
                        rel.display(),
                        line.trim()
                    )),
                    None => bad.push(format!(
                        "{}:{n} refers to `crate::{target}`, which is no module of LAYERS \
                         (name the module, not a re-export at the crate root): {}",
                        rel.display(),
                        line.trim()
                    )),
                }
            }
        }
    }
    bad
}

#[test]
fn storage_modules_refer_only_to_their_own_or_earlier_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(
        bad.is_empty(),
        "imports against the layer order of src/lib.rs:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scanner_sees_paths_groups_and_skips_test_modules() {
    assert_eq!(
        referenced_modules("use crate::page::{self, PageBuf};"),
        ["page"]
    );
    assert_eq!(
        referenced_modules("use crate::{wal::Wal, page::{self, X}, ids};"),
        ["wal", "page", "ids"]
    );
    assert!(referenced_modules("pub(crate) fn f() {}").is_empty());
    assert_eq!(
        referenced_modules("let x = crate::freelist::is_fixed_page(a, b);"),
        ["freelist"]
    );
    let text = "use crate::page;\n/// [`crate::db`]\n#[cfg(test)]\nmod tests {\n    use crate::db;\n}\nuse crate::ids;\n";
    let lines: Vec<String> = code_lines(text).into_iter().map(|(_, l)| l).collect();
    assert_eq!(lines, ["use crate::page;", "use crate::ids;"]);
}

#[test]
fn every_layer_is_named_in_the_lib_doc_in_order() {
    // The doc line in lib.rs is the stated order; it must list the same modules as LAYERS,
    // in the same order, so the statement and the check cannot drift apart.
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let start = lib
        .find("//! Layers")
        .expect("a `//! Layers` paragraph in lib.rs");
    let para: String = lib[start..]
        .lines()
        .take_while(|l| l.starts_with("//!") && l.trim() != "//!")
        .collect::<Vec<_>>()
        .join(" ");
    // The order is the sentence after the first colon: `a`, `b` → `c` → ... .
    let order = para
        .split_once(": ")
        .and_then(|(_, rest)| rest.split_once(". "))
        .map(|(order, _)| order)
        .expect("`Layers ...: order. ` in lib.rs");
    let stated: Vec<&str> = order.split('`').skip(1).step_by(2).collect();
    let expected: Vec<&str> = LAYERS.iter().flat_map(|l| l.iter().copied()).collect();
    assert_eq!(stated, expected, "the lib.rs layer line and LAYERS differ");
}
