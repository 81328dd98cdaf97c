//! A master's stream to one follower over gRPC: the opening events (`stream::Opening`), then
//! the backlog as it grows, read by the follower's cursor, with heartbeats when idle. The
//! backlog is the only buffer: a follower that falls out of it is cut off and must
//! full-sync, so memory stays bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use meridian_proto::sync_event::Event;
use meridian_proto::{Heartbeat, SyncEvent};
use tokio::sync::mpsc;
use tonic::Status;

use super::stream::{Opening, Read, event};
use crate::node::Node;
use crate::node::clock::now_ms;

pub type Events = mpsc::Sender<Result<SyncEvent, Status>>;

const HEARTBEAT: Duration = Duration::from_millis(250);

/// The follower hung up: not an error worth reporting.
pub struct Gone;

async fn send(tx: &Events, e: SyncEvent) -> Result<(), Gone> {
    tx.send(Ok(e)).await.map_err(|_| Gone)
}

/// Streams to a follower (registered as `follower`) for as long as it listens: the opening
/// events, then the backlog. Ends with an error when the follower falls out of the backlog.
pub async fn stream(node: &Arc<Node>, follower: u64, opening: Opening, tx: &Events) -> Result<(), Gone> {
    let Opening { events, mut cursor } = opening;
    for e in events {
        send(tx, e).await?;
    }
    let mut changed = node.repl.stream.offset.subscribe();
    let mut last_beat = Instant::now();
    loop {
        changed.borrow_and_update();
        let (read, behind, end) = match node.repl.stream.backlog.lock().as_ref() {
            Some(b) => (cursor.read(b), cursor.behind(b), b.offset()),
            None => (Read::Overrun, 0, 0),
        };
        if last_beat.elapsed() >= HEARTBEAT {
            last_beat = Instant::now();
            send(tx, event(Event::Heartbeat(Heartbeat { offset: end, unix_ms: now_ms(), behind }))).await?;
        }
        match read {
            Read::Overrun => {
                let why = "backlog overrun: this follower fell out of the master's backlog and must full-sync";
                let _ = tx.send(Err(Status::out_of_range(why))).await;
                return Err(Gone);
            }
            Read::CaughtUp => match tokio::time::timeout(HEARTBEAT, changed.changed()).await {
                // Let the clients that are ready write first: one message then carries all
                // their deltas instead of one message (and one syscall) per write.
                Ok(Ok(())) => tokio::task::yield_now().await,
                Ok(Err(_)) => return Ok(()),
                Err(_) => {
                    last_beat = Instant::now();
                    let beat = Heartbeat { offset: cursor.pos, unix_ms: now_ms(), behind: 0 };
                    send(tx, event(Event::Heartbeat(beat))).await?;
                }
            },
            Read::Deltas(message) => {
                if let Some(message) = message {
                    send(tx, event(Event::Deltas(message))).await?;
                }
                node.repl.follower_progress(follower, cursor.pos);
            }
        }
    }
}
