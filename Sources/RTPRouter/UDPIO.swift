import CSystem
import Glibc

/// The path of a datagram: the peer's address (raw `sockaddr_storage`
/// bytes), the local address it arrived on (from `IP_PKTINFO` /
/// `IPV6_PKTINFO`), the worker socket it arrived on, and for ICE-TCP the
/// connection. A handler stores the `from` of a received datagram and sends
/// `to:` it, so replies leave from exactly the local address, socket and
/// transport the peer reached (RFC 8445 §7.2.5.2.1: symmetric addresses).
/// Equality and hashing cover all of it except the interface index.
/// Hashable, cheap to copy, handed back to `sendmmsg` unchanged.
public struct UDPAddress: Hashable, Sendable, CustomStringConvertible {
    public var storage: sockaddr_storage
    public var length: socklen_t
    /// Where the datagram arrived (family 0: unknown, the kernel picks the source).
    public var local: csys_local
    /// Index of the worker's UDP socket (`--media-listen` binds one per address).
    public var socketIndex: UInt16
    /// Non-zero: the ICE-TCP connection (RFC 6544) the datagram came over.
    public var connection: UInt32

    public init(storage: sockaddr_storage, length: socklen_t, local: csys_local = csys_local(), socketIndex: UInt16 = 0, connection: UInt32 = 0) {
        self.storage = storage
        self.length = length
        self.local = local
        self.socketIndex = socketIndex
        self.connection = connection
    }

    /// Parses "a.b.c.d" or an IPv6 literal with a port (no local part).
    public init?(ip: String, port: UInt16) {
        var ss = sockaddr_storage()
        if ip.contains(":") {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, ip, &sin6.sin6_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin6) { dst.copyMemory(from: $0) } }
            self.init(storage: ss, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            guard inet_pton(AF_INET, ip, &sin.sin_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin) { dst.copyMemory(from: $0) } }
            self.init(storage: ss, length: socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }

    /// This path with `ip` as its local address (drivers that stand in for
    /// a worker's socket: tests, benchmarks). nil if `ip` is not an address.
    public func arriving(at ip: String) -> UDPAddress? {
        var l = csys_local()
        if ip.contains(":") {
            l.family = UInt32(AF_INET6)
            guard withUnsafeMutableBytes(of: &l.addr, { inet_pton(AF_INET6, ip, $0.baseAddress) }) == 1 else { return nil }
        } else {
            l.family = UInt32(AF_INET)
            guard withUnsafeMutableBytes(of: &l.addr, { inet_pton(AF_INET, ip, $0.baseAddress) }) == 1 else { return nil }
        }
        var copy = self
        copy.local = l
        return copy
    }

    public var isIPv6: Bool { storage.ss_family == sa_family_t(AF_INET6) }
    /// True for a path over an ICE-TCP connection.
    public var isTCP: Bool { connection != 0 }

    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port are at the same offset (2).
            UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self))
        }
    }

    /// The remote address without the port.
    public var ip: String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var ss = storage
        let family = ss.ss_family
        return withUnsafePointer(to: &ss) { p -> String in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var a = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                    return String(cString: buf)
                }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                return String(cString: buf)
            }
        }
    }

    /// The local address the path uses ("" when unknown).
    public var localIP: String {
        guard local.family != 0 else { return "" }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var addr = local.addr
        return withUnsafeBytes(of: &addr) { raw -> String in
            inet_ntop(Int32(local.family), raw.baseAddress, &buf, socklen_t(buf.count))
            return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public var description: String {
        let remote = isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        let via = local.family == 0 ? "" : " via \(localIP)"
        return remote + via + (isTCP ? " (tcp #\(connection))" : "")
    }

    public static func == (a: UDPAddress, b: UDPAddress) -> Bool {
        guard a.length == b.length, a.connection == b.connection, a.socketIndex == b.socketIndex,
              a.local.family == b.local.family, a.localHigh == b.localHigh, a.localLow == b.localLow else { return false }
        return withUnsafeBytes(of: a.storage) { x in
            withUnsafeBytes(of: b.storage) { y in memcmp(x.baseAddress!, y.baseAddress!, Int(a.length)) == 0 }
        }
    }

    public func hash(into h: inout Hasher) {
        let n = min(Int(length), MemoryLayout<sockaddr_storage>.size)
        withUnsafeBytes(of: storage) { h.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        h.combine(localHigh)
        h.combine(localLow)
        h.combine(UInt64(connection) << 16 | UInt64(socketIndex))
    }

    @inline(__always) var localHigh: UInt64 { withUnsafeBytes(of: local.addr) { $0.loadUnaligned(as: UInt64.self) } }
    @inline(__always) var localLow: UInt64 { withUnsafeBytes(of: local.addr) { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) } }
}

/// A non-blocking UDP socket on one port, with large kernel buffers (loss
/// appears in socket buffers before the CPU is full). Bound to every address
/// (dual stack, with packet info on, so every datagram reports the local
/// address it arrived on and replies leave from it) or to one address (whose
/// replies leave from it anyway).
public final class UDPSocket {
    public let fd: Int32
    public let port: UInt16
    /// AF_INET or AF_INET6.
    public let family: Int32
    /// True on wildcard sockets: datagrams report their local address and replies name it.
    public let hasPacketInfo: Bool

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `address` nil: every IPv4 and IPv6 address (one dual-stack socket, or
    /// IPv4 only when `ipv6` is false); otherwise that one address ("0.0.0.0"
    /// is every IPv4 address, "::" every IPv6 address).
    public init(port: UInt16, ipv6: Bool = true, address: String? = nil, bufferBytes: Int32 = 8 << 20) throws {
        var ss = sockaddr_storage()
        var len: socklen_t
        var v6only: Int32 = 0
        if let address {
            guard let a = UDPAddress(ip: address, port: port) else { throw Failure(description: "'\(address)' is not an IPv4 or IPv6 address") }
            ss = a.storage
            len = a.length
            v6only = 1
        } else if ipv6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = in6addr_any
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin6) { dst.copyMemory(from: $0) } }
            len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin) { dst.copyMemory(from: $0) } }
            len = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        let family = Int32(ss.ss_family)
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        if family == AF_INET6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size)) }
        csys_set_socket_buffers(fd, bufferBytes)
        // Packet info only where the source is not implied by the bind: on a
        // wildcard socket every reply carries its source (IP_PKTINFO, ≈ 2 %
        // of router-bench's cost per sent packet); a socket bound to one
        // address needs none (bench/RESULTS.md, "Symmetric addressing").
        let wildcard = address == nil || address == "0.0.0.0" || address == "::" || address == "::0"
        if wildcard { csys_enable_pktinfo(fd, family) }
        self.hasPacketInfo = wildcard
        let rc = withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "bind UDP \(address ?? "port") \(port): \(String(cString: strerror(e)))")
        }
        var bound = sockaddr_storage()
        var blen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &blen) } }
        self.fd = fd
        self.family = family
        self.port = UDPAddress(storage: bound, length: blen).port
    }

    deinit { close(fd) }
}

/// Fixed-size packet buffers allocated once per worker: the media path never
/// allocates per packet. Each slot has headroom for SRTP trailers and RTX
/// headers. Confined to the worker thread.
public final class PacketPool {
    public static let slotSize = 2048
    public let count: Int
    public let base: UnsafeMutableRawPointer

    public init(count: Int) {
        self.count = count
        base = .allocate(byteCount: count * PacketPool.slotSize, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: count * PacketPool.slotSize)
    }

    deinit { base.deallocate() }

    @inline(__always)
    public func slot(_ i: Int) -> UnsafeMutableRawPointer { base + i * PacketPool.slotSize }
}

/// A batch of datagrams for `recvmmsg`/`sendmmsg` over pool slots.
/// Confined to the worker thread.
public final class DatagramBatch {
    public let capacity: Int
    public let messages: UnsafeMutablePointer<csys_datagram>
    public var count = 0

    public init(capacity: Int) {
        precondition(capacity <= 64)
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: csys_datagram(), count: capacity)
    }

    deinit {
        messages.deinitialize(count: capacity)
        messages.deallocate()
    }

    /// Receives into `pool` slots `first..<first+capacity`; returns the count (0 when nothing is pending).
    /// Each message's local address (packet info) is filled in too.
    public func receive(fd: Int32, pool: PacketPool, firstSlot: Int) -> Int {
        for i in 0..<capacity {
            messages[i].buf = pool.slot(firstSlot + i)
            messages[i].cap = UInt32(PacketPool.slotSize - 256)
        }
        let n = csys_recv_batch(fd, messages, Int32(capacity))
        count = n > 0 ? Int(n) : 0
        return count
    }

    /// Appends a datagram to send; returns false when the batch is full (flush first).
    @inline(__always)
    public func append(_ buf: UnsafeMutableRawPointer, length: Int, to address: UDPAddress) -> Bool {
        guard count < capacity else { return false }
        messages[count].buf = buf
        messages[count].len = UInt32(length)
        messages[count].addr = address.storage
        messages[count].addrlen = address.length
        messages[count].local = address.local
        count += 1
        return true
    }

    /// Sends everything queued with one `sendmmsg` (retrying the rest on a
    /// partial send); returns the number of datagrams the kernel refused.
    @discardableResult
    public func flush(fd: Int32) -> Int {
        var sent = 0
        var refused = 0
        while sent < count {
            let n = csys_send_batch(fd, messages + sent, Int32(count - sent))
            if n > 0 { sent += Int(n); continue }
            if n < 0 && csys_errno() == EINTR { continue }
            // EAGAIN (socket buffer full) or a per-destination error: drop this one, go on.
            refused += 1
            sent += 1
        }
        count = 0
        return refused
    }

    /// The path of received message `i`: its source, its local address, and the socket it came in on.
    @inline(__always)
    public func address(_ i: Int, socket: UInt16 = 0) -> UDPAddress {
        UDPAddress(storage: messages[i].addr, length: messages[i].addrlen, local: messages[i].local, socketIndex: socket)
    }
    @inline(__always)
    public func length(_ i: Int) -> Int { Int(messages[i].len) }
}
