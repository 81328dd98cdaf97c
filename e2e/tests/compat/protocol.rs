//! The wire protocol over raw TCP: inline commands, pipelining, and protocol errors, which
//! close the connection after one error reply.

use std::time::Duration;

use meridian_e2e::raw::encode_command;
use meridian_e2e::{RawConn, SideBySide};

use crate::TestResult;

/// How long a server gets to close a connection after a protocol error.
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

/// Sends `bytes` on a fresh connection and describes what came back before the server closed it.
fn reply_then_close(port: u16, bytes: &[u8]) -> meridian_e2e::Result<String> {
    let mut con = RawConn::connect(port)?;
    con.send(bytes)?;
    Ok(match con.read_until_closed(CLOSE_DEADLINE)? {
        Some(reply) => format!("{} then closed", String::from_utf8_lossy(&reply)),
        None => "connection left open".to_string(),
    })
}

#[test]
fn inline_commands() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "+PONG\r\n",
            "+OK\r\n",
            "$1\r\nv\r\n",
            "+OK\r\n",
            "$11\r\nhello world\r\n",
            "$3\r\na b\r\n",
            "$2\r\nx\n\r\n",
            "+PONG\r\n",
            ":1\r\n",
            "$-1\r\n",
            "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n",
        ],
        |port| {
            let mut con = RawConn::connect(port)?;
            let mut t = Vec::new();
            for request in [
                "PING\r\n",
                "SET k v\r\n",
                "GET k\r\n",
                "SET q \"hello world\"\r\n",
                "GET q\r\n",
                "ECHO 'a b'\r\n",
                "ECHO \"x\\n\"\r\n",
                // Empty lines are skipped; a bare LF ends a line too.
                "\r\n\r\nPING\n",
                "  INCR   c  \r\n",
                "GET nokey\r\n",
                "NOSUCH x\r\n",
            ] {
                con.send(request.as_bytes())?;
                t.push(con.read_text()?);
            }
            Ok(t)
        },
    );
    Ok(())
}

#[test]
fn inline_unbalanced_quotes() -> TestResult {
    SideBySide::start()?.expect(&["-ERR Protocol error: unbalanced quotes in request\r\n then closed"], |port| {
        Ok(vec![reply_then_close(port, b"SET k \"abc\r\n")?])
    });
    Ok(())
}

#[test]
fn pipelining() -> TestResult {
    SideBySide::start()?.expect(
        &[":1\r\n .. :100\r\n", "$3\r\n100\r\n", "+OK\r\n$1\r\n1\r\n+PONG\r\n:2\r\n", "10000 replies in order"],
        |port| {
            let mut con = RawConn::connect(port)?;
            let mut t = Vec::new();

            // 100 INCRs and a GET in one write.
            let mut batch = Vec::new();
            for _ in 0..100 {
                batch.extend(encode_command(&["INCR", "c"]));
            }
            batch.extend(encode_command(&["GET", "c"]));
            con.send(&batch)?;
            let mut ok = true;
            for i in 1..=100 {
                ok &= con.read_text()? == format!(":{i}\r\n");
            }
            t.push(if ok { ":1\r\n .. :100\r\n".to_string() } else { "INCR replies out of order".to_string() });
            t.push(con.read_text()?);

            // Inline and multibulk requests mixed in one write.
            let mut mixed = encode_command(&["SET", "m", "1"]);
            mixed.extend_from_slice(b"GET m\r\n");
            mixed.extend(encode_command(&["PING"]));
            mixed.extend_from_slice(b"INCR m\r\n");
            con.send(&mixed)?;
            let mut replies = String::new();
            for _ in 0..4 {
                replies.push_str(&con.read_text()?);
            }
            t.push(replies);

            // A large pipeline: all requests first, then all replies, each one checked.
            const N: usize = 10_000;
            let mut big = Vec::new();
            for i in 0..N {
                big.extend(encode_command(&["SET", &format!("key:{i}"), &format!("value:{i}")]));
                big.extend(encode_command(&["GET", &format!("key:{i}")]));
            }
            con.send(&big)?;
            let mut ok = true;
            for i in 0..N {
                ok &= con.read_text()? == "+OK\r\n";
                let value = format!("value:{i}");
                ok &= con.read_text()? == format!("${}\r\n{value}\r\n", value.len());
            }
            t.push(if ok { format!("{N} replies in order") } else { "large pipeline: wrong replies".to_string() });
            Ok(t)
        },
    );
    Ok(())
}

#[test]
fn multibulk_split_across_writes() -> TestResult {
    SideBySide::start()?.expect(&["+OK\r\n", "$5\r\nhello\r\n"], |port| {
        let mut con = RawConn::connect(port)?;
        let request = encode_command(&["SET", "k", "hello"]);
        // One byte at a time: the server must wait for the whole frame.
        for byte in &request {
            con.send(std::slice::from_ref(byte))?;
        }
        let mut t = vec![con.read_text()?];
        con.send(&encode_command(&["GET", "k"]))?;
        t.push(con.read_text()?);
        Ok(t)
    });
    Ok(())
}

#[test]
fn empty_and_null_multibulk_are_ignored() -> TestResult {
    SideBySide::start()?.expect(&["+PONG\r\n"], |port| {
        let mut con = RawConn::connect(port)?;
        con.send(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")?;
        Ok(vec![con.read_text()?])
    });
    Ok(())
}

#[test]
fn protocol_errors_close_the_connection() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "-ERR Protocol error: invalid multibulk length\r\n then closed",
            "-ERR Protocol error: invalid multibulk length\r\n then closed",
            "-ERR Protocol error: invalid bulk length\r\n then closed",
            "-ERR Protocol error: invalid bulk length\r\n then closed",
            "-ERR Protocol error: invalid bulk length\r\n then closed",
            "-ERR Protocol error: expected '$', got 'f'\r\n then closed",
            "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n then closed",
        ],
        |port| {
            [
                &b"*-x\r\n"[..],
                b"*3000000000\r\n",
                b"*1\r\n$x\r\n",
                b"*1\r\n$-5\r\n",
                b"*1\r\n$600000000\r\n",
                b"*1\r\nfoo\r\n",
                b"PING\r\n*-x\r\n",
            ]
            .into_iter()
            .map(|bytes| reply_then_close(port, bytes))
            .collect()
        },
    );
    Ok(())
}

#[test]
fn quit_closes_after_ok() -> TestResult {
    SideBySide::start()?
        .expect(&["+OK\r\n then closed"], |port| Ok(vec![reply_then_close(port, b"QUIT\r\nPING\r\n")?]));
    Ok(())
}
