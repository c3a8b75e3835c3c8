// RFC 7741: a VP8 frame is split over packets sharing a timestamp; the
// first has S = 1 and PID = 0 (§4.2), the last the marker bit (§4.1). The
// VP8 payload header of the first packet tells keyframes (P = 0, §4.3) and
// a keyframe's size. The descriptor is parsed by RTP's VP8PayloadDescriptor.
import RTP

/// VP8 frames from RTP payloads.
public struct VP8Depacketizer: RTPDepacketizer {
    private var frame = FrameAccumulator()

    public init() {}

    public mutating func push(payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool) throws(DepacketizeError) -> [DepacketizedFrame] {
        guard let d = VP8PayloadDescriptor.parse(payload) else { frame.open = false; throw .truncated }
        var out: [DepacketizedFrame] = []
        if frame.open && frame.timestamp != timestamp, let f = frame.finish() { out.append(f) }
        let startsFrame = d.startOfPartition && d.partitionIndex == 0
        if startsFrame {
            frame.start(timestamp: timestamp)
            frame.keyframe = d.isKeyframe
            frame.width = d.width.map { Int($0) }
            frame.height = d.height.map { Int($0) }
        }
        guard frame.open else { return out }  // the start of this frame was lost
        try frame.append(UnsafeRawBufferPointer(rebasing: payload[d.descriptorLength...]))
        if marker, let f = frame.finish() { out.append(f) }
        return out
    }

    public mutating func lose() { frame.open = false }
}
