use super::*;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

const GRACE: SignedDuration = SignedDuration::from_secs(10);

fn node(role: NodeRole, actor: &str, offset: u64, master_addr: &str) -> Option<NodeState> {
    Some(NodeState { role, actor: actor.into(), replid: "r1".into(), offset, master_addr: master_addr.into() })
}

fn up(ordinal: u32, node: Option<NodeState>) -> Member {
    Member { ordinal, addr: Some(format!("10.0.0.{ordinal}:16379")), node, down_since: None }
}

fn down(ordinal: u32, since: Timestamp) -> Member {
    Member { ordinal, addr: None, node: None, down_since: Some(since) }
}

fn recorded(ordinal: u32, actor: &str) -> Recorded {
    Recorded { ordinal, actor: actor.into() }
}

#[test]
fn a_new_shard_elects_its_lowest_answering_ordinal() {
    let members = [down(0, t(0)), up(1, node(NodeRole::Master, "b", 0, "")), up(2, node(NodeRole::Master, "c", 0, ""))];
    assert_eq!(
        decide(&members, None, t(1), GRACE),
        Decision::Master { master: 1, promote: false, changed: Some(Why::Elected) }
    );
    assert_eq!(decide(&[down(0, t(0))], None, t(1), GRACE), Decision::Starting);
}

#[test]
fn a_healthy_master_stays_and_one_demoted_by_hand_is_promoted_back() {
    let members =
        [up(0, node(NodeRole::Master, "a", 100, "")), up(1, node(NodeRole::Replica, "b", 90, "10.0.0.0:16379"))];
    assert_eq!(
        decide(&members, Some(&recorded(0, "a")), t(0), GRACE),
        Decision::Master { master: 0, promote: false, changed: None }
    );
    let members =
        [up(0, node(NodeRole::Replica, "a", 100, "10.0.0.1:16379")), up(1, node(NodeRole::Master, "b", 90, ""))];
    assert_eq!(
        decide(&members, Some(&recorded(0, "a")), t(0), GRACE),
        Decision::Master { master: 0, promote: true, changed: None }
    );
}

#[test]
fn a_down_master_is_waited_for_until_the_grace_ends_then_the_most_advanced_replica_takes_over() {
    let members = [
        down(0, t(0)),
        up(1, node(NodeRole::Replica, "b", 90, "10.0.0.0:16379")),
        up(2, node(NodeRole::Replica, "c", 120, "10.0.0.0:16379")),
    ];
    assert_eq!(
        decide(&members, Some(&recorded(0, "a")), t(4), GRACE),
        Decision::Waiting { master: 0, remaining: SignedDuration::from_secs(6) }
    );
    assert_eq!(
        decide(&members, Some(&recorded(0, "a")), t(10), GRACE),
        Decision::Master { master: 2, promote: true, changed: Some(Why::MasterDown) }
    );
}

#[test]
fn a_master_that_restarted_empty_is_replaced_at_once() {
    let members =
        [up(0, node(NodeRole::Master, "a2", 5, "")), up(1, node(NodeRole::Replica, "b", 90, "10.0.0.0:16379"))];
    assert_eq!(
        decide(&members, Some(&recorded(0, "a")), t(0), GRACE),
        Decision::Master { master: 1, promote: true, changed: Some(Why::MasterRestarted) }
    );
    // With no replica, the new incarnation is all there is (its peers refill it).
    let alone = [up(0, node(NodeRole::Master, "a2", 5, ""))];
    assert_eq!(
        decide(&alone, Some(&recorded(0, "a")), t(0), GRACE),
        Decision::Master { master: 0, promote: false, changed: Some(Why::MasterRestarted) }
    );
}

#[test]
fn a_replica_is_preferred_to_a_member_that_came_back_claiming_to_be_master() {
    let members = [
        down(0, t(0)),
        up(1, node(NodeRole::Master, "b2", 500, "")),
        up(2, node(NodeRole::Replica, "c", 100, "10.0.0.0:16379")),
    ];
    assert_eq!(
        decide(&members, Some(&recorded(0, "a")), t(60), GRACE),
        Decision::Master { master: 2, promote: true, changed: Some(Why::MasterDown) }
    );
}

#[test]
fn a_lost_master_with_no_replica_answering_leaves_the_shard_without_master() {
    let members = [down(0, t(0)), down(1, t(0))];
    let Decision::NoMaster { reason } = decide(&members, Some(&recorded(0, "a")), t(60), GRACE) else { panic!() };
    assert_eq!(reason, "the master (ordinal 0) is down and no replica answers");
}

#[test]
fn members_not_following_the_master_are_repointed() {
    let members = [
        up(0, node(NodeRole::Master, "a", 100, "")),
        up(1, node(NodeRole::Replica, "b", 90, "10.0.0.0:16379")),
        up(2, node(NodeRole::Replica, "c", 90, "10.0.0.9:16379")),
        up(3, node(NodeRole::Master, "d", 0, "")),
        down(4, t(0)),
    ];
    assert_eq!(to_repoint(&members, 0, &["10.0.0.0:16379".into()]), vec![2, 3]);
    // A replica that follows the master by its stable name is not repointed.
    assert_eq!(to_repoint(&members, 0, &["10.0.0.0:16379".into(), "10.0.0.9:16379".into()]), vec![3]);
}
