//! Expiry: keys set with a short time to live disappear after it, not before, and the TTL
//! commands report what is left. Every wait is bounded.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use meridian_e2e::{Conn, Script, SideBySide};

use crate::TestResult;

/// How long a test waits for a key to expire before it fails.
const EXPIRY_DEADLINE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(10);

/// Polls `GET key` until it is nil; returns the time since `since`, or `None` at the deadline.
fn wait_gone(con: &mut Conn, key: &str, since: Instant) -> meridian_e2e::Result<Option<Duration>> {
    while since.elapsed() < EXPIRY_DEADLINE {
        if con.call(&["GET", key])? == "(nil)" {
            return Ok(Some(since.elapsed()));
        }
        std::thread::sleep(POLL);
    }
    Ok(None)
}

/// "expired after >= N ms" when the key vanished no earlier than its TTL allows.
fn expiry(gone: Option<Duration>, ttl: Duration) -> String {
    match gone {
        Some(d) if d >= ttl => format!("expired after >= {} ms", ttl.as_millis()),
        Some(d) => format!("expired early, after {} ms", d.as_millis()),
        None => format!("still there after {} ms", EXPIRY_DEADLINE.as_millis()),
    }
}

fn unix_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

#[test]
fn string_options_expire_keys() -> TestResult {
    let ttl = Duration::from_millis(300);
    SideBySide::start()?.expect(
        &[
            "OK",
            "\"v\"",
            "expired after >= 300 ms",
            "OK",
            "expired after >= 300 ms",
            "OK",
            "\"v\"",
            "expired after >= 300 ms",
            "OK",
            "expired after >= 300 ms",
            "OK",
            "OK",
            "expired after >= 300 ms",
            "OK",
            "OK",
            "OK",
            "\"v\"",
            "\"v2\"",
            "\"v\"",
        ],
        |port| {
            let mut con = Conn::open(port)?;
            let mut t = Vec::new();

            let start = Instant::now();
            t.push(con.call(&["SET", "px", "v", "PX", "300"])?);
            t.push(con.call(&["GET", "px"])?);
            t.push(expiry(wait_gone(&mut con, "px", start)?, ttl));

            let start = Instant::now();
            t.push(con.call(&["PSETEX", "psetex", "300", "v"])?);
            t.push(expiry(wait_gone(&mut con, "psetex", start)?, ttl));

            t.push(con.call(&["SET", "getex", "v"])?);
            let start = Instant::now();
            t.push(con.call(&["GETEX", "getex", "PX", "300"])?);
            t.push(expiry(wait_gone(&mut con, "getex", start)?, ttl));

            let start = Instant::now();
            let at = (unix_ms() + 300).to_string();
            t.push(con.call(&["SET", "pxat", "v", "PXAT", &at])?);
            t.push(expiry(wait_gone(&mut con, "pxat", start)?, ttl));

            // KEEPTTL keeps the deadline of the value it replaces.
            let start = Instant::now();
            t.push(con.call(&["SET", "keep", "v", "PX", "300"])?);
            t.push(con.call(&["SET", "keep", "v2", "KEEPTTL"])?);
            t.push(expiry(wait_gone(&mut con, "keep", start)?, ttl));

            // A plain SET and GETEX PERSIST drop the deadline.
            t.push(con.call(&["SET", "plain", "v", "PX", "300"])?);
            t.push(con.call(&["SET", "persist", "v", "PX", "300"])?);
            t.push(con.call(&["SET", "plain", "v2"])?);
            t.push(con.call(&["GETEX", "persist", "PERSIST"])?);
            std::thread::sleep(ttl * 2);
            t.push(con.call(&["GET", "plain"])?);
            t.push(con.call(&["GET", "persist"])?);
            Ok(t)
        },
    );
    Ok(())
}

#[test]
fn setex_and_expired_in_the_past() -> TestResult {
    Script::new()
        .step(&["SETEX", "k", "100", "v"], "OK")
        .step(&["GET", "k"], "\"v\"")
        .step(&["SETEX", "k", "0", "v"], "(error) ERR invalid expire time in 'setex' command")
        .step(&["PSETEX", "k", "-1", "v"], "(error) ERR invalid expire time in 'psetex' command")
        .step(&["SETEX", "k", "x", "v"], "(error) ERR value is not an integer or out of range")
        .step(&["SET", "past", "v", "EXAT", "1"], "OK")
        .step(&["GET", "past"], "(nil)")
        .step(&["GETEX", "k", "EXAT", "1"], "\"v\"")
        .step(&["GET", "k"], "(nil)")
        .run()
}

/// TTL, PTTL, EXPIRE and friends (keys family).
#[test]
fn ttl_commands() -> TestResult {
    Script::new()
        .step(&["TTL", "nokey"], "(integer) -2")
        .step(&["PTTL", "nokey"], "(integer) -2")
        .step(&["SET", "k", "v"], "OK")
        .step(&["TTL", "k"], "(integer) -1")
        .step(&["PTTL", "k"], "(integer) -1")
        .step(&["EXPIRE", "k", "100"], "(integer) 1")
        .step(&["TTL", "k"], "(integer) 100")
        .step(&["PERSIST", "k"], "(integer) 1")
        .step(&["PERSIST", "k"], "(integer) 0")
        .step(&["TTL", "k"], "(integer) -1")
        .step(&["EXPIRE", "nokey", "100"], "(integer) 0")
        .step(&["SET", "k", "v", "EX", "100"], "OK")
        .step(&["TTL", "k"], "(integer) 100")
        .step(&["EXPIRE", "k", "50", "NX"], "(integer) 0")
        .step(&["EXPIRE", "k", "50", "XX"], "(integer) 1")
        .step(&["TTL", "k"], "(integer) 50")
        .step(&["EXPIRE", "k", "10", "GT"], "(integer) 0")
        .step(&["EXPIRE", "k", "200", "GT"], "(integer) 1")
        .step(&["EXPIRE", "k", "300", "LT"], "(integer) 0")
        .step(&["EXPIRE", "k", "20", "LT"], "(integer) 1")
        .step(&["TTL", "k"], "(integer) 20")
        .step(
            &["EXPIRE", "k", "20", "NX", "XX"],
            "(error) ERR NX and XX, GT or LT options at the same time are not compatible",
        )
        .step(&["EXPIRE", "k", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["SET", "k", "v2"], "OK")
        .step(&["TTL", "k"], "(integer) -1")
        .step(&["PEXPIRE", "k", "100000"], "(integer) 1")
        .step(&["TTL", "k"], "(integer) 100")
        .step(&["EXPIREAT", "k", "4102444800"], "(integer) 1")
        .step(&["EXPIRETIME", "k"], "(integer) 4102444800")
        .step(&["PEXPIRETIME", "k"], "(integer) 4102444800000")
        .step(&["PEXPIREAT", "k", "4102444800123"], "(integer) 1")
        .step(&["PEXPIRETIME", "k"], "(integer) 4102444800123")
        .step(&["EXPIRETIME", "nokey"], "(integer) -2")
        .step(&["SET", "p", "v"], "OK")
        .step(&["EXPIRETIME", "p"], "(integer) -1")
        .step(&["EXPIRE", "p", "0"], "(integer) 1")
        .step(&["GET", "p"], "(nil)")
        .step(&["SET", "p", "v"], "OK")
        .step(&["EXPIREAT", "p", "1"], "(integer) 1")
        .step(&["EXISTS", "p"], "(integer) 0")
        .run()
}

#[test]
fn pexpire_expires_key() -> TestResult {
    let ttl = Duration::from_millis(300);
    SideBySide::start()?.expect(&["OK", "(integer) 1", "expired after >= 300 ms", "(integer) -2"], |port| {
        let mut con = Conn::open(port)?;
        let mut t = vec![con.call(&["SET", "k", "v"])?];
        let start = Instant::now();
        t.push(con.call(&["PEXPIRE", "k", "300"])?);
        t.push(expiry(wait_gone(&mut con, "k", start)?, ttl));
        t.push(con.call(&["TTL", "k"])?);
        Ok(t)
    });
    Ok(())
}
