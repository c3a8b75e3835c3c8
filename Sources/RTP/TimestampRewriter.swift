/// Keeps one viewer's outgoing RTP timestamps continuous when the source
/// behind it changes (a new SSRC after a publisher restart or republish, a
/// simulcast layer switch).
///
/// RTP timestamps (RFC 3550 §5.1) start at a random value per source, so a
/// switch without rewriting makes the viewer's jitter buffer see time jump
/// by hours, and its playout stalls or races. `output = input + offset`
/// (mod 2^32), where the offset is re-derived at each `sync`:
/// - from wall-clock time: the new source's first packet gets the last
///   output plus the time elapsed since it was sent, in clock ticks — what
///   the viewer would have seen had the stream simply continued;
/// - or, better, from both sources' sender reports (RFC 3550 §6.4.1) when
///   the two sources are live at once (simulcast): the new packet's capture
///   time (via the new source's NTP↔RTP pair) is expressed in the previous
///   source's timeline, so the switch is exact and audio/video sync is kept.
///
/// Output never goes backwards across a sync (the jitter buffer would treat
/// it as old): a computed value not newer than the last output is replaced
/// by the last output plus one tick. Times are microseconds of a monotonic
/// clock supplied by the caller. Pure value, no allocation, `Sendable`.
public struct TimestampRewriter: Sendable {
    /// How the last `sync` placed the new source.
    public enum SyncMethod: Equatable, Sendable {
        /// First source: output starts at `initialOutput`.
        case initial
        /// Elapsed wall-clock time × clock rate.
        case elapsedTime
        /// Both sources' sender reports.
        case senderReports
    }

    public let clockRate: UInt32
    @usableFromInline var offset: UInt32
    @usableFromInline var initialOutput: UInt32
    @usableFromInline var started = false
    @usableFromInline var needsSync = true
    /// The newest output timestamp and when (µs, monotonic) it was produced.
    @inlinable public var lastOutput: UInt32 { _lastOutput }
    @inlinable public var lastOutputTime: Int64 { _lastOutputTime }
    public private(set) var lastSyncMethod: SyncMethod = .initial
    @usableFromInline var _lastOutput: UInt32 = 0
    @usableFromInline var _lastOutputTime: Int64 = 0

    /// Largest accepted difference between the sender-report placement and
    /// the elapsed-time estimate before the reports are distrusted (µs).
    public var maxReportDisagreement: Int64 = 5_000_000

    public init(clockRate: UInt32, initialOutput: UInt32 = 0) {
        precondition(clockRate > 0, "clock rate must be positive")
        self.clockRate = clockRate
        self.initialOutput = initialOutput
        offset = 0
    }

    /// The rewritten timestamp for an input of the current source, without
    /// recording it (for translating a sender report's RTP time).
    @inlinable @inline(__always)
    public func translate(_ input: UInt32) -> UInt32 { input &+ offset }

    /// Marks a source change: the next `output(_:now:)` re-derives the
    /// offset from elapsed time (or call one of the `sync` methods directly).
    @inlinable public mutating func sourceChanged() { needsSync = true }

    /// The new source's packet `nextInput` arrives at `now`: place it after
    /// the last output by the elapsed time.
    public mutating func sync(nextInput: UInt32, now: Int64) {
        needsSync = false
        guard started else {
            started = true
            offset = initialOutput &- nextInput
            _lastOutput = initialOutput &- 1
            _lastOutputTime = now
            lastSyncMethod = .initial
            return
        }
        offset = elapsedPlacement(now: now) &- nextInput
        lastSyncMethod = .elapsedTime
    }

    /// The new source's packet `nextInput` arrives at `now`; both the new
    /// and the previous source have sent reports. Falls back to elapsed time
    /// when the reports disagree with it by more than
    /// `maxReportDisagreement` or would move output backwards.
    public mutating func sync(nextInput: UInt32, now: Int64,
                              newSource: RTPTimeMapping, previousSource: RTPTimeMapping) {
        guard started else { sync(nextInput: nextInput, now: now); return }
        needsSync = false
        let wall = newSource.ntp(forRTP: nextInput, clockRate: clockRate)
        let inPrevious = previousSource.rtp(at: wall, clockRate: clockRate)
        let placed = inPrevious &+ offset
        let estimate = elapsedPlacement(now: now)
        let disagreement = Int64(Int32(bitPattern: placed &- estimate)) * 1_000_000 / Int64(clockRate)
        if SerialNumber.isNewer(placed, than: lastOutput), abs(disagreement) <= maxReportDisagreement {
            offset = placed &- nextInput
            lastSyncMethod = .senderReports
        } else {
            offset = estimate &- nextInput
            lastSyncMethod = .elapsedTime
        }
    }

    /// Rewrites `input` (a packet of the current source forwarded at `now`).
    @inlinable @inline(__always)
    public mutating func output(_ input: UInt32, now: Int64) -> UInt32 {
        if needsSync { sync(nextInput: input, now: now) }
        let out = input &+ offset
        if SerialNumber.isNewer(out, than: lastOutput) {
            _lastOutput = out
            _lastOutputTime = now
        }
        return out
    }

    /// lastOutput + elapsed × rate, at least one tick later.
    @usableFromInline
    func elapsedPlacement(now: Int64) -> UInt32 {
        let elapsed = max(now &- lastOutputTime, 0)
        let ticks = rtpTicks(microseconds: elapsed, clockRate: clockRate)
        return lastOutput &+ UInt32(truncatingIfNeeded: max(ticks, 1))
    }
}
