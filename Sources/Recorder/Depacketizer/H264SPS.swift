// The picture size from an H.264 sequence parameter set (ITU-T H.264
// §7.3.2.1.1), so a Matroska recording's track header carries PixelWidth
// and PixelHeight. Only the fields before the size are walked:
//   profile_idc u(8) constraint flags u(8) level_idc u(8) seq_parameter_set_id ue
//   [high profiles: chroma_format_idc ue, (=3: separate_colour_plane u(1)),
//    bit_depth_luma ue, bit_depth_chroma ue, qpprime_bypass u(1),
//    seq_scaling_matrix_present u(1) → scaling lists]
//   log2_max_frame_num−4 ue, pic_order_cnt_type ue (0: log2_max_poc_lsb−4 ue;
//   1: flags and offsets), max_num_ref_frames ue, gaps_allowed u(1),
//   pic_width_in_mbs−1 ue, pic_height_in_map_units−1 ue, frame_mbs_only u(1),
//   (0: mb_adaptive u(1)), direct_8x8 u(1), frame_cropping u(1) → 4 × ue offsets.
// Emulation prevention bytes (00 00 03) are removed first (§7.4.1).

/// Reads the coded picture size (after cropping) from an SPS NAL unit.
public enum H264SPS {
    /// Width and height in pixels, or nil for a malformed or truncated SPS.
    public static func dimensions(_ nal: [UInt8]) -> (width: Int, height: Int)? {
        guard nal.count >= 4, nal[0] & 0x1F == 7 else { return nil }
        var rbsp: [UInt8] = []
        rbsp.reserveCapacity(nal.count)
        var zeros = 0
        for b in nal.dropFirst() {
            if zeros >= 2 && b == 3 { zeros = 0; continue }
            zeros = b == 0 ? zeros + 1 : 0
            rbsp.append(b)
        }
        var r = BitReader(rbsp)
        guard let profile = r.bits(8), r.bits(16) != nil, r.ue() != nil else { return nil }
        var chromaFormat = 1
        var separateColourPlanes = false
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            guard let cf = r.ue(), cf <= 3 else { return nil }
            chromaFormat = cf
            if cf == 3 { guard let s = r.bit() else { return nil }; separateColourPlanes = s }
            guard r.ue() != nil, r.ue() != nil, r.bit() != nil, let scaling = r.bit() else { return nil }
            if scaling {
                for i in 0..<(chromaFormat == 3 ? 12 : 8) {
                    guard let present = r.bit() else { return nil }
                    if present { guard skipScalingList(&r, size: i < 6 ? 16 : 64) else { return nil } }
                }
            }
        }
        guard r.ue() != nil, let pocType = r.ue() else { return nil }
        if pocType == 0 {
            guard r.ue() != nil else { return nil }
        } else if pocType == 1 {
            guard r.bit() != nil, r.se() != nil, r.se() != nil, let cycle = r.ue(), cycle <= 255 else { return nil }
            for _ in 0..<cycle { guard r.se() != nil else { return nil } }
        } else if pocType != 2 { return nil }
        guard r.ue() != nil, r.bit() != nil, let widthMbs = r.ue(), let heightUnits = r.ue(),
              let frameMbsOnly = r.bit() else { return nil }
        if !frameMbsOnly { guard r.bit() != nil else { return nil } }
        guard r.bit() != nil, let cropping = r.bit() else { return nil }
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if cropping {
            guard let l = r.ue(), let rt = r.ue(), let t = r.ue(), let b = r.ue() else { return nil }
            crop = (l, rt, t, b)
        }
        // Crop units (Table 6-1, eq. 7-19…7-22).
        let chromaArray = separateColourPlanes ? 0 : chromaFormat
        let subW = chromaArray == 1 || chromaArray == 2 ? 2 : 1
        let subH = chromaArray == 1 ? 2 : 1
        let cropX = chromaArray == 0 ? 1 : subW
        let cropY = (chromaArray == 0 ? 1 : subH) * (frameMbsOnly ? 1 : 2)
        let width = (widthMbs + 1) * 16 - cropX * (crop.left + crop.right)
        let height = (heightUnits + 1) * 16 * (frameMbsOnly ? 1 : 2) - cropY * (crop.top + crop.bottom)
        guard width > 0, height > 0, width <= 16_384, height <= 16_384 else { return nil }
        return (width, height)
    }

    private static func skipScalingList(_ r: inout BitReader, size: Int) -> Bool {
        var last = 8, next = 8
        for _ in 0..<size where next != 0 {
            guard let delta = r.se(), (-128...127).contains(delta) else { return false }
            next = (last + delta + 256) % 256
            if next != 0 { last = next }
        }
        return true
    }
}

/// MSB-first bit reader with Exp-Golomb codes (H.264 §9.1); nil past the end.
struct BitReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func bit() -> Bool? {
        guard position < bytes.count * 8 else { return nil }
        defer { position += 1 }
        return bytes[position >> 3] & (0x80 >> UInt8(position & 7)) != 0
    }

    mutating func bits(_ n: Int) -> Int? {
        var v = 0
        for _ in 0..<n {
            guard let b = bit() else { return nil }
            v = v << 1 | (b ? 1 : 0)
        }
        return v
    }

    /// Unsigned Exp-Golomb; at most 31 leading zeros.
    mutating func ue() -> Int? {
        var zeros = 0
        while true {
            guard let b = bit() else { return nil }
            if b { break }
            zeros += 1
            if zeros > 31 { return nil }
        }
        guard let rest = bits(zeros) else { return nil }
        return (1 << zeros) - 1 + rest
    }

    /// Signed Exp-Golomb.
    mutating func se() -> Int? {
        guard let k = ue() else { return nil }
        return k % 2 == 1 ? (k + 1) / 2 : -(k / 2)
    }
}
