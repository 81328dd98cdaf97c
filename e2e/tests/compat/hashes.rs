//! Hash commands.

use meridian_e2e::Script;

use crate::TestResult;

#[test]
fn hset_hget_hdel() -> TestResult {
    Script::new()
        .step(&["HSET", "h", "f1", "v1", "f2", "v2"], "(integer) 2")
        .step(&["HSET", "h", "f1", "x", "f3", "v3"], "(integer) 1")
        .step(&["HGET", "h", "f1"], "\"x\"")
        .step(&["HGET", "h", "nofield"], "(nil)")
        .step(&["HGET", "nokey", "f"], "(nil)")
        .step(&["HMGET", "h", "f1", "nofield", "f2"], "1) \"x\"\n2) (nil)\n3) \"v2\"")
        .step(&["HMGET", "nokey", "a", "b"], "1) (nil)\n2) (nil)")
        .pairs(&["HGETALL", "h"], "1) \"f1\"\n2) \"x\"\n3) \"f2\"\n4) \"v2\"\n5) \"f3\"\n6) \"v3\"")
        .step(&["HGETALL", "nokey"], "(empty array)")
        .sorted(&["HKEYS", "h"], "1) \"f1\"\n2) \"f2\"\n3) \"f3\"")
        .sorted(&["HVALS", "h"], "1) \"v2\"\n2) \"v3\"\n3) \"x\"")
        .step(&["HLEN", "h"], "(integer) 3")
        .step(&["HLEN", "nokey"], "(integer) 0")
        .step(&["HEXISTS", "h", "f1"], "(integer) 1")
        .step(&["HEXISTS", "h", "nofield"], "(integer) 0")
        .step(&["HSTRLEN", "h", "f2"], "(integer) 2")
        .step(&["HSTRLEN", "h", "nofield"], "(integer) 0")
        .step(&["HDEL", "h", "f1", "nofield"], "(integer) 1")
        .step(&["HSETNX", "h", "f2", "y"], "(integer) 0")
        .step(&["HSETNX", "h", "f4", "y"], "(integer) 1")
        .step(&["HMSET", "h", "f5", "a", "f6", "b"], "OK")
        .step(&["HLEN", "h"], "(integer) 5")
        .step(&["HDEL", "h", "f2", "f3", "f4", "f5", "f6"], "(integer) 5")
        .step(&["HLEN", "h"], "(integer) 0")
        .step(&["EXISTS", "h"], "(integer) 0")
        .step(&["HSET", "h", "f"], "(error) ERR wrong number of arguments for 'hset' command")
        .step(&["HSET", "h", "f", "v", "g"], "(error) ERR wrong number of arguments for 'hset' command")
        .step(&["HGET", "h"], "(error) ERR wrong number of arguments for 'hget' command")
        .step(&["SET", "s", "v"], "OK")
        .step(&["HSET", "s", "f", "v"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["HGET", "s", "f"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .run()
}

#[test]
fn hincrby_hincrbyfloat() -> TestResult {
    Script::new()
        .step(&["HINCRBY", "h", "n", "5"], "(integer) 5")
        .step(&["HINCRBY", "h", "n", "-7"], "(integer) -2")
        .step(&["HGET", "h", "n"], "\"-2\"")
        .step(&["HINCRBYFLOAT", "h", "f", "1.5"], "\"1.5\"")
        .step(&["HINCRBYFLOAT", "h", "f", "0.25"], "\"1.75\"")
        .step(&["HINCRBYFLOAT", "h", "n", "0.5"], "\"-1.5\"")
        .step(&["HSET", "h", "s", "abc"], "(integer) 1")
        .step(&["HINCRBY", "h", "s", "1"], "(error) ERR hash value is not an integer")
        .step(&["HINCRBYFLOAT", "h", "s", "1"], "(error) ERR hash value is not a float")
        .step(&["HINCRBY", "h", "n", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["HINCRBYFLOAT", "h", "n", "x"], "(error) ERR value is not a valid float")
        .step(&["HSET", "h", "max", "9223372036854775807"], "(integer) 1")
        .step(&["HINCRBY", "h", "max", "1"], "(error) ERR increment or decrement would overflow")
        .run()
}
