/// The VP8 payload descriptor (RFC 7741 §4.2) at the start of every VP8 RTP
/// payload, plus the keyframe bit and size of the VP8 payload header behind
/// it (RFC 7741 §4.3, RFC 6386 §9.1).
///
/// The router needs it to start a viewer at a keyframe, to rewrite picture
/// id and TL0PICIDX continuously across source switches (both must stay
/// continuous for the viewer's decoder, like the RTP sequence number), and
/// to pick temporal layers.
///
/// ```
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |X|R|N|S|R| PID | (REQUIRED)
///      +-+-+-+-+-+-+-+-+
/// X:   |I|L|T|K| RSV   | (OPTIONAL)
/// I:   |M| PictureID   | (OPTIONAL; M = 1: 15-bit id, one more byte)
/// L:   |   TL0PICIDX   | (OPTIONAL)
/// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// VP8 payload header (first packet of a frame: S = 1, PID = 0):
///      |Size0|H| VER |P|   P = 0: key frame
///      |     Size1     |
///      |     Size2     |
///      | 9d 01 2a | width (14 bits LE) | height (14 bits LE)   (key frames)
/// ```
public struct VP8PayloadDescriptor: Equatable, Sendable {
    /// N: the frame can be discarded without affecting others.
    public var nonReference: Bool = false
    /// S: this packet starts a VP8 partition.
    public var startOfPartition: Bool = false
    /// PID: partition index.
    public var partitionIndex: UInt8 = 0
    /// Picture id (7 or 15 bits), nil when absent.
    public var pictureID: UInt16? = nil
    /// True when the picture id is the 15-bit form (M = 1).
    public var pictureIDIs15Bit: Bool = false
    /// Offset of the picture id in the payload (0 when absent).
    public var pictureIDOffset: Int = 0
    /// TL0PICIDX, nil when absent.
    public var tl0PicIdx: UInt8? = nil
    /// Offset of TL0PICIDX in the payload (0 when absent).
    public var tl0PicIdxOffset: Int = 0
    /// Temporal layer index (TID), nil when T = 0.
    public var temporalLayer: UInt8? = nil
    /// Y: layer sync.
    public var layerSync: Bool = false
    /// KEYIDX, nil when K = 0.
    public var keyIndex: UInt8? = nil
    /// Bytes of the descriptor; the VP8 payload starts here.
    public var descriptorLength: Int = 0
    /// The first packet of a key frame (S = 1, PID = 0, P = 0).
    public var isKeyframe: Bool = false
    /// Frame size from a key frame's header, when this packet carries it.
    public var width: UInt16? = nil
    public var height: UInt16? = nil

    @inlinable public init() {}

    /// Parses the descriptor at the start of `payload`; nil when it is
    /// truncated (or leaves no VP8 payload, which RFC 7741 forbids).
    @inlinable
    public static func parse(_ payload: UnsafeRawBufferPointer) -> VP8PayloadDescriptor? {
        guard let p = payload.baseAddress, payload.count >= 1 else { return nil }
        let n = payload.count
        let b0 = load8(p, 0)
        var d = VP8PayloadDescriptor()
        d.nonReference = b0 & 0x20 != 0
        d.startOfPartition = b0 & 0x10 != 0
        d.partitionIndex = b0 & 0x07
        var i = 1
        if b0 & 0x80 != 0 {
            guard i < n else { return nil }
            let x = load8(p, i); i += 1
            if x & 0x80 != 0 {                                   // I
                guard i < n else { return nil }
                let m = load8(p, i)
                d.pictureIDOffset = i
                if m & 0x80 != 0 {
                    guard i + 1 < n else { return nil }
                    d.pictureID = UInt16(m & 0x7F) << 8 | UInt16(load8(p, i + 1))
                    d.pictureIDIs15Bit = true
                    i += 2
                } else {
                    d.pictureID = UInt16(m)
                    i += 1
                }
            }
            if x & 0x40 != 0 {                                   // L
                guard i < n else { return nil }
                d.tl0PicIdx = load8(p, i); d.tl0PicIdxOffset = i; i += 1
            }
            if x & 0x30 != 0 {                                   // T or K
                guard i < n else { return nil }
                let tk = load8(p, i); i += 1
                if x & 0x20 != 0 { d.temporalLayer = tk >> 6; d.layerSync = tk & 0x20 != 0 }
                if x & 0x10 != 0 { d.keyIndex = tk & 0x1F }
            }
        }
        guard i < n else { return nil }
        d.descriptorLength = i
        if d.startOfPartition && d.partitionIndex == 0 && load8(p, i) & 0x01 == 0 {
            d.isKeyframe = true
            // 3-byte frame tag, 3-byte start code, then 2 × 16-bit LE sizes.
            if n - i >= 10, load8(p, i + 3) == 0x9D, load8(p, i + 4) == 0x01, load8(p, i + 5) == 0x2A {
                d.width = (UInt16(load8(p, i + 6)) | UInt16(load8(p, i + 7)) << 8) & 0x3FFF
                d.height = (UInt16(load8(p, i + 8)) | UInt16(load8(p, i + 9)) << 8) & 0x3FFF
            }
        }
        return d
    }

    /// Writes `id` over the picture id in place, keeping its width (the low 7
    /// bits in the 7-bit form). No-op without a picture id.
    @inlinable @inline(__always)
    public func setPictureID(_ id: UInt16, in payload: UnsafeMutableRawBufferPointer) {
        guard pictureIDOffset != 0, let p = payload.baseAddress else { return }
        if pictureIDIs15Bit {
            store16(p, pictureIDOffset, 0x8000 | (id & 0x7FFF))
        } else {
            store8(p, pictureIDOffset, UInt8(truncatingIfNeeded: id) & 0x7F)
        }
    }

    /// Writes TL0PICIDX in place. No-op when absent.
    @inlinable @inline(__always)
    public func setTL0PicIdx(_ value: UInt8, in payload: UnsafeMutableRawBufferPointer) {
        guard tl0PicIdxOffset != 0, let p = payload.baseAddress else { return }
        store8(p, tl0PicIdxOffset, value)
    }
}
