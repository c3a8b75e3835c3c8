import RTP
import SDP

/// One viewer's copy of one producer track: the SSRC, payload types and
/// header-extension ids the viewer negotiated, and the sequence-number and
/// timestamp rewriters (the RTP module's `SeqRewriter`/`TimestampRewriter`)
/// that keep its stream continuous across source changes and left-out
/// packets.
final class Consumer {
    let transport: PeerTransport
    let kind: MediaKind
    let ssrc: UInt32
    /// Publisher payload type → viewer payload type (0xff: not negotiated).
    var payloadTypeMap = [UInt8](repeating: 0xff, count: 128)
    /// Publisher extension id → viewer extension id (0: remove the element).
    var extensionMap = ExtensionIDMap()
    /// Publisher payload type → the viewer's RTX payload type for it (0xff: no RTX).
    var rtxPayloadTypeMap = [UInt8](repeating: 0xff, count: 128)
    /// Our RTX SSRC toward this viewer (RFC 4588), when it negotiated RTX.
    var rtxSSRC: UInt32?
    var rtxSeq = UInt16.random(in: 0...UInt16.max)
    var waitingForKeyframe: Bool
    /// Re-asks for a keyframe while waiting for one.
    var keyframeAsks = KeyframeRequestThrottle(interval: RouterTiming.waitingConsumerAskInterval,
                                               forcedInterval: RouterTiming.waitingConsumerAskInterval)
    /// Whether anything was forwarded yet (sender reports wait for it).
    var started = false
    var sequenceNumbers = SeqRewriter(initialOutput: UInt16.random(in: 0...UInt16.max))
    var timestamps: TimestampRewriter
    /// The source sequence number behind each recent output one (NACKs name outputs).
    let sent = SentSequenceMap(capacity: RouterLimits.sentSequenceHistory)
    var lastSourceSSRC: UInt32?
    var packetsSent: UInt64 = 0
    var octetsSent: UInt64 = 0

    init(transport: PeerTransport, kind: MediaKind, ssrc: UInt32, clockRate: UInt32) {
        self.transport = transport
        self.kind = kind
        self.ssrc = ssrc
        self.waitingForKeyframe = kind == .video
        timestamps = TimestampRewriter(clockRate: max(clockRate, 1), initialOutput: UInt32.random(in: 0...UInt32.max))
    }

    /// A new source (first packet, or the publisher restarted with a new
    /// SSRC): its next packet follows the last output without a hole in
    /// sequence numbers, and after the elapsed time in timestamps.
    func follow(source ssrc: UInt32, nextSequenceNumber: UInt16) {
        sequenceNumbers.sync(nextInput: nextSequenceNumber)
        timestamps.sourceChanged()
        lastSourceSSRC = ssrc
    }
}

/// Which source sequence number each of a consumer's recent output sequence
/// numbers carried, so a viewer's NACK (in its own number space) finds the
/// packet in the track's cache even after drops and re-syncs. A ring indexed
/// by output number, allocated once per consumer.
final class SentSequenceMap {
    /// 1 << 32 (valid) | output << 16 | input; 0: empty.
    private let entries: UnsafeMutablePointer<UInt64>
    private let mask: Int

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    deinit { entries.deallocate() }

    @inline(__always)
    func record(output: UInt16, input: UInt16) {
        entries[Int(output) & mask] = 1 << 32 | UInt64(output) << 16 | UInt64(input)
    }

    /// The source sequence number sent as `output`, if still remembered.
    @inline(__always)
    func input(forOutput output: UInt16) -> UInt16? {
        let e = entries[Int(output) & mask]
        guard e >> 32 == 1, UInt16(truncatingIfNeeded: e >> 16) == output else { return nil }
        return UInt16(truncatingIfNeeded: e)
    }
}
