import JSON

/// What one group of peers did over one measured interval, as raw counters
/// that add up across groups and processes (`merge`). A child process sends
/// its tallies to the parent as JSON (`json` / `init(json:)`).
public struct Tally: Equatable {
    /// Viewers with media flowing at the end of the interval.
    public var viewers = 0
    public var publishers = 0
    /// Peers still connecting, and peers that failed (ICE, DTLS, SRTP setup).
    public var connecting = 0
    public var failed = 0
    /// Packets the publishers sent (RTP, after SRTP).
    public var sent: UInt64 = 0
    /// Per viewer stream: growth of the highest counter (what should have arrived).
    public var expected: UInt64 = 0
    /// Distinct packets received.
    public var received: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var reordered: UInt64 = 0
    public var srtpFailures: UInt64 = 0
    public var keyframeRequests: UInt64 = 0
    /// Gaps over 100 ms between two packets of one viewer.
    public var freezes: UInt64 = 0
    public var maxGapNanos: UInt64 = 0
    /// Time from a viewer's SRTP being ready to its first key frame, for
    /// viewers whose first key frame arrived in this interval.
    public var keyframeWaitsNanos: [UInt64] = []
    public var delays = DelayHistogram()
    /// Peers whose DTLS negotiated AEAD_AES_128_GCM.
    public var gcmPeers = 0
    /// The harness's own event loops: longest iteration, and longest time
    /// woken later than asked (not scheduled). If these are near the delays
    /// measured, the harness, not the server, caused them.
    public var harnessLoopBusyMaxNanos: UInt64 = 0
    public var harnessLoopLateMaxNanos: UInt64 = 0

    public init() {}

    public var lost: UInt64 { expected > received ? expected - received : 0 }
    public var lossFraction: Double { expected == 0 ? 0 : Double(lost) / Double(expected) }

    public mutating func merge(_ o: Tally) {
        viewers += o.viewers; publishers += o.publishers; connecting += o.connecting; failed += o.failed
        sent &+= o.sent; expected &+= o.expected; received &+= o.received; duplicates &+= o.duplicates
        reordered &+= o.reordered; srtpFailures &+= o.srtpFailures; keyframeRequests &+= o.keyframeRequests
        freezes &+= o.freezes; maxGapNanos = max(maxGapNanos, o.maxGapNanos)
        keyframeWaitsNanos += o.keyframeWaitsNanos; delays.merge(o.delays); gcmPeers += o.gcmPeers
        harnessLoopBusyMaxNanos = max(harnessLoopBusyMaxNanos, o.harnessLoopBusyMaxNanos)
        harnessLoopLateMaxNanos = max(harnessLoopLateMaxNanos, o.harnessLoopLateMaxNanos)
    }

    public var json: JSON {
        func u(_ v: UInt64) -> JSON { .int(Int64(clamping: v)) }
        return ["viewers": .int(Int64(viewers)), "publishers": .int(Int64(publishers)), "connecting": .int(Int64(connecting)),
                "failed": .int(Int64(failed)), "sent": u(sent), "expected": u(expected), "received": u(received),
                "duplicates": u(duplicates), "reordered": u(reordered), "srtp_failures": u(srtpFailures),
                "keyframe_requests": u(keyframeRequests), "freezes": u(freezes), "max_gap_ns": u(maxGapNanos),
                "keyframe_waits_ns": .array(keyframeWaitsNanos.map(u)), "delay_max_ns": u(delays.maxNanos),
                "delay_buckets": .array(delays.sparse.map { .array($0.map(u)) }), "gcm_peers": .int(Int64(gcmPeers)),
                "loop_busy_max_ns": u(harnessLoopBusyMaxNanos), "loop_late_max_ns": u(harnessLoopLateMaxNanos)]
    }

    /// Why a tally from a child could not be read.
    public struct DecodeError: Error, CustomStringConvertible {
        public var field: String
        public var description: String { "tally: missing or invalid \(field)" }
    }

    public init(json: JSON) throws(DecodeError) {
        func int(_ k: String) throws(DecodeError) -> Int64 {
            guard let v = json[k]?.intValue, v >= 0 else { throw DecodeError(field: k) }
            return v
        }
        viewers = Int(try int("viewers")); publishers = Int(try int("publishers"))
        connecting = Int(try int("connecting")); failed = Int(try int("failed"))
        sent = UInt64(try int("sent")); expected = UInt64(try int("expected")); received = UInt64(try int("received"))
        duplicates = UInt64(try int("duplicates")); reordered = UInt64(try int("reordered"))
        srtpFailures = UInt64(try int("srtp_failures")); keyframeRequests = UInt64(try int("keyframe_requests"))
        freezes = UInt64(try int("freezes")); maxGapNanos = UInt64(try int("max_gap_ns")); gcmPeers = Int(try int("gcm_peers"))
        harnessLoopBusyMaxNanos = UInt64(try int("loop_busy_max_ns")); harnessLoopLateMaxNanos = UInt64(try int("loop_late_max_ns"))
        guard let waits = json["keyframe_waits_ns"]?.arrayValue else { throw DecodeError(field: "keyframe_waits_ns") }
        keyframeWaitsNanos = try waits.map { (w: JSON) throws(DecodeError) -> UInt64 in
            guard let v = w.intValue, v >= 0 else { throw DecodeError(field: "keyframe_waits_ns") }
            return UInt64(v)
        }
        guard let buckets = json["delay_buckets"]?.arrayValue else { throw DecodeError(field: "delay_buckets") }
        var pairs: [[UInt64]] = []
        for b in buckets {
            guard let a = b.arrayValue, a.count == 2, let i = a[0].intValue, let c = a[1].intValue, i >= 0, c >= 0 else {
                throw DecodeError(field: "delay_buckets")
            }
            pairs.append([UInt64(i), UInt64(c)])
        }
        guard let h = DelayHistogram(sparse: pairs, maxNanos: UInt64(try int("delay_max_ns"))) else { throw DecodeError(field: "delay_buckets") }
        delays = h
    }
}
