//! Requests built to hurt (issue 12): command names that used to panic the connection,
//! names that would split a reply, patterns that used to wedge the node, clients that hang
//! up in every state; and a long KEYS that must not hold other clients up.

use std::time::{Duration, Instant};

use meridian_e2e::{RawConn, start_datanode};

use crate::clients::Crowd;
use crate::{Lcg, TestResult};

/// Sends one request on a fresh connection and returns its reply; the connection must
/// still answer PING afterwards (nothing it sent broke it).
fn one_shot(port: u16, args: &[&[u8]]) -> meridian_e2e::Result<String> {
    let mut c = RawConn::connect(port)?;
    let reply = c.call(args)?;
    assert_eq!(c.call(&["PING"])?, "+PONG\r\n", "the connection survives {:?}", String::from_utf8_lossy(args[0]));
    Ok(reply)
}

#[test]
fn hostile_names_and_hang_ups_leave_nothing_behind() -> TestResult {
    let seed = Lcg::from_env().0;
    let mut server = start_datanode()?;
    let port = server.port();
    let crowd = Crowd::gather(port)?;

    // A multi-byte character across byte 128 of an unknown name panicked the connection
    // (and left it in CLIENT LIST). The name is cut as bytes and shown as text.
    let name = format!("{}é", "a".repeat(127));
    let reply = one_shot(port, &[name.as_bytes(), b"x"])?;
    assert_eq!(
        reply,
        format!("-ERR unknown command '{}\u{fffd}', with args beginning with: 'x' \r\n", "a".repeat(127))
    );
    // A line break in a quoted name must not end the error line early.
    let reply = one_shot(port, &[b"GET\r\n+OK", b"k\r\nv"])?;
    assert_eq!(reply, "-ERR unknown command 'GET  +OK', with args beginning with: 'k  v' \r\n");
    // Arbitrary bytes as a name, and a huge one.
    let bytes: Vec<u8> = (0..=255u8).collect();
    assert!(one_shot(port, &[&bytes])?.starts_with("-ERR unknown command '"));
    assert!(one_shot(port, &[&vec![0xffu8; 100_000], b"arg"])?.starts_with("-ERR unknown command '"));
    // A pattern whose naive matching takes minutes answers at once.
    one_shot(port, &[b"SET", "a".repeat(40).as_bytes(), b"v"])?;
    let started = Instant::now();
    let reply = one_shot(port, &[b"KEYS", format!("{}b", "a*".repeat(20)).as_bytes()])?;
    assert_eq!((reply.as_str(), started.elapsed() < Duration::from_secs(2)), ("*0\r\n", true));

    // Clients that leave in every state.
    let mut sub = RawConn::connect(port)?;
    sub.call(&["SUBSCRIBE", "robust:news", "gone"])?;
    sub.read_text()?;
    sub.call(&["PSUBSCRIBE", "robust:*"])?;
    sub.send(b"*1\r\n$-5\r\n")?; // a protocol error: the server closes the connection
    assert!(sub.read_until_closed(Duration::from_secs(5))?.is_some(), "seed {seed}: a protocol error closes");
    let mut blocked = RawConn::connect(port)?;
    blocked.send_command(&["BLPOP", "robust:queue", "0"])?;
    let mut in_multi = RawConn::connect(port)?;
    in_multi.call(&["WATCH", "robust:watched", "other"])?;
    in_multi.call(&["MULTI"])?;
    in_multi.call(&["SET", "robust:watched", "never"])?;
    let mut mid_request = RawConn::connect(port)?;
    mid_request.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")?;
    // Let the blocked client block before it hangs up.
    std::thread::sleep(Duration::from_millis(100));
    drop((blocked, in_multi, mid_request));

    crowd.check(&[], seed)?;
    assert!(server.is_running(), "seed {seed}: the datanode exited:\n{}", server.output());
    Ok(())
}

/// KEYS over a big keyspace with a pattern that costs real work runs in steps: other clients
/// are answered while it runs, not after it.
#[test]
fn a_long_keys_does_not_hold_up_other_clients() -> TestResult {
    const KEYS: usize = 100_000;
    const PER_MSET: usize = 1_000;
    let server = start_datanode()?;
    let port = server.port();
    let mut loader = RawConn::connect(port)?;
    let prefix = "a".repeat(60);
    for batch in 0..KEYS / PER_MSET {
        let mut args = vec!["MSET".to_string()];
        for i in batch * PER_MSET..(batch + 1) * PER_MSET {
            args.push(format!("{prefix}{i}"));
            args.push("v".into());
        }
        assert_eq!(loader.call(&args)?, "+OK\r\n");
    }
    for tail in ["b", "ab", "aab"] {
        loader.call(&["SET", &format!("{prefix}{tail}"), "v"])?;
    }
    // Every key costs the matcher about 60 x 50 steps: a star tried at each start.
    let pattern = format!("*{}b", "a".repeat(50));
    let mut keys = RawConn::connect(port)?;
    let mut pinger = RawConn::connect(port)?;
    let started = Instant::now();
    keys.send_command(&["KEYS", &pattern])?;
    let (mut answered_during, mut slowest) = (0, Duration::ZERO);
    while keys.is_silent_for(Duration::from_millis(1))? {
        let sent = Instant::now();
        assert_eq!(pinger.call(&["PING"])?, "+PONG\r\n");
        slowest = slowest.max(sent.elapsed());
        answered_during += 1;
    }
    let took = started.elapsed();
    let reply = keys.read_text()?;
    let mut found: Vec<&str> = reply.lines().filter(|l| l.starts_with('a')).collect();
    found.sort_unstable();
    let want = [format!("{prefix}aab"), format!("{prefix}ab"), format!("{prefix}b")];
    assert_eq!(found, want.iter().map(String::as_str).collect::<Vec<_>>());
    println!("KEYS took {took:?}; {answered_during} PINGs answered meanwhile, the slowest in {slowest:?}");
    assert!(answered_during >= 3, "KEYS ({took:?}) held the node: only {answered_during} PINGs answered meanwhile");
    assert!(slowest < Duration::from_millis(250), "a PING waited {slowest:?} behind KEYS ({took:?})");
    Ok(())
}
