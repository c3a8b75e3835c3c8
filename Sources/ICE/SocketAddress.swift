#if canImport(Glibc)
import Glibc
#endif

/// A UDP endpoint (IPv4 or IPv6 address plus port) as a plain value.
///
/// It exists so that ICE, the UDP workers and the tests can name peers
/// without touching `sockaddr` structures: it is `Hashable` (usable as a
/// dictionary key for path lookups), `Sendable`, and converts to and from
/// `sockaddr_storage` only at the socket boundary.
///
/// ```swift
/// let a = SocketAddress("192.0.2.1:32853")!
/// a.withSockaddr { sa, len in sendto(fd, buf, n, 0, sa, len) }
/// ```
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address part. Values are the address bytes read big-endian, so
    /// `192.0.2.1` is `.v4(0xC000_0201)`.
    public enum IP: Hashable, Sendable {
        case v4(UInt32)
        case v6(hi: UInt64, lo: UInt64)
    }

    public var ip: IP
    public var port: UInt16

    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// `SocketAddress(ipv4: 192, 0, 2, 1, port: 3478)`
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        self.ip = .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
        self.port = port
    }

    /// Builds an address from its 4 or 16 address bytes in network order.
    public init?(ipBytes: some Collection<UInt8>, port: UInt16) {
        let bytes = Array(ipBytes)
        switch bytes.count {
        case 4:
            self.ip = .v4(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            let hi = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lo = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.ip = .v6(hi: hi, lo: lo)
        default:
            return nil
        }
        self.port = port
    }

    /// Parses `"192.0.2.1:3478"` or `"[2001:db8::1]:3478"` (textual forms of `inet_pton`).
    public init?(_ text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            guard let ip = SocketAddress.parseIP(host) else { return nil }
            self.init(ip: ip, port: port)
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            guard let port = UInt16(text[text.index(after: colon)...]) else { return nil }
            guard let ip = SocketAddress.parseIP(String(text[..<colon])), case .v4 = ip else { return nil }
            self.init(ip: ip, port: port)
        }
    }

    /// Parses a bare IPv4 or IPv6 address (no port).
    public static func parseIP(_ text: String) -> IP? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return .v4(UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { raw in
                SocketAddress(ipBytes: raw, port: 0)?.ip
            }
        }
        return nil
    }

    /// Reads a `sockaddr_in` / `sockaddr_in6` (as filled in by `recvmmsg`).
    /// Returns nil for other families.
    public init?(_ storage: sockaddr_storage) {
        var copy = storage
        let family = Int32(copy.ss_family)
        let parsed: SocketAddress? = withUnsafeBytes(of: &copy) { raw in
            switch family {
            case AF_INET:
                let sin = raw.loadUnaligned(as: sockaddr_in.self)
                return SocketAddress(ip: .v4(UInt32(bigEndian: sin.sin_addr.s_addr)), port: UInt16(bigEndian: sin.sin_port))
            case AF_INET6:
                let sin6 = raw.loadUnaligned(as: sockaddr_in6.self)
                var addr = sin6.sin6_addr
                return withUnsafeBytes(of: &addr) { SocketAddress(ipBytes: $0, port: UInt16(bigEndian: sin6.sin6_port)) }
            default:
                return nil
            }
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The address as a `sockaddr_storage` and the length to pass to `sendto`/`sendmmsg`.
    public var sockaddrStorage: (storage: sockaddr_storage, length: socklen_t) {
        var storage = sockaddr_storage()
        switch ip {
        case .v4(let value):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = value.bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin, as: sockaddr_in.self) }
            return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            let bytes = ipBytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<16 { raw[i] = bytes[i] }
            }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin6, as: sockaddr_in6.self) }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }

    /// Calls `body` with a `sockaddr` pointer and its length, for socket calls.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        var (storage, length) = sockaddrStorage
        return try withUnsafePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    public var isIPv4: Bool {
        if case .v4 = ip { return true }
        return false
    }

    /// The 4 or 16 address bytes in network order.
    public var ipBytes: [UInt8] {
        switch ip {
        case .v4(let v):
            return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        case .v6(let hi, let lo):
            return (0..<8).map { UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64($0))) }
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2, what a
    /// dual-stack socket reports for IPv4 peers) as plain IPv4; others unchanged.
    public var unmappingIPv4: SocketAddress {
        if case .v6(let hi, let lo) = ip, hi == 0, lo >> 32 == 0xFFFF {
            return SocketAddress(ip: .v4(UInt32(truncatingIfNeeded: lo)), port: port)
        }
        return self
    }

    public var description: String {
        switch ip {
        case .v4:
            return "\(ipString):\(port)"
        case .v6:
            return "[\(ipString)]:\(port)"
        }
    }

    /// The address alone, as `inet_ntop` writes it.
    public var ipString: String {
        var bytes = ipBytes
        let family = isIPv4 ? AF_INET : AF_INET6
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeMutableBytes { raw in
            text.withUnsafeMutableBufferPointer { inet_ntop(family, raw.baseAddress, $0.baseAddress, socklen_t($0.count)) != nil }
        }
        guard ok else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
