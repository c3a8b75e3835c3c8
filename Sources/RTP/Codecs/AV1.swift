/// AV1 RTP payload inspection (RTP Payload Format for AV1, AOMedia, §4.4):
/// the aggregation header at the start of every payload.
///
/// ```
///  0 1 2 3 4 5 6 7
/// +-+-+-+-+-+-+-+-+
/// |Z|Y| W |N|-|-|-|
/// +-+-+-+-+-+-+-+-+
/// ```
/// N = 1 marks the first packet of a coded video sequence — a keyframe with
/// its sequence header — which is where a viewer can start.
public struct AV1AggregationHeader: Equatable, Sendable {
    public var raw: UInt8

    @inlinable public init(raw: UInt8) { self.raw = raw }

    /// Nil for an empty payload.
    @inlinable public static func parse(_ payload: UnsafeRawBufferPointer) -> AV1AggregationHeader? {
        guard let p = payload.baseAddress, payload.count >= 1 else { return nil }
        return AV1AggregationHeader(raw: load8(p, 0))
    }

    /// Z: the first OBU element continues one from the previous packet.
    @inlinable public var continuesOBU: Bool { raw & 0x80 != 0 }
    /// Y: the last OBU element continues in the next packet.
    @inlinable public var lastOBUContinues: Bool { raw & 0x40 != 0 }
    /// W: number of OBU elements (0: each is length-prefixed).
    @inlinable public var obuCount: Int { Int((raw >> 4) & 0x03) }
    /// N: first packet of a coded video sequence.
    @inlinable public var startsNewCodedVideoSequence: Bool { raw & 0x08 != 0 }
    @inlinable public var isKeyframe: Bool { startsNewCodedVideoSequence && !continuesOBU }
}
