-- Builds Redis's Lua environment once per VM. Runs with the full base library; takes the
-- table scripts' globals live in (`real`), the per-run context that Rust fills (`ctx`:
-- `dispatch`, `resp`), the Rust helpers and the `bit`, `cjson`, `cmsgpack` and `struct` libraries; returns the read-only environment scripts see.
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

local env = setmetatable({}, {
  __index = function(_, k)
    local v = real[k]
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
})
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
return env
