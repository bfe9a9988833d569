/**
 * The Lua scripts that make the store's rules atomic on the Redis server. Every script that
 * changes the lock checks the holder id first: a lock is only ever renewed or released by the
 * process that took it, and an entry is only written by the lock's holder at the version it read.
 * @internal
 */

/** KEYS[1] lock; ARGV[1] holder, ARGV[2] lease ms. 1 when renewed, 0 when the lock is not ours. @internal */
export const renew = `
if redis.call("get", KEYS[1]) == ARGV[1] then
  return redis.call("pexpire", KEYS[1], ARGV[2])
end
return 0`

/**
 * KEYS[1] lock; ARGV[1] holder, ARGV[2] channel, ARGV[3] message. Deletes the lock if it is
 * ours and tells the waiters on the channel, in one step. 1 when released, 0 when not ours.
 * @internal
 */
export const release = `
if redis.call("get", KEYS[1]) == ARGV[1] then
  redis.call("del", KEYS[1])
  redis.call("publish", ARGV[2], ARGV[3])
  return 1
end
return 0`

/**
 * KEYS[1] entry (hash: version, data), KEYS[2] lock; ARGV[1] holder, ARGV[2] expected version,
 * ARGV[3] data ("" deletes the entry), ARGV[4] time to live in ms (0: none).
 * Returns the new version; -1 when the lock is not ours any more; -2 when the entry moved on.
 * @internal
 */
export const write = `
if redis.call("get", KEYS[2]) ~= ARGV[1] then return -1 end
local current = tonumber(redis.call("hget", KEYS[1], "version") or "0")
if current ~= tonumber(ARGV[2]) then return -2 end
local next = current + 1
if ARGV[3] == "" then
  redis.call("del", KEYS[1])
  redis.call("hset", KEYS[1], "version", next)
else
  redis.call("hset", KEYS[1], "version", next, "data", ARGV[3])
end
if tonumber(ARGV[4]) > 0 then redis.call("pexpire", KEYS[1], ARGV[4]) else redis.call("persist", KEYS[1]) end
return next`
