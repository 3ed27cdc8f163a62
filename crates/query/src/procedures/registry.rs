//! Procedures an application registers ([`Procedures`]) and calls from Cypher beside the
//! built-in ones: `CALL my.proc(1, 'x') YIELD out`.
//!
//! A procedure is a [`ProcedureSignature`] (its dotted name, its typed inputs and outputs,
//! written as Neo4j writes them: `my.proc(in :: INTEGER?, name :: STRING) :: (out ::
//! FLOAT?)`) and a body that takes the argument values and the graph and returns rows of
//! output values. Before a query runs, each of its `CALL`s is checked against the
//! signatures ([`check_calls`]): an unknown name, a wrong number of arguments, a literal
//! argument of the wrong type, arguments left implicit (`CALL my.proc`, taken from the
//! parameters of the inputs' names) in a query that does more than call, and a `YIELD`
//! of an output the procedure does not have are errors before any row is read or written. At run time every argument is
//! checked against its input's type (an integer is accepted, and passed, as a float where
//! a float is declared) and every row the body returns against the outputs.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::ast::{Clause, ExprKind, Query, SingleQuery};
use crate::error::{QueryError, Result};
use crate::eval::GraphRead;
use crate::value::Value;

/// The declared type of a procedure's input or output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcedureType {
    /// Any value.
    Any,
    /// `BOOLEAN`.
    Boolean,
    /// `INTEGER`.
    Integer,
    /// `FLOAT` (an integer is accepted and converted).
    Float,
    /// `NUMBER`: an integer or a float, kept as it is.
    Number,
    /// `STRING`.
    String,
    /// `LIST` (of anything; `LIST OF T` is read as a list).
    List,
    /// `MAP`.
    Map,
    /// `NODE`.
    Node,
    /// `RELATIONSHIP`.
    Relationship,
    /// `PATH`.
    Path,
}

impl ProcedureType {
    fn parse(word: &str) -> Option<ProcedureType> {
        Some(match word.to_ascii_uppercase().as_str() {
            "ANY" => ProcedureType::Any,
            "BOOLEAN" => ProcedureType::Boolean,
            "INTEGER" => ProcedureType::Integer,
            "FLOAT" => ProcedureType::Float,
            "NUMBER" => ProcedureType::Number,
            "STRING" => ProcedureType::String,
            "MAP" => ProcedureType::Map,
            "NODE" => ProcedureType::Node,
            "RELATIONSHIP" => ProcedureType::Relationship,
            "PATH" => ProcedureType::Path,
            w if w == "LIST" || w.starts_with("LIST ") || w.starts_with("LIST<") => {
                ProcedureType::List
            }
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            ProcedureType::Any => "ANY",
            ProcedureType::Boolean => "BOOLEAN",
            ProcedureType::Integer => "INTEGER",
            ProcedureType::Float => "FLOAT",
            ProcedureType::Number => "NUMBER",
            ProcedureType::String => "STRING",
            ProcedureType::List => "LIST",
            ProcedureType::Map => "MAP",
            ProcedureType::Node => "NODE",
            ProcedureType::Relationship => "RELATIONSHIP",
            ProcedureType::Path => "PATH",
        }
    }

    /// `v` as a value of this type (an integer made a float for `FLOAT`), or `None` when
    /// it is not one. `null` is not decided here (see [`ProcedureField::accept`]).
    fn accept(self, v: Value) -> Option<Value> {
        let fits = match (self, &v) {
            (ProcedureType::Any, _)
            | (ProcedureType::Boolean, Value::Bool(_))
            | (ProcedureType::Integer | ProcedureType::Number, Value::Int(_))
            | (ProcedureType::Float | ProcedureType::Number, Value::Float(_))
            | (ProcedureType::String, Value::String(_))
            | (ProcedureType::List, Value::List(_))
            | (ProcedureType::Map, Value::Map(_))
            | (ProcedureType::Node, Value::Node(_))
            | (ProcedureType::Relationship, Value::Rel(_))
            | (ProcedureType::Path, Value::Path(_)) => true,
            (ProcedureType::Float, Value::Int(i)) => {
                #[allow(clippy::cast_precision_loss, reason = "openCypher's integer to float")]
                return Some(Value::Float(*i as f64));
            }
            _ => false,
        };
        fits.then_some(v)
    }
}

/// One input or output of a procedure: its name, type and whether it may be `null`
/// (written with a trailing `?`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcedureField {
    /// The name: an argument's parameter name for implicit arguments, an output's column.
    pub name: String,
    /// The declared type.
    pub ty: ProcedureType,
    /// Whether `null` is accepted.
    pub nullable: bool,
}

impl ProcedureField {
    /// `v` checked (and converted) for this field; `what` names the field's role for
    /// the error.
    fn accept(&self, v: Value, what: &str, procedure: &str) -> Result<Value> {
        if v == Value::Null {
            if self.nullable || self.ty == ProcedureType::Any {
                return Ok(v);
            }
        } else {
            let type_name = v.type_name();
            if let Some(v) = self.ty.accept(v) {
                return Ok(v);
            }
            return Err(QueryError::Type(format!(
                "{procedure}: {what} `{}` must be {}, got {type_name}",
                self.name,
                self.ty.name()
            )));
        }
        Err(QueryError::Type(format!(
            "{procedure}: {what} `{}` must be {}, got null",
            self.name,
            self.ty.name()
        )))
    }
}

impl fmt::Display for ProcedureField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = if self.nullable { "?" } else { "" };
        write!(f, "{} :: {}{q}", self.name, self.ty.name())
    }
}

/// A procedure's dotted name and its typed inputs and outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcedureSignature {
    /// The name's parts (`my.proc` is `["my", "proc"]`); matched exactly, case included.
    pub name: Vec<String>,
    /// The inputs, in argument order.
    pub inputs: Vec<ProcedureField>,
    /// The outputs, in column order; none for a procedure that yields nothing.
    pub outputs: Vec<ProcedureField>,
}

impl ProcedureSignature {
    /// Reads a signature written as Neo4j writes them:
    /// `my.proc(name :: STRING?, in :: INTEGER) :: (out :: FLOAT?)`, `my.void() :: ()`.
    /// Types: `ANY`, `BOOLEAN`, `INTEGER`, `FLOAT`, `NUMBER`, `STRING`, `LIST` (or
    /// `LIST OF T`), `MAP`, `NODE`, `RELATIONSHIP`, `PATH`; a `?` lets it be `null`.
    ///
    /// # Errors
    /// [`QueryError::Argument`] naming what is malformed.
    pub fn parse(text: &str) -> Result<ProcedureSignature> {
        let bad = |why: &str| QueryError::Argument(format!("procedure signature `{text}`: {why}"));
        let text_t = text.trim();
        let open = text_t
            .find('(')
            .ok_or_else(|| bad("no `(` after the name"))?;
        let name: Vec<String> = text_t[..open]
            .trim()
            .split('.')
            .map(|p| p.trim().to_string())
            .collect();
        if name.iter().any(|p| {
            p.is_empty()
                || !p.chars().all(|c| c.is_alphanumeric() || c == '_')
                || p.starts_with(|c: char| c.is_ascii_digit())
        }) {
            return Err(bad("the name must be dotted identifiers"));
        }
        let rest = &text_t[open + 1..];
        let close = rest
            .find(')')
            .ok_or_else(|| bad("no `)` after the inputs"))?;
        let inputs = fields(&rest[..close]).map_err(|w| bad(&w))?;
        let after = rest[close + 1..].trim();
        let after = after
            .strip_prefix("::")
            .ok_or_else(|| bad("no `::` before the outputs"))?
            .trim();
        let after = after
            .strip_prefix('(')
            .ok_or_else(|| bad("the outputs must be in parentheses"))?;
        let end = after
            .rfind(')')
            .ok_or_else(|| bad("no `)` after the outputs"))?;
        if !after[end + 1..].trim().is_empty() {
            return Err(bad("text after the outputs"));
        }
        let outputs = fields(&after[..end]).map_err(|w| bad(&w))?;
        for list in [&inputs, &outputs] {
            for (i, f) in list.iter().enumerate() {
                if list[..i].iter().any(|g| g.name == f.name) {
                    return Err(bad(&format!("`{}` is named twice", f.name)));
                }
            }
        }
        Ok(ProcedureSignature {
            name,
            inputs,
            outputs,
        })
    }

    /// The dotted name.
    pub fn full_name(&self) -> String {
        self.name.join(".")
    }
}

/// `name :: TYPE?, ...` (possibly empty).
fn fields(text: &str) -> std::result::Result<Vec<ProcedureField>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|part| {
            let (name, ty) = part
                .split_once("::")
                .ok_or_else(|| format!("`{}` has no `:: TYPE`", part.trim()))?;
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(format!("`{name}` is not a field name"));
            }
            let ty = ty.trim();
            let (ty, nullable) = match ty.strip_suffix('?') {
                Some(t) => (t.trim(), true),
                None => (ty, false),
            };
            let ty = ProcedureType::parse(ty).ok_or_else(|| format!("unknown type `{ty}`"))?;
            Ok(ProcedureField {
                name: name.to_string(),
                ty,
                nullable,
            })
        })
        .collect()
}

impl fmt::Display for ProcedureSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |fs: &[ProcedureField]| {
            fs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "{}({}) :: ({})",
            self.full_name(),
            list(&self.inputs),
            list(&self.outputs)
        )
    }
}

/// A procedure's body: the arguments (checked against the inputs) and the graph the
/// query reads; returns rows of output values in the signature's column order.
pub type ProcedureBody = dyn Fn(&[Value], &dyn GraphRead) -> Result<Vec<Vec<Value>>> + Send + Sync;

/// A registered procedure.
pub(crate) struct Registered {
    pub(crate) signature: ProcedureSignature,
    body: Box<ProcedureBody>,
}

impl Registered {
    /// Checks `args` against the inputs, runs the body and checks its rows against the
    /// outputs.
    pub(crate) fn run(&self, args: Vec<Value>, g: &dyn GraphRead) -> Result<super::Output> {
        let sig = &self.signature;
        let name = sig.full_name();
        if args.len() != sig.inputs.len() {
            return Err(wrong_count(sig, args.len()));
        }
        let args = args
            .into_iter()
            .zip(&sig.inputs)
            .map(|(v, f)| f.accept(v, "argument", &name))
            .collect::<Result<Vec<_>>>()?;
        let mut rows = (self.body)(&args, g)?;
        for row in &mut rows {
            if row.len() != sig.outputs.len() {
                return Err(QueryError::Argument(format!(
                    "{name} returned a row of {} values; its signature has {} outputs",
                    row.len(),
                    sig.outputs.len()
                )));
            }
            for (v, f) in row.iter_mut().zip(&sig.outputs) {
                *v = f.accept(std::mem::replace(v, Value::Null), "output", &name)?;
            }
        }
        Ok(super::Output {
            columns: sig.outputs.iter().map(|f| f.name.clone()).collect(),
            rows,
        })
    }
}

fn wrong_count(sig: &ProcedureSignature, given: usize) -> QueryError {
    QueryError::Semantic {
        code: "InvalidNumberOfArguments",
        message: format!(
            "{} takes {} arguments, {given} given",
            sig,
            sig.inputs.len()
        ),
    }
}

/// The procedures an application registered, handed to queries through
/// [`crate::QueryOptions::procedures`]. Cheap to clone (the bodies are shared).
#[derive(Clone, Default)]
pub struct Procedures {
    by_name: BTreeMap<String, Arc<Registered>>,
}

impl fmt::Debug for Procedures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.by_name.values().map(|r| r.signature.to_string()))
            .finish()
    }
}

impl Procedures {
    /// No procedures.
    pub fn new() -> Procedures {
        Procedures::default()
    }

    /// Adds a procedure.
    ///
    /// # Errors
    /// [`QueryError::Argument`] when a procedure of that name is registered already or
    /// the name is a built-in procedure's (`db.labels`, `algo.pagerank`, ...).
    pub fn register(
        &mut self,
        signature: ProcedureSignature,
        body: impl Fn(&[Value], &dyn GraphRead) -> Result<Vec<Vec<Value>>> + Send + Sync + 'static,
    ) -> Result<()> {
        let full = signature.full_name();
        if super::builtin(&signature.name).is_some() {
            return Err(QueryError::Argument(format!(
                "{full} is a built-in procedure"
            )));
        }
        if self.by_name.contains_key(&full) {
            return Err(QueryError::Argument(format!(
                "a procedure {full} is registered already"
            )));
        }
        self.by_name.insert(
            full,
            Arc::new(Registered {
                signature,
                body: Box::new(body),
            }),
        );
        Ok(())
    }

    /// The signatures of the registered procedures, by name.
    pub fn signatures(&self) -> impl Iterator<Item = &ProcedureSignature> {
        self.by_name.values().map(|r| &r.signature)
    }

    pub(crate) fn get(&self, name: &[String]) -> Option<&Registered> {
        self.by_name.get(&name.join(".")).map(|r| &**r)
    }
}

/// Checks every `CALL` of `q` (and of its `CALL { }` subqueries) against the built-in and
/// the registered procedures, before the query runs: see the module's documentation.
pub(crate) fn check_calls(
    q: &Query,
    procedures: Option<&Procedures>,
    params: &BTreeMap<String, Value>,
) -> Result<()> {
    for single in std::iter::once(&q.first).chain(q.unions.iter().map(|(_, s)| s)) {
        check_single(single, procedures, params, q.unions.is_empty())?;
    }
    Ok(())
}

fn check_single(
    q: &SingleQuery,
    procedures: Option<&Procedures>,
    params: &BTreeMap<String, Value>,
    may_stand_alone: bool,
) -> Result<()> {
    let standalone = may_stand_alone && q.clauses.len() == 1;
    for clause in &q.clauses {
        let Clause::Call {
            name, args, yields, ..
        } = clause
        else {
            if let Clause::Subquery(sub) = clause {
                for s in std::iter::once(&sub.first).chain(sub.unions.iter().map(|(_, s)| s)) {
                    check_single(s, procedures, params, false)?;
                }
            }
            continue;
        };
        if super::builtin(name).is_some() {
            continue;
        }
        let Some(registered) = procedures.and_then(|p| p.get(name)) else {
            return Err(not_found(name));
        };
        let sig = &registered.signature;
        match args {
            None if sig.inputs.is_empty() => {}
            None if !standalone => {
                return Err(QueryError::Semantic {
                    code: "InvalidArgumentPassingMode",
                    message: format!(
                        "{sig}: arguments may be left out (taken from parameters) only where \
                         the query is the CALL alone"
                    ),
                });
            }
            None => {
                if let Some(f) = sig.inputs.iter().find(|f| !params.contains_key(&f.name)) {
                    return Err(QueryError::MissingParameter(f.name.clone()));
                }
            }
            Some(a) if a.len() != sig.inputs.len() => return Err(wrong_count(sig, a.len())),
            Some(a) => {
                for (e, f) in a.iter().zip(&sig.inputs) {
                    let ExprKind::Literal(l) = &e.kind else {
                        continue;
                    };
                    if let Err(QueryError::Type(message)) =
                        f.accept(crate::eval::literal(l), "argument", &sig.full_name())
                    {
                        return Err(QueryError::Semantic {
                            code: "InvalidArgumentType",
                            message,
                        });
                    }
                }
            }
        }
        if let Some(items) = yields {
            for (field, _) in items {
                if !sig.outputs.iter().any(|f| &f.name == field) {
                    return Err(QueryError::Semantic {
                        code: "UndefinedVariable",
                        message: format!("{sig} yields no `{field}`"),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The error for a procedure that is neither built in nor registered.
pub(crate) fn not_found(name: &[String]) -> QueryError {
    QueryError::Semantic {
        code: "ProcedureNotFound",
        message: format!("there is no procedure {}", name.join(".")),
    }
}

/// The arguments of a call written without parentheses: the parameters named as the
/// inputs.
pub(crate) fn implicit_args(
    sig: &ProcedureSignature,
    params: &BTreeMap<String, Value>,
) -> Result<Vec<Value>> {
    sig.inputs
        .iter()
        .map(|f| {
            params
                .get(&f.name)
                .cloned()
                .ok_or_else(|| QueryError::MissingParameter(f.name.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_read_back_as_written() {
        let s = ProcedureSignature::parse(
            "test.my.proc(name :: STRING?, in :: INTEGER) :: (out :: LIST OF STRING?)",
        )
        .unwrap();
        assert_eq!(s.name, ["test", "my", "proc"]);
        assert_eq!(s.inputs.len(), 2);
        assert!(s.inputs[0].nullable && !s.inputs[1].nullable);
        assert_eq!(s.inputs[1].ty, ProcedureType::Integer);
        assert_eq!(s.outputs[0].ty, ProcedureType::List);
        assert_eq!(
            s.to_string(),
            "test.my.proc(name :: STRING?, in :: INTEGER) :: (out :: LIST?)"
        );
        let v = ProcedureSignature::parse("test.doNothing() :: ()").unwrap();
        assert!(v.inputs.is_empty() && v.outputs.is_empty());
        for bad in [
            "",
            "nothing",
            "a.b(x :: INTEGER",
            "a.b() :: (x :: WHAT)",
            "a.b(x INTEGER) :: ()",
            "a..b() :: ()",
            "a.b(x :: INTEGER, x :: FLOAT) :: ()",
            "a.b() :: () trailing",
            "a.b()",
        ] {
            assert!(
                matches!(ProcedureSignature::parse(bad), Err(QueryError::Argument(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn arguments_are_checked_and_converted_by_type() {
        let f = |ty, nullable| ProcedureField {
            name: "x".into(),
            ty,
            nullable,
        };
        let ok = |fl: &ProcedureField, v: Value| fl.accept(v, "argument", "p").ok();
        assert_eq!(
            ok(&f(ProcedureType::Float, false), Value::Int(42)),
            Some(Value::Float(42.0))
        );
        assert_eq!(
            ok(&f(ProcedureType::Number, false), Value::Int(42)),
            Some(Value::Int(42))
        );
        assert_eq!(
            ok(&f(ProcedureType::Integer, false), Value::Float(1.0)),
            None
        );
        assert_eq!(
            ok(&f(ProcedureType::Integer, false), Value::Bool(true)),
            None
        );
        assert_eq!(ok(&f(ProcedureType::Integer, false), Value::Null), None);
        assert_eq!(
            ok(&f(ProcedureType::Integer, true), Value::Null),
            Some(Value::Null)
        );
        assert_eq!(
            ok(&f(ProcedureType::Any, false), Value::String("s".into())),
            Some(Value::String("s".into()))
        );
    }
}
