import Foundation

/// A Lua script run with EVALSHA. The first call (and any call after Redis
/// lost its script cache, e.g. a restart) pipelines `SCRIPT LOAD` with a plain
/// `EVAL`, so no round trip is wasted and no SHA-1 is computed here; NOSCRIPT
/// means the script did not run, so falling back is always safe.
public final class RedisScript: Sendable {
    public let source: String
    private let lock = NSLock()
    nonisolated(unsafe) private var sha: String?

    public init(_ source: String) { self.source = source }

    /// Runs the script; an error reply (`redis.error_reply`) throws `.server`.
    public func run(on client: RedisClient, keys: [RedisArgument], args: [RedisArgument], timeout: Double? = nil) async throws(RedisError) -> RESPValue {
        let tail: [RedisArgument] = [.int(Int64(keys.count))] + keys + args
        if let sha = cachedSHA {
            do {
                return try await client.call(["EVALSHA", .text(sha)] + tail, timeout: timeout)
            } catch {
                guard case .server(let m) = error, m.hasPrefix("NOSCRIPT") else { throw error }
            }
        }
        let r = await client.pipeline([["SCRIPT", "LOAD", .text(source)], ["EVAL", .text(source)] + tail], timeout: timeout)
        if case .success(let v) = r[0], let s = v.string { setSHA(s) }
        return try r[1].get()
    }

    private var cachedSHA: String? { lock.lock(); defer { lock.unlock() }; return sha }
    private func setSHA(_ s: String) { lock.lock(); sha = s; lock.unlock() }
}
