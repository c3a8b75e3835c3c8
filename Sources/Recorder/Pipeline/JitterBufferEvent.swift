// What a track's jitter buffer hands to the file writer.

/// A frame on the track's continuous timeline.
public struct JitterFrame: Equatable, Sendable {
    public var data: [UInt8]
    /// Extended RTP timestamp (ticks of the clock rate): unwrapped past 2^32
    /// and kept continuous across SSRC changes and restarts.
    public var timestamp: Int64
    /// Audio: the Opus packet's duration in ticks; video: 0.
    public var durationTicks: Int64
    public var keyframe: Bool
    public var width: Int?
    public var height: Int?
    /// CLOCK_MONOTONIC arrival (ns) of the last packet released for this frame.
    public var arrival: UInt64
    /// The frame's RTP timestamp as sent (to place it with sender reports).
    public var rtpTimestamp: UInt32 = 0
}

/// Output of `JitterBuffer`, in order.
public enum JitterBufferEvent: Equatable, Sendable {
    case frame(JitterFrame)
    /// Audio only: `ticks` of the timeline carry no audio before the next
    /// frame; write concealment/silence. `lost` is false for Opus DTX
    /// (timestamps jumped with no packet missing) and true after a loss or resync.
    case gap(ticks: Int64, lost: Bool)
    /// Video only: a keyframe is needed (first frame, or after a loss); throttled.
    case requestKeyframe
}

/// Counters of one jitter buffer.
public struct JitterBufferStats: Equatable, Sendable {
    public var received = 0
    /// Packets declared lost after the wait (or pushed out by the held-packet limit).
    public var lost = 0
    public var duplicates = 0
    /// Packets that arrived after their place had been given up.
    public var late = 0
    /// Payloads the depacketizer rejected.
    public var malformed = 0
    /// SSRC changes and sequence restarts.
    public var resyncs = 0
    /// Video frames dropped while waiting for a keyframe.
    public var framesDroppedWaitingForKeyframe = 0
    public var keyframeRequests = 0
}
