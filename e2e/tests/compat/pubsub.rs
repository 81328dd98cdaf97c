//! Pub/sub over RESP2: a subscriber connection receives what another connection publishes.

use meridian_e2e::{RawConn, SideBySide};

use crate::TestResult;

#[test]
fn subscribe_publish_unsubscribe() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n",
            "*3\r\n$9\r\nsubscribe\r\n$3\r\nch2\r\n:2\r\n",
            ":1\r\n",
            ":0\r\n",
            "*3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nhello\r\n",
            "*3\r\n$10\r\npsubscribe\r\n$5\r\nh?llo\r\n:3\r\n",
            ":1\r\n",
            "*4\r\n$8\r\npmessage\r\n$5\r\nh?llo\r\n$5\r\nhallo\r\n$1\r\nm\r\n",
            ":2\r\n",
            "*3\r\n$7\r\nmessage\r\n$3\r\nch2\r\n$4\r\nboth\r\n",
            "*3\r\n$7\r\nmessage\r\n$3\r\nch2\r\n$4\r\nboth\r\n",
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
            "*2\r\n$4\r\npong\r\n$0\r\n\r\n",
            "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n",
            "*3\r\n$11\r\nunsubscribe\r\n$3\r\nch1\r\n:2\r\n",
            "*3\r\n$11\r\nunsubscribe\r\n$3\r\nch2\r\n:1\r\n",
            "*3\r\n$12\r\npunsubscribe\r\n$5\r\nh?llo\r\n:0\r\n",
            "$-1\r\n",
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
        ],
        |port| {
            let mut sub = RawConn::connect(port)?;
            let mut publisher = RawConn::connect(port)?;
            let mut t = Vec::new();
            sub.send_command(&["SUBSCRIBE", "ch1", "ch2"])?;
            t.push(sub.read_text()?);
            t.push(sub.read_text()?);
            t.push(publisher.call(&["PUBLISH", "ch1", "hello"])?);
            t.push(publisher.call(&["PUBLISH", "nobody", "x"])?);
            t.push(sub.read_text()?);
            t.push(sub.call(&["PSUBSCRIBE", "h?llo"])?);
            t.push(publisher.call(&["PUBLISH", "hallo", "m"])?);
            t.push(sub.read_text()?);
            // Two connections subscribed to one channel each get the message.
            let mut second = RawConn::connect(port)?;
            second.call(&["SUBSCRIBE", "ch2"])?;
            t.push(publisher.call(&["PUBLISH", "ch2", "both"])?);
            t.push(sub.read_text()?);
            t.push(second.read_text()?);
            t.push(sub.call(&["GET", "k"])?);
            t.push(sub.call(&["PING"])?);
            t.push(sub.call(&["PING", "hi"])?);
            t.push(sub.call(&["UNSUBSCRIBE", "ch1"])?);
            t.push(sub.call(&["UNSUBSCRIBE"])?);
            t.push(sub.call(&["PUNSUBSCRIBE"])?);
            // Out of subscribed mode, ordinary commands work again.
            t.push(sub.call(&["GET", "k"])?);
            t.push(sub.call(&["UNSUBSCRIBE"])?);
            Ok(t)
        },
    );
    Ok(())
}

#[test]
fn messages_keep_publish_order() -> TestResult {
    const MESSAGES: usize = 1000;
    SideBySide::start()?.expect(&["1000 messages in order"], |port| {
        let mut sub = RawConn::connect(port)?;
        let mut publisher = RawConn::connect(port)?;
        sub.call(&["SUBSCRIBE", "seq"])?;
        let mut batch = Vec::new();
        for i in 0..MESSAGES {
            batch.extend(meridian_e2e::raw::encode_command(&["PUBLISH", "seq", &i.to_string()]));
        }
        publisher.send(&batch)?;
        let mut ok = true;
        for i in 0..MESSAGES {
            ok &= publisher.read_text()? == ":1\r\n";
            let n = i.to_string();
            ok &= sub.read_text()? == format!("*3\r\n$7\r\nmessage\r\n$3\r\nseq\r\n${}\r\n{n}\r\n", n.len());
        }
        Ok(vec![if ok { format!("{MESSAGES} messages in order") } else { "messages lost or reordered".into() }])
    });
    Ok(())
}

/// PUBSUB CHANNELS (with and without a pattern), NUMSUB and NUMPAT (distinct patterns, as
/// Redis 7 counts them) count what is subscribed, and forget a client that leaves.
#[test]
fn pubsub_introspection() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "*2\r\n$4\r\nnews\r\n$5\r\nnotes\r\n",
            "*1\r\n$5\r\nnotes\r\n",
            "*4\r\n$4\r\nnews\r\n:2\r\n$5\r\nother\r\n:0\r\n",
            ":1\r\n",
            "*0\r\n",
            ":0\r\n",
            "-ERR unknown subcommand 'nope'. Try PUBSUB HELP.\r\n",
        ],
        |port| {
            let mut a = RawConn::connect(port)?;
            let mut b = RawConn::connect(port)?;
            let mut q = RawConn::connect(port)?;
            a.send_command(&["SUBSCRIBE", "news", "notes"])?;
            a.read_text()?;
            a.read_text()?;
            a.call(&["PSUBSCRIBE", "n*"])?;
            b.call(&["SUBSCRIBE", "news"])?;
            b.call(&["PSUBSCRIBE", "n*"])?;
            let mut t = Vec::new();
            let mut channels = q.call(&["PUBSUB", "CHANNELS"])?;
            // The order of channels is Redis's dict order: compare them sorted.
            if channels == "*2\r\n$5\r\nnotes\r\n$4\r\nnews\r\n" {
                channels = "*2\r\n$4\r\nnews\r\n$5\r\nnotes\r\n".into();
            }
            t.push(channels);
            t.push(q.call(&["PUBSUB", "CHANNELS", "no[t]*"])?);
            t.push(q.call(&["PUBSUB", "NUMSUB", "news", "other"])?);
            t.push(q.call(&["PUBSUB", "NUMPAT"])?);
            drop(a);
            drop(b);
            // The clients' subscriptions go when they leave.
            let mut left = String::new();
            for _ in 0..100 {
                left = q.call(&["PUBSUB", "CHANNELS"])?;
                if left == "*0\r\n" {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            t.push(left);
            t.push(q.call(&["PUBSUB", "NUMPAT"])?);
            t.push(q.call(&["PUBSUB", "nope"])?);
            Ok(t)
        },
    );
    Ok(())
}
