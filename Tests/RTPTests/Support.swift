import XCTest
@testable import RTP

/// Runs `body` with a mutable copy of `bytes` (the packet under test lives in
/// a buffer of its own, as in the worker's pool).
func withBytes<T>(_ bytes: [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws -> T) rethrows -> T {
    var copy = bytes
    return try copy.withUnsafeMutableBytes { try body($0) }
}

/// Validates `bytes` as RTP and runs `body` with the view.
func withRTP<T>(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                _ body: (RTPPacketView) throws -> T) throws -> T {
    var copy = bytes
    return try copy.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) throws -> T in
        let view = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
        return try body(view)
    }
}

/// All RTCP packets of a compound datagram, decoded into values by `body`.
func decodeRTCP<T>(_ bytes: [UInt8], _ body: (RTCPPacket) -> T) throws(RTCPError) -> [T] {
    var out: [T] = []
    let copy = bytes
    var failure: RTCPError? = nil
    copy.withUnsafeBytes { raw in
        var reader = RTCPCompoundReader(raw)
        do throws(RTCPError) {
            while let p = try reader.next() { out.append(body(p)) }
        } catch { failure = error }
    }
    if let failure { throw failure }
    return out
}

/// Serializes `value` into a fresh buffer and returns the bytes.
func serialized<P: RTCPSerializable>(_ value: P) throws(RTCPError) -> [UInt8] {
    var buffer = [UInt8](repeating: 0xEE, count: value.serializedLength + 16)
    var failure: RTCPError? = nil
    var n = 0
    buffer.withUnsafeMutableBytes { raw in
        do throws(RTCPError) { n = try value.serialize(into: raw) } catch { failure = error }
    }
    if let failure { throw failure }
    XCTAssertEqual(n, value.serializedLength, "serializedLength disagrees with bytes written")
    return Array(buffer[..<n])
}

/// Parses hex with spaces, newlines and `//` comments ignored.
func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    for line in text.split(separator: "\n") {
        let code = line.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var digits = code.filter { $0.isHexDigit }[...]
        while digits.count >= 2 {
            out.append(UInt8(digits.prefix(2), radix: 16)!)
            digits = digits.dropFirst(2)
        }
    }
    return out
}

extension RTCPPacket {
    /// The packet as an `RTCPSerializable` value, nil for `.other` and TWCC.
    var value: (any RTCPSerializable)? {
        switch self {
        case .senderReport(let v): return SenderReport(v)
        case .receiverReport(let v): return ReceiverReport(v)
        case .sourceDescription(let v): return SourceDescription(v)
        case .goodbye(let v): return Goodbye(v)
        case .genericNACK(let v): return GenericNACK(v)
        case .pictureLossIndication(let v): return v
        case .fullIntraRequest(let v): return FullIntraRequest(v)
        case .remb(let v): return REMB(v)
        case .transportCC, .other: return nil
        }
    }
}
