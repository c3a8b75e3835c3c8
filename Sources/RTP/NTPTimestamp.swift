/// A 64-bit NTP timestamp (RFC 5905 §6; RFC 3550 §4): seconds since
/// 1900-01-01 in the upper 32 bits, a binary fraction in the lower 32.
///
/// Sender reports carry it to tie an RTP timestamp to wall-clock time (lip
/// sync, RFC 3550 §6.4.1), and receivers echo its middle 32 bits as LSR so
/// that the sender can measure the round-trip time.
public struct NTPTimestamp: Hashable, Comparable, Sendable {
    public var raw: UInt64

    /// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
    public static let unixEpochOffset: UInt64 = 2_208_988_800

    @inlinable public init(raw: UInt64) { self.raw = raw }

    @inlinable public init(seconds: UInt32, fraction: UInt32) {
        raw = UInt64(seconds) << 32 | UInt64(fraction)
    }

    /// From microseconds since the Unix epoch (e.g. `clock_gettime(CLOCK_REALTIME)`).
    @inlinable public init(unixMicroseconds us: Int64) {
        let u = UInt64(max(us, 0))
        let seconds = u / 1_000_000 + NTPTimestamp.unixEpochOffset
        let fraction = ((u % 1_000_000) << 32) / 1_000_000
        raw = seconds << 32 | fraction
    }

    @inlinable public var seconds: UInt32 { UInt32(truncatingIfNeeded: raw >> 32) }
    @inlinable public var fraction: UInt32 { UInt32(truncatingIfNeeded: raw) }

    /// The middle 32 bits (16.16 fixed point), as echoed in LSR (RFC 3550 §6.4.1).
    @inlinable public var middle32: UInt32 { UInt32(truncatingIfNeeded: raw >> 16) }

    /// Microseconds since the Unix epoch.
    @inlinable public var unixMicroseconds: Int64 {
        let s = Int64(raw >> 32) - Int64(NTPTimestamp.unixEpochOffset)
        let f = Int64((UInt64(fraction) * 1_000_000) >> 32)
        return s * 1_000_000 + f
    }

    /// `self − other` in microseconds (exact to a microsecond, either sign).
    @inlinable public func microseconds(since other: NTPTimestamp) -> Int64 {
        let d = Int64(bitPattern: raw &- other.raw)   // 32.32 fixed point
        // Split to keep the multiplication in range.
        let whole = d >> 32
        let frac = Int64((UInt64(d & 0xFFFF_FFFF) * 1_000_000) >> 32)
        return whole * 1_000_000 + frac
    }

    /// `self` advanced by `us` microseconds (≥ 0), e.g. a sender report's
    /// time carried forward to now.
    @inlinable public func adding(microseconds us: UInt64) -> NTPTimestamp {
        NTPTimestamp(raw: raw &+ (us / 1_000_000) << 32 &+ ((us % 1_000_000) << 32) / 1_000_000)
    }

    @inlinable public static func < (a: NTPTimestamp, b: NTPTimestamp) -> Bool { a.raw < b.raw }
}

/// One sender report's pairing of wall-clock and RTP time for a source
/// (RFC 3550 §6.4.1): "the RTP timestamp `rtpTimestamp` was sampled at `ntp`".
public struct RTPTimeMapping: Hashable, Sendable {
    public var ntp: NTPTimestamp
    public var rtpTimestamp: UInt32

    @inlinable public init(ntp: NTPTimestamp, rtpTimestamp: UInt32) {
        self.ntp = ntp
        self.rtpTimestamp = rtpTimestamp
    }

    /// The NTP time at which RTP timestamp `ts` was sampled, per this mapping
    /// (`ts` within ±2^31 ticks of the mapping's).
    @inlinable public func ntp(forRTP ts: UInt32, clockRate: UInt32) -> NTPTimestamp {
        let ticks = Int64(Int32(bitPattern: ts &- rtpTimestamp))
        let rate = Int64(clockRate)
        let scaled = ticks << 32                                 // fits: |ticks| < 2^31
        let delta = (scaled + (scaled >= 0 ? rate / 2 : -rate / 2)) / rate   // 32.32 seconds, rounded
        return NTPTimestamp(raw: ntp.raw &+ UInt64(bitPattern: delta))
    }

    /// The RTP timestamp sampled at `time`, per this mapping.
    @inlinable public func rtp(at time: NTPTimestamp, clockRate: UInt32) -> UInt32 {
        let d = Int64(bitPattern: time.raw &- ntp.raw)           // 32.32 seconds
        let rate = Int64(clockRate)
        // Wrapping arithmetic: only the low 32 bits of the tick count matter.
        let whole = (d >> 32) &* rate
        let frac = Int64(bitPattern: (UInt64(d & 0xFFFF_FFFF) &* UInt64(clockRate) &+ (1 << 31)) >> 32)   // rounded
        return rtpTimestamp &+ UInt32(truncatingIfNeeded: whole &+ frac)
    }
}

/// `us` microseconds in ticks of a `clockRate` Hz RTP clock, with wrapping
/// arithmetic (only the low 32 bits ever matter to an RTP timestamp), so
/// that any clock value — monotonic or wall-clock microseconds — is safe.
@inlinable @inline(__always)
func rtpTicks(microseconds us: Int64, clockRate: UInt32) -> Int64 {
    let rate = Int64(clockRate)
    let seconds = us / 1_000_000, rest = us % 1_000_000
    return (seconds &* rate) &+ (rest &* rate) / 1_000_000
}
