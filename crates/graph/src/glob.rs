//! Glob patterns for node names: `*` matches any run of characters, `?` exactly one.

/// The literal part of `pattern` before its first wildcard: a prefix every match starts with.
pub(crate) fn literal_prefix(pattern: &str) -> &str {
    let end = pattern.find(['*', '?']).unwrap_or(pattern.len());
    &pattern[..end]
}

/// True if `name` matches `pattern` as a whole. Backtracks only to the last `*`, so it
/// runs in O(pattern x name) at worst.
#[expect(
    clippy::many_single_char_names,
    reason = "the classic two-cursor matcher reads best with short names"
)]
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some(&c) if c == '?' || c == n[j] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_shells() {
        assert!(matches("proc*_?", "process_data_7"));
        assert!(!matches("proc*_?", "process_data_17"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("??", "éa"));
        assert_eq!(literal_prefix("proc*_?"), "proc");
        assert_eq!(literal_prefix("exact"), "exact");
    }
}
