/// A non-owning, validated view of one RTP packet (RFC 3550 §5.1) in memory
/// that belongs to someone else — normally a slot of the media worker's
/// preallocated packet pool.
///
/// It exists so that the forwarding path can read and rewrite a packet's
/// header in place, with plain big-endian loads and stores and without ever
/// copying the packet or allocating. Validation happens once, in
/// `init(validating:length:)`; afterwards the accessors do no bounds checks
/// beyond what the validated offsets guarantee.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers  (CC × 4)   |
/// |  profile (0xBEDE / 0x100x)    |     length (32-bit words)     |  if X
/// |                      header extension ...                     |
/// |                          payload ...                          |
/// |               ... padding               | padding count       |  if P
/// ```
///
/// Thread confinement: the view is a raw pointer into memory owned by one
/// media worker; it is deliberately not `Sendable` and must not outlive the
/// slot it points into (the worker reuses slots after sending).
@frozen
public struct RTPPacketView {
    /// First byte of the packet.
    public let pointer: UnsafeMutableRawPointer
    /// Bytes of the packet, padding included (shrinks in `removePadding()`).
    @inlinable public var length: Int { @inline(__always) get { _length } }
    @usableFromInline var _length: Int
    /// Offset of the first payload byte (after CSRCs and the extension).
    public let payloadOffset: Int
    /// Offset of the header extension's 4-byte profile/length word, or 0.
    public let extensionOffset: Int
    /// Bytes of padding at the end, the count byte included (0 without P).
    @inlinable public var paddingLength: Int { @inline(__always) get { _paddingLength } }
    @usableFromInline var _paddingLength: Int

    /// Validates the packet at `pointer` (RFC 3550 §5.1, A.1): version 2,
    /// at least 12 bytes, CSRC list, header extension and padding all
    /// consistent with `length`.
    @inlinable
    public init(validating pointer: UnsafeMutableRawPointer, length: Int) throws(RTPPacketError) {
        guard length >= 12 else { throw .tooShort(length: length) }
        let b0 = load8(pointer, 0)
        guard b0 >> 6 == 2 else { throw .badVersion(b0 >> 6) }
        let cc = Int(b0 & 0x0F)
        var offset = 12 + 4 * cc
        guard offset <= length else { throw .csrcTruncated(csrcCount: cc, length: length) }
        var ext = 0
        if b0 & 0x10 != 0 {
            guard offset + 4 <= length else { throw .extensionHeaderTruncated }
            let words = Int(load16(pointer, offset + 2))
            guard offset + 4 + 4 * words <= length else { throw .extensionTruncated(words: words) }
            ext = offset
            offset += 4 + 4 * words
        }
        var padding = 0
        if b0 & 0x20 != 0 {
            padding = Int(load8(pointer, length - 1))
            guard padding >= 1, padding <= length - offset else { throw .badPadding(count: padding) }
        }
        self.pointer = pointer
        self._length = length
        self.payloadOffset = offset
        self.extensionOffset = ext
        self._paddingLength = padding
    }

    /// The same packet copied byte for byte to `pointer` (e.g. into a send
    /// slot): the validated offsets carry over, so the copy is not parsed again.
    @inlinable @inline(__always)
    public func relocated(to pointer: UnsafeMutableRawPointer) -> RTPPacketView {
        RTPPacketView(pointer: pointer, length: _length, payloadOffset: payloadOffset,
                      extensionOffset: extensionOffset, paddingLength: _paddingLength)
    }

    @inlinable @inline(__always)
    init(pointer: UnsafeMutableRawPointer, length: Int, payloadOffset: Int, extensionOffset: Int, paddingLength: Int) {
        self.pointer = pointer
        self._length = length
        self.payloadOffset = payloadOffset
        self.extensionOffset = extensionOffset
        self._paddingLength = paddingLength
    }

    /// Multiplexed RTP and RTCP on one port (RFC 5761 §4): a second byte of
    /// 192…223 (RTCP packet types 64–95 with the marker bit) means RTCP.
    @inlinable @inline(__always)
    public static func looksLikeRTCP(_ pointer: UnsafeRawPointer, length: Int) -> Bool {
        guard length >= 2 else { return false }
        let pt = load8(pointer, 1)
        return pt >= 192 && pt <= 223
    }

    // MARK: Fixed header (RFC 3550 §5.1)

    @inlinable public var version: UInt8 { @inline(__always) get { load8(pointer, 0) >> 6 } }
    @inlinable public var hasPadding: Bool { @inline(__always) get { load8(pointer, 0) & 0x20 != 0 } }
    @inlinable public var hasExtension: Bool { @inline(__always) get { load8(pointer, 0) & 0x10 != 0 } }
    @inlinable public var csrcCount: Int { @inline(__always) get { Int(load8(pointer, 0) & 0x0F) } }

    @inlinable public var marker: Bool {
        @inline(__always) get { load8(pointer, 1) & 0x80 != 0 }
        @inline(__always) nonmutating set {
            let b = load8(pointer, 1)
            store8(pointer, 1, newValue ? b | 0x80 : b & 0x7F)
        }
    }

    /// 7-bit payload type; setting keeps the marker bit.
    @inlinable public var payloadType: UInt8 {
        @inline(__always) get { load8(pointer, 1) & 0x7F }
        @inline(__always) nonmutating set {
            store8(pointer, 1, (load8(pointer, 1) & 0x80) | (newValue & 0x7F))
        }
    }

    @inlinable public var sequenceNumber: UInt16 {
        @inline(__always) get { load16(pointer, 2) }
        @inline(__always) nonmutating set { store16(pointer, 2, newValue) }
    }

    @inlinable public var timestamp: UInt32 {
        @inline(__always) get { load32(pointer, 4) }
        @inline(__always) nonmutating set { store32(pointer, 4, newValue) }
    }

    @inlinable public var ssrc: UInt32 {
        @inline(__always) get { load32(pointer, 8) }
        @inline(__always) nonmutating set { store32(pointer, 8, newValue) }
    }

    /// CSRC number `index` (0 ..< csrcCount).
    @inlinable @inline(__always)
    public func csrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < csrcCount, "CSRC index out of range")
        return load32(pointer, 12 + 4 * index)
    }

    @inlinable @inline(__always)
    public func setCSRC(_ value: UInt32, at index: Int) {
        precondition(index >= 0 && index < csrcCount, "CSRC index out of range")
        store32(pointer, 12 + 4 * index, value)
    }

    // MARK: Payload and padding (RFC 3550 §5.1 "P")

    /// Payload bytes, padding excluded.
    @inlinable public var payloadLength: Int {
        @inline(__always) get { length - payloadOffset - paddingLength }
    }

    /// The payload, padding excluded (points into the packet).
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        @inline(__always) get { UnsafeMutableRawBufferPointer(start: pointer + payloadOffset, count: payloadLength) }
    }

    /// Strips the padding: clears P and shortens `length`. Returns the new
    /// length, which the caller must use when sending the packet.
    @inlinable @discardableResult
    public mutating func removePadding() -> Int {
        guard paddingLength > 0 else { return length }
        store8(pointer, 0, load8(pointer, 0) & ~0x20)
        _length -= _paddingLength
        _paddingLength = 0
        return _length
    }

    // MARK: Header extension (RFC 3550 §5.3.1, RFC 8285)

    /// The 16-bit "defined by profile" field, or nil without X.
    @inlinable public var extensionProfile: UInt16? {
        extensionOffset == 0 ? nil : load16(pointer, extensionOffset)
    }

    /// Which RFC 8285 form the extension block uses.
    @inlinable public var extensionForm: HeaderExtensionForm {
        guard let profile = extensionProfile else { return .none }
        return HeaderExtensionForm(profile: profile)
    }

    /// The extension elements' bytes (after the 4-byte profile/length word).
    @inlinable public var extensionBlock: UnsafeMutableRawBufferPointer {
        guard extensionOffset != 0 else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        return UnsafeMutableRawBufferPointer(start: pointer + extensionOffset + 4,
                                             count: 4 * Int(load16(pointer, extensionOffset + 2)))
    }

    /// Iterates the extension elements without allocating.
    @inlinable public var extensions: HeaderExtensionIterator {
        HeaderExtensionIterator(block: extensionBlock, form: extensionForm)
    }

    /// The data of the element with local identifier `id`, in place, or nil
    /// when absent (writes through it change the packet).
    @inlinable
    public func extensionData(id: UInt8) -> UnsafeMutableRawBufferPointer? {
        guard id != 0 else { return nil }
        var it = extensions
        while let element = it.next() {
            if element.id == id { return element.data }
        }
        return nil
    }
}
