import Foundation

/// Plain line logging to standard error: `2026-11-23T19:12:01.123Z INFO message`.
/// Levels are filtered by `Log.level`; lines are written with one `write(2)`
/// so concurrent threads never interleave within a line.
public enum Log {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warn, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var label: String { ["DEBUG", "INFO", "WARN", "ERROR"][rawValue] }
    }

    nonisolated(unsafe) public static var level: Level = .info

    public static func debug(_ m: @autoclosure () -> String) { emit(.debug, m) }
    public static func info(_ m: @autoclosure () -> String) { emit(.info, m) }
    public static func warn(_ m: @autoclosure () -> String) { emit(.warn, m) }
    public static func error(_ m: @autoclosure () -> String) { emit(.error, m) }

    private static func emit(_ l: Level, _ m: () -> String) {
        guard l >= level else { return }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let stamp = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday,
                           tmv.tm_hour, tmv.tm_min, tmv.tm_sec, Int(ts.tv_nsec / 1_000_000))
        let line = "\(stamp) \(l.label) \(m())\n"
        line.withCString { _ = write(2, $0, strlen($0)) }
    }
}
