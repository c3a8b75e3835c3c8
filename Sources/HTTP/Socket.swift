import Glibc
import CSystem
import Handoff

/// Small POSIX socket helpers shared by the HTTP server and tests.
public enum Socket {
    public struct Failure: Error, CustomStringConvertible {
        public let call: String
        public let errno: Int32
        public var description: String { "\(call): \(String(cString: strerror(errno)))" }
    }

    /// A non-blocking listening TCP socket on `host:port` (port 0 picks one).
    public static func listen(host: String, port: Int, backlog: Int32 = 1024) throws -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &res)
        guard rc == 0, let first = res else {
            throw Failure(call: "getaddrinfo(\(host)): \(String(cString: gai_strerror(rc)))", errno: 0)
        }
        defer { freeaddrinfo(res) }
        var lastErr: Int32 = 0
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if fd < 0 { lastErr = errno; ai = a.pointee.ai_next; continue }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if a.pointee.ai_family == AF_INET6 {
                var zero: Int32 = 0
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
            }
            if bind(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 && Glibc.listen(fd, backlog) == 0 {
                return (fd, localPort(fd))
            }
            lastErr = errno
            close(fd)
            ai = a.pointee.ai_next
        }
        throw Failure(call: "bind \(host):\(port)", errno: lastErr)
    }

    public static func localPort(_ fd: Int32) -> Int {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return port(of: ss)
    }

    static func port(of ss: sockaddr_storage) -> Int {
        var ss = ss
        let family = ss.ss_family
        return withUnsafePointer(to: &ss) { p in
            if family == sa_family_t(AF_INET) {
                return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            } else {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        }
    }

    /// "ip:port" of a socket address.
    public static func describe(_ ss: sockaddr_storage) -> String {
        var ss = ss
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = ss.ss_family
        return withUnsafePointer(to: &ss) { p -> String in
            if family == sa_family_t(AF_INET) {
                return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> String in
                    var a = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                    return "\(String(cString: buf)):\(UInt16(bigEndian: sin.pointee.sin_port))"
                }
            } else if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin -> String in
                    var a = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                    return "[\(String(cString: buf))]:\(UInt16(bigEndian: sin.pointee.sin6_port))"
                }
            }
            return "unknown"
        }
    }
}

/// The HTTP loops' name for the process's one clock (Handoff's `monotonicNow`).
@inline(__always)
func monotonicNanos() -> UInt64 { monotonicNow() }
