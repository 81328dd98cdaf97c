//! A cursor over a command's arguments that turns them into typed values with Redis's
//! error replies.

use bytes::Bytes;

use super::ReplyError;
use super::format::{parse_float, parse_int};

pub struct Args {
    items: Vec<Bytes>,
    pos: usize,
}

impl Args {
    /// `items[0]` is the command name; the cursor starts after it.
    pub fn new(items: Vec<Bytes>) -> Self {
        Args { items, pos: 1 }
    }

    pub fn name(&self) -> &[u8] {
        self.items.first().map_or(&[][..], |b| &b[..])
    }

    pub fn all(&self) -> &[Bytes] {
        &self.items
    }

    pub fn into_items(self) -> Vec<Bytes> {
        self.items
    }

    /// Arguments not consumed yet.
    pub fn remaining(&self) -> usize {
        self.items.len().saturating_sub(self.pos)
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    // Named like Iterator::next on purpose; Args is a cursor with typed takers, not an iterator.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Bytes> {
        let item = self.items.get(self.pos).cloned();
        if item.is_some() {
            self.pos += 1;
        }
        item
    }

    pub fn peek(&self) -> Option<&Bytes> {
        self.items.get(self.pos)
    }

    /// The next argument, or a syntax error if there is none.
    pub fn bytes(&mut self) -> Result<Bytes, ReplyError> {
        self.next().ok_or_else(ReplyError::syntax)
    }

    pub fn int(&mut self) -> Result<i64, ReplyError> {
        let b = self.bytes()?;
        parse_int(&b).ok_or_else(ReplyError::not_integer)
    }

    pub fn float(&mut self) -> Result<f64, ReplyError> {
        let b = self.bytes()?;
        parse_float(&b).ok_or_else(ReplyError::not_float)
    }

    /// Consumes the next argument if it equals `word`, ignoring ASCII case.
    pub fn eat(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(b) if b.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// All arguments not consumed yet.
    pub fn rest(&mut self) -> Vec<Bytes> {
        let rest = self.items.get(self.pos..).map(<[Bytes]>::to_vec).unwrap_or_default();
        self.pos = self.items.len();
        rest
    }

    /// Fails with a syntax error if arguments are left over.
    pub fn finish(&self) -> Result<(), ReplyError> {
        if self.is_empty() { Ok(()) } else { Err(ReplyError::syntax()) }
    }
}

/// Is `arg` equal to `word`, ignoring ASCII case.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}
