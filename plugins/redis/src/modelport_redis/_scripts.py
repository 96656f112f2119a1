"""The Lua scripts: each runs atomically in Redis, on the server's clock (``TIME``), so that
processes on machines with skewed clocks agree on every refill, lease and cooldown.

Keys of one budget share a hash tag (``{scope}``), so they live in one slot of a cluster.
"""

from __future__ import annotations

__all__ = ["ACQUIRE", "COOL", "PAUSE", "RELEASE", "RENEW"]

# Shared prologue: the server's time in milliseconds, and a bucket's level after its refill
# (a bucket missing is a full one; ``t`` in the future means "drained, refilling from t").
_CLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function level(key, cap)
  local v = redis.call('HMGET', key, 'l', 't')
  if not v[1] then return cap, now end
  local l, at = tonumber(v[1]), tonumber(v[2])
  if now > at then
    l = math.min(cap, l + (now - at) * cap / 60000)
    at = now
  end
  return l, at
end
"""

# KEYS: slots, waiters, seen, requests bucket, tokens bucket, pause
# ARGV: holder, max_concurrency (0: none), rpm (0: none), tpm (0: none), cost, lease ms,
#       waiter ttl ms
# Returns {granted 0/1, retry in ms (-1: waits for a slot), tokens taken}.
ACQUIRE = (
    _CLOCK
    + """
local holder = ARGV[1]
local maxc, rpm, tpm = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local cost, lease, wttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])

-- Slots of holders that stopped renewing (a dead process), waiters that stopped asking.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, h in ipairs(gone) do redis.call('ZREM', KEYS[2], h) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)

-- The order between processes: arrival at the first ask.
redis.call('ZADD', KEYS[2], 'NX', now, holder)
redis.call('ZADD', KEYS[3], now + wttl, holder)
redis.call('PEXPIRE', KEYS[2], wttl)
redis.call('PEXPIRE', KEYS[3], wttl)

local function done(granted, retry, taken)
  if granted == 1 then
    redis.call('ZREM', KEYS[2], holder)
    redis.call('ZREM', KEYS[3], holder)
  end
  return {granted, retry, taken}
end

if maxc > 0 then
  local free = maxc - redis.call('ZCARD', KEYS[1])
  if redis.call('ZRANK', KEYS[2], holder) >= free then return done(0, -1, 0) end
end

local paused = tonumber(redis.call('GET', KEYS[6]) or '0')
if paused > now then return done(0, paused - now, 0) end

local wait, take = 0, cost
local rl, rat, tl, tat
if rpm > 0 then
  rl, rat = level(KEYS[4], rpm)
  local need = math.min(1, rpm)
  if rl < need then wait = math.max(wait, (need - rl) * 60000 / rpm, rat - now) end
end
if tpm > 0 then
  take = math.floor(math.min(cost, tpm))
  tl, tat = level(KEYS[5], tpm)
  if tl < take then wait = math.max(wait, (take - tl) * 60000 / tpm, tat - now) end
end
if wait > 0 then return done(0, math.ceil(wait), 0) end

local keep = 60000 + lease
if rpm > 0 then
  redis.call('HSET', KEYS[4], 'l', rl - math.min(1, rpm), 't', rat)
  redis.call('PEXPIRE', KEYS[4], keep)
end
if tpm > 0 then
  redis.call('HSET', KEYS[5], 'l', tl - take, 't', tat)
  redis.call('PEXPIRE', KEYS[5], keep)
end
if maxc > 0 then
  redis.call('ZADD', KEYS[1], now + lease, holder)
  redis.call('PEXPIRE', KEYS[1], lease)
end
return done(1, 0, take)
"""
)

# KEYS: slots, waiters, seen, tokens bucket.  ARGV: holder, tpm (0: none), refund, lease ms
RELEASE = (
    _CLOCK
    + """
local holder = ARGV[1]
local tpm, refund = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREM', KEYS[1], holder)
redis.call('ZREM', KEYS[2], holder)
redis.call('ZREM', KEYS[3], holder)
if tpm > 0 and refund ~= 0 then
  local l, at = level(KEYS[4], tpm)
  redis.call('HSET', KEYS[4], 'l', math.min(tpm, l + refund), 't', at)
  redis.call('PEXPIRE', KEYS[4], 60000 + tonumber(ARGV[4]))
end
return 1
"""
)

# KEYS: slots.  ARGV: lease ms, holders...
RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
    n = n + 1
  end
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], lease) end
return n
"""

# KEYS: pause, requests bucket, tokens bucket.  ARGV: ms, drain requests 0/1, drain tokens 0/1
# Draining empties a bucket and starts its refill at the pause's end: no burst right after.
PAUSE = (
    _CLOCK
    + """
local ms = tonumber(ARGV[1])
local till = now + ms
if till > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], till, 'PX', ms)
end
for i = 2, 3 do
  if ARGV[i] == '1' then
    local _, at = level(KEYS[i], 1)
    redis.call('HSET', KEYS[i], 'l', 0, 't', math.max(at, till))
    redis.call('PEXPIRE', KEYS[i], 60000 + ms)
  end
end
return 1
"""
)

# KEYS: the key's cooldown.  ARGV: ms.  Only ever lengthened.
COOL = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 1
"""
