// The AVCDecoderConfigurationRecord ("avcC", ISO/IEC 14496-15 §5.3.3.1),
// Matroska's CodecPrivate for V_MPEG4/ISO/AVC:
//   configurationVersion = 1 | AVCProfileIndication | profile_compatibility |
//   AVCLevelIndication | 111111 lengthSizeMinusOne(2) | 111 numOfSPS(5) |
//   { SPS length(16) SPS } | numOfPPS(8) | { PPS length(16) PPS }
// Samples are then NAL units each prefixed with a 4-byte big-endian length.

/// Builds avcC from the SPS and PPS captured off the RTP stream, so an H.264
/// recording carries its parameter sets in the track header.
public enum AVCDecoderConfiguration {
    /// Errors for parameter sets that cannot form a record.
    public enum BuildError: Error, Equatable {
        case spsTooShort(Int)
        case notAnSPS(UInt8)
        case notAPPS(UInt8)
        case tooLarge(Int)
    }

    /// - Parameters: sps and pps are whole NAL units (header byte included).
    public static func record(sps: [UInt8], pps: [UInt8]) throws -> [UInt8] {
        guard sps.count >= 4 else { throw BuildError.spsTooShort(sps.count) }
        guard sps[0] & 0x1F == 7 else { throw BuildError.notAnSPS(sps[0] & 0x1F) }
        guard let p0 = pps.first, p0 & 0x1F == 8 else { throw BuildError.notAPPS((pps.first ?? 0) & 0x1F) }
        guard sps.count <= 0xFFFF, pps.count <= 0xFFFF else { throw BuildError.tooLarge(max(sps.count, pps.count)) }
        var r: [UInt8] = [1, sps[1], sps[2], sps[3], 0xFC | 3, 0xE0 | 1]
        r.append(UInt8(sps.count >> 8)); r.append(UInt8(sps.count & 0xFF))
        r.append(contentsOf: sps)
        r.append(1)
        r.append(UInt8(pps.count >> 8)); r.append(UInt8(pps.count & 0xFF))
        r.append(contentsOf: pps)
        return r
    }
}
