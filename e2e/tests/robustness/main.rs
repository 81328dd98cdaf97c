//! No input crashes the datanode: thousands of seeded random commands with hostile
//! arguments, then connections sending random bytes; afterwards it must still answer.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use meridian_e2e::{RawConn, start_datanode};

/// A tiny seeded generator: the failing seed is printed, and a run is reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() as usize % items.len()]
    }
}

/// Everything but the commands that block, close the connection or change its mode.
const COMMANDS: &[&str] = &[
    "GET",
    "SET",
    "SETNX",
    "SETEX",
    "PSETEX",
    "GETSET",
    "GETDEL",
    "GETEX",
    "MGET",
    "MSET",
    "MSETNX",
    "APPEND",
    "STRLEN",
    "GETRANGE",
    "SETRANGE",
    "INCR",
    "DECR",
    "INCRBY",
    "DECRBY",
    "INCRBYFLOAT",
    "DEL",
    "EXISTS",
    "TYPE",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PERSIST",
    "KEYS",
    "SCAN",
    "RANDOMKEY",
    "DBSIZE",
    "RENAME",
    "RENAMENX",
    "COPY",
    "OBJECT",
    "HSET",
    "HSETNX",
    "HGET",
    "HMGET",
    "HDEL",
    "HLEN",
    "HSTRLEN",
    "HGETALL",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HRANDFIELD",
    "HSCAN",
    "SADD",
    "SREM",
    "SMEMBERS",
    "SPOP",
    "SRANDMEMBER",
    "SMOVE",
    "SINTER",
    "SINTERCARD",
    "SUNIONSTORE",
    "SDIFF",
    "SSCAN",
    "ZADD",
    "ZINCRBY",
    "ZREM",
    "ZSCORE",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZRANK",
    "ZPOPMIN",
    "ZRANDMEMBER",
    "ZREMRANGEBYRANK",
    "ZUNIONSTORE",
    "ZINTER",
    "ZDIFF",
    "ZSCAN",
    "ZRANGESTORE",
    "ZCOUNT",
    "ZLEXCOUNT",
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "LRANGE",
    "LINDEX",
    "LSET",
    "LINSERT",
    "LREM",
    "LTRIM",
    "LPOS",
    "LMOVE",
    "RPOPLPUSH",
    "LMPOP",
    "PING",
    "ECHO",
    "INFO",
    "CONFIG",
    "COMMAND",
    "TIME",
    "PUBLISH",
    "CLUSTER",
    "SELECT",
    "MERIDIAN.DIGEST",
];

const ARGS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "-2",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "1.5",
    "inf",
    "-inf",
    "nan",
    "(1",
    "[a",
    "+",
    "-",
    "",
    "k",
    "h",
    "s",
    "z",
    "l",
    "{k}x",
    "WITHSCORES",
    "LIMIT",
    "COUNT",
    "MATCH",
    "TYPE",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "EX",
    "PX",
    "KEEPTTL",
    "GET",
    "BEFORE",
    "AFTER",
    "LEFT",
    "RIGHT",
    "REV",
    "BYSCORE",
    "BYLEX",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "RANK",
    "MAXLEN",
    "*",
    "GETKEYS",
    "KEYSLOT",
    "ENCODING",
];

#[test]
fn random_commands_and_garbage_never_crash_the_datanode() -> Result<(), meridian_e2e::Error> {
    let seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_u64);
    println!("seed {seed}");
    let mut rng = Lcg(seed);
    let mut server = start_datanode()?;
    let port = server.port();
    let mut conn = RawConn::connect(port)?;
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
            .flat_map(|_| match rng.next() % 4 {
                0 => b"*2\r\n$3\r\nGET\r\n".to_vec(),
                1 => b"$-99\r\n".to_vec(),
                2 => b"\"\\x4".to_vec(),
                _ => vec![rng.next() as u8],
            })
            .collect();
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
            let _ = s.write_all(&garbage);
        }
    }
    let mut after = RawConn::connect(port)?;
    assert_eq!(after.call(&["PING"])?, "+PONG\r\n", "seed {seed}");
    assert!(server.is_running(), "seed {seed}: the datanode exited:\n{}", server.output());
    Ok(())
}
