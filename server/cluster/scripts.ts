/**
 * The Lua scripts that change a stream's record in Redis. Each runs atomically, and each that writes checks the
 * lease first: the lease's value is a token unique to one acquisition (instance id and a random part), so a
 * writer that lost its lease (it expired while the process stalled, and a peer took it) can never overwrite
 * the peer's checkpoint. That check is the fencing.
 *
 * Keys: KEYS[1] the lease, KEYS[2] the stream's hash, KEYS[3] the set of the owner's streams (its quota).
 * A stream's hash expires when no write came for a while (ARGV 'record ms'), like an idle stream is reaped;
 * the owner's set drops the streams whose hash expired before it is counted.
 */

/** Create: ARGV token, lease ms, owner, options JSON, snapshot, the owner's quota, id, record ms. -1: over quota; 0: exists. */
export const createScript = `
for _, member in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if redis.call('EXISTS', 'zaccel:stream:' .. member) == 0 then redis.call('SREM', KEYS[3], member) end
end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[6]) then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) == false then return 0 end
redis.call('HSET', KEYS[2], 'owner', ARGV[3], 'options', ARGV[4], 'seq', '0', 'snapshot', ARGV[5], 'previous', '', 'previousWrite', '')
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('SADD', KEYS[3], ARGV[7])
return 1`;

/** Commit a checkpoint: ARGV token, seq, snapshot, previous, previousWrite, lease ms, record ms. 0: the lease is not ours. */
export const commitScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'seq', ARGV[2], 'snapshot', ARGV[3], 'previous', ARGV[4], 'previousWrite', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return 1`;

/** Renew: ARGV token, lease ms. 0: the lease is not ours any more. */
export const renewScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** Release (compare and delete): ARGV token. */
export const releaseScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/** Delete the stream for good (DELETE, or reaped): ARGV token, id. */
export const deleteScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
return 1`;
