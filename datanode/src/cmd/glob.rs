//! Redis's glob matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`, `\x`.

pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    matches_nocase(pattern, text, false)
}

pub fn matches_nocase(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    // Bounded recursion depth: each `*` recurses once per text position at most.
    fn eq(a: u8, b: u8, nocase: bool) -> bool {
        if nocase { a.eq_ignore_ascii_case(&b) } else { a == b }
    }
    let (mut p, mut t) = (0usize, 0usize);
    while p < pattern.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                for start in t..=text.len() {
                    if matches_nocase(&pattern[p + 1..], &text[start..], nocase) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => {
                if t >= text.len() {
                    return false;
                }
                t += 1;
            }
            b'[' => {
                if t >= text.len() {
                    return false;
                }
                p += 1;
                let not = pattern.get(p) == Some(&b'^');
                if not {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    match pattern.get(p) {
                        None => {
                            p -= 1;
                            break;
                        }
                        Some(b'\\') if p + 1 < pattern.len() => {
                            p += 1;
                            if eq(pattern[p], text[t], nocase) {
                                matched = true;
                            }
                        }
                        Some(b']') => break,
                        Some(&c) => {
                            if pattern.get(p + 1) == Some(&b'-') && p + 2 < pattern.len() {
                                let (mut lo, mut hi) = (c, pattern[p + 2]);
                                if lo > hi {
                                    std::mem::swap(&mut lo, &mut hi);
                                }
                                p += 2;
                                let ch = if nocase { text[t].to_ascii_lowercase() } else { text[t] };
                                let (lo, hi) =
                                    if nocase { (lo.to_ascii_lowercase(), hi.to_ascii_lowercase()) } else { (lo, hi) };
                                if lo <= ch && ch <= hi {
                                    matched = true;
                                }
                            } else if eq(c, text[t], nocase) {
                                matched = true;
                            }
                        }
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                t += 1;
            }
            b'\\' if p + 1 < pattern.len() => {
                p += 1;
                if t >= text.len() || !eq(pattern[p], text[t], nocase) {
                    return false;
                }
                t += 1;
            }
            c => {
                if t >= text.len() || !eq(c, text[t], nocase) {
                    return false;
                }
                t += 1;
            }
        }
        p += 1;
    }
    t == text.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn redis_glob_cases() {
        assert!(matches(b"*", b""));
        assert!(matches(b"h?llo", b"hello"));
        assert!(matches(b"h*llo", b"heeeello"));
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"h[a-b]llo", b"hbllo"));
        assert!(matches(b"key:*:x", b"key:12:x"));
        assert!(!matches(b"key:*:x", b"key:12:y"));
        assert!(matches(b"a\\*b", b"a*b"));
        assert!(!matches(b"a\\*b", b"axb"));
    }
}
