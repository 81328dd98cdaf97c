//! HDEL key field [field ...]

use hashbrown::HashSet;

use crate::cmd::util::{check_write, write_one};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::ormap::OrMap;
use crate::keyspace::entry::{Content, Kind};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hdel",
    arity: -3,
    flags: &["write", "fast"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Delete one or more hash fields.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let fields = args.rest();
    let Some(map) = super::hash_in(check_write(shard, &key, Kind::Hash)?) else { return Ok(Reply::Int(0)) };
    let mut seen = HashSet::new();
    let doomed: Vec<_> = fields
        .into_iter()
        .filter(|f| map.get(f).is_some_and(|c| c.is_live()))
        .filter(|f| seen.insert(f.clone()))
        .collect();
    if doomed.is_empty() {
        return Ok(Reply::Int(0));
    }
    let emptied = doomed.len() == map.live_len();
    write_one(shard, &key, Kind::Hash, |_, entry, part, observed| {
        let current = super::hash_in(entry);
        let mut delta = OrMap::default();
        for field in &doomed {
            if let Some(cell) = current.and_then(|m| m.get(field)) {
                cell.observed(observed);
                delta.put_delta(field.clone(), cell.remove_delta());
            }
        }
        if emptied {
            // Redis deletes a hash with its last field, TTL included.
            if let Some(e) = entry {
                e.ttl.observed(observed);
            }
        }
        part.contents.push(Content::Hash(Box::new(delta)));
    });
    Ok(Reply::Int(doomed.len() as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn deletes_present_fields_once() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
        assert_eq!(run(&mut s, &["HDEL", "h", "a", "a", "x"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["HGET", "h", "a"]), Reply::Nil);
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["HDEL", "h", "x"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["HDEL", "nokey", "x"]), Reply::Int(0));
    }

    #[test]
    fn deleting_the_last_field_deletes_the_key() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1", "b", "2"]);
        assert_eq!(run(&mut s, &["HDEL", "h", "a", "b"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["HLEN", "h"]), Reply::Int(0));
        assert_eq!(s.dbsize(), 0);
        // The key can be re-created as another type.
        assert_eq!(run(&mut s, &["SET", "h", "x"]), Reply::Ok);
        assert_eq!(run(&mut s, &["GET", "h"]), bulk("x"));
    }

    #[test]
    fn deleting_the_last_field_drops_the_ttl() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1"]);
        let e = s.keyspace().get(b"h".as_slice()).cloned();
        assert!(e.is_some());
        // Give the key a deadline the way EXPIRE does, then empty it.
        crate::cmd::util::write_one(
            &mut s,
            &bytes::Bytes::from_static(b"h"),
            crate::keyspace::entry::Kind::Hash,
            |tag, entry, part, observed| {
                crate::cmd::util::set_ttl(entry, tag, Some(1_800_000_000_000), part, observed);
            },
        );
        assert!(s.keyspace().get(b"h".as_slice()).is_some_and(|e| e.ttl.deadline().is_some()));
        run(&mut s, &["HDEL", "h", "a"]);
        assert!(s.keyspace().get(b"h".as_slice()).is_none_or(|e| e.ttl.deadline().is_none()));
        run(&mut s, &["HSET", "h", "b", "1"]);
        assert!(s.keyspace().get(b"h".as_slice()).is_some_and(|e| e.ttl.deadline().is_none()));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HDEL", "k", "a"]), Reply::from(ReplyError::wrongtype()));
        assert_eq!(run(&mut s, &["HDEL", "k"]), Reply::error("ERR wrong number of arguments for 'hdel' command"));
    }
}
