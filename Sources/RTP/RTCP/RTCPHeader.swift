/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611).
public enum RTCPPacketType {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let goodbye: UInt8 = 203
    public static let application: UInt8 = 204
    /// Transport layer feedback (RFC 4585 §6.2).
    public static let transportFeedback: UInt8 = 205
    /// Payload-specific feedback (RFC 4585 §6.3).
    public static let payloadFeedback: UInt8 = 206
    public static let extendedReport: UInt8 = 207
}

/// One RTCP packet of a compound datagram, its common header validated
/// (RFC 3550 §6.4.1): version 2, length within the datagram, padding
/// consistent.
///
/// ```
///  0                   1                   2                   3
/// |V=2|P| RC/FMT  |      PT       |   length (32-bit words − 1)   |
/// ```
///
/// A non-owning view into the datagram, confined to the worker thread that
/// owns the buffer; it must not outlive it.
public struct RTCPPacketView {
    public let pointer: UnsafeRawPointer
    /// Bytes of the whole packet, header and padding included.
    public let length: Int
    /// Bytes after the 4-byte header, padding excluded.
    public let bodyLength: Int

    /// Validates the packet starting at `pointer` with `available` bytes
    /// left in the datagram (the packet may be shorter).
    @inlinable
    public init(validating pointer: UnsafeRawPointer, available: Int) throws(RTCPError) {
        guard available >= 4 else { throw .truncatedHeader(remaining: available) }
        let b0 = load8(pointer, 0)
        guard b0 >> 6 == 2 else { throw .badVersion(b0 >> 6) }
        let size = (Int(load16(pointer, 2)) + 1) * 4
        guard size <= available else { throw .lengthExceedsBuffer(declared: size, available: available) }
        var padding = 0
        if b0 & 0x20 != 0 {
            padding = Int(load8(pointer, size - 1))
            guard padding >= 1, padding <= size - 4 else { throw .badPadding(count: padding) }
        }
        self.pointer = pointer
        self.length = size
        self.bodyLength = size - 4 - padding
    }

    @inlinable public var hasPadding: Bool { load8(pointer, 0) & 0x20 != 0 }
    /// RC (reports, sources, chunks) or FMT (feedback message type).
    @inlinable public var countOrFormat: UInt8 { load8(pointer, 0) & 0x1F }
    @inlinable public var packetType: UInt8 { load8(pointer, 1) }
    /// The body (after the header, padding excluded).
    @inlinable public var body: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer + 4, count: bodyLength)
    }
    /// The whole packet's bytes.
    @inlinable public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer, count: length)
    }
}

/// Writes a common header: V=2, P=0, `count` (RC/FMT), `type`, and the
/// length field for a packet of `size` bytes (a multiple of 4).
@usableFromInline @inline(__always)
func writeRTCPHeader(_ p: UnsafeMutableRawPointer, count: UInt8, type: UInt8, size: Int) {
    store8(p, 0, 0x80 | (count & 0x1F))
    store8(p, 1, type)
    store16(p, 2, UInt16(truncatingIfNeeded: size / 4 - 1))
}

/// Checks that `buffer` can take `size` bytes and returns its base address.
@usableFromInline @inline(__always)
func reserve(_ buffer: UnsafeMutableRawBufferPointer, _ size: Int) throws(RTCPError) -> UnsafeMutableRawPointer {
    guard size <= buffer.count, let p = buffer.baseAddress else {
        throw .bufferTooSmall(needed: size, available: buffer.count)
    }
    return p
}
