use super::*;
use crate::controller::observe::{PodView, StatefulSetView};
use crate::crd::{ActiveActiveDatabase, ShardStatus};
use crate::failover::{NodeRole, NodeState, Why};
use crate::nodes::NodeReport;
use crate::plan::{OperatorDefaults, plan};

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn region(replicas: i32) -> RegionPlan {
    let yaml = format!(
        "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata: {{name: db, namespace: ns}}\n\
         spec: {{replicas: {replicas}, regions: [{{name: a, id: 1, peerEndpoint: 'a:7700'}}]}}"
    );
    let db: ActiveActiveDatabase = serde_yaml::from_str(&yaml).unwrap();
    plan(&db, "a", &OperatorDefaults::default()).unwrap()
}

fn pod(ordinal: u32, ready: bool, revision: &str) -> PodView {
    PodView {
        name: format!("db-shard-0-{ordinal}"),
        shard: 0,
        ordinal,
        ip: Some(format!("10.0.0.{ordinal}")),
        ready,
        ready_changed: Some(t(0)),
        deleting: false,
        revision: Some(revision.into()),
        role: None,
    }
}

fn report(role: NodeRole, actor: &str, offset: u64, master_addr: &str, link_up: bool) -> NodeReport {
    NodeReport {
        state: NodeState { role, actor: actor.into(), replid: "r".into(), offset, master_addr: master_addr.into() },
        link_up,
        keys: 0,
        digest: vec![],
    }
}

fn observed(pods: Vec<PodView>, reports: Vec<(u32, NodeReport)>, revision: &str) -> Observed {
    Observed {
        pods,
        reports: reports.into_iter().map(|(o, r)| (format!("db-shard-0-{o}"), Ok(r))).collect(),
        statefulsets: [(0, StatefulSetView { update_revision: Some(revision.into()), ready_replicas: 2 })].into(),
        ..Default::default()
    }
}

fn status_recording(master: &str, actor: &str) -> ActiveActiveDatabaseStatus {
    ActiveActiveDatabaseStatus {
        shards: vec![ShardStatus {
            index: 0,
            master: Some(master.into()),
            master_actor: Some(actor.into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn the_recorded_master_is_read_back_from_status() {
    let plan = region(1);
    let status = status_recording("db-shard-0-1", "a1");
    assert_eq!(recorded(&plan, Some(&status)), vec![Some(Recorded { ordinal: 1, actor: "a1".into() })]);
    assert_eq!(recorded(&plan, None), vec![None]);
}

#[test]
fn a_new_shard_elects_ordinal_zero_and_repoints_the_other() {
    let plan = region(1);
    let obs = observed(
        vec![pod(0, true, "v1"), pod(1, true, "v1")],
        vec![(0, report(NodeRole::Master, "a0", 0, "", false)), (1, report(NodeRole::Master, "a1", 0, "", false))],
        "v1",
    );
    let d = &decide(&plan, &obs, &[None], &BTreeMap::new(), t(0))[0];
    assert_eq!(d.decision, Decision::Master { master: 0, promote: false, changed: Some(Why::Elected) });
    assert_eq!(d.master_addr.as_deref(), Some("10.0.0.0:16379"));
    assert_eq!(d.repoint, vec![1]);
    assert_eq!(d.rollout, None, "a shard that is still being set up does not roll");
}

#[test]
fn an_unreachable_master_counts_its_grace_from_when_it_was_first_missed() {
    let plan = region(1);
    let obs = observed(
        vec![pod(0, true, "v1"), pod(1, true, "v1")],
        vec![(1, report(NodeRole::Replica, "a1", 50, "10.0.0.0:16379", false))],
        "v1",
    );
    let rec = [Some(Recorded { ordinal: 0, actor: "a0".into() })];
    let missed = BTreeMap::from([("db-shard-0-0".to_string(), t(100))]);
    let d = &decide(&plan, &obs, &rec, &missed, t(105))[0];
    assert!(matches!(d.decision, Decision::Waiting { master: 0, .. }), "{:?}", d.decision);
    let d = &decide(&plan, &obs, &rec, &missed, t(111))[0];
    assert_eq!(d.decision, Decision::Master { master: 1, promote: true, changed: Some(Why::MasterDown) });
}

#[test]
fn an_outdated_settled_shard_rolls_replicas_first_then_switches_over() {
    let plan = region(1);
    let master = report(NodeRole::Master, "a0", 100, "", false);
    let replica = report(NodeRole::Replica, "a1", 100, "10.0.0.0:16379", true);
    let rec = [Some(Recorded { ordinal: 0, actor: "a0".into() })];
    let obs =
        observed(vec![pod(0, true, "v1"), pod(1, true, "v1")], vec![(0, master.clone()), (1, replica.clone())], "v2");
    let d = &decide(&plan, &obs, &rec, &BTreeMap::new(), t(0))[0];
    assert_eq!(d.rollout, Some(rollout::Step::Replace(1)));
    // The replica came back updated: the master's role moves to it, and the old master follows.
    let obs = observed(vec![pod(0, true, "v1"), pod(1, true, "v2")], vec![(0, master), (1, replica)], "v2");
    let d = &decide(&plan, &obs, &rec, &BTreeMap::new(), t(0))[0];
    assert_eq!(d.decision, Decision::Master { master: 1, promote: true, changed: Some(Why::Switchover) });
    assert_eq!(d.master_addr.as_deref(), Some("10.0.0.1:16379"));
    assert_eq!(d.repoint, vec![0]);
}

#[test]
fn a_replica_that_is_not_caught_up_holds_the_rollout() {
    let plan = region(1);
    let rec = [Some(Recorded { ordinal: 0, actor: "a0".into() })];
    let obs = observed(
        vec![pod(0, true, "v1"), pod(1, true, "v2")],
        vec![
            (0, report(NodeRole::Master, "a0", 100, "", false)),
            (1, report(NodeRole::Replica, "a1", 10, "10.0.0.0:16379", false)),
        ],
        "v2",
    );
    assert_eq!(decide(&plan, &obs, &rec, &BTreeMap::new(), t(0))[0].rollout, None);
}
