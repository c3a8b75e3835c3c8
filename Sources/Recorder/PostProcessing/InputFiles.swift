// Opening recorded files for post-processing: which container, which
// track, and the packets of that track in order with their times.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
        if isOgg(path) {
            let bytes = try readInputFile(path)
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
        guard let stream = try WebMBlockStream(path: path, select: { $0.codecID == WebMTrack.Codec.opus.rawValue }) else {
            throw PostInputError.unsupported(path, "no Opus track")
        }
        let t = stream.track
        var channels = t.channels, preSkip = Int(t.codecDelayNs * 48 / 1_000_000)
        if !t.codecPrivate.isEmpty {
            let head = try OpusHeadFields(t.codecPrivate, path: path)
            channels = head.channels
            preSkip = head.preSkip
        }
        var packets: [InputPacket] = []
        var end: Int64 = 0
        while let b = try stream.next() {
            packets.append(InputPacket(data: b.data[...], timeNs: b.timestampMs * 1_000_000, isKeyframe: true))
            end = b.timestampMs * 48 + Int64(OpusPacket.sampleCount(b.data) ?? 960)
        }
        // The track ends with its last packet, or earlier when the file's
        // Duration says so (an encoder's end padding, RFC 7845 §4.5 / DiscardPadding).
        if let d = stream.durationMs, d > 0 { end = min(end, Int64(d * 48)) }
        return OpusInputTrack(channels: max(1, min(2, channels)), preSkip: preSkip,
                              durationSamples: max(0, end - Int64(preSkip)), packets: packets)
    }
}

/// The VP8 or VP9 track of a WebM input, read from disk as it is decoded.
final class VideoInputTrack {
    let codec: VPXCodec
    let width: Int
    let height: Int
    /// Last frame's time plus one frame interval (estimated from the last two).
    let durationNs: Int64
    private let stream: WebMBlockStream
    private var peeked: WebMBlock?

    /// Nil when the file has no video track (an audio-only stream). A first
    /// pass over the block headers finds the duration.
    init?(path: String) throws {
        if isOgg(path) { return nil }
        guard let stream = try WebMBlockStream(path: path, select: { $0.isVideo }),
              let scan = try WebMBlockStream(path: path, select: { $0.isVideo }) else { return nil }
        switch stream.track.codecID {
        case WebMTrack.Codec.vp8.rawValue: codec = .vp8
        case WebMTrack.Codec.vp9.rawValue: codec = .vp9
        default: throw PostInputError.unsupported(path, "video codec \(stream.track.codecID) (VP8 and VP9 are decoded)")
        }
        var last: Int64?, previous: Int64?
        while let b = try scan.next(withData: false) { (previous, last) = (last, b.timestampMs) }
        var endMs = Int64(stream.durationMs ?? 0)
        if let last {
            let interval = previous.map { max(1, min(1000, last - $0)) } ?? 33
            endMs = last + interval
        }
        self.stream = stream
        width = stream.track.width ?? 0
        height = stream.track.height ?? 0
        durationNs = endMs * 1_000_000
    }

    /// The time of the next frame (ns from the file start), nil at the end.
    func nextTime() throws -> Int64? {
        if peeked == nil { peeked = try stream.next() }
        return peeked.map { $0.timestampMs * 1_000_000 }
    }

    /// Takes the next frame.
    func take() throws -> WebMBlock? {
        if peeked == nil { peeked = try stream.next() }
        defer { peeked = nil }
        return peeked
    }
}

/// Ogg by name or by its capture pattern.
func isOgg(_ path: String) -> Bool {
    if path.hasSuffix(".ogg") || path.hasSuffix(".opus") { return true }
    guard let f = fopen(path, "rb") else { return false }
    defer { fclose(f) }
    var magic = [UInt8](repeating: 0, count: 4)
    return fread(&magic, 1, 4, f) == 4 && magic == [0x4F, 0x67, 0x67, 0x53]
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

/// Ogg inputs are read whole (a 30-minute Opus track is a few MB).
func readInputFile(_ path: String) throws -> [UInt8] {
    guard let d = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
        throw PostInputError.unreadable(path)
    }
    return [UInt8](d)
}
