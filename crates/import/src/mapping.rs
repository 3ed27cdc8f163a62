//! A mapping file: a whole labelled dataset described in TOML, so that one
//! `pagegraph import DB --mapping FILE` loads it from its files as they are.
//!
//! ```toml
//! # Defaults for every file (each may be overridden per group).
//! delimiter = "|"          # one ASCII character; "\t" for tabs
//! quote = '"'              # "" reads quotes as ordinary text
//! escape = ""              # e.g. '\'; "" escapes a quote by doubling it
//! array_delimiter = ";"
//! create_missing = true    # endpoints no node has become nodes with only their key
//! id_property = "id"       # the key property of spaces whose :ID column names none
//!
//! [[nodes]]
//! label = "Person"         # optional: default, the :ID column's space
//! files = ["Person.csv"]
//!
//! [[edges]]
//! type = "knows"           # optional when the files have a :TYPE column
//! files = ["Person_knows_Person.csv"]
//!
//! [[edges]]
//! type = "likes"
//! files = ["Person_likes_Post_1.csv"]
//! header = ":START_ID(Person)|:END_ID(Post)|creationDate:LONG"   # no header row
//!
//! [spaces.Post]            # optional: how a space maps to the graph
//! label = "Post"           # the label its nodes carry (default: the space's name)
//! key = "id"               # the key property when the :ID column names none
//! ```
//!
//! Relative file paths are relative to the data directory: the one given with
//! `--data-dir`, else the mapping file's own directory. Unknown keys are errors (a
//! misspelt option is never silently ignored).

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::error::{ImportError, Result};
use crate::header::Element;
use crate::labelled::{CsvFiles, CsvImport, SpaceSpec};
use crate::parse::CsvDialect;

/// A parsed mapping file.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    /// The files and id spaces to import.
    pub import: CsvImport,
    /// Whether missing endpoints create nodes (`create_missing = true`).
    pub create_missing: bool,
    /// The key property of spaces whose `:ID` column names none (`id_property`).
    pub id_property: Option<String>,
}

/// The dialect keys, allowed at the top and in each group.
const DIALECT_KEYS: &[&str] = &["delimiter", "quote", "escape", "array_delimiter"];

impl Mapping {
    /// Reads the mapping file at `path`; relative file paths resolve against `data_dir`,
    /// else the mapping file's directory.
    pub fn load(path: &Path, data_dir: Option<&Path>) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
            context: format!("{}: cannot read the mapping file", path.display()),
            source,
        })?;
        let base = match data_dir {
            Some(d) => d.to_path_buf(),
            None => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        Mapping::parse(&text, &base).map_err(|reason| ImportError::file(path, reason))
    }

    /// Parses a mapping's text; relative file paths resolve against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Mapping, String> {
        let table: Table = text.parse().map_err(|e: toml::de::Error| {
            format!("not a valid TOML mapping: {}", e.to_string().trim())
        })?;
        let mut allowed = vec!["nodes", "edges", "spaces", "create_missing", "id_property"];
        allowed.extend_from_slice(DIALECT_KEYS);
        unknown_keys(&table, &allowed, "the mapping")?;
        let dialect = dialect(&table, CsvDialect::default(), "the mapping")?;
        let mut mapping = Mapping {
            create_missing: opt_bool(&table, "create_missing", "the mapping")?.unwrap_or(false),
            id_property: opt_str(&table, "id_property", "the mapping")?.map(str::to_string),
            ..Mapping::default()
        };
        for (key, element, label_key) in [
            ("nodes", Element::Nodes, "label"),
            ("edges", Element::Edges, "type"),
        ] {
            let groups = match table.get(key) {
                None => continue,
                Some(Value::Array(a)) => a,
                Some(_) => return Err(format!("{key} must be an array of tables ([[{key}]])")),
            };
            for (i, g) in groups.iter().enumerate() {
                let at = format!("{key}[{}]", i + 1);
                let Value::Table(g) = g else {
                    return Err(format!("{at} must be a table"));
                };
                let mut allowed = vec!["files", "header", label_key];
                allowed.extend_from_slice(DIALECT_KEYS);
                unknown_keys(g, &allowed, &at)?;
                let files = match g.get("files") {
                    Some(Value::Array(files)) if !files.is_empty() => files
                        .iter()
                        .map(|f| match f {
                            Value::String(s) => Ok(base.join(s)),
                            _ => Err(format!("{at}: files must be strings")),
                        })
                        .collect::<Result<Vec<PathBuf>, String>>()?,
                    Some(Value::String(s)) => vec![base.join(s)],
                    _ => return Err(format!("{at}: files must be a non-empty array of paths")),
                };
                mapping.import.sources.push(CsvFiles {
                    element,
                    files,
                    label: opt_str(g, label_key, &at)?.map(str::to_string),
                    header: opt_str(g, "header", &at)?.map(str::to_string),
                    dialect: self::dialect(g, dialect, &at)?,
                });
            }
        }
        if let Some(spaces) = table.get("spaces") {
            let Value::Table(spaces) = spaces else {
                return Err("spaces must be a table of tables ([spaces.NAME])".into());
            };
            for (name, spec) in spaces {
                let at = format!("spaces.{name}");
                let Value::Table(spec) = spec else {
                    return Err(format!("{at} must be a table"));
                };
                unknown_keys(spec, &["label", "key"], &at)?;
                mapping.import.spaces.push(SpaceSpec {
                    name: name.clone(),
                    label: opt_str(spec, "label", &at)?.map(str::to_string),
                    key: opt_str(spec, "key", &at)?.map(str::to_string),
                });
            }
        }
        if mapping.import.sources.is_empty() {
            return Err("the mapping lists no [[nodes]] or [[edges]] files".into());
        }
        Ok(mapping)
    }
}

fn unknown_keys(t: &Table, allowed: &[&str], at: &str) -> Result<(), String> {
    match t.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{at}: unknown key {k:?} (known: {})",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

fn opt_str<'t>(t: &'t Table, key: &str, at: &str) -> Result<Option<&'t str>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{at}: {key} must be a string")),
    }
}

fn opt_bool(t: &Table, key: &str, at: &str) -> Result<Option<bool>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("{at}: {key} must be true or false")),
    }
}

/// The character `key` sets (one ASCII character, or none for `""` when `may_be_empty`),
/// or `current` when `t` does not set it.
fn byte(
    t: &Table,
    key: &str,
    at: &str,
    current: Option<u8>,
    may_be_empty: bool,
) -> Result<Option<u8>, String> {
    let Some(s) = opt_str(t, key, at)? else {
        return Ok(current);
    };
    match s.as_bytes() {
        [] if may_be_empty => Ok(None),
        [b] if b.is_ascii() && *b != b'\n' && *b != b'\r' => Ok(Some(*b)),
        _ => Err(format!(
            "{at}: {key} must be one ASCII character other than a line end{}",
            if may_be_empty {
                ", or \"\" for none"
            } else {
                ""
            }
        )),
    }
}

/// `base` with the dialect keys of `t` applied.
fn dialect(t: &Table, base: CsvDialect, at: &str) -> Result<CsvDialect, String> {
    let mut d = base;
    d.delimiter = byte(t, "delimiter", at, Some(d.delimiter), false)?.unwrap_or(d.delimiter);
    d.quote = byte(t, "quote", at, d.quote, true)?;
    d.escape = byte(t, "escape", at, d.escape, true)?;
    if let Some(s) = opt_str(t, "array_delimiter", at)? {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => d.array_delimiter = c,
            _ => return Err(format!("{at}: array_delimiter must be one character")),
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_mapping_names_files_labels_and_dialects() {
        let m = Mapping::parse(
            r#"
            delimiter = "|"
            create_missing = true
            [[nodes]]
            files = ["P.csv"]
            label = "Person"
            [[edges]]
            type = "knows"
            files = ["k.csv", "k_1.csv.gz"]
            header = ":START_ID(P)|:END_ID(P)"
            quote = ""
            escape = "\\"
            array_delimiter = ","
            [spaces.P]
            label = "Person"
            "#,
            Path::new("data"),
        )
        .unwrap();
        assert!(m.create_missing);
        let [n, e] = m.import.sources.as_slice() else {
            panic!("two groups")
        };
        assert_eq!(n.files, [Path::new("data/P.csv")]);
        assert_eq!(
            (n.element, n.label.as_deref(), n.dialect.delimiter),
            (Element::Nodes, Some("Person"), b'|')
        );
        assert_eq!(e.files.len(), 2);
        assert_eq!(e.label.as_deref(), Some("knows"));
        assert_eq!(e.header.as_deref(), Some(":START_ID(P)|:END_ID(P)"));
        assert_eq!(
            (
                e.dialect.delimiter,
                e.dialect.quote,
                e.dialect.escape,
                e.dialect.array_delimiter
            ),
            (b'|', None, Some(b'\\'), ',')
        );
        assert_eq!(m.import.spaces[0].label.as_deref(), Some("Person"));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| Mapping::parse(text, Path::new(".")).unwrap_err();
        assert!(
            err("[[nodes]]\nfiles = [\"a\"]\nlable = \"X\"")
                .contains("nodes[1]: unknown key \"lable\"")
        );
        assert!(
            err("delimiter = \"||\"\n[[nodes]]\nfiles = [\"a\"]")
                .contains("delimiter must be one ASCII character")
        );
        assert!(err("[[edges]]\nfiles = []").contains("edges[1]: files must be a non-empty array"));
        assert!(
            err("create_missing = 1\n[[nodes]]\nfiles = [\"a\"]")
                .contains("create_missing must be true or false")
        );
        assert!(err("").contains("no [[nodes]] or [[edges]]"));
        assert!(err("[[nodes]\n").contains("not a valid TOML mapping"));
    }
}
