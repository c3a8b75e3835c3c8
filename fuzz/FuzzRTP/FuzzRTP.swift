// libFuzzer target for the RTP wire layer (no main: libFuzzer provides it).
//
// Build and run (see Package.swift, scripts/fuzz.sh):
//   SFU_FUZZ=1 swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
//       --product FuzzRTP --scratch-path .build-fuzz
//   .build-fuzz/release/FuzzRTP fuzz/corpus/rtp -max_total_time=120
//
// Invariants checked (a violation crashes, so libFuzzer keeps the input):
// - validation never crashes and every offset it accepts lies inside the packet;
// - extension iteration, id rewriting, padding removal, keyframe detection for
//   every codec, picture-id rewriting and RTX wrapping never touch memory outside
//   the packet (ASan watches) and never crash;
// - rewriting with the identity map changes nothing; after rewriting with a map,
//   every element id found is one the map produces, and the packet still
//   validates with the same payload offset;
// - RTX encapsulate → decapsulate gives the original header fields and payload;
// - SeqRewriter driven by the input never hands out the same output for two
//   different inputs within a window of placed packets.
import RTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // An exact-size heap copy, so ASan catches any read past the packet.
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 1)
    defer { buffer.deallocate() }
    buffer.copyMemory(from: data, byteCount: size)
    checkSeqRewriter(UnsafeRawBufferPointer(start: data, count: size))
    guard var packet = try? RTPPacketView(validating: buffer, length: size) else { return 0 }

    precondition(packet.payloadOffset >= 12 && packet.payloadOffset + packet.paddingLength <= size)
    _ = (packet.marker, packet.payloadType, packet.sequenceNumber, packet.timestamp, packet.ssrc)
    for i in 0..<packet.csrcCount { _ = packet.csrc(at: i) }

    // Extensions: walk, identity rewrite, mapped rewrite.
    var ids: [UInt8] = []
    var it = packet.extensions
    while let e = it.next() {
        precondition(e.data.baseAddress! >= buffer && e.data.baseAddress! + e.data.count <= buffer + packet.payloadOffset)
        ids.append(e.id)
        precondition(packet.extensionData(id: e.id) != nil)
    }
    let before = Array(UnsafeRawBufferPointer(start: buffer, count: size))
    packet.rewriteExtensionIDs(.identity)
    precondition(Array(UnsafeRawBufferPointer(start: buffer, count: size)) == before, "identity rewrite changed bytes")

    var map = ExtensionIDMap()
    var image = Set<UInt8>()
    for id in ids where id % 3 != 0 {
        let to = UInt8(truncatingIfNeeded: Int(id) * 7 % 255 + 1)
        map[id] = to
        image.insert(to)
    }
    packet.rewriteExtensionIDs(map)
    let again = try! RTPPacketView(validating: buffer, length: size)
    precondition(again.payloadOffset == packet.payloadOffset)
    var it2 = again.extensions
    while let e = it2.next() {
        // The walk reaches the same elements as before; unmapped ones are
        // now padding, so every id found is one the map produced.
        precondition(image.contains(e.id), "id \(e.id) survived a rewrite that cannot produce it")
        if case .oneByte = again.extensionForm { precondition(e.id <= 14) }
    }

    // Codecs on the payload.
    let payload = UnsafeRawBufferPointer(packet.payload)
    for codec in VideoCodec.allCases { _ = Keyframe.isKeyframe(codec, payload: payload) }
    if let d = VP8PayloadDescriptor.parse(payload) {
        precondition(d.descriptorLength <= payload.count)
        d.setPictureID(0x7FFF, in: packet.payload)
        d.setTL0PicIdx(1, in: packet.payload)
    }
    if let d = VP9PayloadDescriptor.parse(payload) {
        precondition(d.descriptorLength <= payload.count)
        d.setPictureID(0x1234, in: packet.payload)
        d.setTL0PicIdx(1, in: packet.payload)
    }

    // RTX round trip.
    let rtx = UnsafeMutableRawPointer.allocate(byteCount: size + 2, alignment: 1)
    defer { rtx.deallocate() }
    let seq = packet.sequenceNumber, pt = packet.payloadType, ssrc = packet.ssrc
    let originalPayload = Array(packet.payload)
    if let n = RTX.encapsulate(packet, into: rtx, capacity: size + 2, ssrc: 9, payloadType: 97, sequenceNumber: 1) {
        let wrapped = try! RTPPacketView(validating: rtx, length: n)
        let (offset, length) = RTX.decapsulate(wrapped, payloadType: pt, ssrc: ssrc)!
        let restored = try! RTPPacketView(validating: rtx + offset, length: length)
        precondition(restored.sequenceNumber == seq && restored.payloadType == pt && restored.ssrc == ssrc)
        precondition(Array(restored.payload) == originalPayload, "RTX round trip changed the payload")
    }

    packet.removePadding()
    precondition(!packet.hasPadding && packet.paddingLength == 0)
    _ = try! RTPPacketView(validating: buffer, length: packet.length)
    return 0
}

/// Drives a SeqRewriter with ops taken from the input (2 bits op, 14 bits
/// signed step) and checks that, since the last sync, placed inputs keep
/// their order in the output: for I1 < I2 (true, unwrapped order, less than
/// a quarter of the number space apart) the outputs differ by 1…(I2 − I1).
/// Checked only while every input stays within a quarter of the newest one,
/// where wrap-around comparisons are unambiguous.
private func checkSeqRewriter(_ bytes: UnsafeRawBufferPointer) {
    let bits = (bytes.first ?? 0) & 1 == 0 ? 16 : 15
    let mask = (1 << bits) - 1, quarter = 1 << (bits - 2)
    var r = SeqRewriter(bitWidth: bits, initialOutput: 100)
    var input = 0                                // unwrapped
    var trueMax = Int.min
    var sane = true
    var recent: [(input: Int, output: Int)] = []
    var i = 1
    while i + 1 < bytes.count {
        let word = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
        i += 2
        input += Int(Int16(bitPattern: (word & 0x3FFF) << 2) >> 2)      // −8192…8191
        let wire = UInt16(truncatingIfNeeded: input & mask)
        let op = word >> 14
        if op == 3 {
            r.sync(nextInput: wire)
            trueMax = input - 1; sane = true; recent.removeAll()
            continue
        }
        if trueMax == Int.min { trueMax = input - 1 }
        if input < trueMax - quarter { sane = false }
        trueMax = max(trueMax, input)
        if op == 2 { r.drop(wire); continue }
        guard let out = r.input(wire) else { continue }
        precondition(Int(out) <= mask)
        guard sane else { continue }
        for (pin, pout) in recent where pin == input {
            precondition(pout == Int(out), "input \(input) mapped to \(pout) then \(out)")
        }
        for (pin, pout) in recent where pin != input && abs(pin - input) < quarter {
            let (lo, hi) = pin < input ? ((pin, pout), (input, Int(out))) : ((input, Int(out)), (pin, pout))
            let d = (hi.1 - lo.1) & mask
            precondition(d >= 1 && d <= hi.0 - lo.0, "inputs \(lo.0) < \(hi.0) mapped to \(lo.1), \(hi.1)")
        }
        recent.append((input, Int(out)))
        if recent.count > 16 { recent.removeFirst() }
    }
}
