//! EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX|XX|GT|LT]

use crate::cmd::util::{ExpireUnit, deadline, set_ttl, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

const fn spec(name: &'static str, summary: &'static str, run: crate::cmd::DataFn) -> CommandSpec {
    CommandSpec {
        name,
        arity: -3,
        flags: &["write", "fast"],
        keys: (1, 1, 1),
        group: "generic",
        summary,
        handler: Handler::Data(run),
    }
}

pub const EXPIRE: CommandSpec = spec("expire", "Sets the expiration time of a key in seconds.", run_expire);
pub const PEXPIRE: CommandSpec = spec("pexpire", "Sets the expiration time of a key in milliseconds.", run_pexpire);
pub const EXPIREAT: CommandSpec =
    spec("expireat", "Sets the expiration time of a key to a Unix timestamp.", run_expireat);
pub const PEXPIREAT: CommandSpec =
    spec("pexpireat", "Sets the expiration time of a key to a Unix milliseconds timestamp.", run_pexpireat);

fn run_expire(args: &mut Args, shard: &mut Shard) -> CmdResult {
    expire(args, shard, ExpireUnit::Secs, "expire")
}
fn run_pexpire(args: &mut Args, shard: &mut Shard) -> CmdResult {
    expire(args, shard, ExpireUnit::Millis, "pexpire")
}
fn run_expireat(args: &mut Args, shard: &mut Shard) -> CmdResult {
    expire(args, shard, ExpireUnit::AtSecs, "expireat")
}
fn run_pexpireat(args: &mut Args, shard: &mut Shard) -> CmdResult {
    expire(args, shard, ExpireUnit::AtMillis, "pexpireat")
}

fn expire(args: &mut Args, shard: &mut Shard, unit: ExpireUnit, name: &str) -> CmdResult {
    let key = args.bytes()?;
    let n = args.int()?;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    while let Some(opt) = args.next() {
        match &opt.to_ascii_uppercase()[..] {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            _ => {
                return Err(ReplyError::new(format!("ERR Unsupported option {}", String::from_utf8_lossy(&opt))));
            }
        }
    }
    if nx && (xx || gt || lt) {
        return Err(ReplyError::new("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if gt && lt {
        return Err(ReplyError::new("ERR GT and LT options at the same time are not compatible"));
    }
    let at = deadline(unit, n, shard.now(), name, true)?;
    let Some(entry) = shard.lookup(&key, Access::Write) else { return Ok(Reply::Int(0)) };
    let current = entry.ttl.deadline().map(|(d, _)| d);
    let Some(kind) = entry.visible().map(|c| c.kind()) else { return Ok(Reply::Int(0)) };
    // A key without TTL counts as an infinite one for GT and LT.
    let allowed = match current {
        None => !(xx || gt),
        Some(cur) => !nx && (!gt || at > cur) && (!lt || at < cur),
    };
    if !allowed {
        return Ok(Reply::Int(0));
    }
    if at <= shard.now() {
        // A deadline already past is a DEL (SEMANTICS.md §10).
        shard.delete(&key);
    } else {
        write_one(shard, &key, kind, |tag, entry, part, observed| set_ttl(entry, tag, Some(at), part, observed));
    }
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn options_follow_redis() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["EXPIRE", "k", "100", "XX"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "100", "GT"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "100", "NX"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["TTL", "k"]), Reply::Int(100));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "50", "GT"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "50", "LT"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["PTTL", "k"]), Reply::Int(50_000));
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "5", "NX", "XX"]),
            Reply::error("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(run(&mut s, &["EXPIRE", "missing", "5"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "-1"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["EXISTS", "k"]), Reply::Int(0));
    }

    #[test]
    fn keys_expire_lazily_and_actively() {
        let mut s = shard();
        run(&mut s, &["SET", "a", "1", "PX", "10"]);
        run(&mut s, &["SET", "b", "1", "PX", "10"]);
        s.set_now(s.now() + 11);
        assert_eq!(run(&mut s, &["GET", "a"]), Reply::Nil);
        assert_eq!(s.expire_due(10), 1);
        assert_eq!(s.dbsize(), 0);
        assert_eq!(s.stats.expired_keys, 2);
    }
}
