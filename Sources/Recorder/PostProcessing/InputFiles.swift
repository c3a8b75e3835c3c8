// Opening recorded files for post-processing: which container, which
// track, and the packets of that track in order with their times.
import Foundation

/// One compressed frame of an input track. `timeNs` is from the file's
/// start; nil when the container only gives a running sample count (Ogg),
/// in which case packets are contiguous.
struct InputPacket {
    var data: ArraySlice<UInt8>
    var timeNs: Int64?
    var isKeyframe: Bool
}

/// The Opus track of an input file (.ogg, or the audio track of .webm/.mkv).
struct OpusInputTrack {
    var channels: Int
    /// Samples at 48 kHz to drop from the start (OpusHead pre-skip, RFC 7845 §4.2).
    var preSkip: Int
    /// The track's playable length in 48 kHz samples.
    var durationSamples: Int64
    var packets: [InputPacket]

    static func open(_ path: String) throws -> OpusInputTrack {
        let bytes = try readInputFile(path)
        if path.hasSuffix(".ogg") || path.hasSuffix(".opus") {
            let ogg = try StandInOggPackets(bytes: bytes, path: path)
            guard ogg.packets.count >= 2 else { throw PostInputError.malformed(path, "no OpusHead/OpusTags") }
            let head = try OpusHeadFields(ogg.packets[0], path: path)
            let audio = ogg.packets.dropFirst(2).map { InputPacket(data: $0[...], timeNs: nil, isKeyframe: true) }
            return OpusInputTrack(channels: head.channels, preSkip: head.preSkip,
                                  durationSamples: max(0, ogg.lastGranule - Int64(head.preSkip)), packets: audio)
        }
        let webm = try StandInWebM(bytes: bytes, path: path)
        guard let t = webm.tracks.first(where: { $0.codecID == "A_OPUS" }) else {
            throw PostInputError.unsupported(path, "no Opus track")
        }
        var channels = t.channels, preSkip = 0
        if !t.codecPrivate.isEmpty {
            let head = try OpusHeadFields(t.codecPrivate, path: path)
            channels = head.channels
            preSkip = head.preSkip
        }
        let blocks = webm.blocks.filter { $0.track == t.number }
        let packets = blocks.map { InputPacket(data: webm.bytes[$0.range], timeNs: $0.timeNs, isKeyframe: true) }
        var end: Int64 = webm.durationNs * 48 / 1_000_000
        if let last = blocks.last {
            let lastSamples = Int64(webm.bytes[last.range].withUnsafeBytes { OpusPacket.sampleCount($0) } ?? 960)
            end = max(end, last.timeNs * 48 / 1_000_000 + lastSamples)
        }
        return OpusInputTrack(channels: max(1, min(2, channels)), preSkip: preSkip,
                              durationSamples: max(0, end - Int64(preSkip)), packets: packets)
    }
}

/// The VP8 or VP9 track of a WebM input.
struct VideoInputTrack {
    var codec: VPXCodec
    var width: Int
    var height: Int
    var durationNs: Int64
    /// In decode order, with presentation times (no B-frames in VP8/VP9).
    var packets: [InputPacket]

    static func open(_ path: String) throws -> VideoInputTrack {
        let webm = try StandInWebM(bytes: try readInputFile(path), path: path)
        guard let t = webm.tracks.first(where: { $0.type == 1 }) else {
            throw PostInputError.unsupported(path, "no video track")
        }
        let codec: VPXCodec
        switch t.codecID {
        case "V_VP8": codec = .vp8
        case "V_VP9": codec = .vp9
        default: throw PostInputError.unsupported(path, "video codec \(t.codecID) (VP8 and VP9 are decoded)")
        }
        let packets = webm.blocks.filter { $0.track == t.number }
            .map { InputPacket(data: webm.bytes[$0.range], timeNs: $0.timeNs, isKeyframe: $0.keyframe) }
        return VideoInputTrack(codec: codec, width: t.width, height: t.height, durationNs: webm.durationNs, packets: packets)
    }
}

/// The OpusHead fields the decoder needs (RFC 7845 §5.1).
struct OpusHeadFields {
    var channels: Int
    var preSkip: Int
    init(_ b: [UInt8], path: String) throws {
        guard b.count >= 19, b.starts(with: Array("OpusHead".utf8)) else {
            throw PostInputError.malformed(path, "no OpusHead")
        }
        guard b[8] & 0xF0 == 0 else { throw PostInputError.unsupported(path, "OpusHead version \(b[8])") }
        guard b[18] == 0 else { throw PostInputError.unsupported(path, "channel mapping family \(b[18])") }
        channels = Int(b[9])
        preSkip = Int(b[10]) | Int(b[11]) << 8
        guard channels == 1 || channels == 2 else { throw PostInputError.malformed(path, "\(channels) channels") }
    }
}

/// Input files are read whole into memory (a 30-minute segment of audio is
/// a few MB; video tens to hundreds of MB).
func readInputFile(_ path: String) throws -> [UInt8] {
    guard let d = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
        throw PostInputError.unreadable(path)
    }
    return [UInt8](d)
}
