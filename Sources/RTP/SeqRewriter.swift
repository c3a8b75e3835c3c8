/// Rewrites a publisher's sequence numbers (RTP seq, 16 bits; or the VP8/VP9
/// picture id, 15 bits) into one viewer's continuous output space.
///
/// It exists because a consumer's outgoing stream must look like one
/// unbroken RTP stream (RFC 3550 §5.1: seq increments by one per packet)
/// while its input is not: the source switches (simulcast layer, republish,
/// restart with a new SSRC), pauses, or has packets the SFU does not forward
/// (padding-only probes, everything before the first keyframe). Gaps in the
/// output make the viewer NACK packets that will never come and count loss
/// that did not happen.
///
/// The model follows mediasoup's `SeqManager` (learned from, not copied):
/// `output = input + offset` modulo 2^bits, where
/// - `sync(nextInput:)` on a new source makes that input follow the last
///   output without a hole, and rejects anything older than it (late packets
///   of the previous source, or of the new one from before the switch);
/// - `drop(_:)` records an input that will not be forwarded, so later inputs
///   shift down by one and the output has no hole; a reordered input older
///   than a drop still gets its original slot;
/// - `input(_:)` returns the output, or nil for an input that was dropped or
///   is too old to place (before the last sync, or more than half the
///   number space behind the newest input).
///
/// Comparisons are wrap-aware (RFC 3550 A.1 style, "serial number
/// arithmetic"): `a` is newer than `b` when `(a − b) mod 2^bits` is in
/// `1 ..< 2^(bits−1)`.
///
/// A dropped input older than the newest input seen cannot close its hole
/// (the outputs after it were already sent); it is ignored.
///
/// Drops are kept as at most 16 runs of consecutive inputs (a padding burst
/// is one run). When a 17th run is needed the oldest is forgotten and inputs
/// at or before it are rejected from then on, so the mapping never hands out
/// a wrong or duplicate number. Pure value, no allocation, `Sendable`.
public struct SeqRewriter: Sendable {
    /// 16 for RTP sequence numbers, 15 for picture ids (RFC 7741 §4.2 M=1).
    public let bitWidth: Int
    @usableFromInline let mask: UInt16
    @usableFromInline let half: Int
    @usableFromInline var offset: UInt16
    /// The newest input placed (or dropped); meaningless before the first.
    @inlinable public var maxInput: UInt16 { _maxInput }
    /// The newest output handed out (`initialOutput − 1` before the first).
    @inlinable public var maxOutput: UInt16 { _maxOutput }
    @usableFromInline var _maxInput: UInt16
    @usableFromInline var _maxOutput: UInt16
    /// Inputs with age (maxInput − input) < span are placeable.
    @usableFromInline var span: Int
    @usableFromInline var needsSync: Bool
    @usableFromInline var drops: DropRuns

    /// - Parameters:
    ///   - bitWidth: 1…16.
    ///   - initialOutput: the first output number (random for a new stream,
    ///     RFC 3550 §5.1).
    public init(bitWidth: Int = 16, initialOutput: UInt16 = 0) {
        precondition(bitWidth >= 1 && bitWidth <= 16, "bit width must be 1…16")
        self.bitWidth = bitWidth
        mask = UInt16(truncatingIfNeeded: (1 << bitWidth) - 1)
        half = 1 << (bitWidth - 1)
        offset = 0
        _maxInput = 0
        _maxOutput = (initialOutput &- 1) & mask
        span = 0
        needsSync = true
        drops = DropRuns()
    }

    /// RFC 3550 A.1-style wrap-aware order for 16-bit sequence numbers.
    @inlinable @inline(__always)
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        SerialNumber.isNewer(a, than: b)
    }

    /// Wrap-aware order in this rewriter's bit width.
    @inlinable @inline(__always)
    public func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        let d = Int((a &- b) & mask)
        return d != 0 && d < half
    }

    /// A new source starts: `nextInput` will be output as `maxOutput + 1`,
    /// and inputs older than it are rejected.
    @inlinable
    public mutating func sync(nextInput: UInt16) {
        let x = nextInput & mask
        offset = (_maxOutput &+ 1 &- x) & mask
        _maxInput = (x &- 1) & mask
        span = 0
        needsSync = false
        drops.removeAll()
    }

    /// Marks `input` as not forwarded, so that it leaves no hole. Only
    /// inputs newer than every input seen so far can be closed up; older
    /// ones are ignored. A drop before any input starts the stream.
    @inlinable
    public mutating func drop(_ input: UInt16) {
        let x = input & mask
        if needsSync { sync(nextInput: x) }
        let d = Int((x &- _maxInput) & mask)
        guard d != 0 && d < half else { return }
        advance(to: x, by: d)
        if let evictedEndAge = drops.append(x, mask: mask, maxInput: _maxInput) {
            span = min(span, evictedEndAge)
        }
        offset = (offset &- 1) & mask
    }

    /// The output number for `input`, or nil when it was dropped or is too
    /// old to place (see the type's documentation).
    @inlinable
    public mutating func input(_ input: UInt16) -> UInt16? {
        let x = input & mask
        if needsSync { sync(nextInput: x) }
        let d = Int((x &- _maxInput) & mask)
        if d != 0 && d < half {
            advance(to: x, by: d)
            let out = (x &+ offset) & mask
            _maxOutput = out
            return out
        }
        let age = Int((_maxInput &- x) & mask)
        guard age < span else { return nil }
        guard let newer = drops.countNewer(thanAge: age, mask: mask, maxInput: _maxInput) else { return nil }
        return (x &+ offset &+ UInt16(truncatingIfNeeded: newer)) & mask
    }

    @inlinable @inline(__always)
    mutating func advance(to x: UInt16, by d: Int) {
        _maxInput = x
        span = min(span + d, half)
        if !drops.isEmpty { drops.prune(mask: mask, maxInput: _maxInput, span: span) }
    }
}

/// Up to 16 runs of consecutive dropped inputs, oldest first (inputs are
/// only dropped when newer than everything seen, so runs arrive in order).
@usableFromInline
struct DropRuns: Sendable {
    @usableFromInline static let capacity = 16
    @usableFromInline var starts = InlineArray<16, UInt16>(repeating: 0)
    @usableFromInline var counts = InlineArray<16, UInt16>(repeating: 0)
    @usableFromInline var head = 0
    @usableFromInline var count = 0

    @usableFromInline init() {}

    @inlinable var isEmpty: Bool { count == 0 }

    @inlinable mutating func removeAll() { head = 0; count = 0 }

    @inlinable func index(_ i: Int) -> Int { (head + i) & (DropRuns.capacity - 1) }

    /// Age (relative to `maxInput`) of the newest element of run `i`.
    @inlinable func endAge(_ i: Int, mask: UInt16, maxInput: UInt16) -> Int {
        let j = index(i)
        let end = starts[j] &+ counts[j] &- 1
        return Int((maxInput &- end) & mask)
    }

    /// Appends dropped input `x` (== maxInput). Returns the end age of a run
    /// evicted to make room, if any.
    @inlinable mutating func append(_ x: UInt16, mask: UInt16, maxInput: UInt16) -> Int? {
        if count > 0 {
            let j = index(count - 1)
            if (starts[j] &+ counts[j]) & mask == x && counts[j] < UInt16.max {
                counts[j] += 1
                return nil
            }
        }
        var evicted: Int? = nil
        if count == DropRuns.capacity {
            evicted = endAge(0, mask: mask, maxInput: maxInput)
            head = index(1)
            count -= 1
        }
        let j = index(count)
        starts[j] = x
        counts[j] = 1
        count += 1
        return evicted
    }

    /// Forgets runs that lie entirely outside the placeable window.
    @inlinable mutating func prune(mask: UInt16, maxInput: UInt16, span: Int) {
        while count > 0 && endAge(0, mask: mask, maxInput: maxInput) >= span {
            head = index(1)
            count -= 1
        }
    }

    /// How many dropped inputs are newer than the input of age `age`, or nil
    /// when that input itself was dropped.
    @inlinable func countNewer(thanAge age: Int, mask: UInt16, maxInput: UInt16) -> Int? {
        var total = 0
        var i = count - 1
        while i >= 0 {
            let end = endAge(i, mask: mask, maxInput: maxInput)
            if age < end { break }
            let c = Int(counts[index(i)])
            if age <= end + c - 1 { return nil }
            total += c
            i -= 1
        }
        return total
    }
}
