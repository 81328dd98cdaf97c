//! A client session on arbitrary bytes: the real `server::session::serve` (RESP parsing,
//! command lookup, arity, the session's own commands, MULTI, pub/sub, blocking commands,
//! every data command) over an in-memory stream. The input ends the client's side of the
//! stream; the session must then finish on its own, within a bound, without panicking,
//! and leave nothing of the client behind.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use meridian_datanode::crdt::ActorId;
use meridian_datanode::server::Server;
use meridian_datanode::server::config::Config;
use meridian_datanode::shard::{Identity, Shard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A session that has neither finished nor is waiting on its client after this long is
/// stuck: a command held it (defect 1 of issue 12 was a pattern that did).
const BOUND: Duration = Duration::from_secs(5);

fuzz_target!(|data: &[u8]| {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
    runtime.block_on(async {
        let server = Server::new(Shard::replicated(Identity { region: 1, actor: ActorId(1) }), Config::default());
        let (stop_tx, stop) = tokio::sync::broadcast::channel(1);
        let (client, socket) = tokio::io::duplex(1 << 20);
        let addr = "127.0.0.1:5000".parse().expect("a literal address");
        let session =
            tokio::spawn(meridian_datanode::server::session::serve(server.clone(), socket, (addr, None), stop));
        let (mut from_session, mut to_session) = tokio::io::split(client);
        // Written and read at once: replies bigger than the pipe must not stall the input.
        let talk = async {
            let send = async {
                // The session may stop reading (a protocol error closes it): the rest is moot.
                let _ = to_session.write_all(data).await;
                let _ = to_session.shutdown().await;
            };
            let receive = async {
                let mut sink = Vec::new();
                let _ = from_session.read_to_end(&mut sink).await;
            };
            tokio::join!(send, receive);
        };
        if tokio::time::timeout(BOUND, talk).await.is_err() {
            panic!("the session was still busy {BOUND:?} after its client hung up");
        }
        match tokio::time::timeout(BOUND, session).await {
            Err(_) => panic!("the session did not end {BOUND:?} after its client hung up"),
            Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Ok(_) => {}
        }
        drop(stop_tx);
        assert!(server.clients.all().is_empty(), "a finished session left its client registered");
    });
    // REPLICAOF may have started a link to some address: it is abandoned, not awaited.
    runtime.shutdown_background();
});
