/// The router's one clock and its timing rules. Time is CLOCK_MONOTONIC
/// nanoseconds as `UInt64` (the `now` every worker call carries); the
/// modules it calls count in other units, so the conversions have names:
/// ICE takes a `Duration`, the RTP module microseconds (`Int64`).
enum MediaTime {
    static let millisecond: UInt64 = 1_000_000
    static let second: UInt64 = 1_000_000_000

    @inline(__always) static func microseconds(_ ns: UInt64) -> Int64 { Int64(truncatingIfNeeded: ns / 1000) }
    @inline(__always) static func duration(_ ns: UInt64) -> Duration { .nanoseconds(Int64(truncatingIfNeeded: ns)) }
}

/// The named constants of the forwarding core (docs/RTCP.md states the
/// behaviour they tune).
enum RouterTiming {
    /// A PLI to a publisher at most this often per track (viewers' requests de-duplicated).
    static let keyframeRequestInterval = 300 * MediaTime.millisecond
    /// A forced PLI (a new consumer or pipe needs a keyframe to start) at most this often.
    static let forcedKeyframeRequestInterval = 50 * MediaTime.millisecond
    /// A consumer still waiting for its first keyframe asks again this often.
    static let waitingConsumerAskInterval = 1 * MediaTime.second
    /// A new SSRC on a track takes over after the current one was silent this long.
    static let sourceTakeoverSilence = 1 * MediaTime.second
    /// Generic NACKs to publishers: how often the NACK generator is ticked.
    static let publisherNACKInterval = 20 * MediaTime.millisecond
    /// Sender reports to viewers, receiver reports and REMB to publishers.
    static let reportInterval = 500 * MediaTime.millisecond
}

/// Sizes of the forwarding core.
enum RouterLimits {
    /// ICE-validated addresses kept per transport (media is accepted from them only).
    static let validatedAddresses = 4
    /// How far back our outbound SRTP accepts a resend: twice what a track's
    /// NACK cache (1024 packets) can answer. Smaller is cheaper per protect.
    static let outboundReplayWindow = 2048
    /// Largest RTP packet cached for NACKs, and largest RTX answer built.
    static let cachedPacketSize = 1500
    /// Packets a video track keeps for NACKs (a power of two).
    static let cachedPackets = 1024
    /// Output → source sequence numbers a consumer remembers (answers NACKs; a power of two).
    static let sentSequenceHistory = 1024
}
