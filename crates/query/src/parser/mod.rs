//! A hand-written recursive-descent parser for openCypher 9 (and the schema commands and
//! `CALL { }` subqueries of later Cypher).
//!
//! Why by hand rather than a parser generator or combinator crate: errors are the product
//! here (a line, a column, a caret and what was expected, in the words of the grammar), the
//! grammar needs a few token-level decisions a generated parser makes awkward (keywords that
//! are also names, `<-` in `a<-1`, a parenthesis that opens either an expression or a
//! pattern), and a direct parser has no dependency and is fast: a typical query parses in
//! a few microseconds. Nesting is bounded ([`DEPTH_MAX`]), so no input can overflow the
//! stack, and no input panics (a fuzz target checks it).

mod expr;
mod pattern;

use crate::ast::{
    BinaryOp, Clause, Expr, ExprKind, Projection, ProjectionItem, Query, RemoveItem, SetItem,
    SingleQuery, Span, Statement,
};
use crate::error::SyntaxError;
use crate::lexer::{Tok, Token, tokenize};

/// Deepest nesting of expressions and patterns.
pub const DEPTH_MAX: usize = 200;

/// Parses one statement (a trailing `;` is allowed).
pub fn parse(text: &str) -> Result<Statement, SyntaxError> {
    let mut p = Parser::new(text)?;
    let s = p.statement()?;
    p.eat_sym(";");
    if !p.at_end() {
        return Err(p.error_here("expected the end of the statement"));
    }
    Ok(s)
}

/// Parses a script: statements separated by `;` (empty statements are skipped).
pub fn parse_script(text: &str) -> Result<Vec<Statement>, SyntaxError> {
    let mut p = Parser::new(text)?;
    let mut out = Vec::new();
    loop {
        while p.eat_sym(";") {}
        if p.at_end() {
            return Ok(out);
        }
        out.push(p.statement()?);
        if !p.at_end() && !p.eat_sym(";") {
            return Err(p.error_here("expected `;` between statements"));
        }
    }
}

pub(crate) struct Parser<'t> {
    pub(crate) text: &'t str,
    pub(crate) toks: Vec<Token>,
    pub(crate) pos: usize,
    pub(crate) depth: usize,
    /// Whether a pattern may stand as a predicate here: in `WHERE` and in `exists(...)`,
    /// not as a value (`RETURN (a)-->()` is a syntax error; use a pattern comprehension).
    pub(crate) patterns_ok: bool,
    /// The label disjunctions (`(n:A|B)`) of the `MATCH` pattern being read, as the node's
    /// variable, its labels and where it is written; `None` where none may be (outside a
    /// `MATCH` pattern). `match_clause` turns them into a condition of its `WHERE`.
    pub(crate) label_or: Option<Vec<(String, Vec<String>, crate::ast::Span)>>,
}

/// Words that end an expression or a clause, so never a variable where a clause may begin.
const CLAUSE_WORDS: [&str; 14] = [
    "MATCH", "OPTIONAL", "WHERE", "RETURN", "WITH", "UNWIND", "CREATE", "MERGE", "SET", "REMOVE",
    "DELETE", "DETACH", "CALL", "UNION",
];

impl<'t> Parser<'t> {
    pub(crate) fn new(text: &'t str) -> Result<Parser<'t>, SyntaxError> {
        Ok(Parser {
            text,
            toks: tokenize(text)?,
            pos: 0,
            depth: 0,
            patterns_ok: false,
            label_or: None,
        })
    }

    pub(crate) fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    pub(crate) fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    pub(crate) fn start(&self) -> usize {
        self.toks[self.pos.min(self.toks.len() - 1)].start
    }

    /// End of the last token taken.
    pub(crate) fn last_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[(self.pos - 1).min(self.toks.len() - 1)].end
        }
    }

    pub(crate) fn span_from(&self, start: usize) -> Span {
        Span {
            start,
            end: self.last_end().max(start),
        }
    }

    pub(crate) fn at_end(&self) -> bool {
        matches!(self.peek(), Tok::End)
    }

    pub(crate) fn bump(&mut self) {
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
    }

    /// Whether the next token is the keyword `kw` (case-insensitive, not backquoted).
    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    pub(crate) fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Ident { text, quoted: false } if text.eq_ignore_ascii_case(kw))
    }

    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_kw(&mut self, kw: &str) -> Result<(), SyntaxError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{kw}`")))
        }
    }

    pub(crate) fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    pub(crate) fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.bump();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_sym(&mut self, s: &str) -> Result<(), SyntaxError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{s}`")))
        }
    }

    /// A name (variable, label, property key): any word, backquoted or not.
    pub(crate) fn name(&mut self, what: &str) -> Result<String, SyntaxError> {
        match self.peek() {
            Tok::Ident { text, .. } => {
                let t = text.clone();
                self.bump();
                Ok(t)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A variable: a word that does not begin a clause.
    pub(crate) fn is_variable(&self) -> bool {
        match self.peek() {
            Tok::Ident { quoted: true, .. } => true,
            // A clause word followed by `.` is a variable whose property is read
            // (`call.line_number`): no clause begins that way.
            Tok::Ident {
                text,
                quoted: false,
            } => {
                !CLAUSE_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w))
                    || matches!(self.peek_at(1), Tok::Sym("."))
            }
            _ => false,
        }
    }

    pub(crate) fn describe(tok: &Tok) -> String {
        match tok {
            Tok::Ident {
                text,
                quoted: false,
            } => format!("`{text}`"),
            Tok::Ident { text, quoted: true } => format!("`` `{text}` ``"),
            Tok::Int(s) => format!("the number {s}"),
            Tok::Float(f) => format!("the number {f}"),
            Tok::Str(_) => "a string".into(),
            Tok::Param(p) => format!("the parameter ${p}"),
            Tok::Sym(s) => format!("`{s}`"),
            Tok::End => "the end of the query".into(),
        }
    }

    pub(crate) fn expected(&self, what: &str) -> SyntaxError {
        SyntaxError::new(
            self.text,
            self.start(),
            format!("expected {what}, found {}", Self::describe(self.peek())),
        )
    }

    pub(crate) fn error_here(&self, message: &str) -> SyntaxError {
        SyntaxError::new(
            self.text,
            self.start(),
            format!("{message}, found {}", Self::describe(self.peek())),
        )
    }

    /// Runs a nested parse with room on the stack: a debug build spends about 40 KiB of
    /// stack per nesting level (release about 10), more than a thread's 2 MiB allows at
    /// [`DEPTH_MAX`]; past the red zone the stack grows on the heap.
    pub(crate) fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, SyntaxError>,
    ) -> Result<T, SyntaxError> {
        self.enter()?;
        let r = stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || f(self));
        self.leave();
        r
    }

    pub(crate) fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > DEPTH_MAX {
            return Err(SyntaxError::new(
                self.text,
                self.start(),
                format!("the query nests more than {DEPTH_MAX} levels deep"),
            ));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    fn statement(&mut self) -> Result<Statement, SyntaxError> {
        if self.eat_kw("EXPLAIN") {
            return Ok(Statement::Explain(Box::new(self.statement()?)));
        }
        if self.eat_kw("PROFILE") {
            return Ok(Statement::Profile(Box::new(self.statement()?)));
        }
        if self.is_kw("CREATE") && (self.is_kw_at(1, "INDEX") || self.is_kw_at(1, "CONSTRAINT")) {
            return self.create_index();
        }
        if self.is_kw("CREATE")
            && (self.is_kw_at(1, "NODE") || self.is_kw_at(1, "REL"))
            && self.is_kw_at(2, "TABLE")
        {
            return self.kuzu_table();
        }
        if self.is_kw("DROP") {
            self.bump();
            if !self.eat_kw("INDEX") {
                self.expect_kw("CONSTRAINT")?;
            }
            let name = self.name("an index name")?;
            let if_exists = self.eat_kw("IF");
            if if_exists {
                self.expect_kw("EXISTS")?;
            }
            return Ok(Statement::DropIndex { name, if_exists });
        }
        Ok(Statement::Query(self.query()?))
    }

    /// `CREATE INDEX` / `CREATE CONSTRAINT`, new and old forms.
    fn create_index(&mut self) -> Result<Statement, SyntaxError> {
        self.expect_kw("CREATE")?;
        let constraint = self.eat_kw("CONSTRAINT");
        if !constraint {
            self.expect_kw("INDEX")?;
        }
        let mut name = None;
        if !self.is_kw("FOR") && !self.is_kw("ON") && !self.is_kw("IF") {
            name = Some(self.name("an index name")?);
        }
        let if_not_exists = self.eat_kw("IF");
        if if_not_exists {
            self.expect_kw("NOT")?;
            self.expect_kw("EXISTS")?;
        }
        // Old form: CREATE INDEX ON :Label(p, q)
        if !constraint && self.eat_kw("ON") {
            self.expect_sym(":")?;
            let target = self.name("a label")?;
            self.expect_sym("(")?;
            let mut properties = vec![self.name("a property")?];
            while self.eat_sym(",") {
                properties.push(self.name("a property")?);
            }
            self.expect_sym(")")?;
            return Ok(Statement::CreateIndex {
                name,
                relationship: false,
                target,
                properties,
                unique: false,
                if_not_exists,
            });
        }
        if !self.eat_kw("FOR") {
            self.expect_kw("ON")?;
        }
        let (var, target, relationship) = self.index_target()?;
        let properties;
        if constraint {
            if !self.eat_kw("REQUIRE") {
                self.expect_kw("ASSERT")?;
            }
            properties = self.index_properties(&var)?;
            self.expect_kw("IS")?;
            if !self.eat_kw("UNIQUE") {
                return Err(self.expected("`UNIQUE` (the only constraint supported)"));
            }
        } else {
            self.expect_kw("ON")?;
            properties = self.index_properties(&var)?;
        }
        Ok(Statement::CreateIndex {
            name,
            relationship,
            target,
            properties,
            unique: constraint,
            if_not_exists,
        })
    }

    /// Kùzu's `CREATE NODE TABLE [IF NOT EXISTS] L (col TYPE, ..., PRIMARY KEY (col))` (or
    /// `col TYPE PRIMARY KEY`) and `CREATE REL TABLE [GROUP] [IF NOT EXISTS] T (FROM A TO
    /// B, ..., col TYPE, ...)`. Column types are skipped whole (nested parentheses and
    /// brackets, `DEFAULT` expressions): the graph has no schema. A node table's primary
    /// key becomes a unique constraint on (L, key), which also indexes it; anything else is
    /// a [`Statement::DeclareTable`].
    fn kuzu_table(&mut self) -> Result<Statement, SyntaxError> {
        self.expect_kw("CREATE")?;
        let relationship = self.eat_kw("REL");
        if !relationship {
            self.expect_kw("NODE")?;
        }
        self.expect_kw("TABLE")?;
        if relationship && self.is_kw("GROUP") && !matches!(self.peek_at(1), Tok::Sym("(")) {
            self.bump();
        }
        let if_not_exists = self.is_kw("IF") && self.is_kw_at(1, "NOT");
        if if_not_exists {
            self.bump();
            self.bump();
            self.expect_kw("EXISTS")?;
        }
        let name = self.name("a table name")?;
        self.expect_sym("(")?;
        let mut key = None;
        let mut ends = 0;
        loop {
            if relationship && self.eat_kw("FROM") {
                self.name("a node table")?;
                self.expect_kw("TO")?;
                self.name("a node table")?;
                ends += 1;
            } else if self.is_kw("PRIMARY") && self.is_kw_at(1, "KEY") {
                self.bump();
                self.bump();
                self.expect_sym("(")?;
                key = Some(self.name("a column")?);
                self.expect_sym(")")?;
            } else {
                let column = self.name("a column")?;
                // The type, up to the next `,` or `)` outside brackets.
                let mut depth = 0usize;
                loop {
                    match self.peek() {
                        Tok::End => return Err(self.expected("`)`")),
                        Tok::Sym("," | ")") if depth == 0 => break,
                        Tok::Sym("(" | "[" | "{") => depth += 1,
                        Tok::Sym("]" | "}") if depth == 0 => {
                            return Err(self.expected("`,` or `)` after a column's type"));
                        }
                        Tok::Sym(")" | "]" | "}") => depth -= 1,
                        _ if depth == 0 && self.is_kw("PRIMARY") && self.is_kw_at(1, "KEY") => {
                            self.bump();
                            key = Some(column.clone());
                        }
                        _ => {}
                    }
                    self.bump();
                }
            }
            if !self.eat_sym(",") {
                self.expect_sym(")")?;
                break;
            }
        }
        if relationship && ends == 0 {
            return Err(self.error_here("a relationship table needs `FROM a TO b`"));
        }
        Ok(match key {
            Some(key) if !relationship => Statement::CreateIndex {
                name: None,
                relationship: false,
                target: name,
                properties: vec![key],
                unique: true,
                if_not_exists,
            },
            _ => Statement::DeclareTable { name, relationship },
        })
    }

    /// `(n:Label)` or `()-[r:TYPE]-()`: the variable, the label or type, and whether it is
    /// a relationship.
    fn index_target(&mut self) -> Result<(String, String, bool), SyntaxError> {
        self.expect_sym("(")?;
        if self.eat_sym(")") {
            let left = self.eat_sym("<-");
            if !left {
                self.expect_sym("-")?;
            }
            self.expect_sym("[")?;
            let var = self.name("a variable")?;
            self.expect_sym(":")?;
            let ty = self.name("a relationship type")?;
            self.expect_sym("]")?;
            if !self.eat_sym("->") {
                self.expect_sym("-")?;
            }
            self.expect_sym("(")?;
            self.expect_sym(")")?;
            return Ok((var, ty, true));
        }
        let var = self.name("a variable")?;
        self.expect_sym(":")?;
        let label = self.name("a label")?;
        self.expect_sym(")")?;
        Ok((var, label, false))
    }

    /// `n.p` or `(n.p, n.q)`.
    fn index_properties(&mut self, var: &str) -> Result<Vec<String>, SyntaxError> {
        let paren = self.eat_sym("(");
        let mut out = Vec::new();
        loop {
            let at = self.start();
            let v = self.name("a variable")?;
            if v != var {
                return Err(SyntaxError::new(
                    self.text,
                    at,
                    format!("expected the variable `{var}`, found `{v}`"),
                ));
            }
            self.expect_sym(".")?;
            out.push(self.name("a property")?);
            if !paren || !self.eat_sym(",") {
                break;
            }
        }
        if paren {
            self.expect_sym(")")?;
        }
        Ok(out)
    }

    pub(crate) fn query(&mut self) -> Result<Query, SyntaxError> {
        let first = self.single_query()?;
        let mut unions = Vec::new();
        while self.eat_kw("UNION") {
            let all = self.eat_kw("ALL");
            unions.push((all, self.single_query()?));
        }
        Ok(Query { first, unions })
    }

    fn single_query(&mut self) -> Result<SingleQuery, SyntaxError> {
        let mut clauses = Vec::new();
        loop {
            if self.at_end() || self.is_sym(";") || self.is_sym("}") || self.is_kw("UNION") {
                break;
            }
            let at = self.start();
            let c = self.clause()?;
            // `YIELD *` only in a query that is the procedure call alone.
            if let Some(Clause::Call {
                yields: Some(y), ..
            }) = clauses.last()
                && y.is_empty()
            {
                return Err(SyntaxError::new(
                    self.text,
                    at,
                    "`YIELD *` is allowed only when the call is the whole query",
                ));
            }
            let is_return = matches!(c, Clause::Return(_));
            clauses.push(c);
            if is_return {
                break;
            }
        }
        if clauses.is_empty() {
            return Err(self.expected("a clause (`MATCH`, `RETURN`, `CREATE`, ...)"));
        }
        Ok(SingleQuery { clauses })
    }

    fn clause(&mut self) -> Result<Clause, SyntaxError> {
        if self.eat_kw("OPTIONAL") {
            self.expect_kw("MATCH")?;
            return self.match_clause(true);
        }
        if self.eat_kw("MATCH") {
            return self.match_clause(false);
        }
        if self.eat_kw("UNWIND") {
            let expr = self.expr()?;
            self.expect_kw("AS")?;
            let alias = self.name("a variable")?;
            return Ok(Clause::Unwind { expr, alias });
        }
        if self.eat_kw("WITH") {
            let projection = self.projection()?;
            let filter = self.where_clause()?;
            return Ok(Clause::With { projection, filter });
        }
        if self.eat_kw("RETURN") {
            return Ok(Clause::Return(self.projection()?));
        }
        if self.eat_kw("CREATE") {
            return Ok(Clause::Create(self.pattern()?));
        }
        if self.eat_kw("MERGE") {
            let part = self.pattern_part()?;
            let (mut on_create, mut on_match) = (Vec::new(), Vec::new());
            while self.is_kw("ON") {
                self.bump();
                let create = if self.eat_kw("CREATE") {
                    true
                } else {
                    self.expect_kw("MATCH")?;
                    false
                };
                self.expect_kw("SET")?;
                let items = self.set_items()?;
                if create {
                    on_create.extend(items);
                } else {
                    on_match.extend(items);
                }
            }
            return Ok(Clause::Merge {
                part,
                on_create,
                on_match,
            });
        }
        if self.eat_kw("SET") {
            return Ok(Clause::Set(self.set_items()?));
        }
        if self.eat_kw("REMOVE") {
            let mut items = vec![self.remove_item()?];
            while self.eat_sym(",") {
                items.push(self.remove_item()?);
            }
            return Ok(Clause::Remove(items));
        }
        if self.is_kw("DETACH") || self.is_kw("DELETE") {
            let detach = self.eat_kw("DETACH");
            self.expect_kw("DELETE")?;
            let mut exprs = vec![self.expr()?];
            while self.eat_sym(",") {
                exprs.push(self.expr()?);
            }
            return Ok(Clause::Delete { detach, exprs });
        }
        if self.is_kw("CALL") {
            return self.call_clause();
        }
        Err(self.expected("a clause (`MATCH`, `RETURN`, `CREATE`, `WITH`, ...)"))
    }

    fn match_clause(&mut self, optional: bool) -> Result<Clause, SyntaxError> {
        let outer = self.label_or.replace(Vec::new());
        let pattern = self.pattern();
        let disjunctions = std::mem::replace(&mut self.label_or, outer).unwrap_or_default();
        let pattern = pattern?;
        let mut filter = self.where_clause()?;
        // `(n:A|B)` matches a node with label A or label B: `n:A OR n:B`, put before the
        // clause's own `WHERE`.
        for (var, labels, span) in disjunctions.into_iter().rev() {
            let expr = |kind| crate::ast::Expr { kind, span };
            let test = labels
                .into_iter()
                .map(|l| {
                    expr(ExprKind::HasLabels(
                        Box::new(expr(ExprKind::Var(var.clone()))),
                        vec![l],
                    ))
                })
                .reduce(|a, b| expr(ExprKind::Binary(BinaryOp::Or, Box::new(a), Box::new(b))));
            if let Some(test) = test {
                filter = Some(match filter {
                    None => test,
                    Some(f) => expr(ExprKind::Binary(BinaryOp::And, Box::new(test), Box::new(f))),
                });
            }
        }
        Ok(Clause::Match {
            optional,
            pattern,
            filter,
        })
    }

    fn call_clause(&mut self) -> Result<Clause, SyntaxError> {
        let start = self.start();
        self.expect_kw("CALL")?;
        if self.eat_sym("{") {
            let q = self.nested(Self::query)?;
            self.expect_sym("}")?;
            return Ok(Clause::Subquery(Box::new(q)));
        }
        let mut name = vec![self.name("a procedure name")?];
        while self.eat_sym(".") {
            name.push(self.name("a procedure name")?);
        }
        let args = if self.eat_sym("(") {
            let mut args = Vec::new();
            if !self.eat_sym(")") {
                loop {
                    args.push(self.expr()?);
                    if self.eat_sym(")") {
                        break;
                    }
                    self.expect_sym(",")?;
                }
            }
            Some(args)
        } else {
            None
        };
        let mut yields = None;
        let mut filter = None;
        if self.eat_kw("YIELD") {
            let mut items = Vec::new();
            if !self.eat_sym("*") {
                loop {
                    let field = self.name("a field to yield")?;
                    let alias = if self.eat_kw("AS") {
                        Some(self.name("a variable")?)
                    } else {
                        None
                    };
                    items.push((field, alias));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            }
            yields = Some(items);
            filter = self.where_clause()?;
        }
        Ok(Clause::Call {
            name,
            args,
            yields,
            filter,
            span: self.span_from(start),
        })
    }

    /// `WHERE expr`, if next: patterns may stand as predicates in it.
    pub(crate) fn where_clause(&mut self) -> Result<Option<Expr>, SyntaxError> {
        if !self.eat_kw("WHERE") {
            return Ok(None);
        }
        self.with_patterns(true, Self::expr).map(Some)
    }

    /// Parses with pattern predicates allowed or not, restoring the setting after.
    pub(crate) fn with_patterns<T>(
        &mut self,
        ok: bool,
        f: impl FnOnce(&mut Self) -> Result<T, SyntaxError>,
    ) -> Result<T, SyntaxError> {
        let before = self.patterns_ok;
        self.patterns_ok = ok;
        let r = f(self);
        self.patterns_ok = before;
        r
    }

    fn projection(&mut self) -> Result<Projection, SyntaxError> {
        let distinct = self.eat_kw("DISTINCT");
        let mut star = false;
        let mut items = Vec::new();
        if self.eat_sym("*") {
            star = true;
            if self.eat_sym(",") {
                items = self.projection_items()?;
            }
        } else {
            items = self.projection_items()?;
        }
        let mut order = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let e = self.expr()?;
                let asc = if self.eat_kw("DESC") || self.eat_kw("DESCENDING") {
                    false
                } else {
                    let _ = self.eat_kw("ASC") || self.eat_kw("ASCENDING");
                    true
                };
                order.push((e, asc));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let skip = if self.eat_kw("SKIP") {
            Some(self.expr()?)
        } else {
            None
        };
        let limit = if self.eat_kw("LIMIT") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Projection {
            distinct,
            star,
            items,
            order,
            skip,
            limit,
        })
    }

    fn projection_items(&mut self) -> Result<Vec<ProjectionItem>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            let expr = self.expr()?;
            let text = self.text[expr.span.start..expr.span.end].to_string();
            let alias = if self.eat_kw("AS") {
                Some(self.name("a variable")?)
            } else {
                None
            };
            items.push(ProjectionItem { expr, alias, text });
            if !self.eat_sym(",") {
                return Ok(items);
            }
        }
    }

    fn set_items(&mut self) -> Result<Vec<SetItem>, SyntaxError> {
        let mut items = vec![self.set_item()?];
        while self.eat_sym(",") {
            items.push(self.set_item()?);
        }
        Ok(items)
    }

    fn set_item(&mut self) -> Result<SetItem, SyntaxError> {
        if matches!(self.peek(), Tok::Ident { .. }) {
            match self.peek_at(1) {
                Tok::Sym("=" | "+=") => {
                    let var = self.name("a variable")?;
                    let replace = self.eat_sym("=");
                    if !replace {
                        self.expect_sym("+=")?;
                    }
                    let value = self.expr()?;
                    return Ok(SetItem::Properties {
                        var,
                        value,
                        replace,
                    });
                }
                Tok::Sym(":") => {
                    let var = self.name("a variable")?;
                    let labels = self.labels()?;
                    return Ok(SetItem::Labels { var, labels });
                }
                _ => {}
            }
        }
        let (target, key) = self.property_target()?;
        self.expect_sym("=")?;
        let value = self.expr()?;
        Ok(SetItem::Property { target, key, value })
    }

    fn remove_item(&mut self) -> Result<RemoveItem, SyntaxError> {
        if matches!(self.peek(), Tok::Ident { .. }) && matches!(self.peek_at(1), Tok::Sym(":")) {
            let var = self.name("a variable")?;
            let labels = self.labels()?;
            return Ok(RemoveItem::Labels { var, labels });
        }
        let (target, key) = self.property_target()?;
        Ok(RemoveItem::Property { target, key })
    }

    /// `expr.key` where a property is written to: the element expression and the key.
    fn property_target(&mut self) -> Result<(Expr, String), SyntaxError> {
        let start = self.start();
        let e = self.postfix_expr()?;
        match e.kind {
            crate::ast::ExprKind::Property(target, key) => Ok((*target, key)),
            _ => Err(SyntaxError::new(
                self.text,
                start,
                "expected a property such as `n.name`",
            )),
        }
    }

    /// `:A:B` (also `:A|B`? no: labels are all required).
    pub(crate) fn labels(&mut self) -> Result<Vec<String>, SyntaxError> {
        let mut out = Vec::new();
        while self.eat_sym(":") {
            out.push(self.name("a label")?);
        }
        if out.is_empty() {
            return Err(self.expected("`:` and a label"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
