/// Wrap-around order of sequence numbers and timestamps ("serial number
/// arithmetic", RFC 1982; the comparisons of RFC 3550 Appendix A.1).
///
/// RTP sequence numbers (16 bits) and timestamps (32 bits) wrap, so `<` is
/// wrong near the wrap; `a` is newer than `b` when `a − b` (mod 2^n) is
/// non-zero and below 2^(n−1).
public enum SerialNumber {
    @inlinable @inline(__always)
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        let d = a &- b
        return d != 0 && d < 0x8000
    }

    @inlinable @inline(__always)
    public static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        let d = a &- b
        return d != 0 && d < 0x8000_0000
    }

    /// Signed distance `a − b` for 16-bit sequence numbers, in −32768…32767.
    @inlinable @inline(__always)
    public static func distance(_ a: UInt16, _ b: UInt16) -> Int {
        Int(Int16(bitPattern: a &- b))
    }
}
