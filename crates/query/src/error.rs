//! Errors of the query layer.

use std::fmt;

/// A position in the query text: byte offset, and the 1-based line and column (in
/// characters) a reader counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Position {
    /// Byte offset from the start of the text.
    pub offset: usize,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to the text's end, and moved back to
    /// a character boundary).
    pub fn of(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        Position {
            offset,
            line,
            column,
        }
    }
}

/// A query that does not parse: what was expected, where, and the line of the query with a
/// caret under the fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, e.g. "expected `)`, found `,`".
    pub message: String,
    /// Where.
    pub position: Position,
    /// The line of the query holding the fault.
    pub line_text: String,
}

impl SyntaxError {
    pub(crate) fn new(text: &str, offset: usize, message: impl Into<String>) -> SyntaxError {
        let position = Position::of(text, offset);
        let line_start = text[..position.offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[position.offset..]
            .find('\n')
            .map_or(text.len(), |i| position.offset + i);
        SyntaxError {
            message: message.into(),
            position,
            line_text: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Position { line, column, .. } = self.position;
        writeln!(
            f,
            "syntax error at line {line}, column {column}: {}",
            self.message
        )?;
        writeln!(f, "  {}", self.line_text)?;
        // The caret under the character at fault; tabs kept so that it lines up.
        let pad: String = self
            .line_text
            .chars()
            .take(column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "  {pad}^")
    }
}

impl std::error::Error for SyntaxError {}

/// Why a query failed. The variants follow the openCypher error classes (the TCK's
/// `SyntaxError`, `TypeError`, `ArgumentError`, ...), each with what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The text does not parse.
    #[error("{0}")]
    Syntax(#[from] SyntaxError),
    /// The query parses but is not valid (an undefined variable, an aggregate where none
    /// may be, ...): found before anything runs. `code` is the openCypher detail code.
    #[error("{message}")]
    Semantic {
        /// The openCypher detail code, e.g. `UndefinedVariable`.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A value of the wrong type at run time (`1 + true`, `n.x` on a list).
    #[error("type error: {0}")]
    Type(String),
    /// A function argument out of its domain (`range(1, 2, 0)`, `substring('a', -1)`).
    #[error("invalid argument: {0}")]
    Argument(String),
    /// Integer overflow or division by zero.
    #[error("arithmetic error: {0}")]
    Arithmetic(String),
    /// A property or the labels of a node or relationship the query deleted were read
    /// after the delete (openCypher's `EntityNotFound`).
    #[error("{0} was deleted by this query: its properties and labels cannot be read")]
    Deleted(String),
    /// A parameter the query uses was not given.
    #[error("missing parameter ${0}")]
    MissingParameter(String),
    /// A part of Cypher that this version does not run yet.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    /// The query was cancelled (see [`crate::Cancel`]); a write it began is discarded.
    #[error("the query was cancelled")]
    Cancelled,
    /// The query needed to hold more than its memory limit (see [`crate::MemoryBudget`]):
    /// rows it sorts, groups, deduplicates or returns, or lists it builds. A write it began
    /// is discarded.
    #[error(
        "the query needs more than its memory limit of {} for the rows and values it holds \
         (sorting, grouping, DISTINCT, collect(), lists, or the result itself); raise the \
         limit (the CLI's --memory-limit, QueryOptions::memory_limit, or query_memory_limit in \
         Python), or narrow the query (WHERE, LIMIT, or an aggregate instead of every row)",
        crate::budget::human(*limit)
    )]
    MemoryLimit {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The [`crate::RowSink`] given the rows failed (it could not write them out, say); the
    /// statement stopped there and a write it began is discarded.
    #[error("{0}")]
    Sink(String),
    /// The graph failed (storage, corruption, a constraint).
    #[error(transparent)]
    Graph(#[from] pagegraph::GraphError),
}

/// Result alias of the query layer.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;
