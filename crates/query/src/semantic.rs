//! Checks made before a query runs, on the syntax tree: errors that openCypher reports at
//! compile time although the grammar allows the text (a boolean operator applied to a
//! literal that is not a boolean, `UNION` mixed with `UNION ALL`).

use crate::ast::{
    BinaryOp, Clause, Expr, ExprKind, Literal, Query, RemoveItem, SetItem, Statement, UnaryOp,
};
use crate::error::{QueryError, Result};

/// Rewrites the `WHERE` of a `WITH` and the `ORDER BY` of a projection so that a
/// sub-expression equal to a projected, aliased item reads the alias: `WITH DISTINCT a.name
/// AS name ORDER BY a.name` sorts by `name`, as openCypher allows.
pub fn normalize(q: &mut Query) {
    let singles = std::iter::once(&mut q.first).chain(q.unions.iter_mut().map(|(_, s)| s));
    for single in singles {
        for clause in &mut single.clauses {
            let (projection, filter) = match clause {
                Clause::With { projection, filter } => (projection, filter.as_mut()),
                Clause::Return(projection) => (projection, None),
                _ => continue,
            };
            let items: Vec<(Expr, String)> = projection
                .items
                .iter()
                .filter(|i| !matches!(i.expr.kind, ExprKind::Var(_)))
                .filter_map(|i| i.alias.clone().map(|a| (i.expr.clone(), a)))
                .collect();
            if items.is_empty() {
                continue;
            }
            for (e, _) in &mut projection.order {
                *e = to_aliases(e, &items);
            }
            if let Some(f) = filter {
                *f = to_aliases(f, &items);
            }
        }
    }
}

fn to_aliases(e: &Expr, items: &[(Expr, String)]) -> Expr {
    if let Some((_, alias)) = items.iter().find(|(x, _)| x == e) {
        return Expr {
            kind: ExprKind::Var(alias.clone()),
            span: e.span,
        };
    }
    e.map_children(&mut |c| to_aliases(c, items))
}

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
    scopes(q)?;
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

/// What a variable holds, as far as the analysis knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Node,
    Rel,
    /// A variable-length relationship: a list of relationships.
    RelList,
    Path,
    /// A value that is not a graph element (a literal, an arithmetic result).
    Value,
    /// Anything (a parameter's field, a list element, a function result).
    Any,
}

type Scope = Vec<(String, Kind)>;

/// A pattern that matches (`MATCH`, `MERGE`) takes its properties as a map literal, not a
/// parameter (`MATCH (n $param)`): openCypher's `InvalidParameterUse`. `CREATE` may.
fn no_parameter_maps(parts: &[crate::ast::PatternPart]) -> Result<()> {
    for part in parts {
        let el = &part.element;
        let maps = std::iter::once(&el.start.props)
            .chain(el.chain.iter().flat_map(|(r, n)| [&r.props, &n.props]))
            .flatten();
        for m in maps {
            if let ExprKind::Param(p) = &m.kind {
                return Err(semantic(
                    "InvalidParameterUse",
                    format!(
                        "a pattern that matches takes a map of properties, not the parameter ${p}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn kind_of(scope: &Scope, v: &str) -> Option<Kind> {
    scope.iter().rev().find(|(n, _)| n == v).map(|(_, k)| *k)
}

fn bind(scope: &mut Scope, v: &str, k: Kind) {
    match scope.iter_mut().find(|(n, _)| n == v) {
        Some(slot) => slot.1 = k,
        None => scope.push((v.to_string(), k)),
    }
}

fn semantic(code: &'static str, message: String) -> QueryError {
    QueryError::Semantic { code, message }
}

/// Scopes and kinds of variables, clause by clause: undefined variables, a variable used
/// as two kinds of thing, re-binding in `CREATE` and `MERGE`, missing aliases, aggregates
/// where none may be.
pub fn scopes(q: &Query) -> Result<()> {
    for single in std::iter::once(&q.first).chain(q.unions.iter().map(|(_, s)| s)) {
        let mut scope: Scope = Vec::new();
        for clause in &single.clauses {
            clause_scope(clause, &mut scope)?;
        }
    }
    Ok(())
}

fn pattern_scope(
    parts: &[crate::ast::PatternPart],
    scope: &mut Scope,
    creating: bool,
) -> Result<()> {
    let before = scope.clone();
    let mut rels_here: Vec<&str> = Vec::new();
    let mut paths_here: Vec<&str> = Vec::new();
    for part in parts {
        if let Some(p) = &part.var {
            if kind_of(scope, p).is_some() || paths_here.contains(&p.as_str()) {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!("path variable `{p}` is already bound"),
                ));
            }
            paths_here.push(p);
        }
        let mut nodes = vec![&part.element.start];
        nodes.extend(part.element.chain.iter().map(|(_, n)| n));
        for n in nodes {
            if let Some(props) = &n.props {
                expr_scope(props, scope)?;
            }
            let Some(v) = &n.var else { continue };
            if paths_here.contains(&v.as_str()) {
                return Err(semantic(
                    "VariableTypeConflict",
                    format!("`{v}` is a path, not a node"),
                ));
            }
            match kind_of(scope, v) {
                None => bind(scope, v, Kind::Node),
                Some(Kind::Node | Kind::Any) => {
                    let bound_before = kind_of(&before, v).is_some();
                    if creating && bound_before && (!n.labels.is_empty() || n.props.is_some()) {
                        return Err(semantic(
                            "VariableAlreadyBound",
                            format!("`{v}` is already bound"),
                        ));
                    }
                    bind(scope, v, Kind::Node);
                }
                Some(k) => {
                    return Err(semantic(
                        "VariableTypeConflict",
                        format!("`{v}` is a {k:?}, not a node"),
                    ));
                }
            }
        }
        for (r, _) in &part.element.chain {
            if let Some(props) = &r.props {
                expr_scope(props, scope)?;
            }
            let Some(v) = &r.var else { continue };
            if rels_here.contains(&v.as_str()) || paths_here.contains(&v.as_str()) {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!("`{v}` is used twice in one pattern"),
                ));
            }
            rels_here.push(v);
            let want = if r.length.is_some() {
                Kind::RelList
            } else {
                Kind::Rel
            };
            match kind_of(scope, v) {
                None => bind(scope, v, want),
                Some(_) if creating => {
                    return Err(semantic(
                        "VariableAlreadyBound",
                        format!("relationship `{v}` is already bound"),
                    ));
                }
                Some(k) if k == want || k == Kind::Any => bind(scope, v, want),
                Some(k) => {
                    return Err(semantic(
                        "VariableTypeConflict",
                        format!("`{v}` is a {k:?}, not a relationship"),
                    ));
                }
            }
        }
    }
    for p in paths_here {
        bind(scope, p, Kind::Path);
    }
    Ok(())
}

#[allow(clippy::too_many_lines, reason = "one arm per clause")]
fn clause_scope(clause: &Clause, scope: &mut Scope) -> Result<()> {
    match clause {
        Clause::Match {
            pattern, filter, ..
        } => {
            no_parameter_maps(pattern)?;
            pattern_scope(pattern, scope, false)?;
            if let Some(f) = filter {
                no_aggregate(f, "WHERE")?;
                expr_scope(f, scope)?;
            }
        }
        Clause::Create(parts) => {
            for part in parts {
                if part.element.chain.is_empty() {
                    let n = &part.element.start;
                    if let Some(v) = &n.var
                        && kind_of(scope, v).is_some()
                    {
                        return Err(semantic(
                            "VariableAlreadyBound",
                            format!("`{v}` is already bound"),
                        ));
                    }
                }
            }
            pattern_scope(parts, scope, true)?;
        }
        Clause::Merge {
            part,
            on_create,
            on_match,
        } => {
            no_parameter_maps(std::slice::from_ref(part))?;
            if part.element.chain.is_empty()
                && let Some(v) = &part.element.start.var
                && kind_of(scope, v).is_some()
            {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!("`{v}` is already bound"),
                ));
            }
            for (r, _) in &part.element.chain {
                if r.types.len() != 1 {
                    return Err(semantic(
                        "NoSingleRelationshipType",
                        "a merged relationship needs exactly one type".into(),
                    ));
                }
            }
            pattern_scope(std::slice::from_ref(part), scope, true)?;
            for item in on_create.iter().chain(on_match) {
                set_item_scope(item, scope)?;
            }
        }
        Clause::Unwind { expr, alias } => {
            expr_scope(expr, scope)?;
            bind(scope, alias, Kind::Any);
        }
        Clause::With { projection, filter } => {
            let before = scope.clone();
            projection_scope(projection, scope, true)?;
            if let Some(f) = filter {
                no_aggregate(f, "WHERE")?;
                if crate::project::filters_on_input(projection) {
                    // The WHERE of a plain projection also sees the variables before it.
                    let mut both = before;
                    for (v, k) in scope.iter() {
                        bind(&mut both, v, *k);
                    }
                    expr_scope(f, &both)?;
                } else {
                    expr_scope(f, scope)?;
                }
            }
        }
        Clause::Return(p) => projection_scope(p, scope, false)?,
        Clause::Set(items) => {
            for item in items {
                set_item_scope(item, scope)?;
            }
        }
        Clause::Remove(items) => {
            for item in items {
                match item {
                    RemoveItem::Property { target, .. } => expr_scope(target, scope)?,
                    RemoveItem::Labels { var, .. } => defined(var, scope)?,
                }
            }
        }
        Clause::Delete { exprs, .. } => {
            for e in exprs {
                match &e.kind {
                    ExprKind::HasLabels(..) => {
                        return Err(semantic(
                            "InvalidDelete",
                            "DELETE removes elements, not labels: use REMOVE".into(),
                        ));
                    }
                    ExprKind::Literal(_) | ExprKind::Binary(..) | ExprKind::Unary(..) => {
                        return Err(semantic(
                            "InvalidArgumentType",
                            "DELETE needs nodes, relationships or paths".into(),
                        ));
                    }
                    _ => expr_scope(e, scope)?,
                }
            }
        }
        Clause::Call {
            args,
            yields,
            filter,
            ..
        } => {
            for a in args.iter().flatten() {
                no_aggregate(a, "procedure arguments")?;
                expr_scope(a, scope)?;
            }
            match yields {
                Some(items) if !items.is_empty() => {
                    let before = scope.len();
                    for (field, alias) in items {
                        let v = alias.as_ref().unwrap_or(field);
                        if kind_of(scope, v).is_some() {
                            return Err(semantic(
                                "VariableAlreadyBound",
                                format!("`{v}` is already bound; YIELD it under another name"),
                            ));
                        }
                        bind(scope, v, Kind::Any);
                    }
                    debug_assert_eq!(scope.len(), before + items.len());
                }
                // No YIELD (or `*`): every column of the procedure.
                _ => {
                    if let Clause::Call { name, .. } = clause
                        && let Some(cols) = crate::procedures::builtin(name)
                    {
                        for c in cols {
                            bind(scope, c, Kind::Any);
                        }
                    }
                }
            }
            if let Some(f) = filter {
                expr_scope(f, scope)?;
            }
        }
        Clause::Subquery(_) => {}
    }
    Ok(())
}

fn set_item_scope(item: &SetItem, scope: &Scope) -> Result<()> {
    match item {
        SetItem::Property { target, value, .. } => {
            expr_scope(target, scope)?;
            expr_scope(value, scope)
        }
        SetItem::Properties { var, value, .. } => {
            defined(var, scope)?;
            expr_scope(value, scope)
        }
        SetItem::Labels { var, .. } => defined(var, scope),
    }
}

fn defined(v: &str, scope: &Scope) -> Result<()> {
    if kind_of(scope, v).is_some() {
        Ok(())
    } else {
        Err(semantic(
            "UndefinedVariable",
            format!("variable `{v}` is not defined"),
        ))
    }
}

fn no_aggregate(e: &Expr, place: &str) -> Result<()> {
    if crate::eval::is_aggregate(e) {
        return Err(semantic(
            "InvalidAggregation",
            format!("aggregate functions are not allowed in {place}"),
        ));
    }
    let mut result = Ok(());
    e.for_each_child(&mut |c| {
        if result.is_ok() {
            result = no_aggregate(c, place);
        }
    });
    result
}

fn has_aggregate(e: &Expr) -> bool {
    no_aggregate(e, "").is_err()
}

fn projection_scope(p: &crate::ast::Projection, scope: &mut Scope, is_with: bool) -> Result<()> {
    let mut next: Scope = if p.star { scope.clone() } else { Vec::new() };
    let aggregating = p.items.iter().any(|i| has_aggregate(&i.expr));
    for item in &p.items {
        expr_scope(&item.expr, scope)?;
        let name = match (&item.alias, &item.expr.kind) {
            (Some(a), _) => a.clone(),
            (None, ExprKind::Var(v)) => v.clone(),
            (None, _) if is_with => {
                return Err(semantic(
                    "NoExpressionAlias",
                    format!("`{}` needs an alias in WITH", item.text),
                ));
            }
            (None, _) => item.text.clone(),
        };
        let kind = match &item.expr.kind {
            ExprKind::Var(v) => kind_of(scope, v).unwrap_or(Kind::Any),
            ExprKind::Literal(_)
            | ExprKind::Binary(..)
            | ExprKind::Unary(..)
            | ExprKind::Map(_) => Kind::Value,
            // A list of constants holds no graph element (one of relationships may be
            // matched as a variable-length relationship).
            ExprKind::List(items) if items.iter().all(is_constant) => Kind::Value,
            _ => Kind::Any,
        };
        bind(&mut next, &name, kind);
    }
    // ORDER BY sees the projected names and, unless the projection is DISTINCT without
    // aggregating, the earlier variables too (grouping keys and aggregates of them).
    let mut order_scope = if p.distinct && !aggregating {
        next.clone()
    } else {
        scope.clone()
    };
    for (n, k) in &next {
        bind(&mut order_scope, n, *k);
    }
    for (e, _) in &p.order {
        if !aggregating && has_aggregate(e) {
            return Err(semantic(
                "InvalidAggregation",
                "ORDER BY cannot aggregate when the projection does not".into(),
            ));
        }
        expr_scope(e, &order_scope)?;
    }
    *scope = next;
    Ok(())
}

/// Whether `e` is a literal, or a list or map of them.
fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Literal(_) => true,
        ExprKind::List(items) => items.iter().all(is_constant),
        ExprKind::Map(entries) => entries.iter().all(|(_, v)| is_constant(v)),
        _ => false,
    }
}

/// Every variable an expression reads is defined (comprehension variables are local).
#[allow(
    clippy::too_many_lines,
    reason = "one arm per kind of expression that binds or checks"
)]
fn expr_scope(e: &Expr, scope: &Scope) -> Result<()> {
    match &e.kind {
        ExprKind::Var(v) => defined(v, scope),
        ExprKind::ListComprehension {
            var,
            list,
            filter,
            map,
        } => {
            expr_scope(list, scope)?;
            let mut inner = scope.clone();
            bind(&mut inner, var, Kind::Any);
            for x in filter.iter().chain(map) {
                expr_scope(x, &inner)?;
            }
            Ok(())
        }
        ExprKind::Quantified {
            var, list, filter, ..
        } => {
            expr_scope(list, scope)?;
            let mut inner = scope.clone();
            bind(&mut inner, var, Kind::Any);
            if let Some(f) = filter {
                expr_scope(f, &inner)?;
            }
            Ok(())
        }
        ExprKind::Reduce {
            acc,
            init,
            var,
            list,
            expr,
        } => {
            expr_scope(init, scope)?;
            expr_scope(list, scope)?;
            let mut inner = scope.clone();
            bind(&mut inner, acc, Kind::Any);
            bind(&mut inner, var, Kind::Any);
            expr_scope(expr, &inner)
        }
        ExprKind::Pattern(el) => {
            // A pattern predicate introduces no variables: each it names must be bound.
            let mut names: Vec<&String> = el.start.var.iter().collect();
            for (r, n) in &el.chain {
                names.extend(r.var.iter());
                names.extend(n.var.iter());
            }
            for v in names {
                defined(v, scope)?;
            }
            Ok(())
        }
        ExprKind::PatternComprehension {
            var,
            pattern,
            filter,
            map,
        } => {
            let mut inner = scope.clone();
            let part = crate::ast::PatternPart {
                var: var.clone(),
                shortest: None,
                element: (**pattern).clone(),
            };
            pattern_scope(std::slice::from_ref(&part), &mut inner, false)?;
            if let Some(f) = filter {
                expr_scope(f, &inner)?;
            }
            expr_scope(map, &inner)
        }
        ExprKind::ExistsSubquery(_) => Ok(()),
        ExprKind::Call { name, args, .. } if name.len() == 1 => {
            let f = name[0].to_ascii_lowercase();
            if let [ExprKind::Var(v)] = args.iter().map(|a| &a.kind).collect::<Vec<_>>().as_slice()
            {
                let k = kind_of(scope, v);
                let wrong = match f.as_str() {
                    "type" => matches!(k, Some(Kind::Node | Kind::Path | Kind::Value)),
                    "length" => matches!(k, Some(Kind::Node | Kind::Rel | Kind::Value)),
                    "size" => matches!(k, Some(Kind::Path | Kind::Node | Kind::Rel)),
                    "labels" => matches!(k, Some(Kind::Rel | Kind::Path | Kind::Value)),
                    _ => false,
                };
                if wrong {
                    return Err(semantic(
                        "InvalidArgumentType",
                        format!("{f}() does not take `{v}`"),
                    ));
                }
            }
            if !crate::eval::is_aggregate(e) && !crate::functions::known(&f) {
                return Err(semantic(
                    "UnknownFunction",
                    format!("unknown function {}()", name[0]),
                ));
            }
            if crate::eval::is_aggregate(e) {
                for a in args {
                    if has_aggregate(a) {
                        return Err(semantic(
                            "NestedAggregation",
                            "an aggregate cannot contain another".into(),
                        ));
                    }
                }
            }
            let mut result = Ok(());
            e.for_each_child(&mut |c| {
                if result.is_ok() {
                    result = expr_scope(c, scope);
                }
            });
            result
        }
        _ => {
            let mut result = Ok(());
            e.for_each_child(&mut |c| {
                if result.is_ok() {
                    result = expr_scope(c, scope);
                }
            });
            result
        }
    }
}
