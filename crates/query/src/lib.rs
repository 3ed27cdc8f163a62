//! # pagegraph-query
//!
//! The Cypher query language for pagegraph: the parser (openCypher 9 text to a syntax tree,
//! [`ast`], with errors that give the line, the column and a caret under the fault,
//! [`SyntaxError`], and never a panic on any input), values with openCypher comparison
//! ([`value`]), expression evaluation and the scalar and aggregate functions ([`eval`]), and
//! a first executor ([`run`]) for the clauses that need no pattern matching: `UNWIND`,
//! `WITH`, `RETURN` (with `DISTINCT`, `ORDER BY`, `SKIP`, `LIMIT`, aggregation) and `UNION`.
//! `MATCH` and the write clauses are refused with [`QueryError::Unsupported`] until the
//! planner lands.
//!
//! ```
//! use std::collections::BTreeMap;
//! use pagegraph_query::{Value, eval::NoGraph, run};
//! let r = run("UNWIND [3, 1, 2, 1] AS x RETURN x, count(*) AS n ORDER BY x", &BTreeMap::new(), &NoGraph).unwrap();
//! assert_eq!(r.columns, ["x", "n"]);
//! assert_eq!(r.rows[0], vec![Value::Int(1), Value::Int(2)]);
//! ```
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

mod aggregate;
pub mod ast;
mod count;
mod error;
pub mod eval;
mod exec;
mod explain;
mod functions;
pub mod lexer;
mod matcher;
mod parser;
mod plan;
mod procedures;
mod project;
mod semantic;
pub mod value;
mod write;

pub use error::{Position, QueryError, Result, SyntaxError};
pub use exec::{
    Cancel, GraphWrite, ProfileLine, QueryResult, QueryStats, StatementCache, execute,
    execute_prepared, execute_script, execute_with, is_write, run, run_prepared, run_write,
    statement_writes,
};
pub use parser::{DEPTH_MAX, parse, parse_script};
pub use value::Value;
