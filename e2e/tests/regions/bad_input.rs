//! Bad input on the replication port of a real datanode: corrupt, truncated and replayed
//! deltas, callers of another database or protocol version, and a syncer of another
//! database. Nothing is half-applied or counted twice, and every refusal says why.

use bytes::Bytes;
use meridian_datanode::cmd::execute;
use meridian_datanode::crdt::ActorId;
use meridian_datanode::node::codec::{crc, encode_delta};
use meridian_datanode::shard::{Identity, Shard};
use meridian_e2e::regions::Regions;
use meridian_proto::replication_client::ReplicationClient;
use meridian_proto::snapshot_part::Part;
use meridian_proto::{ApplyRequest, Frame, FullSyncBegin, Hello, SnapshotPart, SubscribeRequest};

use crate::{get, query};

/// The delta region 2 would ship for `words`, encoded, as a frame.
fn frame_of(words: &[&str]) -> Frame {
    let mut shard = Shard::replicated(Identity { region: 2, actor: ActorId(77) });
    let delta = execute(&mut shard, words.iter().map(|w| Bytes::from(w.to_string())).collect()).delta.unwrap();
    let payload = encode_delta(&delta);
    Frame { crc32: crc(&payload), payload, ..Frame::default() }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn corrupt_truncated_replayed_and_foreign_input_is_refused_or_harmless() {
    let regions = Regions::start(1, 1, 0).unwrap();
    let port = regions.port(0, 0, 0);
    let db = regions.database_id.clone();
    let rt = runtime();
    rt.block_on(async {
        let mut client = ReplicationClient::connect(format!("http://127.0.0.1:{}", port + 10000)).await.unwrap();
        let hello = Hello::new(&db, 2);
        let apply = |deltas: Vec<Frame>| ApplyRequest { hello: Some(hello.clone()), origin: 2, deltas };

        // A batch with one corrupt delta is refused whole: the good one is not applied either.
        let good = frame_of(&["INCRBY", "hits", "5"]);
        let mut corrupt = frame_of(&["SET", "other", "x"]);
        corrupt.crc32 ^= 1;
        let err = client.apply(apply(vec![good.clone(), corrupt])).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::DataLoss);
        assert!(err.message().contains("checksum") && err.message().contains("nothing of this batch"), "{err:?}");
        assert_eq!(get(port, "hits"), None);
        // A truncated payload (CRC of the truncated bytes, so only decoding can tell).
        let mut truncated = good.clone();
        truncated.payload = truncated.payload.slice(..truncated.payload.len() - 3);
        truncated.crc32 = crc(&truncated.payload);
        let err = client.apply(apply(vec![truncated])).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::DataLoss, "{err:?}");

        // The same delta applied three times counts once.
        for _ in 0..3 {
            client.apply(apply(vec![good.clone()])).await.unwrap();
        }
        assert_eq!(get(port, "hits"), Some("5".into()));

        // Callers of another database or protocol version are refused with the reason.
        let foreign = ApplyRequest { hello: Some(Hello::new("another-db", 2)), origin: 2, deltas: vec![good.clone()] };
        let err = client.apply(foreign).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::FailedPrecondition);
        assert!(err.message().contains("database id mismatch"), "{err:?}");
        let old = Hello { protocol_version: 1, min_protocol_version: 1, ..hello.clone() };
        let err = client.subscribe(SubscribeRequest { hello: Some(old), ..Default::default() }).await.unwrap_err();
        let ours = format!("this node {}-{}", meridian_proto::MIN_PROTOCOL_VERSION, meridian_proto::PROTOCOL_VERSION);
        assert!(
            err.message().contains(&format!("no protocol version in common: the caller speaks 1-1, {ours}")),
            "{err:?}"
        );
        // A caller of a newer release that still speaks this one's version is served, and
        // learns from the response which version that is.
        let version = meridian_proto::PROTOCOL_VERSION;
        let newer = Hello { protocol_version: version + 1, min_protocol_version: version, ..hello.clone() };
        let reply =
            client.status(meridian_proto::StatusRequest { hello: Some(newer), ..Default::default() }).await.unwrap();
        let header = reply.metadata().get(meridian_proto::VERSION_HEADER).and_then(|v| v.to_str().ok());
        assert_eq!(header, Some(version.to_string().as_str()));
        assert_eq!(meridian_proto::spoken_version(reply.metadata()), version);

        // A snapshot stream that stops before its end marker applies nothing.
        let begin = FullSyncBegin::default();
        let parts = vec![SnapshotPart { part: Some(Part::Begin(begin)), hello: Some(hello.clone()), origin: 2 }];
        let err = client.apply_snapshot(tokio_stream::iter(parts)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::DataLoss);
        assert!(err.message().contains("truncated snapshot"), "{err:?}");
    });
    assert_eq!(query(port, &["DBSIZE"]), redis::Value::Int(1));
}

#[test]
fn a_peer_of_another_database_or_version_is_refused_with_the_reason() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let addr = format!("http://127.0.0.1:{}", regions.regions[0].syncer_port);
    runtime().block_on(async {
        let mut peer = meridian_proto::peer_client::PeerClient::connect(addr).await.unwrap();
        let request = |hello: Hello| meridian_proto::PeerSubscribeRequest { hello: Some(hello), contexts: Vec::new() };
        let err = peer.subscribe(request(Hello::new("another-db", 2))).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::FailedPrecondition);
        assert!(err.message().contains("database id mismatch"), "{err:?}");
        let future = Hello { protocol_version: 9, min_protocol_version: 9, ..Hello::new(&regions.database_id, 2) };
        let err = peer.subscribe(request(future)).await.unwrap_err();
        let ours = format!("this node {}-{}", meridian_proto::MIN_PROTOCOL_VERSION, meridian_proto::PROTOCOL_VERSION);
        assert!(
            err.message().contains(&format!("no protocol version in common: the caller speaks 9-9, {ours}")),
            "{err:?}"
        );
        // Peers of the next release that still speak this one's version are served.
        let version = meridian_proto::PROTOCOL_VERSION;
        let newer = Hello {
            protocol_version: version + 1,
            min_protocol_version: version,
            ..Hello::new(&regions.database_id, 2)
        };
        let reply =
            peer.status(meridian_proto::PeerStatusRequest { hello: Some(newer), ..Default::default() }).await.unwrap();
        assert_eq!(meridian_proto::spoken_version(reply.metadata()), version);
    });
}

#[test]
fn a_syncer_that_cannot_work_reports_the_peer_stale_with_the_reason() {
    let mut regions = Regions::start(2, 1, 0).unwrap();
    // Region 2's syncer comes back configured for another database: nothing answers it.
    regions.database_id = "a-different-database".into();
    regions.start_syncer(1).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let info = regions.syncer_info(1);
        if info.contains("peer_1:") && info.contains("state=stale") && info.contains("database id mismatch") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "region 2's syncer never reported why: {info}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
