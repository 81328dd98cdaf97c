//! A session over an in-memory stream: what it leaves behind when it ends, by any way.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::crdt::ActorId;
use crate::server::Server;
use crate::server::config::Config;
use crate::shard::{Identity, Shard};

/// The request name that makes a session panic (test builds only).
pub(super) const PANIC: &[u8] = b"TEST.PANIC";

fn server() -> Arc<Server> {
    Server::new(Shard::new(Identity { region: 1, actor: ActorId(1) }), Config::default())
}

/// Starts a session on one end of a pipe and returns the other end.
fn connect(server: &Arc<Server>, stop: &broadcast::Sender<()>) -> (DuplexStream, JoinHandle<std::io::Result<()>>) {
    let (client, socket) = tokio::io::duplex(64 * 1024);
    let addr = "127.0.0.1:5000".parse().expect("an address");
    let task = tokio::spawn(super::serve(server.clone(), socket, (addr, None), stop.subscribe()));
    (client, task)
}

fn request(words: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", words.len()).into_bytes();
    for w in words {
        out.extend_from_slice(format!("${}\r\n{w}\r\n", w.len()).as_bytes());
    }
    out
}

/// Sends `words` and reads until `expect` bytes of reply arrived.
async fn call(client: &mut DuplexStream, words: &[&str], expect: &str) {
    client.write_all(&request(words)).await.expect("write");
    let mut got = vec![0u8; expect.len()];
    tokio::time::timeout(Duration::from_secs(5), client.read_exact(&mut got))
        .await
        .expect("reply in time")
        .expect("read");
    assert_eq!(String::from_utf8_lossy(&got), expect, "reply to {words:?}");
}

/// What the server still holds for clients: registered clients, pub/sub channels and
/// patterns, watched keys, clients in blocking queues.
fn held(server: &Server) -> (usize, usize, usize, usize, usize) {
    let (watched, waiting) = server.node.shard.lock().waiters();
    let ps = server.pubsub.lock();
    (server.clients.len(), ps.channel_count(), ps.pattern_count(), watched, waiting)
}

async fn setup_held_state(
    server: &Arc<Server>,
    stop: &broadcast::Sender<()>,
) -> (DuplexStream, JoinHandle<std::io::Result<()>>) {
    let (mut client, task) = connect(server, stop);
    call(&mut client, &["WATCH", "k1", "k2"], "+OK\r\n").await;
    call(&mut client, &["SUBSCRIBE", "news"], "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n").await;
    call(&mut client, &["PSUBSCRIBE", "n*"], "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n").await;
    assert_eq!(held(server), (1, 1, 1, 2, 0));
    (client, task)
}

/// Issue 12, defect 2: a panicking session left its CLIENT LIST entry (and would have left
/// its WATCHes and subscriptions). The cleanup is a drop guard now, so a panic runs it.
#[tokio::test]
async fn a_panicking_session_leaves_nothing_behind() {
    let server = server();
    let (stop, _) = broadcast::channel(1);
    let (mut client, task) = setup_held_state(&server, &stop).await;
    client.write_all(&request(&["TEST.PANIC"])).await.expect("write");
    let ended = tokio::time::timeout(Duration::from_secs(5), task).await.expect("the session ended");
    assert!(ended.is_err_and(|e| e.is_panic()), "the session panicked");
    assert_eq!(held(&server), (0, 0, 0, 0, 0));
}

/// A session dropped at an await point (its task aborted) while blocked on a list leaves no
/// place in the list's queue, so the next client is served.
#[tokio::test]
async fn an_aborted_blocked_session_leaves_its_queue() {
    let server = server();
    let (stop, _) = broadcast::channel(1);
    let (mut client, task) = connect(&server, &stop);
    call(&mut client, &["WATCH", "other"], "+OK\r\n").await;
    client.write_all(&request(&["BLPOP", "list", "0"])).await.expect("write");
    tokio::time::timeout(Duration::from_secs(5), async {
        while held(&server).4 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the client blocked");
    assert_eq!(held(&server), (1, 0, 0, 1, 1));
    task.abort();
    assert!(task.await.is_err_and(|e| e.is_cancelled()));
    assert_eq!(held(&server), (0, 0, 0, 0, 0));
}

/// A client that hangs up cleans up the same way.
#[tokio::test]
async fn a_client_that_leaves_leaves_nothing_behind() {
    let server = server();
    let (stop, _) = broadcast::channel(1);
    let (client, task) = setup_held_state(&server, &stop).await;
    drop(client);
    let ended = tokio::time::timeout(Duration::from_secs(5), task).await.expect("the session ended");
    assert!(ended.is_ok_and(|r| r.is_ok()));
    assert_eq!(held(&server), (0, 0, 0, 0, 0));
}
