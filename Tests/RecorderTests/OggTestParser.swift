// A test-only Ogg reader, written apart from the writer, to check pages the
// writer produced and to pull Opus packets out of ffmpeg-made files.
import XCTest
@testable import Recorder

struct ParsedPage {
    var flags: UInt8
    var granule: Int64
    var serial: UInt32
    var sequence: UInt32
    var lacing: [UInt8]
    var body: [UInt8]
    var continued: Bool { flags & 1 != 0 }
    var bos: Bool { flags & 2 != 0 }
    var eos: Bool { flags & 4 != 0 }
}

enum OggParseError: Error { case capture(Int), version, truncated, crc(UInt32) }

func le(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in (0..<n).reversed() { v = v << 8 | UInt64(b[at + i]) }
    return v
}

/// Parses every page, checking capture pattern, version and CRC (RFC 3533 §6).
/// A truncated last page is an error unless `allowTruncatedTail`.
func parsePages(_ data: [UInt8], allowTruncatedTail: Bool = false) throws -> [ParsedPage] {
    var pages: [ParsedPage] = []
    var at = 0
    while at < data.count {
        guard data.count - at >= 27 else { if allowTruncatedTail { break }; throw OggParseError.truncated }
        guard data[at..<at + 4].elementsEqual([0x4F, 0x67, 0x67, 0x53]) else { throw OggParseError.capture(at) }
        guard data[at + 4] == 0 else { throw OggParseError.version }
        let nseg = Int(data[at + 26])
        guard data.count - at >= 27 + nseg else { if allowTruncatedTail { break }; throw OggParseError.truncated }
        let lacing = Array(data[at + 27..<at + 27 + nseg])
        let bodyLen = lacing.reduce(0) { $0 + Int($1) }
        let end = at + 27 + nseg + bodyLen
        guard end <= data.count else { if allowTruncatedTail { break }; throw OggParseError.truncated }
        var page = Array(data[at..<end])
        let stored = UInt32(le(page, 22, 4))
        page[22] = 0; page[23] = 0; page[24] = 0; page[25] = 0
        guard OggCRC.checksum(page) == stored else { throw OggParseError.crc(UInt32(le(data, at + 18, 4))) }
        pages.append(ParsedPage(flags: data[at + 5], granule: Int64(bitPattern: le(data, at + 6, 8)),
                                serial: UInt32(le(data, at + 14, 4)), sequence: UInt32(le(data, at + 18, 4)),
                                lacing: lacing, body: Array(data[at + 27 + nseg..<end])))
        at = end
    }
    return pages
}

/// Reassembles packets from lacing (RFC 3533 §5); each packet carries the
/// granule of the page it ends on.
func packets(of pages: [ParsedPage]) -> [(bytes: [UInt8], granule: Int64)] {
    var out: [(bytes: [UInt8], granule: Int64)] = []
    var current: [UInt8] = []
    var inPacket = false
    for p in pages {
        XCTAssertEqual(p.continued, inPacket, "continued flag of page \(p.sequence)")
        var off = 0
        for l in p.lacing {
            current.append(contentsOf: p.body[off..<off + Int(l)])
            off += Int(l)
            if l < 255 {
                out.append((current, p.granule))
                current = []
                inPacket = false
            } else {
                inPacket = true
            }
        }
    }
    return out
}
