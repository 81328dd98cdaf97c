//! MULTI / EXEC / DISCARD / WATCH, on one connection or two (redis-cli would open one
//! connection per command, so these go through the `redis` crate only).

use meridian_e2e::{Conn, SideBySide};

use crate::TestResult;

#[test]
fn multi_exec_runs_queued_commands() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "OK",
            "QUEUED",
            "QUEUED",
            "QUEUED",
            "1) OK\n2) (integer) 2\n3) \"2\"",
            "OK",
            "(empty array)",
            "OK",
            "QUEUED",
            "QUEUED",
            "1) OK\n2) (error) ERR value is not an integer or out of range",
            "\"abc\"",
        ],
        |port| {
            let mut con = Conn::open(port)?;
            let mut t = Vec::new();
            for args in [
                &["MULTI"][..],
                &["SET", "k", "1"],
                &["INCR", "k"],
                &["GET", "k"],
                &["EXEC"],
                &["MULTI"],
                &["EXEC"],
                // An error while running one command does not stop the others.
                &["MULTI"],
                &["SET", "s", "abc"],
                &["INCR", "s"],
                &["EXEC"],
                &["GET", "s"],
            ] {
                t.push(con.call(args)?);
            }
            Ok(t)
        },
    );
    Ok(())
}

#[test]
fn queueing_errors_abort_exec() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "OK",
            "OK",
            "QUEUED",
            "(error) ERR wrong number of arguments for 'set' command",
            "(error) ERR unknown command 'NOSUCH', with args beginning with: ",
            "(error) EXECABORT Transaction discarded because of previous errors.",
            "\"before\"",
            "(error) ERR EXEC without MULTI",
            "(error) ERR DISCARD without MULTI",
            "OK",
            "(error) ERR MULTI calls can not be nested",
            "QUEUED",
            "OK",
            "\"before\"",
            "OK",
            "(error) ERR WATCH inside MULTI is not allowed",
            "OK",
        ],
        |port| {
            let mut con = Conn::open(port)?;
            let mut t = Vec::new();
            for args in [
                &["SET", "k", "before"][..],
                &["MULTI"],
                &["SET", "k", "after"],
                &["SET", "k"],
                &["NOSUCH"],
                &["EXEC"],
                &["GET", "k"],
                &["EXEC"],
                &["DISCARD"],
                &["MULTI"],
                &["MULTI"],
                &["SET", "k", "discarded"],
                &["DISCARD"],
                &["GET", "k"],
                &["MULTI"],
                &["WATCH", "k"],
                &["DISCARD"],
            ] {
                t.push(con.call(args)?);
            }
            Ok(t)
        },
    );
    Ok(())
}

#[test]
fn watch_aborts_on_concurrent_write() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "OK",
            "OK",
            "OK",
            "OK",
            "QUEUED",
            "(nil)",
            "\"other\"",
            "OK",
            "OK",
            "QUEUED",
            "1) OK",
            "\"mine\"",
            "OK",
            "OK",
            "OK",
            "QUEUED",
            "(nil)",
            "OK",
            "OK",
            "OK",
            "OK",
            "QUEUED",
            "1) OK",
            "OK",
            "OK",
            "QUEUED",
            "(nil)",
        ],
        |port| {
            let mut a = Conn::open(port)?;
            let mut b = Conn::open(port)?;
            Ok(vec![
                // Another client's write to a watched key aborts EXEC.
                a.call(&["SET", "k", "start"])?,
                a.call(&["WATCH", "k"])?,
                b.call(&["SET", "k", "other"])?,
                a.call(&["MULTI"])?,
                a.call(&["SET", "k", "mine"])?,
                a.call(&["EXEC"])?,
                a.call(&["GET", "k"])?,
                // Without interference it runs; EXEC unwatches.
                a.call(&["WATCH", "k"])?,
                a.call(&["MULTI"])?,
                a.call(&["SET", "k", "mine"])?,
                a.call(&["EXEC"])?,
                a.call(&["GET", "k"])?,
                // The watching client's own write counts too.
                a.call(&["WATCH", "k"])?,
                a.call(&["SET", "k", "own"])?,
                a.call(&["MULTI"])?,
                a.call(&["GET", "k"])?,
                a.call(&["EXEC"])?,
                // UNWATCH forgets.
                a.call(&["WATCH", "k"])?,
                b.call(&["SET", "k", "again"])?,
                a.call(&["UNWATCH"])?,
                a.call(&["MULTI"])?,
                a.call(&["SET", "k", "unwatched"])?,
                a.call(&["EXEC"])?,
                // Watching a key that does not exist yet: creating it aborts.
                a.call(&["WATCH", "newkey"])?,
                b.call(&["SET", "newkey", "x"])?,
                {
                    a.call(&["MULTI"])?;
                    a.call(&["GET", "newkey"])?
                },
                a.call(&["EXEC"])?,
            ])
        },
    );
    Ok(())
}
