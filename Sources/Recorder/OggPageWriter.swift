// Ogg page framing (RFC 3533 §6).
//
// Page header, all little-endian:
//   0  "OggS" capture pattern        4  stream_structure_version = 0
//   5  header_type_flag: 0x01 continued packet, 0x02 BOS, 0x04 EOS
//   6  granule_position (64 bit)    14  bitstream_serial_number (32 bit)
//  18  page_sequence_number (32)    22  CRC_checksum (32, see OggCRC)
//  26  number_page_segments         27  segment_table (lacing values)
// A packet is laced as n segments of 255 followed by one segment < 255
// (possibly 0), so a segment < 255 ends a packet (RFC 3533 §5). A page has
// at most 255 segments; a longer packet continues on the next page, whose
// "continued" flag is set. A page on which no packet ends has granule -1.

/// Frames packets into Ogg pages for one logical bitstream. Codec mappings
/// (Ogg Opus) decide the granule positions and where pages end; this type
/// owns lacing, page flags, sequence numbers and the checksum.
public struct OggPageWriter {
    public let serial: UInt32
    /// The sequence number the next page will carry.
    public private(set) var pageSequence: UInt32 = 0
    /// The granule position of the last packet that ended on a written page.
    public private(set) var lastGranule: Int64 = 0

    private var lacing: [UInt8] = []
    private var body: [UInt8] = []
    /// Granule of the last packet completed on the pending page, -1 if none.
    private var pendingGranule: Int64 = -1
    /// The pending page starts with the rest of a packet from the previous page.
    private var pendingContinued = false

    public init(serial: UInt32) {
        self.serial = serial
        lacing.reserveCapacity(255)
    }

    /// Whether packets (or parts of one) wait for the next `flush`.
    public var hasPendingData: Bool { !lacing.isEmpty }

    /// Bytes of packet data waiting in the pending page.
    public var pendingBodyBytes: Int { body.count }

    /// Appends one packet whose granule position (after it) is `granule`.
    /// Full pages (255 segments) are written to `sink` as they fill up.
    public mutating func append(packet: UnsafeRawBufferPointer, granule: Int64, to sink: some OggSink) throws {
        var offset = 0
        while true {
            if lacing.count == 255 {
                try writePage(eos: false, to: sink)
                pendingContinued = true  // the packet goes on: RFC 3533 §6 flag 0x01
            }
            let n = min(255, packet.count - offset)
            lacing.append(UInt8(n))
            if n > 0 { body.append(contentsOf: UnsafeRawBufferPointer(rebasing: packet[offset..<offset + n])) }
            offset += n
            if n < 255 { break }  // a segment < 255 ends the packet
        }
        pendingGranule = granule
    }

    /// Convenience for byte arrays.
    public mutating func append(packet: [UInt8], granule: Int64, to sink: some OggSink) throws {
        try packet.withUnsafeBytes { try append(packet: $0, granule: granule, to: sink) }
    }

    /// Writes the pending page, if any. With `eos`, the page is marked end of
    /// stream; if nothing is pending an empty EOS page is written (RFC 3533 §6
    /// allows pages with zero segments).
    public mutating func flush(eos: Bool = false, to sink: some OggSink) throws {
        guard hasPendingData || eos else { return }
        try writePage(eos: eos, to: sink)
        pendingContinued = false
    }

    private mutating func writePage(eos: Bool, to sink: some OggSink) throws {
        var flags: UInt8 = 0
        if pendingContinued { flags |= 0x01 }
        if pageSequence == 0 { flags |= 0x02 }  // first page: beginning of stream
        if eos { flags |= 0x04 }
        // A page on which no packet ends carries -1 (RFC 3533 §6). An empty
        // EOS page repeats the last granule so readers keep the duration.
        let granule: Int64
        if pendingGranule >= 0 {
            granule = pendingGranule
        } else if lacing.isEmpty {
            granule = lastGranule
        } else {
            granule = -1
        }
        var page = [UInt8]()
        page.reserveCapacity(27 + lacing.count + body.count)
        page.append(contentsOf: [0x4F, 0x67, 0x67, 0x53, 0, flags])  // "OggS", version 0
        appendLE(&page, UInt64(bitPattern: granule), bytes: 8)
        appendLE(&page, UInt64(serial), bytes: 4)
        appendLE(&page, UInt64(pageSequence), bytes: 4)
        appendLE(&page, 0, bytes: 4)  // CRC, filled in below
        page.append(UInt8(lacing.count))
        page.append(contentsOf: lacing)
        page.append(contentsOf: body)
        let crc = OggCRC.checksum(page)
        for i in 0..<4 { page[22 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try page.withUnsafeBytes { try sink.write($0) }

        if pendingGranule >= 0 { lastGranule = pendingGranule }
        pageSequence &+= 1
        lacing.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        pendingGranule = -1
    }
}

@inline(__always)
func appendLE(_ out: inout [UInt8], _ value: UInt64, bytes: Int) {
    for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
}
