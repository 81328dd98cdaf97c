//! The keyspace: DEL, EXISTS, TYPE, RENAME, KEYS, SCAN, DBSIZE, FLUSHALL.

use meridian_e2e::{Conn, Script, SideBySide};

use crate::TestResult;

#[test]
fn del_exists_type() -> TestResult {
    Script::new()
        .step(&["MSET", "a", "1", "b", "2", "c", "3"], "OK")
        .step(&["EXISTS", "a"], "(integer) 1")
        .step(&["EXISTS", "a", "b", "nokey", "a"], "(integer) 3")
        .step(&["DEL", "a", "nokey"], "(integer) 1")
        .step(&["DEL", "a"], "(integer) 0")
        .step(&["EXISTS", "a"], "(integer) 0")
        .step(&["UNLINK", "b", "c"], "(integer) 2")
        .step(&["TYPE", "b"], "none")
        .step(&["SET", "s", "v"], "OK")
        .step(&["RPUSH", "l", "x"], "(integer) 1")
        .step(&["HSET", "h", "f", "v"], "(integer) 1")
        .step(&["SADD", "set", "m"], "(integer) 1")
        .step(&["ZADD", "z", "1", "m"], "(integer) 1")
        .step(&["TYPE", "s"], "string")
        .step(&["TYPE", "l"], "list")
        .step(&["TYPE", "h"], "hash")
        .step(&["TYPE", "set"], "set")
        .step(&["TYPE", "z"], "zset")
        .step(&["DBSIZE"], "(integer) 5")
        .step(&["DEL", "s", "l", "h", "set", "z"], "(integer) 5")
        .step(&["DBSIZE"], "(integer) 0")
        .step(&["DEL"], "(error) ERR wrong number of arguments for 'del' command")
        .step(&["EXISTS"], "(error) ERR wrong number of arguments for 'exists' command")
        .run()
}

/// Keys share a hash tag: Meridian, like Redis Enterprise, answers CROSSSLOT for a RENAME
/// between slots (SEMANTICS.md), which standalone Redis allows.
#[test]
fn rename() -> TestResult {
    Script::new()
        .step(&["SET", "{r}a", "1"], "OK")
        .step(&["RENAME", "{r}a", "{r}b"], "OK")
        .step(&["GET", "{r}a"], "(nil)")
        .step(&["GET", "{r}b"], "\"1\"")
        .step(&["RENAME", "{r}nokey", "{r}x"], "(error) ERR no such key")
        .step(&["SET", "{r}c", "3"], "OK")
        .step(&["RENAMENX", "{r}b", "{r}c"], "(integer) 0")
        .step(&["RENAMENX", "{r}b", "{r}d"], "(integer) 1")
        .step(&["GET", "{r}d"], "\"1\"")
        .step(&["RENAME", "{r}d", "{r}c"], "OK")
        .step(&["GET", "{r}c"], "\"1\"")
        .step(&["RENAME", "{r}c", "{r}c"], "OK")
        .step(&["GET", "{r}c"], "\"1\"")
        .step(&["SET", "{r}t", "v", "EX", "100"], "OK")
        .step(&["RENAME", "{r}t", "{r}u"], "OK")
        .step(&["TTL", "{r}u"], "(integer) 100")
        .step(&["RPUSH", "{r}l", "x", "y"], "(integer) 2")
        .step(&["RENAME", "{r}l", "{r}c"], "OK")
        .step(&["LRANGE", "{r}c", "0", "-1"], "1) \"x\"\n2) \"y\"")
        .run()
}

#[test]
fn keys_patterns_dbsize_flushall() -> TestResult {
    Script::new()
        .step(&["MSET", "user:1", "a", "user:2", "b", "user:10", "c", "order:1", "d", "h?llo", "e"], "OK")
        .sorted(&["KEYS", "*"], "1) \"h?llo\"\n2) \"order:1\"\n3) \"user:1\"\n4) \"user:10\"\n5) \"user:2\"")
        .sorted(&["KEYS", "user:*"], "1) \"user:1\"\n2) \"user:10\"\n3) \"user:2\"")
        .sorted(&["KEYS", "user:?"], "1) \"user:1\"\n2) \"user:2\"")
        .sorted(&["KEYS", "user:[12]*"], "1) \"user:1\"\n2) \"user:10\"\n3) \"user:2\"")
        .sorted(&["KEYS", "user:[^1]"], "1) \"user:2\"")
        .sorted(&["KEYS", "h\\?llo"], "1) \"h?llo\"")
        .step(&["KEYS", "nomatch*"], "(empty array)")
        .step(&["DBSIZE"], "(integer) 5")
        .step(&["FLUSHALL"], "OK")
        .step(&["DBSIZE"], "(integer) 0")
        .step(&["KEYS", "*"], "(empty array)")
        .step(&["SET", "k", "v"], "OK")
        .step(&["FLUSHDB"], "OK")
        .step(&["GET", "k"], "(nil)")
        .run()
}

/// SCAN cursors are opaque: a full iteration must return every key exactly once.
#[test]
fn scan_visits_every_key() -> TestResult {
    const KEYS: usize = 500;
    /// SCAN calls allowed for a full iteration (each returns at least one key or ends).
    const MAX_CALLS: usize = 10_000;
    SideBySide::start()?.expect(&["500 keys, each once", "50 keys, each once"], |port| {
        let mut con = Conn::open(port)?;
        for i in 0..KEYS {
            let prefix = if i % 10 == 0 { "ten" } else { "key" };
            con.call(&["SET", &format!("{prefix}:{i}"), "v"])?;
        }
        let mut t = Vec::new();
        for pattern in [None, Some("ten:*")] {
            let mut cursor = "0".to_string();
            let mut seen = Vec::new();
            for _ in 0..MAX_CALLS {
                let mut args = vec!["SCAN".to_string(), cursor.clone(), "COUNT".into(), "37".into()];
                if let Some(p) = pattern {
                    args.extend(["MATCH".into(), p.to_string()]);
                }
                let reply = con.call(&args)?;
                // 1) "<cursor>"\n2) 1) "key"\n   2) "key" ... or 2) (empty array)
                let mut lines = reply.lines();
                let Some(first) = lines.next().and_then(|l| l.strip_prefix("1) \"")) else {
                    return Ok(vec![format!("unexpected SCAN reply: {reply}")]);
                };
                cursor = first.trim_end_matches('"').to_string();
                for line in lines {
                    if let Some((_, key)) = line.split_once(") \"") {
                        seen.push(key.trim_end_matches('"').to_string());
                    }
                }
                if cursor == "0" {
                    break;
                }
            }
            let total = seen.len();
            seen.sort();
            seen.dedup();
            let want = if pattern.is_some() { KEYS / 10 } else { KEYS };
            t.push(if cursor == "0" && seen.len() == total && total == want {
                format!("{want} keys, each once")
            } else {
                format!("cursor {cursor}, {total} keys returned, {} distinct, wanted {want}", seen.len())
            });
        }
        Ok(t)
    });
    Ok(())
}

/// Glob patterns answer as Redis's `stringmatchlen` does, corner cases included (unclosed
/// classes, `-` before `]`, escapes, the empty key): seeded random patterns over a small
/// alphabet, KEYS on both servers, and every reply must be Redis's.
#[test]
fn glob_patterns_match_as_redis_does() -> TestResult {
    /// Patterns tried (each over the same keys).
    const PATTERNS: usize = 400;
    const PATTERN_BYTES: &[u8] = b"ab*?[]^-\\";
    let keys = ["", "a", "b", "ab", "ba", "aab", "a*b", "a?", "[", "]", "^", "-", "\\", "a\\b", "abab", "b]a", "[ab]"];
    let mut seed = 0x9e37_79b9_u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let patterns: Vec<Vec<u8>> = (0..PATTERNS)
        .map(|_| (0..1 + next() % 6).map(|_| PATTERN_BYTES[next() % PATTERN_BYTES.len()]).collect())
        .collect();
    let scenario = |port| {
        let mut con = Conn::open(port)?;
        for k in keys {
            con.call(&["SET", k, "v"])?;
        }
        let mut t = Vec::new();
        for p in &patterns {
            let reply = con.call(&[&b"KEYS"[..], p])?;
            let mut lines: Vec<&str> = reply.lines().map(|l| l.split_once(") ").map_or(l, |(_, k)| k)).collect();
            lines.sort_unstable();
            t.push(format!("KEYS {:?}: {}", String::from_utf8_lossy(p), lines.join(" ")));
        }
        Ok(t)
    };
    let pair = SideBySide::start()?;
    let redis = scenario(pair.redis.port())?;
    let expected: Vec<&str> = redis.iter().map(String::as_str).collect();
    pair.expect(&expected, scenario);
    Ok(())
}
