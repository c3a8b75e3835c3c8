import Foundation
import Recorder

/// Counters and gauges in Prometheus text exposition format (served at
/// `/metrics`). Updated from control-plane code only; the media path keeps
/// its own per-worker counters and publishes them here in batches.
public final class Metrics: @unchecked Sendable {
    public static let shared = Metrics()

    private struct Key: Hashable { let name: String; let labels: String }
    private let lock = NSLock()
    private var counters: [Key: Double] = [:]
    private var gauges: [Key: Double] = [:]
    private var help: [String: (String, String)] = [:]
    private var gaugeProviders: [String: @Sendable () -> [(labels: [String: String], value: Double)]] = [:]

    public init() {}

    public func describe(_ name: String, type: String, help text: String) {
        lock.lock(); defer { lock.unlock() }
        help[name] = (type, text)
    }

    public func increment(_ name: String, by v: Double = 1, labels: [String: String] = [:]) {
        let k = Key(name: name, labels: Metrics.render(labels))
        lock.lock(); defer { lock.unlock() }
        counters[k, default: 0] += v
    }

    public func set(_ name: String, _ v: Double, labels: [String: String] = [:]) {
        let k = Key(name: name, labels: Metrics.render(labels))
        lock.lock(); defer { lock.unlock() }
        gauges[k] = v
    }

    /// A gauge computed at scrape time.
    public func gauge(_ name: String, _ provider: @escaping @Sendable () -> [(labels: [String: String], value: Double)]) {
        lock.lock(); defer { lock.unlock() }
        gaugeProviders[name] = provider
    }

    static func render(_ labels: [String: String]) -> String {
        if labels.isEmpty { return "" }
        let inner = labels.keys.sorted().map { k -> String in
            let v = labels[k]!.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(k)=\"\(v)\""
        }.joined(separator: ",")
        return "{\(inner)}"
    }

    public func exposition() -> String {
        lock.lock()
        let c = counters, g = gauges, h = help, providers = gaugeProviders
        lock.unlock()
        var byName: [String: [(String, Double)]] = [:]
        var types: [String: String] = [:]
        for (k, v) in c { byName[k.name, default: []].append((k.labels, v)); types[k.name] = "counter" }
        for (k, v) in g { byName[k.name, default: []].append((k.labels, v)); types[k.name] = "gauge" }
        for (name, p) in providers {
            types[name] = "gauge"
            for s in p() { byName[name, default: []].append((Metrics.render(s.labels), s.value)) }
        }
        var out = ""
        for name in byName.keys.sorted() {
            let (type, text) = h[name] ?? (types[name] ?? "gauge", name.replacingOccurrences(of: "_", with: " "))
            out += "# HELP \(name) \(text)\n# TYPE \(name) \(type)\n"
            for (labels, v) in byName[name]!.sorted(by: { $0.0 < $1.0 }) {
                let value = v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(v)
                out += "\(name)\(labels) \(value)\n"
            }
        }
        out += Metrics.processMetrics()
        return out
    }

    /// User plus system CPU time of this process, seconds (from /proc/self/stat).
    public static func processCPUSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let f = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard f.count > 12, let u = Double(f[11]), let s = Double(f[12]), ticks > 0 else { return nil }
        return (u + s) / ticks
    }

    /// The standard Prometheus process metrics (CPU seconds and RSS of this
    /// process, read from /proc/self), so a remote load harness (sfu-bench)
    /// can measure the server's CPU per forwarded packet.
    static func processMetrics() -> String {
        var out = ""
        if let cpu = processCPUSeconds() {
            out += "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
            out += "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total \(cpu)\n"
        }
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) {
            let f = line.split(separator: " ")
            if f.count >= 3, let kb = Int64(f[1]) {
                out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                out += "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes \(kb * 1024)\n"
            }
        }
        return out
    }
}


extension Metrics {
    /// The recorder's counters (docs/CONFIGURATION.md, "Metrics"), read at
    /// scrape time from its atomics; zero before the first recording.
    public func registerRecorder(_ counters: @escaping @Sendable () -> RecorderCounters?) {
        let series: [(String, String, String, @Sendable (RecorderCounters) -> Int)] = [
            ("sfu_recorder_packets_total", "counter", "RTP packets written to recording files", { $0.packets.load(ordering: .relaxed) }),
            ("sfu_recorder_dropped_total", "counter", "packets the recorder taps dropped because the recorder fell behind (files get hasGaps)",
             { $0.dropped.load(ordering: .relaxed) }),
            ("sfu_recorder_bytes_written_total", "counter", "bytes written to recording files", { $0.bytesWritten }),
            ("sfu_recorder_active_recordings", "gauge", "conferences being recorded", { $0.conferences.load(ordering: .relaxed) }),
            ("sfu_recorder_open_files", "gauge", "recording files being written", { $0.files.load(ordering: .relaxed) }),
        ]
        for (name, type, text, read) in series {
            describe(name, type: type, help: text)
            gauge(name) { [([:], Double(counters().map(read) ?? 0))] }
        }
    }
}
