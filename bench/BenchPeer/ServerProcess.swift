import Foundation
import Glibc

/// CPU time and memory of a process at one instant.
public struct ProcessSample: Equatable, Sendable {
    /// user + system CPU seconds since the process started.
    public var cpuSeconds: Double
    /// Resident set size in bytes.
    public var rssBytes: UInt64
    public init(cpuSeconds: Double, rssBytes: UInt64) {
        self.cpuSeconds = cpuSeconds
        self.rssBytes = rssBytes
    }
}

/// Reads the server's CPU time and RSS: from `/proc/<pid>` when the server
/// runs on this machine (pid given, or found by its listening TCP port), else
/// from its `/metrics` (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`). Pure parsers are static for tests.
public enum ServerProcess {
    /// utime + stime (fields 14 and 15 of `/proc/<pid>/stat`, in clock ticks) in seconds.
    /// The command name (field 2) may contain spaces and parentheses, so fields are counted after the last ')'.
    public static func parseStatCPU(_ text: String, ticksPerSecond: Double) -> Double? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); utime is field 14 → rest[11], stime rest[12].
        guard rest.count > 12, let u = Double(rest[11]), let s = Double(rest[12]), ticksPerSecond > 0 else { return nil }
        return (u + s) / ticksPerSecond
    }

    /// `VmRSS:   12345 kB` of `/proc/<pid>/status`, in bytes.
    public static func parseStatusRSS(_ text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 3, let kb = UInt64(f[1]), f[2] == "kB" else { return nil }
            return kb * 1024
        }
        return nil
    }

    /// Socket inodes of TCP sockets listening (state 0A) on `port`, from `/proc/net/tcp{,6}` text.
    public static func listeningInodes(_ text: String, port: UInt16) -> [UInt64] {
        var out: [UInt64] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 9, f[3] == "0A" else { continue }
            let local = f[1].split(separator: ":")
            guard local.count == 2, UInt16(local[1], radix: 16) == port, let inode = UInt64(f[9]) else { continue }
            out.append(inode)
        }
        return out
    }

    /// The sum over all label sets of a metric in Prometheus text format.
    public static func metricValue(_ text: String, name: String) -> Double? {
        var total: Double?
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2 else { continue }
            let key = f[0]
            let base = key.firstIndex(of: "{").map { key[..<$0] } ?? key
            guard base == name, let v = Double(f[1]) else { continue }
            total = (total ?? 0) + v
        }
        return total
    }

    public static func sample(pid: Int32) -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let cpu = parseStatCPU(stat, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK)))),
              let rss = parseStatusRSS(status) else { return nil }
        return ProcessSample(cpuSeconds: cpu, rssBytes: rss)
    }

    /// This process (the harness): CPU from getrusage, RSS from /proc/self.
    public static func selfSample() -> ProcessSample {
        var ru = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &ru)
        let cpu = Double(ru.ru_utime.tv_sec) + Double(ru.ru_utime.tv_usec) / 1e6 + Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) / 1e6
        let rss = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)).flatMap(parseStatusRSS) ?? 0
        return ProcessSample(cpuSeconds: cpu, rssBytes: rss)
    }

    /// The pid of the local process listening on TCP `port`, by matching socket inodes under /proc/*/fd.
    public static func findPID(listeningOn port: UInt16) -> Int32? {
        var inodes: Set<UInt64> = []
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            if let t = try? String(contentsOfFile: file, encoding: .utf8) { inodes.formUnion(listeningInodes(t, port: port)) }
        }
        guard !inodes.isEmpty, let procs = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        let wanted = Set(inodes.map { "socket:[\($0)]" })
        for name in procs {
            guard let pid = Int32(name), pid != getpid(),
                  let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(name)/fd") else { continue }
            for fd in fds {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/fd/\(fd)"), wanted.contains(target) {
                    return pid
                }
            }
        }
        return nil
    }
}

/// Where the server's samples come from, chosen once at start.
public enum ServerProbe {
    case proc(Int32)
    case metrics(BlockingHTTPClient)
    case none

    public func sample() -> ProcessSample? {
        switch self {
        case .proc(let pid): return ServerProcess.sample(pid: pid)
        case .metrics(let http):
            guard let r = try? http.request("GET", "/metrics"), r.status == 200 else { return nil }
            let text = r.bodyText
            guard let cpu = ServerProcess.metricValue(text, name: "process_cpu_seconds_total") else { return nil }
            let rss = ServerProcess.metricValue(text, name: "process_resident_memory_bytes") ?? 0
            return ProcessSample(cpuSeconds: cpu, rssBytes: UInt64(rss))
        case .none: return nil
        }
    }

    public var label: String {
        switch self {
        case .proc(let pid): return "/proc/\(pid)"
        case .metrics: return "/metrics"
        case .none: return "none"
        }
    }
}
