import Foundation
import Glibc

/// A pipelining Redis client on its own I/O thread (epoll), reached through a
/// mailbox; callers `await` replies. Every call has a timeout; queued calls
/// and unsent bytes are bounded; a lost connection is re-established with
/// capped, jittered exponential back-off, and calls made while it is down
/// fail at once with `RedisError.unavailable` (never queue behind an outage).
///
/// Blocking commands (`BLPOP`, `XREAD … BLOCK`) hold every reply behind them:
/// give them a client of their own. See docs/CLUSTER.md for the design.
public final class RedisClient: Sendable {
    public struct Configuration: Sendable {
        public var endpoint: RedisEndpoint
        /// 2 speaks RESP2; 3 sends `HELLO 3` on connect (maps, doubles, pushes).
        public var protocolVersion = 2
        /// Default timeout of a call, seconds.
        public var commandTimeout: Double = 2
        /// Connecting plus the handshake (HELLO/AUTH/SELECT) must finish within this.
        public var connectTimeout: Double = 1
        /// Calls in flight or queued; beyond this calls fail with `.overloaded`.
        public var maxPendingCalls = 100_000
        /// Bytes waiting to be written; beyond this calls fail with `.overloaded`.
        public var maxOutputBytes = 32 << 20
        public var parserLimits = RESPParser.Limits()
        public var backoff = Backoff()
        /// Thread name and log prefix.
        public var name = "redis"
        /// Where connection losses and reconnections are reported (one line each).
        public var log: @Sendable (String) -> Void = { _ in }

        public init(endpoint: RedisEndpoint) { self.endpoint = endpoint }
    }

    /// A snapshot of the connection, readable from any thread without waiting.
    public struct Status: Sendable, Equatable {
        public enum State: String, Sendable { case connecting, connected, disconnected, closed }
        public var state: State = .connecting
        /// Successful connections (the first included).
        public var connects = 0
        /// Connections lost (each is followed by reconnection attempts).
        public var disconnects = 0
        public var lastError: String?
        /// Round trip of the most recent completed call, seconds.
        public var lastLatency: Double = 0
        public var calls = 0
        public var timeouts = 0
        /// Calls refused at once because the connection was down.
        public var failedFast = 0
        /// Reconnections after a loss (connects beyond the first).
        public var reconnects: Int { max(0, connects - 1) }
    }

    public let configuration: Configuration
    let loop: RedisLoop

    public init(configuration: Configuration) {
        self.configuration = configuration
        loop = RedisLoop(configuration: configuration)
        loop.start()
    }

    deinit { loop.stop() }

    public var status: Status { loop.status }

    /// Sends the commands back to back and returns one result per command,
    /// in order. The whole batch shares `timeout` (default `commandTimeout`).
    public func pipeline(_ commands: [[RedisArgument]], timeout: Double? = nil) async -> [Result<RESPValue, RedisError>] {
        if commands.isEmpty { return [] }
        var bytes: [UInt8] = []
        for c in commands { RESPEncoder.command(c, into: &bytes) }
        let t = timeout ?? configuration.commandTimeout
        let n = commands.count
        let loop = self.loop
        return await withCheckedContinuation { (cont: CheckedContinuation<[Result<RESPValue, RedisError>], Never>) in
            let sub = RedisLoop.Submission(bytes: bytes, expected: n, timeout: t) { cont.resume(returning: $0) }
            if !loop.mailbox.post(.submit(sub)) {
                cont.resume(returning: Array(repeating: .failure(.closed), count: n))
            }
        }
    }

    /// One command; an error reply throws `.server`.
    public func call(_ args: [RedisArgument], timeout: Double? = nil) async throws(RedisError) -> RESPValue {
        let r = await pipeline([args], timeout: timeout)
        return try r[0].get()
    }

    public func call(_ args: RedisArgument..., timeout: Double? = nil) async throws(RedisError) -> RESPValue {
        try await call(args, timeout: timeout)
    }

    /// Stops the thread; calls in flight and later ones fail with `.closed`.
    public func close() { loop.stop() }
}
