import CAllocCounter
import DTLS
import Handoff
import XCTest
@testable import RTPRouter
import RouterHarness

/// Issue 6: no heap allocation per forwarded packet in steady state. A
/// `WorkerRouter` with one publisher and 20 viewers, connected through our
/// client-role ICE/DTLS/SRTP stack over loopback, forwards 10,000 video
/// packets (plus audio, RTX repairs, SR/RR/NACK/PLI, the 10 ms timer with
/// NACKs, receiver reports, REMB and sender reports) while the calling
/// thread's mallocs are counted inside every router call.
///
/// Debian's libsrtp2 (NSS backend) allocates inside each call; that count
/// per call is measured here first on standalone sessions, and the router's
/// total must equal exactly its libsrtp2 calls × that count: the rest of the
/// path — ours — allocates nothing.
final class ForwardingAllocationTests: XCTestCase {
    /// Allocations per libsrtp2 call of each kind (GCM), measured on this machine's library.
    static func libsrtpAllocationsPerCall() throws -> [String: UInt64] {
        let key = (0..<28).map { UInt8($0 &* 7 &+ 1) }
        let out = try SRTPSession(profile: .aeadAES128GCM, masterKey: key, direction: .outbound)
        let inb = try SRTPSession(profile: .aeadAES128GCM, masterKey: key, direction: .inbound)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
        defer { buf.deallocate() }
        var result: [String: UInt64] = [:]
        func fill(_ seq: UInt16, rtcp: Bool) {
            buf.initializeMemory(as: UInt8.self, repeating: 0x5a, count: 1200)
            buf.storeBytes(of: rtcp ? 0x80 : 0x80, toByteOffset: 0, as: UInt8.self)
            buf.storeBytes(of: rtcp ? 200 : 96, toByteOffset: 1, as: UInt8.self)
            buf.storeBytes(of: rtcp ? UInt16(6).bigEndian : seq.bigEndian, toByteOffset: 2, as: UInt16.self)
            buf.storeBytes(of: UInt32(0x1234).bigEndian, toByteOffset: 4, as: UInt32.self)
            buf.storeBytes(of: UInt32(0x1234).bigEndian, toByteOffset: 8, as: UInt32.self)
        }
        var rtp: (UInt64, UInt64) = (0, 0), rtcp: (UInt64, UInt64) = (0, 0)
        for i in 0..<1100 {
            let counted = i >= 100 // the first calls create per-SSRC streams
            fill(UInt16(i), rtcp: false)
            alloc_counter_start()
            let n = try out.protectRTP(buf, length: 1200, capacity: 2048)
            let a = alloc_counter_stop()
            alloc_counter_start()
            _ = try inb.unprotectRTP(buf, length: n)
            let b = alloc_counter_stop()
            fill(0, rtcp: true)
            alloc_counter_start()
            let m = try out.protectRTCP(buf, length: 28, capacity: 2048)
            let c = alloc_counter_stop()
            alloc_counter_start()
            _ = try inb.unprotectRTCP(buf, length: m)
            let d = alloc_counter_stop()
            if counted {
                rtp.0 += a; rtp.1 += b; rtcp.0 += c; rtcp.1 += d
            }
        }
        result["protectRTP"] = rtp.0 / 1000
        result["unprotectRTP"] = rtp.1 / 1000
        result["protectRTCP"] = rtcp.0 / 1000
        result["unprotectRTCP"] = rtcp.1 / 1000
        // Each kind must be an exact multiple, or the subtraction below is meaningless.
        XCTAssertEqual(rtp.0 % 1000, 0); XCTAssertEqual(rtp.1 % 1000, 0)
        XCTAssertEqual(rtcp.0 % 1000, 0); XCTAssertEqual(rtcp.1 % 1000, 0)
        return result
    }

    func testSteadyStateForwardingAllocatesNothingButLibsrtp() throws {
        let perCall = try Self.libsrtpAllocationsPerCall()
        print("libsrtp2 allocations per call:", perCall.sorted { $0.key < $1.key })
        let kinds = Set(perCall.values)
        XCTAssertEqual(kinds.count, 1, "every libsrtp2 call kind allocates the same number of times: \(perCall)")
        let srtpPerCall = perCall["protectRTP"]!

        let conference = try LoopbackConference(viewers: 20)
        try conference.connect()
        var traffic = LoopbackConference.TrafficState()
        conference.runTraffic(&traffic, iterations: 2_000) // warm-up: caches, dictionaries, NACK state fill
        let callsBefore = conference.routerLibsrtpCalls()
        let rtpOutBefore = conference.router.stats.rtpOut
        conference.countAllocations = true
        conference.runTraffic(&traffic, iterations: 10_000)
        conference.countAllocations = false
        let calls = conference.routerLibsrtpCalls() - callsBefore
        let forwarded = conference.router.stats.rtpOut - rtpOutBefore
        let ours = Int64(conference.routerAllocations) - Int64(calls * srtpPerCall)
        print("forwarded \(forwarded) packets, \(calls) libsrtp2 calls, \(conference.routerAllocations) allocations, ours: \(ours)")

        // The workload really ran: every viewer got video, audio, RTX repairs and sender reports.
        XCTAssertGreaterThan(forwarded, 20 * 10_000)
        XCTAssertEqual(conference.viewerFailures, 0)
        for v in 0..<20 {
            XCTAssertGreaterThan(conference.viewerRTP[v], 10_000, "viewer \(v)")
            XCTAssertGreaterThan(conference.viewerRTX[v], 0, "viewer \(v) got no RTX answer to its NACKs")
            XCTAssertGreaterThan(conference.viewerRTCP[v], 10, "viewer \(v) got no sender reports")
        }
        XCTAssertGreaterThan(conference.publisherRTCP, 10, "no RR/REMB/NACK/PLI reached the publisher")
        XCTAssertGreaterThan(conference.router.stats.nackRecovered, 50)
        XCTAssertGreaterThan(conference.router.stats.nackSent, 0)
        XCTAssertEqual(ours, 0, "allocations outside libsrtp2 over \(forwarded) forwarded packets")
    }

    /// Issue 6 part 3: viewers on a second worker consume the publisher through
    /// a pipe producer (a `PipeRing` from the first worker), with NACKs
    /// answered from the second worker's own cache, sender reports translated
    /// from the piped ones and keyframe requests sent back upstream — and
    /// still no allocation outside libsrtp2 on either worker.
    func testViewersOnASecondWorkerThroughAPipe() throws {
        let srtpPerCall = try Self.libsrtpAllocationsPerCall()["protectRTP"]!
        let conference = try LoopbackConference(viewers: 20, pipedViewers: 10)
        try conference.connect()
        let downstream = try XCTUnwrap(conference.downstream)
        var traffic = LoopbackConference.TrafficState()
        conference.runTraffic(&traffic, iterations: 2_000)
        let callsBefore = conference.routerLibsrtpCalls()
        conference.countAllocations = true
        conference.runTraffic(&traffic, iterations: 6_000)
        conference.countAllocations = false
        let calls = conference.routerLibsrtpCalls() - callsBefore
        let ours = Int64(conference.routerAllocations) - Int64(calls * srtpPerCall)
        print("pipe: upstream forwarded \(conference.router.stats.rtpOut), downstream \(downstream.stats.rtpOut), piped in \(downstream.stats.pipedIn), ours: \(ours)")

        XCTAssertEqual(conference.viewerFailures, 0)
        for v in 0..<20 {
            XCTAssertGreaterThan(conference.viewerRTP[v], 8_000, "viewer \(v)")
            XCTAssertGreaterThan(conference.viewerRTX[v], 0, "viewer \(v) got no RTX answer to its NACKs")
            XCTAssertGreaterThan(conference.viewerRTCP[v], 10, "viewer \(v) got no sender reports")
        }
        // Everything the publisher sent (video, RTX-repaired, audio) crossed the pipe.
        XCTAssertEqual(downstream.stats.pipedIn, UInt64(traffic.videoSent + traffic.rtxSent + traffic.audioSent))
        XCTAssertEqual(conference.router.stats.pipeDropped, 0)
        XCTAssertGreaterThan(downstream.stats.nackResent, 0, "the downstream worker answers NACKs from its own cache")
        XCTAssertGreaterThan(downstream.stats.rtpOut, 10 * 8_000)
        XCTAssertEqual(ours, 0, "allocations outside libsrtp2 on both workers")

        // A PLI from a viewer on the second worker reaches the publisher.
        conference.advance(400_000_000)
        conference.drain(verify: true)
        let plis = conference.publisherPLIs
        conference.viewerSendsPLI(19)
        conference.drain(verify: true)
        XCTAssertEqual(conference.publisherPLIs, plis + 1)
    }
}
