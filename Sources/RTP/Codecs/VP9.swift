/// The VP9 payload descriptor (RFC 9628 §4.2), flexible and non-flexible
/// modes, with the scalability structure (§4.2.1) checked for length.
///
/// The router uses it to start a viewer at a keyframe (P = 0 at the start of
/// a frame, base spatial layer), to rewrite picture id and TL0PICIDX across
/// source switches, and to select spatial and temporal layers.
///
/// ```
///       +-+-+-+-+-+-+-+-+
///       |I|P|L|F|B|E|V|Z| (REQUIRED)
///  I:   |M| PICTURE ID  | (M = 1: one more byte, 15-bit id)
///  L:   |  TID  |U| SID |D|   (3-bit TID, U, 3-bit SID, D)
///       |   TL0PICIDX   | (F = 0 and L = 1)
///  P,F: | P_DIFF      |N| (F = 1 and P = 1; up to 3, N = 1: another follows)
///  V:   | SS ...        |
/// ```
public struct VP9PayloadDescriptor: Equatable, Sendable {
    /// P: inter-picture predicted (0 on key frames and intra-only frames).
    public var interPicturePredicted: Bool = false
    /// F: flexible mode.
    public var flexibleMode: Bool = false
    /// B: first packet of a layer frame.
    public var startOfFrame: Bool = false
    /// E: last packet of a layer frame.
    public var endOfFrame: Bool = false
    /// Z: not used as reference by the upper spatial layers.
    public var notReferencedByUpperSpatialLayers: Bool = false
    /// Picture id (7 or 15 bits), nil when I = 0.
    public var pictureID: UInt16? = nil
    public var pictureIDIs15Bit: Bool = false
    public var pictureIDOffset: Int = 0
    /// Layer indices (L = 1).
    public var temporalLayer: UInt8? = nil
    public var switchingUpPoint: Bool = false
    public var spatialLayer: UInt8? = nil
    /// D: inter-layer dependency.
    public var interLayerDependency: Bool = false
    public var tl0PicIdx: UInt8? = nil
    public var tl0PicIdxOffset: Int = 0
    /// Number of reference indices (P_DIFF) in flexible mode.
    public var referenceCount: Int = 0
    /// V: a scalability structure is present.
    public var hasScalabilityStructure: Bool = false
    /// Spatial layers announced by the SS (N_S + 1), and the base layer's size.
    public var spatialLayerCount: Int = 0
    public var width: UInt16? = nil
    public var height: UInt16? = nil
    /// Bytes of the descriptor; the VP9 frame data starts here.
    public var descriptorLength: Int = 0

    @inlinable public init() {}

    /// Start of a key frame: B = 1, P = 0, base spatial layer (SID 0 or no
    /// layer indices).
    @inlinable public var isKeyframe: Bool {
        startOfFrame && !interPicturePredicted && (spatialLayer ?? 0) == 0
    }

    /// Parses the descriptor at the start of `payload`; nil when truncated.
    @inlinable
    public static func parse(_ payload: UnsafeRawBufferPointer) -> VP9PayloadDescriptor? {
        guard let p = payload.baseAddress, payload.count >= 1 else { return nil }
        let n = payload.count
        let b0 = load8(p, 0)
        var d = VP9PayloadDescriptor()
        d.interPicturePredicted = b0 & 0x40 != 0
        d.flexibleMode = b0 & 0x10 != 0
        d.startOfFrame = b0 & 0x08 != 0
        d.endOfFrame = b0 & 0x04 != 0
        d.notReferencedByUpperSpatialLayers = b0 & 0x01 != 0
        d.hasScalabilityStructure = b0 & 0x02 != 0
        var i = 1
        if b0 & 0x80 != 0 {                                          // I
            guard i < n else { return nil }
            let m = load8(p, i)
            d.pictureIDOffset = i
            if m & 0x80 != 0 {
                guard i + 1 < n else { return nil }
                d.pictureID = UInt16(m & 0x7F) << 8 | UInt16(load8(p, i + 1))
                d.pictureIDIs15Bit = true
                i += 2
            } else {
                d.pictureID = UInt16(m); i += 1
            }
        }
        if b0 & 0x20 != 0 {                                          // L
            guard i < n else { return nil }
            let l = load8(p, i); i += 1
            d.temporalLayer = l >> 5
            d.switchingUpPoint = l & 0x10 != 0
            d.spatialLayer = (l >> 1) & 0x07
            d.interLayerDependency = l & 0x01 != 0
            if !d.flexibleMode {
                guard i < n else { return nil }
                d.tl0PicIdx = load8(p, i); d.tl0PicIdxOffset = i; i += 1
            }
        }
        if d.flexibleMode && d.interPicturePredicted {                // P_DIFF list
            while true {
                guard i < n, d.referenceCount < 3 else { return nil }
                let r = load8(p, i); i += 1
                d.referenceCount += 1
                if r & 0x01 == 0 { break }
            }
        }
        if d.hasScalabilityStructure {                                // SS, §4.2.1
            guard i < n else { return nil }
            let ss = load8(p, i); i += 1
            d.spatialLayerCount = Int(ss >> 5) + 1
            if ss & 0x10 != 0 {                                      // Y: sizes
                guard i + 4 * d.spatialLayerCount <= n else { return nil }
                d.width = load16(p, i); d.height = load16(p, i + 2)
                i += 4 * d.spatialLayerCount
            }
            if ss & 0x08 != 0 {                                      // G: picture group
                guard i < n else { return nil }
                let groups = Int(load8(p, i)); i += 1
                for _ in 0..<groups {
                    guard i < n else { return nil }
                    let refs = Int((load8(p, i) >> 2) & 0x03); i += 1
                    guard i + refs <= n else { return nil }
                    i += refs
                }
            }
        }
        d.descriptorLength = i
        return d
    }

    /// Writes `id` over the picture id in place, keeping its width.
    @inlinable @inline(__always)
    public func setPictureID(_ id: UInt16, in payload: UnsafeMutableRawBufferPointer) {
        guard pictureIDOffset != 0, let p = payload.baseAddress else { return }
        if pictureIDIs15Bit {
            store16(p, pictureIDOffset, 0x8000 | (id & 0x7FFF))
        } else {
            store8(p, pictureIDOffset, UInt8(truncatingIfNeeded: id) & 0x7F)
        }
    }

    /// Writes TL0PICIDX in place (non-flexible mode only).
    @inlinable @inline(__always)
    public func setTL0PicIdx(_ value: UInt8, in payload: UnsafeMutableRawBufferPointer) {
        guard tl0PicIdxOffset != 0, let p = payload.baseAddress else { return }
        store8(p, tl0PicIdxOffset, value)
    }
}
