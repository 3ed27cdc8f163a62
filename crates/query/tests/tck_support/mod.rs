#![allow(dead_code, reason = "each TCK test uses part of the reader")]
//! Reading the vendored openCypher TCK feature files into scenarios: each `Examples` row of
//! a `Scenario Outline` is one scenario, with its placeholders filled in; a `Background`'s
//! steps come before each scenario's own.

pub mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A step: its text, and the doc string or table under it.
#[derive(Clone, Debug, Default)]
pub struct Step {
    /// The step line without its keyword's indentation (`When executing query:`).
    pub text: String,
    /// The doc string (`"""` block), if any.
    pub doc: Option<String>,
    /// The table rows, if any (cells trimmed; the first row is the header).
    pub table: Vec<Vec<String>>,
}

/// One scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `folder/File.feature: [n] name [row]`.
    pub id: String,
    /// The folder under `features/`.
    pub folder: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Doc strings of steps whose text contains `what`.
    pub fn docs(&self, what: &str) -> Vec<String> {
        self.steps
            .iter()
            .filter(|s| s.text.contains(what))
            .filter_map(|s| s.doc.clone())
            .collect()
    }

    /// The first step whose text contains `what`.
    pub fn step(&self, what: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.text.contains(what))
    }
}

/// Every `.feature` file under `dir`, sorted.
pub fn feature_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, &mut out);
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read tck dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "feature") {
            out.push(p);
        }
    }
}

/// A Gherkin table row: cells split at `|`, with `\|`, `\\` and `\n` unescaped.
fn table_row(line: &str) -> Vec<String> {
    let t = line.trim();
    let inner = t.strip_prefix('|').unwrap_or(t);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => match chars.next() {
                Some('|') => cur.push('|'),
                Some('n') => cur.push('\n'),
                Some(other) if other != '\\' => {
                    cur.push('\\');
                    cur.push(other);
                }
                // `\\`, or a backslash that ends the line.
                _ => cur.push('\\'),
            },
            '|' => cells.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(ch),
        }
    }
    // Text after the last `|` (a trailing comment or nothing) is not a cell.
    cells
}

fn is_step(l: &str) -> bool {
    ["Given", "When", "Then", "And", "But"]
        .iter()
        .any(|k| l.starts_with(k) && l[k.len()..].starts_with(' '))
}

/// The scenarios of one feature file.
pub fn scenarios(root: &Path, path: &Path) -> Vec<Scenario> {
    let text = std::fs::read_to_string(path).expect("read feature");
    let rel = path.strip_prefix(root).expect("under root");
    let folder = rel
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let file = rel.display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut background: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let is_outline = line.starts_with("Scenario Outline:");
        let is_background = line.starts_with("Background:");
        if !(line.starts_with("Scenario:") || is_outline || is_background) {
            i += 1;
            continue;
        }
        let name = line
            .split_once(':')
            .map_or("", |(_, n)| n.trim())
            .to_string();
        i += 1;
        let mut steps: Vec<Step> = Vec::new();
        let mut examples: Vec<Vec<String>> = Vec::new();
        while i < lines.len() {
            let l = lines[i].trim();
            if l.starts_with("Scenario")
                || l.starts_with("Background:")
                || (l.starts_with('@') && !l.contains(' '))
            {
                break;
            }
            if l == "\"\"\"" {
                let mut doc = Vec::new();
                i += 1;
                while i < lines.len() && lines[i].trim() != "\"\"\"" {
                    doc.push(lines[i]);
                    i += 1;
                }
                // Strip the common indentation.
                let indent = doc
                    .iter()
                    .filter(|d| !d.trim().is_empty())
                    .map(|d| d.len() - d.trim_start().len())
                    .min()
                    .unwrap_or(0);
                let doc: Vec<&str> = doc.iter().map(|d| d.get(indent..).unwrap_or("")).collect();
                if let Some(s) = steps.last_mut() {
                    s.doc = Some(doc.join("\n"));
                }
            } else if l.starts_with("Examples") {
                i += 1;
                while i < lines.len()
                    && (lines[i].trim().starts_with('|') || lines[i].trim().is_empty())
                {
                    if lines[i].trim().starts_with('|') {
                        examples.push(table_row(lines[i]));
                    }
                    i += 1;
                }
                continue;
            } else if l.starts_with('|') {
                if let Some(s) = steps.last_mut() {
                    s.table.push(table_row(l));
                }
            } else if is_step(l) {
                steps.push(Step {
                    text: l.to_string(),
                    ..Step::default()
                });
            }
            i += 1;
        }
        if is_background {
            background = steps;
            continue;
        }
        let rows: Vec<BTreeMap<String, String>> = if is_outline && examples.len() > 1 {
            let head = &examples[0];
            examples[1..]
                .iter()
                .map(|r| head.iter().cloned().zip(r.iter().cloned()).collect())
                .collect()
        } else {
            vec![BTreeMap::new()]
        };
        for (n, row) in rows.iter().enumerate() {
            let fill = |s: &str| {
                let mut s = s.to_string();
                for (k, v) in row {
                    s = s.replace(&format!("<{k}>"), v);
                }
                s
            };
            let all: Vec<Step> = background
                .iter()
                .chain(&steps)
                .map(|s| Step {
                    text: fill(&s.text),
                    doc: s.doc.as_deref().map(fill),
                    table: s
                        .table
                        .iter()
                        .map(|r| r.iter().map(|c| fill(c)).collect())
                        .collect(),
                })
                .collect();
            out.push(Scenario {
                id: if rows.len() > 1 {
                    format!("{file}: {name} [{}]", n + 1)
                } else {
                    format!("{file}: {name}")
                },
                folder: folder.clone(),
                steps: all,
            });
        }
    }
    out
}
