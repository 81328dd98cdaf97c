//! `ReplyError`: the exact text of an error reply, as a client sees it.

/// The text of an error reply, exactly as a client sees it after the '-'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError(pub String);

impl ReplyError {
    pub fn new(text: impl Into<String>) -> Self {
        ReplyError(text.into())
    }
    pub fn syntax() -> Self {
        Self::new("ERR syntax error")
    }
    pub fn wrongtype() -> Self {
        Self::new("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
    pub fn not_integer() -> Self {
        Self::new("ERR value is not an integer or out of range")
    }
    pub fn not_float() -> Self {
        Self::new("ERR value is not a valid float")
    }
    pub fn overflow() -> Self {
        Self::new("ERR increment or decrement would overflow")
    }
    pub fn no_such_key() -> Self {
        Self::new("ERR no such key")
    }
    pub fn out_of_range() -> Self {
        Self::new("ERR index out of range")
    }
    pub fn wrong_arity(name: &str) -> Self {
        Self::new(format!("ERR wrong number of arguments for '{name}' command"))
    }
    pub fn crossslot() -> Self {
        Self::new("CROSSSLOT Keys in request don't hash to the same slot")
    }
}
