//! The replies of CLUSTER SLOTS, SHARDS, NODES and INFO, built from the shard map in the
//! shapes Redis 7.0 sends. Pure: the session only hands them a `Topology`.
//!
//! Meridian has no cluster bus, so what Redis learns from gossip is fixed here: every node
//! is connected and healthy, the bus port is 0, ping/pong times are 0, replication offsets
//! are 0, and each shard's config epoch is its position in the map plus one.

use std::fmt::Write;

use crate::keyspace::SLOTS;
use crate::resp::Reply;

use super::topology::{Node, RegionShard, Topology};

/// CLUSTER SLOTS: one entry per slot range, by first slot, with the master then replicas,
/// each as `[host, port, id, {}]` (the map holds networking metadata Meridian has none of).
pub fn slots(t: &Topology) -> Reply {
    let node = |n: &Node| {
        Reply::Array(vec![
            Reply::text(&n.addr.host),
            Reply::Int(i64::from(n.addr.port)),
            Reply::text(&n.id),
            Reply::Map(Vec::new()),
        ])
    };
    Reply::Array(
        t.ranges()
            .map(|(range, shard)| {
                let mut entry = vec![Reply::Int(i64::from(range.start)), Reply::Int(i64::from(range.end))];
                entry.extend(shard.nodes.iter().map(node));
                Reply::Array(entry)
            })
            .collect(),
    )
}

/// CLUSTER SHARDS: per shard, its slots as a flat list of bounds and its nodes.
pub fn shards(t: &Topology) -> Reply {
    let node = |n: &Node, role: &str| {
        Reply::Map(vec![
            (Reply::text("id"), Reply::text(&n.id)),
            (Reply::text("port"), Reply::Int(i64::from(n.addr.port))),
            (Reply::text("ip"), Reply::text(&n.addr.host)),
            (Reply::text("endpoint"), Reply::text(&n.addr.host)),
            (Reply::text("role"), Reply::text(role)),
            (Reply::text("replication-offset"), Reply::Int(0)),
            (Reply::text("health"), Reply::text("online")),
        ])
    };
    Reply::Array(
        t.shards()
            .iter()
            .map(|s| {
                let bounds = s.slots.iter().flat_map(|r| [r.start, r.end]).map(|b| Reply::Int(i64::from(b))).collect();
                let mut nodes = vec![node(s.master(), "master")];
                nodes.extend(s.replicas().iter().map(|n| node(n, "replica")));
                Reply::Map(vec![
                    (Reply::text("slots"), Reply::Array(bounds)),
                    (Reply::text("nodes"), Reply::Array(nodes)),
                ])
            })
            .collect(),
    )
}

/// CLUSTER NODES: one line per node,
/// `<id> <host:port@cport> <flags> <master id|-> <ping> <pong> <epoch> <link> <slots>...`.
pub fn nodes(t: &Topology) -> String {
    let mut out = String::new();
    for (i, shard) in t.shards().iter().enumerate() {
        for (n, node) in shard.nodes.iter().enumerate() {
            let myself = if std::ptr::eq(node, t.me()) { "myself," } else { "" };
            let (role, master) = if n == 0 { ("master", "-") } else { ("slave", shard.master().id.as_str()) };
            let _ = write!(out, "{} {}@0 {myself}{role} {master} 0 0 {} connected", node.id, node.addr, i + 1);
            if n == 0 {
                write_ranges(&mut out, shard);
            }
            out.push('\n');
        }
    }
    out
}

fn write_ranges(out: &mut String, shard: &RegionShard) {
    for r in &shard.slots {
        if r.start == r.end {
            let _ = write!(out, " {}", r.start);
        } else {
            let _ = write!(out, " {}-{}", r.start, r.end);
        }
    }
}

/// CLUSTER INFO.
pub fn info(t: &Topology) -> String {
    let fields = [
        ("cluster_state", "ok".to_string()),
        ("cluster_slots_assigned", SLOTS.to_string()),
        ("cluster_slots_ok", SLOTS.to_string()),
        ("cluster_slots_pfail", "0".into()),
        ("cluster_slots_fail", "0".into()),
        ("cluster_known_nodes", t.nodes().count().to_string()),
        ("cluster_size", t.shards().len().to_string()),
        ("cluster_current_epoch", t.shards().len().to_string()),
        ("cluster_my_epoch", (t.my_shard_index() + 1).to_string()),
        ("cluster_stats_messages_sent", "0".into()),
        ("cluster_stats_messages_received", "0".into()),
        ("total_cluster_links_buffer_limit_exceeded", "0".into()),
    ];
    let mut out = String::new();
    for (k, v) in fields {
        let _ = write!(out, "{k}:{v}\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::server::topology::{NodeAddr, node_id};

    const MAP: &str =
        "0-5460+5462=127.0.0.1:7000,127.0.0.1:7003;5461+5463-10922=127.0.0.1:7001;10923-16383=127.0.0.1:7002";

    fn topology(me: &str) -> Topology {
        Topology::parse(MAP, &NodeAddr::parse(me).unwrap()).unwrap()
    }

    fn id(port: u16) -> String {
        node_id(&NodeAddr { host: "127.0.0.1".into(), port })
    }

    fn resp(r: &Reply, resp3: bool) -> String {
        let mut out = BytesMut::new();
        r.encode(&mut out, resp3);
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn node(port: u16, meta: &str) -> String {
        format!("*4\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$40\r\n{}\r\n{meta}", id(port))
    }

    #[test]
    fn slots_lists_ranges_by_first_slot_master_first() {
        let t = topology("127.0.0.1:7001");
        let entry = |start: u16, end: u16, nodes: &[u16], meta: &str| {
            let mut s = format!("*{}\r\n:{start}\r\n:{end}\r\n", 2 + nodes.len());
            for p in nodes {
                s.push_str(&node(*p, meta));
            }
            s
        };
        for (resp3, meta) in [(false, "*0\r\n"), (true, "%0\r\n")] {
            let want = [
                "*5\r\n".to_string(),
                entry(0, 5460, &[7000, 7003], meta),
                entry(5461, 5461, &[7001], meta),
                entry(5462, 5462, &[7000, 7003], meta),
                entry(5463, 10922, &[7001], meta),
                entry(10923, 16383, &[7002], meta),
            ]
            .concat();
            assert_eq!(resp(&slots(&t), resp3), want);
        }
    }

    #[test]
    fn shards_shape_matches_redis() {
        let t = Topology::parse(
            "0-100+200-16383=127.0.0.1:7000,127.0.0.1:7003;101-199=127.0.0.1:7001",
            &NodeAddr::parse("127.0.0.1:7000").unwrap(),
        )
        .unwrap();
        let node = |port: u16, role: &str| {
            format!(
                "*14\r\n$2\r\nid\r\n$40\r\n{}\r\n$4\r\nport\r\n:{port}\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
                 $8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n${}\r\n{role}\r\n\
                 $18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n",
                id(port),
                role.len()
            )
        };
        let want = [
            "*2\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:100\r\n:200\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n".to_string(),
            node(7000, "master"),
            node(7003, "replica"),
            "*4\r\n$5\r\nslots\r\n*2\r\n:101\r\n:199\r\n$5\r\nnodes\r\n*1\r\n".to_string(),
            node(7001, "master"),
        ]
        .concat();
        assert_eq!(resp(&shards(&t), false), want);
        let resp3 = resp(&shards(&t), true);
        assert!(resp3.starts_with("*2\r\n%2\r\n$5\r\nslots\r\n"), "{resp3}");
        assert_eq!(resp3.matches("%7\r\n$2\r\nid\r\n").count(), 3);
    }

    #[test]
    fn nodes_lines() {
        let t = topology("127.0.0.1:7003");
        let want = format!(
            "{a} 127.0.0.1:7000@0 master - 0 0 1 connected 0-5460 5462\n\
             {d} 127.0.0.1:7003@0 myself,slave {a} 0 0 1 connected\n\
             {b} 127.0.0.1:7001@0 master - 0 0 2 connected 5461 5463-10922\n\
             {c} 127.0.0.1:7002@0 master - 0 0 3 connected 10923-16383\n",
            a = id(7000),
            b = id(7001),
            c = id(7002),
            d = id(7003)
        );
        assert_eq!(nodes(&t), want);
        assert!(nodes(&topology("127.0.0.1:7000")).contains("127.0.0.1:7000@0 myself,master - 0 0 1 connected"));
    }

    #[test]
    fn info_fields() {
        assert_eq!(
            info(&topology("127.0.0.1:7001")),
            "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\n\
             cluster_slots_fail:0\r\ncluster_known_nodes:4\r\ncluster_size:3\r\ncluster_current_epoch:3\r\n\
             cluster_my_epoch:2\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n\
             total_cluster_links_buffer_limit_exceeded:0\r\n"
        );
    }
}
