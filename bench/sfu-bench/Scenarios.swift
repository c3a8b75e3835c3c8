import BenchPeer
import Foundation
import Glibc
import JSON

extension Runner {
    /// One publisher (or --publishers), viewers added in steps until a step
    /// breaks the loss or delay limit; reports the largest count that held.
    func ramp() throws {
        let streams = try publish(count: o.publishers, kinds: o.media)
        try waitConnected()
        var viewers = 0
        var step = 0
        var held: StepResult?
        var firstHeld: StepResult?
        var broke: String?
        while viewers < o.maxViewers {
            step += 1
            let add = min(o.step, o.maxViewers - viewers)
            for _ in 0..<add { try addViewer(streams: streams) }
            viewers += add
            try waitConnected()
            let r = result("ramp", step: step, try measure(step: step, scenario: "ramp").values.reduce(into: Tally()) { $0.merge($1) })
            emit(r)
            if r.held(maxLossPercent: o.maxLoss, maxP99Millis: o.maxP99) {
                held = r
                if firstHeld == nil { firstHeld = r }
            } else {
                broke = "loss \(formatFixed(r.lossPercent, 3)) %, p99 \(r.p99Millis.map { formatFixed($0, 2) } ?? "-") ms, failed \(r.tally.failed)"
                break
            }
        }
        var s: [String: JSON] = ["max_viewers_held": .int(Int64(held?.tally.viewers ?? 0)), "steps": .int(Int64(step)),
                                 "limit_loss_percent": .double(o.maxLoss), "limit_p99_ms": .double(o.maxP99)]
        if let broke { s["stopped_by"] = .string(broke) } else { s["stopped_by"] = "max-viewers" }
        if let h = held, let cpu = h.serverCPUPercent, cpu > 0 {
            s["server_cpu_percent_at_max"] = .double((cpu * 10).rounded() / 10)
            s["viewers_per_server_core"] = .int(Int64((Double(h.tally.viewers) / (cpu / 100)).rounded()))
        }
        if let a = firstHeld, let b = held, b.tally.viewers > a.tally.viewers, let ra = a.serverRSSBytes, let rb = b.serverRSSBytes {
            s["server_rss_per_viewer_kib"] = .double(((Double(rb) - Double(ra)) / Double(b.tally.viewers - a.tally.viewers) / 1024 * 10).rounded() / 10)
        }
        emitSummary(s)
    }

    /// N participants, each publishing and viewing every other participant.
    func meeting() throws {
        let names = (0..<o.participants).map { "\(fleet.prefix)-m\($0)" }
        let streams = try publish(count: o.participants, kinds: o.media, endpoints: names)
        try waitConnected()
        for (i, name) in names.enumerated() {
            try addViewer(endpoint: name, streams: streams.enumerated().filter { $0.offset != i }.map(\.element))
        }
        try waitConnected()
        let r = result("meeting", step: 1, try measure(step: 1, scenario: "meeting").values.reduce(into: Tally()) { $0.merge($1) })
        emit(r)
        emitSummary(["participants": .int(Int64(o.participants)), "streams_viewed": .int(Int64(r.tally.viewers)),
                     "loss_percent": .double(r.lossPercent)])
    }

    /// S audio speakers, L listeners viewing all of them.
    func audioRoom() throws {
        let streams = try publish(count: o.speakers, kinds: .audio)
        try waitConnected()
        for _ in 0..<o.listeners { try addViewer(streams: streams) }
        try waitConnected()
        let r = result("audio-room", step: 1, try measure(step: 1, scenario: "audio-room").values.reduce(into: Tally()) { $0.merge($1) })
        emit(r)
        emitSummary(["speakers": .int(Int64(o.speakers)), "listeners": .int(Int64(o.listeners)), "loss_percent": .double(r.lossPercent)])
    }

    /// Stable viewers (group 0) watch while churners (group 1) join and leave;
    /// a glitch is any loss, duplicate, >100 ms freeze or SRTP failure of a stable viewer.
    func churn() throws {
        let streams = try publish(count: o.publishers, kinds: o.media)
        try waitConnected()
        for _ in 0..<o.stableViewers { try addViewer(streams: streams, group: 0) }
        try waitConnected()
        var alive: [Int] = []   // pool index of each live churner, oldest first
        var joins = 0
        let tallies = try measure(step: 1, scenario: "churn") { deadline in
            while Date() < deadline {
                let t0 = Date()
                alive.append(try self.addViewer(streams: streams, group: 1))
                joins += 1
                if alive.count > self.o.churnViewers {
                    let pool = alive.removeFirst()
                    try self.viewerPools[pool].removeViewers(count: 1, group: 1)
                }
                self.progress("\r  churn: \(joins) joins, \(formatFixed(max(0, deadline.timeIntervalSinceNow), 1)) s left ")
                let wait = self.o.churnPeriod - Date().timeIntervalSince(t0)
                if wait > 0 { usleep(UInt32(min(wait, max(0, deadline.timeIntervalSinceNow)) * 1e6)) }
            }
            self.progress("\r" + String(repeating: " ", count: 60) + "\r")
        }
        let stable = tallies[0] ?? Tally()
        let churners = tallies[1] ?? Tally()
        emit(result("churn", step: 1, stable, extra: ["group": "stable"]))
        // The server's CPU belongs to the whole run, not to the churners' share of packets.
        var churnRow = result("churn", step: 2, churners, extra: ["group": "churners"])
        churnRow.serverCPUSeconds = nil
        emit(churnRow)
        let glitch = stable.lost > 0 || stable.duplicates > 0 || stable.freezes > 0 || stable.srtpFailures > 0 || stable.failed > 0
        var s: [String: JSON] = [:]
        s["stable_viewers"] = .int(Int64(stable.viewers))
        s["churn_joins"] = .int(Int64(joins))
        s["stable_glitch"] = .bool(glitch)
        s["stable_lost"] = .int(Int64(stable.lost))
        s["stable_freezes"] = .int(Int64(stable.freezes))
        s["stable_max_gap_ms"] = .double(Double(stable.maxGapNanos / 1000) / 1000)
        let maxWait: UInt64 = churners.keyframeWaitsNanos.max() ?? 0
        s["churner_keyframe_wait_max_ms"] = .double(Double(maxWait / 1000) / 1000)
        emitSummary(s)
    }

    /// floor-bench at the same fan-out, then the server: the ratio of packets per CPU-second.
    func floor() throws {
        var probe = VP8Packetizer(ssrc: 1, bitrate: o.settings.videoBitrate, fps: o.settings.fps, keyframeInterval: o.settings.keyframeInterval)
        let perFrame = probe.beginFrame().packets
        let publisherPPS = (o.media.contains(.video) ? perFrame * o.settings.fps : 0) + (o.media.contains(.audio) ? 50 : 0)
        let inputPPS = publisherPPS * o.publishers
        let saturated = try runFloorBench(["--fanout", String(o.fanout), "--seconds", String(o.stepSeconds)])
        let sameRate = try runFloorBench(["--fanout", String(o.fanout), "--seconds", String(o.stepSeconds), "--pps", String(inputPPS)])
        let streams = try publish(count: o.publishers, kinds: o.media)
        try waitConnected()
        for _ in 0..<o.fanout { try addViewer(streams: streams) }
        try waitConnected()
        let tally = try measure(step: 1, scenario: "floor").values.reduce(into: Tally()) { $0.merge($1) }
        var r = result("floor", step: 1, tally)
        let server = r.serverPacketsPerCPUSecond ?? 0
        let satFloor = saturated["sent_packets_per_cpu_second"]?.doubleLike ?? 0
        let rateFloor = sameRate["sent_packets_per_cpu_second"]?.doubleLike ?? 0
        r.extra = ["floor_saturated_packets_per_cpu_second": .int(Int64(satFloor)),
                   "floor_same_rate_packets_per_cpu_second": .int(Int64(rateFloor)),
                   "input_pps": .int(Int64(inputPPS)), "fanout": .int(Int64(o.fanout))]
        emit(r)
        func ratio(_ f: Double) -> JSON { f > 0 ? .double((server / f * 1000).rounded() / 1000) : .null }
        emitSummary(["fanout": .int(Int64(o.fanout)), "server_packets_per_cpu_second": .int(Int64(server)),
                     "floor_saturated_packets_per_cpu_second": .int(Int64(satFloor)),
                     "floor_same_rate_packets_per_cpu_second": .int(Int64(rateFloor)),
                     "ratio": ratio(satFloor), "ratio_same_rate": ratio(rateFloor), "loss_percent": .double(r.lossPercent),
                     "floor_saturated": saturated, "floor_same_rate": sameRate])
    }

    /// Runs floor-bench and returns its JSON line.
    func runFloorBench(_ args: [String]) throws -> JSON {
        let path = o.floorBench ?? URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                                        ?? CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("floor-bench").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw BenchError("floor-bench not found at \(path) (build it or pass --floor-bench)") }
        progress("  running \(path) \(args.joined(separator: " "))\n")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0, let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw BenchError("floor-bench failed (\(p.terminationStatus)): \(text)")
        }
        return try JSON.parse(String(line))
    }
}

extension JSON {
    var doubleLike: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
}
