//! The README's main command: `examples/three-regions.yaml` (two regions of one shard, one
//! of two shards, a replica each) on this machine.

use std::time::Duration;

use meridian_e2e::local::LocalDb;
use meridian_e2e::regions::http_get;
use redis::Value;

use crate::{CONVERGE, client, cmd, eventually, get, region, three_regions};

#[test]
fn every_endpoint_answers_and_the_regions_converge_to_exact_values() -> meridian_e2e::Result<()> {
    let db = LocalDb::start("converge", &three_regions(), &[])?;
    let s = db.status()?;
    assert_eq!(s["database"], "cache");
    let names: Vec<&str> = s["regions"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["us-east", "eu-west", "ap-south"]);
    // Every datanode answers PING and its role; every syncer its /healthz.
    let mut nodes = 0;
    for r in s["regions"].as_array().unwrap() {
        for shard in r["shards"].as_array().unwrap() {
            for (o, m) in shard["members"].as_array().unwrap().iter().enumerate() {
                let addr = m["addr"].as_str().unwrap();
                assert_eq!(cmd(addr, &["PING"]).unwrap(), Value::SimpleString("PONG".into()), "{addr}");
                assert_eq!(m["role"], if o == 0 { "master" } else { "replica" }, "{addr}");
                nodes += 1;
            }
        }
        let http = r["syncer_http"].as_str().unwrap();
        let port: u16 = http.rsplit_once(':').unwrap().1.parse().unwrap();
        assert_eq!(http_get(port, "/healthz")?.trim(), "ok", "{http}");
        assert_eq!(r["peers"].as_array().unwrap().len(), 2);
        assert!(r["peers"].as_array().unwrap().iter().all(|p| p["state"] == "partial-sync"), "{r:#}");
    }
    assert_eq!(nodes, 2 + 2 + 4);
    assert_eq!(region(&s, "us-east")["client"], format!("127.0.0.1:{}", db.base));
    assert_eq!(region(&s, "ap-south")["shards"][1]["slots"], "8192-16383");

    let (us, eu, ap) = (client(&s, "us-east"), client(&s, "eu-west"), client(&s, "ap-south"));
    assert_eq!(cmd(&us, &["INCRBY", "hits", "5"]).unwrap(), Value::Int(5));
    // The local reply is eu-west's own view: 7, or 12 once us-east's 5 arrived (SEMANTICS §3).
    let eu_reply = cmd(&eu, &["INCRBY", "hits", "7"]).unwrap();
    assert!(eu_reply == Value::Int(7) || eu_reply == Value::Int(12), "{eu_reply:?}");
    assert_eq!(cmd(&us, &["SET", "greeting", "hello from us-east"]).unwrap(), Value::Okay);
    // ap-south splits the slots over two shards: the keys live on either, its nodes redirect.
    for addr in [&us, &eu, &ap] {
        eventually(&format!("hits = 12 at {addr}"), CONVERGE, || {
            (get(addr, "hits").as_deref() == Some("12")).then_some(())
        })?;
        eventually(&format!("the SET at {addr} (last: {:?})", cmd(addr, &["GET", "greeting"])), CONVERGE, || {
            (get(addr, "greeting").as_deref() == Some("hello from us-east")).then_some(())
        })?;
    }
    // us-east and eu-west own the same slots: their digests must be equal once converged.
    let digest = |addr: &str| match cmd(addr, &["MERIDIAN.DIGEST"]) {
        Ok(Value::BulkString(b)) => Some(b),
        Ok(Value::SimpleString(s)) => Some(s.into_bytes()),
        _ => None,
    };
    eventually("equal digests", CONVERGE, || (digest(&us).is_some() && digest(&us) == digest(&eu)).then_some(()))?;
    let mut db = db;
    db.wait(Duration::from_secs(20), "digests compared", |s| {
        s["regions"][0]["shards"][0]["digest_match"] == true && s["regions"][1]["shards"][0]["digest_match"] == true
    })?;
    Ok(())
}
