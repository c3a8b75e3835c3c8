/// The CRC-32 of Ogg pages (RFC 3533 §6): polynomial 0x04C11DB7, initial
/// value 0, no bit reflection, no final XOR.
public enum OggCRC {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var r = UInt32(i) << 24
        for _ in 0..<8 { r = (r & 0x8000_0000) != 0 ? (r << 1) ^ 0x04C1_1DB7 : r << 1 }
        return r
    }

    /// The checksum of `bytes`, treating the 4 bytes at `zeroing` (the CRC
    /// field of a page) as zero.
    public static func checksum(_ bytes: ArraySlice<UInt8>, zeroing field: Range<Int>? = nil) -> UInt32 {
        var crc: UInt32 = 0
        var i = bytes.startIndex
        for b in bytes {
            let v: UInt8 = (field?.contains(i - bytes.startIndex) ?? false) ? 0 : b
            crc = (crc << 8) ^ table[Int(((crc >> 24) ^ UInt32(v)) & 0xFF)]
            i += 1
        }
        return crc
    }
}

/// Why a body is not an Ogg Opus stream; each case names the first rule the
/// bytes break (answered 415 with this message).
public enum OggOpusFailure: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case truncated(have: Int, need: Int)
    case noCapturePattern
    case unsupportedVersion(UInt8)
    case reservedFlags(UInt8)
    case notBeginningOfStream
    case continuedPacket
    case noSegments
    case crcMismatch(stored: UInt32, computed: UInt32)
    case firstPacketNotComplete
    case notOpus
    case opusHeadTooShort(Int)
    case unsupportedOpusVersion(UInt8)
    case noChannels
    case badChannelMapping(String)

    public var description: String {
        switch self {
        case .empty: return "the body is empty; an Ogg Opus stream was expected"
        case .truncated(let have, let need): return "the body ends inside the first Ogg page (\(have) of \(need) bytes)"
        case .noCapturePattern: return "the body does not start with an Ogg page (no 'OggS' capture pattern)"
        case .unsupportedVersion(let v): return "Ogg page version \(v) is not supported (0 expected)"
        case .reservedFlags(let f): return "the first Ogg page has reserved header-type bits set (0x\(hex(UInt32(f), 2)))"
        case .notBeginningOfStream: return "the first Ogg page does not have the beginning-of-stream flag"
        case .continuedPacket: return "the first Ogg page continues a packet from an earlier page"
        case .noSegments: return "the first Ogg page has no segments"
        case .crcMismatch(let s, let c): return "the first Ogg page fails its CRC check (stored \(hex(s, 8)), computed \(hex(c, 8)))"
        case .firstPacketNotComplete: return "the Opus identification header does not end on the first Ogg page"
        case .notOpus: return "the first Ogg packet is not an Opus identification header ('OpusHead'); only Ogg Opus is accepted"
        case .opusHeadTooShort(let n): return "the OpusHead packet is \(n) bytes, at least 19 are required"
        case .unsupportedOpusVersion(let v): return "OpusHead version \(v) is not supported (major version 0 expected)"
        case .noChannels: return "the OpusHead packet declares 0 channels"
        case .badChannelMapping(let why): return "the OpusHead channel mapping is invalid: \(why)"
        }
    }
}

func hex(_ v: UInt32, _ width: Int) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// Checks, from the first bytes of an upload, that it is an Ogg Opus stream:
/// the body must begin with a valid Ogg page (capture pattern, version 0,
/// beginning-of-stream, correct CRC) whose first packet is a well-formed
/// `OpusHead` (RFC 3533, RFC 7845 §5.1). It buffers at most one page
/// (≤ 65 307 bytes), so it can sit in front of a streamed upload.
public struct OggOpusSniffer: Sendable {
    public enum Verdict: Equatable, Sendable {
        case needMore
        case accepted
        case rejected(OggOpusFailure)
    }

    /// The largest possible Ogg page: 27 + 255 + 255 × 255 bytes.
    public static let maxPageSize = 27 + 255 + 255 * 255

    private var buffer: [UInt8] = []
    public private(set) var verdict: Verdict = .needMore

    public init() {}

    /// Feeds the next bytes of the body; returns the verdict so far.
    @discardableResult
    public mutating func feed<C: Collection>(_ bytes: C) -> Verdict where C.Element == UInt8 {
        guard verdict == .needMore else { return verdict }
        let want = OggOpusSniffer.maxPageSize - buffer.count
        buffer.append(contentsOf: bytes.prefix(want))
        switch OggOpusSniffer.check(buffer[...]) {
        case .success:
            verdict = .accepted
            buffer = []
        case .failure(.truncated):
            break
        case .failure(let f):
            verdict = .rejected(f)
            buffer = []
        }
        return verdict
    }

    /// The final verdict once the body has ended.
    public mutating func finish() -> Verdict {
        guard verdict == .needMore else { return verdict }
        if buffer.isEmpty {
            verdict = .rejected(.empty)
        } else if case .failure(let f) = OggOpusSniffer.check(buffer[...]) {
            verdict = .rejected(f)
        } else {
            verdict = .accepted
        }
        buffer = []
        return verdict
    }

    /// Checks a complete first page at the start of `b`; `.truncated` when more bytes are needed.
    public static func check(_ b: ArraySlice<UInt8>) -> Result<Void, OggOpusFailure> {
        let s = b.startIndex
        func at(_ i: Int) -> UInt8 { b[s + i] }
        // Fail as early as possible on the bytes we have.
        let magic: [UInt8] = Array("OggS".utf8)
        for i in 0..<min(4, b.count) where at(i) != magic[i] { return .failure(.noCapturePattern) }
        if b.count < 27 { return .failure(.truncated(have: b.count, need: 27)) }
        if at(4) != 0 { return .failure(.unsupportedVersion(at(4))) }
        let flags = at(5)
        if flags & 0xF8 != 0 { return .failure(.reservedFlags(flags)) }
        if flags & 0x01 != 0 { return .failure(.continuedPacket) }
        if flags & 0x02 == 0 { return .failure(.notBeginningOfStream) }
        let nseg = Int(at(26))
        if nseg == 0 { return .failure(.noSegments) }
        if b.count < 27 + nseg { return .failure(.truncated(have: b.count, need: 27 + nseg)) }
        var bodyLength = 0
        var firstPacketLength = -1
        for k in 0..<nseg {
            let lace = Int(at(27 + k))
            bodyLength += lace
            if firstPacketLength < 0 && lace < 255 { firstPacketLength = bodyLength }
        }
        let pageLength = 27 + nseg + bodyLength
        if b.count < pageLength { return .failure(.truncated(have: b.count, need: pageLength)) }
        let stored = UInt32(at(22)) | UInt32(at(23)) << 8 | UInt32(at(24)) << 16 | UInt32(at(25)) << 24
        let computed = OggCRC.checksum(b[s..<(s + pageLength)], zeroing: 22..<26)
        if stored != computed { return .failure(.crcMismatch(stored: stored, computed: computed)) }
        // The first packet: the Opus identification header (RFC 7845 §5.1).
        let body = s + 27 + nseg
        let head = Array("OpusHead".utf8)
        let available = firstPacketLength < 0 ? bodyLength : firstPacketLength
        if available < 8 || Array(b[body..<(body + 8)]) != head { return .failure(.notOpus) }
        if firstPacketLength < 0 { return .failure(.firstPacketNotComplete) }
        if firstPacketLength < 19 { return .failure(.opusHeadTooShort(firstPacketLength)) }
        let version = b[body + 8]
        if version >> 4 != 0 { return .failure(.unsupportedOpusVersion(version)) }
        let channels = Int(b[body + 9])
        if channels == 0 { return .failure(.noChannels) }
        let family = b[body + 18]
        if family == 0 {
            if channels > 2 { return .failure(.badChannelMapping("mapping family 0 allows 1 or 2 channels, not \(channels)")) }
        } else {
            if firstPacketLength < 21 + channels {
                return .failure(.badChannelMapping("mapping family \(family) needs a \(2 + channels)-byte table"))
            }
            let streams = Int(b[body + 19])
            let coupled = Int(b[body + 20])
            if streams == 0 { return .failure(.badChannelMapping("stream count is 0")) }
            if coupled > streams { return .failure(.badChannelMapping("more coupled streams (\(coupled)) than streams (\(streams))")) }
            for k in 0..<channels {
                let m = Int(b[body + 21 + k])
                if m != 255 && m >= streams + coupled {
                    return .failure(.badChannelMapping("channel \(k) maps to \(m), beyond \(streams + coupled) decoded channels"))
                }
            }
        }
        return .success(())
    }
}
