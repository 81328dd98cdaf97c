//! The Redis Cluster API of a multi-shard region: real datanodes on loopback, all started
//! with the same `--shard-map`, three shards whose first also has a replica. Replies are
//! compared byte for byte with what Redis 7.0 Cluster sends; `redis-cli -c` and redis-py's
//! `RedisCluster` must work through the redirects.
//!
//! Needs `cargo build -p meridian-datanode` first, `redis-cli` on PATH, and `python3` with
//! the `redis` package (`pip install redis`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meridian_e2e::{IO_TIMEOUT, RawConn, Region, datanode_binary, free_port, redis_cli};

type TestResult = Result<(), meridian_e2e::Error>;

// Slots, as Redis's CLUSTER KEYSLOT computes them: shard 0 owns 0-5460, shard 1
// 5461-10922, shard 2 10923-16383.
const B: (&str, u16) = ("b", 3300);
const F: (&str, u16) = ("f", 3168);
const C: (&str, u16) = ("c", 7365);
const FOO: (&str, u16) = ("foo", 12182);

const CROSSSLOT: &str = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";

fn moved(slot: u16, port: u16) -> String {
    format!("-MOVED {slot} 127.0.0.1:{port}\r\n")
}

/// Three shards; shard 0 has one replica.
fn region() -> meridian_e2e::Result<Region> {
    Region::start(&[2, 1, 1])
}

#[test]
fn masters_redirect_what_they_do_not_own() -> TestResult {
    let region = region()?;
    let (m1, m2) = (region.master(1), region.master(2));
    let mut c = RawConn::connect(region.master(0))?;
    assert_eq!(c.call(&["SET", B.0, "1"])?, "+OK\r\n");
    assert_eq!(c.call(&["GET", FOO.0])?, moved(FOO.1, m2));
    assert_eq!(c.call(&["SET", C.0, "1"])?, moved(C.1, m1));
    assert_eq!(c.call(&["MGET", B.0, F.0])?, CROSSSLOT, "both slots are local, but different");
    assert_eq!(c.call(&["MGET", B.0, FOO.0])?, CROSSSLOT, "CROSSSLOT comes before MOVED");
    assert_eq!(c.call(&["MSET", "{b}1", "x", "{b}2", "y"])?, "+OK\r\n");
    assert_eq!(c.call(&["MGET", "{b}1", "{b}2"])?, "*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    // Keys after a numkeys argument are found and routed.
    assert_eq!(c.call(&["LMPOP", "1", C.0, "LEFT"])?, moved(C.1, m1));
    assert_eq!(c.call(&["ZUNIONSTORE", "{b}u", "2", "{b}1", C.0])?, CROSSSLOT);
    assert_eq!(c.call(&["WATCH", FOO.0])?, moved(FOO.1, m2));
    // Keyless commands are never redirected.
    assert_eq!(c.call(&["PING"])?, "+PONG\r\n");
    assert_eq!(c.call(&["DBSIZE"])?, ":3\r\n");
    // A transaction must stay in one slot: a redirected command dooms it, and EXEC checks
    // the keys of every queued command together.
    assert_eq!(c.call(&["MULTI"])?, "+OK\r\n");
    assert_eq!(c.call(&["SET", B.0, "2"])?, "+QUEUED\r\n");
    assert_eq!(c.call(&["SET", F.0, "2"])?, "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"])?, CROSSSLOT);
    assert_eq!(c.call(&["MULTI"])?, "+OK\r\n");
    assert_eq!(c.call(&["SET", FOO.0, "3"])?, moved(FOO.1, m2));
    assert_eq!(c.call(&["SET", B.0, "3"])?, "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"])?, "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_eq!(c.call(&["MULTI"])?, "+OK\r\n");
    assert_eq!(c.call(&["INCR", "{b}n"])?, "+QUEUED\r\n");
    assert_eq!(c.call(&["GET", B.0])?, "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"])?, "*2\r\n:1\r\n$1\r\n1\r\n");
    Ok(())
}

/// Scripts follow Redis Cluster's rules: EVAL is routed by its declared keys; a key the
/// script touches must be served here, and (with a shebang that does not allow otherwise)
/// lie in the slot of the first key it touched; a script without a shebang may touch other
/// local slots, as before Redis 7.0.
#[test]
fn scripts_touch_only_what_this_node_serves() -> TestResult {
    let region = region()?;
    let m2 = region.master(2);
    let mut c = RawConn::connect(region.master(0))?;
    let get = "return redis.call('GET', KEYS[1])";
    assert_eq!(c.call(&["EVAL", get, "1", FOO.0])?, moved(FOO.1, m2), "routed by its declared keys");
    assert_eq!(c.call(&["EVAL", get, "2", B.0, F.0])?, CROSSSLOT);
    assert_eq!(c.call(&["SET", B.0, "x"])?, "+OK\r\n");
    assert_eq!(c.call(&["EVAL", get, "1", B.0])?, "$1\r\nx\r\n");
    let sha = c.call(&["SCRIPT", "LOAD", "return redis.call('SET', ARGV[1], 'y')"])?;
    let sha = sha.trim_start_matches('$').split("\r\n").nth(1).unwrap_or_default().to_string();
    assert_eq!(
        c.call(&["EVALSHA", &sha, "0", FOO.0])?,
        format!(
            "-ERR Script attempted to access a non local key in a cluster node script: {sha}, on @user_script:1.\r\n"
        )
    );
    assert_eq!(c.call(&["EVALSHA", &sha, "0", F.0])?, "+OK\r\n", "another local slot, without a shebang");
    let strict = "#!lua\nredis.call('GET', ARGV[1])\nreturn redis.call('GET', ARGV[2])";
    let reply = c.call(&["EVAL", strict, "0", B.0, F.0])?;
    assert!(
        reply.starts_with("-ERR Script attempted to access keys that do not hash to the same slot script: "),
        "{reply}"
    );
    assert_eq!(c.call(&["EVAL", strict, "0", B.0, "{b}2"])?, "$-1\r\n");
    let relaxed = "#!lua flags=allow-cross-slot-keys\nredis.call('GET', ARGV[1])\nreturn redis.call('GET', ARGV[2])";
    assert_eq!(c.call(&["EVAL", relaxed, "0", B.0, F.0])?, "$1\r\ny\r\n");
    assert_eq!(c.call(&["GET", F.0])?, "$1\r\ny\r\n", "nothing of another shard was written here");
    assert_eq!(c.call(&["DBSIZE"])?, ":2\r\n");
    Ok(())
}

#[test]
fn replica_serves_reads_after_readonly() -> TestResult {
    let region = region()?;
    let (m0, m2) = (region.master(0), region.master(2));
    let mut c = RawConn::connect(region.replica(0, 0))?;
    assert_eq!(c.call(&["GET", B.0])?, moved(B.1, m0), "a replica redirects reads until READONLY");
    assert_eq!(c.call(&["READONLY"])?, "+OK\r\n");
    // Replication does not exist yet: the replica answers from its own, empty, keyspace.
    assert_eq!(c.call(&["GET", B.0])?, "$-1\r\n");
    assert_eq!(c.call(&["MGET", "{b}1", "{b}2"])?, "*2\r\n$-1\r\n$-1\r\n");
    assert_eq!(c.call(&["SET", B.0, "1"])?, moved(B.1, m0), "writes always go to the master");
    assert_eq!(c.call(&["GET", FOO.0])?, moved(FOO.1, m2), "another shard's slot");
    assert_eq!(c.call(&["MULTI"])?, "+OK\r\n");
    assert_eq!(c.call(&["GET", B.0])?, "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"])?, "*1\r\n$-1\r\n");
    assert_eq!(c.call(&["READWRITE"])?, "+OK\r\n");
    assert_eq!(c.call(&["GET", B.0])?, moved(B.1, m0));
    assert_eq!(c.call(&["READONLY"])?, "+OK\r\n");
    assert_eq!(c.call(&["RESET"])?, "+RESET\r\n");
    assert_eq!(c.call(&["GET", B.0])?, moved(B.1, m0), "RESET forgets READONLY");
    Ok(())
}

/// `*4 host port id {}` as CLUSTER SLOTS lists a node (RESP2).
fn slots_node(port: u16, id: &str) -> String {
    format!("*4\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$40\r\n{id}\r\n*0\r\n")
}

fn shards_node(port: u16, id: &str, role: &str) -> String {
    format!(
        "*14\r\n$2\r\nid\r\n$40\r\n{id}\r\n$4\r\nport\r\n:{port}\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
         $8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n${}\r\n{role}\r\n\
         $18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n",
        role.len()
    )
}

/// The payload of a bulk or verbatim reply.
fn payload(reply: &str) -> &str {
    let body = reply.split_once("\r\n").map_or("", |(_, b)| b);
    let body = body.strip_suffix("\r\n").unwrap_or(body);
    body.strip_prefix("txt:").unwrap_or(body)
}

#[test]
fn cluster_commands_describe_the_region() -> TestResult {
    let region = region()?;
    let ports = region.ports();
    let (m0, r0, m1, m2) = (ports[0], ports[1], ports[2], ports[3]);
    // Every node derives the same ids from the map, without talking to the others.
    let mut ids = Vec::new();
    for port in &ports {
        let reply = RawConn::connect(*port)?.call(&["CLUSTER", "MYID"])?;
        let id = payload(&reply).to_string();
        assert!(id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{reply:?}");
        ids.push(id);
    }
    let [id_m0, id_r0, id_m1, id_m2] = [&ids[0], &ids[1], &ids[2], &ids[3]];

    let mut c = RawConn::connect(m1)?;
    let slots = format!(
        "*3\r\n*4\r\n:0\r\n:5460\r\n{}{}*3\r\n:5461\r\n:10922\r\n{}*3\r\n:10923\r\n:16383\r\n{}",
        slots_node(m0, id_m0),
        slots_node(r0, id_r0),
        slots_node(m1, id_m1),
        slots_node(m2, id_m2)
    );
    assert_eq!(c.call(&["CLUSTER", "SLOTS"])?, slots);
    let shards = format!(
        "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n{}{}\
         *4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*1\r\n{}\
         *4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n{}",
        shards_node(m0, id_m0, "master"),
        shards_node(r0, id_r0, "replica"),
        shards_node(m1, id_m1, "master"),
        shards_node(m2, id_m2, "master")
    );
    assert_eq!(c.call(&["CLUSTER", "SHARDS"])?, shards);
    let info = c.call(&["CLUSTER", "INFO"])?;
    for field in ["cluster_state:ok", "cluster_slots_assigned:16384", "cluster_known_nodes:4", "cluster_size:3"] {
        assert!(info.contains(&format!("{field}\r\n")), "{field} in {info:?}");
    }
    assert!(info.contains("cluster_my_epoch:2\r\n"), "{info:?}");
    assert!(c.call(&["INFO", "cluster"])?.contains("# Cluster\r\ncluster_enabled:1\r\n"));
    assert!(c.call(&["INFO", "server"])?.contains("redis_mode:cluster\r\n"));
    assert_eq!(
        c.call(&["CONFIG", "GET", "shard-map"])?,
        format!("*2\r\n$9\r\nshard-map\r\n${}\r\n{}\r\n", region.map().len(), region.map())
    );

    let nodes = RawConn::connect(r0)?.call(&["CLUSTER", "NODES"])?;
    assert_eq!(
        payload(&nodes),
        format!(
            "{id_m0} 127.0.0.1:{m0}@0 master - 0 0 1 connected 0-5460\n\
             {id_r0} 127.0.0.1:{r0}@0 myself,slave {id_m0} 0 0 1 connected\n\
             {id_m1} 127.0.0.1:{m1}@0 master - 0 0 2 connected 5461-10922\n\
             {id_m2} 127.0.0.1:{m2}@0 master - 0 0 3 connected 10923-16383\n"
        )
    );

    // RESP3: maps for CLUSTER SHARDS and the node metadata, verbatim text for NODES.
    assert!(c.call(&["HELLO", "3"])?.contains("$4\r\nmode\r\n$7\r\ncluster\r\n"));
    assert!(c.call(&["CLUSTER", "SLOTS"])?.contains(&format!("$40\r\n{id_m1}\r\n%0\r\n")));
    assert!(
        c.call(&["CLUSTER", "SHARDS"])?
            .starts_with("*3\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n%7\r\n")
    );
    assert!(c.call(&["CLUSTER", "NODES"])?.contains("\r\ntxt:"));

    // Keys per slot, on the node that owns the slot.
    let mut c = RawConn::connect(m1)?;
    assert_eq!(c.call(&["SET", C.0, "1"])?, "+OK\r\n");
    assert_eq!(c.call(&["CLUSTER", "KEYSLOT", C.0])?, format!(":{}\r\n", C.1));
    assert_eq!(c.call(&["CLUSTER", "COUNTKEYSINSLOT", &C.1.to_string()])?, ":1\r\n");
    assert_eq!(c.call(&["CLUSTER", "GETKEYSINSLOT", &C.1.to_string(), "10"])?, "*1\r\n$1\r\nc\r\n");
    assert_eq!(c.call(&["CLUSTER", "COUNTKEYSINSLOT", "16384"])?, "-ERR Invalid slot\r\n");
    assert_eq!(c.call(&["CLUSTER", "GETKEYSINSLOT", "0", "-1"])?, "-ERR Invalid slot or number of keys\r\n");
    assert_eq!(c.call(&["CLUSTER", "MYID", "x"])?, "-ERR wrong number of arguments for 'cluster|myid' command\r\n");
    assert_eq!(c.call(&["CLUSTER", "MEET"])?, "-ERR unknown subcommand 'MEET'. Try CLUSTER HELP.\r\n");
    Ok(())
}

#[test]
fn redis_cli_follows_redirects() -> TestResult {
    let region = region()?;
    let keys = ["a", "b", "c", "d", "foo", "bar", "{user}:1", "x"];
    for (i, key) in keys.iter().enumerate() {
        // Every write enters through the same node and is redirected to the key's master.
        let out = redis_cli(region.master(0), &["-c", "SET", key, &format!("v{i}")])?;
        assert_eq!(out, "OK\n", "SET {key}");
    }
    for port in region.ports() {
        for (i, key) in keys.iter().enumerate() {
            let out = redis_cli(port, &["-c", "GET", key])?;
            assert_eq!(out, format!("v{i}\n"), "GET {key} through port {port}");
        }
    }
    // The writes landed on the masters (and only there): 8 keys in all.
    let mut total = 0;
    for port in region.masters() {
        let n: usize = redis_cli(port, &["DBSIZE"])?.trim().parse().unwrap_or(usize::MAX);
        assert!(n > 0, "every master got some of the keys");
        total += n;
    }
    assert_eq!(total, keys.len());
    assert_eq!(redis_cli(region.replica(0, 0), &["DBSIZE"])?, "0\n");
    Ok(())
}

#[test]
fn redis_py_cluster_client_works_across_the_region() -> TestResult {
    let region = region()?;
    let probe = run(Command::new("python3").args(["-c", "import redis.cluster; print('ok')"]));
    assert_eq!(probe, "ok\n", "python3 with the `redis` package is needed: pip install redis");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cluster/redis_py.py");
    let out = run(Command::new("python3").arg(script).arg(region.replica(0, 0).to_string()));
    assert_eq!(
        out,
        "nodes primary primary primary replica\n\
         get True\n\
         masters used 3\n\
         mget [b'ann', b'oslo', None]\n\
         incr 1 42\n\
         mset_nonatomic [True, True, True] [b'1', b'2', b'3']\n\
         zunionstore 1 2 2\n\
         zrange [(b'n', 1.0), (b'm', 3.0)]\n\
         delete 10\n\
         exists 10\n\
         keyslot 12182 12182\n"
    );
    Ok(())
}

#[test]
fn a_node_missing_from_its_map_refuses_to_start() -> TestResult {
    let port = free_port()?;
    let other = free_port()?;
    let map = format!("0-16383=127.0.0.1:{other}");
    let out = run(Command::new(datanode_binary()?).args(["--port", &port.to_string(), "--shard-map", &map]));
    assert!(
        out.contains(&format!("this node's address 127.0.0.1:{port} (--announce) does not appear in the shard map")),
        "{out}"
    );
    let out =
        run(Command::new(datanode_binary()?).args(["--port", &port.to_string(), "--shard-map", "0-100=127.0.0.1:1"]));
    assert!(out.contains("slots 101-16383 are not assigned to any shard"), "{out}");
    Ok(())
}

/// Random requests (hostile arguments included) against a master and a replica of a sharded
/// region never crash a node; both still answer afterwards.
#[test]
fn random_requests_never_crash_a_sharded_node() -> TestResult {
    const WORDS: &[&str] = &[
        "GET",
        "SET",
        "MGET",
        "MSET",
        "DEL",
        "EXISTS",
        "ZUNIONSTORE",
        "ZINTER",
        "ZDIFFSTORE",
        "LMPOP",
        "SINTERCARD",
        "WATCH",
        "MULTI",
        "EXEC",
        "DISCARD",
        "READONLY",
        "READWRITE",
        "CLUSTER",
        "SLOTS",
        "SHARDS",
        "NODES",
        "INFO",
        "MYID",
        "KEYSLOT",
        "COUNTKEYSINSLOT",
        "GETKEYSINSLOT",
        "COMMAND",
        "GETKEYS",
        "OBJECT",
        "ENCODING",
        "a",
        "b",
        "{b}1",
        "foo",
        "0",
        "1",
        "2",
        "-1",
        "16383",
        "16384",
        "99999999999999999999",
        "",
        "LEFT",
    ];
    let region = region()?;
    let seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_u64);
    println!("seed {seed}");
    let mut rng = seed | 1;
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    for port in [region.master(0), region.replica(0, 0)] {
        let mut c = RawConn::connect(port)?;
        for i in 0..2000 {
            let len = 1 + next(6);
            let args: Vec<&str> = (0..len).map(|_| WORDS[next(WORDS.len())]).collect();
            if let Err(e) = c.call(&args) {
                panic!("seed {seed}, request {i} {args:?}: no reply ({e})");
            }
        }
        assert_eq!(RawConn::connect(port)?.call(&["PING"])?, "+PONG\r\n", "seed {seed}");
    }
    Ok(())
}

/// Runs a program to completion (killed after `IO_TIMEOUT`), returning stdout then stderr.
fn run(cmd: &mut Command) -> String {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let deadline = Instant::now() + IO_TIMEOUT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {IO_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut out = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut out).expect("read stdout");
    child.stderr.take().expect("stderr").read_to_string(&mut out).expect("read stderr");
    out
}

/// `--shard-map-file`: a node takes its role from the map at start (the map names each
/// shard's master first) and follows a changed map without a restart; a broken map is
/// ignored.
#[test]
fn nodes_follow_their_shard_map_file_without_a_restart() -> TestResult {
    let dir = std::env::temp_dir().join(format!("meridian-map-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| meridian_e2e::Error::Io { port: 0, source })?;
    let file = dir.join("shard-map");
    let write = |text: &str| std::fs::write(&file, text).map_err(|source| meridian_e2e::Error::Io { port: 0, source });
    let (a, b, c) = (
        meridian_e2e::process::free_port_pair()?,
        meridian_e2e::process::free_port_pair()?,
        meridian_e2e::process::free_port_pair()?,
    );
    write(&format!("0-16383=127.0.0.1:{a},127.0.0.1:{b}\n"))?;
    let start = |port: u16| {
        let args = vec!["--shard-map-file".to_string(), file.display().to_string(), "--active-active".into()];
        meridian_e2e::start_datanode_at(port, &args)
    };
    let _na = start(a)?;
    let _nb = start(b)?;
    let mut on_b = RawConn::connect(b)?;
    let role = on_b.call(&["ROLE"])?;
    assert!(role.starts_with(&format!("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{a}\r\n")), "{role}");
    let mut on_a = RawConn::connect(a)?;
    let nodes = |conn: &mut RawConn| -> meridian_e2e::Result<usize> {
        Ok(payload(&conn.call(&["CLUSTER", "NODES"])?).lines().filter(|l| !l.is_empty()).count())
    };
    assert_eq!(nodes(&mut on_a)?, 2);
    // A third node joins: the map grows, and the running nodes see it.
    write(&format!("0-16383=127.0.0.1:{a},127.0.0.1:{b},127.0.0.1:{c}\n"))?;
    let _nc = start(c)?;
    // Each node polls the file on its own: b may see the change a moment after a.
    let deadline = Instant::now() + Duration::from_secs(10);
    for (port, conn) in [(a, &mut on_a), (b, &mut on_b)] {
        while nodes(conn)? != 3 {
            assert!(Instant::now() < deadline, "node {port} never saw the new map");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // A map that does not parse changes nothing.
    write("0-100=127.0.0.1:1\n")?;
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(nodes(&mut on_a)?, 3);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A replica promoted by a call (here REPLICAOF NO ONE; a failover's SetRole does the same)
/// serves its shard at once: it does not send clients to the old master named by a map that
/// has not changed yet (a mounted ConfigMap takes up to a minute), and its CLUSTER replies
/// already name it master. Once demoted again it redirects as its map says.
#[test]
fn a_promoted_replica_serves_at_once_though_its_map_still_names_the_old_master() -> TestResult {
    let dir = std::env::temp_dir().join(format!("meridian-promote-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| meridian_e2e::Error::Io { port: 0, source })?;
    let file = dir.join("shard-map");
    let (a, b) = (meridian_e2e::process::free_port_pair()?, meridian_e2e::process::free_port_pair()?);
    std::fs::write(&file, format!("0-16383=127.0.0.1:{a},127.0.0.1:{b}\n"))
        .map_err(|source| meridian_e2e::Error::Io { port: 0, source })?;
    let args = vec!["--shard-map-file".to_string(), file.display().to_string(), "--active-active".into()];
    let _na = meridian_e2e::start_datanode_at(a, &args)?;
    let _nb = meridian_e2e::start_datanode_at(b, &args)?;
    let mut on_b = RawConn::connect(b)?;
    assert_eq!(on_b.call(&["SET", "foo", "1"])?, moved(FOO.1, a));
    assert_eq!(on_b.call(&["REPLICAOF", "NO", "ONE"])?, "+OK\r\n");
    assert_eq!(on_b.call(&["SET", "foo", "1"])?, "+OK\r\n");
    assert_eq!(on_b.call(&["GET", "foo"])?, "$1\r\n1\r\n");
    let myself = payload(&on_b.call(&["CLUSTER", "NODES"])?)
        .lines()
        .find(|l| l.contains("myself"))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(myself.contains(&format!("127.0.0.1:{b}@")) && myself.contains("myself,master"), "{myself}");
    // Following a again: the map's order holds once more.
    assert_eq!(on_b.call(&["REPLICAOF", "127.0.0.1", &a.to_string()])?, "+OK\r\n");
    assert_eq!(on_b.call(&["SET", "foo", "2"])?, moved(FOO.1, a));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
