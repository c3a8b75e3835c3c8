import XCTest
import Foundation
@testable import Redis
@testable import Cluster

/// The node registry against a real redis-server: nodes see each other, a
/// node that stops heartbeating loses its lease within the TTL, Redis refuses
/// writes of a fenced node, and a Redis restart leads to re-registration.
final class NodeRegistryTests: XCTestCase {
    func registry(_ server: RedisServer, _ id: String, ttl: Double = 1.5) -> NodeRegistry {
        var c = NodeRegistry.Configuration(endpoint: RedisEndpoint(host: "127.0.0.1", port: server.port), nodeId: id, apiURL: "http://\(id):8080")
        c.leaseTTL = ttl
        return NodeRegistry(configuration: c) { NodeLoad(transports: 3, forwardedPacketsPerSecond: 150, cpuCores: 0.25) }
    }

    func waitFor(_ what: String, within seconds: Double, _ check: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if check() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("timed out waiting for: \(what)")
    }

    func testNodesRegisterSeeEachOtherAndExpire() async throws {
        let server = try RedisServer()
        let a = registry(server, "a"), b = registry(server, "b")
        a.start(); b.start()
        try await waitFor("both nodes listed by both", within: 10) {
            Set(a.health().nodes.map(\.id)) == ["a", "b"] && Set(b.health().nodes.map(\.id)) == ["a", "b"]
        }
        let ha = a.health()
        XCTAssertEqual(ha.state, .active)
        XCTAssertTrue(ha.acceptingWork)
        XCTAssertGreaterThan(ha.epoch, 0)
        XCTAssertNotEqual(ha.epoch, b.health().epoch, "each lease has its own epoch")
        let seenB = try XCTUnwrap(ha.nodes.first { $0.id == "b" })
        XCTAssertEqual(seenB.api, "http://b:8080")
        XCTAssertEqual(seenB.load.transports, 3)
        XCTAssertEqual(seenB.load.forwardedPacketsPerSecond, 150)
        // b dies without leaving (no more heartbeats): its lease ends within the TTL.
        b.redis.close()
        let t0 = Date()
        try await waitFor("b gone from a's list", within: 6) { a.health().nodes.map(\.id) == ["a"] }
        let gone = Date().timeIntervalSince(t0)
        XCTAssertLessThan(gone, 1.5 + 1.0, "TTL 1.5 s plus one listing interval")
        // b itself knows without Redis that its lease is over.
        try await waitFor("b fenced locally", within: 3) { b.health().state == .fenced }
        XCTAssertFalse(b.health().acceptingWork)
        await a.leave()
    }

    func testRedisRefusesWritesOfAFencedNode() async throws {
        let server = try RedisServer()
        let a = registry(server, "writer", ttl: 1)
        a.start()
        try await waitFor("active", within: 10) { a.health().state == .active }
        let v1 = try await a.appendEvent(conference: "c1", event: #"{"type":"Test"}"#)
        let v2 = try await a.appendEvent(conference: "c1", event: #"{"type":"Test"}"#)
        XCTAssertEqual(v2, v1 + 1)
        // Redis forgets the lease (as after an expiry the node did not notice yet).
        let admin = RedisClient(configuration: .init(endpoint: RedisEndpoint(host: "127.0.0.1", port: server.port)))
        defer { admin.close() }
        let epoch = a.health().epoch
        _ = try await admin.call("DEL", .text(ClusterKeys().lease("writer")))
        // A write straight through the script with the old epoch is refused by Redis.
        do {
            _ = try await ClusterScripts.appendEvent.run(on: admin, keys: [.text(ClusterKeys().lease("writer")), "v", "e"],
                                                         args: ["writer", .int(epoch), "{}"])
            XCTFail("a write without a lease must be refused")
        } catch {
            guard case .server(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.hasPrefix("FENCED"), m)
        }
        let notWritten = try await admin.call("EXISTS", "v")
        XCTAssertEqual(notWritten, .integer(0))
        // The registry notices at its next heartbeat and takes a new lease with a higher epoch.
        try await waitFor("re-registered with a new epoch", within: 5) { a.health().state == .active && a.health().epoch > epoch }
        XCTAssertGreaterThanOrEqual(a.health().fencings, 1)
        let v3 = try await a.appendEvent(conference: "c1", event: #"{"type":"Test"}"#)
        XCTAssertEqual(v3, v2 + 1, "versions stay gap-free across the re-registration")
        await a.leave()
        let left = try await admin.call("ZCARD", .text(ClusterKeys().nodes))
        XCTAssertEqual(left, .integer(0), "leave removes the node at once")
    }

    func testRedisRestartWithoutDataReRegisters() async throws {
        let server = try RedisServer()
        let a = registry(server, "phoenix", ttl: 2)
        a.start()
        try await waitFor("active", within: 10) { a.health().state == .active }
        let epoch = a.health().epoch
        server.kill()
        // Health answers at once while Redis is down.
        let t0 = Date()
        for _ in 0..<100 { _ = a.health() }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.1)
        try await waitFor("fenced after the TTL without Redis", within: 6) { a.health().state == .fenced }
        XCTAssertNotEqual(a.health().redis.state, .connected)
        try server.start() // empty: no AOF
        try await waitFor("re-registered", within: 10) { a.health().state == .active }
        XCTAssertGreaterThan(a.health().epoch, epoch, "epochs keep growing although Redis lost its data")
        XCTAssertGreaterThanOrEqual(a.health().redis.reconnects, 1)
        await a.leave()
    }
}
