/// Generic NACK (RFC 4585 §6.2.1, RTPFB FMT 1): a list of lost RTP packets,
/// each FCI entry a packet id (PID) plus a bitmask (BLP) of the 16 packets
/// after it.
///
/// The SFU answers viewers' NACKs from its packet cache and sends its own
/// NACKs to publishers for loss on their leg (built from `NackGenerator`).
///
/// ```
/// |V=2|P| FMT=1   |   PT=205      |          length               |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// |            PID                |             BLP               |  × N
/// ```
/// BLP bit i (least significant first) set: packet PID + i + 1 is lost too.
public struct GenericNACK: Hashable, Sendable, RTCPSerializable {
    public static let format: UInt8 = 1

    /// One FCI entry.
    public struct Item: Hashable, Sendable {
        public var packetID: UInt16
        public var lostBitmask: UInt16
        @inlinable public init(packetID: UInt16, lostBitmask: UInt16) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }

        /// Calls `body` with every sequence number the entry reports, in order.
        @inlinable public func forEachLost(_ body: (UInt16) -> Void) {
            body(packetID)
            var mask = lostBitmask
            var i: UInt16 = 1
            while mask != 0 {
                if mask & 1 != 0 { body(packetID &+ i) }
                mask >>= 1
                i += 1
            }
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var items: [Item]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, items: [Item]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.items = items
    }

    /// The minimal items for `lost` (sequence numbers in send order,
    /// ascending modulo wrap; duplicates allowed).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lost: [UInt16]) {
        var items: [Item] = []
        items.reserveCapacity(lost.count)
        lost.withUnsafeBufferPointer { buffer in
            GenericNACK.forEachItem(lost: buffer) { items.append($0) }
        }
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, items: items)
    }

    public init(_ view: GenericNACKView) {
        senderSSRC = view.senderSSRC
        mediaSSRC = view.mediaSSRC
        items = (0..<view.itemCount).map { view.item(at: $0) }
    }

    /// Every lost sequence number the message reports, in FCI order.
    public var lostSequenceNumbers: [UInt16] {
        var out: [UInt16] = []
        for item in items { item.forEachLost { out.append($0) } }
        return out
    }

    /// Packs `lost` (ascending modulo wrap) into PID+BLP items, calling
    /// `body` for each; a number within 16 after the current PID joins its
    /// bitmask, anything else starts a new item. No allocation.
    @inlinable
    public static func forEachItem(lost: UnsafeBufferPointer<UInt16>, _ body: (Item) -> Void) {
        var i = 0
        while i < lost.count {
            var item = Item(packetID: lost[i], lostBitmask: 0)
            i += 1
            while i < lost.count {
                let d = lost[i] &- item.packetID
                if d == 0 { i += 1; continue }                    // duplicate
                guard d <= 16 else { break }
                item.lostBitmask |= 1 << (d - 1)
                i += 1
            }
            body(item)
        }
    }

    /// Number of items `forEachItem(lost:_:)` produces.
    @inlinable
    public static func itemCount(lost: UnsafeBufferPointer<UInt16>) -> Int {
        var n = 0
        forEachItem(lost: lost) { _ in n += 1 }
        return n
    }

    public var serializedLength: Int { 12 + 4 * items.count }

    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard !items.isEmpty else { throw .emptyFeedback(packetType: RTCPPacketType.transportFeedback, format: Self.format) }
        guard serializedLength / 4 - 1 <= 0xFFFF else { throw .tooManyItems(items.count) }
        let size = serializedLength
        let p = try reserve(buffer, size)
        writeFeedbackHeader(p, format: Self.format, type: RTCPPacketType.transportFeedback, size: size,
                            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC)
        for (i, item) in items.enumerated() {
            store16(p, 12 + 4 * i, item.packetID)
            store16(p, 14 + 4 * i, item.lostBitmask)
        }
        return size
    }

    /// Writes a NACK for `lost` (ascending modulo wrap) without allocating —
    /// the path from `NackGenerator.tick` to the publisher.
    @inlinable
    public static func serialize(senderSSRC: UInt32, mediaSSRC: UInt32, lost: UnsafeBufferPointer<UInt16>,
                                 into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        let count = itemCount(lost: lost)
        guard count > 0 else { throw .emptyFeedback(packetType: RTCPPacketType.transportFeedback, format: format) }
        guard count <= 0xFFFD else { throw .tooManyItems(count) }
        let size = 12 + 4 * count
        let p = try reserve(buffer, size)
        writeFeedbackHeader(p, format: format, type: RTCPPacketType.transportFeedback, size: size,
                            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC)
        var o = 12
        forEachItem(lost: lost) { item in
            store16(p, o, item.packetID)
            store16(p, o + 2, item.lostBitmask)
            o += 4
        }
        return size
    }
}

/// A validated generic NACK in place (see `GenericNACK`).
public struct GenericNACKView {
    public let packet: RTCPPacketView

    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        try checkFeedbackHeader(packet)
        guard packet.bodyLength >= 12 else {
            throw .emptyFeedback(packetType: packet.packetType, format: packet.countOrFormat)
        }
        self.packet = packet
    }

    @inlinable public var senderSSRC: UInt32 { load32(packet.pointer, 4) }
    @inlinable public var mediaSSRC: UInt32 { load32(packet.pointer, 8) }
    @inlinable public var itemCount: Int { (packet.bodyLength - 8) / 4 }
    @inlinable public func item(at index: Int) -> GenericNACK.Item {
        precondition(index >= 0 && index < itemCount, "NACK item index out of range")
        return GenericNACK.Item(packetID: load16(packet.pointer, 12 + 4 * index),
                                lostBitmask: load16(packet.pointer, 14 + 4 * index))
    }

    /// Calls `body` with every lost sequence number, in FCI order.
    @inlinable public func forEachLost(_ body: (UInt16) -> Void) {
        for i in 0..<itemCount { item(at: i).forEachLost(body) }
    }
}
