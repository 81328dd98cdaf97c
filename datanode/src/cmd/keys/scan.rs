//! SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is a slot group: each
//! call returns whole groups until COUNT keys are visited (or the pattern has cost
//! `PAGE_WORK` matching steps, whatever COUNT says), so every key present for the whole
//! iteration is returned, and none twice.

use crate::cmd::glob::NameFilter;
use crate::cmd::scan::{PAGE_WORK, parse_cursor, parse_opts};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::keyspace::GROUPS;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "scan",
    arity: -2,
    flags: &["readonly"],
    keys: (0, 0, 0),
    group: "generic",
    summary: "Iterates over the key names in the database.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let cursor = parse_cursor(&args.bytes()?)?;
    let opts = parse_opts(args, true)?;
    let now = shard.now();
    let mut out = Vec::new();
    let mut seen = 0;
    let mut group = cursor.min(GROUPS as u64) as usize;
    let mut filter = NameFilter::new(opts.pattern.as_deref());
    while group < GROUPS && seen < opts.count && filter.work() < PAGE_WORK {
        for (key, entry) in shard.keyspace().group(group) {
            let Some(content) = entry.visible() else { continue };
            seen += 1;
            if entry.ttl.deadline().is_some_and(|(d, _)| d < now) {
                continue;
            }
            if !filter.accepts(key) {
                continue;
            }
            if opts.kind.as_ref().is_some_and(|t| !t.eq_ignore_ascii_case(content.kind().name().as_bytes())) {
                continue;
            }
            out.push(Reply::Bulk(bytes::Bytes::copy_from_slice(key)));
        }
        group += 1;
    }
    let next = if group >= GROUPS { 0 } else { group };
    Ok(Reply::Array(vec![Reply::text(&next.to_string()), Reply::Array(out)]))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};

    #[test]
    fn a_full_iteration_returns_every_key_once() {
        let mut s = shard();
        for i in 0..500 {
            run(&mut s, &["SET", &format!("k{i}"), "v"]);
        }
        let mut found = crate::cmd::testing::scan_all(&mut s, &["SCAN"], &["COUNT", "50"]);
        assert_eq!(found.len(), 500);
        found.sort_by_key(|r| format!("{r:?}"));
        found.dedup();
        assert_eq!(found.len(), 500);
    }

    /// A costly pattern with a huge COUNT ends a page early, and the iteration still finds
    /// exactly the keys that match.
    #[test]
    fn a_costly_pattern_ends_pages_early() {
        let mut s = shard();
        let long = "a".repeat(60);
        for i in 0..400 {
            run(&mut s, &["SET", &format!("{long}{i}"), "v"]);
        }
        run(&mut s, &["SET", &format!("{long}b"), "v"]);
        // Each key costs about 60 × 50 steps: the star tries every start for the literal.
        let pattern = format!("*{}b", "a".repeat(50));
        let first = run(&mut s, &["SCAN", "0", "MATCH", &pattern, "COUNT", "1000000"]);
        let crate::resp::Reply::Array(parts) = first else { panic!("not an array") };
        assert_ne!(parts[0], crate::resp::Reply::text("0"), "the first page stopped early");
        let found = crate::cmd::testing::scan_all(&mut s, &["SCAN"], &["MATCH", &pattern, "COUNT", "1000000"]);
        assert_eq!(found, vec![crate::resp::Reply::text(&format!("{long}b"))]);
    }
}
