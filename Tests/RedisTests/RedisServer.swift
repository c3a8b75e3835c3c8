import Foundation
import Glibc

/// A real `redis-server` (Debian package) for one test: a free loopback port,
/// its own temporary directory, no RDB snapshots; optionally an append-only
/// file fsynced on every write (the restart tests). Stopped by `stop()` or deinit.
final class RedisServer: @unchecked Sendable {
    let port: Int
    let directory: String
    let appendOnly: Bool
    private var process: Process?

    init(appendOnly: Bool = false) throws {
        port = RedisServer.freePort()
        directory = NSTemporaryDirectory() + "redis-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        self.appendOnly = appendOnly
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        var args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
                    "--daemonize", "no", "--logfile", directory + "/redis.log", "--enable-debug-command", "local"]
        args += appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if RedisServer.ping(port: port) { return }
            usleep(20_000)
        }
        throw NSError(domain: "RedisServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start on \(port)"])
    }

    /// SIGKILL (a crash): only what the append-only file holds survives.
    func kill() {
        guard let p = process, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    func signal(_ sig: Int32) {
        if let p = process { Glibc.kill(p.processIdentifier, sig) }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    /// A blocking PING on a fresh socket (readiness probe, independent of the client under test).
    static func ping(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { return false }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let msg = Array("PING\r\n".utf8)
        guard send(fd, msg, msg.count, 0) == msg.count else { return false }
        var buf = [UInt8](repeating: 0, count: 16)
        let n = recv(fd, &buf, 16, 0)
        return n >= 7 && buf[0..<7] == ArraySlice(Array("+PONG\r\n".utf8))
    }
}
