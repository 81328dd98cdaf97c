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
