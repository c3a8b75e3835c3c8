/// Picture Loss Indication (RFC 4585 §6.3.1, PSFB FMT 1): "I lost the
/// picture, send a keyframe". No FCI.
///
/// Viewers send it to the SFU, which never forwards it blindly: the router
/// asks the publisher for a keyframe itself, throttled and de-duplicated.
///
/// ```
/// |V=2|P| FMT=1   |   PT=206      |          length=2             |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// ```
public struct PictureLossIndication: Hashable, Sendable, RTCPSerializable {
    public static let format: UInt8 = 1
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    @inlinable
    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        try checkFeedbackHeader(packet)
        senderSSRC = load32(packet.pointer, 4)
        mediaSSRC = load32(packet.pointer, 8)
    }

    @inlinable public var serializedLength: Int { 12 }

    @inlinable
    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        let p = try reserve(buffer, 12)
        writeFeedbackHeader(p, format: Self.format, type: RTCPPacketType.payloadFeedback, size: 12,
                            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC)
        return 12
    }
}
