import XCTest
import Foundation
@testable import Redis

/// The client against a real redis-server 7 (started per test on a free
/// loopback port): commands, 10,000 pipelined calls, Lua, Streams with a
/// consumer group, timeouts, a frozen server and a restart with AOF.
final class RedisClientTests: XCTestCase {
    func client(_ server: RedisServer, _ edit: (inout RedisClient.Configuration) -> Void = { _ in }) -> RedisClient {
        var c = RedisClient.Configuration(endpoint: RedisEndpoint(host: "127.0.0.1", port: server.port))
        c.backoff = Backoff(initial: 0.05, maximum: 0.5)
        edit(&c)
        return RedisClient(configuration: c)
    }

    /// Retries until the client has connected (the first call may race the first connect).
    func ready(_ c: RedisClient, within seconds: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if case .success = await c.pipeline([["PING"]])[0] { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("client never connected")
    }

    func testGetSetBinaryAndErrors() async throws {
        let server = try RedisServer()
        let c = client(server)
        defer { c.close() }
        try await ready(c)
        let ok = try await c.call("SET", "k", .bytes([0, 13, 10, 255]))
        XCTAssertEqual(ok, .simpleString("OK"))
        let got = try await c.call("GET", "k")
        XCTAssertEqual(got, .bulkString([0, 13, 10, 255]))
        let missing = try await c.call("GET", "nope")
        XCTAssertEqual(missing, .null)
        do {
            _ = try await c.call("INCR", "k")
            XCTFail("INCR of a non-number must fail")
        } catch {
            guard case .server(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.hasPrefix("ERR"), m)
        }
        XCTAssertEqual(c.status.connects, 1)
    }

    func testTenThousandPipelinedCommands() async throws {
        let server = try RedisServer()
        let c = client(server)
        defer { c.close() }
        try await ready(c)
        let n = 10_000
        // One pipeline: 10,000 INCRs answered in order 1...10,000.
        let t0 = Date()
        let results = await c.pipeline(Array(repeating: ["INCR", "counter"], count: n), timeout: 30)
        let pipelined = Date().timeIntervalSince(t0)
        XCTAssertEqual(results.count, n)
        for (i, r) in results.enumerated() { XCTAssertEqual(try r.get(), .integer(Int64(i + 1))) }
        // 10,000 independent concurrent calls share the connection (pipelined by the loop).
        let t1 = Date()
        let sum = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<n {
                group.addTask { try await c.call("SET", .text("key:\(i)"), .int(Int64(i)), timeout: 30) == .simpleString("OK") ? 1 : 0 }
            }
            return try await group.reduce(0, +)
        }
        let concurrent = Date().timeIntervalSince(t1)
        XCTAssertEqual(sum, Int64(n))
        let mget = try await c.call(["MGET"] + (0..<n).map { .text("key:\($0)") }, timeout: 30)
        XCTAssertEqual(mget.elements?.count, n)
        XCTAssertEqual(mget.elements?[9_999].int, 9_999)
        XCTAssertEqual(c.status.connects, 1)
        print("redis: 10,000 pipelined INCR in \(String(format: "%.3f", pipelined)) s; 10,000 concurrent SET calls in \(String(format: "%.3f", concurrent)) s (debug build, loaded machine)")
    }

    func testLuaVersionPlusEventIsGapFreeAcrossClients() async throws {
        let server = try RedisServer()
        // Atomically: version = INCR, then XADD the event with that version.
        let script = """
        local v = redis.call('INCR', KEYS[1])
        redis.call('XADD', KEYS[2], '*', 'version', v, 'event', ARGV[1])
        return v
        """
        let clients = (0..<3).map { _ in client(server) }
        defer { clients.forEach { $0.close() } }
        for c in clients { try await ready(c) }
        let perClient = 100
        let versions = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (ci, c) in clients.enumerated() {
                group.addTask {
                    var mine: [Int64] = []
                    for i in 0..<perClient {
                        let v = try await c.call("EVAL", .text(script), 2, "conf:1:version", "conf:1:events", .text("c\(ci)-\(i)"))
                        mine.append(v.int ?? -1)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        XCTAssertEqual(versions.sorted(), (1...Int64(3 * perClient)).map { $0 }, "gap-free, no duplicates")
        let log = try await clients[0].call("XRANGE", "conf:1:events", "-", "+")
        let logged = log.elements?.compactMap { entry -> Int64? in
            guard let fields = entry.elements?[1].elements, fields.count == 4 else { return nil }
            return fields[1].int
        }
        XCTAssertEqual(logged, (1...Int64(3 * perClient)).map { $0 }, "the stream is in version order")
    }

    func testStreamsConsumerGroupAtLeastOnce() async throws {
        let server = try RedisServer()
        let producer = client(server)
        // XREADGROUP ... BLOCK holds the replies behind it: a client of its own.
        let consumer = client(server)
        defer { producer.close(); consumer.close() }
        try await ready(producer)
        try await ready(consumer)
        _ = try await producer.call("XGROUP", "CREATE", "node:b:commands", "workers", "$", "MKSTREAM")
        // The reader blocks first; commands arrive while it waits.
        async let firstRead = consumer.call("XREADGROUP", "GROUP", "workers", "b-1", "COUNT", "100", "BLOCK", "5000",
                                            "STREAMS", "node:b:commands", ">", timeout: 8)
        try await Task.sleep(nanoseconds: 200_000_000)
        for i in 0..<10 { _ = try await producer.call("XADD", "node:b:commands", "*", "cmd", .text("relay-\(i)")) }
        let batch = try await firstRead
        var ids: [RESPValue] = []
        for stream in batch.elements ?? [] {
            for entry in stream.elements?[1].elements ?? [] { ids.append(entry.elements![0]) }
        }
        XCTAssertFalse(ids.isEmpty, "the blocked reader woke up")
        // Read the rest (the block may have returned after the first XADD).
        let rest = try await consumer.call("XREADGROUP", "GROUP", "workers", "b-1", "COUNT", "100", "STREAMS", "node:b:commands", ">")
        for stream in rest.elements ?? [] { for entry in stream.elements?[1].elements ?? [] { ids.append(entry.elements![0]) } }
        XCTAssertEqual(ids.count, 10)
        // Acknowledge half; the other half stays pending (the consumer "crashed" before handling them).
        let acked = try await consumer.call(["XACK", "node:b:commands", "workers"] + ids[0..<5].map { .bytes($0.string.map { Array($0.utf8) } ?? []) })
        XCTAssertEqual(acked, .integer(5))
        let pending = try await producer.call("XPENDING", "node:b:commands", "workers")
        XCTAssertEqual(pending.elements?[0], .integer(5))
        // Another consumer claims what was never acknowledged: delivered again, not lost.
        let claimed = try await producer.call("XAUTOCLAIM", "node:b:commands", "workers", "b-2", "0", "0-0")
        XCTAssertEqual(claimed.elements?[1].elements?.count, 5)
        let claimedIDs = claimed.elements?[1].elements?.compactMap { $0.elements?[0] }
        XCTAssertEqual(claimedIDs, Array(ids[5...]))
    }

    func testCallFailsWithinItsTimeoutWhenRedisIsBusy() async throws {
        let server = try RedisServer()
        let c = client(server)
        defer { c.close() }
        try await ready(c)
        let t0 = Date()
        do {
            _ = try await c.call("DEBUG", "SLEEP", "1.5", timeout: 0.3)
            XCTFail("must time out")
        } catch {
            XCTAssertEqual(error, .timeout(0.3))
        }
        let elapsed = Date().timeIntervalSince(t0)
        XCTAssertGreaterThanOrEqual(elapsed, 0.29)
        XCTAssertLessThan(elapsed, 1.0, "failed in its timeout, not after the sleep")
        XCTAssertEqual(c.status.timeouts, 1)
        // The stalled connection was dropped; the client reconnects by itself.
        try await ready(c)
        XCTAssertGreaterThanOrEqual(c.status.connects, 2)
    }

    func testShortTimeoutBehindLongCallKeepsConnection() async throws {
        let server = try RedisServer()
        let c = client(server)
        defer { c.close() }
        try await ready(c)
        async let slow = c.call("DEBUG", "SLEEP", "0.6", timeout: 5)
        try await Task.sleep(nanoseconds: 50_000_000)
        let t0 = Date()
        do {
            _ = try await c.call("GET", "x", timeout: 0.2)
            XCTFail("must time out")
        } catch {
            XCTAssertEqual(error, .timeout(0.2))
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.5)
        let slowReply = try await slow
        XCTAssertEqual(slowReply, .simpleString("OK"))
        // The late GET reply was discarded, the stream stays in step.
        let after = try await c.call("ECHO", "in-step")
        XCTAssertEqual(after.string, "in-step")
        XCTAssertEqual(c.status.connects, 1)
    }

    func testFrozenServerTimesOutAndRecovers() async throws {
        let server = try RedisServer()
        let c = client(server)
        defer { c.close(); server.signal(SIGCONT) }
        try await ready(c)
        server.signal(SIGSTOP) // accepts at the kernel, never answers: a black hole
        let t0 = Date()
        let r = await c.pipeline([["SET", "a", "1"], ["GET", "a"]], timeout: 0.4)
        XCTAssertEqual(r.map { (try? $0.get()) == nil }, [true, true])
        if case .failure(let e) = r[0] { XCTAssertEqual(e, .timeout(0.4)) }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1.2)
        server.signal(SIGCONT)
        try await ready(c)
        let v = try await c.call("ECHO", "back")
        XCTAssertEqual(v.string, "back")
    }

    func testRestartWithAppendOnlyFile() async throws {
        let server = try RedisServer(appendOnly: true)
        let c = client(server)
        defer { c.close() }
        try await ready(c)
        _ = try await c.call("SET", "kept", "before-crash")
        server.kill()
        // Calls during the outage fail fast (never hang).
        var outageErrors: [RedisError] = []
        for _ in 0..<20 {
            let t0 = Date()
            do { _ = try await c.call("GET", "kept", timeout: 5) } catch { outageErrors.append(error) }
            XCTAssertLessThan(Date().timeIntervalSince(t0), 0.5, "fail fast while Redis is down")
            try await Task.sleep(nanoseconds: 25_000_000)
        }
        XCTAssertEqual(outageErrors.count, 20)
        XCTAssertTrue(outageErrors.contains { if case .unavailable = $0 { return true }; return false }, "\(outageErrors)")
        XCTAssertEqual(c.status.state, .disconnected)
        XCTAssertGreaterThan(c.status.failedFast, 0)
        try server.start()
        try await ready(c)
        let v = try await c.call("GET", "kept")
        XCTAssertEqual(v.string, "before-crash", "AOF kept the write; the client resumed")
        XCTAssertGreaterThanOrEqual(c.status.reconnects, 1)
        XCTAssertEqual(c.status.state, .connected)
    }

    func testRESP3HandshakeAndDatabaseSelection() async throws {
        let server = try RedisServer()
        let c3 = client(server) { $0.protocolVersion = 3; $0.endpoint.database = 3 }
        let c2 = client(server)
        defer { c3.close(); c2.close() }
        try await ready(c3)
        try await ready(c2)
        _ = try await c3.call("HSET", "h", "a", "1", "b", "2")
        let all = try await c3.call("HGETALL", "h")
        guard case .map(let pairs) = all else { return XCTFail("RESP3 map expected, got \(all)") }
        XCTAssertEqual(pairs.count, 2)
        XCTAssertEqual(all.stringMap, ["a": "1", "b": "2"])
        let inDB0 = try await c2.call("EXISTS", "h")
        XCTAssertEqual(inDB0, .integer(0), "c3 wrote to database 3")
        let d = try await c3.call("ZSCORE", "nozset", "x")
        XCTAssertEqual(d, .null)
    }

    func testBoundsAndFailFastWithoutServer() async throws {
        let server = try RedisServer()
        let c = client(server) { $0.maxPendingCalls = 10 }
        defer { c.close() }
        try await ready(c)
        let r = await c.pipeline(Array(repeating: ["PING"], count: 11))
        guard case .failure(.overloaded) = r[0] else { return XCTFail("\(r[0])") }
        server.kill()
        // Nothing listens any more: every call fails at once.
        let nobody = client(server)
        defer { nobody.close() }
        for _ in 0..<5 {
            let t0 = Date()
            let x = await nobody.pipeline([["PING"]], timeout: 5)[0]
            guard case .failure(let e) = x else { return XCTFail("no server, yet \(x)") }
            guard case .unavailable(let why) = e else { return XCTFail("never sent, so unavailable: \(e)") }
            XCTAssertTrue(why.contains("127.0.0.1:\(server.port)"), why)
            XCTAssertLessThan(Date().timeIntervalSince(t0), 0.5)
        }
        XCTAssertEqual(nobody.status.connects, 0)
        nobody.close()
        try await Task.sleep(nanoseconds: 100_000_000)
        let closed = await nobody.pipeline([["PING"]])[0]
        guard case .failure(.closed) = closed else { return XCTFail("\(closed)") }
    }
}
