import Redis

/// The Lua scripts of the cluster. Each runs atomically in Redis and reads
/// time from Redis (`TIME`), so lease expiry has one clock for every node.
public enum ClusterScripts {
    /// Takes a lease with a fresh epoch (strictly above every earlier one, also
    /// across a Redis that lost its data: at least Redis's clock in ms), unless another live lease holds the
    /// node id. KEYS: lease, node hash, nodes zset, epoch counter.
    /// ARGV: node id, ttl ms, api URL, started ms, transports, pps, cpu, previous epoch ("0": none).
    public static let acquire = RedisScript("""
    local cur = redis.call('GET', KEYS[1])
    if cur and cur ~= ARGV[8] then
      return redis.error_reply('LEASE_HELD node ' .. ARGV[1] .. ' has a live lease with epoch ' .. cur)
    end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    -- Never below the Redis clock in ms: epochs keep growing even after Redis lost its data.
    local epoch = redis.call('INCR', KEYS[4])
    if epoch < now then
      epoch = now
      redis.call('SET', KEYS[4], now)
    end
    redis.call('SET', KEYS[1], epoch, 'PX', ARGV[2])
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[2], 'id', ARGV[1], 'epoch', epoch, 'api', ARGV[3], 'started', ARGV[4],
               'heartbeat', now, 'transports', ARGV[5], 'pps', ARGV[6], 'cpu', ARGV[7])
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[1])
    return epoch
    """)

    /// Renews the lease if it still carries this epoch; else `FENCED`.
    /// KEYS: lease, node hash, nodes zset. ARGV: node id, epoch, ttl ms, transports, pps, cpu.
    public static let renew = RedisScript(fenced("""
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    redis.call('HSET', KEYS[2], 'heartbeat', now, 'transports', ARGV[4], 'pps', ARGV[5], 'cpu', ARGV[6])
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[1])
    return now
    """, epochArgument: 2))

    /// Gives the lease up (graceful shutdown). KEYS: lease, node hash, nodes zset. ARGV: node id, epoch.
    public static let leave = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[2] then
      redis.call('DEL', KEYS[1], KEYS[2])
      redis.call('ZREM', KEYS[3], ARGV[1])
      return 1
    end
    return 0
    """)

    /// Drops expired members, then returns {now ms, {id, expiry ms, {hash fields…}}…}.
    /// KEYS: nodes zset. ARGV: node hash key prefix.
    public static let listNodes = RedisScript("""
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    local ids = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
    local out = {}
    for i = 1, #ids, 2 do
      table.insert(out, {ids[i], ids[i + 1], redis.call('HGETALL', ARGV[1] .. ids[i])})
    end
    return {now, out}
    """)

    /// A conference event with the next version, written only by a node that
    /// holds its lease: INCR version + XADD in one step, so versions are
    /// gap-free and strictly increasing across nodes, and the log is in order.
    /// KEYS: lease, version counter, event stream. ARGV: node id, epoch, event JSON. Returns the version.
    public static let appendEvent = RedisScript(fenced("""
    local v = redis.call('INCR', KEYS[2])
    redis.call('XADD', KEYS[3], '*', 'v', v, 'node', ARGV[1], 'event', ARGV[3])
    return v
    """, epochArgument: 2))

    /// Prefixes `body` with the fencing check: KEYS[1] must be the writer's
    /// lease key and ARGV[epochArgument] its epoch; a node whose lease expired
    /// or was retaken gets `FENCED` and nothing is written.
    public static func fenced(_ body: String, epochArgument: Int) -> String {
        """
        if redis.call('GET', KEYS[1]) ~= ARGV[\(epochArgument)] then
          return redis.error_reply('FENCED node ' .. ARGV[1] .. ' no longer holds its lease (epoch ' .. ARGV[\(epochArgument)] .. ')')
        end
        \(body)
        """
    }
}
