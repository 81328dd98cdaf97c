use super::*;
use crate::controller::decide::decide;
use crate::controller::digest::Digests;
use crate::controller::observe::{PodView, StatefulSetView};
use crate::crd::ActiveActiveDatabase;
use crate::failover::{NodeState, Recorded};
use crate::nodes::NodeReport;
use crate::plan::{OperatorDefaults, plan};
use crate::syncer_info::PeerLink;

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn region() -> RegionPlan {
    let yaml = "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata: {name: db, namespace: ns}\n\
                spec: {replicas: 1, regions: [{name: a, id: 1, peerEndpoint: 'a:7700'}, {name: b, id: 2, peerEndpoint: 'b:7700'}]}";
    let db: ActiveActiveDatabase = serde_yaml::from_str(yaml).unwrap();
    plan(&db, "a", &OperatorDefaults::default()).unwrap()
}

fn pod(ordinal: u32, ready: bool) -> PodView {
    PodView {
        name: format!("db-shard-0-{ordinal}"),
        shard: 0,
        ordinal,
        ip: Some(format!("10.0.0.{ordinal}")),
        ready,
        ready_changed: Some(t(0)),
        deleting: false,
        revision: Some("v1".into()),
        role: None,
    }
}

fn node(role: NodeRole, actor: &str, master: &str) -> NodeReport {
    NodeReport {
        state: NodeState { role, actor: actor.into(), replid: "rid".into(), offset: 42, master_addr: master.into() },
        link_up: role == NodeRole::Replica,
        keys: 3,
        digest: vec![],
    }
}

fn healthy(peer_state: &str) -> Observed {
    Observed {
        pods: vec![pod(0, true), pod(1, true)],
        reports: [
            ("db-shard-0-0".to_string(), Ok(node(NodeRole::Master, "m", ""))),
            ("db-shard-0-1".to_string(), Ok(node(NodeRole::Replica, "r", "10.0.0.0:16379"))),
        ]
        .into(),
        statefulsets: [(0, StatefulSetView { update_revision: Some("v1".into()), ready_replicas: 2 })].into(),
        syncer: Some(Ok([(
            2,
            PeerLink {
                region: 2,
                state: peer_state.into(),
                lag_ms: Some(4),
                last_error: (peer_state == "stale").then(|| "connection refused".to_string()),
                ..Default::default()
            },
        )]
        .into())),
        syncer_ready: true,
        secret_problems: vec![],
    }
}

fn frame() -> Frame<'static> {
    Frame { region: "a", previous: None, generation: Some(3), now: t(10) }
}

fn condition<'a>(s: &'a ActiveActiveDatabaseStatus, type_: &str) -> (&'a str, &'a str, &'a str) {
    let c = s.conditions.iter().find(|c| c.type_ == type_).unwrap();
    (c.status.as_str(), c.reason.as_str(), c.message.as_str())
}

#[test]
fn a_healthy_region_reports_ready_with_its_shards_and_peers() {
    let plan = region();
    let obs = healthy("partial-sync");
    let rec = [Some(Recorded { ordinal: 0, actor: "m".into() })];
    let decisions = decide(&plan, &obs, &rec, &BTreeMap::new(), t(10));
    let s = status(&plan, &obs, &decisions, &Outcome::default(), &Digests::default(), &frame());
    assert_eq!(s.observed_generation, Some(3));
    assert_eq!((s.ready_shards.as_deref(), s.synced_peers.as_deref()), (Some("1/1"), Some("1/1")));
    assert_eq!(condition(&s, READY).0, "True");
    assert_eq!(condition(&s, PEERS_SYNCED).1, "AllPeersSynced");
    assert_eq!(condition(&s, PROGRESSING), ("False", "Reconciled", "every object matches the manifest"));
    assert_eq!(condition(&s, DEGRADED).0, "False");
    let shard = &s.shards[0];
    assert_eq!(
        (shard.master.as_deref(), shard.master_actor.as_deref(), shard.offset),
        (Some("db-shard-0-0"), Some("m"), Some(42))
    );
    assert_eq!(shard.slots, "0-16383");
    assert_eq!(
        shard.replicas[0],
        ReplicaStatus { pod: "db-shard-0-1".into(), ready: true, link_up: true, offset: Some(42) }
    );
    assert_eq!(s.peers[0].region, "b");
    assert_eq!(s.peers[0].lag_ms, Some(4));
}

#[test]
fn a_stale_peer_is_degraded_with_its_reason() {
    let plan = region();
    let obs = healthy("stale");
    let rec = [Some(Recorded { ordinal: 0, actor: "m".into() })];
    let decisions = decide(&plan, &obs, &rec, &BTreeMap::new(), t(10));
    let s = status(&plan, &obs, &decisions, &Outcome::default(), &Digests::default(), &frame());
    assert_eq!(condition(&s, PEERS_SYNCED).1, "PeerUnreachable");
    assert_eq!(
        condition(&s, DEGRADED),
        ("True", "PeerUnreachable", "0/1 peer regions stream to this one; b: stale (connection refused)")
    );
    assert_eq!(condition(&s, READY).0, "True", "a region serves its clients without its peers");
}

#[test]
fn a_down_master_within_its_grace_reads_as_failing_over() {
    let plan = region();
    let mut obs = healthy("partial-sync");
    obs.pods[0].ready = false;
    obs.reports.remove("db-shard-0-0");
    let rec = [Some(Recorded { ordinal: 0, actor: "m".into() })];
    let decisions = decide(&plan, &obs, &rec, &BTreeMap::new(), t(4));
    let s = status(&plan, &obs, &decisions, &Outcome::default(), &Digests::default(), &Frame { now: t(4), ..frame() });
    let (ready, reason, message) = condition(&s, SHARDS_READY);
    assert_eq!((ready, reason), ("False", "MasterDown"));
    assert!(message.contains("master db-shard-0-0 is down, failing over in 6s"), "{message}");
    assert_eq!(condition(&s, PROGRESSING).1, "FailingOver");
    assert_eq!(s.shards[0].master_actor, None, "no previous status to keep the actor from");
}

#[test]
fn a_blocked_region_keeps_its_last_shards_and_says_why() {
    let plan = region();
    let obs = healthy("partial-sync");
    let rec = [Some(Recorded { ordinal: 0, actor: "m".into() })];
    let decisions = decide(&plan, &obs, &rec, &BTreeMap::new(), t(10));
    let before = status(&plan, &obs, &decisions, &Outcome::default(), &Digests::default(), &frame());
    let s = blocked("SecretMissing", "Secret x does not exist", true, &Frame { previous: Some(&before), ..frame() });
    assert_eq!(s.shards, before.shards);
    assert_eq!(condition(&s, DEGRADED), ("True", "SecretMissing", "Secret x does not exist"));
    assert_eq!(condition(&s, READY), ("False", "SecretMissing", "Secret x does not exist"));
}
