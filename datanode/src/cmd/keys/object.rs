//! OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP key. Encodings are reported with
//! Redis's names and thresholds so tools that inspect them see familiar answers.

use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError, args::is};
use crate::keyspace::entry::Content;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "object",
    arity: -2,
    flags: &["readonly"],
    keys: (2, 2, 1),
    group: "generic",
    summary: "A container for object introspection commands.",
    handler: Handler::Data(run),
};

fn encoding(content: &Content) -> &'static str {
    match content {
        Content::Str(cell) => {
            let v = crate::cmd::strings::string_bytes(cell);
            if v.len() <= 20 && parse_int(&v).is_some() {
                "int"
            } else if v.len() <= 44 {
                "embstr"
            } else {
                "raw"
            }
        }
        Content::Hash(m) => {
            if m.len() <= 128 && m.iter().all(|(f, c)| f.len() <= 64 && c.reg.get().is_none_or(|v| v.len() <= 64)) {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Content::Set(s) => {
            if s.len() <= 512 && s.members().all(|m| parse_int(m).is_some()) {
                "intset"
            } else if s.len() <= 128 && s.members().all(|m| m.len() <= 64) {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Content::ZSet(z) => {
            if z.len() <= 128 && z.ordered().all(|(_, m)| m.len() <= 64) {
                "listpack"
            } else {
                "skiplist"
            }
        }
        // Redis builds an HLL in place in a raw string.
        Content::Hll(_) => "raw",
        Content::List(l) => {
            if l.len() <= 128 {
                "listpack"
            } else {
                "quicklist"
            }
        }
    }
}

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let sub = args.bytes()?;
    if is(&sub, "help") {
        return Ok(Reply::Array(
            [
                "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Reply::status(l))
            .collect(),
        ));
    }
    let known = ["encoding", "refcount", "idletime", "freq"].iter().any(|w| is(&sub, w));
    if !known || args.remaining() != 1 {
        return Err(ReplyError::new(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try OBJECT HELP.",
            String::from_utf8_lossy(&sub)
        )));
    }
    let key = args.bytes()?;
    let Some(content) = shard.read(&key) else { return Ok(Reply::Nil) };
    if is(&sub, "encoding") {
        Ok(Reply::text(encoding(content)))
    } else if is(&sub, "refcount") {
        Ok(Reply::Int(1))
    } else if is(&sub, "idletime") {
        // Access times are not tracked: every key reads as just used.
        Ok(Reply::Int(0))
    } else {
        Err(ReplyError::new(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ))
    }
}
