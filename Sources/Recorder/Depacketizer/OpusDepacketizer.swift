// RFC 7587 §4.2: one Opus packet per RTP payload, nothing around it.

/// Opus: the RTP payload is the Opus packet.
public struct OpusDepacketizer: RTPDepacketizer {
    public init() {}

    public mutating func push(payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool) throws(DepacketizeError) -> [DepacketizedFrame] {
        guard !payload.isEmpty else { throw .empty }
        guard OpusPacket.sampleCount(payload) != nil else { throw .truncated }
        return [DepacketizedFrame(data: Array(payload), rtpTimestamp: timestamp, keyframe: true)]
    }

    public mutating func lose() {}
}
