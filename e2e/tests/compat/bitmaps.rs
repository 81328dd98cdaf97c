//! Bitmap commands and LCS side by side with redis-server: SETBIT, GETBIT, BITCOUNT,
//! BITPOS, BITOP, BITFIELD, BITFIELD_RO, LCS, and the string size limits, error texts included.

use meridian_e2e::Script;

use crate::TestResult;

#[test]
fn setbit_and_getbit() -> TestResult {
    Script::new()
        .step(&["SETBIT", "k", "7", "1"], "(integer) 0")
        .step(&["SETBIT", "k", "7", "1"], "(integer) 1")
        .step(&["GET", "k"], "\"\\x01\"")
        .step(&["SETBIT", "k", "1", "1"], "(integer) 0")
        .step(&["GET", "k"], "\"A\"")
        .step(&["SETBIT", "k", "7", "0"], "(integer) 1")
        .step(&["GETBIT", "k", "1"], "(integer) 1")
        .step(&["GETBIT", "k", "7"], "(integer) 0")
        .step(&["GETBIT", "k", "100"], "(integer) 0")
        .step(&["GETBIT", "none", "0"], "(integer) 0")
        .step(&["SETBIT", "k", "20", "1"], "(integer) 0")
        .step(&["STRLEN", "k"], "(integer) 3")
        .step(&["GET", "k"], "\"@\\x00\\b\"")
        .step(&["GETBIT", "k", "4294967295"], "(integer) 0")
        .step(&["GETBIT", "k", "4294967296"], "(error) ERR bit offset is not an integer or out of range")
        .step(&["SETBIT", "k", "4294967296", "1"], "(error) ERR bit offset is not an integer or out of range")
        .step(&["SETBIT", "k", "-1", "1"], "(error) ERR bit offset is not an integer or out of range")
        .step(&["SETBIT", "k", "x", "1"], "(error) ERR bit offset is not an integer or out of range")
        .step(&["SETBIT", "k", "0", "2"], "(error) ERR bit is not an integer or out of range")
        .step(&["SETBIT", "k", "0", "-1"], "(error) ERR bit is not an integer or out of range")
        .step(&["SETBIT", "k", "0", "x"], "(error) ERR bit is not an integer or out of range")
        .step(&["SETBIT", "k", "#1", "1"], "(error) ERR bit offset is not an integer or out of range")
        .step(&["LPUSH", "l", "a"], "(integer) 1")
        .step(&["SETBIT", "l", "0", "1"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["GETBIT", "l", "0"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["SETBIT", "k", "1"], "(error) ERR wrong number of arguments for 'setbit' command")
        .step(&["GETBIT", "k"], "(error) ERR wrong number of arguments for 'getbit' command")
        .run()
}

#[test]
fn bitcount() -> TestResult {
    Script::new()
        .step(&["SET", "k", "foobar"], "OK")
        .step(&["BITCOUNT", "k"], "(integer) 26")
        .step(&["BITCOUNT", "k", "0", "0"], "(integer) 4")
        .step(&["BITCOUNT", "k", "1", "1"], "(integer) 6")
        .step(&["BITCOUNT", "k", "1", "1", "BYTE"], "(integer) 6")
        .step(&["BITCOUNT", "k", "5", "30", "BIT"], "(integer) 17")
        .step(&["BITCOUNT", "k", "5", "30", "bit"], "(integer) 17")
        .step(&["BITCOUNT", "k", "-2", "-1"], "(integer) 7")
        .step(&["BITCOUNT", "k", "-1", "-2"], "(integer) 0")
        .step(&["BITCOUNT", "k", "-100", "100"], "(integer) 26")
        .step(&["BITCOUNT", "k", "3", "1"], "(integer) 0")
        .step(&["BITCOUNT", "k", "-8", "-3", "BIT"], "(integer) 3")
        .step(&["BITCOUNT", "k", "0"], "(error) ERR syntax error")
        .step(&["BITCOUNT", "k", "0", "1", "bits"], "(error) ERR syntax error")
        .step(&["BITCOUNT", "k", "a", "1"], "(error) ERR value is not an integer or out of range")
        .step(&["BITCOUNT", "k", "0", "1", "BIT", "x"], "(error) ERR syntax error")
        .step(&["BITCOUNT", "none"], "(integer) 0")
        .step(&["BITCOUNT", "none", "0", "1"], "(integer) 0")
        .step(&["SET", "empty", ""], "OK")
        .step(&["BITCOUNT", "empty"], "(integer) 0")
        .step(&["BITCOUNT", "empty", "0", "-1", "BIT"], "(integer) 0")
        .step(&["LPUSH", "l", "a"], "(integer) 1")
        .step(&["BITCOUNT", "l"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["BITCOUNT"], "(error) ERR wrong number of arguments for 'bitcount' command")
        .run()
}

#[test]
fn bitpos() -> TestResult {
    Script::new()
        .step(&["BITFIELD", "k", "SET", "u24", "0", "16773120"], "1) (integer) 0")
        .step(&["BITPOS", "k", "0"], "(integer) 12")
        .step(&["BITPOS", "k", "1"], "(integer) 0")
        .step(&["BITPOS", "k", "1", "2"], "(integer) -1")
        .step(&["BITPOS", "k", "0", "1"], "(integer) 12")
        .step(&["BITPOS", "k", "1", "7", "15", "BIT"], "(integer) 7")
        .step(&["BITPOS", "k", "0", "0", "0"], "(integer) -1")
        .step(&["BITPOS", "k", "0", "0", "11", "BIT"], "(integer) -1")
        .step(&["BITPOS", "k", "0", "0", "12", "bit"], "(integer) 12")
        .step(&["BITPOS", "k", "1", "-1"], "(integer) -1")
        .step(&["BITPOS", "k", "0", "-1", "-1"], "(integer) 16")
        .step(&["BITPOS", "k", "1", "3", "2"], "(integer) -1")
        .step(&["BITPOS", "k", "1", "1", "-1", "BYTE"], "(integer) 8")
        .step(&["BITFIELD", "ones", "SET", "u16", "0", "65535"], "1) (integer) 0")
        .step(&["BITPOS", "ones", "0"], "(integer) 16")
        .step(&["BITPOS", "ones", "0", "0", "-1"], "(integer) -1")
        .step(&["BITPOS", "ones", "0", "1"], "(integer) 16")
        .step(&["BITPOS", "ones", "1", "9", "14", "BIT"], "(integer) 9")
        .step(&["BITPOS", "ones", "0", "9", "14", "BIT"], "(integer) -1")
        .step(&["BITPOS", "none", "0"], "(integer) 0")
        .step(&["BITPOS", "none", "1"], "(integer) -1")
        .step(&["SET", "empty", ""], "OK")
        .step(&["BITPOS", "empty", "0"], "(integer) -1")
        .step(&["BITPOS", "empty", "1"], "(integer) -1")
        .step(&["BITPOS", "k", "2"], "(error) ERR The bit argument must be 1 or 0.")
        .step(&["BITPOS", "k", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["BITPOS", "k", "1", "0", "1", "x"], "(error) ERR syntax error")
        .step(&["BITPOS", "k", "1", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["BITPOS", "k", "1", "0", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["LPUSH", "l", "a"], "(integer) 1")
        .step(&["BITPOS", "l", "1"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["BITPOS", "k"], "(error) ERR wrong number of arguments for 'bitpos' command")
        .run()
}

#[test]
fn bitop() -> TestResult {
    Script::new()
        .step(&["SET", "a", "abc"], "OK")
        .step(&["SET", "b", "a"], "OK")
        .step(&["BITOP", "AND", "d", "a", "b"], "(integer) 3")
        .step(&["GET", "d"], "\"a\\x00\\x00\"")
        .step(&["BITOP", "or", "d", "a", "none"], "(integer) 3")
        .step(&["GET", "d"], "\"abc\"")
        .step(&["BITOP", "XOR", "d", "a", "a", "b"], "(integer) 3")
        .step(&["GET", "d"], "\"a\\x00\\x00\"")
        .step(&["BITOP", "NOT", "d", "b"], "(integer) 1")
        .step(&["GET", "d"], "\"\\x9e\"")
        .step(&["EXPIRE", "d", "100"], "(integer) 1")
        .step(&["BITOP", "OR", "d", "a"], "(integer) 3")
        .step(&["TTL", "d"], "(integer) -1")
        .step(&["BITOP", "AND", "d", "none"], "(integer) 0")
        .step(&["EXISTS", "d"], "(integer) 0")
        .step(&["BITOP", "AND", "d", "none"], "(integer) 0")
        .step(&["BITOP", "NOT", "d", "a", "b"], "(error) ERR BITOP NOT must be called with a single source key.")
        .step(&["BITOP", "NAND", "d", "a"], "(error) ERR syntax error")
        .step(&["LPUSH", "l", "x"], "(integer) 1")
        .step(
            &["BITOP", "AND", "d", "a", "l"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(&["BITOP", "OR", "l", "a"], "(integer) 3")
        .step(&["TYPE", "l"], "string")
        .step(&["BITOP", "AND", "d"], "(error) ERR wrong number of arguments for 'bitop' command")
        .run()
}

#[test]
fn bitfield() -> TestResult {
    Script::new()
        .step(&["BITFIELD", "k", "SET", "i8", "0", "100", "GET", "i8", "0"], "1) (integer) 0\n2) (integer) 100")
        .step(&["BITFIELD", "k", "INCRBY", "i8", "0", "100"], "1) (integer) -56")
        .step(
            &[
                "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-200", "OVERFLOW", "FAIL", "INCRBY", "i8",
                "0", "-1",
            ],
            "1) (integer) -128\n2) (nil)",
        )
        .step(
            &["BITFIELD", "k", "SET", "u4", "#1", "15", "GET", "u4", "4", "GET", "u4", "#1"],
            "1) (integer) 0\n2) (integer) 15\n3) (integer) 15",
        )
        .step(&["BITFIELD", "k", "INCRBY", "u2", "100", "5"], "1) (integer) 1")
        .step(&["STRLEN", "k"], "(integer) 13")
        .step(&["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "0", "-1"], "1) (integer) 143")
        .step(
            &["BITFIELD", "k", "OVERFLOW", "WRAP", "SET", "i4", "0", "100", "GET", "i4", "0"],
            "1) (integer) -1\n2) (integer) 4",
        )
        .step(
            &["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "9223372036854775807", "GET", "u63", "0"],
            "1) (integer) 9223372036854775807\n2) (integer) 9223372036854775807",
        )
        .step(
            &["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i63", "0", "-9223372036854775808", "GET", "i63", "0"],
            "1) (integer) -1\n2) (integer) 4611686018427387903",
        )
        .step(
            &[
                "BITFIELD",
                "k",
                "INCRBY",
                "i64",
                "0",
                "9223372036854775807",
                "INCRBY",
                "i64",
                "0",
                "9223372036854775807",
            ],
            "1) (integer) -3\n2) (integer) 9223372036854775804",
        )
        .step(
            &["BITFIELD", "k", "OVERFLOW", "fail", "INCRBY", "u1", "0", "1", "INCRBY", "u1", "0", "1"],
            "1) (integer) 1\n2) (nil)",
        )
        .step(
            &["BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i64", "0", "GET", "u1", "1000"],
            "1) (integer) 255\n2) (integer) -4\n3) (integer) 0",
        )
        .step(&["BITFIELD", "k", "GET", "i64", "0"], "1) (integer) -4")
        .step(&["GET", "k"], "\"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\x00\\x00\\x00\\x00\\x04\"")
        .step(&["BITFIELD", "none", "GET", "u8", "0"], "1) (integer) 0")
        .step(&["EXISTS", "none"], "(integer) 0")
        .step(&["BITFIELD", "k"], "(empty array)")
        .step(&["BITFIELD_RO", "k"], "(empty array)")
        .step(&["BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"], "1) (nil)")
        .step(&["GET", "f"], "\"\\x00\"")
        .step(
            &["BITFIELD", "k", "GET", "u64", "0"],
            "(error) ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
        .step(
            &["BITFIELD", "k", "GET", "i65", "0"],
            "(error) ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
        .step(
            &["BITFIELD", "k", "GET", "i0", "0"],
            "(error) ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
        .step(
            &["BITFIELD", "k", "GET", "I8", "0"],
            "(error) ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
        .step(
            &["BITFIELD", "k", "GET", "u", "0"],
            "(error) ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
        .step(&["BITFIELD", "k", "GET", "u8"], "(error) ERR syntax error")
        .step(&["BITFIELD", "k", "FOO", "u8", "0"], "(error) ERR syntax error")
        .step(&["BITFIELD", "k", "OVERFLOW", "x"], "(error) ERR Invalid OVERFLOW type specified")
        .step(&["BITFIELD", "k", "OVERFLOW"], "(error) ERR syntax error")
        .step(&["BITFIELD", "k", "GET", "u8", "4294967296"], "(error) ERR bit offset is not an integer or out of range")
        .step(
            &["BITFIELD", "k", "SET", "u8", "#536870912", "1"],
            "(error) ERR bit offset is not an integer or out of range",
        )
        .step(&["BITFIELD", "k", "GET", "u8", "#-1"], "(error) ERR bit offset is not an integer or out of range")
        .step(&["BITFIELD", "k", "SET", "u8", "0", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["BITFIELD", "k", "INCRBY", "u8", "0", "1.5"], "(error) ERR value is not an integer or out of range")
        .step(&["BITFIELD_RO", "k", "SET", "u8", "0", "1"], "(error) ERR BITFIELD_RO only supports the GET subcommand")
        .step(
            &["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"],
            "(error) ERR BITFIELD_RO only supports the GET subcommand",
        )
        .step(&["BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"], "1) (integer) 255")
        .step(&["LPUSH", "l", "a"], "(integer) 1")
        .step(
            &["BITFIELD", "l", "GET", "u8", "0"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(
            &["BITFIELD", "l", "SET", "u8", "0", "1"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(&["BITFIELD"], "(error) ERR wrong number of arguments for 'bitfield' command")
        .run()
}

#[test]
fn lcs() -> TestResult {
    Script::new()
        .step(&["MSET", "key1", "ohmytext", "key2", "mynewtext"], "OK")
        .step(&["LCS", "key1", "key2"], "\"mytext\"")
        .step(&["LCS", "key1", "key2", "LEN"], "(integer) 6")
        .step(&["LCS", "key1", "key2", "IDX"], "1) \"matches\"\n2) 1) 1) 1) (integer) 4\n         2) (integer) 7\n      2) 1) (integer) 5\n         2) (integer) 8\n   2) 1) 1) (integer) 2\n         2) (integer) 3\n      2) 1) (integer) 0\n         2) (integer) 1\n3) \"len\"\n4) (integer) 6")
        .step(&["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"], "1) \"matches\"\n2) 1) 1) 1) (integer) 4\n         2) (integer) 7\n      2) 1) (integer) 5\n         2) (integer) 8\n3) \"len\"\n4) (integer) 6")
        .step(&["LCS", "key1", "key2", "idx", "minmatchlen", "4", "withmatchlen"], "1) \"matches\"\n2) 1) 1) 1) (integer) 4\n         2) (integer) 7\n      2) 1) (integer) 5\n         2) (integer) 8\n      3) (integer) 4\n3) \"len\"\n4) (integer) 6")
        .step(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "-5"], "1) \"matches\"\n2) 1) 1) 1) (integer) 4\n         2) (integer) 7\n      2) 1) (integer) 5\n         2) (integer) 8\n      3) (integer) 4\n   2) 1) 1) (integer) 2\n         2) (integer) 3\n      2) 1) (integer) 0\n         2) (integer) 1\n      3) (integer) 2\n3) \"len\"\n4) (integer) 6")
        .step(&["LCS", "key1", "none"], "\"\"")
        .step(&["LCS", "none", "none", "LEN"], "(integer) 0")
        .step(&["LCS", "key1", "key2", "LEN", "IDX"], "(error) ERR If you want both the length and indexes, please just use IDX.")
        .step(&["LCS", "key1", "key2", "MINMATCHLEN"], "(error) ERR syntax error")
        .step(&["LCS", "key1", "key2", "MINMATCHLEN", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["LCS", "key1", "key2", "FOO"], "(error) ERR syntax error")
        .step(&["MSET", "a", "aaaa", "b", "aa"], "OK")
        .step(&["LCS", "a", "b", "IDX"], "1) \"matches\"\n2) 1) 1) 1) (integer) 2\n         2) (integer) 3\n      2) 1) (integer) 0\n         2) (integer) 1\n3) \"len\"\n4) (integer) 2")
        .step(&["SET", "c", "abcabc"], "OK")
        .step(&["SET", "d", "cbacba"], "OK")
        .step(&["LCS", "c", "d"], "\"cbc\"")
        .step(&["LCS", "c", "d", "IDX", "WITHMATCHLEN"], "1) \"matches\"\n2) 1) 1) 1) (integer) 5\n         2) (integer) 5\n      2) 1) (integer) 3\n         2) (integer) 3\n      3) (integer) 1\n   2) 1) 1) (integer) 4\n         2) (integer) 4\n      2) 1) (integer) 1\n         2) (integer) 1\n      3) (integer) 1\n   3) 1) 1) (integer) 2\n         2) (integer) 2\n      2) 1) (integer) 0\n         2) (integer) 0\n      3) (integer) 1\n3) \"len\"\n4) (integer) 3")
        .step(&["SADD", "s", "x"], "(integer) 1")
        .step(&["LCS", "key1", "s"], "(error) ERR The specified keys must contain string values")
        .step(&["LCS", "key1"], "(error) ERR wrong number of arguments for 'lcs' command")
        .run()
}

/// The limits, without building a 512 MB string on a shared machine: only the refusals.
#[test]
fn string_size_limits() -> TestResult {
    let too_big = "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    let bad_offset = "(error) ERR bit offset is not an integer or out of range";
    Script::new()
        .step(&["SETRANGE", "k", "536870912", "x"], too_big)
        .step(&["SETRANGE", "k", "536870911", "xy"], too_big)
        .step(&["SETRANGE", "k", "9223372036854775807", "x"], too_big)
        .step(&["SETRANGE", "k", "536870912", ""], "(integer) 0")
        .step(&["SETRANGE", "k", "-1", "x"], "(error) ERR offset is out of range")
        .step(&["SETBIT", "k", "4294967296", "1"], bad_offset)
        .step(&["SETBIT", "k", "18446744073709551616", "1"], bad_offset)
        .step(&["GETBIT", "k", "4294967296"], bad_offset)
        .step(&["BITFIELD", "k", "SET", "i64", "#67108864", "1"], bad_offset)
        .step(&["EXISTS", "k"], "(integer) 0")
        .run()
}
