//! Sorted-set commands.

use meridian_e2e::Script;

use crate::TestResult;

#[test]
fn zadd_zscore_zrange() -> TestResult {
    Script::new()
        .step(&["ZADD", "z", "1", "a", "2", "b", "3", "c"], "(integer) 3")
        .step(&["ZADD", "z", "1.5", "a"], "(integer) 0")
        .step(&["ZSCORE", "z", "a"], "\"1.5\"")
        .step(&["ZSCORE", "z", "nomember"], "(nil)")
        .step(&["ZCARD", "z"], "(integer) 3")
        .step(&["ZRANGE", "z", "0", "-1"], "1) \"a\"\n2) \"b\"\n3) \"c\"")
        .step(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "1) \"a\"\n2) \"1.5\"\n3) \"b\"\n4) \"2\"\n5) \"c\"\n6) \"3\"")
        .step(&["ZRANGE", "z", "0", "0", "REV"], "1) \"c\"")
        .step(&["ZREVRANGE", "z", "0", "1"], "1) \"c\"\n2) \"b\"")
        .step(&["ZRANGE", "z", "(1.5", "+inf", "BYSCORE"], "1) \"b\"\n2) \"c\"")
        .step(&["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"], "1) \"c\"\n2) \"b\"")
        .step(&["ZRANGEBYSCORE", "z", "2", "3", "WITHSCORES"], "1) \"b\"\n2) \"2\"\n3) \"c\"\n4) \"3\"")
        .step(&["ZREVRANGEBYSCORE", "z", "+inf", "(2"], "1) \"c\"")
        .step(&["ZCOUNT", "z", "2", "+inf"], "(integer) 2")
        .step(&["ZRANK", "z", "c"], "(integer) 2")
        .step(&["ZREVRANK", "z", "c"], "(integer) 0")
        .step(&["ZRANK", "z", "nomember"], "(nil)")
        .step(&["ZINCRBY", "z", "2", "a"], "\"3.5\"")
        .step(&["ZRANGE", "z", "0", "-1"], "1) \"b\"\n2) \"c\"\n3) \"a\"")
        .step(&["ZMSCORE", "z", "a", "nomember"], "1) \"3.5\"\n2) (nil)")
        .step(&["ZREM", "z", "a", "nomember"], "(integer) 1")
        .step(&["ZADD", "z", "3", "b2"], "(integer) 1")
        .step(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "1) \"b\"\n2) \"2\"\n3) \"b2\"\n4) \"3\"\n5) \"c\"\n6) \"3\"")
        .step(&["ZADD", "z", "inf", "top", "-inf", "bottom"], "(integer) 2")
        .step(&["ZSCORE", "z", "top"], "\"inf\"")
        .step(&["ZSCORE", "z", "bottom"], "\"-inf\"")
        .step(&["ZPOPMIN", "z"], "1) \"bottom\"\n2) \"-inf\"")
        .step(&["ZPOPMAX", "z", "2"], "1) \"top\"\n2) \"inf\"\n3) \"c\"\n4) \"3\"")
        .step(&["ZRANGE", "nokey", "0", "-1"], "(empty array)")
        .run()
}

#[test]
fn zadd_options_and_errors() -> TestResult {
    Script::new()
        .step(&["ZADD", "z", "NX", "1", "a"], "(integer) 1")
        .step(&["ZADD", "z", "NX", "5", "a"], "(integer) 0")
        .step(&["ZADD", "z", "XX", "2", "a", "1", "new"], "(integer) 0")
        .step(&["ZSCORE", "z", "a"], "\"2\"")
        .step(&["ZSCORE", "z", "new"], "(nil)")
        .step(&["ZADD", "z", "CH", "3", "a", "1", "b"], "(integer) 2")
        .step(&["ZADD", "z", "GT", "1", "a"], "(integer) 0")
        .step(&["ZADD", "z", "GT", "CH", "4", "a"], "(integer) 1")
        .step(&["ZADD", "z", "LT", "CH", "5", "a"], "(integer) 0")
        .step(&["ZADD", "z", "INCR", "10", "a"], "\"14\"")
        .step(&["ZADD", "z", "NX", "INCR", "1", "a"], "(nil)")
        .step(&["ZADD", "z", "NX", "XX", "1", "a"], "(error) ERR XX and NX options at the same time are not compatible")
        .step(
            &["ZADD", "z", "GT", "LT", "1", "a"],
            "(error) ERR GT, LT, and/or NX options at the same time are not compatible",
        )
        .step(
            &["ZADD", "z", "INCR", "1", "a", "2", "b"],
            "(error) ERR INCR option supports a single increment-element pair",
        )
        .step(&["ZADD", "z", "x", "a"], "(error) ERR value is not a valid float")
        .step(&["ZADD", "z", "1"], "(error) ERR wrong number of arguments for 'zadd' command")
        .step(&["ZADD", "z", "1", "a", "2"], "(error) ERR syntax error")
        .step(&["ZADD", "z", "nan", "a"], "(error) ERR value is not a valid float")
        .step(&["ZINCRBY", "z", "x", "a"], "(error) ERR value is not a valid float")
        .step(&["ZRANGE", "z", "a", "b"], "(error) ERR value is not an integer or out of range")
        .step(&["ZRANGEBYSCORE", "z", "a", "b"], "(error) ERR min or max is not a float")
        .step(&["SET", "s", "v"], "OK")
        .step(&["ZADD", "s", "1", "a"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .run()
}
