/// The video codecs the SFU forwards (DESIGN.md: VP8, VP9, H.264 with
/// packetization-mode 1, AV1).
public enum VideoCodec: UInt8, Sendable, CaseIterable {
    case vp8, vp9, h264, av1
}

/// One entry point for "can a viewer start decoding at this packet?", so the
/// router does not switch over codecs itself. Pure function over the RTP
/// payload (padding already excluded); no allocation.
public enum Keyframe {
    @inlinable
    public static func isKeyframe(_ codec: VideoCodec, payload: UnsafeRawBufferPointer) -> Bool {
        switch codec {
        case .vp8: return VP8PayloadDescriptor.parse(payload)?.isKeyframe ?? false
        case .vp9: return VP9PayloadDescriptor.parse(payload)?.isKeyframe ?? false
        case .h264: return H264.isKeyframe(payload)
        case .av1: return AV1AggregationHeader.parse(payload)?.isKeyframe ?? false
        }
    }
}
