// TEMPORARY stand-ins until the `webm` branch's OggReader and WebMReader
// are merged into main; then post-processing switches to those and this
// file is deleted. Minimal, but they reject malformed input rather than
// guess: only what post-processing reads is parsed.
import Foundation

/// Why an input file could not be read.
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

/// Every packet of the first logical stream of an Ogg file with the granule
/// of its page (RFC 3533 §5–6; the CRC is not re-checked here).
struct StandInOggPackets {
    var packets: [[UInt8]] = []
    var lastGranule: Int64 = 0

    init(bytes: [UInt8], path: String) throws {
        var at = 0
        var current: [UInt8] = []
        var serial: UInt32? = nil
        while at < bytes.count {
            guard bytes.count - at >= 27, bytes[at] == 0x4F, bytes[at + 1] == 0x67, bytes[at + 2] == 0x67,
                  bytes[at + 3] == 0x53 else { throw PostInputError.malformed(path, "no Ogg page at byte \(at)") }
            let nseg = Int(bytes[at + 26])
            guard bytes.count - at >= 27 + nseg else { break }  // a live file's torn tail
            var body = at + 27 + nseg
            let bodyLen = bytes[(at + 27)..<(at + 27 + nseg)].reduce(0) { $0 + Int($1) }
            guard body + bodyLen <= bytes.count else { break }
            var s: UInt32 = 0, g: UInt64 = 0
            for i in 0..<4 { s |= UInt32(bytes[at + 14 + i]) << (8 * UInt32(i)) }
            for i in 0..<8 { g |= UInt64(bytes[at + 6 + i]) << (8 * UInt64(i)) }
            if serial == nil { serial = s }
            if s == serial {
                for i in 0..<nseg {
                    let l = Int(bytes[at + 27 + i])
                    current.append(contentsOf: bytes[body..<(body + l)])
                    body += l
                    if l < 255 { packets.append(current); current = [] }
                }
                if Int64(bitPattern: g) >= 0 { lastGranule = Int64(bitPattern: g) }
            }
            at += 27 + nseg + bodyLen
        }
    }
}

/// The tracks and blocks of a WebM/Matroska file: just what decoding needs.
/// Unknown-size Segment and Cluster elements (live-written files) are read
/// by descending into them instead of skipping.
struct StandInWebM {
    struct Track { var number: Int; var type: Int; var codecID: String; var codecPrivate: [UInt8]; var width = 0; var height = 0; var channels = 1 }
    struct Block { var track: Int; var timeNs: Int64; var keyframe: Bool; var range: Range<Int> }
    var tracks: [Track] = []
    var blocks: [Block] = []
    var durationNs: Int64 = 0
    let bytes: [UInt8]

    init(bytes: [UInt8], path: String) throws {
        self.bytes = bytes
        var at = 0
        var scale: Int64 = 1_000_000
        var clusterTime: Int64 = 0
        var track: Track? = nil
        var ends: [Int] = []  // ends of the masters we are inside (for TrackEntry)
        var groupKey = true
        var groupBlock: (Int, Int)? = nil
        var duration: Double? = nil
        func fail(_ why: String) -> PostInputError { .malformed(path, "\(why) at byte \(at)") }
        func vint(_ keepMarker: Bool) throws -> (value: UInt64, unknown: Bool) {
            guard at < bytes.count, bytes[at] != 0 else { throw fail("bad EBML number") }
            let len = bytes[at].leadingZeroBitCount + 1
            guard at + len <= bytes.count else { throw fail("truncated EBML number") }
            var v = UInt64(keepMarker ? bytes[at] : bytes[at] & (0xFF >> len))
            var allOnes = v == UInt64(0xFF >> len)
            for i in 1..<len { v = v << 8 | UInt64(bytes[at + i]); allOnes = allOnes && bytes[at + i] == 0xFF }
            at += len
            return (v, allOnes)
        }
        func uint(_ r: Range<Int>) -> Int64 { r.reduce(Int64(0)) { $0 << 8 | Int64(bytes[$1]) } }
        func closeTrack() { if let t = track { tracks.append(t); track = nil } }
        func closeGroup() {
            if let (s, e) = groupBlock { addBlock(s, e, groupKey) }
            groupBlock = nil
        }
        func addBlock(_ s: Int, _ e: Int, _ key: Bool) {
            var p = s
            guard p < e, bytes[p] != 0 else { return }
            let len = bytes[p].leadingZeroBitCount + 1
            var n = Int(bytes[p] & (0xFF >> len))
            for i in 1..<len { n = n << 8 | Int(bytes[p + i]) }
            p += len
            guard p + 3 <= e else { return }
            let rel = Int64(Int16(bitPattern: UInt16(bytes[p]) << 8 | UInt16(bytes[p + 1])))
            let flags = bytes[p + 2]
            guard flags & 0x06 == 0 else { return }  // laced blocks: not written by our recorder or ffmpeg for video/Opus
            blocks.append(Block(track: n, timeNs: (clusterTime + rel) * scale, keyframe: key || flags & 0x80 != 0,
                                range: (p + 3)..<e))
        }
        while at < bytes.count {
            while let last = ends.last, at >= last { ends.removeLast(); closeTrack() }
            let start = at
            let id = try vint(true).value
            let (size, unknown) = try vint(false)
            let body = at
            let end = unknown ? bytes.count : body + Int(clamping: size)
            guard unknown || end <= bytes.count else {
                if id == 0xA3 || id == 0xA0 || id == 0x1F43B675 || id == 0x18538067 { break }  // torn tail of a live file
                throw fail("element 0x\(String(id, radix: 16)) runs past the end")
            }
            switch id {
            case 0x18538067, 0x1F43B675, 0x1654AE6B, 0xE0, 0xE1, 0x1549A966:  // Segment, Cluster, Tracks, Video, Audio, Info: descend
                if id == 0x1F43B675 { closeGroup() }
                continue
            case 0xAE:  // TrackEntry
                closeTrack()
                track = Track(number: 0, type: 0, codecID: "", codecPrivate: [])
                ends.append(end)
                continue
            case 0xA0:  // BlockGroup
                closeGroup()
                groupKey = true
                continue
            case 0xD7: track?.number = Int(uint(body..<end))
            case 0x83: track?.type = Int(uint(body..<end))
            case 0x86: track?.codecID = String(decoding: bytes[body..<end], as: UTF8.self)
            case 0x63A2: track?.codecPrivate = Array(bytes[body..<end])
            case 0xB0: track?.width = Int(uint(body..<end))
            case 0xBA: track?.height = Int(uint(body..<end))
            case 0x9F: track?.channels = Int(uint(body..<end))
            case 0x2AD7B1: scale = max(1, uint(body..<end))
            case 0x4489:
                if end - body == 8 { duration = Double(bitPattern: UInt64(uint(body..<end))) }
                if end - body == 4 { duration = Double(Float(bitPattern: UInt32(uint(body..<end)))) }
            case 0xE7: clusterTime = uint(body..<end)
            case 0xA3: closeGroup(); addBlock(body, end, false)
            case 0xA1: groupBlock = (body, end)
            case 0xFB: groupKey = false
            default: break
            }
            _ = start
            at = end
        }
        closeGroup()
        closeTrack()
        if let duration { durationNs = Int64(duration * Double(scale)) }
        if let last = blocks.map(\.timeNs).max() { durationNs = max(durationNs, last) }
    }
}
