import XCTest
import Glibc
@testable import RTPRouter

/// Echoes every datagram back with its first byte incremented, and counts ticks.
private final class EchoHandler: DatagramHandler {
    var ticks = 0
    func received(_ packet: UnsafeMutableRawPointer, length: Int, from: UDPAddress, out: Outbox, now: UInt64) {
        packet.storeBytes(of: packet.load(as: UInt8.self) &+ 1, as: UInt8.self)
        out.send(packet, length: length, to: from)
    }
    func tick(out: Outbox, now: UInt64) { ticks += 1 }
    func attach(_ out: Outbox) {}
}

/// Counts ticks; says whether it has timers (an idle router has none).
private final class TimerHandler: DatagramHandler {
    let timers: Bool
    var ticks = 0
    init(timers: Bool) { self.timers = timers }
    func received(_ packet: UnsafeMutableRawPointer, length: Int, from: UDPAddress, out: Outbox, now: UInt64) {}
    func tick(out: Outbox, now: UInt64) { ticks += 1 }
    func attach(_ out: Outbox) {}
    var hasTimers: Bool { timers }
}

final class MediaWorkerTests: XCTestCase {
    /// The loop wakes about once per 10 ms tick — no zero-timeout spin before
    /// each tick (a truncated epoll timeout once cost 9 % of a core per idle
    /// worker) — and not at all when the handler has no timers.
    func testLoopWakesOncePerTickAndSleepsWhenIdle() async throws {
        for timers in [true, false] {
            let worker = try MediaWorker<TimerHandler>(index: 0, port: 0)
            worker.start { TimerHandler(timers: timers) }
            try await Task.sleep(nanoseconds: 50_000_000)
            let before = await worker.call { _ in worker.loopWakeups }
            try await Task.sleep(nanoseconds: 500_000_000)
            let after = await worker.call { _ in worker.loopWakeups }
            let ticks = await worker.call { $0.ticks }
            worker.stop()
            let wakeups = after - before
            if timers {
                // 500 ms of 10 ms ticks: ≈ 50 wake-ups (+ the mailbox's); a spin would be thousands.
                XCTAssertGreaterThan(ticks, 20)
                XCTAssertLessThan(wakeups, 150, "the worker loop spins")
            } else {
                XCTAssertEqual(ticks, 0)
                XCTAssertLessThan(wakeups, 5, "an idle worker keeps waking")
            }
        }
    }

    func testEchoThroughRecvmmsgAndSendmmsg() async throws {
        let worker = try MediaWorker<EchoHandler>(index: 0, port: 0)
        worker.start { EchoHandler() }
        defer { worker.stop() }
        let client = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(client) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        // 100 echoed datagrams exceed the default receive buffer of the test's socket.
        var rcvbuf: Int32 = 4 << 20
        setsockopt(client, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, socklen_t(MemoryLayout<Int32>.size))
        let dest = UDPAddress(ip: "127.0.0.1", port: worker.port)!
        // A burst larger than one batch, to exercise several recvmmsg calls.
        for i in 0..<100 {
            var payload = [UInt8](repeating: UInt8(i), count: 1200)
            var ss = dest.storage
            _ = withUnsafePointer(to: &ss) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(client, &payload, payload.count, 0, $0, dest.length) }
            }
        }
        var seen = Set<UInt8>()
        var buf = [UInt8](repeating: 0, count: 2048)
        for _ in 0..<100 {
            let n = recv(client, &buf, buf.count, 0)
            XCTAssertEqual(n, 1200)
            if n <= 0 { break }
            seen.insert(buf[0])
        }
        XCTAssertEqual(seen, Set((0..<100).map { UInt8($0 + 1) }))
        try await Task.sleep(nanoseconds: 50_000_000)
        let ticks = await worker.call { $0.ticks }
        XCTAssertGreaterThan(ticks, 0)
    }

    func testUDPAddressRoundTrip() {
        let a = UDPAddress(ip: "192.0.2.7", port: 5004)!
        XCTAssertEqual(a.description, "192.0.2.7:5004")
        let b = UDPAddress(ip: "2001:db8::1", port: 443)!
        XCTAssertEqual(b.description, "[2001:db8::1]:443")
        XCTAssertEqual(Set([a, a, b]).count, 2)
        XCTAssertNil(UDPAddress(ip: "not-an-ip", port: 1))
    }
}
