/// Transport-wide congestion control feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1, RTPFB FMT 15):
/// for a range of transport-wide sequence numbers, whether each packet
/// arrived and the arrival time deltas — the input of the sender's
/// bandwidth estimator.
///
/// The SFU reads viewers' feedback (for its own estimate of each viewer
/// leg); parsing only, nothing here writes it.
///
/// ```
/// |V=2|P|  FMT=15 |    PT=205     |           length              |
/// |                     SSRC of packet sender                     |
/// |                      SSRC of media source                     |
/// |      base sequence number     |      packet status count      |
/// |                 reference time                | fb pkt. count |
/// |          packet chunk         |         packet chunk          |
/// .                              ...                              .
/// |         packet chunk          |  recv delta   |  recv delta   |
/// .                              ...                              .
/// ```
/// Chunks: run length `|0|S S|run length (13)|` or status vector
/// `|1|0| 14 × 1-bit |` / `|1|1| 7 × 2-bit |`. Symbols: 0 not received,
/// 1 received with a 1-byte delta (0…63.75 ms), 2 received with a 2-byte
/// signed delta, 3 reserved. Deltas are in 250 µs; the reference time in
/// 64 ms (24-bit signed).
public struct TransportCCView {
    public static let format: UInt8 = 15

    public let packet: RTCPPacketView
    /// Offset (from the packet start) of the first receive delta.
    public let deltasOffset: Int

    /// Validates the whole message: chunks cover the status count, the
    /// deltas they call for are all present, no reserved symbol is used.
    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        guard packet.bodyLength >= 16 else {
            throw .tooShort(packetType: packet.packetType, format: packet.countOrFormat, length: packet.length)
        }
        let p = packet.pointer
        let end = 4 + packet.bodyLength
        let statusCount = Int(load16(p, 14))
        var o = 20
        var described = 0
        var deltaBytes = 0
        while described < statusCount {
            guard o + 2 <= end else {
                throw .transportCCChunksTruncated(statusCount: statusCount, described: described)
            }
            let chunk = load16(p, o); o += 2
            let remaining = statusCount - described
            if chunk & 0x8000 == 0 {                                  // run length
                let symbol = Int(chunk >> 13) & 0x03
                let n = min(Int(chunk & 0x1FFF), remaining)
                if symbol == 3 && n > 0 { throw .transportCCReservedSymbol }
                deltaBytes += symbol * n
                described += n
            } else if chunk & 0x4000 == 0 {                           // 14 × 1 bit
                let n = min(14, remaining)
                for i in 0..<n where chunk & (0x2000 >> UInt16(i)) != 0 { deltaBytes += 1 }
                described += n
            } else {                                                  // 7 × 2 bits
                let n = min(7, remaining)
                for i in 0..<n {
                    let symbol = Int(chunk >> UInt16(12 - 2 * i)) & 0x03
                    if symbol == 3 { throw .transportCCReservedSymbol }
                    deltaBytes += symbol
                }
                described += n
            }
        }
        guard o + deltaBytes <= end else { throw .transportCCDeltasTruncated }
        self.packet = packet
        self.deltasOffset = o
    }

    @inlinable public var senderSSRC: UInt32 { load32(packet.pointer, 4) }
    @inlinable public var mediaSSRC: UInt32 { load32(packet.pointer, 8) }
    @inlinable public var baseSequenceNumber: UInt16 { load16(packet.pointer, 12) }
    @inlinable public var packetStatusCount: Int { Int(load16(packet.pointer, 14)) }
    /// Reference time in multiples of 64 ms (sign-extended 24 bits).
    @inlinable public var referenceTime: Int32 { Int32(bitPattern: load24(packet.pointer, 16) << 8) >> 8 }
    @inlinable public var feedbackPacketCount: UInt8 { load8(packet.pointer, 19) }

    /// Every reported packet in sequence order, without allocating.
    @inlinable public func makeIterator() -> TransportCCIterator { TransportCCIterator(self) }
}

/// One packet's entry in a transport-wide CC feedback message.
public struct TransportCCPacketStatus: Hashable, Sendable {
    public enum Symbol: UInt8, Sendable {
        case notReceived = 0, smallDelta = 1, largeDelta = 2
    }
    public var sequenceNumber: UInt16
    public var symbol: Symbol
    /// Arrival delta to the previous received packet (or the reference
    /// time) in 250 µs units; 0 when not received.
    public var delta: Int16

    @inlinable public init(sequenceNumber: UInt16, symbol: Symbol, delta: Int16) {
        self.sequenceNumber = sequenceNumber
        self.symbol = symbol
        self.delta = delta
    }

    @inlinable public var isReceived: Bool { symbol != .notReceived }
    /// The delta in microseconds.
    @inlinable public var deltaMicroseconds: Int { Int(delta) * 250 }
}

/// Walks a validated `TransportCCView`'s chunks and deltas together.
public struct TransportCCIterator: IteratorProtocol {
    @usableFromInline let p: UnsafeRawPointer
    @usableFromInline var chunkOffset = 20
    @usableFromInline var deltaOffset: Int
    @usableFromInline var chunk: UInt16 = 0
    @usableFromInline var inChunk = 0        // symbols left in the current chunk
    @usableFromInline var index = 0          // symbols consumed in the current chunk
    @usableFromInline var remaining: Int
    @usableFromInline var sequence: UInt16

    @inlinable init(_ view: TransportCCView) {
        p = view.packet.pointer
        deltaOffset = view.deltasOffset
        remaining = view.packetStatusCount
        sequence = view.baseSequenceNumber
    }

    @inlinable
    public mutating func next() -> TransportCCPacketStatus? {
        while remaining > 0 {
            if inChunk == 0 {
                chunk = load16(p, chunkOffset); chunkOffset += 2
                index = 0
                if chunk & 0x8000 == 0 { inChunk = Int(chunk & 0x1FFF) }
                else if chunk & 0x4000 == 0 { inChunk = 14 }
                else { inChunk = 7 }
                continue
            }
            let raw: UInt8
            if chunk & 0x8000 == 0 { raw = UInt8((chunk >> 13) & 0x03) }
            else if chunk & 0x4000 == 0 { raw = UInt8((chunk >> UInt16(13 - index)) & 0x01) }
            else { raw = UInt8((chunk >> UInt16(12 - 2 * index)) & 0x03) }
            inChunk -= 1; index += 1; remaining -= 1
            let symbol = TransportCCPacketStatus.Symbol(rawValue: raw) ?? .notReceived
            var delta: Int16 = 0
            switch symbol {
            case .notReceived: break
            case .smallDelta: delta = Int16(load8(p, deltaOffset)); deltaOffset += 1
            case .largeDelta: delta = Int16(bitPattern: load16(p, deltaOffset)); deltaOffset += 2
            }
            let status = TransportCCPacketStatus(sequenceNumber: sequence, symbol: symbol, delta: delta)
            sequence &+= 1
            return status
        }
        return nil
    }
}

/// A transport-wide CC feedback message as a value (for tests and logs).
public struct TransportCCFeedback: Hashable, Sendable {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequenceNumber: UInt16
    public var referenceTime: Int32
    public var feedbackPacketCount: UInt8
    public var packets: [TransportCCPacketStatus]

    public init(_ view: TransportCCView) {
        senderSSRC = view.senderSSRC
        mediaSSRC = view.mediaSSRC
        baseSequenceNumber = view.baseSequenceNumber
        referenceTime = view.referenceTime
        feedbackPacketCount = view.feedbackPacketCount
        var packets: [TransportCCPacketStatus] = []
        var it = view.makeIterator()
        while let s = it.next() { packets.append(s) }
        self.packets = packets
    }
}
