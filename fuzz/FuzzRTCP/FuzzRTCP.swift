// libFuzzer target for the RTCP wire layer (no main: libFuzzer provides it).
//
// Build and run (see Package.swift, scripts/fuzz.sh):
//   SFU_FUZZ=1 swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
//       --product FuzzRTCP --scratch-path .build-fuzz
//   .build-fuzz/release/FuzzRTCP fuzz/corpus/rtcp -max_total_time=120
//
// Invariants checked (a violation crashes, so libFuzzer keeps the input):
// - reading a compound never crashes, and stops at the first malformed packet;
// - every packet that parses serializes (as its value type), and those bytes
//   re-parse to an equal value;
// - every accessor of every view stays inside the datagram (ASan watches);
// - a TWCC feedback yields exactly `packet status count` entries in order;
// - a NACK's lost list, sorted, packs into items that expand back to it.
import RTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTCP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 1)
    defer { buffer.deallocate() }
    buffer.copyMemory(from: data, byteCount: size)
    var reader = RTCPCompoundReader(pointer: buffer, length: size)
    while true {
        let packet: RTCPPacket?
        do { packet = try reader.next() } catch { return 0 }
        guard let packet else { return 0 }
        check(packet)
    }
}

private func check(_ packet: RTCPPacket) {
    switch packet {
    case .senderReport(let v): roundTrip(SenderReport(v))
    case .receiverReport(let v): roundTrip(ReceiverReport(v))
    case .sourceDescription(let v):
        roundTrip(SourceDescription(v))
        _ = v.cname(of: 0)
    case .goodbye(let v): roundTrip(Goodbye(v))
    case .pictureLossIndication(let v): roundTrip(v)
    case .fullIntraRequest(let v): roundTrip(FullIntraRequest(v))
    case .remb(let v): roundTrip(REMB(v))
    case .genericNACK(let v):
        roundTrip(GenericNACK(v))
        var lost: [UInt16] = []
        v.forEachLost { lost.append($0) }
        let unique = Array(Set(lost)).sorted()
        let rebuilt = GenericNACK(senderSSRC: 0, mediaSSRC: 0, lost: unique).lostSequenceNumbers
        precondition(rebuilt == unique, "NACK items do not expand back to the lost list")
    case .transportCC(let v):
        var it = v.makeIterator()
        var expected = v.baseSequenceNumber
        var n = 0
        while let s = it.next() {
            precondition(s.sequenceNumber == expected)
            expected &+= 1
            n += 1
        }
        precondition(n == v.packetStatusCount)
    case .other(let v):
        precondition(v.length >= 4 && v.bodyLength <= v.length - 4)
    }
}

/// value → bytes → value must give an equal value.
private func roundTrip<V: RTCPSerializable & Equatable>(_ value: V) {
    let size = value.serializedLength
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4)
    defer { out.deallocate() }
    let n: Int
    do { n = try value.serialize(into: out) } catch { preconditionFailure("\(value) does not serialize: \(error)") }
    precondition(n == size)
    var reader = RTCPCompoundReader(UnsafeRawBufferPointer(out))
    let again: RTCPPacket?
    do { again = try reader.next() } catch { preconditionFailure("serialized \(value) does not parse: \(error)") }
    guard let again else { preconditionFailure("serialized \(value) is empty") }
    let reparsed: Any
    switch again {
    case .senderReport(let v): reparsed = SenderReport(v)
    case .receiverReport(let v): reparsed = ReceiverReport(v)
    case .sourceDescription(let v): reparsed = SourceDescription(v)
    case .goodbye(let v): reparsed = Goodbye(v)
    case .pictureLossIndication(let v): reparsed = v
    case .fullIntraRequest(let v): reparsed = FullIntraRequest(v)
    case .remb(let v): reparsed = REMB(v)
    case .genericNACK(let v): reparsed = GenericNACK(v)
    case .transportCC, .other: preconditionFailure("\(value) re-parsed as another type")
    }
    precondition((reparsed as? V) == value, "round trip changed \(value) into \(reparsed)")
    let trailing = try? reader.next()
    precondition(trailing == nil, "serialized form has trailing packets")
}
