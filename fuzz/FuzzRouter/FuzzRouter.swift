// libFuzzer target for the forwarding core (no main: libFuzzer provides it).
//
// Build and run (see Package.swift, scripts/fuzz.sh):
//   SFU_FUZZ=1 swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
//       --product FuzzRouter --scratch-path .build-fuzz
//   .build-fuzz/release/FuzzRouter fuzz/corpus/router -max_total_time=120
//
// Each input is a script of records `[op][length: 2 bytes][data]` played
// against a fresh `WorkerRouter` (RouterTestSupport.MemoryRouter: in-memory
// outbox, virtual time) with one publisher (VP8 + RTX, Opus) and two
// viewers (with and without RTX), all connected without a handshake, so the
// fuzzer's bytes reach `received` on connected transports through real SRTP:
//   op 0: a command (remove / re-add a viewer, unpublish);
//   op 1: an RTP packet from the publisher, header fields chosen by the data;
//   op 2: the data as an RTP packet from the publisher, SRTP-protected
//         (delivered raw when libsrtp2 refuses to protect it);
//   op 3/4/5: the data as RTCP from the publisher / viewer A / viewer B, protected;
//   op 6: virtual time advances (timers run: NACKs, reports, ICE, DTLS);
//   op 7: the data raw (STUN, DTLS, junk, forged SRTP) from a known or unknown address.
//
// Invariants (a violation crashes, so libFuzzer keeps the input):
// - nothing traps, ASan sees no out-of-bounds access;
// - every datagram sent fits a pool slot and goes to a peer the router knows;
// - every RTP packet sent to a viewer carries one of that viewer's SSRCs and
//   one of its payload types (the header is in the clear under SRTP).
import DTLS
import RTP
import RTPRouter
import RouterTestSupport

private let context = try! DTLSContext(certificate: DTLSCertificate(commonName: "fuzz-router"))

private struct Script {
    let data: UnsafePointer<UInt8>
    let size: Int
    var offset = 0

    mutating func next() -> (op: UInt8, bytes: [UInt8])? {
        guard offset + 3 <= size else { return nil }
        let op = data[offset] & 7
        let length = min(Int(data[offset + 1]) << 8 | Int(data[offset + 2]), size - offset - 3, 1400)
        let bytes = Array(UnsafeBufferPointer(start: data + offset + 3, count: length))
        offset += 3 + length
        return (op, bytes)
    }
}

private let videoSSRC: UInt32 = 0x0100_0001, rtxSSRC: UInt32 = 0x0100_0002, audioSSRC: UInt32 = 0x0100_0003
private let viewerA: UInt32 = 0xA000_0001, viewerB: UInt32 = 0xB000_0001

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouter(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let m = try? MemoryRouter(context: context), let publisher = try? m.publish("cam"),
          var a = try? m.view("cam", viewerId: "a", videoSSRC: viewerA, rtx: true),
          let b = try? m.view("cam", viewerId: "b", videoSSRC: viewerB, rtx: false) else { fatalError("setup failed") }
    let stranger = UDPAddress(ip: "127.0.0.99", port: 9)!
    var script = Script(data: data, size: size)
    var published = true
    while let (op, bytes) = script.next() {
        switch op {
        case 0:
            switch bytes.first.map({ $0 % 3 }) ?? 0 {
            case 0: m.router.removeViewer(conferenceId: m.conferenceId, streamId: "cam", viewerId: "a")
            case 1: if published, let again = try? m.view("cam", viewerId: "a", videoSSRC: viewerA, rtx: true) { a = again }
            default: m.router.removePublisher(conferenceId: m.conferenceId, streamId: "cam"); published = false
            }
        case 1:
            guard bytes.count >= 8 else { continue }
            let pts: [UInt8] = [MemoryRouter.videoPT, MemoryRouter.videoRTXPT, MemoryRouter.audioPT, bytes[0] & 0x7f]
            let ssrcs: [UInt32] = [videoSSRC, rtxSSRC, audioSSRC, UInt32(bytes[1]) << 24 | 0x42]
            let packet = RTPBuilder.packet(payloadType: pts[Int(bytes[0] >> 6)], sequenceNumber: UInt16(bytes[2]) << 8 | UInt16(bytes[3]),
                                           timestamp: UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 8, ssrc: ssrcs[Int(bytes[1] & 3)],
                                           marker: bytes[1] & 4 != 0, extensions: bytes[1] & 8 != 0 ? [(3, [bytes[6], bytes[7], 1])] : [],
                                           payload: Array(bytes[8...]), padding: bytes[1] & 16 != 0 ? Int(bytes[7] % 32) + 1 : 0)
            deliver(m, publisher, packet, rtcp: false)
        case 2: deliver(m, publisher, bytes, rtcp: false)
        case 3: deliver(m, publisher, bytes, rtcp: true)
        case 4: deliver(m, a, bytes, rtcp: true)
        case 5: deliver(m, b, bytes, rtcp: true)
        case 6: m.advance(milliseconds: 10 * Int(bytes.first ?? 1))
        default:
            let from = [publisher.address, a.address, b.address, stranger][Int(bytes.first ?? 0) & 3]
            m.deliver(bytes, from: from)
        }
        check(m, a: a.address, b: b.address, publisher: publisher.address)
    }
    return 0
}

private func deliver(_ m: MemoryRouter, _ peer: MemoryPeer, _ bytes: [UInt8], rtcp: Bool) {
    let protected = rtcp ? try? peer.protectRTCP(bytes) : try? peer.protectRTP(bytes)
    m.deliver(protected ?? bytes, from: peer.address)
}

private func check(_ m: MemoryRouter, a: UDPAddress, b: UDPAddress, publisher: UDPAddress) {
    for (bytes, to) in m.takeSent() {
        precondition(bytes.count <= PacketPool.slotSize, "datagram larger than a slot")
        precondition(to == a || to == b || to == publisher, "datagram to an unknown address \(to)")
        guard to != publisher, bytes.count >= 12, !(192...223).contains(bytes[1]) else { continue }
        let ssrc = UInt32(bytes[8]) << 24 | UInt32(bytes[9]) << 16 | UInt32(bytes[10]) << 8 | UInt32(bytes[11])
        let base = to == a ? viewerA : viewerB
        precondition(ssrc == base || ssrc == base + 1 || (to == a && ssrc == base + 2), "RTP to a viewer with a foreign SSRC \(ssrc)")
        let pt = bytes[1] & 0x7f
        precondition([MemoryRouter.viewerVideoPT, MemoryRouter.viewerAudioPT, MemoryRouter.viewerRTXPT].contains(pt),
                     "RTP to a viewer with a payload type it did not negotiate: \(pt)")
    }
}
