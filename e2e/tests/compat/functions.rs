//! Redis 7.0's functions side by side with redis-server: FUNCTION LOAD, LIST, DELETE, FLUSH,
//! STATS, KILL and HELP, FCALL and FCALL_RO, the load-time sandbox and redis.register_function's
//! checks, with Redis's error texts. Expected replies are redis-server 7.0's. FUNCTION LIST shows
//! one function per library here: Redis lists a library's functions in its hash table's order.

use std::time::Duration;

use meridian_e2e::{Conn, RawConn, Script, SideBySide};

use crate::TestResult;

const LIB: &str = "#!lua name=mylib\nredis.register_function('echo', function(keys, args) return {keys, args, #keys, #args} end)\nredis.register_function('setter', function(keys, args) return redis.call('SET', keys[1], args[1]) end)\nredis.register_function{function_name='getter', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads a key'}\nredis.register_function{function_name='sneaky', callback=function(keys) return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}";
const LIB2: &str = "#!lua name=mylib\nredis.register_function('setter', function(keys, args) return 'replaced' end)";
const OTHER: &str = "#!lua name=other\nredis.register_function('setter', function() return 1 end)";
const ONE: &str = "#!lua name=one\nredis.register_function{function_name='only', callback=function() return 1 end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='the one'}";
const TWO: &str = "#!lua name=two\nredis.register_function('second', function() return 2 end)";
const ERRS: &str = "#!lua name=errs\nredis.register_function('unknown', function() return redis.call('bogus') end)\nredis.register_function('raises', function() error('boom') end)\nredis.register_function('keys', function() return KEYS end)\nredis.register_function('pcalls', function() return redis.pcall('INCR', 'str') end)\nredis.register_function('nested', function() return redis.call('FCALL', 'raises', 0) end)\nredis.register_function('wrongtype', function() return redis.call('INCR', 'str') end)\nredis.register_function('global', function() x = 1 end)\nredis.register_function('resp3', function() redis.setresp(3) return redis.call('HGETALL', 'h') end)\nredis.register_function('json', function(keys, args) local c = cjson.new() c.encode_number_precision(3) return {c.encode(1/3), cjson.encode(1/3)} end)";

/// FUNCTION LOAD, then FCALL and FCALL_RO with keys and arguments, the read-only rules,
/// REPLACE, a function name taken by another library, DELETE.
#[test]
fn load_and_call() -> TestResult {
    Script::new()
        .step(&["FUNCTION", "LOAD", LIB], "\"mylib\"")
        .step(
            &["FCALL", "echo", "2", "k1", "k2", "a1"],
            "1) 1) \"k1\"\n   2) \"k2\"\n2) 1) \"a1\"\n3) (integer) 2\n4) (integer) 1",
        )
        .step(&["FCALL", "echo", "0"], "1) (empty array)\n2) (empty array)\n3) (integer) 0\n4) (integer) 0")
        .step(&["FCALL", "setter", "1", "k", "v"], "OK")
        .step(&["FCALL", "getter", "1", "k"], "\"v\"")
        .step(&["FCALL_RO", "getter", "1", "k"], "\"v\"")
        .step(
            &["FCALL_RO", "setter", "1", "k", "v"],
            "(error) ERR Can not execute a script with write flag using *_ro command.",
        )
        .step(
            &["FCALL", "sneaky", "1", "k"],
            "(error) ERR Write commands are not allowed from read-only scripts. script: sneaky, on @user_function:5.",
        )
        .step(&["fcall", "nope", "0"], "(error) ERR Function not found")
        .step(&["FCALL_RO", "nope", "0"], "(error) ERR Function not found")
        .step(&["FCALL", "echo", "x"], "(error) ERR Bad number of keys provided")
        .step(&["FCALL", "echo", "-1"], "(error) ERR Number of keys can't be negative")
        .step(&["FCALL", "echo", "2", "k"], "(error) ERR Number of keys can't be greater than number of args")
        .step(&["FCALL", "nope", "x"], "(error) ERR Function not found")
        .step(&["FCALL", "echo"], "(error) ERR wrong number of arguments for 'fcall' command")
        .step(&["FUNCTION", "LOAD", LIB], "(error) ERR Library 'mylib' already exists")
        .step(&["FUNCTION", "LOAD", OTHER], "(error) ERR Function setter already exists")
        .step(&["FUNCTION", "LOAD", "REPLACE", LIB2], "\"mylib\"")
        .step(&["FCALL", "setter", "1", "k", "v"], "\"replaced\"")
        .step(&["FCALL", "echo", "0"], "(error) ERR Function not found")
        .step(&["FUNCTION", "LOAD", "replace", "REPLACE", OTHER], "(error) ERR Function setter already exists")
        .step(&["FUNCTION", "LOAD", OTHER], "(error) ERR Function setter already exists")
        .step(&["FUNCTION", "DELETE", "mylib"], "OK")
        .step(&["FUNCTION", "DELETE", "mylib"], "(error) ERR Library not found")
        .step(&["FUNCTION", "LOAD", OTHER], "\"other\"")
        .step(&["FCALL", "setter", "0"], "(integer) 1")
        .step(&["FUNCTION", "LOAD", "bogus", OTHER], "(error) ERR Unknown option given: bogus")
        .step(&["FUNCTION", "LOAD", "REPLACE"], "(error) ERR Missing library metadata")
        .step(&["FUNCTION", "LOAD"], "(error) ERR wrong number of arguments for 'function|load' command")
        .step(&["FUNCTION", "DELETE"], "(error) ERR wrong number of arguments for 'function|delete' command")
        .step(&["FUNCTION", "DELETE", "a", "b"], "(error) ERR wrong number of arguments for 'function|delete' command")
        .run()
}

/// The library's first line, names, redis.register_function's arguments, the load-time
/// sandbox (only register_function, log and the version) and the load timeout.
#[test]
fn load_errors() -> TestResult {
    Script::new()
        .step(&["FUNCTION", "LOAD", "return 1"], "(error) ERR Missing library metadata")
        .step(&["FUNCTION", "LOAD", "#!lua name=x"], "(error) ERR Invalid library metadata")
        .step(&["FUNCTION", "LOAD", "#!lua\nreturn 1"], "(error) ERR Library name was not given")
        .step(&["FUNCTION", "LOAD", "#!js name=x\nreturn 1"], "(error) ERR Engine 'js' not found")
        .step(&["FUNCTION", "LOAD", "#!lua name=x foo=bar\n"], "(error) ERR Invalid metadata value given: foo=bar")
        .step(&["FUNCTION", "LOAD", "#!lua name=x name=y\n"], "(error) ERR Invalid metadata value, name argument was given multiple times")
        .step(&["FUNCTION", "LOAD", "#!lua name=a-b\n"], "(error) ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        .step(&["FUNCTION", "LOAD", "#!lua name=\"q\"\nredis.register_function('q', function() return 1 end)"], "\"q\"")
        .step(&["FUNCTION", "LOAD", "#!lua name=\"q\n"], "(error) ERR Invalid library metadata")
        .step(&["FUNCTION", "LOAD", "#!lua name=\n"], "(error) ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nreturn 1"], "(error) ERR No functions registered")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nlocal x ="], "(error) ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function()"], "(error) ERR Error registering functions: ERR wrong number of arguments to redis.register_function")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f')"], "(error) ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', 1)"], "(error) ERR Error registering functions: ERR second argument to redis.register_function must be a function")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function({}, function() end)"], "(error) ERR Error registering functions: ERR first argument to redis.register_function must be a string")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() end, 3)"], "(error) ERR Error registering functions: ERR wrong number of arguments to redis.register_function")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a-b', function() end)"], "(error) ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('', function() end)"], "(error) ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() end) redis.register_function('f', function() end)"], "(error) ERR Error registering functions: ERR Function already exists in the library")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}"], "(error) ERR Error registering functions: ERR unknown flag given")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags='no-writes'}"], "(error) ERR Error registering functions: ERR flags argument to redis.register_function must be a table representing function flags")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, other=1}"], "(error) ERR Error registering functions: ERR unknown argument given to redis.register_function")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f'}"], "(error) ERR Error registering functions: ERR redis.register_function must get a callback argument")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{callback=function() end}"], "(error) ERR Error registering functions: ERR redis.register_function must get a function name argument")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', callback=1}"], "(error) ERR Error registering functions: ERR callback argument given to redis.register_function must be a function")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name={}, callback=function() end}"], "(error) ERR Error registering functions: ERR function_name argument given to redis.register_function must be a string")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, description={}}"], "(error) ERR Error registering functions: ERR description argument given to redis.register_function must be a string")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.call('SET', 'k', 'v')"], "(error) ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nlocal s = string.format('%d', 1)"], "(error) ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.setresp(3)"], "(error) ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'setresp'")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nx = 1"], "(error) ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.x = 1"], "(error) ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nwhile true do end"], "(error) ERR Error registering functions: ERR FUNCTION LOAD timeout")
        .step(&["FUNCTION", "LOAD", "#!lua name=x\nredis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION) redis.register_function(1, function() return redis.REDIS_VERSION_NUM end)"], "\"x\"")
        .step(&["FCALL", "1", "0"], "(integer) 458767")
        .step(&["FUNCTION", "LOAD", "#!LUA NAME=upper\nredis.register_function{FUNCTION_NAME='up', CALLBACK=function() return type(redis.register_function) end, DESCRIPTION=7}"], "\"upper\"")
        .step(&["FCALL", "up", "0"], "\"nil\"")
        .step(&["FUNCTION", "LIST", "LIBRARYNAME", "upper"], "1) 1) \"library_name\"\n   2) \"upper\"\n   3) \"engine\"\n   4) \"LUA\"\n   5) \"functions\"\n   6) 1) 1) \"name\"\n         2) \"up\"\n         3) \"description\"\n         4) \"7\"\n         5) \"flags\"\n         6) (empty array)")
        .run()
}

/// FUNCTION LIST's filters and shape, STATS, FLUSH, KILL with nothing running, HELP and the
/// subcommands' argument errors.
#[test]
fn list_stats_flush_help() -> TestResult {
    Script::new()
        .step(&["FUNCTION", "LIST"], "(empty array)")
        .step(&["FUNCTION", "STATS"], "1) \"running_script\"\n2) (nil)\n3) \"engines\"\n4) 1) \"LUA\"\n   2) 1) \"libraries_count\"\n      2) (integer) 0\n      3) \"functions_count\"\n      4) (integer) 0")
        .step(&["FUNCTION", "LOAD", ONE], "\"one\"")
        .step(&["FUNCTION", "LOAD", TWO], "\"two\"")
        .step(&["FUNCTION", "LIST", "LIBRARYNAME", "one"], "1) 1) \"library_name\"\n   2) \"one\"\n   3) \"engine\"\n   4) \"LUA\"\n   5) \"functions\"\n   6) 1) 1) \"name\"\n         2) \"only\"\n         3) \"description\"\n         4) \"the one\"\n         5) \"flags\"\n         6) 1) no-writes\n            2) allow-oom\n            3) allow-stale\n            4) no-cluster\n            5) allow-cross-slot-keys")
        .step(&["FUNCTION", "LIST", "LIBRARYNAME", "t*", "WITHCODE"], "1) 1) \"library_name\"\n   2) \"two\"\n   3) \"engine\"\n   4) \"LUA\"\n   5) \"functions\"\n   6) 1) 1) \"name\"\n         2) \"second\"\n         3) \"description\"\n         4) (nil)\n         5) \"flags\"\n         6) (empty array)\n   7) \"library_code\"\n   8) \"#!lua name=two\\nredis.register_function('second', function() return 2 end)\"")
        .step(&["FUNCTION", "LIST", "withcode", "libraryname", "ON?"], "1) 1) \"library_name\"\n   2) \"one\"\n   3) \"engine\"\n   4) \"LUA\"\n   5) \"functions\"\n   6) 1) 1) \"name\"\n         2) \"only\"\n         3) \"description\"\n         4) \"the one\"\n         5) \"flags\"\n         6) 1) no-writes\n            2) allow-oom\n            3) allow-stale\n            4) no-cluster\n            5) allow-cross-slot-keys\n   7) \"library_code\"\n   8) \"#!lua name=one\\nredis.register_function{function_name='only', callback=function() return 1 end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='the one'}\"")
        .step(&["FUNCTION", "LIST", "LIBRARYNAME", "nothing*"], "(empty array)")
        .step(&["FUNCTION", "LIST", "LIBRARYNAME"], "(error) ERR library name argument was not given")
        .step(&["FUNCTION", "LIST", "WITHCODE", "WITHCODE"], "(error) ERR Unknown argument WITHCODE")
        .step(&["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"], "(error) ERR Unknown argument LIBRARYNAME")
        .step(&["FUNCTION", "LIST", "bogus"], "(error) ERR Unknown argument bogus")
        .step(&["FUNCTION", "STATS"], "1) \"running_script\"\n2) (nil)\n3) \"engines\"\n4) 1) \"LUA\"\n   2) 1) \"libraries_count\"\n      2) (integer) 2\n      3) \"functions_count\"\n      4) (integer) 2")
        .step(&["FUNCTION", "STATS", "x"], "(error) ERR wrong number of arguments for 'function|stats' command")
        .step(&["FUNCTION", "KILL"], "(error) NOTBUSY No scripts in execution right now.")
        .step(&["FUNCTION", "KILL", "x"], "(error) ERR wrong number of arguments for 'function|kill' command")
        .step(&["FUNCTION", "FLUSH", "bogus"], "(error) ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
        .step(&["FUNCTION", "FLUSH", "SYNC", "ASYNC"], "(error) ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.")
        .step(&["FUNCTION", "FLUSH", "ASYNC"], "OK")
        .step(&["FUNCTION", "LIST"], "(empty array)")
        .step(&["FUNCTION", "LOAD", ONE], "\"one\"")
        .step(&["FUNCTION", "FLUSH"], "OK")
        .step(&["FCALL", "only", "0"], "(error) ERR Function not found")
        .step(&["FUNCTION", "LOAD", ONE], "\"one\"")
        .step(&["FUNCTION", "FLUSH", "sync"], "OK")
        .step(&["FUNCTION", "STATS"], "1) \"running_script\"\n2) (nil)\n3) \"engines\"\n4) 1) \"LUA\"\n   2) 1) \"libraries_count\"\n      2) (integer) 0\n      3) \"functions_count\"\n      4) (integer) 0")
        .step(&["FUNCTION", "HELP"], " 1) FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n 2) LOAD [REPLACE] <FUNCTION CODE>\n 3)     Create a new library with the given library name and code.\n 4) DELETE <LIBRARY NAME>\n 5)     Delete the given library.\n 6) LIST [LIBRARYNAME PATTERN] [WITHCODE]\n 7)     Return general information on all the libraries:\n 8)     * Library name\n 9)     * The engine used to run the Library\n10)     * Library description\n11)     * Functions list\n12)     * Library code (if WITHCODE is given)\n13)     It also possible to get only function that matches a pattern using LIBRARYNAME argument.\n14) STATS\n15)     Return information about the current function running:\n16)     * Function name\n17)     * Command used to run the function\n18)     * Duration in MS that the function is running\n19)     If no function is running, return nil\n20)     In addition, returns a list of available engines.\n21) KILL\n22)     Kill the current running function.\n23) FLUSH [ASYNC|SYNC]\n24)     Delete all the libraries.\n25)     When called without the optional mode argument, the behavior is determined by the\n26)     lazyfree-lazy-user-flush configuration directive. Valid modes are:\n27)     * ASYNC: Asynchronously flush the libraries.\n28)     * SYNC: Synchronously flush the libraries.\n29) DUMP\n30)     Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command\n31) RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]\n32)     Restore the libraries represented by the given payload, it is possible to give a restore policy to\n33)     control how to handle existing libraries (default APPEND):\n34)     * FLUSH: delete all existing libraries.\n35)     * APPEND: appends the restored libraries to the existing libraries. On collision, abort.\n36)     * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old\n37)       libraries with the new libraries (notice that even on this option there is a chance of failure\n38)       in case of functions name collision with another library).\n39) HELP\n40)     Prints this help.")
        .step(&["FUNCTION", "HELP", "x"], "(error) ERR wrong number of arguments for 'function|help' command")
        .step(&["FUNCTION", "bogus"], "(error) ERR unknown subcommand 'bogus'. Try FUNCTION HELP.")
        .step(&["FUNCTION"], "(error) ERR wrong number of arguments for 'function' command")
        .step(&["SCRIPT", "FLUSH"], "OK")
        .step(&["FUNCTION", "LOAD", TWO], "\"two\"")
        .step(&["SCRIPT", "FLUSH"], "OK")
        .step(&["FCALL", "second", "0"], "(integer) 2")
        .run()
}

/// Errors a function raises name the function and its line; a function sees no KEYS; redis.call
/// refuses FCALL; redis.setresp and cjson.new work as in scripts.
#[test]
fn errors_inside_functions() -> TestResult {
    Script::new()
        .step(&["SET", "str", "abc"], "OK")
        .step(&["HSET", "h", "f", "v"], "(integer) 1")
        .step(&["FUNCTION", "LOAD", ERRS], "\"errs\"")
        .step(&["FCALL", "unknown", "0"], "(error) ERR Unknown Redis command called from script script: unknown, on @user_function:2.")
        .step(&["FCALL", "raises", "0"], "(error) ERR user_function:3: boom script: raises, on @user_function:3.")
        .step(&["FCALL", "keys", "0"], "(error) ERR user_function:4: Script attempted to access nonexistent global variable 'KEYS' script: keys, on @user_function:4.")
        .step(&["FCALL", "pcalls", "0"], "(error) ERR value is not an integer or out of range")
        .step(&["FCALL", "nested", "0"], "(error) ERR This Redis command is not allowed from script script: nested, on @user_function:6.")
        .step(&["FCALL", "wrongtype", "0"], "(error) ERR value is not an integer or out of range script: wrongtype, on @user_function:7.")
        .step(&["FCALL", "global", "0"], "(error) ERR user_function:8: Attempt to modify a readonly table script: global, on @user_function:8.")
        .step(&["FCALL", "resp3", "0"], "1) \"f\"\n2) \"v\"")
        .step(&["FCALL", "json", "0"], "1) \"0.333\"\n2) \"0.33333333333333\"")
        .step(&["EVAL", "return redis.call('FCALL', 'raises', 0)", "0"], "(error) ERR This Redis command is not allowed from script script: 63139db23931d79e98874b92f9499d6725688f2a, on @user_script:1.")
        .step(&["EVAL", "return redis.call('FUNCTION', 'LIST')", "0"], "(error) ERR This Redis command is not allowed from script script: 716b79376633ef2b497d914a260f58c36a4b915e, on @user_script:1.")
        .run()
}

/// An endless function: only FUNCTION KILL stops it.
const SPIN: &str =
    "#!lua name=spin\nredis.register_function('spin', function()\n  local i = 0\n  while true do i = i + 1 end\nend)";
/// How long past the busy threshold the tests wait before asking the others' view.
const PAST_THRESHOLD: Duration = Duration::from_millis(400);

/// FUNCTION STATS's rendered reply with the running time (which differs run to run) as `<ms>`.
fn without_duration(rendered: &str) -> String {
    let marker = "\"duration_ms\"\n   6) (integer) ";
    match rendered.find(marker) {
        Some(at) => {
            let digits = at + marker.len();
            let end = rendered[digits..].find('\n').map_or(rendered.len(), |e| digits + e);
            format!("{}<ms>{}", &rendered[..digits], &rendered[end..])
        }
        None => rendered.to_string(),
    }
}

/// A function that loops forever: past `busy-reply-threshold` others get the FUNCTION KILL
/// flavour of -BUSY (SCRIPT KILL too), FUNCTION STATS names it and its command, FUNCTION KILL
/// stops it. Then an endless script: FUNCTION KILL and FUNCTION STATS get the SCRIPT KILL
/// flavour, SCRIPT KILL stops it.
#[test]
fn function_kill_stops_an_endless_function() -> TestResult {
    let servers = SideBySide::start()?;
    let expected = [
        "OK",
        "\"spin\"",
        "(error) BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        "(error) BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        "1) \"running_script\"\n2) 1) \"name\"\n   2) \"spin\"\n   3) \"command\"\n   4) 1) \"FCALL\"\n      2) \"spin\"\n      3) \"0\"\n      4) \"x\"\n   5) \"duration_ms\"\n   6) (integer) <ms>\n3) \"engines\"\n4) 1) \"LUA\"\n   2) 1) \"libraries_count\"\n      2) (integer) 1\n      3) \"functions_count\"\n      4) (integer) 1",
        "OK",
        "(error) ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:4.",
        "(error) NOTBUSY No scripts in execution right now.",
        "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        "OK",
        "(error) ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.",
        "PONG",
    ];
    servers.expect(&expected, |port| {
        let mut runner = Conn::open(port)?;
        let mut other = Conn::open(port)?;
        let mut t = vec![other.call(&["CONFIG", "SET", "busy-reply-threshold", "100"])?];
        t.push(other.call(&["FUNCTION", "LOAD", SPIN])?);
        runner.send(&["FCALL", "spin", "0", "x"])?;
        std::thread::sleep(PAST_THRESHOLD);
        t.push(other.call(&["GET", "k"])?);
        t.push(other.call(&["SCRIPT", "KILL"])?);
        t.push(without_duration(&other.call(&["FUNCTION", "STATS"])?));
        t.push(other.call(&["FUNCTION", "KILL"])?);
        t.push(runner.recv()?);
        t.push(other.call(&["FUNCTION", "KILL"])?);
        runner.send(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"])?;
        std::thread::sleep(PAST_THRESHOLD);
        t.push(other.call(&["FUNCTION", "KILL"])?);
        t.push(other.call(&["FUNCTION", "STATS"])?);
        t.push(other.call(&["SCRIPT", "KILL"])?);
        t.push(runner.recv()?);
        t.push(other.call(&["PING"])?);
        Ok(t)
    });
    Ok(())
}

const R3: &str =
    "#!lua name=r3\nredis.register_function('map', function() redis.setresp(3) return redis.call('HGETALL', 'h') end)";

/// FUNCTION LIST and STATS in RESP2 and RESP3: maps, a set of flags as status strings, a
/// missing description and no running function as null.
#[test]
fn list_and_stats_in_resp2_and_resp3() -> TestResult {
    SideBySide::start()?.expect(
        &[
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:0\r\n$15\r\nfunctions_count\r\n:0\r\n",
            "$3\r\ntwo\r\n",
            "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\ntwo\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$6\r\nsecond\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n",
            "$3\r\none\r\n",
            "$2\r\nr3\r\n",
            "*1\r\n%3\r\n$12\r\nlibrary_name\r\n$3\r\none\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n%3\r\n$4\r\nname\r\n$4\r\nonly\r\n$11\r\ndescription\r\n$7\r\nthe one\r\n$5\r\nflags\r\n~5\r\n+no-writes\r\n+allow-oom\r\n+allow-stale\r\n+no-cluster\r\n+allow-cross-slot-keys\r\n",
            "*1\r\n%4\r\n$12\r\nlibrary_name\r\n$3\r\ntwo\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n%3\r\n$4\r\nname\r\n$6\r\nsecond\r\n$11\r\ndescription\r\n_\r\n$5\r\nflags\r\n~0\r\n$12\r\nlibrary_code\r\n$73\r\n#!lua name=two\nredis.register_function('second', function() return 2 end)\r\n",
            "%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n%2\r\n$15\r\nlibraries_count\r\n:3\r\n$15\r\nfunctions_count\r\n:3\r\n",
            "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
        ],
        |port| {
            let mut con = RawConn::connect(port)?;
            con.call(&["HSET", "h", "f", "v"])?;
            let mut t = vec![con.call(&["FUNCTION", "STATS"])?];
            t.push(con.call(&["FUNCTION", "LOAD", TWO])?);
            t.push(con.call(&["FUNCTION", "LIST"])?);
            con.call(&["HELLO", "3"])?;
            t.push(con.call(&["FUNCTION", "LOAD", ONE])?);
            t.push(con.call(&["FUNCTION", "LOAD", R3])?);
            t.push(con.call(&["FUNCTION", "LIST", "LIBRARYNAME", "one"])?);
            t.push(con.call(&["FUNCTION", "LIST", "LIBRARYNAME", "two", "WITHCODE"])?);
            t.push(con.call(&["FUNCTION", "STATS"])?);
            t.push(con.call(&["FCALL", "map", "0"])?);
            Ok(t)
        },
    );
    Ok(())
}

/// FUNCTION DUMP from redis-server 7.0.15 holding library `one` (its code LZF-compressed).
const REDIS_DUMP: &str = "f5c34054405e1f23216c7561206e616d653d6f6e650a72656469732e72656769737465725f6675066e6374\
                          696f6e7bc008005f602910276f6e6c79272c2063616c6c6261636b3dc01e0f28292072657475726e2031\
                          20656e647d0a00bc48c9a67e4e60af";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A bulk reply's payload (`$<n>\r\n<bytes>\r\n`); anything else as it came.
fn bulk_payload(frame: &[u8]) -> Vec<u8> {
    let Some(start) = frame.windows(2).position(|w| w == b"\r\n") else { return frame.to_vec() };
    if frame.first() != Some(&b'$') || frame.len() < start + 4 {
        return frame.to_vec();
    }
    frame[start + 2..frame.len() - 2].to_vec()
}

/// FUNCTION RESTORE takes redis-server's own payload (LZF-compressed code) under each policy,
/// refuses a damaged one, and a server's DUMP restores into it after a flush.
#[test]
fn dump_and_restore() -> TestResult {
    let payload = unhex(REDIS_DUMP);
    let mut damaged = payload.clone();
    damaged[3] ^= 1;
    SideBySide::start()?.expect(
        &[
            "\"\\n\\x00]\\x9b\\\\@\\x0f\\x7f\\xa2\\xda\"",
            "OK",
            "(integer) 1",
            "(error) ERR Library one already exists",
            "(error) ERR Library one already exists",
            "OK",
            "OK",
            "(error) ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            "(error) ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.",
            "(error) ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.",
            "(error) ERR DUMP payload version or checksum are wrong",
            "(error) ERR DUMP payload version or checksum are wrong",
            "(error) ERR wrong number of arguments for 'function|restore' command",
            "(error) ERR wrong number of arguments for 'function|dump' command",
            "OK",
            "\"two\"",
            "(error) ERR Library two already exists",
            "OK",
            "OK",
            "(integer) 2",
            "(error) ERR Function not found",
        ],
        |port| {
            let mut con = Conn::open(port)?;
            let mut t = vec![con.call(&["FUNCTION", "DUMP"])?];
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload])?);
            t.push(con.call(&["FCALL", "only", "0"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"append"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"REPLACE"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"FLUSH"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"BOGUS"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"FLUSH", b"x"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &payload, b"BOGUS", b"x"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &damaged])?);
            t.push(con.call(&["FUNCTION", "RESTORE", "x"])?);
            t.push(con.call(&["FUNCTION", "RESTORE"])?);
            t.push(con.call(&["FUNCTION", "DUMP", "x"])?);
            // Its own DUMP, restored after a flush: library `two` comes back, `one` does not.
            t.push(con.call(&["FUNCTION", "FLUSH"])?);
            t.push(con.call(&["FUNCTION", "LOAD", TWO])?);
            let mut raw = RawConn::connect(port)?;
            raw.send_command(&["FUNCTION", "DUMP"])?;
            let own = bulk_payload(&raw.read_frame()?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &own])?);
            t.push(con.call(&["FUNCTION", "FLUSH"])?);
            t.push(con.call(&[&b"FUNCTION"[..], b"RESTORE", &own])?);
            t.push(con.call(&["FCALL", "second", "0"])?);
            t.push(con.call(&["FCALL", "one", "0"])?);
            Ok(t)
        },
    );
    Ok(())
}

/// Meridian's DUMP (uncompressed) restores into redis-server, and redis-server's into Meridian.
#[test]
fn dumps_cross_between_servers() -> TestResult {
    let servers = SideBySide::start()?;
    let [(_, redis), (_, meridian)] = servers.servers();
    let mut dumps = Vec::new();
    for (port, code) in [(meridian, ONE), (redis, TWO)] {
        let mut raw = RawConn::connect(port)?;
        raw.call(&["FUNCTION", "LOAD", code])?;
        raw.send_command(&["FUNCTION", "DUMP"])?;
        dumps.push(bulk_payload(&raw.read_frame()?));
    }
    let mut into_redis = Conn::open(redis)?;
    assert_eq!(into_redis.call(&[&b"FUNCTION"[..], b"RESTORE", &dumps[0]])?, "OK");
    assert_eq!(into_redis.call(&["FCALL", "only", "0"])?, "(integer) 1");
    let mut into_meridian = Conn::open(meridian)?;
    assert_eq!(into_meridian.call(&[&b"FUNCTION"[..], b"RESTORE", &dumps[1]])?, "OK");
    assert_eq!(into_meridian.call(&["FCALL", "second", "0"])?, "(integer) 2");
    Ok(())
}
