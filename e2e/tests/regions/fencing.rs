//! Fencing: a master granted a lease by the deciding side (`SetRole{lease_ms}`) refuses
//! client writes once the lease runs out, takes them again when it is renewed, and is taken
//! out of fencing by a promotion by hand (`REPLICAOF NO ONE`). A node never granted a lease
//! is never fenced.

use std::time::Duration;

use meridian_e2e::regions::Regions;
use meridian_proto::replication_client::ReplicationClient;
use meridian_proto::{Hello, SetRoleRequest};

use meridian_e2e::RawConn;

use crate::query;

const FENCED: &str =
    "READONLY this master's lease ran out: it lost contact with the operator for longer than the failover grace period";

/// SET k value, the reply as the bytes the server sent.
fn set(port: u16, value: &str) -> String {
    RawConn::connect(port).unwrap().call(&["SET", "k", value]).unwrap()
}

const OK: &str = "+OK\r\n";

/// The fencing refusal, exactly.
fn refused(reply: &str) -> bool {
    reply == format!("-{FENCED}\r\n")
}

#[test]
fn a_master_whose_lease_runs_out_refuses_writes_until_renewed() {
    let regions = Regions::start(1, 1, 0).unwrap();
    let port = regions.port(0, 0, 0);
    assert_eq!(set(port, "no lease: never fenced"), OK);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let lease = |ms: u64| {
        runtime.block_on(async {
            let mut c = ReplicationClient::connect(format!("http://127.0.0.1:{}", port + 10000)).await.unwrap();
            let hello = Some(Hello::new(&regions.database_id, 0));
            c.set_role(SetRoleRequest { hello, master_addr: String::new(), lease_ms: ms }).await.unwrap();
        })
    };
    lease(800);
    assert_eq!(set(port, "within the lease"), OK);
    std::thread::sleep(Duration::from_millis(1200));
    let reply = set(port, "after the lease");
    assert!(refused(&reply), "{reply:?}");
    assert_eq!(query(port, &["GET", "k"]), redis::Value::BulkString(b"within the lease".to_vec()), "reads go on");
    lease(60_000);
    assert_eq!(set(port, "renewed"), OK);
    lease(1);
    std::thread::sleep(Duration::from_millis(50));
    assert!(refused(&set(port, "fenced again")));
    assert_eq!(query(port, &["REPLICAOF", "NO", "ONE"]), redis::Value::Okay);
    assert_eq!(set(port, "promoted by hand"), OK);
}
