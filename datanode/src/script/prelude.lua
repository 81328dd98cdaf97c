-- Builds Redis's Lua environment once per VM. Runs with the full base library; takes the
-- table scripts' globals live in (`real`), the per-run context that Rust fills (`ctx`:
-- `dispatch`, `resp`), the Rust helpers and the `bit`, `cjson`, `cmsgpack` and `struct`
-- libraries; returns the read-only environment scripts see, and what functions need (the
-- environment of a library's code, the load state, and `bind`).
local real, ctx, sha1, log, version, version_num, redis_call, redis_pcall, errtext, bit, cjson, cmsgpack, struct = ...
local error, type, select, tostring, setmetatable, rawpcall = error, type, select, tostring, setmetatable, pcall
local sub, find, gsub = string.sub, string.find, string.gsub

local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
end

-- Redis's error-table text: "-CODE msg" keeps CODE, anything else gets "ERR".
local function err_text(s)
  local code, msg = 'ERR', s
  if sub(s, 1, 1) == '-' then
    local sp = find(s, ' ', 1, true)
    if sp then code, msg = sub(s, 2, sp - 1), sub(s, sp + 1) else msg = sub(s, 2) end
  end
  msg = gsub(gsub(msg, '^[\r\n]+', ''), '[\r\n]+$', '')
  return code .. ' ' .. msg
end

local function fail(msg) error({err = msg}) end

local redis = {}
-- C functions: a script's `return redis.call(...)` keeps its frame (and line) on the stack.
redis.call = redis_call
redis.pcall = redis_pcall
function redis.error_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or (type(s) ~= 'string' and type(s) ~= 'number') then
    return {err = 'ERR wrong number or type of arguments'}
  end
  s = tostring(s)
  if sub(s, 1, 1) ~= '-' then s = '-' .. s end
  return {err = err_text(s)}
end
function redis.status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or (type(s) ~= 'string' and type(s) ~= 'number') then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {ok = tostring(s)}
end
function redis.sha1hex(...)
  if select('#', ...) ~= 1 then fail('ERR wrong number of arguments') end
  local s = ...
  if type(s) == 'number' then s = tostring(s) end
  if type(s) ~= 'string' then s = '' end
  return sha1(s)
end
function redis.log(...)
  local n = select('#', ...)
  if n < 2 then fail('ERR redis.log() requires two arguments or more.') end
  local level = ...
  if type(level) ~= 'number' then fail('ERR First argument must be a number') end
  if level < 0 or level > 3 then fail('ERR Invalid debug level.') end
  local parts = {}
  for i = 2, n do
    local v = select(i, ...)
    if type(v) == 'string' or type(v) == 'number' then parts[#parts + 1] = tostring(v) end
  end
  log(level, table.concat(parts, ' '))
end
function redis.setresp(...)
  if select('#', ...) ~= 1 then fail('ERR redis.setresp() requires one argument.') end
  local v = ...
  if v ~= 2 and v ~= 3 then fail('ERR RESP version must be 2 or 3.') end
  ctx.resp = v
end
function redis.set_repl(...)
  if select('#', ...) ~= 1 then fail('ERR redis.set_repl() requires one argument.') end
  local v = ...
  if type(v) ~= 'number' or v < 0 or v > 3 then fail('ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.') end
end
function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = version, version_num

-- Redis's pcall hands a script the message of an error table, not the table.
local function unwrap(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' and type(e.err) == 'string' then return false, e.err end
  local text = errtext(e)
  if text then return false, text end
  return false, ...
end

local allowed = {
  'xpcall', 'tostring', 'getfenv', 'setmetatable', 'next', 'assert', 'tonumber', 'rawequal',
  'collectgarbage', 'getmetatable', 'rawset', 'coroutine', 'type', 'select', 'unpack', 'gcinfo',
  'pairs', 'rawget', 'loadstring', 'ipairs', '_VERSION', 'setfenv', 'load', 'error', 'newproxy',
}
for _, name in ipairs(allowed) do real[name] = _G[name] end
real.pcall = function(f, ...) return unwrap(rawpcall(f, ...)) end
real.string = readonly(string)
real.math = readonly(math)
real.table = readonly(table)
real.redis = readonly(redis)
real.bit = readonly(bit)
real.cjson = readonly(cjson)
real.cmsgpack = readonly(cmsgpack)
real.struct = readonly(struct)

-- A read-only table whose reads go through `lookup`; a name it does not know is an error,
-- as Redis words it (the sandboxes of scripts, of functions, and of a library as it loads).
local function strict(lookup)
  return setmetatable({}, {
    __index = function(_, k)
      local v = lookup(k)
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
end

local env = strict(function(k) return real[k] end)
real._G = env
-- Code loaded at run time and environment look-ups stay inside the sandbox: the VM's own
-- globals table is never handed out.
local vm_globals, rawload, rawloadstring, rawgetfenv, rawsetfenv = _G, load, loadstring, getfenv, setfenv
real.loadstring = function(...)
  local f, e = rawloadstring(...)
  if f then rawsetfenv(f, env) end
  return f, e
end
real.load = function(...)
  local f, e = rawload(...)
  if f then rawsetfenv(f, env) end
  return f, e
end
real.getfenv = function(...)
  local e = rawgetfenv(...)
  if e == vm_globals then return env end
  return e
end
for _, name in ipairs({'dofile', 'loadfile', 'print', 'require', 'module', 'os', 'io', 'debug', 'package'}) do
  vm_globals[name] = nil
end

-- Functions (FUNCTION LOAD, FCALL). A library's code runs with `library.loading` set and
-- sees only `redis.register_function`, `redis.log`, the log levels and the version, as in
-- Redis (anything else, `redis.call` included, is a nonexistent global); the functions it
-- registers run later with the globals scripts have (in their own VM, where KEYS and ARGV are
-- never set, so they do not exist). Both read through
-- `fenv`, whose look-up follows `library.loading`. Registered functions are collected in
-- `library.registered` for Rust to check and keep.
local library = {loading = false, registered = {}}
local lower = string.lower
local FLAG_BITS = {
  ['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8, ['allow-cross-slot-keys'] = 16,
}
local function is_string(v) return type(v) == 'string' or type(v) == 'number' end
local function read_flags(t)
  local bits = 0
  for _, f in pairs(t) do
    local b = is_string(f) and FLAG_BITS[tostring(f)]
    if not b then return nil end
    bits = bit.bor(bits, b)
  end
  return bits
end
local BAD_NAME = 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long'
local function register_function(...)
  if not library.loading then fail('ERR redis.register_function can only be called on FUNCTION LOAD command') end
  local n = select('#', ...)
  local name, callback, flags, description
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      fail('ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in pairs(t) do
      if not is_string(k) then fail('ERR named argument key given to redis.register_function is not a string') end
      local key = lower(tostring(k))
      if key == 'function_name' then
        if not is_string(v) then fail('ERR function_name argument given to redis.register_function must be a string') end
        name = tostring(v)
      elseif key == 'description' then
        if not is_string(v) then fail('ERR description argument given to redis.register_function must be a string') end
        description = tostring(v)
      elseif key == 'callback' then
        if type(v) ~= 'function' then fail('ERR callback argument given to redis.register_function must be a function') end
        callback = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then
          fail('ERR flags argument to redis.register_function must be a table representing function flags')
        end
        flags = read_flags(v)
        if not flags then fail('ERR unknown flag given') end
      else
        fail('ERR unknown argument given to redis.register_function')
      end
    end
    if not name then fail('ERR redis.register_function must get a function name argument') end
    if not callback then fail('ERR redis.register_function must get a callback argument') end
  elseif n == 2 then
    name, callback = ...
    if not is_string(name) then fail('ERR first argument to redis.register_function must be a string') end
    if type(callback) ~= 'function' then fail('ERR second argument to redis.register_function must be a function') end
    name = tostring(name)
  else
    fail('ERR wrong number of arguments to redis.register_function')
  end
  if name == '' or find(name, '[^%w_]') then fail(BAD_NAME) end
  if library.registered[name] then fail('ERR Function already exists in the library') end
  library.registered[name] = {callback = callback, flags = flags or 0, description = description}
end
local load_redis = {
  register_function = register_function, log = redis.log, REDIS_VERSION = version, REDIS_VERSION_NUM = version_num,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE,
  LOG_WARNING = redis.LOG_WARNING,
}
local load_api = {redis = strict(function(k) return load_redis[k] end)}
local fenv = strict(function(k)
  if library.loading then return load_api[k] end
  return real[k]
end)
-- FCALL's call: xpcall in Lua 5.1 passes no arguments, so the callback is bound to its
-- keys and arguments first (a tail call: the callback's own frame is the one errors name).
local function bind(f, keys, args)
  return function() return f(keys, args) end
end
return env, fenv, library, bind
