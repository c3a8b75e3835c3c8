// Reading Ogg streams (RFC 3533): pages, checked, then packets reassembled
// from their lacing. Used by post-processing (mixing recorded Ogg Opus) and
// tests. Independent of the writer except for the shared CRC.

/// One page's header fields and body.
public struct OggPage: Sendable, Equatable {
    public var flags: UInt8
    public var granule: Int64
    public var serial: UInt32
    public var sequence: UInt32
    public var lacing: [UInt8]
    public var body: [UInt8]
    public var continued: Bool { flags & 0x01 != 0 }
    public var beginsStream: Bool { flags & 0x02 != 0 }
    public var endsStream: Bool { flags & 0x04 != 0 }
}

/// One reassembled packet.
public struct OggPacket: Sendable, Equatable {
    public var bytes: [UInt8]
    /// The granule position of the page this packet ends on (RFC 3533 §6:
    /// it belongs to the last packet completed on that page).
    public var granule: Int64
    /// Whether it is the last packet completed on its page (so `granule` is exactly its own).
    public var endsPage: Bool
    public var serial: UInt32
}

/// Errors of `OggReader`, naming the offset or page at fault.
public enum OggReadError: Error, Equatable {
    case badCapturePattern(offset: Int)
    case unsupportedVersion(offset: Int, version: UInt8)
    /// The data ends inside the page that starts here.
    case truncated(offset: Int)
    case badCRC(offset: Int, sequence: UInt32)
    /// A page continues a packet but none was open, or a new packet starts while one was open.
    case unexpectedContinuation(sequence: UInt32)
    /// A reassembled packet exceeds the reader's limit.
    case packetTooLarge(Int)
    /// More than one logical stream (the recorder writes one per file).
    case multipleStreams(UInt32, UInt32)
}

/// Splits Ogg data into checked pages and packets.
public struct OggReader {
    /// Largest packet accepted (Opus packets are ≤ 1275 × 48 bytes; headers are small).
    public var maxPacketSize = 1 << 20
    private let data: [UInt8]
    public private(set) var offset = 0

    public init(_ data: [UInt8]) { self.data = data }

    /// The next page, nil at the end of the data. With `allowTruncatedTail`,
    /// a page cut off by the end of the data (a crashed recording) ends the stream.
    public mutating func nextPage(allowTruncatedTail: Bool = false) throws(OggReadError) -> OggPage? {
        let at = offset
        guard at < data.count else { return nil }
        func truncated() throws(OggReadError) -> OggPage? {
            if allowTruncatedTail { offset = data.count; return nil }
            throw .truncated(offset: at)
        }
        guard data.count - at >= 27 else { return try truncated() }
        guard data[at] == 0x4F, data[at + 1] == 0x67, data[at + 2] == 0x67, data[at + 3] == 0x53 else {
            throw .badCapturePattern(offset: at)
        }
        guard data[at + 4] == 0 else { throw .unsupportedVersion(offset: at, version: data[at + 4]) }
        let segments = Int(data[at + 26])
        guard data.count - at >= 27 + segments else { return try truncated() }
        let lacing = Array(data[at + 27..<at + 27 + segments])
        let bodyLength = lacing.reduce(0) { $0 + Int($1) }
        let end = at + 27 + segments + bodyLength
        guard end <= data.count else { return try truncated() }
        let stored = le(at + 22, 4)
        var crc = data.withUnsafeBytes { OggCRC.update(0, UnsafeRawBufferPointer(rebasing: $0[at..<at + 22])) }
        crc = withUnsafeBytes(of: UInt32(0)) { OggCRC.update(crc, $0) }  // the CRC field counts as zero
        crc = data.withUnsafeBytes { OggCRC.update(crc, UnsafeRawBufferPointer(rebasing: $0[at + 26..<end])) }
        let sequence = UInt32(le(at + 18, 4))
        guard crc == UInt32(stored) else { throw .badCRC(offset: at, sequence: sequence) }
        offset = end
        return OggPage(flags: data[at + 5], granule: Int64(bitPattern: le(at + 6, 8)), serial: UInt32(le(at + 14, 4)),
                       sequence: sequence, lacing: lacing, body: Array(data[at + 27 + segments..<end]))
    }

    private func le(_ at: Int, _ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = v << 8 | UInt64(data[at + i]) }
        return v
    }

    /// Every packet of a single-stream Ogg file, in order.
    public static func packets(_ data: [UInt8], allowTruncatedTail: Bool = false) throws(OggReadError) -> [OggPacket] {
        var reader = OggReader(data)
        var out: [OggPacket] = []
        var current: [UInt8] = []
        var open = false
        var serial: UInt32?
        while let page = try reader.nextPage(allowTruncatedTail: allowTruncatedTail) {
            if let s = serial, s != page.serial { throw .multipleStreams(s, page.serial) }
            serial = page.serial
            guard page.continued == open else { throw .unexpectedContinuation(sequence: page.sequence) }
            let lastEnding = page.lacing.lastIndex { $0 < 255 }
            var at = 0
            for (i, l) in page.lacing.enumerated() {
                current.append(contentsOf: page.body[at..<at + Int(l)])
                at += Int(l)
                guard current.count <= reader.maxPacketSize else { throw .packetTooLarge(current.count) }
                if l < 255 {
                    out.append(OggPacket(bytes: current, granule: page.granule, endsPage: i == lastEnding, serial: page.serial))
                    current.removeAll(keepingCapacity: true)
                    open = false
                } else {
                    open = true
                }
            }
        }
        return out
    }
}
