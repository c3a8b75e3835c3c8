import XCTest
import Glibc
@testable import RTPRouter

/// Echoes every datagram back to its path with the first byte incremented,
/// and remembers how each one arrived.
private final class PathEcho: DatagramHandler {
    var arrivals: [(tcp: Bool, local: String, length: Int)] = []
    func received(_ packet: UnsafeMutableRawPointer, length: Int, from: UDPAddress, out: Outbox, now: UInt64) {
        arrivals.append((from.isTCP, from.localIP, length))
        packet.storeBytes(of: packet.load(as: UInt8.self) &+ 1, as: UInt8.self)
        out.send(packet, length: length, to: from)
    }
    func tick(out: Outbox, now: UInt64) {}
    func attach(_ out: Outbox) {}
}

/// ICE-TCP on a real worker over loopback: RFC 4571 frames in any split,
/// replies framed onto the same connection, bad framing closed and counted.
final class MediaTCPTests: XCTestCase {
    private func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let addr = UDPAddress(ip: "127.0.0.1", port: port)!
        var ss = addr.storage
        let rc = withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, addr.length) } }
        XCTAssertEqual(rc, 0)
        return fd
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) {
        XCTAssertEqual(bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }, bytes.count)
    }

    /// Reads exactly `n` bytes (nil on EOF or timeout).
    private func read(_ fd: Int32, _ n: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = out.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress! + got, n - got, 0) }
            if r <= 0 { return nil }
            got += r
        }
        return out
    }

    func testFramesInAnySplitAreEchoedOntoTheirConnection() async throws {
        let worker = try MediaWorker<PathEcho>(index: 0, port: 0, tcp: MediaTCP.Limits())
        worker.start { PathEcho() }
        defer { worker.stop() }
        let port = try XCTUnwrap(worker.tcpPort)
        let fd = try connect(port)
        defer { close(fd) }
        // Two frames in one write, the second cut in the middle of its length field, then the rest.
        let a: [UInt8] = [0, 5, 1, 2, 3, 4, 5]
        let b: [UInt8] = [0, 3, 0x80, 9, 9]
        send(fd, a + b.prefix(1))
        try await Task.sleep(nanoseconds: 50_000_000)
        send(fd, Array(b.dropFirst()))
        XCTAssertEqual(read(fd, 7), [0, 5, 2, 2, 3, 4, 5])
        XCTAssertEqual(read(fd, 5), [0, 3, 0x81, 9, 9])
        let arrivals = await worker.call { $0.arrivals.map { "\($0.tcp) \($0.length)" } }
        XCTAssertEqual(arrivals, ["true 5", "true 3"])
        let counters = await worker.socketCounters().tcp
        XCTAssertEqual(counters?.framesIn, 2)
        XCTAssertEqual(counters?.framesOut, 2)
        XCTAssertEqual(counters?.open, 1)
    }

    func testAFrameLongerThanADatagramClosesTheConnection() async throws {
        let worker = try MediaWorker<PathEcho>(index: 0, port: 0, tcp: MediaTCP.Limits())
        worker.start { PathEcho() }
        defer { worker.stop() }
        let fd = try connect(try XCTUnwrap(worker.tcpPort))
        defer { close(fd) }
        send(fd, [0xFF, 0xFF, 1, 2, 3])
        XCTAssertNil(read(fd, 1), "the connection stayed open")
        let snapshot = await worker.socketCounters()
        let counters = try XCTUnwrap(snapshot.tcp)
        XCTAssertEqual(counters.closed[.oversizedFrame], 1)
        XCTAssertEqual(counters.open, 0)
        XCTAssertEqual(counters.framesIn, 0)
    }

    func testConnectionsBeyondThePerAddressLimitAreClosed() async throws {
        var limits = MediaTCP.Limits()
        limits.maxPerAddress = 2
        let worker = try MediaWorker<PathEcho>(index: 0, port: 0, tcp: limits)
        worker.start { PathEcho() }
        defer { worker.stop() }
        let port = try XCTUnwrap(worker.tcpPort)
        let fds = try (0..<4).map { _ in try connect(port) }
        defer { fds.forEach { close($0) } }
        try await Task.sleep(nanoseconds: 100_000_000)
        let snapshot = await worker.socketCounters()
        let counters = try XCTUnwrap(snapshot.tcp)
        XCTAssertEqual(counters.accepted, 4)
        XCTAssertEqual(counters.open, 2)
        XCTAssertEqual(counters.closed[.addressLimit], 2)
    }

    /// A UDP datagram's path carries the local address it arrived on, and the reply leaves from it.
    func testUDPPathCarriesTheLocalAddress() async throws {
        let worker = try MediaWorker<PathEcho>(index: 0, port: 0)
        worker.start { PathEcho() }
        defer { worker.stop() }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let to = UDPAddress(ip: "127.0.0.1", port: worker.port)!
        var ss = to.storage
        let bytes: [UInt8] = [0x41, 1, 2]
        _ = bytes.withUnsafeBytes { b in withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, to.length) } } }
        var buf = [UInt8](repeating: 0, count: 16)
        var from = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let n = buf.withUnsafeMutableBytes { b in withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) } } }
        XCTAssertEqual(n, 3)
        XCTAssertEqual(UDPAddress(storage: from, length: len).description, "127.0.0.1:\(worker.port)")
        let locals = await worker.call { $0.arrivals.map { "\($0.tcp) \($0.local)" } }
        XCTAssertEqual(locals, ["false ::ffff:127.0.0.1"])
    }
}
