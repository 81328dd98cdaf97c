//! Thousands of seeded random commands with hostile arguments, then connections that send
//! random bytes, while the crowd of stateful clients waits; then every client's state.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use meridian_e2e::{RawConn, start_datanode};

use crate::clients::Crowd;
use crate::vocabulary::{ARGS, COMMANDS};
use crate::{Lcg, TestResult};

#[test]
fn random_commands_and_garbage_leave_every_client_as_it_was() -> TestResult {
    let mut rng = Lcg::from_env();
    let seed = rng.0;
    let mut server = start_datanode()?;
    let port = server.port();
    let crowd = Crowd::gather(port)?;
    let mut conn = RawConn::connect(port)?;
    let conn_id = conn.call(&["CLIENT", "ID"])?.trim_start_matches(':').trim_end().parse().unwrap_or(0u64);
    for p in [&["SET", "k", "10"][..], &["HSET", "h", "f", "1"], &["SADD", "s", "a", "b"], &["ZADD", "z", "1", "a"]] {
        conn.call(p)?;
    }
    conn.call(&["RPUSH", "l", "a", "b", "c"])?;
    for i in 0..3000 {
        let mut words = vec![rng.pick(COMMANDS), rng.pick(&["k", "h", "s", "z", "l", "nokey"])];
        for _ in 0..rng.next() % 8 {
            words.push(rng.pick(ARGS));
        }
        conn.send_command(&words)?;
        if let Err(e) = conn.read_frame() {
            panic!("seed {seed}, request {i} {words:?}: no reply ({e})");
        }
    }
    for _ in 0..300 {
        let garbage: Vec<u8> = (0..1 + rng.next() % 64)
            .flat_map(|_| match rng.next() % 5 {
                0 => b"*2\r\n$3\r\nGET\r\n".to_vec(),
                1 => b"$-99\r\n".to_vec(),
                2 => b"\"\\x4".to_vec(),
                // Starts a request and hangs up inside it.
                3 => b"*3\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch".to_vec(),
                _ => vec![rng.next() as u8],
            })
            .collect();
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
            let _ = s.write_all(&garbage);
        }
    }
    crowd.check(&[conn_id], seed)?;
    assert!(server.is_running(), "seed {seed}: the datanode exited:\n{}", server.output());
    Ok(())
}
