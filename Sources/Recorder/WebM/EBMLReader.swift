// Reading EBML element headers (RFC 8794 §4–§6) from a byte array, with
// explicit limits: IDs of 1–4 bytes (EBMLMaxIDLength 4), sizes of 1–8 bytes
// (EBMLMaxSizeLength 8), and "unknown size" reported as nil.

/// Errors of the WebM/Matroska reader, each naming what was wrong and where.
public enum WebMReadError: Error, Equatable {
    /// The file does not start with an EBML header.
    case notEBML
    /// DocType is neither "webm" nor "matroska".
    case unsupportedDocType(String)
    /// An element ID at this offset is malformed (zero first byte or longer than 4 bytes).
    case badID(offset: Int)
    /// A size VINT at this offset is malformed (zero first byte).
    case badSize(offset: Int)
    /// The data ends inside the element that starts at this offset.
    case truncated(offset: Int)
    /// An element exceeds its limit (or its parent).
    case elementTooLarge(id: UInt32, size: UInt64, offset: Int)
    /// Only Segment and Cluster may have an unknown size.
    case unknownSizeNotAllowed(id: UInt32, offset: Int)
    /// An integer or float element of invalid length.
    case badValue(id: UInt32, offset: Int)
    /// No Segment after the EBML header.
    case missingSegment
    /// TimestampScale of 0.
    case badTimestampScale
    /// More tracks than the reader's limit.
    case tooManyTracks(Int)
    /// A block too short for its header, or with a track number over 127.
    case badBlock(offset: Int)
    /// A block uses lacing (the recorder never writes it; not supported).
    case lacingUnsupported(offset: Int)
    /// A block for a track that Tracks did not declare.
    case unknownTrack(Int)
    /// A block before any cluster Timestamp.
    case blockWithoutClusterTimestamp(offset: Int)
}

/// An element header: where it starts, its ID, where its data starts and its size (nil = unknown).
struct EBMLHeader {
    var offset: Int
    var id: UInt32
    var dataStart: Int
    var size: UInt64?
}

/// A bounds-checked cursor over EBML bytes.
struct EBMLReader {
    let bytes: [UInt8]
    var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// Reads an element header; throws `.truncated` when the header itself does not fit.
    mutating func header() throws(WebMReadError) -> EBMLHeader {
        let start = position
        guard position < bytes.count else { throw .truncated(offset: start) }
        let first = bytes[position]
        guard first != 0 else { throw .badID(offset: start) }
        let idLength = first.leadingZeroBitCount + 1
        guard idLength <= 4 else { throw .badID(offset: start) }
        guard position + idLength <= bytes.count else { throw .truncated(offset: start) }
        var id: UInt32 = 0
        for i in 0..<idLength { id = id << 8 | UInt32(bytes[position + i]) }
        position += idLength
        let size = try vint(elementStart: start)
        return EBMLHeader(offset: start, id: id, dataStart: position, size: size)
    }

    /// Reads a size VINT; nil for "unknown size" (all value bits set).
    private mutating func vint(elementStart: Int) throws(WebMReadError) -> UInt64? {
        guard position < bytes.count else { throw .truncated(offset: elementStart) }
        let first = bytes[position]
        guard first != 0 else { throw .badSize(offset: position) }
        let width = first.leadingZeroBitCount + 1
        guard position + width <= bytes.count else { throw .truncated(offset: elementStart) }
        var value = UInt64(first) & ((1 << (8 - UInt64(width))) - 1)
        for i in 1..<max(width, 1) where i < width { value = value << 8 | UInt64(bytes[position + i]) }
        position += width
        let allOnes = (UInt64(1) << (7 * UInt64(width))) - 1
        return value == allOnes ? nil : value
    }

    static func uint(_ bytes: [UInt8], _ h: EBMLHeader) throws(WebMReadError) -> UInt64 {
        guard let n = h.size, n <= 8 else { throw .badValue(id: h.id, offset: h.offset) }
        var v: UInt64 = 0
        for i in 0..<Int(n) { v = v << 8 | UInt64(bytes[h.dataStart + i]) }
        return v
    }

    /// An unsigned integer element that must fit `max` (track numbers,
    /// picture sizes, channel counts): larger values are malformed, not a trap.
    static func int(_ bytes: [UInt8], _ h: EBMLHeader, max: Int = 1 << 30) throws(WebMReadError) -> Int {
        let v = try uint(bytes, h)
        guard v <= UInt64(max) else { throw .badValue(id: h.id, offset: h.offset) }
        return Int(v)
    }

    static func float(_ bytes: [UInt8], _ h: EBMLHeader) throws(WebMReadError) -> Double {
        switch h.size {
        case 0: return 0
        case 4: return Double(Float(bitPattern: UInt32(try uint(bytes, h))))
        case 8: return Double(bitPattern: try uint(bytes, h))
        default: throw .badValue(id: h.id, offset: h.offset)
        }
    }

    static func data(_ bytes: [UInt8], _ h: EBMLHeader) -> [UInt8] {
        Array(bytes[h.dataStart..<h.dataStart + Int(h.size ?? 0)])
    }

    static func string(_ bytes: [UInt8], _ h: EBMLHeader) -> String {
        String(decoding: data(bytes, h).prefix { $0 != 0 }, as: UTF8.self)
    }
}
