//! Expressions, by precedence from loosest to tightest: `OR`, `XOR`, `AND`, `NOT`,
//! comparisons (chained: `a < b < c` is `a < b AND b < c`), string and list predicates
//! (`STARTS WITH`, `ENDS WITH`, `CONTAINS`, `IN`, `=~`, `IS [NOT] NULL`), `+ -`, `* / %`,
//! `^`, unary `+ -`, then postfix property access, indexing, slicing and label checks.

use super::Parser;
use crate::ast::{BinaryOp, Expr, ExprKind, Literal, MapProjectionItem, Quantifier, Span, UnaryOp};
use crate::error::SyntaxError;
use crate::lexer::Tok;

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl Parser<'_> {
    fn node(&self, start: usize, kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: self.span_from(start),
        }
    }

    /// An expression.
    pub(crate) fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.nested(Self::or_expr)
    }

    fn binary_chain(
        &mut self,
        ops: &[(&str, BinaryOp)],
        next: fn(&mut Self) -> Result<Expr, SyntaxError>,
    ) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let mut left = next(self)?;
        'outer: loop {
            for (kw, op) in ops {
                if self.eat_kw(kw) {
                    let right = next(self)?;
                    left = self.node(start, ExprKind::Binary(*op, boxed(left), boxed(right)));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    fn or_expr(&mut self) -> Result<Expr, SyntaxError> {
        self.binary_chain(&[("OR", BinaryOp::Or)], Self::xor_expr)
    }

    fn xor_expr(&mut self) -> Result<Expr, SyntaxError> {
        self.binary_chain(&[("XOR", BinaryOp::Xor)], Self::and_expr)
    }

    fn and_expr(&mut self) -> Result<Expr, SyntaxError> {
        self.binary_chain(&[("AND", BinaryOp::And)], Self::not_expr)
    }

    fn not_expr(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        if self.eat_kw("NOT") {
            let inner = self.nested(Self::not_expr)?;
            return Ok(self.node(start, ExprKind::Unary(UnaryOp::Not, boxed(inner))));
        }
        self.comparison()
    }

    /// The comparison operator next, if any. `<-` (as in `a<-1`) is `<` then `-`: the
    /// token is split in place.
    fn comparison_op(&mut self) -> Option<BinaryOp> {
        let op = match self.peek() {
            Tok::Sym("=") => BinaryOp::Eq,
            Tok::Sym("<>" | "!=") => BinaryOp::Ne,
            Tok::Sym("<") => BinaryOp::Lt,
            Tok::Sym("<=") => BinaryOp::Le,
            Tok::Sym(">") => BinaryOp::Gt,
            Tok::Sym(">=") => BinaryOp::Ge,
            Tok::Sym("<-") => {
                let t = &mut self.toks[self.pos];
                t.tok = Tok::Sym("-");
                t.start += 1;
                return Some(BinaryOp::Lt);
            }
            _ => return None,
        };
        self.bump();
        Some(op)
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let first = self.predicate_expr()?;
        let mut result: Option<Expr> = None;
        let mut left = first.clone();
        while let Some(op) = self.comparison_op() {
            let right = self.predicate_expr()?;
            let cmp = self.node(
                start,
                ExprKind::Binary(op, boxed(left), boxed(right.clone())),
            );
            result = Some(match result {
                None => cmp,
                Some(prev) => self.node(
                    start,
                    ExprKind::Binary(BinaryOp::And, boxed(prev), boxed(cmp)),
                ),
            });
            left = right;
        }
        Ok(result.unwrap_or(first))
    }

    fn predicate_expr(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let mut left = self.add_expr()?;
        loop {
            let op = if self.is_kw("STARTS") && self.is_kw_at(1, "WITH") {
                self.bump();
                self.bump();
                BinaryOp::StartsWith
            } else if self.is_kw("ENDS") && self.is_kw_at(1, "WITH") {
                self.bump();
                self.bump();
                BinaryOp::EndsWith
            } else if self.eat_kw("CONTAINS") {
                BinaryOp::Contains
            } else if self.eat_kw("IN") {
                BinaryOp::In
            } else if self.is_kw("NOT") && self.is_kw_at(1, "IN") {
                // Kùzu's `x NOT IN list`, read as `NOT (x IN list)`.
                self.bump();
                self.bump();
                let right = self.add_expr()?;
                let test = self.node(
                    start,
                    ExprKind::Binary(BinaryOp::In, boxed(left), boxed(right)),
                );
                left = self.node(start, ExprKind::Unary(UnaryOp::Not, boxed(test)));
                continue;
            } else if self.eat_sym("=~") {
                BinaryOp::Regex
            } else if self.is_kw("IS") {
                self.bump();
                let not = self.eat_kw("NOT");
                self.expect_kw("NULL")?;
                left = self.node(start, ExprKind::IsNull(boxed(left), not));
                continue;
            } else {
                return Ok(left);
            };
            let right = self.add_expr()?;
            left = self.node(start, ExprKind::Binary(op, boxed(left), boxed(right)));
        }
    }

    fn sym_chain(
        &mut self,
        ops: &[(&str, BinaryOp)],
        next: fn(&mut Self) -> Result<Expr, SyntaxError>,
    ) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let mut left = next(self)?;
        'outer: loop {
            for (s, op) in ops {
                if self.eat_sym(s) {
                    let right = next(self)?;
                    left = self.node(start, ExprKind::Binary(*op, boxed(left), boxed(right)));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    fn add_expr(&mut self) -> Result<Expr, SyntaxError> {
        self.sym_chain(
            &[("+", BinaryOp::Add), ("-", BinaryOp::Sub)],
            Self::mul_expr,
        )
    }

    fn mul_expr(&mut self) -> Result<Expr, SyntaxError> {
        self.sym_chain(
            &[
                ("*", BinaryOp::Mul),
                ("/", BinaryOp::Div),
                ("%", BinaryOp::Mod),
            ],
            Self::pow_expr,
        )
    }

    fn pow_expr(&mut self) -> Result<Expr, SyntaxError> {
        self.sym_chain(&[("^", BinaryOp::Pow)], Self::unary_expr)
    }

    fn unary_expr(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        if self.is_sym("-") {
            // A minus right before an integer literal is part of it: -9223372036854775808.
            if let Tok::Int(digits) = self.peek_at(1).clone() {
                let int_end = self.toks[self.pos + 1].end;
                let after_is_postfix = matches!(self.peek_at(2), Tok::Sym("." | "[" | "^"));
                if !after_is_postfix {
                    self.bump();
                    self.bump();
                    let v = self.int_value(&digits, true, start)?;
                    return Ok(Expr {
                        kind: ExprKind::Literal(Literal::Int(v)),
                        span: Span {
                            start,
                            end: int_end,
                        },
                    });
                }
            }
            self.bump();
            let inner = self.nested(Self::unary_expr)?;
            return Ok(self.node(start, ExprKind::Unary(UnaryOp::Neg, boxed(inner))));
        }
        if self.eat_sym("+") {
            let inner = self.nested(Self::unary_expr)?;
            return Ok(self.node(start, ExprKind::Unary(UnaryOp::Plus, boxed(inner))));
        }
        self.postfix_expr()
    }

    fn int_value(&self, digits: &str, negative: bool, at: usize) -> Result<i64, SyntaxError> {
        let (radix, body) = if let Some(h) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            (16, h)
        } else if let Some(o) = digits
            .strip_prefix("0o")
            .or_else(|| digits.strip_prefix("0O"))
        {
            (8, o)
        } else {
            (10, digits)
        };
        let text = if negative {
            format!("-{body}")
        } else {
            body.to_string()
        };
        i64::from_str_radix(&text, radix).map_err(|e| {
            let why = match e.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    "integer literal is too large for 64 bits"
                }
                _ => "invalid integer literal",
            };
            SyntaxError::new(self.text, at, format!("{why}: `{digits}`"))
        })
    }

    /// An atom and its postfix operators: `.key`, `[i]`, `[a..b]`, `:Label`, `{...}`.
    pub(crate) fn postfix_expr(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let mut e = self.atom()?;
        loop {
            if self.is_sym(".") {
                self.bump();
                let key = self.name("a property name")?;
                e = self.node(start, ExprKind::Property(boxed(e), key));
            } else if self.is_sym("[") {
                self.bump();
                e = self.nested(|p| p.index_or_slice(e, start))?;
            } else if self.is_sym(":") && matches!(self.peek_at(1), Tok::Ident { .. }) {
                let labels = self.labels()?;
                e = self.node(start, ExprKind::HasLabels(boxed(e), labels));
            } else if self.is_sym("{") && matches!(e.kind, ExprKind::Var(_)) {
                e = self.map_projection(e, start)?;
            } else {
                return Ok(e);
            }
        }
    }

    fn index_or_slice(&mut self, e: Expr, start: usize) -> Result<Expr, SyntaxError> {
        if self.eat_sym("..") {
            let to = if self.is_sym("]") {
                None
            } else {
                Some(boxed(self.expr()?))
            };
            self.expect_sym("]")?;
            return Ok(self.node(start, ExprKind::Slice(boxed(e), None, to)));
        }
        let first = self.expr()?;
        if self.eat_sym("..") {
            let to = if self.is_sym("]") {
                None
            } else {
                Some(boxed(self.expr()?))
            };
            self.expect_sym("]")?;
            return Ok(self.node(start, ExprKind::Slice(boxed(e), Some(boxed(first)), to)));
        }
        self.expect_sym("]")?;
        Ok(self.node(start, ExprKind::Index(boxed(e), boxed(first))))
    }

    fn map_projection(&mut self, e: Expr, start: usize) -> Result<Expr, SyntaxError> {
        self.expect_sym("{")?;
        let mut items = Vec::new();
        if !self.eat_sym("}") {
            loop {
                if self.eat_sym(".") {
                    if self.eat_sym("*") {
                        items.push(MapProjectionItem::All);
                    } else {
                        items.push(MapProjectionItem::Property(self.name("a property")?));
                    }
                } else {
                    let key = self.name("a key")?;
                    if self.eat_sym(":") {
                        items.push(MapProjectionItem::Literal(key, self.expr()?));
                    } else {
                        items.push(MapProjectionItem::Variable(key));
                    }
                }
                if self.eat_sym("}") {
                    break;
                }
                self.expect_sym(",")?;
            }
        }
        Ok(self.node(start, ExprKind::MapProjection(boxed(e), items)))
    }

    /// Kùzu's `CAST(value AS type)`, read as the function call `cast(value, 'type')` (the
    /// type written out, e.g. `FLOAT[3]`); `CAST(value, 'type')` is that call already.
    fn cast(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let name = vec![self.name("a function name")?];
        self.expect_sym("(")?;
        let value = self.expr()?;
        let target = if self.eat_kw("AS") {
            let at = self.start();
            let mut ty = self.name("a type")?.to_ascii_uppercase();
            while self.eat_sym("[") {
                ty.push('[');
                if let Tok::Int(d) = self.peek().clone() {
                    self.bump();
                    ty.push_str(&d);
                }
                self.expect_sym("]")?;
                ty.push(']');
            }
            self.node(at, ExprKind::Literal(Literal::String(ty)))
        } else {
            self.expect_sym(",")?;
            self.expr()?
        };
        self.expect_sym(")")?;
        Ok(self.node(
            start,
            ExprKind::Call {
                name,
                distinct: false,
                args: vec![value, target],
            },
        ))
    }

    fn atom(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let lit = |p: &Self, l: Literal| p.node(start, ExprKind::Literal(l));
        match self.peek().clone() {
            Tok::Int(d) => {
                self.bump();
                let v = self.int_value(&d, false, start)?;
                Ok(lit(self, Literal::Int(v)))
            }
            Tok::Float(f) => {
                self.bump();
                Ok(lit(self, Literal::Float(f)))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(lit(self, Literal::String(s)))
            }
            Tok::Param(p) => {
                self.bump();
                Ok(self.node(start, ExprKind::Param(p)))
            }
            Tok::Sym("[") => self.list_atom(),
            Tok::Sym("{") => {
                let entries = self.map_literal()?;
                Ok(self.node(start, ExprKind::Map(entries)))
            }
            Tok::Sym("(") => self.paren_atom(),
            Tok::Ident { text, quoted } => self.word_atom(&text, quoted),
            _ => Err(self.expected("an expression")),
        }
    }

    /// `{key: expr, ...}`.
    pub(crate) fn map_literal(&mut self) -> Result<Vec<(String, Expr)>, SyntaxError> {
        self.expect_sym("{")?;
        let mut entries = Vec::new();
        if self.eat_sym("}") {
            return Ok(entries);
        }
        loop {
            let key = match self.peek().clone() {
                Tok::Str(s) => {
                    self.bump();
                    s
                }
                _ => self.name("a key")?,
            };
            self.expect_sym(":")?;
            entries.push((key, self.expr()?));
            if self.eat_sym("}") {
                return Ok(entries);
            }
            self.expect_sym(",")?;
        }
    }

    fn paren_atom(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        // A pattern (with at least one relationship) is a predicate: `(a)-->(b)`.
        let save = self.pos;
        if let Ok(el) = self.pattern_element()
            && !el.chain.is_empty()
        {
            if !self.patterns_ok {
                return Err(SyntaxError::new(
                    self.text,
                    start,
                    "a pattern can only be a predicate (in `WHERE` or `exists()`); for its matches use a pattern comprehension `[(a)-->(b) | b]`",
                ));
            }
            return Ok(self.node(start, ExprKind::Pattern(Box::new(el))));
        }
        self.pos = save;
        self.expect_sym("(")?;
        let e = self.expr()?;
        self.expect_sym(")")?;
        // The parentheses belong to the expression's span (the column name keeps them).
        Ok(Expr {
            kind: e.kind,
            span: self.span_from(start),
        })
    }

    fn list_atom(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        // [x IN list WHERE p | e]
        if matches!(self.peek_at(1), Tok::Ident { .. }) && self.is_kw_at(2, "IN") {
            self.bump();
            let var = self.name("a variable")?;
            self.expect_kw("IN")?;
            let list = self.expr()?;
            let filter = self.where_clause()?.map(boxed);
            let map = if self.eat_sym("|") {
                Some(boxed(self.expr()?))
            } else {
                None
            };
            self.expect_sym("]")?;
            return Ok(self.node(
                start,
                ExprKind::ListComprehension {
                    var,
                    list: boxed(list),
                    filter,
                    map,
                },
            ));
        }
        // [p = (a)-->(b) WHERE c | e] or [(a)-->(b) | e]
        let pattern_start = matches!(self.peek_at(1), Tok::Sym("("))
            || (matches!(self.peek_at(1), Tok::Ident { .. })
                && matches!(self.peek_at(2), Tok::Sym("=")));
        if pattern_start {
            let save = self.pos;
            match self.pattern_comprehension(start) {
                Ok(e) => return Ok(e),
                Err(_) => self.pos = save,
            }
        }
        self.expect_sym("[")?;
        let mut items = Vec::new();
        if !self.eat_sym("]") {
            loop {
                items.push(self.expr()?);
                if self.eat_sym("]") {
                    break;
                }
                self.expect_sym(",")?;
            }
        }
        Ok(self.node(start, ExprKind::List(items)))
    }

    fn pattern_comprehension(&mut self, start: usize) -> Result<Expr, SyntaxError> {
        self.expect_sym("[")?;
        let var = if matches!(self.peek(), Tok::Ident { .. }) {
            let v = self.name("a variable")?;
            self.expect_sym("=")?;
            Some(v)
        } else {
            None
        };
        let pattern = self.pattern_element()?;
        if pattern.chain.is_empty() {
            return Err(self.expected("a relationship in the pattern"));
        }
        let filter = self.where_clause()?.map(boxed);
        self.expect_sym("|")?;
        let map = self.expr()?;
        self.expect_sym("]")?;
        Ok(self.node(
            start,
            ExprKind::PatternComprehension {
                var,
                pattern: Box::new(pattern),
                filter,
                map: boxed(map),
            },
        ))
    }

    fn word_atom(&mut self, text: &str, quoted: bool) -> Result<Expr, SyntaxError> {
        let start = self.start();
        if !quoted {
            let upper = text.to_ascii_uppercase();
            match upper.as_str() {
                "TRUE" => {
                    self.bump();
                    return Ok(self.node(start, ExprKind::Literal(Literal::Bool(true))));
                }
                "FALSE" => {
                    self.bump();
                    return Ok(self.node(start, ExprKind::Literal(Literal::Bool(false))));
                }
                "NULL" => {
                    self.bump();
                    return Ok(self.node(start, ExprKind::Literal(Literal::Null)));
                }
                "CASE" => return self.case_expr(),
                "COUNT"
                    if matches!(self.peek_at(1), Tok::Sym("("))
                        && matches!(self.peek_at(2), Tok::Sym("*")) =>
                {
                    self.bump();
                    self.bump();
                    self.bump();
                    self.expect_sym(")")?;
                    return Ok(self.node(start, ExprKind::CountStar));
                }
                "EXISTS" if matches!(self.peek_at(1), Tok::Sym("{")) => {
                    self.bump();
                    self.bump();
                    let q = self.nested(Self::exists_body)?;
                    self.expect_sym("}")?;
                    return Ok(self.node(start, ExprKind::ExistsSubquery(Box::new(q))));
                }
                "ALL" | "ANY" | "NONE" | "SINGLE"
                    if matches!(self.peek_at(1), Tok::Sym("("))
                        && matches!(self.peek_at(2), Tok::Ident { .. })
                        && self.is_kw_at(3, "IN") =>
                {
                    return self.quantified(&upper);
                }
                "REDUCE" if matches!(self.peek_at(1), Tok::Sym("(")) => {
                    return self.reduce();
                }
                "CAST" if matches!(self.peek_at(1), Tok::Sym("(")) => {
                    return self.cast();
                }
                _ => {}
            }
        }
        // A function call: name(.name)* followed by `(`.
        let mut n = 1;
        while matches!(self.peek_at(n), Tok::Sym("."))
            && matches!(self.peek_at(n + 1), Tok::Ident { .. })
        {
            n += 2;
        }
        if matches!(self.peek_at(n), Tok::Sym("(")) {
            let mut name = vec![self.name("a function name")?];
            while self.eat_sym(".") {
                name.push(self.name("a function name")?);
            }
            self.expect_sym("(")?;
            let distinct = self.eat_kw("DISTINCT");
            let mut args = Vec::new();
            // `exists((a)-->(b))` takes a pattern; other functions take values.
            let patterns = name.len() == 1 && name[0].eq_ignore_ascii_case("exists");
            if !self.eat_sym(")") {
                loop {
                    args.push(self.with_patterns(patterns, Self::expr)?);
                    if self.eat_sym(")") {
                        break;
                    }
                    self.expect_sym(",")?;
                }
            }
            return Ok(self.node(
                start,
                ExprKind::Call {
                    name,
                    distinct,
                    args,
                },
            ));
        }
        if !self.is_variable() {
            return Err(self.expected("an expression"));
        }
        let v = self.name("a variable")?;
        Ok(self.node(start, ExprKind::Var(v)))
    }

    /// `all(x IN list WHERE p)` and the other quantifiers; `upper` names which.
    fn quantified(&mut self, upper: &str) -> Result<Expr, SyntaxError> {
        let start = self.start();
        let quantifier = match upper {
            "ALL" => Quantifier::All,
            "ANY" => Quantifier::Any,
            "NONE" => Quantifier::None,
            _ => Quantifier::Single,
        };
        self.bump();
        self.bump();
        let var = self.name("a variable")?;
        self.expect_kw("IN")?;
        let list = self.expr()?;
        let filter = self.where_clause()?.map(boxed);
        self.expect_sym(")")?;
        Ok(self.node(
            start,
            ExprKind::Quantified {
                quantifier,
                var,
                list: boxed(list),
                filter,
            },
        ))
    }

    /// `reduce(acc = init, x IN list | expr)`.
    fn reduce(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        self.bump();
        self.bump();
        let acc = self.name("an accumulator")?;
        self.expect_sym("=")?;
        let init = self.expr()?;
        self.expect_sym(",")?;
        let var = self.name("a variable")?;
        self.expect_kw("IN")?;
        let list = self.expr()?;
        self.expect_sym("|")?;
        let expr = self.expr()?;
        self.expect_sym(")")?;
        Ok(self.node(
            start,
            ExprKind::Reduce {
                acc,
                init: boxed(init),
                var,
                list: boxed(list),
                expr: boxed(expr),
            },
        ))
    }

    /// The inside of `EXISTS { ... }`: a query, or a pattern with an optional `WHERE`.
    fn exists_body(&mut self) -> Result<crate::ast::Query, SyntaxError> {
        if self.is_kw("MATCH")
            || self.is_kw("OPTIONAL")
            || self.is_kw("WITH")
            || self.is_kw("UNWIND")
            || self.is_kw("CALL")
        {
            return self.query();
        }
        let pattern = self.pattern()?;
        let filter = self.where_clause()?;
        Ok(crate::ast::Query {
            first: crate::ast::SingleQuery {
                clauses: vec![crate::ast::Clause::Match {
                    optional: false,
                    pattern,
                    filter,
                }],
            },
            unions: Vec::new(),
        })
    }

    fn case_expr(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.start();
        self.expect_kw("CASE")?;
        let subject = if self.is_kw("WHEN") {
            None
        } else {
            Some(boxed(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.eat_kw("WHEN") {
            let w = self.expr()?;
            self.expect_kw("THEN")?;
            whens.push((w, self.expr()?));
        }
        if whens.is_empty() {
            return Err(self.expected("`WHEN`"));
        }
        let otherwise = if self.eat_kw("ELSE") {
            Some(boxed(self.expr()?))
        } else {
            None
        };
        self.expect_kw("END")?;
        Ok(self.node(
            start,
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            },
        ))
    }
}
