//! Pub/sub registry: channels and patterns to subscriber mailboxes. Mailboxes are bounded;
//! a subscriber that falls too far behind is disconnected instead of growing memory.

use std::collections::HashMap;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::cmd::glob;
use crate::resp::Reply;

/// Messages a subscriber may have queued before it is cut off (Redis cuts pub/sub clients
/// past 32 MB of output; a count keeps this cheap to check).
pub const MAILBOX: usize = 64 * 1024;

pub type Mailbox = mpsc::Sender<Reply>;

#[derive(Default)]
pub struct PubSub {
    channels: HashMap<Bytes, HashMap<u64, Mailbox>>,
    patterns: HashMap<Bytes, HashMap<u64, Mailbox>>,
}

impl PubSub {
    pub fn subscribe(&mut self, channel: Bytes, client: u64, mailbox: Mailbox) {
        self.channels.entry(channel).or_default().insert(client, mailbox);
    }

    pub fn unsubscribe(&mut self, channel: &Bytes, client: u64) {
        if let Some(subs) = self.channels.get_mut(channel) {
            subs.remove(&client);
            if subs.is_empty() {
                self.channels.remove(channel);
            }
        }
    }

    pub fn psubscribe(&mut self, pattern: Bytes, client: u64, mailbox: Mailbox) {
        self.patterns.entry(pattern).or_default().insert(client, mailbox);
    }

    pub fn punsubscribe(&mut self, pattern: &Bytes, client: u64) {
        if let Some(subs) = self.patterns.get_mut(pattern) {
            subs.remove(&client);
            if subs.is_empty() {
                self.patterns.remove(pattern);
            }
        }
    }

    /// Delivers to local subscribers; returns how many received it and the clients whose
    /// mailbox overflowed (to be disconnected).
    pub fn publish(&self, channel: &Bytes, message: &Bytes) -> (usize, Vec<u64>) {
        let mut receivers = 0;
        let mut overflowed = Vec::new();
        if let Some(subs) = self.channels.get(channel) {
            for (id, mb) in subs {
                let msg = Reply::Push(vec![
                    Reply::text("message"),
                    Reply::Bulk(channel.clone()),
                    Reply::Bulk(message.clone()),
                ]);
                match mb.try_send(msg) {
                    Ok(()) => receivers += 1,
                    Err(mpsc::error::TrySendError::Full(_)) => overflowed.push(*id),
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
        }
        for (pattern, subs) in &self.patterns {
            if !glob::matches(pattern, channel) {
                continue;
            }
            for (id, mb) in subs {
                let msg = Reply::Push(vec![
                    Reply::text("pmessage"),
                    Reply::Bulk(pattern.clone()),
                    Reply::Bulk(channel.clone()),
                    Reply::Bulk(message.clone()),
                ]);
                match mb.try_send(msg) {
                    Ok(()) => receivers += 1,
                    Err(mpsc::error::TrySendError::Full(_)) => overflowed.push(*id),
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
        }
        (receivers, overflowed)
    }

    /// Channels with at least one subscriber whose name matches `pattern` (all without one).
    pub fn channels(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let mut m = glob::Match::new(false);
        self.channels.keys().filter(|c| pattern.is_none_or(|p| m.run(p, c))).cloned().collect()
    }

    /// Subscribers of `channel` (patterns not counted, as in Redis).
    pub fn subscribers(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, HashMap::len)
    }

    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Patterns with a subscriber, each counted once (PUBSUB NUMPAT, as Redis 7).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }
}
