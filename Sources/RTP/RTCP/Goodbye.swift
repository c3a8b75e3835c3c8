/// Goodbye (RFC 3550 §6.6, PT 203): the listed sources stop sending.
///
/// The SFU sends it to viewers when a publisher unpublishes (issue 3: "ends
/// the viewers' tracks") and reads publishers' BYEs as the end of a source.
///
/// ```
/// |V=2|P|    SC   |   PT=BYE=203  |             length            |
/// |                           SSRC/CSRC                           |  × SC
/// |     length    |               reason for leaving            ... (optional)
/// ```
public struct Goodbye: Hashable, Sendable, RTCPSerializable {
    public var ssrcs: [UInt32]
    public var reason: [UInt8]?

    public init(ssrcs: [UInt32], reason: [UInt8]? = nil) {
        self.ssrcs = ssrcs
        self.reason = reason
    }

    public init(_ view: GoodbyeView) {
        ssrcs = (0..<view.ssrcCount).map { view.ssrc(at: $0) }
        reason = view.reason.map { Array($0) }
    }

    public var serializedLength: Int {
        4 + 4 * ssrcs.count + (reason.map { ($0.count + 1 + 3) & ~3 } ?? 0)
    }

    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard ssrcs.count <= 31 else { throw .tooManyItems(ssrcs.count) }
        if let reason, reason.count > 255 { throw .tooManyItems(reason.count) }
        let size = serializedLength
        let p = try reserve(buffer, size)
        writeRTCPHeader(p, count: UInt8(ssrcs.count), type: RTCPPacketType.goodbye, size: size)
        for (i, s) in ssrcs.enumerated() { store32(p, 4 + 4 * i, s) }
        if let reason {
            var o = 4 + 4 * ssrcs.count
            store8(p, o, UInt8(reason.count)); o += 1
            reason.withUnsafeBytes { if $0.count > 0 { (p + o).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            o += reason.count
            (p + o).initializeMemory(as: UInt8.self, repeating: 0, count: size - o)
        }
        return size
    }
}

/// A validated BYE packet in place (see `Goodbye`).
public struct GoodbyeView {
    public let packet: RTCPPacketView

    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        let n = 4 * Int(packet.countOrFormat)
        guard packet.bodyLength >= n else {
            throw .tooShort(packetType: packet.packetType, format: packet.countOrFormat, length: packet.length)
        }
        if packet.bodyLength > n {
            let reasonLength = Int(load8(packet.pointer, 4 + n))
            guard n + 1 + reasonLength <= packet.bodyLength else { throw .byeReasonTruncated }
        }
        self.packet = packet
    }

    @inlinable public var ssrcCount: Int { Int(packet.countOrFormat) }
    @inlinable public func ssrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < ssrcCount, "SSRC index out of range")
        return load32(packet.pointer, 4 + 4 * index)
    }
    /// The reason text, in place, if present.
    @inlinable public var reason: UnsafeRawBufferPointer? {
        let n = 4 * ssrcCount
        guard packet.bodyLength > n else { return nil }
        return UnsafeRawBufferPointer(start: packet.pointer + 4 + n + 1, count: Int(load8(packet.pointer, 4 + n)))
    }
}
