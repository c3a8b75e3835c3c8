import CSystem
import Glibc

/// A peer's UDP address as raw `sockaddr_storage` bytes: hashable, cheap to
/// copy, and handed back to `sendmmsg` unchanged.
public struct UDPAddress: Hashable, Sendable, CustomStringConvertible {
    public var storage: sockaddr_storage
    public var length: socklen_t

    public init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Parses "a.b.c.d" or an IPv6 literal with a port.
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

    public var isIPv6: Bool { storage.ss_family == sa_family_t(AF_INET6) }

    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port are at the same offset (2).
            UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self))
        }
    }

    /// The address without the port.
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

    public var description: String { isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    public static func == (a: UDPAddress, b: UDPAddress) -> Bool {
        guard a.length == b.length else { return false }
        return withUnsafeBytes(of: a.storage) { x in
            withUnsafeBytes(of: b.storage) { y in memcmp(x.baseAddress!, y.baseAddress!, Int(a.length)) == 0 }
        }
    }

    public func hash(into h: inout Hasher) {
        withUnsafeBytes(of: storage) { h.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)])) }
    }
}

/// A non-blocking UDP socket bound to one port on every address, with large
/// kernel buffers (loss appears in socket buffers before the CPU is full).
public struct UDPSocket: ~Copyable {
    public let fd: Int32
    public let port: UInt16

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(port: UInt16, ipv6: Bool = true, bufferBytes: Int32 = 8 << 20) throws {
        let family = ipv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var zero: Int32 = 0
        if ipv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size)) }
        csys_set_socket_buffers(fd, bufferBytes)
        var ss = sockaddr_storage()
        var len: socklen_t
        if ipv6 {
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
        let rc = withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "bind UDP port \(port): \(String(cString: strerror(e)))")
        }
        var bound = sockaddr_storage()
        var blen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &blen) } }
        self.fd = fd
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

    @inline(__always)
    public func address(_ i: Int) -> UDPAddress { UDPAddress(storage: messages[i].addr, length: messages[i].addrlen) }
    @inline(__always)
    public func length(_ i: Int) -> Int { Int(messages[i].len) }
}
