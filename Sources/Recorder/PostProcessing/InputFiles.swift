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

/// Why an input file could not be used.
public enum PostInputError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case malformed(String, String)
    case unsupported(String, String)
    public var description: String {
        switch self {
        case .unreadable(let p): return "\(p): cannot be read"
        case .malformed(let p, let why): return "\(p): malformed: \(why)"
        case .unsupported(let p, let why): return "\(p): unsupported: \(why)"
        }
    }
}

/// The Opus track of an input file (.ogg, or the audio track of .webm/.mkv).
struct OpusInputTrack {
    var channels: Int
    /// Samples at 48 kHz to drop from the start (OpusHead pre-skip, RFC 7845 §4.2).
    var preSkip: Int
    /// The track's playable length in 48 kHz samples.
    var durationSamples: Int64
    var packets: [InputPacket]

    /// Reads the file; a torn tail (a recorder that crashed) is accepted.
    static func open(_ path: String) throws -> OpusInputTrack {
        let bytes = try readInputFile(path)
        if isOgg(path, bytes) {
            let all: [OggPacket]
            do { all = try OggReader.packets(bytes, allowTruncatedTail: true) } catch {
                throw PostInputError.malformed(path, "\(error)")
            }
            guard all.count >= 2 else { throw PostInputError.malformed(path, "no OpusHead/OpusTags") }
            let head = try OpusHeadFields(all[0].bytes, path: path)
            let audio = all.dropFirst(2).map { InputPacket(data: $0.bytes[...], timeNs: nil, isKeyframe: true) }
            let lastGranule = all.last { $0.granule >= 0 }?.granule ?? 0
            return OpusInputTrack(channels: head.channels, preSkip: head.preSkip,
                                  durationSamples: max(0, lastGranule - Int64(head.preSkip)), packets: audio)
        }
        let webm = try readWebM(bytes, path)
        guard let t = webm.tracks.first(where: { $0.codecID == WebMTrack.Codec.opus.rawValue }) else {
            throw PostInputError.unsupported(path, "no Opus track")
        }
        var channels = t.channels, preSkip = Int(t.codecDelayNs * 48 / 1_000_000)
        if !t.codecPrivate.isEmpty {
            let head = try OpusHeadFields(t.codecPrivate, path: path)
            channels = head.channels
            preSkip = head.preSkip
        }
        let blocks = webm.blocks.filter { $0.track == t.number }
        let packets = blocks.map { InputPacket(data: $0.data[...], timeNs: $0.timestampMs * 1_000_000, isKeyframe: true) }
        // The track ends with its last packet, or earlier when the file's
        // Duration says so (an encoder's end padding, RFC 7845 §4.5 / DiscardPadding).
        var end: Int64 = 0
        if let last = blocks.last {
            end = last.timestampMs * 48 + Int64(OpusPacket.sampleCount(last.data) ?? 960)
            if let d = webm.durationMs, d > 0 { end = min(end, Int64(d * 48)) }
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

    /// Reads the file; nil when it has no video track (an audio-only stream).
    static func open(_ path: String) throws -> VideoInputTrack? {
        let bytes = try readInputFile(path)
        if isOgg(path, bytes) { return nil }
        let webm = try readWebM(bytes, path)
        guard let t = webm.tracks.first(where: { $0.isVideo }) else { return nil }
        let codec: VPXCodec
        switch t.codecID {
        case WebMTrack.Codec.vp8.rawValue: codec = .vp8
        case WebMTrack.Codec.vp9.rawValue: codec = .vp9
        default: throw PostInputError.unsupported(path, "video codec \(t.codecID) (VP8 and VP9 are decoded)")
        }
        let blocks = webm.blocks.filter { $0.track == t.number }
        let packets = blocks.map { InputPacket(data: $0.data[...], timeNs: $0.timestampMs * 1_000_000, isKeyframe: $0.keyframe) }
        // The picture lasts until its last frame's interval (estimated from the
        // last two) is over; the file's Duration also counts the audio track.
        var endMs = Int64(webm.durationMs ?? 0)
        if let last = blocks.last {
            let interval = blocks.count > 1 ? max(1, min(1000, last.timestampMs - blocks[blocks.count - 2].timestampMs)) : 33
            endMs = last.timestampMs + interval
        }
        return VideoInputTrack(codec: codec, width: t.width ?? 0, height: t.height ?? 0,
                               durationNs: endMs * 1_000_000, packets: packets)
    }
}

func isOgg(_ path: String, _ bytes: [UInt8]) -> Bool {
    bytes.starts(with: [0x4F, 0x67, 0x67, 0x53]) || path.hasSuffix(".ogg") || path.hasSuffix(".opus")
}

func readWebM(_ bytes: [UInt8], _ path: String) throws -> WebMFile {
    do { return try WebMReader.read(bytes, allowTruncatedTail: true) } catch {
        throw PostInputError.malformed(path, "\(error)")
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
