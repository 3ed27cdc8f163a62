//! The syntax tree of a Cypher statement, as parsed (names not yet resolved).

/// A byte range of the query text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// After the last byte.
    pub end: usize,
}

/// A statement: a query, a schema command, or either under `EXPLAIN` / `PROFILE`.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// A query (reading, writing, or both).
    Query(Query),
    /// `CREATE INDEX [name] [IF NOT EXISTS] FOR (n:Label) ON (n.p, ...)`, also for
    /// relationships `FOR ()-[r:TYPE]-() ON (r.p)`; and `CREATE CONSTRAINT ... REQUIRE
    /// (n.p) IS UNIQUE` (`unique`).
    CreateIndex {
        /// The index's name, if given.
        name: Option<String>,
        /// On a relationship type rather than a label.
        relationship: bool,
        /// The label or type.
        target: String,
        /// The properties.
        properties: Vec<String>,
        /// A unique constraint.
        unique: bool,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP INDEX name [IF EXISTS]` or `DROP CONSTRAINT name [IF EXISTS]`.
    DropIndex {
        /// The index's name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// Kùzu's `CREATE REL TABLE` (and `CREATE NODE TABLE` without a primary key): the
    /// graph has no schema, so the declaration is accepted and changes nothing. A node
    /// table's primary key parses as [`Statement::CreateIndex`] (a unique constraint).
    DeclareTable {
        /// The table's name: a label or a relationship type.
        name: String,
        /// A relationship table.
        relationship: bool,
    },
    /// `EXPLAIN statement`: the plan, not run.
    Explain(Box<Statement>),
    /// `PROFILE statement`: run, with rows and time per operator.
    Profile(Box<Statement>),
}

/// Single queries joined by `UNION` / `UNION ALL`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The first single query.
    pub first: SingleQuery,
    /// The others, each with `true` for `UNION ALL`.
    pub unions: Vec<(bool, SingleQuery)>,
}

/// A sequence of clauses.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleQuery {
    /// The clauses, in order.
    pub clauses: Vec<Clause>,
}

/// One clause.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    /// `[OPTIONAL] MATCH pattern [WHERE expr]`.
    Match {
        /// `OPTIONAL MATCH`.
        optional: bool,
        /// The pattern's parts (comma-separated).
        pattern: Vec<PatternPart>,
        /// The `WHERE` condition.
        filter: Option<Expr>,
    },
    /// `UNWIND expr AS name`.
    Unwind {
        /// The list.
        expr: Expr,
        /// The variable.
        alias: String,
    },
    /// `WITH projection [WHERE expr]`.
    With {
        /// What is carried on.
        projection: Projection,
        /// The `WHERE` condition.
        filter: Option<Expr>,
    },
    /// `RETURN projection`.
    Return(Projection),
    /// `CREATE pattern`.
    Create(Vec<PatternPart>),
    /// `MERGE part [ON CREATE SET ...] [ON MATCH SET ...]`.
    Merge {
        /// The pattern to find or create.
        part: PatternPart,
        /// `ON CREATE SET` items.
        on_create: Vec<SetItem>,
        /// `ON MATCH SET` items.
        on_match: Vec<SetItem>,
    },
    /// `SET item, ...`.
    Set(Vec<SetItem>),
    /// `REMOVE item, ...`.
    Remove(Vec<RemoveItem>),
    /// `[DETACH] DELETE expr, ...`.
    Delete {
        /// `DETACH DELETE`.
        detach: bool,
        /// What to delete.
        exprs: Vec<Expr>,
    },
    /// `CALL name(args) [YIELD ...] [WHERE ...]`.
    Call {
        /// The procedure's dotted name.
        name: Vec<String>,
        /// The arguments; `None` when written without parentheses (arguments then come
        /// from the parameters of the same names).
        args: Option<Vec<Expr>>,
        /// `YIELD` items (`field [AS alias]`); `None` without `YIELD`, empty for `YIELD *`.
        yields: Option<Vec<(String, Option<String>)>>,
        /// The `WHERE` after `YIELD`.
        filter: Option<Expr>,
        /// Where the clause is, for errors.
        span: Span,
    },
    /// `CALL { subquery }`.
    Subquery(Box<Query>),
}

/// The items of `WITH` or `RETURN`, and their modifiers.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// `DISTINCT`.
    pub distinct: bool,
    /// `*`: every variable in scope.
    pub star: bool,
    /// The items.
    pub items: Vec<ProjectionItem>,
    /// `ORDER BY` keys, each `true` when ascending.
    pub order: Vec<(Expr, bool)>,
    /// `SKIP`.
    pub skip: Option<Expr>,
    /// `LIMIT`.
    pub limit: Option<Expr>,
}

/// One projected expression.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionItem {
    /// The expression.
    pub expr: Expr,
    /// `AS alias`.
    pub alias: Option<String>,
    /// The expression's text as written: the column name when there is no alias.
    pub text: String,
}

/// `SET` items.
#[derive(Clone, Debug, PartialEq)]
pub enum SetItem {
    /// `target.prop = value` (target any expression that yields a node or relationship).
    Property {
        /// The element.
        target: Expr,
        /// The property.
        key: String,
        /// The value.
        value: Expr,
    },
    /// `n = map` (`replace`) or `n += map`.
    Properties {
        /// The element's variable.
        var: String,
        /// The map (or an element whose properties are taken).
        value: Expr,
        /// `=` rather than `+=`.
        replace: bool,
    },
    /// `n:Label:Other`.
    Labels {
        /// The node's variable.
        var: String,
        /// The labels.
        labels: Vec<String>,
    },
}

/// `REMOVE` items.
#[derive(Clone, Debug, PartialEq)]
pub enum RemoveItem {
    /// `target.prop`.
    Property {
        /// The element.
        target: Expr,
        /// The property.
        key: String,
    },
    /// `n:Label`.
    Labels {
        /// The node's variable.
        var: String,
        /// The labels.
        labels: Vec<String>,
    },
}

/// `shortestPath(...)` or `allShortestPaths(...)` around a pattern part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortest {
    /// `shortestPath`.
    One,
    /// `allShortestPaths`.
    All,
}

/// One comma-separated part of a pattern, perhaps named (`p = (a)-->(b)`).
#[derive(Clone, Debug, PartialEq)]
pub struct PatternPart {
    /// The path variable.
    pub var: Option<String>,
    /// Under `shortestPath` / `allShortestPaths`.
    pub shortest: Option<Shortest>,
    /// The chain of nodes and relationships.
    pub element: PatternElement,
}

/// A node, then relationships each followed by a node.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternElement {
    /// The first node.
    pub start: NodePattern,
    /// Each step: a relationship and the node it leads to.
    pub chain: Vec<(RelPattern, NodePattern)>,
}

/// `(var:Label:Other {props})`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodePattern {
    /// The variable.
    pub var: Option<String>,
    /// Labels the node must have (all of them).
    pub labels: Vec<String>,
    /// A map literal or a parameter of properties to match or create.
    pub props: Option<Expr>,
    /// Where it is written.
    pub span: Span,
}

/// The direction of a relationship pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// `-->`: from the left node to the right one.
    Right,
    /// `<--`.
    Left,
    /// `--`: either way.
    Both,
}

/// `-[var:T1|T2*min..max {props}]->`.
#[derive(Clone, Debug, PartialEq)]
pub struct RelPattern {
    /// The variable.
    pub var: Option<String>,
    /// Types, any of which matches (empty: any type).
    pub types: Vec<String>,
    /// Direction.
    pub dir: Dir,
    /// Variable length: `*` gives `Some((None, None))`, `*2..` gives `Some((Some(2), None))`.
    pub length: Option<(Option<u64>, Option<u64>)>,
    /// Properties to match or create.
    pub props: Option<Expr>,
    /// Where it is written.
    pub span: Span,
}

/// An expression and where it is written. Two expressions are equal (`==`) when they are
/// the same expression, wherever written: spans are not compared.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.kind == other.kind
    }
}

impl Expr {
    /// A copy with each direct sub-expression replaced by `f` of it (patterns and
    /// subqueries are copied as they are).
    #[must_use]
    #[allow(
        clippy::many_single_char_names,
        reason = "one-letter parts of each variant"
    )]
    pub fn map_children(&self, f: &mut dyn FnMut(&Expr) -> Expr) -> Expr {
        let b = |e: &Expr, f: &mut dyn FnMut(&Expr) -> Expr| Box::new(f(e));
        let kind = match &self.kind {
            ExprKind::Property(t, k) => ExprKind::Property(b(t, f), k.clone()),
            ExprKind::Unary(op, t) => ExprKind::Unary(*op, b(t, f)),
            ExprKind::IsNull(t, not) => ExprKind::IsNull(b(t, f), *not),
            ExprKind::HasLabels(t, l) => ExprKind::HasLabels(b(t, f), l.clone()),
            ExprKind::List(items) => ExprKind::List(items.iter().map(&mut *f).collect()),
            ExprKind::Map(entries) => {
                ExprKind::Map(entries.iter().map(|(k, v)| (k.clone(), f(v))).collect())
            }
            ExprKind::Index(a, c) => ExprKind::Index(b(a, f), b(c, f)),
            ExprKind::Binary(op, a, c) => ExprKind::Binary(*op, b(a, f), b(c, f)),
            ExprKind::Slice(a, x, y) => ExprKind::Slice(
                b(a, f),
                x.as_ref().map(|x| b(x, f)),
                y.as_ref().map(|y| b(y, f)),
            ),
            ExprKind::Call {
                name,
                distinct,
                args,
            } => ExprKind::Call {
                name: name.clone(),
                distinct: *distinct,
                args: args.iter().map(&mut *f).collect(),
            },
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => ExprKind::Case {
                subject: subject.as_ref().map(|s| b(s, f)),
                whens: whens.iter().map(|(w, t)| (f(w), f(t))).collect(),
                otherwise: otherwise.as_ref().map(|o| b(o, f)),
            },
            ExprKind::ListComprehension {
                var,
                list,
                filter,
                map,
            } => ExprKind::ListComprehension {
                var: var.clone(),
                list: b(list, f),
                filter: filter.as_ref().map(|x| b(x, f)),
                map: map.as_ref().map(|x| b(x, f)),
            },
            ExprKind::Quantified {
                quantifier,
                var,
                list,
                filter,
            } => ExprKind::Quantified {
                quantifier: *quantifier,
                var: var.clone(),
                list: b(list, f),
                filter: filter.as_ref().map(|x| b(x, f)),
            },
            ExprKind::Reduce {
                acc,
                init,
                var,
                list,
                expr,
            } => ExprKind::Reduce {
                acc: acc.clone(),
                init: b(init, f),
                var: var.clone(),
                list: b(list, f),
                expr: b(expr, f),
            },
            ExprKind::MapProjection(t, items) => ExprKind::MapProjection(
                b(t, f),
                items
                    .iter()
                    .map(|i| match i {
                        MapProjectionItem::Literal(k, v) => {
                            MapProjectionItem::Literal(k.clone(), f(v))
                        }
                        other => other.clone(),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Expr {
            kind,
            span: self.span,
        }
    }

    /// Calls `f` with each direct sub-expression (not those inside patterns or subqueries).
    pub fn for_each_child<'e>(&'e self, f: &mut dyn FnMut(&'e Expr)) {
        match &self.kind {
            ExprKind::Property(t, _)
            | ExprKind::Unary(_, t)
            | ExprKind::IsNull(t, _)
            | ExprKind::HasLabels(t, _) => f(t),
            ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Map(entries) => entries.iter().for_each(|(_, v)| f(v)),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                f(a);
                f(b);
            }
            ExprKind::Slice(a, b, c) => {
                f(a);
                if let Some(b) = b {
                    f(b);
                }
                if let Some(c) = c {
                    f(c);
                }
            }
            ExprKind::Call { args, .. } => args.iter().for_each(f),
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                if let Some(s) = subject {
                    f(s);
                }
                for (w, t) in whens {
                    f(w);
                    f(t);
                }
                if let Some(o) = otherwise {
                    f(o);
                }
            }
            ExprKind::ListComprehension {
                list, filter, map, ..
            } => {
                f(list);
                if let Some(x) = filter {
                    f(x);
                }
                if let Some(x) = map {
                    f(x);
                }
            }
            ExprKind::Quantified { list, filter, .. } => {
                f(list);
                if let Some(x) = filter {
                    f(x);
                }
            }
            ExprKind::Reduce {
                init, list, expr, ..
            } => {
                f(init);
                f(list);
                f(expr);
            }
            ExprKind::MapProjection(t, items) => {
                f(t);
                for i in items {
                    if let MapProjectionItem::Literal(_, v) = i {
                        f(v);
                    }
                }
            }
            ExprKind::PatternComprehension { filter, map, .. } => {
                if let Some(x) = filter {
                    f(x);
                }
                f(map);
            }
            ExprKind::Literal(_)
            | ExprKind::Param(_)
            | ExprKind::Var(_)
            | ExprKind::CountStar
            | ExprKind::Pattern(_)
            | ExprKind::ExistsSubquery(_) => {}
        }
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    String(String),
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT`.
    Not,
    /// `-`.
    Neg,
    /// `+`.
    Plus,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `OR`.
    Or,
    /// `XOR`.
    Xor,
    /// `AND`.
    And,
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `^`.
    Pow,
    /// `IN`.
    In,
    /// `STARTS WITH`.
    StartsWith,
    /// `ENDS WITH`.
    EndsWith,
    /// `CONTAINS`.
    Contains,
    /// `=~`.
    Regex,
}

/// `all`, `any`, `none`, `single`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// `all(x IN list WHERE p)`.
    All,
    /// `any(...)`.
    Any,
    /// `none(...)`.
    None,
    /// `single(...)`.
    Single,
}

/// Expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Literal(Literal),
    /// `$name`.
    Param(String),
    /// A variable.
    Var(String),
    /// `expr.key`.
    Property(Box<Expr>, String),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{k: v}`.
    Map(Vec<(String, Expr)>),
    /// `list[i]` or `map[key]`.
    Index(Box<Expr>, Box<Expr>),
    /// `list[from..to]`.
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// A unary operator.
    Unary(UnaryOp, Box<Expr>),
    /// A binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `expr IS NULL` (`false`) or `IS NOT NULL` (`true`).
    IsNull(Box<Expr>, bool),
    /// `n:Label:Other`: whether a node has every label.
    HasLabels(Box<Expr>, Vec<String>),
    /// A function call: dotted name, `DISTINCT`, arguments.
    Call {
        /// The name, dotted parts (`toLower`, `db.labels`).
        name: Vec<String>,
        /// `count(DISTINCT x)`.
        distinct: bool,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `count(*)`.
    CountStar,
    /// `CASE [subject] WHEN ... THEN ... [ELSE ...] END`.
    Case {
        /// The simple form's subject.
        subject: Option<Box<Expr>>,
        /// `WHEN` / `THEN` pairs.
        whens: Vec<(Expr, Expr)>,
        /// `ELSE`.
        otherwise: Option<Box<Expr>>,
    },
    /// `[x IN list WHERE p | expr]`.
    ListComprehension {
        /// The variable.
        var: String,
        /// The list.
        list: Box<Expr>,
        /// The filter.
        filter: Option<Box<Expr>>,
        /// The mapping.
        map: Option<Box<Expr>>,
    },
    /// `[p = (a)-->(b) WHERE cond | expr]`.
    PatternComprehension {
        /// The path variable.
        var: Option<String>,
        /// The pattern.
        pattern: Box<PatternElement>,
        /// The filter.
        filter: Option<Box<Expr>>,
        /// The mapping.
        map: Box<Expr>,
    },
    /// `all(x IN list WHERE p)` and the others.
    Quantified {
        /// Which.
        quantifier: Quantifier,
        /// The variable.
        var: String,
        /// The list.
        list: Box<Expr>,
        /// The predicate.
        filter: Option<Box<Expr>>,
    },
    /// `reduce(acc = init, x IN list | expr)`.
    Reduce {
        /// The accumulator.
        acc: String,
        /// Its first value.
        init: Box<Expr>,
        /// The variable.
        var: String,
        /// The list.
        list: Box<Expr>,
        /// The step.
        expr: Box<Expr>,
    },
    /// A pattern used as a predicate: `(a)-->(b)` in `WHERE`, or `exists((a)-->())`.
    Pattern(Box<PatternElement>),
    /// `EXISTS { MATCH ... [WHERE ...] }` or `EXISTS { pattern [WHERE ...] }`.
    ExistsSubquery(Box<Query>),
    /// `{.key, key: expr, .*}` projections of a map or element: `n {.name, x: 1}`.
    MapProjection(Box<Expr>, Vec<MapProjectionItem>),
}

/// An item of a map projection.
#[derive(Clone, Debug, PartialEq)]
pub enum MapProjectionItem {
    /// `.key`.
    Property(String),
    /// `key: expr`.
    Literal(String, Expr),
    /// `key` (a variable of that name).
    Variable(String),
    /// `.*`.
    All,
}
