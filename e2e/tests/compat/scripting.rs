//! Lua scripting side by side with redis-server: the conversion rules both ways, errors
//! raised by scripts (with the script's SHA and line), the sandbox, EVALSHA and the script
//! cache, read-only scripts, and an endless script stopped by SCRIPT KILL while other
//! clients get -BUSY. Expected replies are redis-server 7.0's.

use std::time::Duration;

use meridian_e2e::{Conn, Script, SideBySide};

use crate::TestResult;

/// An endless script: only SCRIPT KILL stops it.
const ENDLESS: &str = "local i = 0 while true do i = i + 1 end";
/// How long past the busy threshold the test waits before asking the others' view.
const PAST_THRESHOLD: Duration = Duration::from_millis(400);

/// A script that loops forever makes other clients get -BUSY once it has run past
/// `busy-reply-threshold`; SCRIPT KILL stops it (its client gets the kill error), after
/// which SCRIPT KILL answers NOTBUSY and the server serves everyone again.
#[test]
fn script_kill_stops_an_endless_script() -> TestResult {
    let servers = SideBySide::start()?;
    let expected = [
        "OK",
        "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        "OK",
        "(error) ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.",
        "(error) NOTBUSY No scripts in execution right now.",
        "PONG",
        "(integer) 1",
    ];
    servers.expect(&expected, |port| {
        let mut runner = Conn::open(port)?;
        let mut other = Conn::open(port)?;
        let mut t = vec![other.call(&["CONFIG", "SET", "busy-reply-threshold", "100"])?];
        runner.send(&["EVAL", ENDLESS, "0"])?;
        std::thread::sleep(PAST_THRESHOLD);
        t.push(other.call(&["GET", "k"])?);
        t.push(other.call(&["SCRIPT", "KILL"])?);
        t.push(runner.recv()?);
        t.push(other.call(&["SCRIPT", "KILL"])?);
        t.push(other.call(&["PING"])?);
        t.push(runner.call(&["EVAL", "return 1", "0"])?);
        Ok(t)
    });
    Ok(())
}

/// Lua → reply: numbers truncate, false is nil, arrays stop at the first nil, status and error tables, nesting.
#[test]
fn lua_values_become_replies() -> TestResult {
    Script::new()
        .step(&["EVAL", "return 1", "0"], "(integer) 1")
        .step(&["EVAL", "return 3.99", "0"], "(integer) 3")
        .step(&["EVAL", "return -3.99", "0"], "(integer) -3")
        .step(&["EVAL", "return 1.5e20", "0"], "(integer) -9223372036854775808")
        .step(&["EVAL", "return 'text'", "0"], "\"text\"")
        .step(&["EVAL", "return true", "0"], "(integer) 1")
        .step(&["EVAL", "return false", "0"], "(nil)")
        .step(&["EVAL", "return nil", "0"], "(nil)")
        .step(&["EVAL", "return {1,2,3.9,'a',nil,4}", "0"], "1) (integer) 1\n2) (integer) 2\n3) (integer) 3\n4) \"a\"")
        .step(&["EVAL", "return {1, {2, {3}}, 'x', true, false, 4}", "0"], "1) (integer) 1\n2) 1) (integer) 2\n   2) 1) (integer) 3\n3) \"x\"\n4) (integer) 1\n5) (nil)\n6) (integer) 4")
        .step(&["EVAL", "return {ok='fine'}", "0"], "fine")
        .step(&["EVAL", "return {err='My Error'}", "0"], "(error) My Error")
        .step(&["EVAL", "return {err='-My Error'}", "0"], "(error) -My Error")
        .step(&["EVAL", "return {ok=1}", "0"], "(empty array)")
        .step(&["EVAL", "return {1, {err='x'}, {ok='y'}}", "0"], "1) (integer) 1\n2) (error) x\n3) y")
        .step(&["EVAL", "return {ok='x', err='y'}", "0"], "(error) y")
        .step(&["EVAL", "local t = {} t[1]=1 t[3]=3 return t", "0"], "1) (integer) 1")
        .step(&["EVAL", "return redis.status_reply('FINE')", "0"], "FINE")
        .step(&["EVAL", "return redis.error_reply('x')", "0"], "(error) ERR x")
        .step(&["EVAL", "return redis.error_reply('-x')", "0"], "(error) ERR x")
        .step(&["EVAL", "return redis.error_reply('MY code')", "0"], "(error) MY code")
        .step(&["EVAL", "return redis.error_reply('-MY code')", "0"], "(error) MY code")
        .step(&["EVAL", "return 1, 2", "0"], "(integer) 1")
        .run()
}

/// Reply → Lua: integers, bulk, nil as false, status and error tables, arrays; KEYS and ARGV.
#[test]
fn replies_become_lua_values() -> TestResult {
    Script::new()
        .step(&["EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"], "OK")
        .step(&["EVAL", "return redis.call('get', KEYS[1])", "1", "k"], "\"v\"")
        .step(&["EVAL", "return type(redis.call('get','nokey'))", "0"], "\"boolean\"")
        .step(&["EVAL", "return redis.call('get','nokey')", "0"], "(nil)")
        .step(&["EVAL", "return redis.call('incr','n')", "0"], "(integer) 1")
        .step(&["EVAL", "return type(redis.call('incr','n'))", "0"], "\"number\"")
        .step(&["EVAL", "return redis.call('set','x','1')['ok']", "0"], "\"OK\"")
        .step(
            &["EVAL", "return redis.pcall('lpush','k','x')['err']", "0"],
            "\"WRONGTYPE Operation against a key holding the wrong kind of value\"",
        )
        .step(&["EVAL", "return redis.call('hgetall','nokey')", "0"], "(empty array)")
        .step(
            &["EVAL", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "2", "a", "b", "c", "d"],
            "1) \"a\"\n2) \"c\"\n3) (integer) 2\n4) (integer) 2",
        )
        .step(&["EVAL", "return redis.call('set','f', 3.7)", "0"], "OK")
        .step(&["EVAL", "return redis.call('get','f')", "0"], "\"3.7000000000000002\"")
        .step(&["EVAL", "return redis.call('set','i', 10)", "0"], "OK")
        .step(&["EVAL", "return redis.call('get','i')", "0"], "\"10\"")
        .step(&["EVAL", "return redis.call('ping')", "0"], "PONG")
        .step(
            &["EVAL", "redis.call('rpush','l','a','b') return redis.call('lrange','l',0,-1)", "0"],
            "1) \"a\"\n2) \"b\"",
        )
        .step(&["EVAL", "return redis.sha1hex('')", "0"], "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\"")
        .step(&["EVAL", "return redis.sha1hex('abc')", "0"], "\"a9993e364706816aba3e25717850c26c9cd0d89d\"")
        .step(&["EVAL", "return redis.log(redis.LOG_WARNING, 'hello')", "0"], "(nil)")
        .step(
            &["EVAL", "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", "0"],
            "1) (integer) 0\n2) (integer) 1\n3) (integer) 2\n4) (integer) 3",
        )
        .step(&["EVAL", "return redis.setresp(3)", "0"], "(nil)")
        .step(&["EVAL", "return string.format('%d-%s', 3, 'x')", "0"], "\"3-x\"")
        .step(&["EVAL", "return loadstring('return 1')()", "0"], "(integer) 1")
        .step(&["EVAL", "#!lua\nreturn 1", "0"], "(integer) 1")
        .step(
            &["EVAL", "local ok, e = pcall(redis.call, 'lpush','k','x'); return {ok, e}", "0"],
            "1) (nil)\n2) \"WRONGTYPE Operation against a key holding the wrong kind of value\"",
        )
        .step(&["EVAL", "return {pcall(error, {err='x'})}", "0"], "1) (nil)\n2) \"x\"")
        .step(&["EVAL", "return redis.pcall('nosuch')", "0"], "(error) ERR Unknown Redis command called from script")
        .run()
}

/// Errors raised by scripts, as Redis 7.0 words them, with the script's SHA and line.
#[test]
fn script_errors() -> TestResult {
    Script::new()
        .step(&["EVAL", "return error('boom')", "0"], "(error) ERR user_script:1: boom script: 57b11f4c6516f4ef2661c6423451796106f8393a, on @user_script:1.")
        .step(&["EVAL", "\n\nerror('x')", "0"], "(error) ERR user_script:3: x script: ba81d70ce9cabd5079660943de6e37ccc74e6f22, on @user_script:3.")
        .step(&["EVAL", "error(5)", "0"], "(error) ERR user_script:1: 5 script: 007feaf5de074afe3398416376e34525ad911752, on @user_script:1.")
        .step(&["EVAL", "error()", "0"], "(error) ERR nil script: aca90d914519fdb9825352bdc0befb59f7c8510f, on @user_script:1.")
        .step(&["EVAL", "error({err='custom'})", "0"], "(error) custom script: 4096e5e084bef2edada1a62795cec3203051bcfa, on @user_script:1.")
        .step(&["EVAL", "return 'x' .. nil", "0"], "(error) ERR user_script:1: attempt to concatenate a nil value script: 71c5242a1158ef24ab3c1a4ca18151dbb975097e, on @user_script:1.")
        .step(&["EVAL", "local x = nil; return x.y", "0"], "(error) ERR user_script:1: attempt to index local 'x' (a nil value) script: cf0efd7895bbde8aab6ffbb44ec6bca4bd5ef4c3, on @user_script:1.")
        .step(&["EVAL", "return redis.call('nosuch')", "0"], "(error) ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.")
        .step(&["EVAL", "return redis.call('incr','a','b')", "0"], "(error) ERR Wrong number of args calling Redis command from script script: 6eba4e311779d6008f131fae6b48c40f8247503f, on @user_script:1.")
        .step(&["EVAL", "return redis.call('get')", "0"], "(error) ERR Wrong number of args calling Redis command from script script: f187dee77f607f7cff00bbabc9df38507582c78d, on @user_script:1.")
        .step(&["EVAL", "return redis.call()", "0"], "(error) ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.")
        .step(&["EVAL", "return redis.call({})", "0"], "(error) ERR Lua redis lib command arguments must be strings or integers script: 80747816df1f4411f7c442b928fce6a814214839, on @user_script:1.")
        .step(&["EVAL", "return redis.call('set', 'k', true)", "0"], "(error) ERR Lua redis lib command arguments must be strings or integers script: 237d62ddcda195046454c4a222fde213ea590b11, on @user_script:1.")
        .step(&["EVAL", "redis.call('set','k','v') return redis.call('lpush','k','x')", "0"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value script: 1055d69229b6d473718471962eff0cd2f8d14fe8, on @user_script:1.")
        .step(&["EVAL", "local function f() redis.call('lpush','k','x') end\n\nf()", "0"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value script: 771cb67cc14c1013479136c6d255c07b5b9657e0, on @user_script:1.")
        .step(&["EVAL", "local ok, e = pcall(redis.call,'lpush','k','x'); error(e)", "0"], "(error) ERR user_script:1: WRONGTYPE Operation against a key holding the wrong kind of value script: 3981e177984745b73cb358bf25d3672dcd26ce8f, on @user_script:1.")
        .step(&["EVAL", "return redis.call('multi')", "0"], "(error) ERR This Redis command is not allowed from script script: c329a1a294be6bf95b44144f7502610661ae925a, on @user_script:1.")
        .step(&["EVAL", "return redis.call('eval','return 1','0')", "0"], "(error) ERR This Redis command is not allowed from script script: 1e5046f3a9119d3dc9cf5824428b6d9fedd305d2, on @user_script:1.")
        .step(&["EVAL", "return redis.call('blpop','l','0')", "0"], "(error) ERR This Redis command is not allowed from script script: 2a6b57eaef17d5b7ab0c7348b41247bf42730aa1, on @user_script:1.")
        .step(&["EVAL", "return redis.call('subscribe','c')", "0"], "(error) ERR This Redis command is not allowed from script script: 7f02cffe90778c7abbcc0c8698c70a4ab5da2c45, on @user_script:1.")
        .step(&["EVAL", "return redis.call('watch','k')", "0"], "(error) ERR This Redis command is not allowed from script script: 1ff9e82229298bc0f220076655825af1b563e291, on @user_script:1.")
        .step(&["EVAL", "return redis.call('script','load','return 1')", "0"], "(error) ERR This Redis command is not allowed from script script: e884fdd1089d33f7e88d638d04f7355ac44786c2, on @user_script:1.")
        .step(&["EVAL", "local r = redis.sha1hex() return r", "0"], "(error) ERR wrong number of arguments script: f15710c7c208a33cd669f303b82f089b02302767, on @user_script:1.")
        .step(&["EVAL", "local r = redis.log(99, 'hi') return r", "0"], "(error) ERR Invalid debug level. script: 79a0ac53b527076f5e645d5dc52e696d4e103eb6, on @user_script:1.")
        .step(&["EVAL", "local r = redis.log(1) return r", "0"], "(error) ERR redis.log() requires two arguments or more. script: b83d02727f6f92abea37fae84177c73ad4a89f9b, on @user_script:1.")
        .step(&["EVAL", "local r = redis.setresp(4) return r", "0"], "(error) ERR RESP version must be 2 or 3. script: fad7fe91723a0899fe6777b1491f8fe403258ca7, on @user_script:1.")
        .step(&["EVAL", "return redis.error_reply()", "0"], "(error) ERR wrong number or type of arguments")
        .step(&["EVAL", "return 'abc", "0"], "(error) ERR Error compiling script (new function): user_script:1: unfinished string near '<eof>'")
        .step(&["EVAL", "return 1", "2", "a"], "(error) ERR Number of keys can't be greater than number of args")
        .step(&["EVAL", "return 1", "-1"], "(error) ERR Number of keys can't be negative")
        .step(&["EVAL", "return 1", "x"], "(error) ERR value is not an integer or out of range")
        .step(&["EVAL", "return 1"], "(error) ERR wrong number of arguments for 'eval' command")
        .step(&["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"], "(error) ERR wrong number of arguments for 'evalsha' command")
        .run()
}

/// The sandbox: no os, io, loadfile, dofile or print; globals and libraries are read-only.
#[test]
fn sandbox() -> TestResult {
    Script::new()
        .step(&["EVAL", "return os", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: f03b5ad6e7d58786b6a5e879efbea4a4408f5c2f, on @user_script:1.")
        .step(&["EVAL", "return io", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'io' script: badfe324d30f60abd2dbecf4d4b0f915038384e2, on @user_script:1.")
        .step(&["EVAL", "return loadfile", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile' script: a08fbe72c95f67027cc9b6349f5d335b598397b7, on @user_script:1.")
        .step(&["EVAL", "return dofile", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'dofile' script: 0c5f629ecf4a281cada464398cd571c2f6828b27, on @user_script:1.")
        .step(&["EVAL", "return print", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: df4c752a7558004676bbee87e38b92e0b9056d68, on @user_script:1.")
        .step(&["EVAL", "return debug", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'debug' script: 7f0eed9eaa523ec9e1ff69159f45a399473d9771, on @user_script:1.")
        .step(&["EVAL", "return y", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1.")
        .step(&["EVAL", "x = 1", "0"], "(error) ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.")
        .step(&["EVAL", "string.x = 1", "0"], "(error) ERR user_script:1: Attempt to modify a readonly table script: c3eb0a2a15b3d4790b323c4104029c1ae425a769, on @user_script:1.")
        .step(&["EVAL", "redis.call = nil", "0"], "(error) ERR user_script:1: Attempt to modify a readonly table script: 2786c35ed73d3860851cf52e0b5dfbbc0bdb4803, on @user_script:1.")
        .step(&["EVAL", "return _G.x", "0"], "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: a77ae67de163f975b1ed8463acc72469cf24a035, on @user_script:1.")
        .step(&["EVAL", "return rawget(_G,'x')", "0"], "(nil)")
        .step(&["EVAL", "return loadstring('return os')()", "0"], "(error) ERR [string \"return os\"]:1: Script attempted to access nonexistent global variable 'os' script: bf2963f26cfb6b352ff2944e5cf42b046c871707, on return os:1.")
        .step(&["EVAL", "local t = {} setmetatable(t, {}) return 1", "0"], "(integer) 1")
        .step(&["EVAL", "return type(math.floor)", "0"], "\"function\"")
        .run()
}

/// EVALSHA, NOSCRIPT, SCRIPT LOAD / EXISTS / FLUSH.
#[test]
fn evalsha_and_the_script_cache() -> TestResult {
    Script::new()
        .step(
            &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            "(error) NOSCRIPT No matching script. Please use EVAL.",
        )
        .step(
            &["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffff"],
            "1) (integer) 0\n2) (integer) 0",
        )
        .step(&["SCRIPT", "LOAD", "return 1"], "\"e0e1f9fabfc9d4800c877a703b823ac0578ff8db\"")
        .step(
            &["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffff"],
            "1) (integer) 1\n2) (integer) 0",
        )
        .step(&["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"], "(integer) 1")
        .step(&["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"], "(integer) 1")
        .step(&["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"], "(integer) 1")
        .step(&["EVAL", "return 2", "0"], "(integer) 2")
        .step(&["SCRIPT", "EXISTS", "7f923f79fe76194c868d7e1d0820de36700eb649"], "1) (integer) 1")
        .step(&["SCRIPT", "FLUSH", "bogus"], "(error) ERR SCRIPT FLUSH only support SYNC|ASYNC option")
        .step(&["SCRIPT", "FLUSH", "ASYNC"], "OK")
        .step(
            &[
                "SCRIPT",
                "EXISTS",
                "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
                "7f923f79fe76194c868d7e1d0820de36700eb649",
            ],
            "1) (integer) 0\n2) (integer) 0",
        )
        .step(&["SCRIPT", "LOAD", "return 1"], "\"e0e1f9fabfc9d4800c877a703b823ac0578ff8db\"")
        .step(&["SCRIPT", "FLUSH", "SYNC"], "OK")
        .step(&["SCRIPT", "FLUSH"], "OK")
        .step(
            &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            "(error) NOSCRIPT No matching script. Please use EVAL.",
        )
        .step(&["SCRIPT", "LOAD", "return"], "\"63143b6f8007b98c53ca2149822777b3566f9241\"")
        .step(&["SCRIPT", "LOAD"], "(error) ERR wrong number of arguments for 'script|load' command")
        .step(&["SCRIPT", "LOAD", "a", "b"], "(error) ERR wrong number of arguments for 'script|load' command")
        .step(&["SCRIPT", "EXISTS"], "(error) ERR wrong number of arguments for 'script|exists' command")
        .step(&["SCRIPT", "KILL"], "(error) NOTBUSY No scripts in execution right now.")
        .step(&["SCRIPT", "BOGUS"], "(error) ERR unknown subcommand 'BOGUS'. Try SCRIPT HELP.")
        .step(&["SCRIPT"], "(error) ERR wrong number of arguments for 'script' command")
        .step(&["EVALSHA", "abc", "0"], "(error) NOSCRIPT No matching script. Please use EVAL.")
        .run()
}

/// EVAL_RO, EVALSHA_RO and `#!lua flags=no-writes` refuse writes; reads work.
#[test]
fn read_only_scripts() -> TestResult {
    Script::new()
        .step(&["SET", "k", "v"], "OK")
        .step(&["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"], "\"v\"")
        .step(&["EVAL_RO", "return redis.call('set','k','w')", "1", "k"], "(error) ERR Write commands are not allowed from read-only scripts. script: 7822ea6ad7bd20a3f95a07458fc7088142fcfc19, on @user_script:1.")
        .step(&["EVAL_RO", "return redis.pcall('set','k','w')", "1", "k"], "(error) ERR Write commands are not allowed from read-only scripts.")
        .step(&["GET", "k"], "\"v\"")
        .step(&["SCRIPT", "LOAD", "return redis.call('del', KEYS[1])"], "\"98b2b88b1aa43ae891c8e2859ad7d9cd48c1c784\"")
        .step(&["EVALSHA_RO", "98b2b88b1aa43ae891c8e2859ad7d9cd48c1c784", "1", "k"], "(error) ERR Write commands are not allowed from read-only scripts. script: 98b2b88b1aa43ae891c8e2859ad7d9cd48c1c784, on @user_script:1.")
        .step(&["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"], "(error) ERR Write commands are not allowed from read-only scripts. script: 6acb400a50fe96e33eca4e0af6e9dcfb21193726, on @user_script:2.")
        .step(&["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','k')", "0"], "\"v\"")
        .step(&["EVAL", "return redis.call('del', KEYS[1])", "1", "k"], "(integer) 1")
        .step(&["GET", "k"], "(nil)")
        .run()
}

/// The `cjson` and `bit` libraries: encoding (arrays, objects, escapes, `%.14g` numbers),
/// decoding in document order, their errors, and LuaBitOp's 32-bit results.
#[test]
fn cjson_and_bit_libraries() -> TestResult {
    Script::new()
        .step(&["EVAL", "return cjson.encode({1, 2.5, 'a/b', true, cjson.null})", "0"], "\"[1,2.5,\\\"a\\\\/b\\\",true,null]\"")
        .step(&["EVAL", "return cjson.encode({a = {b = 0.1}, c = 'x'})", "0"], "\"{\\\"a\\\":{\\\"b\\\":0.1},\\\"c\\\":\\\"x\\\"}\"")
        .step(&["EVAL", "return cjson.encode({})", "0"], "\"{}\"")
        .step(&["EVAL", "return cjson.encode(1/3)", "0"], "\"0.33333333333333\"")
        .step(&["EVAL", "return cjson.encode({[1] = 1, [3] = 3})", "0"], "\"[1,null,3]\"")
        .step(&["EVAL", "return cjson.encode({[1.5] = 1})", "0"], "\"{\\\"1.5\\\":1}\"")
        .step(&["EVAL", "return cjson.encode('\\n\\1\"')", "0"], "\"\\\"\\\\n\\\\u0001\\\\\\\"\\\"\"")
        .step(
            &["EVAL", "return cjson.encode({[20] = 1})", "0"],
            "(error) ERR user_script:1: Cannot serialise table: excessively sparse array script: a6704c5d8d7000003460c0a04b987a3481c04f4a, on @user_script:1.",
        )
        .step(
            &["EVAL", "return cjson.encode(function() end)", "0"],
            "(error) ERR user_script:1: Cannot serialise function: type not supported script: c6600573aa08cdf0af5da6e0ef682db69a3acc00, on @user_script:1.",
        )
        .step(
            &["EVAL", "return cjson.encode({[true] = 1})", "0"],
            "(error) ERR user_script:1: Cannot serialise boolean: table key must be a number or string script: 9be9d56d744ab7aaccc1be53d581f76afb5ae4bd, on @user_script:1.",
        )
        .step(&["EVAL", "return cjson.decode('[1,2,{\"b\":3}]')[3].b", "0"], "(integer) 3")
        .step(
            &["EVAL", "return cjson.encode(cjson.decode('{\"z\":1,\"a\":[true,false,null],\"m\":\"\\\\u00e9\"}'))", "0"],
            "\"{\\\"a\\\":[true,false,null],\\\"m\\\":\\\"\\xc3\\xa9\\\",\\\"z\\\":1}\"",
        )
        .step(&["EVAL", "return type(cjson.null)", "0"], "\"userdata\"")
        .step(
            &["EVAL", "return cjson.decode('')", "0"],
            "(error) ERR user_script:1: Expected value but found T_END at character 1 script: 7ff8cf86abed928f4d61a01dcc9713f0117b180a, on @user_script:1.",
        )
        .step(
            &["EVAL", "return cjson.decode('[1 2]')", "0"],
            "(error) ERR user_script:1: Expected comma or array end but found T_NUMBER at character 4 script: cae89247ef27d42d411c61ae44ff3af6ab258d99, on @user_script:1.",
        )
        .step(
            &["EVAL", "return cjson.decode('[1] x')", "0"],
            "(error) ERR user_script:1: Expected the end but found invalid token at character 5 script: 90488ed3df43636c96be19291b12cbc738913942, on @user_script:1.",
        )
        .step(
            &["EVAL", "return {bit.band(0x12345678, 0xff), bit.bor(1, 2, 4), bit.bxor(1, 3), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 12), bit.ror(0x12345678, 12), bit.bswap(0x12345678), bit.tobit(0xffffffff)}", "0"],
            " 1) (integer) 120\n 2) (integer) 7\n 3) (integer) 2\n 4) (integer) -1\n 5) (integer) -2147483648\n 6) (integer) 15\n 7) (integer) -16\n 8) (integer) 1164411171\n 9) (integer) 1736516421\n10) (integer) 2018915346\n11) (integer) -1",
        )
        .step(&["EVAL", "return {bit.tohex(1), bit.tohex(-1, -4), bit.tohex(0x87654321, 2)}", "0"], "1) \"00000001\"\n2) \"FFFF\"\n3) \"21\"")
        .step(&["EVAL", "local ok, e = pcall(cjson.encode, function() end) return e", "0"], "\"Cannot serialise function: type not supported\"")
        .step(
            &["EVAL", "local ok, e = pcall(function() return bit.band({}) end) return e", "0"],
            "\"user_script:1: bad argument #1 to 'band' (number expected, got table)\"",
        )
        .step(
            &["EVAL", "return cjson.decode('\"\\\\ud800\"')", "0"],
            "(error) ERR user_script:1: Expected value but found invalid unicode escape code at character 2 script: 614364f6c9d9a8370605ddedbdbe5d726346f810, on @user_script:1.",
        )
        .run()
}

/// A script whose `hex` helper prints binary results (MessagePack, struct records) as hex.
fn hexed(body: &str) -> String {
    format!(
        "local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end {body}"
    )
}

/// `cmsgpack`: every format code it writes (integers of each width, 4- and 8-byte floats,
/// strings of each length class, arrays and maps of each size class, nesting cut at 16),
/// round trips, streams read with `unpack_one`/`unpack_limit`, and its errors and limits
/// (nesting and value counts where Redis and Meridian stop alike; Meridian stops sooner, at
/// 1000 levels and 4000 values, where Redis stops at its Lua stack's bound).
#[test]
fn cmsgpack_library() -> TestResult {
    Script::new()
        .step(&["EVAL", &hexed("return hex(cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53))"), "0"], "\"00017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf0020000000000000\"")
        .step(&["EVAL", &hexed("return hex(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -2^63))"), "0"], "\"ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd38000000000000000\"")
        .step(&["EVAL", &hexed("return hex(cmsgpack.pack(1.5, 0.1, -2.25, 1e300, 2^63, 2^64, 1/0, -1/0))"), "0"], "\"ca3fc00000cb3fb999999999999acac0100000cb7e37e43c8800759cca5f000000ca5f800000ca7f800000caff800000\"")
        .step(&["EVAL", &hexed("return hex(cmsgpack.pack(true, false, nil, 'abc', string.rep('x', 31)))"), "0"], "\"c3c2c0a3616263bf78787878787878787878787878787878787878787878787878787878787878\"")
        .step(&["EVAL", &hexed("return hex(string.sub(cmsgpack.pack(string.rep('x', 32)), 1, 3)) .. ' ' .. hex(string.sub(cmsgpack.pack(string.rep('x', 256)), 1, 4)) .. ' ' .. hex(string.sub(cmsgpack.pack(string.rep('x', 65536)), 1, 6))"), "0"], "\"d92078 da010078 db0001000078\"")
        .step(&["EVAL", &hexed("return hex(cmsgpack.pack({1, 2, 3}, {}, {a = 1}, {[1] = 'a', [3] = 'c'}, {[1.5] = 1}))"), "0"], "\"930102039081a161018201a16103a16381ca3fc0000001\"")
        .step(&["EVAL", &hexed("local t = {} for i = 1, 16 do t[i] = i end return hex(cmsgpack.pack(t))"), "0"], "\"dc00100102030405060708090a0b0c0d0e0f10\"")
        .step(&["EVAL", &hexed("local t = {} for i = 1, 70000 do t[i] = 0 end return hex(string.sub(cmsgpack.pack(t), 1, 6))"), "0"], "\"dd0001117000\"")
        .step(&["EVAL", &hexed("local t = {} for i = 1, 16 do t['k' .. i] = i end return hex(string.sub(cmsgpack.pack(t), 1, 3))"), "0"], "\"de0010\"")
        .step(&["EVAL", &hexed("local t = {} t[1] = t return hex(cmsgpack.pack(t))"), "0"], "\"91919191919191919191919191919191c0\"")
        .step(&["EVAL", &hexed("return hex(cmsgpack.pack({1, {2, {3, {x = {true}}}}}))"), "0"], "\"92019202920381a17891c3\"")
        .step(&["EVAL", &hexed("return hex(cmsgpack.pack(function() end, cjson.null))"), "0"], "\"c0c0\"")
        .step(&["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1, -1, 300, -300, 70000, -70000, 2^40, -2^40, 'str', true, false))}", "0"], " 1) (integer) 1\n 2) (integer) -1\n 3) (integer) 300\n 4) (integer) -300\n 5) (integer) 70000\n 6) (integer) -70000\n 7) (integer) 1099511627776\n 8) (integer) -1099511627776\n 9) \"str\"\n10) (integer) 1\n11) (nil)")
        .step(&["EVAL", "return {cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')}", "0"], "1) (integer) -1")
        .step(&["EVAL", "return {cmsgpack.unpack('\\203\\63\\248\\0\\0\\0\\0\\0\\0')}", "0"], "1) (integer) 1")
        .step(&["EVAL", "return tostring(cmsgpack.unpack(cmsgpack.pack(0.1)))", "0"], "\"0.1\"")
        .step(&["EVAL", "return tostring(cmsgpack.unpack(cmsgpack.pack(1.5)))", "0"], "\"1.5\"")
        .step(&["EVAL", "return tostring(cmsgpack.unpack(cmsgpack.pack(1/0)))", "0"], "\"inf\"")
        .step(&["EVAL", "return cmsgpack.unpack(cmsgpack.pack({1, {2, {3, 'x'}}}))", "0"], "1) (integer) 1\n2) 1) (integer) 2\n   2) 1) (integer) 3\n      2) \"x\"")
        .step(&["EVAL", "local t = cmsgpack.unpack(cmsgpack.pack({a = 1, b = {c = 'd'}})) return {t.a, t.b.c}", "0"], "1) (integer) 1\n2) \"d\"")
        .step(&["EVAL", "return {cmsgpack.unpack('\\217\\3abc', '\\218\\0\\2ab', '\\219\\0\\0\\0\\1a')}", "0"], "1) \"abc\"")
        .step(&["EVAL", "return {cmsgpack.unpack('\\217\\3abc\\218\\0\\2ab\\219\\0\\0\\0\\1a')}", "0"], "1) \"abc\"\n2) \"ab\"\n3) \"a\"")
        .step(&["EVAL", "return {cmsgpack.unpack('\\220\\0\\2\\1\\2\\221\\0\\0\\0\\1\\3\\222\\0\\1\\1\\2\\223\\0\\0\\0\\0')}", "0"], "1) 1) (integer) 1\n   2) (integer) 2\n2) 1) (integer) 3\n3) 1) (integer) 2\n4) (empty array)")
        .step(&["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", "0"], "1) (integer) 1\n2) (integer) 1")
        .step(&["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", "0"], "1) (integer) -1\n2) (integer) 3")
        .step(&["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}", "0"], "1) (integer) 2\n2) (integer) 1\n3) (integer) 2")
        .step(&["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}", "0"], "1) (integer) -1\n2) (integer) 2\n3) (integer) 3")
        .step(&["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}", "0"], "1) (integer) 1\n2) (integer) 2\n3) (integer) 3")
        .step(&["EVAL", "return {cmsgpack.unpack_limit('\\1\\2', 0, 1)}", "0"], "1) (integer) 1")
        .step(&["EVAL", "return {cmsgpack.unpack(1)}", "0"], "1) (integer) 49")
        .step(&["EVAL", "return cmsgpack.pack()", "0"], "(error) ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: 6bc235afa55de88253e203cc5fe5844792e25209, on @user_script:1.")
        .step(&["EVAL", "return {pcall(cmsgpack.pack)}", "0"], "1) (nil)\n2) \"bad argument #0 to '?' (MessagePack pack needs input.)\"")
        .step(&["EVAL", "return cmsgpack.unpack()", "0"], "(error) ERR user_script:1: bad argument #1 to 'unpack' (string expected, got no value) script: 78103c0f3f46e5897cb5d2fad8dfb28bd38e0eeb, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack({})", "0"], "(error) ERR user_script:1: bad argument #1 to 'unpack' (string expected, got table) script: 1bf8d78c3e2298775df6934cb05254905d2c8ddc, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack('\\193')", "0"], "(error) ERR user_script:1: Bad data format in input. script: dc135bd7bc2955014f03280e151acf74360378e7, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack('\\196\\1a')", "0"], "(error) ERR user_script:1: Bad data format in input. script: 6f8b916f0f73238529184461236248e68f5e450b, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack('\\205\\1')", "0"], "(error) ERR user_script:1: Missing bytes in input. script: 4679240a23ff9735759d614fd4b677cab6fb1b9a, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack('\\221\\255\\255\\255\\255')", "0"], "(error) ERR user_script:1: Missing bytes in input. script: d927de6b02ace026366ff615f6b86eded580403b, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack('\\219\\255\\255\\255\\255a')", "0"], "(error) ERR user_script:1: Missing bytes in input. script: 5a8cce58fc4fab2982569b4f12f24dc593558599, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack('\\129\\192\\1')", "0"], "(error) ERR table index is nil script: fc5ecea28c7c4519bafde8e9710d8f45499f865b, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack_one('\\1\\2', 5)", "0"], "(error) ERR user_script:1: Start offset 5 greater than input length 2. script: d341f2c1961fc03e0e4b7975e228208a66e8de5f, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack_one('\\1\\2', -1)", "0"], "(error) ERR user_script:1: Invalid request to unpack with offset of -1 and limit of 2. script: 596e05f7a52c61953871da0a45115821c3861049, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack_limit('\\1\\2', -1)", "0"], "(error) ERR user_script:1: Invalid request to unpack with offset of 0 and limit of 2. script: 51ca81ee99bccc1470ca28016cedff949a56b245, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack_limit('\\1')", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value) script: c6aa7d290e3247b7cca7fc2399e471c87c26602b, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack_limit('\\1', {})", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack_limit' (number expected, got table) script: af2f324ea4f17a276c1c40b2fd7d9bfe565291dd, on @user_script:1.")
        .step(&["EVAL", "return cmsgpack.unpack(string.rep('\\145', 4000))", "0"], "(error) ERR user_script:1: stack overflow (in function mp_decode_to_lua_array) script: 4ee6331116fca52fe44572a4f66f22f314bfbd01, on @user_script:1.")
        .step(&["EVAL", "return #{cmsgpack.unpack(string.rep('\\145', 999) .. '\\1')}", "0"], "(integer) 1")
        .step(&["EVAL", "return cmsgpack.unpack(string.rep('\\129\\1', 4000) .. '\\1')", "0"], "(error) ERR user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.) script: 892b00f69dc47cc41a57b6274109b0b8e431d42f, on @user_script:1.")
        .step(&["EVAL", "return #{cmsgpack.unpack(string.rep('\\1', 4000))}", "0"], "(integer) 4000")
        .step(&["EVAL", "return cmsgpack.unpack(string.rep('\\1', 8000))", "0"], "(error) ERR user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.) script: 3f21c736088baf4017a1205da9e2ae25eeb1cfb6, on @user_script:1.")
        .step(&["EVAL", "return {pcall(cmsgpack.unpack, '\\193')}", "0"], "1) (nil)\n2) \"Bad data format in input.\"")
        .step(&["EVAL", "return cmsgpack._VERSION", "0"], "\"lua-cmsgpack 0.4.0\"")
        .step(&["EVAL", "return cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack(unpack({'a', 1, 2.5}))))  == cmsgpack.pack('a', 1, 2.5)", "0"], "(integer) 1")
        .run()
}

/// `struct`: every format option both ways (integers of each size and sign, endianness,
/// alignment, floats, fixed and zero-terminated strings, `c0`), `struct.size`, and the errors.
#[test]
fn struct_library() -> TestResult {
    Script::new()
        .step(&["EVAL", &hexed("return hex(struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 2^40, 7, -4, 4294967295))"), "0"], "\"fffffefffffffdffffffffffffff00000000000100000700000000000000fcffffffffffffff\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('>bBhHlLTiI', -1, 255, -2, 65535, -3, 2^40, 7, -4, 4294967295))"), "0"], "\"fffffffefffffffffffffffffffd00000100000000000000000000000007fffffffcffffffff\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('<i1i2i3i8i16', 1, 2, -3, -4, -5))"), "0"], "\"010200fdfffffcfffffffffffffffbffffffffffffff0000000000000000\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('>i3I5i16', -3, 2^33, -5))"), "0"], "\"fffffd02000000000000000000000000fffffffffffffffb\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('fd>fd', 1.5, 0.1, -2.5, 1/3))"), "0"], "\"0000c03f9a9999999999b93fc02000003fd5555555555555\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('xbxx', 7))"), "0"], "\"00070000\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('c3c0s', 'abcdef', 'xy', 'z'))"), "0"], "\"61626378797a00\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('!bd!4bi!bh', 1, 2.5, 3, 4, 5, 6))"), "0"], "\"01000000000000000000000000000440030000000400000005000600\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('! b h > i', 1, 2, 3))"), "0"], "\"0100020000000003\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('i', '12'))"), "0"], "\"0c000000\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('c0', 12))"), "0"], "\"3132\"")
        .step(&["EVAL", &hexed("return hex(struct.pack('b', 300)) .. ' ' .. hex(struct.pack('B', -1)) .. ' ' .. hex(struct.pack('h', 1.9)) .. ' ' .. hex(struct.pack('h', -1.9))"), "0"], "\"2c ff 0100 ffff\"")
        .step(&["EVAL", "return {struct.unpack('bBhHlLTiI', struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 2^40, 7, -4, 4294967295))}", "0"], " 1) (integer) -1\n 2) (integer) 255\n 3) (integer) -2\n 4) (integer) 65535\n 5) (integer) -3\n 6) (integer) 1099511627776\n 7) (integer) 7\n 8) (integer) -4\n 9) (integer) 4294967295\n10) (integer) 39")
        .step(&["EVAL", "return {struct.unpack('>bBhHlLiI', struct.pack('>bBhHlLiI', -1, 255, -2, 65535, -3, 2^40, -4, 4294967295))}", "0"], "1) (integer) -1\n2) (integer) 255\n3) (integer) -2\n4) (integer) 65535\n5) (integer) -3\n6) (integer) 1099511627776\n7) (integer) -4\n8) (integer) 4294967295\n9) (integer) 31")
        .step(&["EVAL", "return {struct.unpack('<i3I3>i3I3', '\\255\\255\\255\\255\\255\\255\\255\\255\\254\\255\\255\\254')}", "0"], "1) (integer) -1\n2) (integer) 16777215\n3) (integer) -2\n4) (integer) 16777214\n5) (integer) 13")
        .step(&["EVAL", "return {struct.unpack('i16I16', string.rep('\\255', 32))}", "0"], "1) (integer) -1\n2) (integer) -9223372036854775808\n3) (integer) 33")
        .step(&["EVAL", "return {struct.unpack('i8I8', string.rep('\\255', 16))}", "0"], "1) (integer) -1\n2) (integer) -9223372036854775808\n3) (integer) 17")
        .step(&["EVAL", "return {struct.unpack('fd', struct.pack('fd', 1.5, 0.1))}", "0"], "1) (integer) 1\n2) (integer) 0\n3) (integer) 13")
        .step(&["EVAL", "return tostring(struct.unpack('f', struct.pack('f', 0.1)))", "0"], "\"0.10000000149012\"")
        .step(&["EVAL", "return tostring(struct.unpack('>d', struct.pack('>d', 1/3)))", "0"], "\"0.33333333333333\"")
        .step(&["EVAL", "return {struct.unpack('c2xc1s', 'ab_c' .. 'def\\0' .. 'rest')}", "0"], "1) \"ab\"\n2) \"c\"\n3) \"def\"\n4) (integer) 9")
        .step(&["EVAL", "return {struct.unpack('bc0b', '\\3abc\\9')}", "0"], "1) \"abc\"\n2) (integer) 9\n3) (integer) 6")
        .step(&["EVAL", "return {struct.unpack('c0', '2ab')}", "0"], "(error) ERR user_script:1: format 'c0' needs a previous size script: c44865be504490d6d2e54976de392ea9087d6648, on @user_script:1.")
        .step(&["EVAL", "return {struct.unpack('b', 'xyz', 2)}", "0"], "1) (integer) 121\n2) (integer) 3")
        .step(&["EVAL", "return {struct.unpack('!bd', struct.pack('!bd', 1, 2.5))}", "0"], "1) (integer) 1\n2) (integer) 2\n3) (integer) 17")
        .step(&["EVAL", "return {struct.unpack('!4bi', struct.pack('!4bi', 1, 2))}", "0"], "1) (integer) 1\n2) (integer) 2\n3) (integer) 9")
        .step(&["EVAL", "return {struct.unpack('x', 'a')}", "0"], "1) (integer) 2")
        .step(&["EVAL", "return {struct.size('bhlTfdxc5i3I16'), struct.size('!bd'), struct.size('!4bi'), struct.size('>< '), struct.size(''), struct.size('z')}", "0"], "1) (integer) 56\n2) (integer) 16\n3) (integer) 8\n4) (integer) 0\n5) (integer) 0\n6) (integer) 0")
        .step(&["EVAL", "return struct.size('s')", "0"], "(error) ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: a2a0525826ab7939ccd3f54427a862205642f28f, on @user_script:1.")
        .step(&["EVAL", "return struct.size('c0')", "0"], "(error) ERR user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size) script: 18f217e7d560de92703dc71e9797e043b536e0e6, on @user_script:1.")
        .step(&["EVAL", "return struct.size('!3')", "0"], "(error) ERR user_script:1: alignment 3 is not a power of 2 script: e85d1ac33cd35488c9a4f9b4f97cb56bbfae9248, on @user_script:1.")
        .step(&["EVAL", "return struct.size()", "0"], "(error) ERR user_script:1: bad argument #1 to 'size' (string expected, got no value) script: 4c30ee4bce24a141420f334922489017312786e7, on @user_script:1.")
        .step(&["EVAL", "return struct.pack()", "0"], "(error) ERR user_script:1: bad argument #1 to 'pack' (string expected, got no value) script: c9b8aed4f0633591e6252db264bf8b86b82828d5, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('z', 1)", "0"], "(error) ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'z') script: b1a49a62278d772f47cfca6a679bc33c0fa64430, on @user_script:1.")
        .step(&["EVAL", "return {pcall(struct.pack, 'z')}", "0"], "1) (nil)\n2) \"bad argument #1 to '?' (invalid format option 'z')\"")
        .step(&["EVAL", "return struct.pack('b')", "0"], "(error) ERR user_script:1: bad argument #2 to 'pack' (number expected, got nil) script: fd20463fb1ef62aa4fafca9dfa083b276ab7d453, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('i', 1, 2) .. struct.pack('bb', 1)", "0"], "(error) ERR user_script:1: bad argument #3 to 'pack' (number expected, got nil) script: 1c90863e8826cd3d0ce1fa529ed5cdf10a43007b, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('b', 'x')", "0"], "(error) ERR user_script:1: bad argument #2 to 'pack' (number expected, got string) script: 4dd446e0275d5497e0d9aa9aba420730a071833c, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('b', {})", "0"], "(error) ERR user_script:1: bad argument #2 to 'pack' (number expected, got table) script: dc56af64ecbad6f4e5c1bd54fcfe567e2efffd09, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('c2', 'a')", "0"], "(error) ERR user_script:1: bad argument #3 to 'pack' (string too short) script: c0e0df4a7eb7f4a68055945e60c779521b3a3279, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('bc2', 1, 'a')", "0"], "(error) ERR user_script:1: bad argument #4 to 'pack' (string too short) script: 51b4abfe86deb38dbd2d271747d2d79c2c3b9552, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('s', {})", "0"], "(error) ERR user_script:1: bad argument #2 to 'pack' (string expected, got table) script: 5cf444f359bf1c8e7834932265689f94ec6774d9, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('i99', 1)", "0"], "(error) ERR user_script:1: integral size 99 is larger than limit of 32 script: 6cc19679dd3ac68970f5c4f014b8761d7469a872, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('i33', 1)", "0"], "(error) ERR user_script:1: integral size 33 is larger than limit of 32 script: 0a76c071d82805e752befa6958961c98c39f358f, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('c99999999999', 'a')", "0"], "(error) ERR user_script:1: integral size overflow script: 1feb29c9c9920a6c048e1d115d4720ea9ba7eb67, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('!3', 1)", "0"], "(error) ERR user_script:1: alignment 3 is not a power of 2 script: 015083070625e0c8535172e55b13a94acdf4c3c6, on @user_script:1.")
        .step(&["EVAL", "return struct.pack('!0', 1)", "0"], "(error) ERR user_script:1: alignment 0 is not a power of 2 script: 52329bab0d3daa15cb5ba44cf64178acca17153f, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('b', '')", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: 66765221c9b972d0a7f55f45639ebb2f78a50eb5, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('i', 'abc')", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: ec303136177146d52efe90f9a6ccc1accdbe9e9d, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('b', 'a', 0)", "0"], "(error) ERR user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater) script: 78b1453fc7bc0eefb9dbb82866b90482a537fd6c, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('b', 'a', -5)", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: ddf956c27b6d0cd7ba49d8f9ec6df66ff4f1159a, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('b', 'ab', 3)", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: a7f0e7e893909deff18679549cc366c98b86d360, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('s', 'abc')", "0"], "(error) ERR user_script:1: unfinished string in data script: 3c8c11118da3ea1fd285856434f3f28c04cc4a2a, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('bc0', '\\5ab')", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: cc0d187924348d08791220d0b2c1b207b50a66e6, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('b')", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack' (string expected, got no value) script: 8c477a7a8092b99b128ce33cc36d749bac3bfeae, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('b', 'a', 'x')", "0"], "(error) ERR user_script:1: bad argument #3 to 'unpack' (number expected, got string) script: 983e70a984fde1c57340af355b1bd57de6a5d5b6, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('y', 'a')", "0"], "(error) ERR user_script:1: bad argument #1 to 'unpack' (invalid format option 'y') script: dede85cc35845c337f754b837219d0b8f7f01e06, on @user_script:1.")
        .step(&["EVAL", "return #{struct.unpack(string.rep('b', 3999), string.rep('a', 3999))}", "0"], "(integer) 4000")
        .step(&["EVAL", "return struct.unpack(string.rep('b', 7998), string.rep('a', 7998))", "0"], "(error) ERR user_script:1: stack overflow (too many results) script: 4bc1045c6eeb96e7d5cc087117030fd207a862c8, on @user_script:1.")
        .step(&["EVAL", "return struct.unpack('!8bd', 'a')", "0"], "(error) ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: 06b72d74b809526158001f4577142293e6f69fb3, on @user_script:1.")
        .run()
}

/// `cjson`'s settings (they last for later scripts, as in Redis): nesting limits and the
/// Lua stack bound behind them, number precision, sparse arrays, invalid numbers both ways
/// (hex, `inf`, `nan`, `+`, leading zeros as C's strtod reads them), and their errors.
/// Nesting past 1000 levels is Meridian's own bound (Redis goes on to its Lua stack's), so
/// the steps stay below it.
#[test]
fn cjson_settings() -> TestResult {
    Script::new()
        .step(&["EVAL", "return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers()}", "0"], "1) (integer) 1000\n2) (integer) 1000\n3) (integer) 14\n4) (integer) 1\n5) (nil)\n6) (integer) 1")
        .step(&["EVAL", "return {cjson.encode_sparse_array()}", "0"], "1) (nil)\n2) (integer) 2\n3) (integer) 10")
        .step(&["EVAL", "return cjson._NAME .. ' ' .. cjson._VERSION", "0"], "\"cjson 2.1.0\"")
        .step(&["EVAL", "return cjson.decode('0x10')", "0"], "(integer) 16")
        .step(&["EVAL", "return cjson.decode('-0x1F')", "0"], "(integer) -31")
        .step(&["EVAL", "return cjson.decode('[+3, 01, 0x1p4, 0x.8p1, 1e2, 5e-1]')", "0"], "1) (integer) 3\n2) (integer) 1\n3) (integer) 16\n4) (integer) 1\n5) (integer) 100\n6) (integer) 0")
        .step(&["EVAL", "return cjson.encode(cjson.decode('[inf, -Infinity, 1E400]'))", "0"], "(error) ERR user_script:1: Cannot serialise number: must not be NaN or Inf script: f098aea2828ab5df2fd019b2b5cdd4fb8ddda61a, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[0x]')", "0"], "(error) ERR user_script:1: Expected comma or array end but found invalid token at character 3 script: 2df296acb8679900bc2c40da8785d4486a25c746, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[1e]')", "0"], "(error) ERR user_script:1: Expected comma or array end but found invalid token at character 3 script: 8a6bdd8109a63728cbfed21fcf13738f01893e98, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[infx]')", "0"], "(error) ERR user_script:1: Expected comma or array end but found invalid token at character 5 script: 2649a7a278ee635c5f6f563fad25992f60e47dc3, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[in]')", "0"], "(error) ERR user_script:1: Expected value but found invalid token at character 2 script: ffbbfe9a27379e2cb304728fdb2f8750578345e9, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[-]')", "0"], "(error) ERR user_script:1: Expected value but found invalid number at character 2 script: 05008f7cdaf04a17264bdce6533ab5252176a59b, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[-x]')", "0"], "(error) ERR user_script:1: Expected value but found invalid number at character 2 script: 3fbcef96ecd1cd4348fb779e43a1fa3d7c248326, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[+]')", "0"], "(error) ERR user_script:1: Expected value but found invalid number at character 2 script: 97cabf34b3152fdf88415ecef2c0c2ea91d258b7, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[.5]')", "0"], "(error) ERR user_script:1: Expected value but found invalid token at character 2 script: 657c2f5953100abf33b2b2e24ccad83d7c83e948, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[1.5.5]')", "0"], "(error) ERR user_script:1: Expected comma or array end but found invalid token at character 5 script: 06b382747907be8b56071078e2432fb6b4b9724f, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[1 0x5]')", "0"], "(error) ERR user_script:1: Expected comma or array end but found T_NUMBER at character 4 script: 8d1b5db77316e80cc0f8f7307378acb979db35ef, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode(12)", "0"], "(integer) 12")
        .step(&["EVAL", "return cjson.decode('[' .. string.rep('[', 1000) .. string.rep(']', 1001))", "0"], "(error) ERR user_script:1: Found too many nested data structures (1001) at character 1001 script: bed622f1c146039ad9d6026e90a404d4af769af5, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode_max_depth(0)", "0"], "(error) ERR user_script:1: bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647) script: 7df285984d558e7265bac071a891370695dc4522, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode_max_depth({})", "0"], "(error) ERR user_script:1: bad argument #1 to 'decode_max_depth' (number expected, got table) script: ec2e065c48ed65ca35fdd45d810ef39fba8eed63, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode_max_depth(1, 2)", "0"], "(error) ERR user_script:1: bad argument #2 to 'decode_max_depth' (found too many arguments) script: 6f69630006497ad7b6cbe8290e936dbb51369149, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode_max_depth(2)", "0"], "(integer) 2")
        .step(&["EVAL", "return cjson.decode('[[1]]')[1][1]", "0"], "(integer) 1")
        .step(&["EVAL", "return cjson.decode('[[[1]]]')", "0"], "(error) ERR user_script:1: Found too many nested data structures (3) at character 3 script: 45462848e37d58c2c174d8affc0102b56e0c60b2, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('{\"a\":{\"b\":[1]}}')", "0"], "(error) ERR user_script:1: Found too many nested data structures (3) at character 11 script: eac88e7d25caaf8708e236e0282a8cf67b7c7992, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode_max_depth(100000)", "0"], "(integer) 100000")
        .step(&["EVAL", "return cjson.decode_max_depth('1000')", "0"], "(integer) 1000")
        .step(&["EVAL", "return cjson.encode_max_depth(2)", "0"], "(integer) 2")
        .step(&["EVAL", "return cjson.encode({{1}})", "0"], "\"[[1]]\"")
        .step(&["EVAL", "return cjson.encode({{{1}}})", "0"], "(error) ERR user_script:1: Cannot serialise, excessive nesting (3) script: 16a93f15fe65727018096b2814a95cac3753b00b, on @user_script:1.")
        .step(&["EVAL", "return cjson.encode_max_depth(100000)", "0"], "(integer) 100000")
        .step(&["EVAL", "return cjson.encode_max_depth(1000.9)", "0"], "(integer) 1000")
        .step(&["EVAL", "return cjson.encode_number_precision(0)", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14) script: 208a2ca1783398233de006ab8a11e48151d6a3ec, on @user_script:1.")
        .step(&["EVAL", "return cjson.encode_number_precision(15)", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14) script: bbd9450de606b026b51b67e7b961ff09397ea6dd, on @user_script:1.")
        .step(&["EVAL", "return cjson.encode_number_precision(3)", "0"], "(integer) 3")
        .step(&["EVAL", "return cjson.encode({1/3, 12345, 1e20, 2/3, 7})", "0"], "\"[0.333,1.23e+04,1e+20,0.667,7]\"")
        .step(&["EVAL", "return cjson.encode({[1/3] = 1})", "0"], "\"{\\\"0.333\\\":1}\"")
        .step(&["EVAL", "return cjson.encode_number_precision('14')", "0"], "(integer) 14")
        .step(&["EVAL", "return cjson.encode({1/3, 1e15, 123456789012345})", "0"], "\"[0.33333333333333,1e+15,1.2345678901234e+14]\"")
        .step(&["EVAL", "return cjson.encode(1/0)", "0"], "(error) ERR user_script:1: Cannot serialise number: must not be NaN or Inf script: 08ffdaa5e7f117332da21c3b5222c2ede9492c60, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers('null')}", "0"], "1) \"null\"")
        .step(&["EVAL", "return cjson.encode({1/0, -1/0, 0/0})", "0"], "\"[null,null,null]\"")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers(true)}", "0"], "1) (integer) 1")
        .step(&["EVAL", "return cjson.encode({1/0, -1/0, 5})", "0"], "\"[inf,-inf,5]\"")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers('on')}", "0"], "1) (integer) 1")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers('off')}", "0"], "1) (nil)")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers('x')}", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_invalid_numbers' (invalid option 'x') script: de34707ba32a752ffcb8606daa083dfd676289ef, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers(1)}", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_invalid_numbers' (invalid option '1') script: 4f94e94782db291e521cfe015d20f754e9cd9827, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers({})}", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_invalid_numbers' (string expected, got table) script: 4f9620e1b002fd91bf963689c2857b5b6aa6f6d6, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_invalid_numbers(false)}", "0"], "1) (nil)")
        .step(&["EVAL", "return cjson.encode(-1/0)", "0"], "(error) ERR user_script:1: Cannot serialise number: must not be NaN or Inf script: eeea526afae25161c515bd49cddc89d6cfbf2456, on @user_script:1.")
        .step(&["EVAL", "return {cjson.decode_invalid_numbers(false)}", "0"], "1) (nil)")
        .step(&["EVAL", "return cjson.decode('0x10')", "0"], "(error) ERR user_script:1: Expected value but found invalid number at character 1 script: 381dff2d53c13624609b3ac7fcb3872cf87a987c, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[01]')", "0"], "(error) ERR user_script:1: Expected value but found invalid number at character 2 script: fa6b17b6c45925275d9ed9993088b2c910aad89e, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[-01]')", "0"], "(error) ERR user_script:1: Expected value but found invalid number at character 2 script: bbe71573fd0dea31b3dfcdb5774c6da9d098366b, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[inf]')", "0"], "(error) ERR user_script:1: Expected value but found invalid token at character 2 script: b4f38b47d13aa7b0ca6381040a52d86a92f1a666, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[+1]')", "0"], "(error) ERR user_script:1: Expected value but found invalid token at character 2 script: 2c5f1e6b955992f71b82c3accbee9893c635c0f1, on @user_script:1.")
        .step(&["EVAL", "return cjson.decode('[1, -2.5e3]')[2]", "0"], "(integer) -2500")
        .step(&["EVAL", "return {cjson.decode_invalid_numbers('on')}", "0"], "1) (integer) 1")
        .step(&["EVAL", "return {cjson.decode_invalid_numbers('off')}", "0"], "1) (nil)")
        .step(&["EVAL", "return {cjson.decode_invalid_numbers()}", "0"], "1) (nil)")
        .step(&["EVAL", "return {cjson.decode_invalid_numbers(true)}", "0"], "1) (integer) 1")
        .step(&["EVAL", "return {cjson.encode_keep_buffer('off')}", "0"], "1) (nil)")
        .step(&["EVAL", "return {cjson.encode_keep_buffer()}", "0"], "1) (nil)")
        .step(&["EVAL", "return {cjson.encode_keep_buffer(1)}", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_keep_buffer' (invalid option '1') script: c8f8df3b2a762cc8abf1bf577a1c60eb1e882619, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_keep_buffer(true)}", "0"], "1) (integer) 1")
        .step(&["EVAL", "return cjson.encode({[20] = 1})", "0"], "(error) ERR user_script:1: Cannot serialise table: excessively sparse array script: a6704c5d8d7000003460c0a04b987a3481c04f4a, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_sparse_array(true)}", "0"], "1) (integer) 1\n2) (integer) 2\n3) (integer) 10")
        .step(&["EVAL", "return cjson.encode({[20] = 1})", "0"], "\"{\\\"20\\\":1}\"")
        .step(&["EVAL", "return {cjson.encode_sparse_array(false, 0)}", "0"], "1) (nil)\n2) (integer) 0\n3) (integer) 10")
        .step(&["EVAL", "return cjson.encode({[20] = 1, [1] = 2})", "0"], "\"[2,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,1]\"")
        .step(&["EVAL", "return {cjson.encode_sparse_array(nil, 1, 30)}", "0"], "1) (nil)\n2) (integer) 1\n3) (integer) 30")
        .step(&["EVAL", "return cjson.encode({[25] = 1})", "0"], "\"[null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,1]\"")
        .step(&["EVAL", "return cjson.encode({[31] = 1})", "0"], "(error) ERR user_script:1: Cannot serialise table: excessively sparse array script: a23e0a0f952a67f66e344c3019933ef192109254, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_sparse_array(true, -1)}", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647) script: 818b4ae162468258a2c4f5283da58e8d6b8e2ac4, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_sparse_array()}", "0"], "1) (integer) 1\n2) (integer) 1\n3) (integer) 30")
        .step(&["EVAL", "return {cjson.encode_sparse_array('x')}", "0"], "(error) ERR user_script:1: bad argument #1 to 'encode_sparse_array' (invalid option 'x') script: 5dde139793c606d0ae794cd2a063c3ea28113b32, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_sparse_array(1, 2, 3, 4)}", "0"], "(error) ERR user_script:1: bad argument #4 to 'encode_sparse_array' (found too many arguments) script: 940588984577d27d63b346aa6700927816564280, on @user_script:1.")
        .step(&["EVAL", "return {cjson.encode_sparse_array('off', 2, 10)}", "0"], "1) (nil)\n2) (integer) 2\n3) (integer) 10")
        .step(&["EVAL", "return {pcall(cjson.encode_max_depth, 0)}", "0"], "1) (nil)\n2) \"bad argument #1 to '?' (expected integer between 1 and 2147483647)\"")
        .run()
}
