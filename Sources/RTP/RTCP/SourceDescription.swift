/// Source description (RFC 3550 §6.5, PT 202): per-source items, above all
/// the CNAME that ties a participant's audio and video SSRCs together for
/// lip sync.
///
/// The SFU sends a CNAME for every SSRC it originates toward a viewer and
/// otherwise only reads SDES.
///
/// ```
/// |V=2|P|    SC   |  PT=SDES=202  |             length            |
/// |                          SSRC/CSRC_1                          |   chunk 1
/// |    CNAME=1    |     length    | user and domain name        ...
/// | ... items ... |  END = 0      | zero padding to 32 bits       |
/// |                          SSRC/CSRC_2  ...                     |   chunk 2
/// ```
public struct SourceDescription: Hashable, Sendable, RTCPSerializable {
    public static let end: UInt8 = 0
    public static let cname: UInt8 = 1

    /// One item: its type (CNAME = 1, NAME = 2, … PRIV = 8) and raw text.
    public struct Item: Hashable, Sendable {
        public var type: UInt8
        public var value: [UInt8]
        public init(type: UInt8, value: [UInt8]) { self.type = type; self.value = value }
    }

    /// The items describing one source.
    public struct Chunk: Hashable, Sendable {
        public var ssrc: UInt32
        public var items: [Item]
        public init(ssrc: UInt32, items: [Item]) { self.ssrc = ssrc; self.items = items }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    /// A single CNAME chunk (what the SFU sends).
    public init(ssrc: UInt32, cname: String) {
        chunks = [Chunk(ssrc: ssrc, items: [Item(type: SourceDescription.cname, value: Array(cname.utf8))])]
    }

    public init(_ view: SourceDescriptionView) {
        var chunks: [Chunk] = []
        view.walk { ssrc in
            chunks.append(Chunk(ssrc: ssrc, items: []))
        } item: { type, value in
            chunks[chunks.count - 1].items.append(Item(type: type, value: Array(value)))
        }
        self.chunks = chunks
    }

    static func chunkLength(_ c: Chunk) -> Int {
        let raw = 4 + c.items.reduce(0) { $0 + 2 + $1.value.count } + 1   // + END
        return (raw + 3) & ~3
    }

    public var serializedLength: Int { 4 + chunks.reduce(0) { $0 + SourceDescription.chunkLength($1) } }

    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard chunks.count <= 31 else { throw .tooManyItems(chunks.count) }
        for c in chunks {
            for item in c.items where item.value.count > 255 || item.type == 0 {
                throw .tooManyItems(item.value.count)
            }
        }
        let size = serializedLength
        guard size / 4 - 1 <= 0xFFFF else { throw .tooManyItems(size) }
        let p = try reserve(buffer, size)
        writeRTCPHeader(p, count: UInt8(chunks.count), type: RTCPPacketType.sourceDescription, size: size)
        var o = 4
        for c in chunks {
            let start = o
            store32(p, o, c.ssrc); o += 4
            for item in c.items {
                store8(p, o, item.type)
                store8(p, o + 1, UInt8(item.value.count))
                item.value.withUnsafeBytes { (p + o + 2).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                o += 2 + item.value.count
            }
            let end = start + SourceDescription.chunkLength(c)
            (p + o).initializeMemory(as: UInt8.self, repeating: 0, count: end - o)   // END + padding
            o = end
        }
        return size
    }
}

/// A validated SDES packet in place (see `SourceDescription`).
public struct SourceDescriptionView {
    public let packet: RTCPPacketView

    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        self.packet = packet
        if let chunk = walk(chunk: { _ in }, item: { _, _ in }) { throw .sdesTruncated(chunk: chunk) }
    }

    @inlinable public var chunkCount: Int { Int(packet.countOrFormat) }

    /// Visits every chunk's SSRC and then its items, in order. Returns the
    /// index of the first malformed chunk, or nil when all are well formed.
    @inlinable @discardableResult
    public func walk(chunk: (UInt32) -> Void, item: (UInt8, UnsafeRawBufferPointer) -> Void) -> Int? {
        let p = packet.pointer + 4
        let end = packet.bodyLength
        var o = 0
        for index in 0..<chunkCount {
            guard o + 4 <= end else { return index }
            chunk(load32(p, o)); o += 4
            while true {
                guard o < end else { return index }
                let type = load8(p, o)
                if type == SourceDescription.end {
                    o = (o + 1 + 3) & ~3                       // END, then pad to 32 bits
                    guard o <= end else { return index }
                    break
                }
                guard o + 2 <= end else { return index }
                let n = Int(load8(p, o + 1))
                guard o + 2 + n <= end else { return index }
                item(type, UnsafeRawBufferPointer(start: p + o + 2, count: n))
                o += 2 + n
            }
        }
        return nil
    }

    /// The CNAME of `ssrc`, in place, if this packet carries one.
    @inlinable
    public func cname(of ssrc: UInt32) -> UnsafeRawBufferPointer? {
        var current: UInt32 = 0
        var found: UnsafeRawBufferPointer? = nil
        walk { current = $0 } item: { type, value in
            if found == nil, current == ssrc, type == SourceDescription.cname { found = value }
        }
        return found
    }
}
