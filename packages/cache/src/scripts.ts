/**
 * The Lua scripts that keep fills, invalidations and warming atomic. Each runs as one Redis
 * command, so no other client's command interleaves with its reads and writes: that is what
 * makes "fill only if no invalidation happened since the miss" a check, not a hope.
 *
 * Versions are 20-digit zero-padded decimal strings, so `<` on strings orders them as numbers
 * (Lua numbers are doubles and would round LSNs past 2^53).
 */
import { createHash } from 'node:crypto';

/** A script and its SHA-1, for EVALSHA with a fallback to EVAL after a Redis restart. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Takes the lease of a key. KEYS: value, lease, then the version key of each of the entry's
 * tags. ARGV: token, lease ms, and '' on a miss or the stale entry's first 15 bytes for a
 * stale-while-revalidate refresh.
 *
 * On a miss, returns the entry if one appeared since the caller's GET. A refresh goes ahead
 * only while the entry is still there and still the same stale one. Returns 0 when another
 * fill holds the lease, else `{1, tagVersion…}`: the caller holds the lease, and its fill lands
 * only if these tag versions are unchanged by then.
 */
export const acquireLease = script(
  'acquireLease',
  `local entry = redis.call('GET', KEYS[1])
if ARGV[3] == '' then
  if entry then return entry end
elseif not entry or string.sub(entry, 1, 15) ~= ARGV[3] then
  return 0
end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local out = {1}
for i = 3, #KEYS do out[#out + 1] = redis.call('GET', KEYS[i]) or '' end
return out`,
);

/** Gives a lease back (the load failed): KEYS: lease. ARGV: token. */
export const releaseLease = script(
  'releaseLease',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/**
 * Fill with a lease. Lands only if the caller's lease token is still the current one — an
 * invalidation or a warm since the miss deleted it, an expired lease is gone, a newer lease has
 * another token — and no tag of the entry was invalidated since the lease was taken. The
 * entry keeps the newest version known for the key (the stale entry's or the tombstone's), so
 * an older change redelivered later cannot overwrite it.
 * KEYS: value, lease, tombstone, then (tag version, tag set) per tag. ARGV: token, fresh-until
 * (15 digits), kind ('v'/'n'), data, hard TTL ms, the cache key, then the tag versions read
 * with the lease.
 * Returns 1 when the entry was written, 0 when the fill was refused.
 */
export const fillWithLease = script(
  'fillWithLease',
  `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
local tags = (#KEYS - 3) / 2
for j = 1, tags do
  if (redis.call('GET', KEYS[2 + 2 * j]) or '') ~= ARGV[6 + j] then return 0 end
end
local version = '${'0'.repeat(20)}'
local current = redis.call('GET', KEYS[1])
if current then
  local v = string.sub(current, 17, 36)
  if v > version then version = v end
end
local tomb = redis.call('GET', KEYS[3])
if tomb and tomb > version then version = tomb end
redis.call('SET', KEYS[1], ARGV[2] .. ARGV[3] .. version .. ARGV[4], 'PX', ARGV[5])
local ttl = tonumber(ARGV[5])
for j = 1, tags do
  local set = KEYS[3 + 2 * j]
  redis.call('SADD', set, ARGV[6])
  if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
end
return 1`,
);

/**
 * Invalidation of a tag. KEYS: the tag's version key, the tag's set. ARGV: the namespace's key
 * base, tombstone TTL ms, version. Bumps the tag's version first — so a fill of a tagged key
 * whose lease predates this call cannot land even though the key is not in the set yet — then
 * invalidates every member like `invalidateKeys` and drops the set. Returns the member count.
 */
export const invalidateTag = script(
  'invalidateTag',
  `redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local members = redis.call('SMEMBERS', KEYS[2])
for _, key in ipairs(members) do
  redis.call('DEL', ARGV[1] .. 'v:' .. key, ARGV[1] .. 'l:' .. key)
  local tombKey = ARGV[1] .. 't:' .. key
  local version = ARGV[3]
  local tomb = redis.call('GET', tombKey)
  if tomb and tomb > version then version = tomb end
  redis.call('SET', tombKey, version, 'PX', ARGV[2])
end
redis.call('DEL', KEYS[2])
return #members`,
);

/**
 * Invalidation of any number of keys. KEYS: (value, lease, tombstone) per key. ARGV: version,
 * tombstone TTL ms. Deletes each entry and its lease (so a fill in flight cannot land) and
 * leaves a tombstone holding the newest version invalidated (so an older warm cannot land).
 * Returns how many entries existed.
 */
export const invalidateKeys = script(
  'invalidateKeys',
  `local existed = 0
for i = 1, #KEYS, 3 do
  existed = existed + redis.call('DEL', KEYS[i])
  redis.call('DEL', KEYS[i + 1])
  local version = ARGV[1]
  local tomb = redis.call('GET', KEYS[i + 2])
  if tomb and tomb > version then version = tomb end
  redis.call('SET', KEYS[i + 2], version, 'PX', ARGV[2])
end
return existed`,
);

/**
 * Version-guarded warm: writes the row's new image only if its version is newer than both the
 * entry's and the tombstone's, and deletes the lease so a fill that read an older row cannot
 * land after it. KEYS: value, lease, tombstone. ARGV: version, fresh-until (15 digits), data,
 * hard TTL ms. Returns 1 when written, 0 when refused as older.
 */
export const warmEntry = script(
  'warmEntry',
  `local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 17, 36) >= ARGV[1] then return 0 end
local tomb = redis.call('GET', KEYS[3])
if tomb and tomb >= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[2] .. 'v' .. ARGV[1] .. ARGV[3], 'PX', ARGV[4])
return 1`,
);
