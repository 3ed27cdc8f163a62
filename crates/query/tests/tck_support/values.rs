//! The TCK's notation for expected values: Cypher literals, plus nodes `(:L {k: v})`,
//! relationships `[:T {k: v}]` and paths `<(:A)-[:T]->(:B)>`, matched against the values a
//! query returned (graph elements looked up in the graph).

use std::collections::BTreeMap;

use pagegraph_query::Value;
use pagegraph_query::eval::GraphRead;
use pagegraph_query::lexer::{Tok, tokenize};

/// An expected value.
#[derive(Clone, Debug)]
pub enum Expected {
    /// A value without graph elements.
    Plain(Value),
    /// A list.
    List(Vec<Expected>),
    /// A map.
    Map(BTreeMap<String, Expected>),
    /// A node: labels and properties.
    Node(Vec<String>, BTreeMap<String, Value>),
    /// A relationship: type and properties.
    Rel(String, BTreeMap<String, Value>),
    /// A path: its nodes, and its relationships each with `true` when written left to right.
    Path(Vec<Expected>, Vec<(Expected, bool)>),
}

struct P {
    toks: Vec<Tok>,
    at: usize,
}

impl P {
    fn peek(&self) -> &Tok {
        self.toks.get(self.at).unwrap_or(&Tok::End)
    }
    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.at += 1;
        t
    }
    fn sym(&mut self, s: &str) -> Option<()> {
        if matches!(self.peek(), Tok::Sym(x) if *x == s) {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    fn value(&mut self) -> Option<Expected> {
        match self.peek().clone() {
            Tok::Sym("(") => self.node(),
            Tok::Sym("[") if matches!(self.toks.get(self.at + 1), Some(Tok::Sym(":"))) => {
                self.rel()
            }
            Tok::Sym("[") => {
                self.bump();
                let mut items = Vec::new();
                if self.sym("]").is_none() {
                    loop {
                        items.push(self.value()?);
                        if self.sym("]").is_some() {
                            break;
                        }
                        self.sym(",")?;
                    }
                }
                Some(Expected::List(items))
            }
            Tok::Sym("{") => {
                let m = self.map()?;
                Some(Expected::Map(m))
            }
            Tok::Sym("<") => self.path(),
            Tok::Sym("-") => {
                self.bump();
                match self.bump() {
                    Tok::Int(i) => format!("-{i}")
                        .parse()
                        .ok()
                        .map(|i| Expected::Plain(Value::Int(i))),
                    Tok::Float(f) => Some(Expected::Plain(Value::Float(-f))),
                    Tok::Ident { text, .. } if text == "Infinity" => {
                        Some(Expected::Plain(Value::Float(f64::NEG_INFINITY)))
                    }
                    _ => None,
                }
            }
            Tok::Int(i) => {
                self.bump();
                let v = if let Some(h) = i.strip_prefix("0x") {
                    i64::from_str_radix(h, 16).ok()?
                } else if let Some(o) = i.strip_prefix("0o") {
                    i64::from_str_radix(o, 8).ok()?
                } else {
                    i.parse().ok()?
                };
                Some(Expected::Plain(Value::Int(v)))
            }
            Tok::Float(f) => {
                self.bump();
                Some(Expected::Plain(Value::Float(f)))
            }
            Tok::Str(s) => {
                self.bump();
                Some(Expected::Plain(Value::String(s)))
            }
            Tok::Ident { text, .. } => {
                self.bump();
                Some(Expected::Plain(match text.as_str() {
                    "null" => Value::Null,
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "NaN" => Value::Float(f64::NAN),
                    "Infinity" => Value::Float(f64::INFINITY),
                    _ => return None,
                }))
            }
            _ => None,
        }
    }

    fn map(&mut self) -> Option<BTreeMap<String, Expected>> {
        self.sym("{")?;
        let mut m = BTreeMap::new();
        if self.sym("}").is_some() {
            return Some(m);
        }
        loop {
            let key = match self.bump() {
                Tok::Ident { text, .. } => text,
                Tok::Str(s) => s,
                _ => return None,
            };
            self.sym(":")?;
            m.insert(key, self.value()?);
            if self.sym("}").is_some() {
                return Some(m);
            }
            self.sym(",")?;
        }
    }

    fn plain_map(&mut self) -> Option<BTreeMap<String, Value>> {
        if !self.is_sym("{") {
            return Some(BTreeMap::new());
        }
        self.map()?
            .into_iter()
            .map(|(k, v)| match v {
                Expected::Plain(p) => Some((k, p)),
                Expected::List(items) => Some((
                    k,
                    Value::List(
                        items
                            .into_iter()
                            .map(|i| match i {
                                Expected::Plain(p) => Some(p),
                                _ => None,
                            })
                            .collect::<Option<_>>()?,
                    ),
                )),
                _ => None,
            })
            .collect()
    }

    fn node(&mut self) -> Option<Expected> {
        self.sym("(")?;
        let mut labels = Vec::new();
        while self.sym(":").is_some() {
            match self.bump() {
                Tok::Ident { text, .. } => labels.push(text),
                _ => return None,
            }
        }
        let props = self.plain_map()?;
        self.sym(")")?;
        Some(Expected::Node(labels, props))
    }

    fn rel(&mut self) -> Option<Expected> {
        self.sym("[")?;
        self.sym(":")?;
        let Tok::Ident { text: ty, .. } = self.bump() else {
            return None;
        };
        let props = self.plain_map()?;
        self.sym("]")?;
        Some(Expected::Rel(ty, props))
    }

    fn path(&mut self) -> Option<Expected> {
        self.sym("<")?;
        let mut nodes = vec![self.node()?];
        let mut rels = Vec::new();
        loop {
            if self.sym(">").is_some() {
                return Some(Expected::Path(nodes, rels));
            }
            let forward = if self.sym("<-").is_some() {
                false
            } else {
                self.sym("-")?;
                true
            };
            let r = self.rel()?;
            if forward {
                self.sym("->")?;
            } else {
                self.sym("-")?;
            }
            rels.push((r, forward));
            nodes.push(self.node()?);
        }
    }
}

/// Parses a cell; `None` if it is not in the notation.
pub fn parse_expected(cell: &str) -> Option<Expected> {
    let toks: Vec<Tok> = tokenize(cell).ok()?.into_iter().map(|t| t.tok).collect();
    let mut p = P { toks, at: 0 };
    let v = p.value()?;
    matches!(p.peek(), Tok::End).then_some(v)
}

/// Exact sameness of plain values: NaN is NaN, `1` is not `1.0`; a temporal value is
/// the string of its written form (the TCK writes them so).
#[allow(clippy::float_cmp, reason = "results are compared exactly")]
pub fn same(a: &Value, b: &Value, unordered_lists: bool) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Temporal(t), Value::String(s)) => t.to_string() == *s,
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if unordered_lists {
                let mut used = vec![false; y.len()];
                x.iter().all(|p| {
                    (0..y.len()).any(|i| {
                        let hit = !used[i] && same(p, &y[i], true);
                        if hit {
                            used[i] = true;
                        }
                        hit
                    })
                })
            } else {
                x.iter().zip(y).all(|(p, q)| same(p, q, false))
            }
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2, unordered_lists))
        }
        _ => a == b,
    }
}

fn props_same(have: &pagegraph::Properties, want: &BTreeMap<String, Value>) -> bool {
    have.len() == want.len()
        && want.iter().all(|(k, v)| {
            have.get(k)
                .is_some_and(|h| same(&Value::from(h.clone()), v, false))
        })
}

/// Whether a returned value matches an expected one.
pub fn matches(got: &Value, want: &Expected, g: &dyn GraphRead, unordered_lists: bool) -> bool {
    match (got, want) {
        (_, Expected::Plain(w)) => same(got, w, unordered_lists),
        (Value::List(items), Expected::List(ws)) => {
            if items.len() != ws.len() {
                return false;
            }
            if unordered_lists {
                let mut used = vec![false; ws.len()];
                items.iter().all(|i| {
                    (0..ws.len()).any(|k| {
                        let hit = !used[k] && matches(i, &ws[k], g, true);
                        if hit {
                            used[k] = true;
                        }
                        hit
                    })
                })
            } else {
                items.iter().zip(ws).all(|(i, w)| matches(i, w, g, false))
            }
        }
        (Value::Map(m), Expected::Map(wm)) => {
            m.len() == wm.len()
                && m.iter()
                    .zip(wm)
                    .all(|((k1, v), (k2, w))| k1 == k2 && matches(v, w, g, unordered_lists))
        }
        (Value::Node(id), Expected::Node(labels, props)) => match g.node(*id) {
            Ok(Some(n)) => {
                let mut a = n.labels.clone();
                let mut b = labels.clone();
                a.sort();
                b.sort();
                a == b && props_same(&n.properties, props)
            }
            _ => false,
        },
        (Value::Rel(id), Expected::Rel(ty, props)) => match g.rel(*id) {
            Ok(Some(r)) => &r.edge_type == ty && props_same(&r.properties, props),
            _ => false,
        },
        (Value::Path(p), Expected::Path(nodes, rels)) => {
            p.nodes.len() == nodes.len()
                && p.rels.len() == rels.len()
                && p.nodes
                    .iter()
                    .zip(nodes)
                    .all(|(n, w)| matches(&Value::Node(*n), w, g, false))
                && p.rels
                    .iter()
                    .zip(rels)
                    .enumerate()
                    .all(|(i, (r, (w, forward)))| {
                        matches(&Value::Rel(*r), w, g, false)
                            && g.rel(*r).ok().flatten().is_some_and(|rel| {
                                let (a, b) = (p.nodes[i], p.nodes[i + 1]);
                                if *forward {
                                    rel.from == a && rel.to == b
                                } else {
                                    rel.from == b && rel.to == a
                                }
                            })
                    })
        }
        _ => false,
    }
}
