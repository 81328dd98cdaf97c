//! RESP3 after `HELLO 3`: the exact bytes of each reply type.

use meridian_e2e::{RawConn, SideBySide};

use crate::TestResult;

/// The HELLO reply with the connection id (which differs between servers) replaced by `<id>`.
fn without_id(reply: &str) -> String {
    let marker = "$2\r\nid\r\n:";
    match reply.find(marker) {
        Some(start) => {
            let value = start + marker.len();
            let end = reply[value..].find("\r\n").map_or(reply.len(), |e| value + e);
            format!("{}<id>{}", &reply[..value], &reply[end..])
        }
        None => reply.to_string(),
    }
}

const HELLO3: &str = "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n\
                      $2\r\nid\r\n:<id>\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
                      $7\r\nmodules\r\n*0\r\n";

#[test]
fn hello_and_string_replies() -> TestResult {
    SideBySide::start()?.expect(
        &[
            HELLO3,
            "+OK\r\n",
            "$1\r\nv\r\n",
            "_\r\n",
            "*2\r\n$1\r\nv\r\n_\r\n",
            ":1\r\n",
            "$3\r\n1.5\r\n",
            "-ERR value is not an integer or out of range\r\n",
            "+PONG\r\n",
            "*2\r\n+OK\r\n:2\r\n",
            "-NOPROTO unsupported protocol version\r\n",
            "-ERR Protocol version is not an integer or out of range\r\n",
        ],
        |port| {
            let mut con = RawConn::connect(port)?;
            Ok(vec![
                without_id(&con.call(&["HELLO", "3"])?),
                con.call(&["SET", "k", "v"])?,
                con.call(&["GET", "k"])?,
                con.call(&["GET", "nokey"])?,
                con.call(&["MGET", "k", "nokey"])?,
                con.call(&["INCR", "n"])?,
                con.call(&["INCRBYFLOAT", "f", "1.5"])?,
                con.call(&["INCR", "k"])?,
                con.call(&["PING"])?,
                {
                    con.call(&["MULTI"])?;
                    con.call(&["SET", "m", "1"])?;
                    con.call(&["INCR", "m"])?;
                    con.call(&["EXEC"])?
                },
                con.call(&["HELLO", "4"])?,
                con.call(&["HELLO", "x"])?,
            ])
        },
    );
    Ok(())
}

#[test]
fn hello_2_goes_back_to_resp2() -> TestResult {
    SideBySide::start()?.expect(&["_\r\n", "*14\r\n$6\r\nserver\r\n", "$-1\r\n", "*1\r\n$-1\r\n"], |port| {
        let mut con = RawConn::connect(port)?;
        con.call(&["HELLO", "3"])?;
        let null3 = con.call(&["GET", "nokey"])?;
        let hello2 = con.call(&["HELLO", "2"])?;
        let head: String = hello2.split_inclusive("\r\n").take(3).collect();
        Ok(vec![null3, head, con.call(&["GET", "nokey"])?, con.call(&["MGET", "nokey"])?])
    });
    Ok(())
}

/// Maps, sets and doubles (needs the hash, set and sorted-set families).
#[test]
fn collection_replies() -> TestResult {
    SideBySide::start()?.expect(
        &[
            ":1\r\n",
            "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
            "%0\r\n",
            ":1\r\n",
            "~1\r\n$1\r\nm\r\n",
            "~0\r\n",
            ":2\r\n",
            ",1.5\r\n",
            "_\r\n",
            ",4\r\n",
            "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,4\r\n",
            "*2\r\n$1\r\na\r\n,1.5\r\n",
            "*2\r\n,4\r\n_\r\n",
            ":1\r\n",
            ",inf\r\n",
            ",-inf\r\n",
        ],
        |port| {
            let mut con = RawConn::connect(port)?;
            con.call(&["HELLO", "3"])?;
            Ok(vec![
                con.call(&["HSET", "h", "f", "v"])?,
                con.call(&["HGETALL", "h"])?,
                con.call(&["HGETALL", "nokey"])?,
                con.call(&["SADD", "s", "m"])?,
                con.call(&["SMEMBERS", "s"])?,
                con.call(&["SMEMBERS", "nokey"])?,
                con.call(&["ZADD", "z", "1.5", "a", "2", "b"])?,
                con.call(&["ZSCORE", "z", "a"])?,
                con.call(&["ZSCORE", "z", "nomember"])?,
                con.call(&["ZINCRBY", "z", "2", "b"])?,
                con.call(&["ZRANGE", "z", "0", "-1", "WITHSCORES"])?,
                con.call(&["ZPOPMIN", "z"])?,
                con.call(&["ZMSCORE", "z", "b", "nomember"])?,
                con.call(&["ZADD", "z", "inf", "top"])?,
                con.call(&["ZSCORE", "z", "top"])?,
                {
                    con.call(&["ZADD", "z", "-inf", "bottom"])?;
                    con.call(&["ZSCORE", "z", "bottom"])?
                },
            ])
        },
    );
    Ok(())
}

#[test]
fn pubsub_messages_are_pushes() -> TestResult {
    SideBySide::start()?.expect(
        &[
            ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
            ":1\r\n",
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
            "$1\r\nv\r\n",
            ">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n",
        ],
        |port| {
            let mut sub = RawConn::connect(port)?;
            let mut publisher = RawConn::connect(port)?;
            sub.call(&["HELLO", "3"])?;
            let mut t = vec![sub.call(&["SUBSCRIBE", "ch"])?];
            t.push(publisher.call(&["PUBLISH", "ch", "hi"])?);
            t.push(sub.read_text()?);
            // RESP3 clients may run ordinary commands while subscribed.
            publisher.call(&["SET", "k", "v"])?;
            t.push(sub.call(&["GET", "k"])?);
            t.push(sub.call(&["UNSUBSCRIBE", "ch"])?);
            Ok(t)
        },
    );
    Ok(())
}
