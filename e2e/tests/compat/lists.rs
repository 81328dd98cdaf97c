//! List commands.

use meridian_e2e::Script;

use crate::TestResult;

#[test]
fn push_pop_range() -> TestResult {
    Script::new()
        .step(&["RPUSH", "l", "a", "b", "c"], "(integer) 3")
        .step(&["LPUSH", "l", "y", "z"], "(integer) 5")
        .step(&["LRANGE", "l", "0", "-1"], "1) \"z\"\n2) \"y\"\n3) \"a\"\n4) \"b\"\n5) \"c\"")
        .step(&["LRANGE", "l", "1", "2"], "1) \"y\"\n2) \"a\"")
        .step(&["LRANGE", "l", "-2", "100"], "1) \"b\"\n2) \"c\"")
        .step(&["LRANGE", "l", "3", "1"], "(empty array)")
        .step(&["LRANGE", "nokey", "0", "-1"], "(empty array)")
        .step(&["LLEN", "l"], "(integer) 5")
        .step(&["LLEN", "nokey"], "(integer) 0")
        .step(&["LINDEX", "l", "0"], "\"z\"")
        .step(&["LINDEX", "l", "-1"], "\"c\"")
        .step(&["LINDEX", "l", "10"], "(nil)")
        .step(&["LPOP", "l"], "\"z\"")
        .step(&["RPOP", "l"], "\"c\"")
        .step(&["LPOP", "l", "2"], "1) \"y\"\n2) \"a\"")
        .step(&["RPOP", "l", "5"], "1) \"b\"")
        .step(&["LPOP", "l"], "(nil)")
        .step(&["EXISTS", "l"], "(integer) 0")
        .step(&["LPUSHX", "l", "a"], "(integer) 0")
        .step(&["RPUSHX", "l", "a"], "(integer) 0")
        .step(&["RPUSH", "l", "a"], "(integer) 1")
        .step(&["LPUSHX", "l", "b"], "(integer) 2")
        .step(&["RPUSHX", "l", "c"], "(integer) 3")
        .step(&["LRANGE", "l", "0", "-1"], "1) \"b\"\n2) \"a\"\n3) \"c\"")
        .step(&["RPUSH", "l"], "(error) ERR wrong number of arguments for 'rpush' command")
        .step(&["LRANGE", "l", "a", "1"], "(error) ERR value is not an integer or out of range")
        .run()
}

#[test]
fn set_insert_remove_trim() -> TestResult {
    Script::new()
        .step(&["RPUSH", "l", "a", "b", "a", "c", "a"], "(integer) 5")
        .step(&["LSET", "l", "1", "B"], "OK")
        .step(&["LSET", "l", "-1", "A"], "OK")
        .step(&["LSET", "l", "10", "x"], "(error) ERR index out of range")
        .step(&["LSET", "nokey", "0", "x"], "(error) ERR no such key")
        .step(&["LRANGE", "l", "0", "-1"], "1) \"a\"\n2) \"B\"\n3) \"a\"\n4) \"c\"\n5) \"A\"")
        .step(&["LINSERT", "l", "BEFORE", "c", "X"], "(integer) 6")
        .step(&["LINSERT", "l", "AFTER", "c", "Y"], "(integer) 7")
        .step(&["LINSERT", "l", "AFTER", "nope", "Z"], "(integer) -1")
        .step(&["LINSERT", "nokey", "AFTER", "a", "Z"], "(integer) 0")
        .step(&["LINSERT", "l", "SIDEWAYS", "a", "Z"], "(error) ERR syntax error")
        .step(&["LRANGE", "l", "0", "-1"], "1) \"a\"\n2) \"B\"\n3) \"a\"\n4) \"X\"\n5) \"c\"\n6) \"Y\"\n7) \"A\"")
        .step(&["LREM", "l", "1", "a"], "(integer) 1")
        .step(&["RPUSH", "l", "a", "a"], "(integer) 8")
        .step(&["LREM", "l", "-1", "a"], "(integer) 1")
        .step(&["LREM", "l", "0", "a"], "(integer) 2")
        .step(&["LREM", "l", "0", "nope"], "(integer) 0")
        .step(&["LRANGE", "l", "0", "-1"], "1) \"B\"\n2) \"X\"\n3) \"c\"\n4) \"Y\"\n5) \"A\"")
        .step(&["LPOS", "l", "c"], "(integer) 2")
        .step(&["LPOS", "l", "nope"], "(nil)")
        .step(&["LTRIM", "l", "1", "-2"], "OK")
        .step(&["LRANGE", "l", "0", "-1"], "1) \"X\"\n2) \"c\"\n3) \"Y\"")
        .step(&["LTRIM", "l", "5", "10"], "OK")
        .step(&["EXISTS", "l"], "(integer) 0")
        .run()
}

#[test]
fn move_between_lists() -> TestResult {
    Script::new()
        .step(&["RPUSH", "src", "1", "2", "3"], "(integer) 3")
        .step(&["RPOPLPUSH", "src", "dst"], "\"3\"")
        .step(&["LMOVE", "src", "dst", "LEFT", "RIGHT"], "\"1\"")
        .step(&["LMOVE", "src", "src", "LEFT", "RIGHT"], "\"2\"")
        .step(&["LRANGE", "dst", "0", "-1"], "1) \"3\"\n2) \"1\"")
        .step(&["LMOVE", "nokey", "dst", "LEFT", "LEFT"], "(nil)")
        .step(&["LMOVE", "src", "dst", "UP", "LEFT"], "(error) ERR syntax error")
        .run()
}
