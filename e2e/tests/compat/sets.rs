//! Set commands.

use meridian_e2e::Script;

use crate::TestResult;

#[test]
fn sadd_srem_members() -> TestResult {
    Script::new()
        .step(&["SADD", "s", "a", "b", "c", "a"], "(integer) 3")
        .step(&["SADD", "s", "a"], "(integer) 0")
        .step(&["SCARD", "s"], "(integer) 3")
        .step(&["SCARD", "nokey"], "(integer) 0")
        .step(&["SISMEMBER", "s", "a"], "(integer) 1")
        .step(&["SISMEMBER", "s", "z"], "(integer) 0")
        .step(&["SMISMEMBER", "s", "a", "z", "c"], "1) (integer) 1\n2) (integer) 0\n3) (integer) 1")
        .sorted(&["SMEMBERS", "s"], "1) \"a\"\n2) \"b\"\n3) \"c\"")
        .step(&["SMEMBERS", "nokey"], "(empty array)")
        .step(&["SREM", "s", "a", "z"], "(integer) 1")
        .sorted(&["SMEMBERS", "s"], "1) \"b\"\n2) \"c\"")
        .sorted(&["SRANDMEMBER", "s", "10"], "1) \"b\"\n2) \"c\"")
        .step(&["SRANDMEMBER", "nokey"], "(nil)")
        .step(&["SMOVE", "s", "t", "b"], "(integer) 1")
        .step(&["SMOVE", "s", "t", "nomember"], "(integer) 0")
        .sorted(&["SMEMBERS", "t"], "1) \"b\"")
        .sorted(&["SPOP", "s", "5"], "1) \"c\"")
        .step(&["EXISTS", "s"], "(integer) 0")
        .step(&["SPOP", "s"], "(nil)")
        .step(&["SADD", "s"], "(error) ERR wrong number of arguments for 'sadd' command")
        .step(&["SET", "str", "v"], "OK")
        .step(&["SADD", "str", "m"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .run()
}

#[test]
fn set_algebra() -> TestResult {
    Script::new()
        .step(&["SADD", "a", "1", "2", "3", "4"], "(integer) 4")
        .step(&["SADD", "b", "3", "4", "5"], "(integer) 3")
        .sorted(&["SINTER", "a", "b"], "1) \"3\"\n2) \"4\"")
        .sorted(&["SUNION", "a", "b"], "1) \"1\"\n2) \"2\"\n3) \"3\"\n4) \"4\"\n5) \"5\"")
        .sorted(&["SDIFF", "a", "b"], "1) \"1\"\n2) \"2\"")
        .step(&["SINTER", "a", "nokey"], "(empty array)")
        .step(&["SINTERCARD", "2", "a", "b"], "(integer) 2")
        .step(&["SINTERCARD", "2", "a", "b", "LIMIT", "1"], "(integer) 1")
        .step(&["SINTERSTORE", "i", "a", "b"], "(integer) 2")
        .sorted(&["SMEMBERS", "i"], "1) \"3\"\n2) \"4\"")
        .step(&["SUNIONSTORE", "u", "a", "b"], "(integer) 5")
        .step(&["SDIFFSTORE", "d", "a", "b"], "(integer) 2")
        .sorted(&["SMEMBERS", "d"], "1) \"1\"\n2) \"2\"")
        .step(&["SDIFFSTORE", "d", "nokey", "a"], "(integer) 0")
        .step(&["EXISTS", "d"], "(integer) 0")
        .run()
}
