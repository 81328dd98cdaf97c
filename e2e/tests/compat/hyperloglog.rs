//! HyperLogLog side by side with redis-server: PFADD, PFCOUNT, PFMERGE replies and error
//! texts, and the value itself: GET of an HLL must be byte-identical to redis-server's for the
//! same commands (sparse, promoted to dense, merged), and bytes read from redis-server must
//! work when SET into Meridian.

use meridian_e2e::Script;
use meridian_e2e::SideBySide;

use crate::TestResult;

#[test]
fn pfadd_pfcount_pfmerge() -> TestResult {
    Script::new()
        .step(&["PFADD", "h"], "(integer) 1")
        .step(&["GET", "h"], "\"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\"")
        .step(&["PFADD", "h"], "(integer) 0")
        .step(&["PFADD", "h", "a", "b", "c", "d", "e"], "(integer) 1")
        .step(&["GET", "h"], "\"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\\\{\\x80Dv\\x80P\\xb1\\x84I\\x8c\\x80Bm\\x80BZ\"")
        .step(&["PFADD", "h", "a"], "(integer) 0")
        .step(&["PFCOUNT", "h"], "(integer) 5")
        .step(&["GET", "h"], "\"HYLL\\x01\\x00\\x00\\x00\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\\\{\\x80Dv\\x80P\\xb1\\x84I\\x8c\\x80Bm\\x80BZ\"")
        .step(&["PFADD", "h", "f"], "(integer) 1")
        .step(&["GET", "h"], "\"HYLL\\x01\\x00\\x00\\x00\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x80Fm\\x80V\\x0c\\x80Dv\\x80P\\xb1\\x84I\\x8c\\x80Bm\\x80BZ\"")
        .step(&["PFADD", "h2", "e", "f", "g"], "(integer) 1")
        .step(&["PFCOUNT", "h", "h2"], "(integer) 7")
        .step(&["PFCOUNT", "h", "h2", "none"], "(integer) 7")
        .step(&["PFCOUNT", "none"], "(integer) 0")
        .step(&["PFCOUNT", "none", "none2"], "(integer) 0")
        .step(&["PFMERGE", "m", "h", "h2"], "OK")
        .step(&["GET", "m"], "\"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80Fm\\x80V\\x0c\\x80D<\\x848\\x80P\\xb1\\x84I\\x8c\\x80Bm\\x80BZ\"")
        .step(&["PFCOUNT", "m"], "(integer) 7")
        .step(&["PFMERGE", "m"], "OK")
        .step(&["PFMERGE", "fresh"], "OK")
        .step(&["GET", "fresh"], "\"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\"")
        .step(&["PFCOUNT", "fresh"], "(integer) 0")
        .step(&["PFMERGE", "h2", "h"], "OK")
        .step(&["GET", "h2"], "\"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80Fm\\x80V\\x0c\\x80D<\\x848\\x80P\\xb1\\x84I\\x8c\\x80Bm\\x80BZ\"")
        .step(&["SET", "s", "plain"], "OK")
        .step(&["PFADD", "s", "a"], "(error) WRONGTYPE Key is not a valid HyperLogLog string value.")
        .step(&["PFCOUNT", "s"], "(error) WRONGTYPE Key is not a valid HyperLogLog string value.")
        .step(&["PFCOUNT", "h", "s"], "(error) WRONGTYPE Key is not a valid HyperLogLog string value.")
        .step(&["PFMERGE", "m", "s"], "(error) WRONGTYPE Key is not a valid HyperLogLog string value.")
        .step(&["PFMERGE", "s", "h"], "(error) WRONGTYPE Key is not a valid HyperLogLog string value.")
        .step(&["LPUSH", "l", "a"], "(integer) 1")
        .step(&["PFADD", "l", "a"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["PFCOUNT", "l"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["PFMERGE", "l", "h"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["PFMERGE", "m", "l"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["TYPE", "h"], "string")
        .step(&["OBJECT", "ENCODING", "h"], "\"raw\"")
        .step(&["EXPIRE", "h", "100"], "(integer) 1")
        .step(&["PFADD", "h", "zz"], "(integer) 1")
        .step(&["TTL", "h"], "(integer) 100")
        .step(&["DEL", "h"], "(integer) 1")
        .step(&["PFCOUNT", "h"], "(integer) 0")
        .step(&["PFADD"], "(error) ERR wrong number of arguments for 'pfadd' command")
        .step(&["PFCOUNT"], "(error) ERR wrong number of arguments for 'pfcount' command")
        .step(&["PFMERGE"], "(error) ERR wrong number of arguments for 'pfmerge' command")
        .run()
}

/// A connection to one server, for byte values (the `Script` steps are text).
fn connect(port: u16) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client");
    client.get_connection_with_timeout(std::time::Duration::from_secs(10)).expect("connection")
}

fn get(con: &mut redis::Connection, key: &str) -> Vec<u8> {
    redis::cmd("GET").arg(key).query(con).expect("GET")
}

/// Grows sparse HLLs element by element past the 3000-byte promotion to dense, merges
/// sparse with sparse and with dense, and requires every value to equal redis-server's,
/// byte for byte, after every batch.
#[test]
fn values_are_byte_identical_through_sparse_dense_and_merges() -> TestResult {
    let servers = SideBySide::start()?;
    let mut cons = servers.servers().map(|(name, port)| (name, connect(port)));
    let mut batch = 0;
    let mut values: Vec<Vec<Vec<u8>>> = vec![Vec::new(), Vec::new()];
    for (name, con) in cons.iter_mut() {
        let side = usize::from(*name != "redis-server");
        let mut push = |con: &mut redis::Connection, key: &str| values[side].push(get(con, key));
        for round in 0..12u32 {
            // Batches of growing size: small ones keep the value sparse for a while.
            let n = 1 + round * round * 40;
            let mut cmd = redis::cmd("PFADD");
            cmd.arg("big");
            for i in 0..n {
                cmd.arg(format!("e{round}-{i}"));
            }
            let _: i64 = cmd.query(con).expect("PFADD");
            push(con, "big");
            let _: i64 = redis::cmd("PFCOUNT").arg("big").query(con).expect("PFCOUNT");
            push(con, "big");
            batch = round;
        }
        for i in 0..300u32 {
            let _: i64 = redis::cmd("PFADD").arg("small").arg(format!("s{i}")).query(con).expect("PFADD");
        }
        push(con, "small");
        let _: () = redis::cmd("PFMERGE").arg("m1").arg("small").arg("small").query(con).expect("PFMERGE");
        push(con, "m1");
        let _: () = redis::cmd("PFMERGE").arg("m2").arg("small").arg("big").query(con).expect("PFMERGE");
        push(con, "m2");
        let _: () = redis::cmd("PFMERGE").arg("small").arg("big").query(con).expect("PFMERGE");
        push(con, "small");
        let counts: Vec<i64> = ["big", "small", "m1", "m2"]
            .iter()
            .map(|k| redis::cmd("PFCOUNT").arg(*k).query(con).expect("PFCOUNT"))
            .collect();
        let union: i64 = redis::cmd("PFCOUNT").arg("m1").arg("big").arg("none").query(con).expect("PFCOUNT");
        values[side].push(format!("{counts:?} {union}").into_bytes());
    }
    assert!(batch > 0);
    assert_eq!(values[0].len(), values[1].len());
    for (i, (want, got)) in values[0].iter().zip(&values[1]).enumerate() {
        assert!(
            want == got,
            "value {i} differs:\n redis-server {}\n meridian     {}",
            want.escape_ascii(),
            got.escape_ascii()
        );
    }
    // The last value grew past the sparse limit, so dense values were compared too.
    assert!(values[0].iter().any(|v| v.len() == 12304), "a dense value was compared");
    Ok(())
}

/// A value read from redis-server, SET into Meridian, is an HLL there: PFCOUNT, PFADD and
/// PFMERGE work on it and give redis-server's results.
#[test]
fn a_value_from_redis_server_works_in_meridian() -> TestResult {
    let servers = SideBySide::start()?;
    let [(_, redis_port), (_, meridian_port)] = servers.servers();
    let (mut redis, mut meridian) = (connect(redis_port), connect(meridian_port));
    for (key, n) in [("sparse", 50u32), ("dense", 4000)] {
        let mut cmd = redis::cmd("PFADD");
        cmd.arg(key);
        for i in 0..n {
            cmd.arg(i);
        }
        let _: i64 = cmd.query(&mut redis).expect("PFADD");
        let bytes = get(&mut redis, key);
        let _: () = redis::cmd("SET").arg(key).arg(&bytes).query(&mut meridian).expect("SET");
        assert_eq!(get(&mut meridian, key), bytes);
        for con in [&mut redis, &mut meridian] {
            let _: i64 = redis::cmd("PFADD").arg(key).arg("one more").query(con).expect("PFADD");
        }
        assert_eq!(get(&mut meridian, key), get(&mut redis, key), "{key} after PFADD");
        let counts: Vec<i64> = [&mut redis, &mut meridian]
            .into_iter()
            .map(|con| redis::cmd("PFCOUNT").arg(key).query(con).expect("PFCOUNT"))
            .collect();
        assert_eq!(counts[0], counts[1], "{key}");
    }
    for con in [&mut redis, &mut meridian] {
        let _: () = redis::cmd("PFMERGE").arg("both").arg("sparse").arg("dense").query(con).expect("PFMERGE");
    }
    assert_eq!(get(&mut meridian, "both"), get(&mut redis, "both"));
    let t: String = redis::cmd("TYPE").arg("dense").query(&mut meridian).expect("TYPE");
    assert_eq!(t, "string");
    Ok(())
}
