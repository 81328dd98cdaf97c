//! What the write load did: every write with its outcome as the client saw it, in the order
//! each writer issued them. Shared between the writer threads (which append) and the driver
//! (which reads the keys written so far when it takes a witness).

use std::sync::Arc;

use parking_lot::Mutex;

/// One write, as sent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Op {
    /// `INCRBY key by` on a key only this writer increments.
    Incr { key: String, by: i64 },
    /// `SADD key member` on a set every writer adds to.
    Sadd { key: String, member: String },
    /// `SET key value`, `value` unique to this write (`Tag`).
    Set { key: String, value: String },
    /// `HSET key field value`: the field is this writer's, `value` unique to this write.
    Hset { key: String, field: String, value: String },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Incr { key, .. } | Op::Sadd { key, .. } | Op::Set { key, .. } | Op::Hset { key, .. } => key,
        }
    }

    pub fn command(&self) -> redis::Cmd {
        let mut c;
        match self {
            Op::Incr { key, by } => {
                c = redis::cmd("INCRBY");
                c.arg(key).arg(*by);
            }
            Op::Sadd { key, member } => {
                c = redis::cmd("SADD");
                c.arg(key).arg(member);
            }
            Op::Set { key, value } => {
                c = redis::cmd("SET");
                c.arg(key).arg(value);
            }
            Op::Hset { key, field, value } => {
                c = redis::cmd("HSET");
                c.arg(key).arg(field).arg(value);
            }
        }
        c
    }
}

/// How a write ended, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// A success reply from `node` (the RESP address that answered).
    Acked { node: String },
    /// Sent, but the connection failed before a reply: it may or may not have been applied.
    Ambiguous { node: String, error: String },
    /// Never applied: refused (MOVED, READONLY, connection refused...) until the write's
    /// time budget ran out, or an error reply.
    Refused { error: String },
}

/// One write of one writer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Write {
    pub region: String,
    pub writer: u32,
    /// The writer's sequence number: writes of one writer are issued one after another.
    pub seq: u64,
    pub op: Op,
    /// When the first attempt was sent and when the outcome was known, in ms since the run
    /// started.
    pub started_ms: u64,
    pub ended_ms: u64,
    pub outcome: Outcome,
}

impl Write {
    pub fn acked(&self) -> bool {
        matches!(self.outcome, Outcome::Acked { .. })
    }

    /// The node that acknowledged it, or may have applied it.
    pub fn node(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Acked { node } | Outcome::Ambiguous { node, .. } => Some(node),
            Outcome::Refused { .. } => None,
        }
    }
}

/// The value a write stores: unique per (region, writer, seq), so the reader can tell which
/// write a value came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    pub region: String,
    pub writer: u32,
    pub seq: u64,
}

impl Tag {
    pub fn render(&self) -> String {
        format!("{}.{}.{}", self.region, self.writer, self.seq)
    }

    pub fn parse(text: &str) -> Option<Tag> {
        let mut parts = text.rsplitn(3, '.');
        let seq = parts.next()?.parse().ok()?;
        let writer = parts.next()?.parse().ok()?;
        let region = parts.next()?.to_string();
        Some(Tag { region, writer, seq })
    }

    pub fn of(w: &Write) -> Tag {
        Tag { region: w.region.clone(), writer: w.writer, seq: w.seq }
    }
}

/// Every writer's writes so far.
#[derive(Clone, Default)]
pub struct Journal {
    writes: Arc<Mutex<Vec<Write>>>,
}

impl Journal {
    pub fn push(&self, w: Write) {
        self.writes.lock().push(w);
    }

    /// A copy of everything so far.
    pub fn writes(&self) -> Vec<Write> {
        self.writes.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_even_with_dots_in_the_region_name() {
        let t = Tag { region: "us.east".into(), writer: 1, seq: 42 };
        assert_eq!(Tag::parse(&t.render()), Some(t));
        assert_eq!(Tag::parse("garbage"), None);
    }
}
