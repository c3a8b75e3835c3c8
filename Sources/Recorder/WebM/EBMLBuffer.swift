// EBML encoding (RFC 8794): element = ID | size (VINT) | data.
//
// A VINT of width w (1…8 bytes) starts with w−1 zero bits and a 1 marker bit,
// followed by 7w value bits (§4). A size whose value bits are all ones means
// "unknown size" (§6.2); the one-byte form 0xFF and the 8-byte form
// 0x01FFFFFFFFFFFFFF are the usual ones. Unsigned integers are big-endian in
// the fewest bytes (0 is written as zero bytes, §7.2); floats are IEEE 754
// binary64 (§7.3); strings are UTF-8 without terminator (§7.4, §7.5).

/// Builds EBML elements into a byte array. Master elements are written with
/// `master(_:_:)`, which encodes the children first so the size is known;
/// the writer uses it for small header elements and for whole clusters.
public struct EBMLBuffer {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// The largest size a VINT of 8 bytes can carry (all-ones is "unknown").
    public static let maxSize: UInt64 = (1 << 56) - 2

    /// Bytes an ID occupies (its marker bits are part of the value).
    public static func idLength(_ id: UInt32) -> Int {
        id > 0xFF_FFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1
    }

    /// Shortest VINT width for a size (the all-ones pattern of a width is reserved).
    public static func sizeLength(_ size: UInt64) -> Int {
        var w = 1
        while w < 8 && size >= (UInt64(1) << (7 * UInt64(w))) - 1 { w += 1 }
        return w
    }

    public mutating func id(_ id: UInt32) {
        let n = Self.idLength(id)
        for i in (0..<n).reversed() { bytes.append(UInt8(truncatingIfNeeded: id >> (8 * UInt32(i)))) }
    }

    /// A size as a VINT, in `width` bytes (default: the shortest).
    public mutating func size(_ size: UInt64, width: Int? = nil) {
        precondition(size <= Self.maxSize, "EBML size too large")
        let w = width ?? Self.sizeLength(size)
        precondition(w >= 1 && w <= 8 && size < (UInt64(1) << (7 * UInt64(w))) - 1, "size does not fit its VINT width")
        let marked = size | (UInt64(1) << (7 * UInt64(w)))
        for i in (0..<w).reversed() { bytes.append(UInt8(truncatingIfNeeded: marked >> (8 * UInt64(i)))) }
    }

    /// The 8-byte "unknown size" VINT (RFC 8794 §6.2).
    public mutating func unknownSize() {
        bytes.append(contentsOf: [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    public mutating func uint(_ id: UInt32, _ value: UInt64) {
        var n = 0
        while n < 8 && value >> (8 * UInt64(n)) != 0 { n += 1 }
        self.id(id)
        size(UInt64(n))
        for i in (0..<n).reversed() { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    public mutating func float(_ id: UInt32, _ value: Double) {
        self.id(id)
        size(8)
        let bits = value.bitPattern
        for i in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
    }

    public mutating func string(_ id: UInt32, _ value: String) {
        binary(id, Array(value.utf8))
    }

    public mutating func binary(_ id: UInt32, _ value: [UInt8]) {
        self.id(id)
        size(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A master element whose children `body` writes.
    public mutating func master(_ id: UInt32, _ body: (inout EBMLBuffer) -> Void) {
        var child = EBMLBuffer()
        body(&child)
        binary(id, child.bytes)
    }

    /// A Void element (RFC 8794 §11.3.1) occupying exactly `total` bytes (≥ 2).
    public mutating func void(total: Int) {
        precondition(total >= 2, "a Void element takes at least 2 bytes")
        // Size width 1 covers totals up to 128; wider ones use an 8-byte size.
        if total - 2 < 127 {
            id(MatroskaID.void)
            size(UInt64(total - 2), width: 1)
            bytes.append(contentsOf: repeatElement(0, count: total - 2))
        } else {
            id(MatroskaID.void)
            size(UInt64(total - 9), width: 8)
            bytes.append(contentsOf: repeatElement(0, count: total - 9))
        }
    }
}
