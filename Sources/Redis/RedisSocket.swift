import Glibc
import CSystem

/// Non-blocking TCP connect for the client loop.
enum RedisSocket {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Starts connecting to `host:port`; returns the socket and whether the
    /// connection is already complete (otherwise wait for EPOLLOUT, then `finish`).
    /// Host names are resolved here, on the client's own thread.
    static func start(host: String, port: Int) throws(Failure) -> (fd: Int32, done: Bool) {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let a = res else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        if connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return (fd, true) }
        let e = errno
        if e == EINPROGRESS { return (fd, false) }
        close(fd)
        throw Failure(description: "connect \(host):\(port): \(String(cString: strerror(e)))")
    }

    /// The outcome of a connect that became writable: nil when connected, else the reason.
    static func finish(_ fd: Int32) -> String? {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 { return String(cString: strerror(errno)) }
        return err == 0 ? nil : String(cString: strerror(err))
    }
}
