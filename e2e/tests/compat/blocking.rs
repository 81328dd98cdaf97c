//! Blocking pops: BLPOP/BRPOP time out after their timeout, and wake up on a push from
//! another client, first waiter first. Every wait is bounded.

use std::time::{Duration, Instant};

use meridian_e2e::{Conn, RawConn, SideBySide};

use crate::TestResult;

/// How long the tests check that a blocked client has not been answered yet.
const STILL_BLOCKED: Duration = Duration::from_millis(200);

#[test]
fn blpop_times_out() -> TestResult {
    SideBySide::start()?.expect(&["(nil) after >= 200 ms", "(nil) after >= 200 ms"], |port| {
        let mut con = Conn::open(port)?;
        let mut t = Vec::new();
        for cmd in ["BLPOP", "BRPOP"] {
            let start = Instant::now();
            let reply = con.call(&[cmd, "empty", "other", "0.2"])?;
            let elapsed = start.elapsed();
            t.push(if elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(5) {
                format!("{reply} after >= 200 ms")
            } else {
                format!("{reply} after {} ms", elapsed.as_millis())
            });
        }
        Ok(t)
    });
    Ok(())
}

#[test]
fn blpop_returns_at_once_when_a_list_has_elements() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "(integer) 2",
            "1) \"l\"\n2) \"a\"",
            "1) \"l\"\n2) \"b\"",
            "(integer) 0",
            "(error) ERR timeout is negative",
            "(error) ERR timeout is not a float or out of range",
            "OK",
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        ],
        |port| {
            let mut con = Conn::open(port)?;
            Ok(vec![
                con.call(&["RPUSH", "l", "a", "b"])?,
                con.call(&["BLPOP", "empty", "l", "1"])?,
                con.call(&["BRPOP", "l", "1"])?,
                con.call(&["LLEN", "l"])?,
                con.call(&["BLPOP", "l", "-1"])?,
                con.call(&["BLPOP", "l", "soon"])?,
                con.call(&["SET", "s", "v"])?,
                con.call(&["BLPOP", "s", "1"])?,
            ])
        },
    );
    Ok(())
}

#[test]
fn blpop_wakes_on_push_first_waiter_first() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "blocked",
            "blocked",
            "(integer) 1",
            "*2\r\n$2\r\nl2\r\n$1\r\nx\r\n",
            "blocked",
            "(integer) 2",
            "*2\r\n$2\r\nl2\r\n$1\r\ny\r\n",
            "(integer) 1",
            "*2\r\n$2\r\nl2\r\n$1\r\nz\r\n",
        ],
        |port| {
            let mut first = RawConn::connect(port)?;
            let mut second = RawConn::connect(port)?;
            let mut pusher = Conn::open(port)?;
            let mut t = Vec::new();
            first.send_command(&["BLPOP", "l1", "l2", "5"])?;
            // The first waiter is queued before the second one arrives.
            t.push(still_blocked(&mut pusher, &mut first)?);
            second.send_command(&["BLPOP", "l2", "5"])?;
            t.push(still_blocked(&mut pusher, &mut second)?);
            t.push(pusher.call(&["RPUSH", "l2", "x"])?);
            t.push(or_note(first.read_text()));
            t.push(still_blocked(&mut pusher, &mut second)?);
            // Two elements in one push: the waiter takes the first, one stays.
            t.push(pusher.call(&["RPUSH", "l2", "y", "z"])?);
            t.push(or_note(second.read_text()));
            t.push(pusher.call(&["LLEN", "l2"])?);
            t.push(or_note(first.call(&["BLPOP", "l2", "5"])));
            Ok(t)
        },
    );
    Ok(())
}

/// "blocked" if `waiter` gets no reply for `STILL_BLOCKED` while the server answers a PING
/// on another connection.
fn still_blocked(other: &mut Conn, waiter: &mut RawConn) -> meridian_e2e::Result<String> {
    if !waiter.is_silent_for(STILL_BLOCKED)? {
        return Ok(format!("answered early: {:?}", waiter.read_text()?));
    }
    let pong = other.call(&["PING"])?;
    Ok(if pong == "PONG" { "blocked".to_string() } else { format!("server did not answer PING: {pong}") })
}

/// A reply, or what went wrong instead, as a transcript entry (so the report shows the step).
fn or_note(reply: meridian_e2e::Result<String>) -> String {
    reply.unwrap_or_else(|e| format!("<{e}>"))
}

/// Sorted-set pops, blocking or not, byte for byte in RESP2 and RESP3: BZPOPMIN's flat
/// `[key, member, score]`, ZMPOP's nested pairs (in RESP2 too), nil when all are empty, and
/// the timeout read after the other arguments.
#[test]
fn zset_pops_reply_as_redis() -> TestResult {
    SideBySide::start()?.expect(
        &[
            ":4\r\n",
            "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n",
            "*3\r\n$1\r\nz\r\n$1\r\nd\r\n$1\r\n4\r\n",
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$3\r\n2.5\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
            "*-1\r\n",
            "*-1\r\n",
            "*-1\r\n",
            "-ERR numkeys should be greater than 0\r\n",
            "-ERR numkeys should be greater than 0\r\n",
            ":3\r\n",
            "RESP3",
            "*3\r\n$1\r\nz\r\n$1\r\nc\r\n,-inf\r\n",
            "*3\r\n$1\r\nz\r\n$1\r\nb\r\n,2.5\r\n",
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,1\r\n",
            "_\r\n",
            "_\r\n",
            "_\r\n",
        ],
        |port| {
            let mut con = RawConn::connect(port)?;
            let mut t = vec![
                con.call(&["ZADD", "z", "1", "a", "2.5", "b", "3", "c", "4", "d"])?,
                con.call(&["BZPOPMIN", "q", "z", "0"])?,
                con.call(&["BZPOPMAX", "z", "0"])?,
                con.call(&["ZMPOP", "2", "q", "z", "MIN", "COUNT", "2"])?,
                con.call(&["ZMPOP", "1", "z", "MAX"])?,
                con.call(&["BZMPOP", "0.01", "1", "z", "MIN"])?,
                con.call(&["BZPOPMIN", "z", "0.01"])?,
                con.call(&["BLMPOP", "x", "0", "l", "LEFT"])?,
                con.call(&["BZMPOP", "x", "0", "z", "MIN"])?,
                con.call(&["ZADD", "z", "1", "a", "2.5", "b", "-inf", "c"])?,
            ];
            let hello = con.call(&["HELLO", "3"])?;
            t.push(if hello.starts_with("%7\r\n") { "RESP3".to_string() } else { hello });
            for cmd in [
                &["BZPOPMIN", "q", "z", "0"][..],
                &["BZPOPMAX", "z", "0"],
                &["ZMPOP", "1", "z", "MIN", "COUNT", "5"],
                &["ZMPOP", "1", "z", "MIN"],
                &["BZMPOP", "0.01", "1", "z", "MIN"],
                &["BZPOPMIN", "z", "0.01"],
            ] {
                t.push(con.call(cmd)?);
            }
            Ok(t)
        },
    );
    Ok(())
}

/// A client blocked in BZPOPMIN or BZMPOP is woken by a ZADD from another client, first
/// waiter first.
#[test]
fn bzpopmin_wakes_on_zadd() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "blocked",
            "blocked",
            "(integer) 2",
            "*3\r\n$1\r\nz\r\n$1\r\nx\r\n$1\r\n1\r\n",
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n",
            "(integer) 0",
        ],
        |port| {
            let mut first = RawConn::connect(port)?;
            let mut second = RawConn::connect(port)?;
            let mut writer = Conn::open(port)?;
            let mut t = Vec::new();
            first.send_command(&["BZPOPMIN", "other", "z", "5"])?;
            t.push(still_blocked(&mut writer, &mut first)?);
            second.send_command(&["BZMPOP", "5", "1", "z", "MIN", "COUNT", "3"])?;
            t.push(still_blocked(&mut writer, &mut second)?);
            t.push(writer.call(&["ZADD", "z", "1", "x", "2", "y"])?);
            t.push(or_note(first.read_text()));
            t.push(or_note(second.read_text()));
            t.push(writer.call(&["EXISTS", "z"])?);
            Ok(t)
        },
    );
    Ok(())
}
