/// H.264 RTP payload inspection (RFC 6184, packetization-mode 1): which NAL
/// units a packet carries, enough to tell where a viewer can start decoding.
///
/// A packet starts a keyframe when it carries an IDR slice (NAL type 5) or a
/// sequence parameter set (type 7, which encoders send right before an IDR):
/// as a single NAL unit (types 1–23, §5.6), inside a STAP-A aggregate
/// (type 24, §5.7.1), or as the first fragment of an FU-A (type 28, §5.8,
/// S bit set).
///
/// ```
/// NAL header: |F|NRI|  Type   |
/// STAP-A:     [24] { size(16) | NAL unit } ...
/// FU-A:       [28] |S|E|R| Type | fragment ...
/// ```
public enum H264 {
    public static let idr: UInt8 = 5
    public static let sps: UInt8 = 7
    public static let pps: UInt8 = 8
    public static let stapA: UInt8 = 24
    public static let fuA: UInt8 = 28

    @inlinable @inline(__always)
    static func isKeyNAL(_ type: UInt8) -> Bool { type == idr || type == sps }

    /// True when the payload starts a keyframe (see the type's documentation).
    /// Malformed aggregates are read up to their first bad length.
    @inlinable
    public static func isKeyframe(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard let p = payload.baseAddress, payload.count >= 1 else { return false }
        let n = payload.count
        let type = load8(p, 0) & 0x1F
        switch type {
        case 1...23:
            return isKeyNAL(type)
        case stapA:
            var i = 1
            while i + 2 <= n {
                let size = Int(load16(p, i)); i += 2
                guard size > 0, i + size <= n else { return false }
                if isKeyNAL(load8(p, i) & 0x1F) { return true }
                i += size
            }
            return false
        case fuA:
            guard n >= 2 else { return false }
            let fu = load8(p, 1)
            return fu & 0x80 != 0 && isKeyNAL(fu & 0x1F)
        default:
            return false
        }
    }
}
