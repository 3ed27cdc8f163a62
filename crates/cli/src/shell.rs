//! `pagegraph shell`: an interactive Cypher shell. Statements end with `;` and may span
//! lines; lines starting with `:` are shell commands (`:help` lists them). On a terminal it
//! edits lines with history kept in a file and Tab completion, and fits tables to the
//! terminal's width; Ctrl-C cancels the running statement (or the unfinished one being
//! typed) and Ctrl-D leaves. Fed by a pipe, it reads the statements from stdin without
//! prompts and exits non-zero if any failed.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::{Args, ValueEnum};
use pagegraph::Graph;
use pagegraph_query::eval::GraphRead;
use pagegraph_query::{Cancel, QueryError, QueryResult, QueryStats, StatementCache, Value};

use crate::cypher;

/// Arguments of `pagegraph shell`.
#[derive(Args)]
pub struct ShellArgs {
    /// The database (created if it does not exist, unless --read-only).
    pub db: PathBuf,
    /// Open the database read-only: statements that write fail, and other processes may
    /// read it meanwhile.
    #[arg(long)]
    pub read_only: bool,
    /// How results print at first (`:mode` changes it).
    #[arg(long, value_enum, default_value_t = Mode::Table)]
    pub mode: Mode,
    /// The most memory each statement may hold in rows it sorts, groups, deduplicates or
    /// returns (bytes, or with a K, M or G suffix); past it the statement fails with an
    /// error naming the limit. Default: half of the machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = crate::parse_size)]
    pub memory_limit: Option<usize>,
}

/// How results print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// An aligned table, fitted to the terminal's width.
    Table,
    /// CSV: a header, then one record per row.
    Csv,
    /// One JSON document per statement: `{"columns", "rows", "stats"}`.
    Json,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Table => "table",
            Mode::Csv => "csv",
            Mode::Json => "json",
        }
    }
}

const PROMPT: &str = "pagegraph> ";
const CONTINUATION: &str = "       ..> ";

/// The file history is kept in, unless `PAGEGRAPH_HISTORY` names another (empty: none).
const HISTORY_FILE: &str = ".pagegraph_history";

/// Entries of history kept.
const HISTORY_MAX: usize = 1000;

const HELP: &str = "\
Statements end with `;` and may span several lines; each runs in its own transaction
(a statement that writes commits when it succeeds). Ctrl-C cancels a running statement
or drops an unfinished one; Ctrl-D or :quit leaves. Tab completes commands, keywords,
labels, relationship types and indexed property keys.

  :help                  this text
  :schema                labels (with node counts), relationship types (with counts),
                         property keys and indexes
  :mode table|csv|json   how results print (now: {mode})
  :timing on|off         print each statement's time (now: {timing})
  :param NAME VALUE      set $NAME for the statements that follow: VALUE is a Cypher
                         literal (42, 'Ann', [1, 2], {k: 'v'}), else JSON, else text
  :param NAME            unset $NAME
  :params                list the parameters
  :quit                  leave (also :exit, Ctrl-D)

Examples:
  MATCH (p:Person)-[:KNOWS]->(f)
    WHERE p.name = $name
    RETURN f.name ORDER BY f.name LIMIT 10;
  EXPLAIN MATCH (p:Person {name: 'Ann'}) RETURN p;
  PROFILE MATCH (p:Person) RETURN count(*);
  CREATE INDEX person_name FOR (p:Person) ON (p.name);";

/// Runs the shell on an open database: interactive when stdin is a terminal, else over the
/// statements stdin holds. Exit status 1 when a statement or command read from a pipe
/// failed.
pub fn run(a: &ShellArgs, json_out: bool, graph: Graph) -> Result<ExitCode> {
    let mut session = Session {
        graph: &graph,
        db: &a.db,
        cache: StatementCache::default(),
        params: BTreeMap::new(),
        mode: if json_out { Mode::Json } else { a.mode },
        timing: false,
        interactive: std::io::stdin().is_terminal(),
        running: Arc::new(Mutex::new(None)),
        failures: 0,
        memory_limit: a.memory_limit,
    };
    if session.interactive {
        interactive(&mut session, a.read_only)?;
    } else {
        piped(&mut session)?;
    }
    let failed = session.failures > 0 && !session.interactive;
    drop(session);
    graph.close()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads statements and commands from stdin, no prompts, to its end or `:quit`.
fn piped(session: &mut Session) -> Result<()> {
    let mut splitter = Splitter::default();
    let stdin = std::io::stdin().lock();
    for (n, line) in stdin.lines().enumerate() {
        if session.feed(&mut splitter, &line?, n + 1)? == Flow::Quit {
            return Ok(());
        }
    }
    if let Some((text, line)) = splitter.take() {
        session.statement(&text, line)?;
    }
    Ok(())
}

/// The line editor over a terminal, with history.
fn interactive(session: &mut Session, read_only: bool) -> Result<()> {
    use rustyline::error::ReadlineError;
    let config = rustyline::Config::builder()
        .max_history_size(HISTORY_MAX)?
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        .build();
    let mut editor =
        rustyline::Editor::<Completion, rustyline::history::DefaultHistory>::with_config(config)?;
    editor.set_helper(Some(Completion {
        names: names(session.graph),
    }));
    let history = history_path();
    if let Some(h) = &history {
        // A missing or unreadable history starts empty.
        let _ = editor.load_history(h);
    }
    watch_interrupts(&session.running);
    println!(
        "pagegraph shell on {}{}: statements end with `;`, :help for help, :quit to leave.",
        session.db.display(),
        if read_only { " (read-only)" } else { "" }
    );
    let mut splitter = Splitter::default();
    // The lines of the entry being typed, saved to history as one when it is complete.
    let mut entry: Vec<String> = Vec::new();
    let mut line_no = 0;
    loop {
        let prompt = if splitter.pending() {
            CONTINUATION
        } else {
            PROMPT
        };
        match editor.readline(prompt) {
            Ok(line) => {
                line_no += 1;
                entry.push(line.clone());
                let flow = session.feed(&mut splitter, &line, line_no)?;
                if let Some(h) = editor.helper_mut() {
                    h.names = names(session.graph);
                }
                if !splitter.pending() {
                    let text = entry.join("\n");
                    if !text.trim().is_empty() {
                        let _ = editor.add_history_entry(text);
                    }
                    entry.clear();
                }
                if flow == Flow::Quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                if splitter.pending() {
                    splitter.clear();
                    entry.clear();
                } else {
                    eprintln!("(:quit or Ctrl-D to leave)");
                }
            }
            Err(ReadlineError::Eof) => {
                if let Some((text, line)) = splitter.take() {
                    session.statement(&text, line)?;
                }
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(h) = &history {
        // History is a convenience: failing to save it is not an error of the session.
        let _ = editor.save_history(h);
    }
    Ok(())
}

/// Words Tab completes besides the commands and keywords: the database's labels (each
/// node's first), relationship types and indexed property keys, read from its counts and
/// catalog (no scan). None when they cannot be read.
fn names(g: &Graph) -> Vec<String> {
    let Ok(r) = g.begin_read() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    out.extend(r.kinds().unwrap_or_default().into_iter().map(|(k, _)| k));
    out.extend(
        r.edge_types()
            .unwrap_or_default()
            .into_iter()
            .map(|(t, _)| t),
    );
    for i in r.indexes().unwrap_or_default() {
        out.extend(i.properties);
    }
    out.sort();
    out.dedup();
    out
}

/// The shell's commands, for Tab.
const COMMANDS: [&str; 8] = [
    ":help", ":schema", ":mode", ":timing", ":param", ":params", ":quit", ":exit",
];

/// Cypher's keywords, for Tab.
const KEYWORDS: [&str; 54] = [
    "ALL",
    "AND",
    "AS",
    "ASC",
    "ASCENDING",
    "BY",
    "CALL",
    "CASE",
    "CONSTRAINT",
    "CONTAINS",
    "CREATE",
    "DELETE",
    "DESC",
    "DESCENDING",
    "DETACH",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "ENDS",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FOR",
    "IF",
    "IN",
    "INDEX",
    "IS",
    "LIMIT",
    "MATCH",
    "MERGE",
    "NOT",
    "NULL",
    "ON",
    "OPTIONAL",
    "OR",
    "ORDER",
    "PROFILE",
    "REMOVE",
    "REQUIRE",
    "RETURN",
    "SET",
    "SKIP",
    "STARTS",
    "THEN",
    "TRUE",
    "UNION",
    "UNIQUE",
    "UNWIND",
    "WHEN",
    "WHERE",
    "WITH",
    "XOR",
    "YIELD",
];

/// Tab completion in the line editor.
struct Completion {
    names: Vec<String>,
}

impl rustyline::completion::Completer for Completion {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(completions(line.get(..pos).unwrap_or(line), &self.names))
    }
}

impl rustyline::hint::Hinter for Completion {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for Completion {}
impl rustyline::validate::Validator for Completion {}
impl rustyline::Helper for Completion {}

/// What completes the end of `before` (the line up to the cursor): where the word starts,
/// and the candidates. A `:` command at the start of a line; else a keyword (in the case
/// the word is typed in: `ret` gives `return`, `RET` and `Ret` give `RETURN`) or one of
/// `names`.
fn completions(before: &str, names: &[String]) -> (usize, Vec<String>) {
    let trimmed = before.trim_start();
    if trimmed.starts_with(':') && !trimmed.contains(char::is_whitespace) {
        let start = before.len() - trimmed.len();
        let found = COMMANDS
            .iter()
            .filter(|c| c.starts_with(trimmed))
            .map(|c| (*c).to_string())
            .collect();
        return (start, found);
    }
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let word = &before[start..];
    if word.is_empty() {
        return (start, Vec::new());
    }
    let lower = word.chars().all(|c| !c.is_uppercase());
    let upper_word = word.to_uppercase();
    let mut found: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with(word) && n.as_str() != word)
        .cloned()
        .collect();
    found.extend(
        KEYWORDS
            .iter()
            .filter(|k| k.starts_with(&upper_word) && **k != upper_word)
            .map(|k| {
                if lower {
                    k.to_lowercase()
                } else {
                    (*k).to_string()
                }
            }),
    );
    (start, found)
}

/// Where history is kept: `PAGEGRAPH_HISTORY` when set (empty for none), else
/// `~/.pagegraph_history`, else nowhere.
fn history_path() -> Option<PathBuf> {
    match std::env::var_os("PAGEGRAPH_HISTORY") {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| Path::new(&h).join(HISTORY_FILE)),
    }
}

/// Ctrl-C while a statement runs cancels it. While the line editor reads, the terminal is
/// in raw mode and Ctrl-C reaches the editor as a key instead.
fn watch_interrupts(running: &Arc<Mutex<Option<Cancel>>>) {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT]) else {
        // Without the handler, Ctrl-C ends the shell as it ends any program.
        return;
    };
    let running = Arc::clone(running);
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if let Some(c) = running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
            {
                c.cancel();
            }
        }
    });
}

/// Whether the shell goes on after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// The state of a shell: the database, cached statements, parameters and settings.
struct Session<'a> {
    graph: &'a Graph,
    db: &'a Path,
    cache: StatementCache,
    params: BTreeMap<String, Value>,
    mode: Mode,
    timing: bool,
    interactive: bool,
    /// The running statement's handle, for Ctrl-C.
    running: Arc<Mutex<Option<Cancel>>>,
    /// Statements and commands that failed.
    failures: usize,
    /// Each statement's memory limit (`None`: the default).
    memory_limit: Option<usize>,
}

/// What a statement printed, made in its transaction (nodes it returns are read there).
struct Rendered {
    stats: QueryStats,
    output: Result<Vec<u8>>,
}

impl Session<'_> {
    /// Handles one input line: a command when no statement is unfinished and it starts
    /// with `:`, else more statement text (running each statement it completes).
    fn feed(&mut self, splitter: &mut Splitter, line: &str, line_no: usize) -> Result<Flow> {
        if !splitter.pending() && line.trim_start().starts_with(':') {
            return self.command(line.trim(), line_no);
        }
        for (text, start) in splitter.push(line, line_no) {
            self.statement(&text, start)?;
        }
        Ok(Flow::Continue)
    }

    /// Runs one statement in its own transaction and prints its result, or its error.
    /// Fails only when the output cannot be written.
    fn statement(&mut self, text: &str, line_no: usize) -> Result<()> {
        let started = Instant::now();
        let mode = self.mode;
        let result = self.execute(text, &self.params, |q, g| {
            Ok(Rendered {
                stats: q.stats,
                output: render(&q, g, mode),
            })
        });
        let elapsed = started.elapsed();
        match result {
            Ok(Rendered { stats, output }) => match output {
                Ok(bytes) => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)?;
                    out.flush()?;
                    let summary = cypher::stats_text(&stats);
                    if !summary.is_empty() {
                        eprintln!("{summary}");
                    }
                }
                Err(e) => self.fail(&e, line_no),
            },
            Err(e) => self.fail(&query_error(e), line_no),
        }
        if self.timing {
            eprintln!("time: {}", duration_text(elapsed));
        }
        Ok(())
    }

    /// Runs `text` (parsed once, then from the cache) as
    /// [`pagegraph_query::execute_prepared`] does, where Ctrl-C can cancel it, and hands its
    /// result to `finish` in the transaction it ran in.
    fn execute<T>(
        &self,
        text: &str,
        params: &BTreeMap<String, Value>,
        finish: impl FnOnce(QueryResult, &dyn GraphRead) -> pagegraph_query::Result<T>,
    ) -> pagegraph_query::Result<T> {
        let statement = self.cache.prepare(text)?;
        let cancel = Cancel::new();
        self.set_running(Some(cancel.clone()));
        let options = pagegraph_query::QueryOptions {
            cancel: Some(cancel),
            memory_limit: self.memory_limit,
            columnar: false,
            ..Default::default()
        };
        let r = pagegraph_query::execute_prepared(self.graph, &statement, params, &options, finish);
        self.set_running(None);
        r
    }

    fn set_running(&self, cancel: Option<Cancel>) {
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = cancel;
    }

    /// Prints an error and counts it.
    fn fail(&mut self, e: &anyhow::Error, line_no: usize) {
        self.failures += 1;
        let msg = match e.downcast_ref::<cypher::Multiline>() {
            Some(m) => m.to_string(),
            None => crate::one_line(e, Some(self.db)),
        };
        if self.interactive {
            eprintln!("error: {msg}");
        } else {
            eprintln!("pagegraph: line {line_no}: {msg}");
        }
    }

    /// Runs a `:` command.
    fn command(&mut self, line: &str, line_no: usize) -> Result<Flow> {
        let mut words = line.splitn(3, char::is_whitespace);
        let name = words.next().unwrap_or_default();
        let arg = words.next().unwrap_or_default();
        let rest = words.next().unwrap_or_default().trim();
        let outcome: Result<Option<String>> = match (name, arg) {
            (":quit" | ":exit" | ":q", "") => return Ok(Flow::Quit),
            (":help" | ":h" | ":?", "") => Ok(Some(
                HELP.replace("{mode}", self.mode.name())
                    .replace("{timing}", if self.timing { "on" } else { "off" }),
            )),
            (":schema", "") => self.schema().map(Some),
            (":timing", "on") => {
                self.timing = true;
                Ok(None)
            }
            (":timing", "off") => {
                self.timing = false;
                Ok(None)
            }
            (":timing", "") => Ok(Some(format!(
                "timing is {}",
                if self.timing { "on" } else { "off" }
            ))),
            (":mode", "") => Ok(Some(format!("mode is {}", self.mode.name()))),
            (":mode", m) if rest.is_empty() => match Mode::from_str(m, true) {
                Ok(m) => {
                    self.mode = m;
                    Ok(None)
                }
                Err(_) => Err(anyhow::anyhow!(
                    "unknown mode `{m}`: use table, csv or json"
                )),
            },
            (":param", "") => Err(anyhow::anyhow!(
                "usage: :param NAME VALUE (or :param NAME to unset)"
            )),
            (":param", p) => {
                let p = p.strip_prefix('$').unwrap_or(p);
                if rest.is_empty() {
                    self.params.remove(p);
                    Ok(None)
                } else {
                    param_value(rest)
                        .map(|v| {
                            self.params.insert(p.to_string(), v);
                            None
                        })
                        .map_err(|e| e.context(format!(":param {p}")))
                }
            }
            (":params", "") => Ok(Some(self.params_text())),
            _ => Err(anyhow::anyhow!(
                "unknown command or arguments `{line}` (:help lists the commands)"
            )),
        };
        match outcome {
            Ok(Some(text)) => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{text}")?;
                out.flush()?;
            }
            Ok(None) => {}
            Err(e) => self.fail(&e, line_no),
        }
        Ok(Flow::Continue)
    }

    fn params_text(&self) -> String {
        if self.params.is_empty() {
            return "no parameters".into();
        }
        let none = pagegraph_query::eval::NoGraph;
        self.params
            .iter()
            .map(|(k, v)| format!("${k} = {}", cypher::to_text(v, &none)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A `:param` value: a Cypher expression that needs no graph (`42`, `'Ann'`, `[1, 2]`,
/// `{k: 'v'}`), else JSON, else the text itself as a string.
fn param_value(raw: &str) -> Result<Value> {
    let text = format!("RETURN {raw} AS value");
    if !raw.contains(';')
        && let Ok(r) =
            pagegraph_query::run(&text, &BTreeMap::new(), &pagegraph_query::eval::NoGraph)
        && let [row] = r.rows.as_slice()
        && let [v] = row.as_slice()
    {
        return Ok(v.clone());
    }
    cypher::param_value(raw)
}

/// A query error as the shell prints it: a syntax error keeps its lines and caret.
fn query_error(e: QueryError) -> anyhow::Error {
    match e {
        QueryError::Syntax(s) => cypher::Multiline(s.to_string()).into(),
        other => other.into(),
    }
}

/// A result in the chosen mode.
fn render(q: &QueryResult, g: &dyn GraphRead, mode: Mode) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match mode {
        Mode::Table => cypher::write_table(&mut out, q, g, terminal_width())?,
        Mode::Csv => {
            if !q.columns.is_empty() {
                cypher::write_csv(&mut out, q, g)?;
            }
        }
        Mode::Json => {
            serde_json::to_writer_pretty(&mut out, &cypher::result_json(q, g))?;
            out.push(b'\n');
        }
    }
    Ok(out)
}

/// The width tables fit: the terminal's when stdout is one, else `COLUMNS` when set.
fn terminal_width() -> Option<usize> {
    if let Some((_, cols)) = console::Term::stdout().size_checked() {
        return Some(usize::from(cols));
    }
    std::env::var("COLUMNS")
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|w| *w > 0)
}

fn duration_text(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1000.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{:.3} s", ms / 1e3)
    }
}

impl Session<'_> {
    /// `:schema`: labels with their node counts, relationship types with their counts,
    /// property keys and indexes.
    fn schema(&self) -> Result<String> {
        let none = BTreeMap::new();
        let labels = self
            .execute(
                "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS nodes ORDER BY label",
                &none,
                |q, _| Ok(q),
            )
            .map_err(query_error)?;
        let keys = self
            .execute(
                "CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey ORDER BY propertyKey",
                &none,
                |q, _| Ok(q),
            )
            .map_err(query_error)?;
        let r = self.graph.begin_read()?;
        let types: Vec<(String, u64)> = r
            .edge_types()?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        let indexes = r.indexes()?;
        drop(r);
        Ok(schema_text(&labels, &keys, types, &indexes))
    }
}

/// The text of `:schema`.
fn schema_text(
    labels: &QueryResult,
    keys: &QueryResult,
    types: Vec<(String, u64)>,
    indexes: &[pagegraph::IndexInfo],
) -> String {
    let labels: Vec<(String, String)> = labels
        .rows
        .iter()
        .filter_map(|row| match row.as_slice() {
            [Value::String(l), Value::Int(n)] => Some((l.clone(), n.to_string())),
            _ => None,
        })
        .collect();
    let mut t = String::new();
    section(&mut t, "labels", &labels, "nodes");
    let types: Vec<(String, String)> = types
        .into_iter()
        .map(|(ty, n)| (ty, n.to_string()))
        .collect();
    section(&mut t, "relationship types", &types, "relationships");
    let keys: Vec<String> = keys
        .rows
        .iter()
        .filter_map(|row| match row.as_slice() {
            [Value::String(k)] => Some(k.clone()),
            _ => None,
        })
        .collect();
    t.push_str(&format!("property keys ({})\n", keys.len()));
    if !keys.is_empty() {
        t.push_str(&format!("  {}\n", keys.join(", ")));
    }
    t.push_str(&format!("indexes ({})\n", indexes.len()));
    if !indexes.is_empty() {
        for line in crate::index::table(indexes).lines() {
            t.push_str(&format!("  {line}\n"));
        }
    }
    t.trim_end().to_string()
}

/// A titled list of names with counts, aligned.
fn section(t: &mut String, title: &str, items: &[(String, String)], unit: &str) {
    t.push_str(&format!("{title} ({})\n", items.len()));
    let name_w = items
        .iter()
        .map(|(n, _)| console::measure_text_width(n))
        .max()
        .unwrap_or(0);
    let count_w = items.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
    for (name, count) in items {
        let pad = name_w - console::measure_text_width(name);
        let unit = if count == "1" {
            unit.strip_suffix('s').unwrap_or(unit)
        } else {
            unit
        };
        t.push_str(&format!(
            "  {name}{}  {count:>count_w$} {unit}\n",
            " ".repeat(pad)
        ));
    }
}

/// Cuts input into statements at each `;` that stands outside strings, backquoted names and
/// comments; keeps the unfinished rest for the next line.
#[derive(Default)]
struct Splitter {
    /// Text not yet cut into a statement.
    buf: String,
    /// The input line `buf` starts on.
    first_line: usize,
}

/// Where a scan of statement text stands at its end, and the statements it cut.
struct Scan {
    /// Each complete statement: its first significant byte and the byte of its `;`, for
    /// those with more than whitespace and comments.
    statements: Vec<(usize, usize)>,
    /// Where the text after the last `;` starts.
    rest: usize,
    /// The first significant byte after the last `;`, if any.
    rest_start: Option<usize>,
    /// Whether the text ends inside a string, name or block comment.
    open: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lex {
    Code,
    /// In a string or backquoted name closed by this character.
    Quoted(u8),
    /// Just after a backslash in a string.
    Escape(u8),
    LineComment,
    BlockComment,
}

fn scan(text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut out = Scan {
        statements: Vec::new(),
        rest: 0,
        rest_start: None,
        open: false,
    };
    let mut state = Lex::Code;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match state {
            Lex::Code => match c {
                b';' => {
                    if let Some(start) = out.rest_start.take() {
                        out.statements.push((start, i));
                    }
                    out.rest = i + 1;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    state = Lex::LineComment;
                    i += 1;
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    state = Lex::BlockComment;
                    i += 1;
                }
                c if c.is_ascii_whitespace() => {}
                c => {
                    out.rest_start.get_or_insert(i);
                    if matches!(c, b'\'' | b'"' | b'`') {
                        state = Lex::Quoted(c);
                    }
                }
            },
            Lex::Quoted(q) => {
                if c == q {
                    state = Lex::Code;
                } else if c == b'\\' && q != b'`' {
                    state = Lex::Escape(q);
                }
            }
            Lex::Escape(q) => state = Lex::Quoted(q),
            Lex::LineComment => {
                if c == b'\n' {
                    state = Lex::Code;
                }
            }
            Lex::BlockComment => {
                if c == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    state = Lex::Code;
                    i += 1;
                }
            }
        }
        i += 1;
    }
    out.open = matches!(state, Lex::Quoted(_) | Lex::Escape(_) | Lex::BlockComment);
    out
}

impl Splitter {
    /// Adds a line (number `line_no`); returns the statements it completed, each with the
    /// line it starts on, without their `;`.
    fn push(&mut self, line: &str, line_no: usize) -> Vec<(String, usize)> {
        if self.buf.is_empty() {
            self.first_line = line_no;
        }
        self.buf.push_str(line);
        self.buf.push('\n');
        let s = scan(&self.buf);
        let line_of = |at: usize| self.first_line + self.buf[..at].matches('\n').count();
        let out = s
            .statements
            .iter()
            .map(|&(start, end)| (self.buf[start..end].to_string(), line_of(start)))
            .collect();
        if s.rest_start.is_some() || s.open {
            let consumed = line_of(s.rest) - self.first_line;
            self.buf.drain(..s.rest);
            self.first_line += consumed;
        } else {
            self.buf.clear();
        }
        out
    }

    /// Whether an unfinished statement waits for more lines.
    fn pending(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Drops the unfinished statement.
    fn clear(&mut self) {
        self.buf.clear();
    }

    /// The unfinished statement, if it has more than whitespace and comments, with the
    /// line it starts on (at the end of input, it runs without its `;`).
    fn take(&mut self) -> Option<(String, usize)> {
        let text = std::mem::take(&mut self.buf);
        let s = scan(&text);
        let start = s.rest_start?;
        let line = self.first_line + text[..start].matches('\n').count();
        Some((text[start..].trim_end().to_string(), line))
    }
}

#[cfg(test)]
mod tests {
    use super::{Splitter, completions};

    #[test]
    fn tab_completes_commands_keywords_and_names() {
        let names = vec![
            "Person".to_string(),
            "PLAYS".to_string(),
            "name".to_string(),
        ];
        assert_eq!(completions(":sc", &names), (0, vec![":schema".to_string()]));
        assert_eq!(completions("  :par", &names).1, [":param", ":params"]);
        assert_eq!(
            completions("MATCH (p:Pe", &names),
            (9, vec!["Person".to_string()])
        );
        assert_eq!(
            completions("match (p) ret", &names),
            (10, vec!["return".to_string()])
        );
        assert_eq!(completions("MATCH (p) RET", &names).1, ["RETURN"]);
        assert_eq!(
            completions("MATCH (p:P", &names).1,
            ["Person", "PLAYS", "PROFILE"]
        );
        assert_eq!(
            completions("RETURN p.na", &names),
            (9, vec!["name".to_string()])
        );
        assert!(completions("RETURN ", &names).1.is_empty());
        assert!(completions("RETURN name", &names).1.is_empty());
    }

    fn texts(v: Vec<(String, usize)>) -> Vec<String> {
        v.into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn statements_end_at_semicolons_outside_strings_names_and_comments() {
        let mut s = Splitter::default();
        assert!(texts(s.push("MATCH (n)", 1)).is_empty());
        assert!(s.pending());
        assert_eq!(
            s.push("RETURN n; RETURN 'a;b' AS `x;y`; // c;", 2),
            vec![
                ("MATCH (n)\nRETURN n".to_string(), 1),
                ("RETURN 'a;b' AS `x;y`".to_string(), 2)
            ]
        );
        // Only a comment is left: nothing is pending.
        assert!(!s.pending());
        assert!(texts(s.push("RETURN 'it\\'s;", 3)).is_empty());
        assert!(s.pending());
        assert_eq!(
            texts(s.push("' /* ; */ AS x;", 4)),
            ["RETURN 'it\\'s;\n' /* ; */ AS x"]
        );
        assert!(!s.pending());
        assert!(texts(s.push("/* a comment", 5)).is_empty());
        assert!(s.pending());
        assert!(texts(s.push("; still */ RETURN 1", 6)).is_empty());
        assert_eq!(s.take(), Some(("RETURN 1".to_string(), 6)));
        assert!(!s.pending());
        assert_eq!(s.take(), None);
        // Empty statements are skipped.
        assert!(texts(s.push(" ; ;", 7)).is_empty());
        assert!(!s.pending());
    }

    #[test]
    fn a_statement_after_others_on_its_line_reports_its_own_line() {
        let mut s = Splitter::default();
        assert_eq!(
            s.push("RETURN 1; RETURN", 10),
            vec![("RETURN 1".into(), 10)]
        );
        assert_eq!(s.push("", 11), vec![]);
        assert_eq!(s.push("2;", 12), vec![("RETURN\n\n2".into(), 10)]);
    }
}
