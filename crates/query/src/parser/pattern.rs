//! Patterns: `p = (a:Label {k: v})-[r:T1|T2*1..3]->(b)`, comma-separated parts, and
//! `shortestPath(...)` / `allShortestPaths(...)`.

use super::Parser;
use crate::ast::{Dir, NodePattern, PatternElement, PatternPart, RelPattern, Shortest};
use crate::error::SyntaxError;
use crate::lexer::Tok;

impl Parser<'_> {
    /// Comma-separated pattern parts.
    pub(crate) fn pattern(&mut self) -> Result<Vec<PatternPart>, SyntaxError> {
        let mut parts = vec![self.pattern_part()?];
        while self.eat_sym(",") {
            parts.push(self.pattern_part()?);
        }
        Ok(parts)
    }

    /// One part, perhaps named and perhaps under a shortest-path function.
    pub(crate) fn pattern_part(&mut self) -> Result<PatternPart, SyntaxError> {
        let var = if matches!(self.peek(), Tok::Ident { .. })
            && matches!(self.peek_at(1), Tok::Sym("="))
        {
            let v = self.name("a path variable")?;
            self.bump();
            Some(v)
        } else {
            None
        };
        let shortest = if self.is_kw("shortestPath") && matches!(self.peek_at(1), Tok::Sym("(")) {
            Some(Shortest::One)
        } else if self.is_kw("allShortestPaths") && matches!(self.peek_at(1), Tok::Sym("(")) {
            Some(Shortest::All)
        } else {
            None
        };
        let element = if shortest.is_some() {
            self.bump();
            self.expect_sym("(")?;
            let e = self.pattern_element()?;
            self.expect_sym(")")?;
            e
        } else {
            self.pattern_element()?
        };
        Ok(PatternPart {
            var,
            shortest,
            element,
        })
    }

    /// A node, then relationship-node steps.
    pub(crate) fn pattern_element(&mut self) -> Result<PatternElement, SyntaxError> {
        self.nested(Self::pattern_element_inner)
    }

    fn pattern_element_inner(&mut self) -> Result<PatternElement, SyntaxError> {
        let start = self.node_pattern()?;
        let mut chain = Vec::new();
        while self.is_sym("-") || self.is_sym("<-") || self.is_sym("->") {
            let rel = self.rel_pattern()?;
            let node = self.node_pattern()?;
            chain.push((rel, node));
        }
        Ok(PatternElement { start, chain })
    }

    fn node_pattern(&mut self) -> Result<NodePattern, SyntaxError> {
        let start = self.start();
        self.expect_sym("(")?;
        let var = if matches!(self.peek(), Tok::Ident { .. }) {
            Some(self.name("a variable")?)
        } else {
            None
        };
        let mut labels = Vec::new();
        while self.eat_sym(":") {
            labels.push(self.name("a label")?);
        }
        if labels.len() == 1 && self.is_sym("|") {
            // A label disjunction, `(n:A|B)` (also `(n:A|:B)`), as Neo4j 5 and Memgraph
            // read it: in a `MATCH` pattern, on a named node.
            let at = self.start();
            while self.eat_sym("|") {
                self.eat_sym(":");
                labels.push(self.name("a label")?);
            }
            let span = self.span_from(start);
            let Some(var) = var.clone() else {
                return Err(SyntaxError::new(
                    self.text,
                    at,
                    "a label disjunction `:A|B` needs a named node",
                ));
            };
            let Some(found) = self.label_or.as_mut() else {
                return Err(SyntaxError::new(
                    self.text,
                    at,
                    "a label disjunction `:A|B` is only read in a MATCH pattern",
                ));
            };
            found.push((var, std::mem::take(&mut labels), span));
        }
        let props = self.pattern_props()?;
        self.expect_sym(")")?;
        Ok(NodePattern {
            var,
            labels,
            props,
            span: self.span_from(start),
        })
    }

    fn pattern_props(&mut self) -> Result<Option<crate::ast::Expr>, SyntaxError> {
        let start = self.start();
        if self.is_sym("{") {
            // The map's values are expressions of their own: a label disjunction in a
            // pattern comprehension there is not the enclosing MATCH's.
            let outer = self.label_or.take();
            let entries = self.map_literal();
            self.label_or = outer;
            let entries = entries?;
            return Ok(Some(crate::ast::Expr {
                kind: crate::ast::ExprKind::Map(entries),
                span: self.span_from(start),
            }));
        }
        if let Tok::Param(p) = self.peek().clone() {
            self.bump();
            return Ok(Some(crate::ast::Expr {
                kind: crate::ast::ExprKind::Param(p),
                span: self.span_from(start),
            }));
        }
        Ok(None)
    }

    /// `-[...]-`, `<-[...]-`, `-[...]->`, `<-[...]->`, `--`, `-->`, `<--`, `<-->`.
    fn rel_pattern(&mut self) -> Result<RelPattern, SyntaxError> {
        let start = self.start();
        // The left end: `<-`, `-`, or (for `-->`/`<-->` lexed as `-` `->` / `<-` `->`) the
        // first half of a detail-less arrow.
        let left = if self.eat_sym("<-") {
            true
        } else if self.eat_sym("-") {
            false
        } else if self.is_sym("->") {
            return Err(self.expected("`-` or `<-` to begin a relationship"));
        } else {
            return Err(self.expected("a relationship"));
        };
        let mut rel = RelPattern {
            var: None,
            types: Vec::new(),
            dir: Dir::Both,
            length: None,
            props: None,
            span: crate::ast::Span::default(),
        };
        if self.eat_sym("[") {
            if matches!(self.peek(), Tok::Ident { .. }) {
                rel.var = Some(self.name("a variable")?);
            }
            if self.eat_sym(":") {
                rel.types.push(self.name("a relationship type")?);
                while self.eat_sym("|") {
                    let _ = self.eat_sym(":");
                    let t = self.name("a relationship type")?;
                    // `[:T|:T]` is `[:T]`: a type named twice would expand twice.
                    if !rel.types.contains(&t) {
                        rel.types.push(t);
                    }
                }
            }
            if self.eat_sym("*") {
                rel.length = Some(self.range()?);
            }
            rel.props = self.pattern_props()?;
            self.expect_sym("]")?;
            let right = if self.eat_sym("->") {
                true
            } else {
                self.expect_sym("-")?;
                false
            };
            rel.dir = direction(left, right);
        } else {
            // No details: the second `-` (or `->`) follows at once.
            let right = if self.eat_sym("->") {
                true
            } else if self.eat_sym("-") {
                false
            } else {
                return Err(self.expected("`-`, `->` or `[` in a relationship"));
            };
            rel.dir = direction(left, right);
        }
        rel.span = self.span_from(start);
        Ok(rel)
    }

    /// The bounds after `*`: `*`, `*3`, `*1..3`, `*..3`, `*2..`.
    fn range(&mut self) -> Result<(Option<u64>, Option<u64>), SyntaxError> {
        let bound = |p: &mut Self| -> Result<Option<u64>, SyntaxError> {
            if let Tok::Int(d) = p.peek().clone() {
                let at = p.start();
                p.bump();
                return d.parse::<u64>().map(Some).map_err(|_| {
                    SyntaxError::new(p.text, at, format!("invalid path length `{d}`"))
                });
            }
            Ok(None)
        };
        let min = bound(self)?;
        if self.eat_sym("..") {
            let max = bound(self)?;
            return Ok((min, max));
        }
        // `*3` is exactly 3.
        Ok((min, min))
    }
}

fn direction(left: bool, right: bool) -> Dir {
    match (left, right) {
        (true, false) => Dir::Left,
        (false, true) => Dir::Right,
        _ => Dir::Both,
    }
}
