import JSON

/// One measured step of a scenario: what the viewers saw, what the server
/// spent, what the harness spent. Printed as one JSON line (`json`) and one
/// table row (`tableRow`), and plotted by `SVGChart`.
public struct StepResult: Equatable {
    public var scenario: String
    public var step: Int
    public var seconds: Double
    public var tally: Tally
    /// Server CPU seconds used in the interval (nil when unknown).
    public var serverCPUSeconds: Double?
    public var serverRSSBytes: UInt64?
    /// CPU seconds of each harness process in the interval (parent first).
    public var harnessCPUSeconds: [Double] = []
    /// Scenario-specific extras (e.g. the floor ratio).
    public var extra: [String: JSON] = [:]

    public init(scenario: String, step: Int, seconds: Double, tally: Tally) {
        self.scenario = scenario
        self.step = step
        self.seconds = seconds
        self.tally = tally
    }

    public var lossPercent: Double { tally.lossFraction * 100 }
    public var p50Millis: Double? { tally.delays.percentile(0.5).map { Double($0) / 1e6 } }
    public var p99Millis: Double? { tally.delays.percentile(0.99).map { Double($0) / 1e6 } }
    public var maxMillis: Double { Double(tally.delays.maxNanos) / 1e6 }
    /// Server CPU as a percentage of one core.
    public var serverCPUPercent: Double? { serverCPUSeconds.map { $0 / seconds * 100 } }
    /// Packets the server delivered to our viewers (distinct, counted by the viewers).
    public var forwardedPackets: UInt64 { tally.received }
    public var serverMicrosPerPacket: Double? {
        guard let c = serverCPUSeconds, forwardedPackets > 0 else { return nil }
        return c * 1e6 / Double(forwardedPackets)
    }
    public var serverPacketsPerCPUSecond: Double? {
        guard let c = serverCPUSeconds, c > 0 else { return nil }
        return Double(forwardedPackets) / c
    }
    public var keyframeWaitMaxMillis: Double? { tally.keyframeWaitsNanos.max().map { Double($0) / 1e6 } }

    /// Whether the step held the ramp's limits: loss ≤ `maxLoss` %, p99 ≤ `maxP99` ms, nobody failed.
    public func held(maxLossPercent: Double, maxP99Millis: Double) -> Bool {
        tally.failed == 0 && tally.connecting == 0 && tally.srtpFailures == 0 && tally.received > 0
            && lossPercent <= maxLossPercent && (p99Millis ?? .infinity) <= maxP99Millis
    }

    static func round(_ v: Double, _ digits: Int) -> JSON {
        var m = 1.0
        for _ in 0..<digits { m *= 10 }
        return .double((v * m).rounded() / m)
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "scenario": .string(scenario), "step": .int(Int64(step)), "seconds": Self.round(seconds, 3),
            "viewers": .int(Int64(tally.viewers)), "publishers": .int(Int64(tally.publishers)),
            "connecting": .int(Int64(tally.connecting)), "failed": .int(Int64(tally.failed)),
            "sent_packets": .int(Int64(clamping: tally.sent)), "expected_packets": .int(Int64(clamping: tally.expected)),
            "received_packets": .int(Int64(clamping: tally.received)), "lost_packets": .int(Int64(clamping: tally.lost)),
            "loss_percent": Self.round(lossPercent, 4), "duplicates": .int(Int64(clamping: tally.duplicates)),
            "reordered": .int(Int64(clamping: tally.reordered)), "srtp_failures": .int(Int64(clamping: tally.srtpFailures)),
            "freezes_over_100ms": .int(Int64(clamping: tally.freezes)), "max_gap_ms": Self.round(Double(tally.maxGapNanos) / 1e6, 3),
            "delay_max_ms": Self.round(maxMillis, 3), "keyframe_waits": .int(Int64(tally.keyframeWaitsNanos.count)),
            "keyframe_requests": .int(Int64(clamping: tally.keyframeRequests)), "gcm_peers": .int(Int64(tally.gcmPeers)),
            "harness_cpu_percent": .array(harnessCPUSeconds.map { Self.round($0 / seconds * 100, 1) }),
            "harness_loop_busy_max_ms": Self.round(Double(tally.harnessLoopBusyMaxNanos) / 1e6, 2),
            "harness_loop_late_max_ms": Self.round(Double(tally.harnessLoopLateMaxNanos) / 1e6, 2),
        ]
        if let v = p50Millis { o["delay_p50_ms"] = Self.round(v, 3) }
        if let v = p99Millis { o["delay_p99_ms"] = Self.round(v, 3) }
        if let v = keyframeWaitMaxMillis { o["keyframe_wait_max_ms"] = Self.round(v, 1) }
        if let v = serverCPUPercent { o["server_cpu_percent"] = Self.round(v, 2) }
        if let v = serverMicrosPerPacket { o["server_cpu_us_per_packet"] = Self.round(v, 3) }
        if let v = serverPacketsPerCPUSecond { o["server_packets_per_cpu_second"] = .int(Int64(v.rounded())) }
        if let v = serverRSSBytes { o["server_rss_mib"] = Self.round(Double(v) / 1048576, 1) }
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    /// The JSON line printed with `--json`.
    public var jsonLine: String { json.serialized() }

    public static let tableHeader =
        "scenario    step viewers  pubs  sent/s    recv/s  loss%    p50ms   p99ms   maxms  kfwait  srvCPU%  µs/pkt  pkt/CPUs  srvRSS  benchCPU%"

    public var tableRow: String {
        func f(_ v: Double?, _ w: Int, _ d: Int) -> String {
            guard let v else { return String(repeating: " ", count: w - 1) + "-" }
            let s = formatFixed(v, d)
            return s.count >= w ? s : String(repeating: " ", count: w - s.count) + s
        }
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        let cols: [String] = [
            pad(scenario, 10), f(Double(step), 5, 0), f(Double(tally.viewers), 8, 0), f(Double(tally.publishers), 6, 0),
            f(Double(tally.sent) / seconds, 8, 0), f(Double(tally.received) / seconds, 10, 0), f(lossPercent, 7, 3),
            f(p50Millis, 8, 2), f(p99Millis, 8, 2), f(maxMillis, 8, 1), f(keyframeWaitMaxMillis, 8, 0),
            f(serverCPUPercent, 9, 1), f(serverMicrosPerPacket, 8, 2), f(serverPacketsPerCPUSecond, 10, 0),
            f(serverRSSBytes.map { Double($0) / 1048576 }, 8, 1),
            "  " + harnessCPUSeconds.map { formatFixed($0 / seconds * 100, 0) }.joined(separator: "+"),
        ]
        return cols.joined(separator: " ")
    }
}

/// `v` with `digits` decimals (`%.<d>f` without Foundation's `String(format:)`).
public func formatFixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : "inf" }
    var m = 1.0
    for _ in 0..<digits { m *= 10 }
    let r = (abs(v) * m).rounded()
    let whole = Int64(r / m)
    var s = (v < 0 && r != 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let frac = Int64(r - Double(whole) * m)
        let fs = String(frac)
        s += "." + String(repeating: "0", count: digits - fs.count) + fs
    }
    return s
}

/// A hand-written SVG line chart of a run: x = viewers, three panels sharing
/// it — server CPU %, loss %, p99 delay (ms). No libraries; the text is
/// deterministic so it can be tested and diffed.
public enum SVGChart {
    public struct Point: Equatable {
        public var viewers: Double
        public var cpuPercent: Double?
        public var lossPercent: Double
        public var p99Millis: Double?
        public init(viewers: Double, cpuPercent: Double?, lossPercent: Double, p99Millis: Double?) {
            self.viewers = viewers
            self.cpuPercent = cpuPercent
            self.lossPercent = lossPercent
            self.p99Millis = p99Millis
        }
    }

    static func esc(_ s: String) -> String {
        s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }

    /// "Nice" upper bound for an axis.
    static func niceMax(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        var step = 1.0
        while step * 10 <= v { step *= 10 }
        while step > v { step /= 10 }
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where step * m >= v { return step * m }
        return step * 10
    }

    public static func render(title: String, points: [Point], width: Int = 720) -> String {
        let panelHeight = 160, left = 70, right = 20, top = 40, gap = 40
        let panels: [(String, String, (Point) -> Double?)] = [
            ("server CPU %", "#1f77b4", { $0.cpuPercent }),
            ("loss %", "#d62728", { $0.lossPercent }),
            ("p99 delay ms", "#2ca02c", { $0.p99Millis }),
        ]
        let height = top + panels.count * (panelHeight + gap) + 20
        let plotWidth = Double(width - left - right)
        let xMax = niceMax(points.map(\.viewers).max() ?? 1)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(esc(title))</text>\n"
        for (pi, panel) in panels.enumerated() {
            let y0 = top + pi * (panelHeight + gap)
            let values = points.compactMap { panel.2($0) }
            let yMax = niceMax(values.max() ?? 1)
            func px(_ v: Double) -> String { formatFixed(Double(left) + v / xMax * plotWidth, 1) }
            func py(_ v: Double) -> String { formatFixed(Double(y0 + panelHeight) - min(v, yMax) / yMax * Double(panelHeight), 1) }
            s += "<g>\n<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(Int(plotWidth))\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
            s += "<text x=\"\(left - 8)\" y=\"\(y0 + 4)\" text-anchor=\"end\">\(esc(formatFixed(yMax, yMax < 10 ? 2 : 0)))</text>\n"
            s += "<text x=\"\(left - 8)\" y=\"\(y0 + panelHeight)\" text-anchor=\"end\">0</text>\n"
            s += "<text x=\"\(left + 6)\" y=\"\(y0 + 14)\" fill=\"\(panel.1)\">\(esc(panel.0))</text>\n"
            let line = points.compactMap { p in panel.2(p).map { "\(px(p.viewers)),\(py($0))" } }
            if !line.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(panel.1)\" stroke-width=\"2\" points=\"\(line.joined(separator: " "))\"/>\n"
                for p in line { let xy = p.split(separator: ","); s += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(panel.1)\"/>\n" }
            }
            s += "</g>\n"
        }
        let yAxis = top + panels.count * (panelHeight + gap) - gap + 14
        s += "<text x=\"\(left)\" y=\"\(yAxis)\" text-anchor=\"middle\">0</text>\n"
        s += "<text x=\"\(width - right)\" y=\"\(yAxis)\" text-anchor=\"middle\">\(esc(formatFixed(xMax, 0)))</text>\n"
        s += "<text x=\"\(left + Int(plotWidth) / 2)\" y=\"\(yAxis)\" text-anchor=\"middle\">viewers</text>\n"
        s += "</svg>\n"
        return s
    }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String { split(separator: a, omittingEmptySubsequences: false).joined(separator: b) }
}
