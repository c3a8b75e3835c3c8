// Turning in-order RTP payloads of one track back into codec frames.

/// One frame rebuilt from RTP payloads, ready for a container.
public struct DepacketizedFrame: Equatable, Sendable {
    /// The frame as the container stores it (VP8/VP9 frame, AVC length-prefixed sample, Opus packet).
    public var data: [UInt8]
    public var rtpTimestamp: UInt32
    /// A frame a decoder can start at (audio frames are always keyframes).
    public var keyframe: Bool
    /// Picture size when the frame announces it (VP8 keyframe header, VP9 SS).
    public var width: Int? = nil
    public var height: Int? = nil

    public init(data: [UInt8], rtpTimestamp: UInt32, keyframe: Bool, width: Int? = nil, height: Int? = nil) {
        self.data = data
        self.rtpTimestamp = rtpTimestamp
        self.keyframe = keyframe
        self.width = width
        self.height = height
    }
}

/// Why a payload was rejected; the frame it belonged to is dropped.
public enum DepacketizeError: Error, Equatable {
    /// The payload descriptor/header is cut short.
    case truncated
    /// A STAP-A unit length overruns the packet (RFC 6184 §5.7.1).
    case badAggregate
    /// H.264 NAL types this recorder does not accept (STAP-B, MTAP, FU-B: packetization-mode 2).
    case unsupportedNALType(UInt8)
    /// A payload larger than a frame may grow (`RTPDepacketizerLimits.maxFrameSize`).
    case frameTooLarge
    /// An empty payload.
    case empty
}

/// Explicit limits shared by the depacketizers.
public enum RTPDepacketizerLimits {
    /// Largest frame assembled (a 4K keyframe fits easily).
    public static let maxFrameSize = 8 << 20
}

/// A codec's RTP payload format. Fed packets in sequence order by the
/// jitter buffer; told about losses so it drops a half-built frame.
public protocol RTPDepacketizer {
    /// Adds the next packet; returns the frames it completes (at the marker
    /// bit, or the previous frame when a new timestamp starts without one).
    mutating func push(payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool) throws(DepacketizeError) -> [DepacketizedFrame]
    /// Packets were lost before the next `push`: forget the partial frame.
    mutating func lose()
}

/// The parts every video depacketizer shares: the frame being built, its
/// timestamp, and whether its start was seen.
struct FrameAccumulator {
    var data: [UInt8] = []
    var timestamp: UInt32 = 0
    var keyframe = false
    var width: Int?
    var height: Int?
    /// A frame has started (its first packet was seen) and is being built.
    var open = false

    mutating func start(timestamp: UInt32) {
        data.removeAll(keepingCapacity: true)
        self.timestamp = timestamp
        keyframe = false
        width = nil
        height = nil
        open = true
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws(DepacketizeError) {
        guard data.count + bytes.count <= RTPDepacketizerLimits.maxFrameSize else { open = false; throw .frameTooLarge }
        data.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) throws(DepacketizeError) {
        guard data.count + bytes.count <= RTPDepacketizerLimits.maxFrameSize else { open = false; throw .frameTooLarge }
        data.append(contentsOf: bytes)
    }

    /// Closes the frame and returns it (nil if nothing was built).
    mutating func finish() -> DepacketizedFrame? {
        defer { open = false }
        guard open, !data.isEmpty else { return nil }
        return DepacketizedFrame(data: data, rtpTimestamp: timestamp, keyframe: keyframe, width: width, height: height)
    }
}
