//! String commands: SET and its options, counters, ranges, multi-key forms, error replies.

use meridian_e2e::Script;

use crate::TestResult;

const WRONG_TYPE: &str = "(error) WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER: &str = "(error) ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "(error) ERR value is not a valid float";
const SYNTAX: &str = "(error) ERR syntax error";

#[test]
fn set_and_get() -> TestResult {
    Script::new()
        .step(&["GET", "k"], "(nil)")
        .step(&["SET", "k", "v"], "OK")
        .step(&["GET", "k"], "\"v\"")
        .step(&["SET", "k", "other"], "OK")
        .step(&["GET", "k"], "\"other\"")
        .step(&["SET", "empty", ""], "OK")
        .step(&["GET", "empty"], "\"\"")
        .step(&["STRLEN", "empty"], "(integer) 0")
        .step(&["SET", "quoted", "a\"b\nc\td\\e"], "OK")
        .step(&["GET", "quoted"], "\"a\\\"b\\nc\\td\\\\e\"")
        .step(&["SET", "bytes", "\u{1}\u{7f}"], "OK")
        .step(&["GET", "bytes"], "\"\\x01\\x7f\"")
        .step(&["SET", "spaces in key", "and value"], "OK")
        .step(&["GET", "spaces in key"], "\"and value\"")
        .run()
}

#[test]
fn set_options() -> TestResult {
    Script::new()
        .step(&["SET", "k", "v1"], "OK")
        .step(&["SET", "k", "v2", "NX"], "(nil)")
        .step(&["GET", "k"], "\"v1\"")
        .step(&["SET", "k", "v2", "XX"], "OK")
        .step(&["GET", "k"], "\"v2\"")
        .step(&["SET", "fresh", "v", "nx"], "OK")
        .step(&["SET", "missing", "v", "XX"], "(nil)")
        .step(&["GET", "missing"], "(nil)")
        .step(&["SET", "k", "v3", "GET"], "\"v2\"")
        .step(&["GET", "k"], "\"v3\"")
        .step(&["SET", "new", "v", "GET"], "(nil)")
        .step(&["GET", "new"], "\"v\"")
        .step(&["SET", "k", "v4", "NX", "GET"], "\"v3\"")
        .step(&["GET", "k"], "\"v3\"")
        .step(&["SET", "k", "v5", "XX", "GET"], "\"v3\"")
        .step(&["GET", "k"], "\"v5\"")
        .step(&["SET", "k", "v", "EX", "100"], "OK")
        .step(&["SET", "k", "v", "PX", "100000"], "OK")
        .step(&["SET", "k", "v", "KEEPTTL"], "OK")
        .step(&["SET", "k", "v", "EX", "0"], "(error) ERR invalid expire time in 'set' command")
        .step(&["SET", "k", "v", "PX", "-5"], "(error) ERR invalid expire time in 'set' command")
        .step(&["SET", "k", "v", "EX", "ten"], NOT_INTEGER)
        .step(&["SET", "k", "v", "NX", "XX"], SYNTAX)
        .step(&["SET", "k", "v", "EX", "10", "PX", "100"], SYNTAX)
        .step(&["SET", "k", "v", "KEEPTTL", "EX", "10"], SYNTAX)
        .step(&["SET", "k", "v", "EX"], SYNTAX)
        .step(&["SET", "k", "v", "BOGUS"], SYNTAX)
        .step(&["GET", "k"], "\"v\"")
        .step(&["SETNX", "k", "x"], "(integer) 0")
        .step(&["SETNX", "k2", "x"], "(integer) 1")
        .step(&["GET", "k2"], "\"x\"")
        .run()
}

#[test]
fn counters() -> TestResult {
    Script::new()
        .step(&["INCR", "c"], "(integer) 1")
        .step(&["INCRBY", "c", "10"], "(integer) 11")
        .step(&["DECRBY", "c", "5"], "(integer) 6")
        .step(&["DECR", "c"], "(integer) 5")
        .step(&["INCRBY", "c", "-10"], "(integer) -5")
        .step(&["GET", "c"], "\"-5\"")
        .step(&["SET", "c2", "41"], "OK")
        .step(&["INCR", "c2"], "(integer) 42")
        .step(&["APPEND", "c2", "0"], "(integer) 3")
        .step(&["INCR", "c2"], "(integer) 421")
        .step(&["SET", "max", "9223372036854775807"], "OK")
        .step(&["INCR", "max"], "(error) ERR increment or decrement would overflow")
        .step(&["GET", "max"], "\"9223372036854775807\"")
        .step(&["DECRBY", "c", "-9223372036854775808"], "(error) ERR decrement would overflow")
        .step(&["SET", "min", "-9223372036854775808"], "OK")
        .step(&["DECR", "min"], "(error) ERR increment or decrement would overflow")
        .step(&["SET", "s", "abc"], "OK")
        .step(&["INCR", "s"], NOT_INTEGER)
        .step(&["SET", "lead", "007"], "OK")
        .step(&["INCR", "lead"], NOT_INTEGER)
        .step(&["SET", "space", " 1"], "OK")
        .step(&["INCR", "space"], NOT_INTEGER)
        .step(&["INCRBY", "c", "x"], NOT_INTEGER)
        .step(&["INCRBY", "c", "1.5"], NOT_INTEGER)
        .step(&["INCRBY", "c", "9223372036854775808"], NOT_INTEGER)
        .step(&["GET", "c"], "\"-5\"")
        .run()
}

#[test]
fn incrbyfloat() -> TestResult {
    Script::new()
        .step(&["INCRBYFLOAT", "f", "1.5"], "\"1.5\"")
        .step(&["INCRBYFLOAT", "f", "2.25"], "\"3.75\"")
        .step(&["INCRBYFLOAT", "f", "-3.75"], "\"0\"")
        .step(&["INCRBYFLOAT", "f", "1e2"], "\"100\"")
        .step(&["INCRBYFLOAT", "f", "0.1"], "\"100.1\"")
        .step(&["GET", "f"], "\"100.1\"")
        .step(&["SET", "i", "10"], "OK")
        .step(&["INCRBYFLOAT", "i", "5.0e3"], "\"5010\"")
        .step(&["INCR", "i"], "(integer) 5011")
        .step(&["SET", "lead", "007"], "OK")
        .step(&["INCRBYFLOAT", "lead", "1"], "\"8\"")
        .step(&["SET", "s", "abc"], "OK")
        .step(&["INCRBYFLOAT", "s", "1"], NOT_FLOAT)
        .step(&["INCRBYFLOAT", "f", "x"], NOT_FLOAT)
        .step(&["INCRBYFLOAT", "f", "inf"], "(error) ERR increment would produce NaN or Infinity")
        .step(&["GET", "f"], "\"100.1\"")
        .run()
}

#[test]
fn append_ranges_and_strlen() -> TestResult {
    Script::new()
        .step(&["APPEND", "a", "hello"], "(integer) 5")
        .step(&["APPEND", "a", " world"], "(integer) 11")
        .step(&["GET", "a"], "\"hello world\"")
        .step(&["STRLEN", "a"], "(integer) 11")
        .step(&["STRLEN", "nokey"], "(integer) 0")
        .step(&["GETRANGE", "a", "0", "4"], "\"hello\"")
        .step(&["GETRANGE", "a", "-5", "-1"], "\"world\"")
        .step(&["GETRANGE", "a", "5", "2"], "\"\"")
        .step(&["GETRANGE", "a", "0", "100"], "\"hello world\"")
        .step(&["GETRANGE", "a", "-100", "1"], "\"he\"")
        .step(&["GETRANGE", "nokey", "0", "10"], "\"\"")
        .step(&["GETRANGE", "a", "x", "1"], NOT_INTEGER)
        .step(&["SUBSTR", "a", "0", "0"], "\"h\"")
        .step(&["SETRANGE", "a", "6", "WORLD"], "(integer) 11")
        .step(&["GET", "a"], "\"hello WORLD\"")
        .step(&["SETRANGE", "a", "11", "!"], "(integer) 12")
        .step(&["GET", "a"], "\"hello WORLD!\"")
        .step(&["SETRANGE", "pad", "3", "x"], "(integer) 4")
        .step(&["GET", "pad"], "\"\\x00\\x00\\x00x\"")
        .step(&["SETRANGE", "a", "-1", "x"], "(error) ERR offset is out of range")
        .step(&["SETRANGE", "a", "0", ""], "(integer) 12")
        .step(&["SETRANGE", "nothing", "5", ""], "(integer) 0")
        .step(&["GET", "nothing"], "(nil)")
        .step(
            &["SETRANGE", "a", "536870912", "x"],
            "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )
        .run()
}

#[test]
fn mget_mset_msetnx() -> TestResult {
    Script::new()
        .step(&["MSET", "a", "1", "b", "2", "c", "3"], "OK")
        .step(&["MGET", "a", "b", "c", "nokey"], "1) \"1\"\n2) \"2\"\n3) \"3\"\n4) (nil)")
        .step(&["MSET", "a", "10", "a", "11"], "OK")
        .step(&["GET", "a"], "\"11\"")
        .step(&["MSETNX", "a", "x", "d", "4"], "(integer) 0")
        .step(&["MGET", "a", "d"], "1) \"11\"\n2) (nil)")
        .step(&["MSETNX", "d", "4", "e", "5"], "(integer) 1")
        .step(&["MGET", "d", "e"], "1) \"4\"\n2) \"5\"")
        .step(&["MSET", "a"], "(error) ERR wrong number of arguments for 'mset' command")
        .step(&["MSET", "a", "1", "b"], "(error) ERR wrong number of arguments for 'mset' command")
        .step(&["MSETNX", "a", "1", "b"], "(error) ERR wrong number of arguments for 'msetnx' command")
        .step(&["MGET"], "(error) ERR wrong number of arguments for 'mget' command")
        .run()
}

#[test]
fn getex_getdel_getset() -> TestResult {
    Script::new()
        .step(&["SET", "k", "v"], "OK")
        .step(&["GETDEL", "k"], "\"v\"")
        .step(&["GET", "k"], "(nil)")
        .step(&["GETDEL", "k"], "(nil)")
        .step(&["SET", "k", "v"], "OK")
        .step(&["GETEX", "k"], "\"v\"")
        .step(&["GETEX", "k", "EX", "100"], "\"v\"")
        .step(&["GETEX", "k", "PX", "100000"], "\"v\"")
        .step(&["GETEX", "k", "PERSIST"], "\"v\"")
        .step(&["GETEX", "nokey", "EX", "10"], "(nil)")
        .step(&["GETEX", "k", "EX", "0"], "(error) ERR invalid expire time in 'getex' command")
        .step(&["GETEX", "k", "EX", "x"], NOT_INTEGER)
        .step(&["GETEX", "k", "BOGUS"], SYNTAX)
        .step(&["GETEX", "k", "EX", "10", "PX", "10"], SYNTAX)
        .step(&["GETEX", "k", "PERSIST", "EX", "10"], SYNTAX)
        .step(&["GETSET", "k", "new"], "\"v\"")
        .step(&["GET", "k"], "\"new\"")
        .step(&["GETSET", "nokey", "x"], "(nil)")
        .step(&["GET", "nokey"], "\"x\"")
        .run()
}

#[test]
fn arity_and_unknown_command_errors() -> TestResult {
    Script::new()
        .step(&["GET"], "(error) ERR wrong number of arguments for 'get' command")
        .step(&["GET", "a", "b"], "(error) ERR wrong number of arguments for 'get' command")
        .step(&["SET", "k"], "(error) ERR wrong number of arguments for 'set' command")
        .step(&["INCR"], "(error) ERR wrong number of arguments for 'incr' command")
        .step(&["incrby", "k"], "(error) ERR wrong number of arguments for 'incrby' command")
        .step(&["APPEND", "k"], "(error) ERR wrong number of arguments for 'append' command")
        .step(&["GETRANGE", "k", "0"], "(error) ERR wrong number of arguments for 'getrange' command")
        .step(&["STRLEN"], "(error) ERR wrong number of arguments for 'strlen' command")
        .step(&["GETDEL"], "(error) ERR wrong number of arguments for 'getdel' command")
        .step(&["FOOBAR", "a", "b"], "(error) ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' ")
        .step(&["foobar"], "(error) ERR unknown command 'foobar', with args beginning with: ")
        .run()
}

/// String commands against a list, a hash and a set (needs RPUSH, HSET, SADD).
#[test]
fn wrong_type_errors() -> TestResult {
    Script::new()
        .step(&["RPUSH", "l", "a"], "(integer) 1")
        .step(&["HSET", "h", "f", "v"], "(integer) 1")
        .step(&["SADD", "s", "m"], "(integer) 1")
        .step(&["GET", "l"], WRONG_TYPE)
        .step(&["GET", "h"], WRONG_TYPE)
        .step(&["GET", "s"], WRONG_TYPE)
        .step(&["INCR", "l"], WRONG_TYPE)
        .step(&["INCRBYFLOAT", "l", "1"], WRONG_TYPE)
        .step(&["APPEND", "l", "x"], WRONG_TYPE)
        .step(&["STRLEN", "l"], WRONG_TYPE)
        .step(&["GETRANGE", "l", "0", "1"], WRONG_TYPE)
        .step(&["SETRANGE", "l", "0", "x"], WRONG_TYPE)
        .step(&["GETDEL", "l"], WRONG_TYPE)
        .step(&["GETEX", "l"], WRONG_TYPE)
        .step(&["SET", "l", "x", "GET"], WRONG_TYPE)
        .step(&["MGET", "l", "h", "nokey"], "1) (nil)\n2) (nil)\n3) (nil)")
        .step(&["LPUSH", "h", "x"], WRONG_TYPE)
        .step(&["SET", "l", "now a string"], "OK")
        .step(&["GET", "l"], "\"now a string\"")
        .run()
}
