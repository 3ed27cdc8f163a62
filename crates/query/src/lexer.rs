//! The tokenizer: query text to tokens with their byte spans.
//!
//! Keywords are not tokens of their own: every word is an [`Tok::Ident`] and the parser
//! matches keywords case-insensitively where the grammar expects them, so a keyword can
//! still name a property or a label where openCypher allows it (`n.count`, `:Order`).
//! Backquoted names (`` `my name` ``) are identifiers that never match a keyword.

use crate::error::SyntaxError;

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A word: a name or a keyword. `quoted` for a backquoted name.
    Ident {
        /// The name (escapes of a backquoted name resolved).
        text: String,
        /// Written in backquotes: never a keyword.
        quoted: bool,
    },
    /// An integer literal (decimal, `0x` hexadecimal or `0o` octal), as written; its value
    /// is checked by the parser, which knows whether a minus sign precedes it.
    Int(String),
    /// A float literal.
    Float(f64),
    /// A string literal, escapes resolved.
    Str(String),
    /// A parameter: `$name` or `$0`.
    Param(String),
    /// Punctuation and operators.
    Sym(&'static str),
    /// The end of the text.
    End,
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset after its last character.
    pub end: usize,
}

/// Operators and punctuation, longest first so that `<=` wins over `<`.
const SYMBOLS: [&str; 30] = [
    "..", "<>", "!=", "<=", ">=", "=~", "+=", "->", "<-", "(", ")", "[", "]", "{", "}", ",", ".",
    ":", ";", "|", "+", "-", "*", "/", "%", "^", "=", "<", ">", "$",
];

/// Splits `text` into tokens, ending with [`Tok::End`].
pub fn tokenize(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Non-ASCII whitespace (no-break space and the like).
        if let Some(ch) = text[i..].chars().next()
            && !ch.is_ascii()
            && ch.is_whitespace()
        {
            i += ch.len_utf8();
            continue;
        }
        if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        }
        if text[i..].starts_with("/*") {
            match text[i + 2..].find("*/") {
                Some(n) => i = i + 2 + n + 2,
                None => return Err(SyntaxError::new(text, i, "unterminated comment")),
            }
            continue;
        }
        let start = i;
        let tok = if c == b'\'' || c == b'"' {
            let (s, end) = string(text, i)?;
            i = end;
            Tok::Str(s)
        } else if c == b'`' {
            let (s, end) = backquoted(text, i)?;
            i = end;
            Tok::Ident {
                text: s,
                quoted: true,
            }
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let (t, end) = number(text, i)?;
            i = end;
            t
        } else if c == b'$' {
            let rest = &text[i + 1..];
            let len = rest
                .char_indices()
                .find(|&(_, ch)| !(ch.is_alphanumeric() || ch == '_'))
                .map_or(rest.len(), |(n, _)| n);
            if len > 0 {
                i += 1 + len;
                Tok::Param(rest[..len].to_string())
            } else if rest.starts_with('`') {
                let (s, end) = backquoted(text, i + 1)?;
                i = end;
                Tok::Param(s)
            } else {
                return Err(SyntaxError::new(
                    text,
                    i,
                    "expected a parameter name after `$`",
                ));
            }
        } else if let Some(ch) = text[i..]
            .chars()
            .next()
            .filter(|ch| ch.is_alphabetic() || *ch == '_')
        {
            let _ = ch;
            let rest = &text[i..];
            let len = rest
                .char_indices()
                .find(|&(_, ch)| !(ch.is_alphanumeric() || ch == '_'))
                .map_or(rest.len(), |(n, _)| n);
            i += len;
            Tok::Ident {
                text: rest[..len].to_string(),
                quoted: false,
            }
        } else if let Some(sym) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            i += sym.len();
            Tok::Sym(sym)
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(SyntaxError::new(
                text,
                i,
                format!("unexpected character `{ch}`"),
            ));
        };
        out.push(Token { tok, start, end: i });
    }
    out.push(Token {
        tok: Tok::End,
        start: text.len(),
        end: text.len(),
    });
    Ok(out)
}

/// A quoted string at `start`; returns it and the offset after its closing quote.
fn string(text: &str, start: usize) -> Result<(String, usize), SyntaxError> {
    let quote = text.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((n, ch)) = chars.next() {
        let at = start + 1 + n;
        if ch == quote {
            return Ok((out, at + 1));
        }
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let Some((_, esc)) = chars.next() else {
            break;
        };
        match esc {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            '0' => out.push('\0'),
            '\\' | '\'' | '"' | '`' => out.push(esc),
            'u' | 'U' => {
                let digits = if esc == 'u' { 4 } else { 8 };
                let mut code = 0u32;
                for _ in 0..digits {
                    let d = chars
                        .next()
                        .and_then(|(_, d)| d.to_digit(16))
                        .ok_or_else(|| SyntaxError::new(text, at, "bad unicode escape"))?;
                    code = code * 16 + d;
                }
                out.push(
                    char::from_u32(code)
                        .ok_or_else(|| SyntaxError::new(text, at, "bad unicode escape"))?,
                );
            }
            other => {
                return Err(SyntaxError::new(
                    text,
                    at,
                    format!("unknown escape `\\{other}` in a string"),
                ));
            }
        }
    }
    Err(SyntaxError::new(text, start, "unterminated string"))
}

/// A backquoted name at `start` (two backquotes inside stand for one).
fn backquoted(text: &str, start: usize) -> Result<(String, usize), SyntaxError> {
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        let Some(n) = text[i..].find('`') else {
            return Err(SyntaxError::new(
                text,
                start,
                "unterminated backquoted name",
            ));
        };
        out.push_str(&text[i..i + n]);
        i += n + 1;
        if text[i..].starts_with('`') {
            out.push('`');
            i += 1;
        } else {
            return Ok((out, i));
        }
    }
}

/// A number at `start`.
fn number(text: &str, start: usize) -> Result<(Tok, usize), SyntaxError> {
    let b = text.as_bytes();
    let word_end = |from: usize| {
        text[from..]
            .char_indices()
            .find(|&(_, ch)| !(ch.is_alphanumeric() || ch == '_'))
            .map_or(text.len(), |(n, _)| from + n)
    };
    if b[start] == b'0' && matches!(b.get(start + 1), Some(b'x' | b'X' | b'o' | b'O')) {
        let end = word_end(start);
        return Ok((Tok::Int(text[start..end].to_string()), end));
    }
    let mut i = start;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut float = false;
    // A fraction, but not a range `1..2`.
    if i < b.len() && b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        float = true;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            float = true;
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    // A number runs into letters: `1abc` is not a number and a name.
    let end = word_end(i);
    if end != i {
        return Err(SyntaxError::new(
            text,
            start,
            format!("invalid number `{}`", &text[start..end]),
        ));
    }
    let s = &text[start..i];
    if float {
        let v: f64 = s
            .parse()
            .map_err(|_| SyntaxError::new(text, start, format!("invalid number `{s}`")))?;
        if !v.is_finite() {
            return Err(SyntaxError::new(
                text,
                start,
                format!("float `{s}` is too large"),
            ));
        }
        Ok((Tok::Float(v), i))
    } else {
        Ok((Tok::Int(s.to_string()), i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_of_a_query() {
        let t = toks("MATCH (n:`A b`)-[:R*1..2]->(m) WHERE n.x <= 1.5e3 // c\nRETURN 'it''s'");
        assert!(t.contains(&Tok::Sym("..")));
        assert!(t.contains(&Tok::Sym("->")));
        assert!(t.contains(&Tok::Sym("<=")));
        assert!(t.contains(&Tok::Float(1500.0)));
        assert!(t.contains(&Tok::Ident {
            text: "A b".into(),
            quoted: true
        }));
        assert_eq!(
            toks("'a\\nb' \"q\\\"\" $p $0"),
            vec![
                Tok::Str("a\nb".into()),
                Tok::Str("q\"".into()),
                Tok::Param("p".into()),
                Tok::Param("0".into()),
                Tok::End
            ]
        );
        assert_eq!(
            toks("1..2"),
            vec![
                Tok::Int("1".into()),
                Tok::Sym(".."),
                Tok::Int("2".into()),
                Tok::End
            ]
        );
        assert_eq!(toks(".5"), vec![Tok::Float(0.5), Tok::End]);
    }

    #[test]
    fn bad_text_is_an_error_with_a_position() {
        for (q, col) in [
            ("RETURN 'abc", 8),
            ("RETURN 1 /* x", 10),
            ("RETURN 1abc", 8),
            ("RETURN #", 8),
            ("RETURN 1e999", 8),
        ] {
            let e = tokenize(q).unwrap_err();
            assert_eq!(e.position.column, col, "{q}: {e}");
        }
        // Arbitrary bytes never panic.
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..20_000 {
            let s: String = (0..rng.usize(0..20))
                .map(|_| {
                    [
                        'a', '1', '.', '\'', '"', '`', '\\', 'u', '$', '/', '*', 'é', ' ', 'e',
                        '-', '0', 'x',
                    ][rng.usize(..17)]
                })
                .collect();
            let _ = tokenize(&s);
        }
    }
}
