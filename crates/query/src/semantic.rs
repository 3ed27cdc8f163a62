//! Checks made before a query runs, on the syntax tree: errors that openCypher reports at
//! compile time although the grammar allows the text (a boolean operator applied to a
//! literal that is not a boolean, `UNION` mixed with `UNION ALL`).

use crate::ast::{BinaryOp, Clause, Expr, ExprKind, Literal, Query, SetItem, Statement, UnaryOp};
use crate::error::{QueryError, Result};

/// Checks a statement.
pub fn check(s: &Statement) -> Result<()> {
    match s {
        Statement::Query(q) => query(q),
        Statement::Explain(s) | Statement::Profile(s) => check(s),
        _ => Ok(()),
    }
}

fn query(q: &Query) -> Result<()> {
    if q.unions.iter().any(|(all, _)| *all) && q.unions.iter().any(|(all, _)| !*all) {
        return Err(QueryError::Semantic {
            code: "InvalidClauseComposition",
            message: "UNION and UNION ALL cannot be mixed in one query".into(),
        });
    }
    for single in std::iter::once(&q.first).chain(q.unions.iter().map(|(_, s)| s)) {
        for clause in &single.clauses {
            let mut result = Ok(());
            each_expr(clause, &mut |e| {
                if result.is_ok() {
                    result = expr(e);
                }
            });
            result?;
        }
    }
    Ok(())
}

/// Calls `f` with every top-level expression of a clause.
fn each_expr<'c>(c: &'c Clause, f: &mut dyn FnMut(&'c Expr)) {
    match c {
        Clause::Match { filter, .. } => filter.iter().for_each(f),
        Clause::Unwind { expr, .. } => f(expr),
        Clause::With { projection, filter } => {
            projection.items.iter().for_each(|i| f(&i.expr));
            projection.order.iter().for_each(|(e, _)| f(e));
            filter.iter().for_each(&mut *f);
        }
        Clause::Return(p) => {
            p.items.iter().for_each(|i| f(&i.expr));
            p.order.iter().for_each(|(e, _)| f(e));
        }
        Clause::Set(items) => items.iter().for_each(|i| match i {
            SetItem::Property { value, .. } | SetItem::Properties { value, .. } => f(value),
            SetItem::Labels { .. } => {}
        }),
        Clause::Merge {
            on_create,
            on_match,
            ..
        } => on_create.iter().chain(on_match).for_each(|i| match i {
            SetItem::Property { value, .. } | SetItem::Properties { value, .. } => f(value),
            SetItem::Labels { .. } => {}
        }),
        Clause::Delete { exprs, .. } => exprs.iter().for_each(f),
        Clause::Call { args, filter, .. } => {
            args.iter().flatten().for_each(&mut *f);
            filter.iter().for_each(f);
        }
        Clause::Create(_) | Clause::Remove(_) | Clause::Subquery(_) => {}
    }
}

/// A literal that cannot be a boolean: its type name.
fn non_boolean_literal(e: &Expr) -> Option<&'static str> {
    match &e.kind {
        ExprKind::Literal(Literal::Int(_)) => Some("INTEGER"),
        ExprKind::Literal(Literal::Float(_)) => Some("FLOAT"),
        ExprKind::Literal(Literal::String(_)) => Some("STRING"),
        ExprKind::List(_) => Some("LIST"),
        ExprKind::Map(_) => Some("MAP"),
        _ => None,
    }
}

fn expr(e: &Expr) -> Result<()> {
    let operands: Vec<(&Expr, &str)> = match &e.kind {
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or | BinaryOp::Xor), a, b) => {
            let name = match op {
                BinaryOp::And => "AND",
                BinaryOp::Or => "OR",
                _ => "XOR",
            };
            vec![(a, name), (b, name)]
        }
        ExprKind::Unary(UnaryOp::Not, a) => vec![(a, "NOT")],
        _ => Vec::new(),
    };
    for (operand, op) in operands {
        if let Some(ty) = non_boolean_literal(operand) {
            return Err(QueryError::Semantic {
                code: "InvalidArgumentType",
                message: format!("`{op}` needs booleans, got a {ty} literal"),
            });
        }
    }
    // `x IN 5`: the right side of IN must be a list.
    if let ExprKind::Binary(BinaryOp::In, _, list) = &e.kind {
        let ty = match &list.kind {
            ExprKind::Literal(Literal::Bool(_)) => Some("BOOLEAN"),
            ExprKind::Map(_) => Some("MAP"),
            _ => non_boolean_literal(list).filter(|t| *t != "LIST"),
        };
        if let Some(ty) = ty {
            return Err(QueryError::Semantic {
                code: "InvalidArgumentType",
                message: format!("`IN` needs a list on its right, got a {ty} literal"),
            });
        }
    }
    // properties() of a literal that is not a map.
    if let ExprKind::Call { name, args, .. } = &e.kind
        && name.len() == 1
        && name[0].eq_ignore_ascii_case("properties")
    {
        let ty = args.first().and_then(|a| match &a.kind {
            ExprKind::Literal(Literal::Bool(_)) => Some("BOOLEAN"),
            ExprKind::Map(_) => None,
            _ => non_boolean_literal(a),
        });
        if let Some(ty) = ty {
            return Err(QueryError::Semantic {
                code: "InvalidArgumentType",
                message: format!(
                    "properties() needs a node, relationship or map, got a {ty} literal"
                ),
            });
        }
    }
    let mut result = Ok(());
    e.for_each_child(&mut |c| {
        if result.is_ok() {
            result = expr(c);
        }
    });
    result
}
