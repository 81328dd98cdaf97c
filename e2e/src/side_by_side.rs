//! One scenario against redis-server and meridian-datanode at once: both must give the
//! replies the test spells out, which are Redis's.

use std::fmt::Write as _;

use crate::{Error, IO_TIMEOUT, Process, Result, redis_cli, render, start_datanode, start_redis_server};

/// A redis-server and a meridian-datanode, both fresh and empty.
#[derive(Debug)]
pub struct SideBySide {
    pub redis: Process,
    pub meridian: Process,
}

impl SideBySide {
    pub fn start() -> Result<SideBySide> {
        Ok(SideBySide { redis: start_redis_server()?, meridian: start_datanode()? })
    }

    /// `("redis-server", port)` then `("meridian-datanode", port)`.
    pub fn servers(&self) -> [(&'static str, u16); 2] {
        [("redis-server", self.redis.port()), ("meridian-datanode", self.meridian.port())]
    }

    /// Runs `scenario` against each server; each run returns a transcript (one entry per
    /// observation). Panics, listing every step where a server differs from `expected`.
    pub fn expect<F>(&self, expected: &[&str], mut scenario: F)
    where
        F: FnMut(u16) -> Result<Vec<String>>,
    {
        let transcripts = self.servers().map(|(name, port)| (name, scenario(port)));
        let mut report = String::new();
        for (name, transcript) in &transcripts {
            match transcript {
                Ok(t) => diff(name, expected, t, &mut report),
                Err(e) => {
                    let _ = writeln!(report, "{name}: scenario failed: {e:?}");
                }
            }
        }
        assert!(report.is_empty(), "replies differ from the expected (Redis's) replies:\n{report}");
    }
}

fn diff(name: &str, expected: &[&str], got: &[String], report: &mut String) {
    let steps = expected.len().max(got.len());
    for i in 0..steps {
        let want = expected.get(i).copied();
        let have = got.get(i).map(String::as_str);
        if want != have {
            let _ = writeln!(report, "{name}, step {}:\n  expected: {}\n  got:      {}", i + 1, show(want), show(have));
        }
    }
}

/// Rendered replies print on indented lines; raw RESP bytes print escaped.
fn show(text: Option<&str>) -> String {
    match text {
        None => "<nothing>".to_string(),
        Some(t) if t.contains('\r') => format!("{t:?}"),
        Some(t) => t.replace('\n', "\n            "),
    }
}

/// A `redis` crate connection whose replies come back rendered as redis-cli shows them.
pub struct Conn {
    con: redis::Connection,
    port: u16,
}

impl Conn {
    pub fn open(port: u16) -> Result<Conn> {
        let redis_error = |source| Error::Redis { port, source };
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).map_err(redis_error)?;
        let con = client.get_connection_with_timeout(IO_TIMEOUT).map_err(redis_error)?;
        con.set_read_timeout(Some(IO_TIMEOUT)).map_err(redis_error)?;
        con.set_write_timeout(Some(IO_TIMEOUT)).map_err(redis_error)?;
        Ok(Conn { con, port })
    }

    /// Sends one command and renders its reply; error replies are replies (`(error) ERR ..`),
    /// only I/O failures are `Err`.
    pub fn call<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Result<String> {
        self.send(args)?;
        self.recv()
    }

    /// Sends one command without reading its reply.
    pub fn send<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Result<()> {
        let mut cmd = redis::Cmd::new();
        for arg in args {
            cmd.arg(arg.as_ref());
        }
        self.con
            .send_packed_command(&cmd.get_packed_command())
            .map_err(|source| Error::Redis { port: self.port, source })
    }

    /// Reads one reply (or pushed message) and renders it.
    pub fn recv(&mut self) -> Result<String> {
        let value = self.con.recv_response().map_err(|source| Error::redis(self.port, source))?;
        Ok(render(&value))
    }
}

/// How to compare an array reply whose order Redis does not define.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As sent.
    Exact,
    /// Sort the elements (SMEMBERS, KEYS).
    Sorted,
    /// Sort field/value pairs, keeping each pair together (HGETALL).
    Pairs,
}

/// A list of commands with the replies Redis gives, run in order through the `redis` crate
/// against one fresh pair of servers and through `redis-cli --no-raw` against another.
#[derive(Debug, Default)]
pub struct Script {
    steps: Vec<(Vec<String>, Order, String)>,
}

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    /// `expected` is the reply as `redis-cli --no-raw` prints it, without the final newline.
    pub fn step(self, args: &[&str], expected: &str) -> Script {
        self.with_order(args, Order::Exact, expected)
    }

    /// An array reply in no defined order: `expected` lists the elements sorted.
    pub fn sorted(self, args: &[&str], expected: &str) -> Script {
        self.with_order(args, Order::Sorted, expected)
    }

    /// A field/value array in no defined order: `expected` lists the pairs sorted.
    pub fn pairs(self, args: &[&str], expected: &str) -> Script {
        self.with_order(args, Order::Pairs, expected)
    }

    fn with_order(mut self, args: &[&str], order: Order, expected: &str) -> Script {
        self.steps.push((args.iter().map(|a| a.to_string()).collect(), order, expected.to_string()));
        self
    }

    /// Runs the script both ways; panics with every differing step.
    pub fn run(&self) -> Result<()> {
        let expected: Vec<&str> = self.steps.iter().map(|(_, _, e)| e.as_str()).collect();

        let crate_side = SideBySide::start()?;
        crate_side.expect(&expected, |port| {
            let mut con = Conn::open(port)?;
            let mut transcript = Vec::new();
            for (args, order, _) in &self.steps {
                transcript.push(normalize(&con.call(args)?, *order));
            }
            Ok(transcript)
        });
        drop(crate_side);

        let cli_side = SideBySide::start()?;
        cli_side.expect(&expected, |port| {
            let mut transcript = Vec::new();
            for (args, order, _) in &self.steps {
                let mut cli_args = vec!["--no-raw".to_string()];
                cli_args.extend(args.iter().cloned());
                let out = redis_cli(port, &cli_args)?;
                transcript.push(normalize(out.strip_suffix('\n').unwrap_or(&out), *order));
            }
            Ok(transcript)
        });
        Ok(())
    }
}

/// Puts a flat rendered array (`1) "a"` lines) in a canonical order; other replies are unchanged.
pub fn normalize(rendered: &str, order: Order) -> String {
    if order == Order::Exact {
        return rendered.to_string();
    }
    let mut items = Vec::new();
    for line in rendered.lines() {
        let trimmed = line.trim_start();
        let Some((index, item)) = trimmed.split_once(") ") else {
            return rendered.to_string();
        };
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return rendered.to_string();
        }
        items.push(item.to_string());
    }
    let mut groups: Vec<Vec<String>> = match order {
        Order::Pairs => items.chunks(2).map(<[String]>::to_vec).collect(),
        _ => items.into_iter().map(|i| vec![i]).collect(),
    };
    groups.sort();
    let items: Vec<String> = groups.into_iter().flatten().collect();
    let width = items.len().to_string().len();
    items.iter().enumerate().map(|(i, item)| format!("{:>width$}) {item}", i + 1)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::{Order, normalize};

    #[test]
    fn normalize_sorts_flat_arrays() {
        assert_eq!(normalize("1) \"b\"\n2) \"a\"", Order::Sorted), "1) \"a\"\n2) \"b\"");
        assert_eq!(
            normalize("1) \"g\"\n2) \"2\"\n3) \"f\"\n4) \"1\"", Order::Pairs),
            "1) \"f\"\n2) \"1\"\n3) \"g\"\n4) \"2\""
        );
        assert_eq!(normalize("(empty array)", Order::Sorted), "(empty array)");
        assert_eq!(normalize("(integer) 1", Order::Sorted), "(integer) 1");
    }
}
