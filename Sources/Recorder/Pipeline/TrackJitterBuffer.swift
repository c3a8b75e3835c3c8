// One jitter buffer per track, whatever its codec: an enum over the
// concrete generic buffers so the recording can keep them in one array.

/// A track's jitter buffer with the depacketizer its codec needs.
enum TrackJitterBuffer {
    case opus(JitterBuffer<OpusDepacketizer>)
    case vp8(JitterBuffer<VP8Depacketizer>)
    case vp9(JitterBuffer<VP9Depacketizer>)
    case h264(JitterBuffer<H264Depacketizer>)
    /// Held only while a buffer is taken out to be mutated, so it stays uniquely referenced (no copy-on-write).
    case moving

    init(codec: WebMTrack.Codec, clockRate: UInt32, maxWait: UInt64, keyframeRequestInterval: UInt64) {
        var c = JitterBuffer<OpusDepacketizer>.Configuration(isAudio: codec == .opus, clockRate: clockRate)
        c.maxWait = maxWait
        c.keyframeRequestInterval = keyframeRequestInterval
        switch codec {
        case .opus: self = .opus(JitterBuffer(c, depacketizer: OpusDepacketizer()))
        case .vp8: self = .vp8(JitterBuffer(.init(c), depacketizer: VP8Depacketizer()))
        case .vp9: self = .vp9(JitterBuffer(.init(c), depacketizer: VP9Depacketizer()))
        case .h264: self = .h264(JitterBuffer(.init(c), depacketizer: H264Depacketizer()))
        }
    }

    mutating func insert(ssrc: UInt32, sequence: UInt16, timestamp: UInt32, marker: Bool,
                         payload: UnsafeRawBufferPointer, arrival: UInt64) -> [JitterBufferEvent] {
        switch self {
        case .opus(var j): self = .moving; defer { self = .opus(j) }; return j.insert(ssrc: ssrc, sequence: sequence, timestamp: timestamp, marker: marker, payload: payload, arrival: arrival)
        case .vp8(var j): self = .moving; defer { self = .vp8(j) }; return j.insert(ssrc: ssrc, sequence: sequence, timestamp: timestamp, marker: marker, payload: payload, arrival: arrival)
        case .vp9(var j): self = .moving; defer { self = .vp9(j) }; return j.insert(ssrc: ssrc, sequence: sequence, timestamp: timestamp, marker: marker, payload: payload, arrival: arrival)
        case .h264(var j): self = .moving; defer { self = .h264(j) }; return j.insert(ssrc: ssrc, sequence: sequence, timestamp: timestamp, marker: marker, payload: payload, arrival: arrival)
        case .moving: return []
        }
    }

    mutating func poll(now: UInt64) -> [JitterBufferEvent] {
        switch self {
        case .opus(var j): self = .moving; defer { self = .opus(j) }; return j.poll(now: now)
        case .vp8(var j): self = .moving; defer { self = .vp8(j) }; return j.poll(now: now)
        case .vp9(var j): self = .moving; defer { self = .vp9(j) }; return j.poll(now: now)
        case .h264(var j): self = .moving; defer { self = .h264(j) }; return j.poll(now: now)
        case .moving: return []
        }
    }

    mutating func drain() -> [JitterBufferEvent] {
        switch self {
        case .opus(var j): self = .moving; defer { self = .opus(j) }; return j.drain()
        case .vp8(var j): self = .moving; defer { self = .vp8(j) }; return j.drain()
        case .vp9(var j): self = .moving; defer { self = .vp9(j) }; return j.drain()
        case .h264(var j): self = .moving; defer { self = .h264(j) }; return j.drain()
        case .moving: return []
        }
    }

    mutating func noteDropped(count: Int) {
        switch self {
        case .opus(var j): self = .moving; j.noteDropped(count: count); self = .opus(j)
        case .vp8(var j): self = .moving; j.noteDropped(count: count); self = .vp8(j)
        case .vp9(var j): self = .moving; j.noteDropped(count: count); self = .vp9(j)
        case .h264(var j): self = .moving; j.noteDropped(count: count); self = .h264(j)
        case .moving: break
        }
    }

    var hasGaps: Bool {
        switch self {
        case .opus(let j): j.hasGaps
        case .vp8(let j): j.hasGaps
        case .vp9(let j): j.hasGaps
        case .h264(let j): j.hasGaps
        case .moving: false
        }
    }

    var stats: JitterBufferStats {
        switch self {
        case .opus(let j): j.stats
        case .vp8(let j): j.stats
        case .vp9(let j): j.stats
        case .h264(let j): j.stats
        case .moving: JitterBufferStats()
        }
    }

    /// The H.264 parameter sets seen so far (nil for other codecs).
    var h264ParameterSets: (sps: [UInt8], pps: [UInt8])? {
        guard case .h264(let j) = self, let sps = j.depacketizer.sps, let pps = j.depacketizer.pps else { return nil }
        return (sps, pps)
    }
}

extension JitterBuffer.Configuration {
    /// The same settings for another depacketizer type.
    init<Other>(_ other: JitterBuffer<Other>.Configuration) {
        self.init(isAudio: other.isAudio, clockRate: other.clockRate)
        maxWait = other.maxWait
        keyframeRequestInterval = other.keyframeRequestInterval
        maxHeldPackets = other.maxHeldPackets
        maxDropout = other.maxDropout
        maxMisorder = other.maxMisorder
        maxTimestampJumpSeconds = other.maxTimestampJumpSeconds
    }
}
