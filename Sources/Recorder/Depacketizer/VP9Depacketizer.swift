// RFC 9628: a VP9 picture is one or more layer frames (one per spatial
// layer) sharing a timestamp. B marks a layer frame's first packet, E its
// last (§4.2); the marker bit ends the picture. A picture is a keyframe when
// its first layer frame is not inter-predicted (P = 0). Several layer frames
// are joined into a superframe with an index (VP9 bitstream spec Annex B),
// which is how VP9 stores them in WebM.
import RTP

/// VP9 pictures from RTP payloads (flexible and non-flexible mode).
public struct VP9Depacketizer: RTPDepacketizer {
    private var frame = FrameAccumulator()
    /// Sizes of the layer frames completed in the current picture.
    private var layerSizes: [Int] = []
    private var layerOpen = false
    /// Where the open layer frame starts in the picture's data.
    private var layerStart = 0

    public init() {}

    public mutating func push(payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool) throws(DepacketizeError) -> [DepacketizedFrame] {
        guard let d = VP9PayloadDescriptor.parse(payload) else { lose(); throw .truncated }
        var out: [DepacketizedFrame] = []
        if frame.open && frame.timestamp != timestamp, let f = closePicture() { out.append(f) }
        if d.startOfFrame {
            if !frame.open {
                frame.start(timestamp: timestamp)
                layerSizes.removeAll(keepingCapacity: true)
                frame.keyframe = !d.interPicturePredicted
            } else if layerOpen {
                lose(); throw .truncated  // a new layer frame before the previous one ended
            }
            guard layerSizes.count < 8 else { lose(); throw .badAggregate }  // a superframe holds ≤ 8 frames
            layerOpen = true
            layerStart = frame.data.count
            if let w = d.width, let h = d.height { frame.width = Int(w); frame.height = Int(h) }
        }
        guard frame.open, layerOpen else { return out }  // the start was lost
        try frame.append(UnsafeRawBufferPointer(rebasing: payload[d.descriptorLength...]))
        if d.endOfFrame {
            layerOpen = false
            layerSizes.append(frame.data.count - layerStart)
        }
        if marker, let f = closePicture() { out.append(f) }
        return out
    }

    private mutating func closePicture() -> DepacketizedFrame? {
        let complete = !layerOpen
        layerOpen = false
        guard complete, var f = frame.finish() else { frame.open = false; return nil }
        if layerSizes.count > 1 { f.data += Self.superframeIndex(layerSizes) }
        return f
    }

    /// Annex B superframe index: marker 0b110 | bytes−1 (2) | frames−1 (3),
    /// each size little-endian in that many bytes, the marker again.
    static func superframeIndex(_ sizes: [Int]) -> [UInt8] {
        let maxSize = sizes.max() ?? 0
        let bytes = maxSize < 1 << 8 ? 1 : maxSize < 1 << 16 ? 2 : maxSize < 1 << 24 ? 3 : 4
        let marker = UInt8(0xC0 | ((bytes - 1) << 3) | (sizes.count - 1))
        var index = [marker]
        for s in sizes { for i in 0..<bytes { index.append(UInt8(truncatingIfNeeded: s >> (8 * i))) } }
        index.append(marker)
        return index
    }

    public mutating func lose() {
        frame.open = false
        layerOpen = false
    }
}
