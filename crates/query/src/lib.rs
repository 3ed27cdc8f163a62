//! # pagegraph-query
//!
//! The Cypher query language for pagegraph. This first part is the parser: openCypher 9
//! text to a syntax tree ([`ast`]), with errors that give the line, the column and a caret
//! under the fault ([`SyntaxError`]), and never a panic on any input.
//!
//! ```
//! use pagegraph_query::{ast::Statement, parse};
//! let s = parse("MATCH (p:Person)-[:KNOWS]->(f) WHERE p.age > 30 RETURN f.name LIMIT 5").unwrap();
//! assert!(matches!(s, Statement::Query(_)));
//! let err = parse("MATCH (p:Person RETURN p").unwrap_err();
//! assert_eq!((err.position.line, err.position.column), (1, 17));
//! println!("{err}");
//! // syntax error at line 1, column 17: expected `)`, found `RETURN`
//! //   MATCH (p:Person RETURN p
//! //                   ^
//! ```

pub mod ast;
mod error;
pub mod lexer;
mod parser;

pub use error::{Position, SyntaxError};
pub use parser::{DEPTH_MAX, parse, parse_script};
