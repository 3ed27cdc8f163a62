//! Property arguments on the command line: values, `--where` conditions, `--key` node keys
//! and `--prop` assignments.
//!
//! A value is JSON when it parses as JSON, else the text as written: `30` is an integer,
//! `2.5` a float, `true` a boolean, `"30"` and `Ann` strings, `[1, 2]` a list. A number
//! that a float would round (`123456789012345678901234567890`) is refused rather than
//! compared as text; quote it to mean the string.

use std::fmt;

use anyhow::{Result, anyhow, bail};
use pagegraph::value::Inequality;
use pagegraph::{Condition, PropertyValue};

use pagegraph_import::clip;
use pagegraph_import::exact_json;

/// A value argument: JSON when it parses, else the text itself (see the module doc).
pub fn parse_value(text: &str) -> Result<PropertyValue> {
    let json = match exact_json(text) {
        Ok(v) => v,
        Err(e) if !e.starts_with("invalid JSON") => bail!("{e}, or quote it to mean the text"),
        Err(_) => return Ok(PropertyValue::String(text.to_string())),
    };
    PropertyValue::from_json(&json).map_err(|e| anyhow!("{}: {e}", clip(text)))
}

/// A `--where` condition: a property and what its value must satisfy.
#[derive(Clone, Debug, PartialEq)]
pub struct Where {
    /// The property.
    pub property: String,
    /// The condition on its value.
    pub cond: Condition,
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.property;
        match &self.cond {
            Condition::Eq(v) => write!(f, "{p} = {v}"),
            Condition::Cmp(op, v) => {
                let op = match op {
                    Inequality::Lt => "<",
                    Inequality::Le => "<=",
                    Inequality::Gt => ">",
                    Inequality::Ge => ">=",
                };
                write!(f, "{p} {op} {v}")
            }
            Condition::StartsWith(s) => write!(f, "{p} ^= {}", PropertyValue::String(s.clone())),
            Condition::In(xs) => write!(f, "{p} IN {}", PropertyValue::List(xs.clone())),
            Condition::Between(..) => write!(f, "{p} in a range"),
        }
    }
}

/// The operators of `--where`, longest first so that `<=` is not read as `<`.
const OPERATORS: [(&str, Option<Inequality>); 6] = [
    ("<=", Some(Inequality::Le)),
    (">=", Some(Inequality::Ge)),
    ("^=", None),
    ("=", None),
    ("<", Some(Inequality::Lt)),
    (">", Some(Inequality::Gt)),
];

/// Characters that start an operator: a property name cannot hold them.
const OPERATOR_CHARS: [char; 5] = ['=', '<', '>', '^', '!'];

/// Parses `prop=value`, `prop<value`, `prop<=value`, `prop>value`, `prop>=value`,
/// `prop^=prefix` (strings that start with the prefix) or `prop IN [v, ...]`, with optional
/// spaces around the operator.
pub fn parse_where(s: &str) -> Result<Where> {
    let t = s.trim();
    if let Some(w) = parse_in(t)? {
        return Ok(w);
    }
    let Some(at) = t.find(OPERATOR_CHARS) else {
        bail!(
            "--where {:?}: expected PROPERTY OP VALUE with OP one of =, <, <=, >, >=, ^=, or PROPERTY IN [...]",
            clip(s)
        );
    };
    let property = t[..at].trim();
    if property.is_empty() {
        bail!("--where {:?}: no property before the operator", clip(s));
    }
    let rest = &t[at..];
    let Some(&(op, ineq)) = OPERATORS.iter().find(|(op, _)| rest.starts_with(op)) else {
        bail!(
            "--where {:?}: unknown operator (use =, <, <=, >, >=, ^= or IN)",
            clip(s)
        );
    };
    let text = rest[op.len()..].trim();
    let cond = if op == "^=" {
        // A prefix is text, even when it reads as a number.
        let prefix = match parse_value(text) {
            Ok(PropertyValue::String(p)) => p,
            _ => text.to_string(),
        };
        Condition::StartsWith(prefix)
    } else {
        let v = parse_value(text).map_err(|e| anyhow!("--where {:?}: {e}", clip(s)))?;
        if matches!(v, PropertyValue::Null) {
            bail!(
                "--where {:?}: a comparison with null is never true (a missing property never matches)",
                clip(s)
            );
        }
        match ineq {
            Some(i) => Condition::Cmp(i, v),
            None => Condition::Eq(v),
        }
    };
    Ok(Where {
        property: property.to_string(),
        cond,
    })
}

/// `prop IN [v, ...]` (the keyword in any case), or `None` when `t` is not of that form.
fn parse_in(t: &str) -> Result<Option<Where>> {
    let Some((property, rest)) = t.split_once(char::is_whitespace) else {
        return Ok(None);
    };
    let rest = rest.trim_start();
    let Some(keyword) = rest.get(..2) else {
        return Ok(None);
    };
    let list = rest[2..].trim_start();
    if !keyword.eq_ignore_ascii_case("in")
        || !list.starts_with('[')
        || property.contains(OPERATOR_CHARS)
    {
        return Ok(None);
    }
    let Ok(PropertyValue::List(items)) = parse_value(list) else {
        bail!(
            "--where {:?}: IN takes a JSON list, such as [1, 2] or [\"a\", \"b\"]",
            clip(t)
        );
    };
    Ok(Some(Where {
        property: property.to_string(),
        cond: Condition::In(items),
    }))
}

/// A `--key` node argument: the node of `label` whose `property` equals `value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The label.
    pub label: String,
    /// The property.
    pub property: String,
    /// Its value.
    pub value: PropertyValue,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} = {}", self.label, self.property, self.value)
    }
}

/// Parses `Label.property=value`: the label is what comes before the last dot ahead of
/// the `=`, the value is read as [`parse_value`] reads it.
pub fn parse_key(s: &str) -> Result<Key> {
    let usage = || {
        anyhow!(
            "{:?} is not a node key: expected LABEL.PROPERTY=VALUE, such as Person.id=42",
            clip(s)
        )
    };
    let (lhs, value) = s.split_once('=').ok_or_else(usage)?;
    let (label, property) = lhs.rsplit_once('.').ok_or_else(usage)?;
    if label.is_empty() || property.is_empty() {
        return Err(usage());
    }
    let value = parse_value(value).map_err(|e| anyhow!("node key {:?}: {e}", clip(s)))?;
    if matches!(value, PropertyValue::Null) {
        bail!("node key {:?}: null matches no node", clip(s));
    }
    Ok(Key {
        label: label.to_string(),
        property: property.to_string(),
        value,
    })
}

/// Parses a `--prop key=value` assignment (a null value removes the property).
pub fn parse_assignment(s: &str) -> Result<(String, PropertyValue)> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        anyhow!(
            "--prop {:?}: expected KEY=VALUE, such as age=42 or name=Ann",
            clip(s)
        )
    })?;
    if k.is_empty() {
        bail!("--prop {:?}: no property name before the =", clip(s));
    }
    let v = parse_value(v).map_err(|e| anyhow!("--prop {:?}: {e}", clip(s)))?;
    Ok((k.to_string(), v))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use PropertyValue as V;

    #[test]
    fn values_are_json_when_they_parse_else_text() {
        assert_eq!(parse_value("30").unwrap(), V::Int(30));
        assert_eq!(parse_value("2.5").unwrap(), V::Float(2.5));
        assert_eq!(parse_value("true").unwrap(), V::Bool(true));
        assert_eq!(parse_value("\"30\"").unwrap(), V::String("30".into()));
        assert_eq!(parse_value("Ann").unwrap(), V::String("Ann".into()));
        assert_eq!(parse_value("007").unwrap(), V::String("007".into()));
        assert_eq!(parse_value("").unwrap(), V::String(String::new()));
        assert_eq!(parse_value("null").unwrap(), V::Null);
        assert!(parse_value("123456789012345678901234567890").is_err());
        assert!(parse_value("9223372036854775808").is_err());
    }

    #[test]
    fn conditions_take_every_operator() {
        let w = |s: &str| parse_where(s).unwrap();
        assert_eq!(w("age=30").cond, Condition::Eq(V::Int(30)));
        assert_eq!(
            w(" age >= 30 ").cond,
            Condition::Cmp(Inequality::Ge, V::Int(30))
        );
        assert_eq!(
            w("age<=30").cond,
            Condition::Cmp(Inequality::Le, V::Int(30))
        );
        assert_eq!(w("age<30").cond, Condition::Cmp(Inequality::Lt, V::Int(30)));
        assert_eq!(w("age>30").cond, Condition::Cmp(Inequality::Gt, V::Int(30)));
        assert_eq!(w("name^=An").cond, Condition::StartsWith("An".into()));
        assert_eq!(w("code^=12").cond, Condition::StartsWith("12".into()));
        assert_eq!(
            w("name=\"x=y\"").cond,
            Condition::Eq(V::String("x=y".into()))
        );
        assert_eq!(w("name=x").property, "name");
        assert_eq!(
            w("age in [1, \"a\"]").cond,
            Condition::In(vec![V::Int(1), V::String("a".into())])
        );
        assert_eq!(w("age IN[]").cond, Condition::In(vec![]));
        for bad in ["age", "=3", "age!=3", "age=null", "age IN 3", "age IN [1"] {
            assert!(parse_where(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_assignments() {
        let k = parse_key("Person.id=42").unwrap();
        assert_eq!((k.label.as_str(), k.property.as_str()), ("Person", "id"));
        assert_eq!(k.value, V::Int(42));
        let k = parse_key("com.example.T.name=a.b=c").unwrap();
        assert_eq!(
            (k.label.as_str(), k.property.as_str()),
            ("com.example.T", "name")
        );
        assert_eq!(k.value, V::String("a.b=c".into()));
        for bad in ["Person", "Person=3", ".id=3", "Person.=3", "Person.id=null"] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_assignment("a=1").unwrap(), ("a".into(), V::Int(1)));
        assert_eq!(
            parse_assignment("a=").unwrap(),
            ("a".into(), V::String(String::new()))
        );
        assert!(parse_assignment("=1").is_err());
        assert!(parse_assignment("a").is_err());
    }
}
