import BenchPeer
import Foundation
import Glibc
import JSON

/// Drives one scenario: the conference, the publishers (always in this
/// process), the viewer pools (this process, or `--procs` children), and
/// the measured steps with their output (JSON lines, table, SVG).
final class Runner {
    let o: BenchOptions
    let fleet: Fleet
    let local: LocalPool
    let children: [RemotePool]
    let probe: ServerProbe
    let conference: String
    /// The server's RSS before this run added anything (for memory per conference).
    let baselineRSS: UInt64?
    var results: [StepResult] = []
    private var nextPool = 0
    private var allPools: [ViewerPool] { [local] + children }
    var viewerPools: [ViewerPool] { children.isEmpty ? [local] : children }

    init(_ o: BenchOptions) throws {
        self.o = o
        fleet = try Fleet(url: o.url, credentials: o.credentials, settings: o.settings, prefix: "b\(getpid())")
        local = LocalPool(fleet: fleet)
        var kids: [RemotePool] = []
        if o.procs > 1 {
            for _ in 0..<o.procs { kids.append(try RemotePool(arguments: o.passThrough)) }
        }
        children = kids
        probe = Runner.chooseProbe(o)
        conference = o.conference ?? "bench-\(o.scenario)-\(getpid())"
        baselineRSS = probe.sample()?.rssBytes
        try fleet.api.create(conferenceId: conference)
        progress("sfu-bench \(o.scenario): conference \(conference) on \(o.url), server sampled via \(probe.label), \(o.procs) harness process(es)\n")
        progress(StepResult.tableHeader + "\n")
    }

    static func chooseProbe(_ o: BenchOptions) -> ServerProbe {
        if let pid = o.serverPID { return .proc(pid) }
        if let http = try? BlockingHTTPClient(url: o.url) {
            if ["127.0.0.1", "localhost", "::1", "[::1]"].contains(http.host), let pid = ServerProcess.findPID(listeningOn: http.port) {
                return .proc(pid)
            }
            if ServerProbe.metrics(http).sample() != nil { return .metrics(http) }
        }
        return .none
    }

    func progress(_ s: String) { errWrite(s) }

    /// Publishes `count` streams of `kinds` from endpoints `<prefix>-p<i>`.
    func publish(count: Int, kinds: MediaKinds, endpoints: [String]? = nil) throws -> [StreamRef] {
        var out: [StreamRef] = []
        for i in 0..<count {
            let endpoint = endpoints?[i] ?? "\(fleet.prefix)-p\(i)"
            let ref = StreamRef(conference: conference, streamId: "\(endpoint)-s", kinds: kinds)
            _ = try fleet.publish(ref, endpoint: endpoint)
            out.append(ref)
        }
        return out
    }

    /// Adds a viewer to the next pool (round robin); returns that pool's index.
    @discardableResult
    func addViewer(endpoint: String? = nil, streams: [StreamRef], group: Int = 0) throws -> Int {
        let i = nextPool % viewerPools.count
        nextPool += 1
        try viewerPools[i].addViewer(endpoint: endpoint, conference: conference, streams: streams, group: group)
        return i
    }

    /// Waits for every pending peer; reports failures on stderr.
    func waitConnected(timeout: Double = 30) throws {
        var connecting = 0
        var failures: [String] = []
        for p in allPools {
            let r = try p.waitConnected(timeout: timeout)
            connecting += r.connecting
            failures += r.failures
        }
        if connecting > 0 || !failures.isEmpty {
            progress("warning: \(connecting) peer(s) still connecting, \(failures.count) failed\(failures.isEmpty ? "" : ": " + failures.prefix(3).joined(separator: "; "))\n")
        }
    }

    /// One measured interval of `o.stepSeconds`; `during` runs on this thread
    /// instead of sleeping (churn) and must return by the deadline.
    func measure(step: Int, scenario: String, group: Int? = nil, during: ((Date) throws -> Void)? = nil) throws -> [Int: Tally] {
        if o.settle > 0 { usleep(UInt32(o.settle * 1e6)) }
        for p in allPools { try p.resetInterval() }
        let s0 = probe.sample()
        let start = Date()
        let deadline = start.addingTimeInterval(o.stepSeconds)
        if let during { try during(deadline) } else {
            while Date() < deadline {
                let left = deadline.timeIntervalSinceNow
                progress("\r  \(scenario) step \(step): \(formatFixed(o.stepSeconds - left, 1)) / \(formatFixed(o.stepSeconds, 1)) s ")
                usleep(UInt32(max(0, min(1.0, left)) * 1e6))
            }
            progress("\r" + String(repeating: " ", count: 60) + "\r")
        }
        var merged: [Int: Tally] = [:]
        var cpu: [Double] = []
        for p in allPools {
            let r = try p.collect()
            cpu.append(r.cpuSeconds)
            for (g, t) in r.tallies { merged[g, default: Tally()].merge(t) }
        }
        let seconds = Date().timeIntervalSince(start)
        let s1 = probe.sample()
        lastHarnessCPU = cpu
        lastSeconds = seconds
        if let s0, let s1 { lastServer = (s1.cpuSeconds - s0.cpuSeconds, s1.rssBytes) } else { lastServer = nil }
        return merged
    }
    var lastHarnessCPU: [Double] = []
    var lastSeconds = 0.0
    var lastServer: (cpu: Double, rss: UInt64)?

    /// A result of the last measured interval for `tally`.
    func result(_ scenario: String, step: Int, _ tally: Tally, extra: [String: JSON] = [:]) -> StepResult {
        var r = StepResult(scenario: scenario, step: step, seconds: lastSeconds, tally: tally)
        r.serverCPUSeconds = lastServer?.cpu
        r.serverRSSBytes = lastServer?.rss
        r.harnessCPUSeconds = lastHarnessCPU
        r.extra = extra
        return r
    }

    func emit(_ r: StepResult) {
        results.append(r)
        progress(r.tableRow + "\n")
        if o.json { outLine(r.jsonLine) }
    }

    func emitSummary(_ summary: [String: JSON]) {
        var s = summary
        if let base = baselineRSS, let now = lastServer?.rss {
            // What this run's conference (its endpoints, transports, producers, consumers) costs in server memory.
            s["server_rss_growth_mib"] = .double(((Double(now) - Double(base)) / 1048576 * 10).rounded() / 10)
        }
        s["scenario"] = .string(o.scenario)
        s["summary"] = true
        let line = JSON.object(s).serialized()
        progress("summary: \(line)\n")
        if o.json { outLine(line) }
    }

    func finish() {
        if let path = o.svg, !results.isEmpty {
            let points = results.map { SVGChart.Point(viewers: Double($0.tally.viewers), cpuPercent: $0.serverCPUPercent,
                                                      lossPercent: $0.lossPercent, p99Millis: $0.p99Millis) }
            let svg = SVGChart.render(title: "sfu-bench \(o.scenario) (\(conference))", points: points)
            do { try svg.write(toFile: path, atomically: true, encoding: .utf8) } catch { progress("cannot write \(path): \(error)\n") }
        }
        try? fleet.api.end(conferenceId: conference, endpoint: fleet.joined.first.map { String($0.split(separator: "/").last!) } ?? "bench")
        for c in children { c.shutdown() }
        fleet.shutdown()
    }
}
