//! Redis's glob matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`, `\x`, with the
//! same answers as Redis for every pattern, and a bound on the work any one match may take.
//!
//! A naive backtracking matcher is exponential in the number of `*`s: `a*a*a*…b` against a
//! 40-byte key kept a core busy for minutes. Like Redis (since 7.0.9), once the rest of the
//! pattern after a `*` failed at every later position, no earlier `*` can do better (it would
//! only start the rest even later), so the whole match fails at once: the work is at most
//! pattern length × text length. Like Redis, `*`s nest at most `MAX_NESTING` deep (a pattern
//! deeper than that matches nothing). Beyond Redis, one match gives up after `MAX_STEPS`
//! steps and answers "no match": only a pattern and a text both thousands of bytes long can
//! reach it, and it keeps any single match to about a millisecond.

/// How deep `*`s may nest (Redis's limit): each one is a level of recursion.
pub const MAX_NESTING: u32 = 1000;

/// Steps one match may take before it answers "no match" (a step is one pattern token
/// compared, or one `*` position tried).
pub const MAX_STEPS: u64 = 1 << 20;

/// Whether `text` matches `pattern`, as Redis's `stringmatchlen(.., nocase = 0)`.
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    Match::new(false).run(pattern, text)
}

/// `matches`, ignoring ASCII case when `nocase` (CONFIG GET).
pub fn matches_nocase(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    Match::new(nocase).run(pattern, text)
}

/// The MATCH option of KEYS and the SCAN family. No pattern, or a lone `*`, accepts every
/// name without matching (Redis's shortcut: the empty name too); any other pattern is
/// matched, and the work is counted for callers that budget it.
pub struct NameFilter<'a> {
    pattern: Option<&'a [u8]>,
    m: Match,
}

impl<'a> NameFilter<'a> {
    pub fn new(pattern: Option<&'a [u8]>) -> Self {
        NameFilter { pattern: pattern.filter(|p| *p != b"*"), m: Match::new(false) }
    }

    pub fn accepts(&mut self, name: &[u8]) -> bool {
        self.pattern.is_none_or(|p| self.m.run(p, name))
    }

    /// Matching steps spent so far.
    pub fn work(&self) -> u64 {
        self.m.steps()
    }
}

/// One match in progress: the work done so far, and whether a `*` proved that trying longer
/// matches for the `*`s before it is pointless.
pub struct Match {
    nocase: bool,
    steps: u64,
    /// `steps` when the current run started.
    run_start: u64,
    give_up: bool,
}

impl Match {
    pub fn new(nocase: bool) -> Self {
        Match { nocase, steps: 0, run_start: 0, give_up: false }
    }

    /// Runs the match; `steps()` then says what it cost.
    pub fn run(&mut self, pattern: &[u8], text: &[u8]) -> bool {
        self.give_up = false;
        self.run_start = self.steps;
        self.at(pattern, text, 0)
    }

    /// Steps taken by every `run` so far: callers that match many texts (KEYS, SCAN)
    /// budget their work with it.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    fn eq(&self, a: u8, b: u8) -> bool {
        if self.nocase { a.eq_ignore_ascii_case(&b) } else { a == b }
    }

    /// Counts a step; false once this run has used up its allowance.
    fn step(&mut self) -> bool {
        self.steps += 1;
        self.steps - self.run_start <= MAX_STEPS
    }

    fn at(&mut self, pattern: &[u8], text: &[u8], nesting: u32) -> bool {
        if nesting > MAX_NESTING {
            return false;
        }
        let (mut p, mut t) = (0usize, 0usize);
        while p < pattern.len() && t < text.len() {
            if !self.step() {
                self.give_up = true;
                return false;
            }
            match pattern[p] {
                b'*' => {
                    while pattern.get(p + 1) == Some(&b'*') {
                        p += 1;
                    }
                    let rest = &pattern[p + 1..];
                    if rest.is_empty() {
                        return true;
                    }
                    // `rest` must match a suffix that is not empty (the text is not used up
                    // here, and Redis never tries the empty one from inside the loop).
                    while t < text.len() {
                        if self.at(rest, &text[t..], nesting + 1) {
                            return true;
                        }
                        if self.give_up {
                            return false;
                        }
                        t += 1;
                    }
                    self.give_up = true;
                    return false;
                }
                b'?' => t += 1,
                b'[' => {
                    let (matched, end) = self.class(pattern, p + 1, text[t]);
                    if !matched {
                        return false;
                    }
                    p = end;
                    t += 1;
                }
                c => {
                    // A backslash escapes the next byte; a trailing one stands for itself.
                    let literal = if c == b'\\' && p + 1 < pattern.len() {
                        p += 1;
                        pattern[p]
                    } else {
                        c
                    };
                    if !self.eq(literal, text[t]) {
                        return false;
                    }
                    t += 1;
                }
            }
            p += 1;
            if t == text.len() {
                while pattern.get(p) == Some(&b'*') {
                    p += 1;
                }
            }
        }
        p == pattern.len() && t == text.len()
    }

    /// A `[...]` class whose body starts at `p`: whether `c` is in it, and the index of its
    /// closing `]` (or of the pattern's last byte, when the class is not closed: Redis then
    /// takes everything to the end as the class).
    fn class(&self, pattern: &[u8], mut p: usize, c: u8) -> (bool, usize) {
        let not = pattern.get(p) == Some(&b'^');
        if not {
            p += 1;
        }
        let mut matched = false;
        loop {
            match pattern.get(p) {
                // An escaped byte compares exactly, even without case (as Redis does).
                Some(b'\\') if p + 1 < pattern.len() => {
                    p += 1;
                    matched |= pattern[p] == c;
                }
                Some(b']') => break,
                None => {
                    p -= 1;
                    break;
                }
                Some(&lo) if pattern.get(p + 1) == Some(&b'-') && p + 2 < pattern.len() => {
                    let hi = pattern[p + 2];
                    let (mut lo, mut hi, mut c) = (lo.min(hi), lo.max(hi), c);
                    if self.nocase {
                        (lo, hi, c) = (lo.to_ascii_lowercase(), hi.to_ascii_lowercase(), c.to_ascii_lowercase());
                    }
                    matched |= lo <= c && c <= hi;
                    p += 2;
                }
                Some(&x) => matched |= self.eq(x, c),
            }
            p += 1;
        }
        (matched != not, p)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::{MAX_STEPS, Match, matches, matches_nocase};

    #[test]
    fn redis_glob_cases() {
        assert!(matches(b"h?llo", b"hello"));
        assert!(matches(b"h*llo", b"heeeello"));
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"h[a-b]llo", b"hbllo"));
        assert!(matches(b"h[b-a]llo", b"hbllo"), "a reversed range is the same range");
        assert!(matches(b"key:*:x", b"key:12:x"));
        assert!(!matches(b"key:*:x", b"key:12:y"));
        assert!(matches(b"a\\*b", b"a*b"));
        assert!(!matches(b"a\\*b", b"axb"));
        assert!(matches(b"a*", b"a"), "a trailing star matches nothing");
        assert!(matches(b"a**", b"a"));
    }

    /// Redis's corner cases, each checked against redis-server 7 (`KEYS`, `PUBSUB CHANNELS`).
    #[test]
    fn redis_corner_cases() {
        // The empty text matches no pattern but the empty one (KEYS and SCAN treat a lone
        // `*` as "everything" before matching, so they still list the empty key).
        assert!(!matches(b"*", b""));
        assert!(!matches(b"**", b""));
        assert!(matches(b"", b""));
        // An unclosed class takes the rest of the pattern as its members.
        assert!(matches(b"[ab", b"b"));
        assert!(!matches(b"[ab", b"c"));
        assert!(matches(b"[^", b"x"));
        assert!(!matches(b"[", b"x"));
        // `-` right before `]` makes `]` the end of a range, and the class runs on.
        assert!(matches(b"[a-]x", b"x"), "the class is 'a'..']' plus 'x', matching the x");
        // A backslash inside a class escapes; a trailing backslash is itself.
        assert!(matches(b"[\\]]", b"]"));
        assert!(matches(b"a\\", b"a\\"));
        // Case folding applies to literals and ranges, not to escaped class members.
        assert!(matches_nocase(b"MAX*", b"maxmemory", true));
        assert!(matches_nocase(b"[A-C]x", b"bX", true));
        assert!(!matches_nocase(b"[\\A]", b"a", true));
    }

    /// The regression of issue 12: this pattern against one 40-byte key took minutes.
    #[test]
    fn a_pathological_pattern_answers_at_once() {
        let pattern = format!("{}b", "a*".repeat(20));
        let text = "a".repeat(40);
        let started = Instant::now();
        let mut m = Match::new(false);
        assert!(!m.run(pattern.as_bytes(), text.as_bytes()));
        assert!(m.steps() < 2_000, "took {} steps", m.steps());
        assert!(started.elapsed() < Duration::from_millis(100));
        // And the same shape that does match still does.
        assert!(matches(pattern.as_bytes(), format!("{text}b").as_bytes()));
    }

    /// Stars nested deeper than Redis allows match nothing, quickly, without a deep stack.
    #[test]
    fn nesting_is_bounded() {
        let deep = "a*".repeat(1500);
        let mut m = Match::new(false);
        assert!(!m.run(deep.as_bytes(), "a".repeat(3000).as_bytes()));
        assert!(m.steps() < 50_000, "took {} steps", m.steps());
        assert!(matches("a*".repeat(900).as_bytes(), "a".repeat(3000).as_bytes()));
    }

    /// The worst shape for this algorithm (a long literal after a star, failing at the very
    /// end each time) stops at the step bound.
    #[test]
    fn one_match_is_bounded_in_steps() {
        let pattern = format!("*{}b", "a".repeat(4000));
        let text = "a".repeat(4000);
        let mut m = Match::new(false);
        assert!(!m.run(pattern.as_bytes(), text.as_bytes()));
        assert!(m.steps() <= MAX_STEPS + 2, "took {} steps", m.steps());
    }

    /// A plain backtracking matcher, exponential but obviously right, for small inputs: it
    /// differs from Redis's only where Redis's rules are peculiar, which these inputs avoid
    /// (no `[`, no `\`, no empty text).
    fn reference(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => reference(&p[1..], t) || (!t.is_empty() && reference(p, &t[1..])),
            (Some(b'?'), Some(_)) => reference(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => reference(&p[1..], &t[1..]),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn agrees_with_plain_backtracking(
            p in proptest::collection::vec(prop_oneof![Just(b'*'), Just(b'?'), Just(b'a'), Just(b'b')], 0..10),
            t in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b')], 1..10),
        ) {
            prop_assert_eq!(matches(&p, &t), reference(&p, &t), "pattern {:?} text {:?}",
                String::from_utf8_lossy(&p), String::from_utf8_lossy(&t));
        }

        /// Any bytes at all: never a panic, and never more than the step bound.
        #[test]
        fn arbitrary_bytes_are_bounded(p in proptest::collection::vec(any::<u8>(), 0..64), t in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut m = Match::new(false);
            let _ = m.run(&p, &t);
            prop_assert!(m.steps() <= 64 * 64 + 64);
        }
    }
}
