//! The one parser and runner behind GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms),
//! GEOSEARCH and GEOSEARCHSTORE, as Redis's `georadiusGeneric`: the same option loop, the
//! same order of checks (so the same error wins), the same replies.

use std::cmp::Ordering;

use bytes::Bytes;

use super::area::{Extent, Shape};
use super::hash::score_to_lonlat;
use super::search::{Found, members_in_shape};
use super::{args, fmt_coord, fmt_distance};
use crate::cmd::args::is;
use crate::cmd::format::parse_int;
use crate::cmd::zset::{read_zset, store};
use crate::cmd::{Args, CmdResult, ReplyError};
use crate::crdt::zset::ZSet;
use crate::resp::Reply;
use crate::shard::Shard;

/// Which command is parsing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    /// GEORADIUS key lon lat radius unit ... (`ro`: no STORE/STOREDIST).
    Radius { ro: bool },
    /// GEORADIUSBYMEMBER key member radius unit ...
    ByMember { ro: bool },
    /// GEOSEARCH key FROMMEMBER|FROMLONLAT ... BYRADIUS|BYBOX ...
    Search,
    /// GEOSEARCHSTORE dst src ... [STOREDIST]
    SearchStore,
}

impl Form {
    fn search(self) -> bool {
        matches!(self, Form::Search | Form::SearchStore)
    }

    /// STORE key / STOREDIST key are accepted (GEORADIUS and GEORADIUSBYMEMBER).
    fn store_option(self) -> bool {
        matches!(self, Form::Radius { ro: false } | Form::ByMember { ro: false })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// The options after the fixed arguments.
struct Options {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    /// 0: no COUNT.
    count: i64,
    /// STORE/STOREDIST key, or GEOSEARCHSTORE's destination.
    store: Option<Bytes>,
    storedist: bool,
    from: bool,
    by: bool,
}

fn syntax() -> ReplyError {
    ReplyError::syntax()
}

/// The argument at `i` (the command name is 0).
fn at(argv: &[Bytes], i: usize) -> Result<&Bytes, ReplyError> {
    argv.get(i).ok_or_else(syntax)
}

/// Where a member of `z` is: "could not decode requested zset member" when it is missing.
fn member_center(z: &ZSet, member: &[u8]) -> Result<[f64; 2], ReplyError> {
    z.score(member).map(score_to_lonlat).ok_or_else(|| ReplyError::new("ERR could not decode requested zset member"))
}

/// Runs one GEO search request.
pub fn run(args: &mut Args, shard: &mut Shard, form: Form) -> CmdResult {
    let argv: Vec<Bytes> = args.all().to_vec();
    args.rest();
    let src_index = if form == Form::SearchStore { 2 } else { 1 };
    let key = at(&argv, src_index)?.clone();
    let z = read_zset(shard, &key)?;

    // The fixed arguments of each form, then where the options start.
    let mut shape = Shape { center: [0.0, 0.0], extent: Extent::Circle { radius: 0.0 }, to_meters: 1.0 };
    let base = match form {
        Form::Radius { .. } => {
            shape.center = args::lon_lat(at(&argv, 2)?, at(&argv, 3)?)?;
            let (radius, to_meters) = args::radius(at(&argv, 4)?, at(&argv, 5)?)?;
            shape.extent = Extent::Circle { radius };
            shape.to_meters = to_meters;
            6
        }
        Form::ByMember { .. } => {
            // Without the key the options are still parsed, to pick the right reply.
            if let Some(z) = z {
                shape.center = member_center(z, at(&argv, 2)?)?;
                let (radius, to_meters) = args::radius(at(&argv, 3)?, at(&argv, 4)?)?;
                shape.extent = Extent::Circle { radius };
                shape.to_meters = to_meters;
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => 3,
    };

    let mut o = Options {
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        store: (form == Form::SearchStore).then(|| argv.get(1).cloned()).flatten(),
        storedist: false,
        from: false,
        by: false,
    };
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut i = base;
    while let Some(arg) = argv.get(i) {
        // How many arguments follow this one.
        let after = argv.len() - i - 1;
        if is(arg, "withdist") {
            o.withdist = true;
        } else if is(arg, "withhash") {
            o.withhash = true;
        } else if is(arg, "withcoord") {
            o.withcoord = true;
        } else if is(arg, "any") {
            o.any = true;
        } else if is(arg, "asc") {
            o.sort = Sort::Asc;
        } else if is(arg, "desc") {
            o.sort = Sort::Desc;
        } else if is(arg, "count") && after >= 1 {
            let n = parse_int(at(&argv, i + 1)?).ok_or_else(ReplyError::not_integer)?;
            if n <= 0 {
                return Err(ReplyError::new("ERR COUNT must be > 0"));
            }
            o.count = n;
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && after >= 1 && form.store_option() {
            o.store = Some(at(&argv, i + 1)?.clone());
            o.storedist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && form == Form::SearchStore {
            o.storedist = true;
        } else if is(arg, "frommember") && after >= 1 && form.search() && !fromloc {
            if let Some(z) = z {
                shape.center = member_center(z, at(&argv, i + 1)?)?;
            }
            frommember = true;
            i += 1;
        } else if is(arg, "fromlonlat") && after >= 2 && form.search() && !frommember {
            shape.center = args::lon_lat(at(&argv, i + 1)?, at(&argv, i + 2)?)?;
            fromloc = true;
            i += 2;
        } else if is(arg, "byradius") && after >= 2 && form.search() && !bybox {
            let (radius, to_meters) = args::radius(at(&argv, i + 1)?, at(&argv, i + 2)?)?;
            shape.extent = Extent::Circle { radius };
            shape.to_meters = to_meters;
            byradius = true;
            i += 2;
        } else if is(arg, "bybox") && after >= 3 && form.search() && !byradius {
            let (width, height, to_meters) = args::bbox(at(&argv, i + 1)?, at(&argv, i + 2)?, at(&argv, i + 3)?)?;
            shape.extent = Extent::Box { width, height };
            shape.to_meters = to_meters;
            bybox = true;
            i += 3;
        } else {
            return Err(syntax());
        }
        i += 1;
    }
    o.from = frommember || fromloc;
    o.by = byradius || bybox;

    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        let who = if form == Form::SearchStore { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(ReplyError::new(format!(
            "ERR {who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    // The command name as the client spelled it.
    let name = String::from_utf8_lossy(args.name()).into_owned();
    if form.search() && !o.from {
        return Err(ReplyError::new(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if form.search() && !o.by {
        return Err(ReplyError::new(format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if o.any && o.count == 0 {
        return Err(ReplyError::new("ERR the ANY argument requires COUNT argument"));
    }

    let Some(z) = z else {
        return Ok(match o.store {
            Some(dst) => Reply::Int(store(shard, &dst, Vec::new()) as i64),
            None => Reply::Array(Vec::new()),
        });
    };
    // COUNT means the nearest n, unless ANY takes the first n found.
    if o.count != 0 && o.sort == Sort::None && !o.any {
        o.sort = Sort::Asc;
    }
    let limit = if o.any { usize::try_from(o.count).unwrap_or(usize::MAX) } else { 0 };
    let mut found = members_in_shape(z, &shape, limit);
    match o.sort {
        // Stable, as glibc's merge-sorting qsort: equal distances keep the scan order.
        Sort::Asc => found.sort_by(|a, b| a.dist.partial_cmp(&b.dist).unwrap_or(Ordering::Equal)),
        Sort::Desc => found.sort_by(|a, b| b.dist.partial_cmp(&a.dist).unwrap_or(Ordering::Equal)),
        Sort::None => {}
    }
    if o.count > 0 {
        found.truncate(usize::try_from(o.count).unwrap_or(usize::MAX));
    }

    if let Some(dst) = o.store {
        let items = found
            .into_iter()
            .map(|f| {
                let score = if o.storedist { f.dist / shape.to_meters } else { f.score };
                (f.member, score)
            })
            .collect();
        return Ok(Reply::Int(store(shard, &dst, items) as i64));
    }
    Ok(Reply::Array(found.into_iter().map(|f| item(f, &o, shape.to_meters)).collect()))
}

/// One result: the bare member, or [member, dist?, hash?, [lon, lat]?] in that order.
fn item(f: Found, o: &Options, to_meters: f64) -> Reply {
    if !(o.withdist || o.withhash || o.withcoord) {
        return Reply::Bulk(f.member);
    }
    let mut parts = vec![Reply::Bulk(f.member)];
    if o.withdist {
        parts.push(Reply::Bulk(fmt_distance(f.dist / to_meters).into()));
    }
    if o.withhash {
        // C's (long long) of the score: exact for the scores GEOADD writes.
        parts.push(Reply::Int(f.score as i64));
    }
    if o.withcoord {
        parts.push(Reply::Array(vec![Reply::DoubleText(fmt_coord(f.lon)), Reply::DoubleText(fmt_coord(f.lat))]));
    }
    Reply::Array(parts)
}
