//! Many clients at once, and a client that never reads its replies while others are served.

use std::time::{Duration, Instant};

use meridian_e2e::raw::encode_command;
use meridian_e2e::{Conn, RawConn, SideBySide};

use crate::TestResult;

/// Concurrent clients in `many_concurrent_clients` (well under both servers' limits).
const CLIENTS: usize = 300;
/// Rounds of SET/GET per client.
const ROUNDS: usize = 20;

#[test]
fn many_concurrent_clients() -> TestResult {
    SideBySide::start()?.expect(&["300 clients read their own writes", "\"6000\"", "\"300\""], |port| {
        let outcomes: Vec<meridian_e2e::Result<bool>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..CLIENTS)
                .map(|client| {
                    scope.spawn(move || -> meridian_e2e::Result<bool> {
                        let mut con = Conn::open(port)?;
                        let mut ok = true;
                        for round in 0..ROUNDS {
                            let key = format!("client:{client}");
                            let value = format!("value:{client}:{round}");
                            ok &= con.call(&["SET", &key, &value])? == "OK";
                            ok &= con.call(&["GET", &key])? == format!("\"{value}\"");
                            con.call(&["INCR", "total"])?;
                        }
                        ok &= con.call(&["INCR", "clients"])?.starts_with("(integer) ");
                        Ok(ok)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(Ok(false))).collect()
        });
        let mut failures = Vec::new();
        for (client, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(true) => {}
                Ok(false) => failures.push(format!("client {client}: wrong reply")),
                Err(e) => failures.push(format!("client {client}: {e}")),
            }
        }
        let mut con = Conn::open(port)?;
        let summary = if failures.is_empty() {
            format!("{CLIENTS} clients read their own writes")
        } else {
            format!("{} of {CLIENTS} clients failed, first: {}", failures.len(), failures[0])
        };
        Ok(vec![summary, con.call(&["GET", "total"])?, con.call(&["GET", "clients"])?])
    });
    Ok(())
}

/// A value big enough that the replies to the slow client fill the socket buffers.
const BIG_VALUE: usize = 1 << 20;
/// GETs the slow client sends without reading: 64 MiB of replies.
const SLOW_REQUESTS: usize = 64;
/// Clients served meanwhile.
const OTHERS: usize = 20;
/// How long the other clients may take, together.
const SERVED_WITHIN: Duration = Duration::from_secs(5);

#[test]
fn slow_reader_does_not_stall_others() -> TestResult {
    SideBySide::start()?.expect(&["OK", "20 clients served while one does not read", "PONG"], |port| {
        let mut t = Vec::new();
        let mut setup = Conn::open(port)?;
        t.push(setup.call(&["SET", "big", &"x".repeat(BIG_VALUE)])?);

        let mut slow = RawConn::connect(port)?;
        let mut requests = Vec::new();
        for _ in 0..SLOW_REQUESTS {
            requests.extend(encode_command(&["GET", "big"]));
        }
        slow.send(&requests)?;

        let start = Instant::now();
        let mut served = 0;
        for i in 0..OTHERS {
            let mut con = Conn::open(port)?;
            let key = format!("other:{i}");
            if con.call(&["SET", &key, "v"])? == "OK" && con.call(&["GET", &key])? == "\"v\"" {
                served += 1;
            }
        }
        let elapsed = start.elapsed();
        t.push(if served == OTHERS && elapsed < SERVED_WITHIN {
            format!("{OTHERS} clients served while one does not read")
        } else {
            format!("{served} of {OTHERS} clients served in {} ms", elapsed.as_millis())
        });
        drop(slow);
        t.push(setup.call(&["PING"])?);
        Ok(t)
    });
    Ok(())
}

/// LASTSAVE on a server that never saved (the harness's redis-server runs with `save ""`;
/// Meridian keeps nothing on disk): its start, the clock less INFO's uptime.
#[test]
fn lastsave_is_the_start_when_nothing_was_saved() -> TestResult {
    SideBySide::start()?.expect(&["the start"], |port| {
        let mut con = Conn::open(port)?;
        let number = |reply: String| reply.trim_start_matches("(integer) ").trim_matches('"').parse::<u64>().ok();
        let lastsave = number(con.call(&["LASTSAVE"])?);
        let time = con.call(&["TIME"])?;
        let now = time.lines().next().map(|l| l.trim_start_matches("1) ").to_string()).and_then(number);
        let info = con.call(&["INFO", "server"])?;
        let uptime = info.split_once("uptime_in_seconds:").and_then(|(_, rest)| {
            rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse::<u64>().ok()
        });
        Ok(vec![match (lastsave, now, uptime) {
            (Some(l), Some(n), Some(u)) if l <= n && n.saturating_sub(u) <= l + 1 => "the start".to_string(),
            other => format!("LASTSAVE, TIME, uptime: {other:?}"),
        }])
    });
    Ok(())
}
