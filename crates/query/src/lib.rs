//! # pagegraph-query
//!
//! The Cypher query language for pagegraph: the parser (openCypher 9 text to a syntax tree,
//! [`ast`], with errors that give the line, the column and a caret under the fault,
//! [`SyntaxError`], and never a panic on any input), semantic checks, and an executor that
//! streams the rows of `MATCH` and `UNWIND` into `WITH`/`RETURN` (hash aggregation, top-k,
//! early stop at `LIMIT`), seeks property indexes for `WHERE` conditions and pattern
//! properties, writes through a write transaction, and explains itself (`EXPLAIN`,
//! `PROFILE`).
//!
//! [`execute`] runs a statement on a [`pagegraph::Graph`] (a read on a snapshot, a write in
//! a transaction of its own); [`run`] and [`run_write`] run one on a transaction the caller
//! holds; [`StatementCache`] keeps parsed statements by text for [`execute_prepared`],
//! [`execute_streaming`] hands rows to a [`RowSink`] as they are produced, [`Cancel`] stops
//! a running query from another thread, and [`QueryOptions::memory_limit`] bounds what a
//! query may hold ([`MemoryBudget`]).
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
mod budget;
mod columns;
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
mod scan_agg;
mod scan_rel;
mod semantic;
mod temporal;
pub mod value;
mod write;

pub use budget::{MemoryBudget, default_memory_limit};
pub use columns::Column;
pub use error::{Position, QueryError, Result, SyntaxError};
pub use exec::{
    Cancel, GraphWrite, ProfileLine, QueryOptions, QueryResult, QueryStats, RowSink,
    StatementCache, execute, execute_prepared, execute_script, execute_streaming, execute_with,
    is_write, prepare, run, run_prepared, run_write, statement_writes,
};
pub use parser::{DEPTH_MAX, parse, parse_script};
pub use procedures::registry::{
    ProcedureBody, ProcedureField, ProcedureSignature, ProcedureType, Procedures,
};
pub use value::Value;
