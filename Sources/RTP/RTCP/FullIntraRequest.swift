/// Full Intra Request (RFC 5104 §4.3.1, PSFB FMT 4): a keyframe request with
/// a per-target command sequence number, so that a retransmitted request is
/// not acted on twice.
///
/// Used like PLI: read from viewers, sent to publishers that negotiated
/// `ccm fir` (the sequence number must increase per new request, §4.3.1.1).
///
/// ```
/// |V=2|P| FMT=4   |   PT=206      |          length               |
/// |                  SSRC of packet sender                        |
/// |             SSRC of media source (unused, 0)                  |
/// |                              SSRC                             |  FCI,
/// | Seq nr.       |    Reserved                                   |  × N
/// ```
public struct FullIntraRequest: Hashable, Sendable, RTCPSerializable {
    public static let format: UInt8 = 4

    public struct Entry: Hashable, Sendable {
        public var ssrc: UInt32
        public var sequenceNumber: UInt8
        @inlinable public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    public init(_ view: FullIntraRequestView) {
        senderSSRC = view.senderSSRC
        mediaSSRC = view.mediaSSRC
        entries = (0..<view.entryCount).map { view.entry(at: $0) }
    }

    public var serializedLength: Int { 12 + 8 * entries.count }

    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard !entries.isEmpty else { throw .emptyFeedback(packetType: RTCPPacketType.payloadFeedback, format: Self.format) }
        guard serializedLength / 4 - 1 <= 0xFFFF else { throw .tooManyItems(entries.count) }
        let size = serializedLength
        let p = try reserve(buffer, size)
        writeFeedbackHeader(p, format: Self.format, type: RTCPPacketType.payloadFeedback, size: size,
                            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC)
        for (i, e) in entries.enumerated() {
            store32(p, 12 + 8 * i, e.ssrc)
            store32(p, 16 + 8 * i, UInt32(e.sequenceNumber) << 24)
        }
        return size
    }

    /// One-entry FIR without allocating (the SFU's request to a publisher).
    @inlinable
    public static func serialize(senderSSRC: UInt32, target: UInt32, sequenceNumber: UInt8,
                                 into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        let p = try reserve(buffer, 20)
        writeFeedbackHeader(p, format: format, type: RTCPPacketType.payloadFeedback, size: 20,
                            senderSSRC: senderSSRC, mediaSSRC: 0)
        store32(p, 12, target)
        store32(p, 16, UInt32(sequenceNumber) << 24)
        return 20
    }
}

/// A validated FIR in place (see `FullIntraRequest`).
public struct FullIntraRequestView {
    public let packet: RTCPPacketView

    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        try checkFeedbackHeader(packet)
        guard packet.bodyLength >= 16 else {
            throw .emptyFeedback(packetType: packet.packetType, format: packet.countOrFormat)
        }
        self.packet = packet
    }

    @inlinable public var senderSSRC: UInt32 { load32(packet.pointer, 4) }
    @inlinable public var mediaSSRC: UInt32 { load32(packet.pointer, 8) }
    @inlinable public var entryCount: Int { (packet.bodyLength - 8) / 8 }
    @inlinable public func entry(at index: Int) -> FullIntraRequest.Entry {
        precondition(index >= 0 && index < entryCount, "FIR entry index out of range")
        return FullIntraRequest.Entry(ssrc: load32(packet.pointer, 12 + 8 * index),
                                      sequenceNumber: load8(packet.pointer, 16 + 8 * index))
    }
}
