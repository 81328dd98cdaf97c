//! Connection, server and pub/sub commands. Their specs live here with the rest of the
//! command table; they run in `server::session`, which owns the connection state they need.

use super::{CommandSpec, Handler};

const fn session(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    group: &'static str,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec { name, arity, flags, keys: (0, 0, 0), group, summary, handler: Handler::Session }
}

pub const COMMANDS: &[CommandSpec] = &[
    session(
        "auth",
        -2,
        &["noscript", "loading", "stale", "fast", "no_auth"],
        "connection",
        "Authenticates the connection.",
    ),
    session(
        "client",
        -2,
        &["admin", "noscript", "loading", "stale"],
        "connection",
        "A container for client connection commands.",
    ),
    session("cluster", -2, &["stale"], "cluster", "A container for Redis Cluster commands."),
    session("command", -1, &["loading", "stale"], "server", "Returns detailed information about all commands."),
    session(
        "config",
        -2,
        &["admin", "noscript", "loading", "stale"],
        "server",
        "A container for server configuration commands.",
    ),
    session(
        "discard",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        "transactions",
        "Discards a transaction.",
    ),
    session("echo", 2, &["fast"], "connection", "Returns the given string."),
    session(
        "exec",
        1,
        &["noscript", "loading", "stale", "skip_slowlog"],
        "transactions",
        "Executes all commands in a transaction.",
    ),
    session("function", -2, &["noscript"], "scripting", "A container for function commands (FLUSH)."),
    session(
        "hello",
        -1,
        &["noscript", "loading", "stale", "fast", "no_auth"],
        "connection",
        "Handshakes with the Redis server.",
    ),
    session("info", -1, &["loading", "stale"], "server", "Returns information and statistics about the server."),
    session(
        "multi",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        "transactions",
        "Starts a transaction.",
    ),
    session("ping", -1, &["fast"], "connection", "Returns the server's liveliness response."),
    session(
        "psubscribe",
        -2,
        &["pubsub", "noscript", "loading", "stale"],
        "pubsub",
        "Listens for messages published to channels that match one or more patterns.",
    ),
    session(
        "pubsub",
        -2,
        &["pubsub", "loading", "stale"],
        "pubsub",
        "A container for Pub/Sub commands (CHANNELS, NUMSUB, NUMPAT).",
    ),
    session("publish", 3, &["pubsub", "loading", "stale", "fast"], "pubsub", "Posts a message to a channel."),
    session(
        "punsubscribe",
        -1,
        &["pubsub", "noscript", "loading", "stale"],
        "pubsub",
        "Stops listening to messages published to channels that match one or more patterns.",
    ),
    session(
        "quit",
        -1,
        &["allow_busy", "noscript", "loading", "stale", "fast", "no_auth"],
        "connection",
        "Closes the connection.",
    ),
    session(
        "readonly",
        1,
        &["loading", "stale", "fast"],
        "cluster",
        "Enables read-only queries for a connection to a Redis Cluster replica node.",
    ),
    session(
        "readwrite",
        1,
        &["loading", "stale", "fast"],
        "cluster",
        "Enables read-write queries for a connection to a Redis Cluster replica node.",
    ),
    session("reset", 1, &["noscript", "loading", "stale", "fast", "no_auth"], "connection", "Resets the connection."),
    session("select", 2, &["loading", "stale", "fast"], "connection", "Changes the selected database."),
    session(
        "subscribe",
        -2,
        &["pubsub", "noscript", "loading", "stale"],
        "pubsub",
        "Listens for messages published to channels.",
    ),
    session(
        "replicaof",
        3,
        &["admin", "noscript", "stale", "no_async_loading"],
        "server",
        "Configures a server as replica of another, or promotes it to a master.",
    ),
    session("role", 1, &["noscript", "loading", "stale", "fast"], "server", "Returns the replication role."),
    session(
        "slaveof",
        3,
        &["admin", "noscript", "stale", "no_async_loading"],
        "server",
        "Sets a Redis server as a replica of another, or promotes it to being a master.",
    ),
    session("time", 1, &["loading", "stale", "fast"], "server", "Returns the server time."),
    session(
        "unsubscribe",
        -1,
        &["pubsub", "noscript", "loading", "stale"],
        "pubsub",
        "Stops listening to messages posted to channels.",
    ),
    session(
        "unwatch",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        "transactions",
        "Forgets about watched keys of a transaction.",
    ),
    // WATCH names keys, so a cluster routes it like a read (and COMMAND INFO says 1 -1 1).
    CommandSpec {
        keys: (1, -1, 1),
        ..session(
            "watch",
            -2,
            &["noscript", "loading", "stale", "fast", "allow_busy"],
            "transactions",
            "Monitors changes to keys to determine the execution of a transaction.",
        )
    },
];
