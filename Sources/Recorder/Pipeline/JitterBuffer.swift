// Reordering RTP packets of one track and turning them into frames on a
// continuous timeline (RFC 3550 §A.1 sequence rules, RFC 1982 wrap order).
//
// - Packets are held by extended sequence number and released in order. A
//   hole is waited for `maxWait` after the arrival of the first packet behind
//   it (time for NACK/RTX to recover it); then it is declared lost.
// - At start (and after a resync) packets are held `maxWait` before the
//   first release, so early reordering does not lose the first frame.
// - Duplicates and packets older than the release point are dropped; a jump
//   of more than `maxDropout` ahead (or `maxMisorder` behind) is a restart.
// - An SSRC change or restart flushes what is held, then starts a new
//   sequence space whose timestamps continue the timeline by the arrival
//   time that elapsed (so files keep wall-clock durations).
// - Audio: a jump in timestamps becomes a `.gap` (DTX if nothing was lost).
//   Video: after a loss, frames are dropped until a keyframe and a
//   `.requestKeyframe` is emitted at most once per `keyframeRequestInterval`.

/// The per-track jitter buffer: a pure state machine (no I/O, no clock
/// reads); the recorder passes arrival times and polls it.
public struct JitterBuffer<Depacketizer: RTPDepacketizer> {
    /// Tuning and limits.
    public struct Configuration: Sendable {
        public var isAudio: Bool
        public var clockRate: UInt32
        public var maxWait: UInt64 = 150_000_000
        public var keyframeRequestInterval: UInt64 = 500_000_000
        public var maxHeldPackets = 1024
        public var maxDropout: Int64 = 3000
        public var maxMisorder: Int64 = 1500
        /// Timestamps may run ahead of or behind arrival time by this much before the timeline follows arrival.
        public var maxTimestampJumpSeconds = 5
        public init(isAudio: Bool, clockRate: UInt32) {
            self.isAudio = isAudio
            self.clockRate = clockRate
        }
    }

    public let configuration: Configuration
    public private(set) var depacketizer: Depacketizer
    public private(set) var stats = JitterBufferStats()
    /// Whether anything was lost, concealed or skipped so far.
    public private(set) var hasGaps = false

    private struct Held {
        var payload: [UInt8]
        var timestamp: UInt32
        var marker: Bool
        var arrival: UInt64
    }

    private var held: [Int64: Held] = [:]
    private var ssrc: UInt32?
    private var started = false
    private var firstArrival: UInt64 = 0
    private var expected: Int64 = 0
    private var highestSeq: UInt16 = 0
    private var highestExt: Int64 = 0

    // Timestamp unwrap and continuity.
    private var lastTimestamp: UInt32 = 0
    private var lastExtTimestamp: Int64 = 0
    private var haveTimestamp = false
    private var rebaseTo: Int64? = nil
    private var timestampOffset: Int64 = 0
    private var timelineEnd: Int64 = 0
    private var lastFrameTimestamp: Int64 = 0
    private var lastFrameArrival: UInt64?
    private var lastReleaseArrival: UInt64?

    // Audio gaps, video keyframe gating.
    private var nextAudioTimestamp: Int64?
    private var lostSinceLastFrame = false
    private var waitingForKeyframe = true
    private var lastKeyframeRequest: UInt64?

    public init(_ configuration: Configuration, depacketizer: Depacketizer) {
        self.configuration = configuration
        self.depacketizer = depacketizer
    }

    /// Adds one packet; returns what is ready.
    public mutating func insert(ssrc: UInt32, sequence: UInt16, timestamp: UInt32, marker: Bool,
                                payload: UnsafeRawBufferPointer, arrival: UInt64) -> [JitterBufferEvent] {
        var out: [JitterBufferEvent] = []
        stats.received += 1
        if self.ssrc != ssrc {
            if self.ssrc != nil { restart(arrival: arrival, out: &out) }
            self.ssrc = ssrc
            begin(sequence: sequence, arrival: arrival)
        }
        var ext = extend(sequence)
        if started {
            if ext < expected {
                if expected - ext > configuration.maxMisorder {
                    restart(arrival: arrival, out: &out)
                    begin(sequence: sequence, arrival: arrival)
                    ext = extend(sequence)
                } else {
                    stats.late += 1
                    release(now: arrival, out: &out)
                    return out
                }
            } else if ext - expected > configuration.maxDropout {
                restart(arrival: arrival, out: &out)
                begin(sequence: sequence, arrival: arrival)
                ext = extend(sequence)
            }
        }
        if held[ext] != nil {
            stats.duplicates += 1
        } else {
            held[ext] = Held(payload: Array(payload), timestamp: timestamp, marker: marker, arrival: arrival)
        }
        release(now: arrival, out: &out)
        return out
    }

    /// Convenience for byte arrays.
    public mutating func insert(ssrc: UInt32, sequence: UInt16, timestamp: UInt32, marker: Bool,
                                payload: [UInt8], arrival: UInt64) -> [JitterBufferEvent] {
        payload.withUnsafeBytes { insert(ssrc: ssrc, sequence: sequence, timestamp: timestamp, marker: marker, payload: $0, arrival: arrival) }
    }

    /// Releases what waited long enough, and repeats keyframe requests.
    public mutating func poll(now: UInt64) -> [JitterBufferEvent] {
        var out: [JitterBufferEvent] = []
        release(now: now, out: &out)
        if !configuration.isAudio && waitingForKeyframe && lastKeyframeRequest != nil { requestKeyframe(now: now, out: &out) }
        return out
    }

    /// Releases everything held, skipping holes (end of recording).
    public mutating func drain() -> [JitterBufferEvent] {
        var out: [JitterBufferEvent] = []
        flush(out: &out)
        return out
    }

    /// The tap dropped packets before they reached this buffer.
    public mutating func noteDropped(count: Int) {
        if count > 0 { hasGaps = true }
    }

    // MARK: sequence space

    private mutating func begin(sequence: UInt16, arrival: UInt64) {
        held.removeAll(keepingCapacity: true)
        started = false
        firstArrival = arrival
        highestSeq = sequence
        highestExt = 1 << 32  // room below for early reordered packets
    }

    private mutating func extend(_ sequence: UInt16) -> Int64 {
        let d = Int64(SerialDistance.of(sequence, highestSeq))
        let ext = highestExt + d
        if d > 0 { highestSeq = sequence; highestExt = ext }
        return ext
    }

    /// SSRC change or sequence restart: flush, then continue the timeline.
    private mutating func restart(arrival: UInt64, out: inout [JitterBufferEvent]) {
        flush(out: &out)
        stats.resyncs += 1
        let elapsed = lastReleaseArrival.map { arrival > $0 ? Int64((arrival - $0) / 1000) * Int64(configuration.clockRate) / 1_000_000 : 0 } ?? 0
        // The new stream's first frame starts `elapsed` after the last one started, never overlapping it.
        rebaseTo = max(lastFrameTimestamp + elapsed, timelineEnd + (configuration.isAudio ? 0 : 1))
        haveTimestamp = false
        lostSinceLastFrame = true
        hasGaps = true
        depacketizer.lose()
        if !configuration.isAudio { waitingForKeyframe = true }
    }

    private mutating func flush(out: inout [JitterBufferEvent]) {
        if !started, let first = held.keys.min() { started = true; expected = first }
        release(now: .max, out: &out)
    }

    // MARK: release

    private mutating func release(now: UInt64, out: inout [JitterBufferEvent]) {
        if !started {
            guard let first = held.keys.min(), now >= firstArrival &+ configuration.maxWait || now == .max else { return }
            started = true
            expected = first
        }
        while true {
            while let p = held.removeValue(forKey: expected) {
                deliver(p, out: &out)
                expected += 1
            }
            guard let next = held.keys.min(), let p = held[next] else { return }
            let waited = now == .max || now >= p.arrival &+ configuration.maxWait
            guard waited || held.count > configuration.maxHeldPackets else { return }
            stats.lost += Int(next - expected)
            hasGaps = true
            lostSinceLastFrame = true
            depacketizer.lose()
            if !configuration.isAudio { enterWaitingForKeyframe(now: now == .max ? p.arrival : now, out: &out) }
            expected = next
        }
    }

    private mutating func deliver(_ p: Held, out: inout [JitterBufferEvent]) {
        lastReleaseArrival = p.arrival
        guard !p.payload.isEmpty else { return }  // padding-only packet (bandwidth probing): holds a sequence number, no media
        let frames: [DepacketizedFrame]
        do {
            frames = try p.payload.withUnsafeBytes { (b) throws(DepacketizeError) in
                try depacketizer.push(payload: b, timestamp: p.timestamp, marker: p.marker)
            }
        } catch {
            stats.malformed += 1
            hasGaps = true
            lostSinceLastFrame = true
            if !configuration.isAudio { enterWaitingForKeyframe(now: p.arrival, out: &out) }
            return
        }
        for f in frames { emit(f, arrival: p.arrival, out: &out) }
    }

    private mutating func unwrap(_ ts: UInt32) -> Int64 {
        if !haveTimestamp {
            haveTimestamp = true
            lastTimestamp = ts
            lastExtTimestamp = Int64(ts)
            if let base = rebaseTo { timestampOffset = base - Int64(ts); rebaseTo = nil }
            return Int64(ts) + timestampOffset
        }
        let ext = lastExtTimestamp + Int64(Int32(bitPattern: ts &- lastTimestamp))
        if ext > lastExtTimestamp { lastTimestamp = ts; lastExtTimestamp = ext }
        return ext + timestampOffset
    }

    private mutating func emit(_ f: DepacketizedFrame, arrival: UInt64, out: inout [JitterBufferEvent]) {
        var ts = unwrap(f.rtpTimestamp)
        // A timestamp jump that arrival times contradict (sender bug, encoder
        // restart on the same SSRC) would insert hours of silence or freeze
        // video: keep the timeline on the arrival clock instead.
        if let lastArrival = lastFrameArrival, arrival > lastArrival {
            let elapsed = Int64((arrival - lastArrival) / 1000) * Int64(configuration.clockRate) / 1_000_000
            let expected = lastFrameTimestamp + elapsed
            let slack = Int64(configuration.clockRate) * Int64(configuration.maxTimestampJumpSeconds)
            if ts > expected + slack || ts < lastFrameTimestamp - slack {
                timestampOffset += expected - ts
                ts = expected
                stats.resyncs += 1
            }
        }
        lastFrameTimestamp = ts
        lastFrameArrival = arrival
        if configuration.isAudio {
            let samples = Int64(OpusPacket.sampleCount(f.data) ?? 0)
            let duration = samples * Int64(configuration.clockRate) / 48_000
            if let next = nextAudioTimestamp, ts > next {
                out.append(.gap(ticks: ts - next, lost: lostSinceLastFrame))
                if lostSinceLastFrame { hasGaps = true }
            }
            nextAudioTimestamp = max(nextAudioTimestamp ?? ts, ts + duration)
            lostSinceLastFrame = false
            timelineEnd = max(timelineEnd, ts + duration)
            out.append(.frame(JitterFrame(data: f.data, timestamp: ts, durationTicks: duration, keyframe: true, arrival: arrival, rtpTimestamp: f.rtpTimestamp)))
            return
        }
        if waitingForKeyframe {
            guard f.keyframe else {
                stats.framesDroppedWaitingForKeyframe += 1
                requestKeyframe(now: arrival, out: &out)
                return
            }
            waitingForKeyframe = false
        }
        timelineEnd = max(timelineEnd, ts)
        out.append(.frame(JitterFrame(data: f.data, timestamp: ts, durationTicks: 0, keyframe: f.keyframe,
                                      width: f.width, height: f.height, arrival: arrival, rtpTimestamp: f.rtpTimestamp)))
    }

    private mutating func enterWaitingForKeyframe(now: UInt64, out: inout [JitterBufferEvent]) {
        waitingForKeyframe = true
        requestKeyframe(now: now, out: &out)
    }

    private mutating func requestKeyframe(now: UInt64, out: inout [JitterBufferEvent]) {
        if let last = lastKeyframeRequest, now < last &+ configuration.keyframeRequestInterval { return }
        lastKeyframeRequest = now
        stats.keyframeRequests += 1
        out.append(.requestKeyframe)
    }
}

/// Signed 16-bit sequence distance (RFC 1982), local so the type stays pure.
enum SerialDistance {
    static func of(_ a: UInt16, _ b: UInt16) -> Int { Int(Int16(bitPattern: a &- b)) }
}
