import XCTest
import DTLS
import ICE
import JSON
import SDP
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import BenchPeer

final class ReportTests: XCTestCase {
    func sampleResult() -> StepResult {
        var t = Tally()
        t.viewers = 50; t.publishers = 1; t.sent = 1800; t.expected = 90_000; t.received = 89_910
        for ms in 1...100 { t.delays.record(UInt64(ms) * 100_000) }   // 0.1 … 10 ms
        t.keyframeWaitsNanos = [40_000_000]
        var r = StepResult(scenario: "ramp", step: 2, seconds: 10, tally: t)
        r.serverCPUSeconds = 4.5
        r.serverRSSBytes = 40 << 20
        r.harnessCPUSeconds = [2.0, 1.5]
        return r
    }

    func testJSONLineCarriesTheDerivedFigures() throws {
        let r = sampleResult()
        XCTAssertFalse(r.jsonLine.contains("\n"))
        let j = try JSON.parse(r.jsonLine)
        XCTAssertEqual(j["viewers"]?.intValue, 50)
        XCTAssertEqual(j["lost_packets"]?.intValue, 90)
        XCTAssertEqual(j["loss_percent"], .double(0.1))
        XCTAssertEqual(j["server_cpu_percent"], .double(45))
        XCTAssertEqual(j["server_cpu_us_per_packet"], .double(50.05))            // 4.5 s / 89,910 packets
        XCTAssertEqual(j["server_packets_per_cpu_second"]?.intValue, 19_980)
        XCTAssertEqual(j["server_rss_mib"], .double(40))
        XCTAssertEqual(j["harness_cpu_percent"], [.double(20), .double(15)])
        XCTAssertEqual(j["delay_p50_ms"], .double(5.02))
        XCTAssertEqual(j["delay_max_ms"], .double(10))
        XCTAssertEqual(j["keyframe_wait_max_ms"], .double(40))
        XCTAssertTrue(r.held(maxLossPercent: 0.5, maxP99Millis: 50))
        XCTAssertFalse(r.held(maxLossPercent: 0.05, maxP99Millis: 50))
        XCTAssertFalse(r.held(maxLossPercent: 0.5, maxP99Millis: 5))
        XCTAssertEqual(r.tableRow.split(separator: " ").first, "ramp")
    }

    func testFormatFixed() {
        XCTAssertEqual(formatFixed(3.14159, 2), "3.14")
        XCTAssertEqual(formatFixed(-0.004, 2), "0.00")
        XCTAssertEqual(formatFixed(-1.5, 1), "-1.5")
        XCTAssertEqual(formatFixed(2.05, 0), "2")
        XCTAssertEqual(formatFixed(0.07, 2), "0.07")
    }

    func testSVGIsWellFormedWithThreePanels() throws {
        let points = [SVGChart.Point(viewers: 25, cpuPercent: 10, lossPercent: 0, p99Millis: 3),
                      SVGChart.Point(viewers: 50, cpuPercent: 21, lossPercent: 0.1, p99Millis: 4.5),
                      SVGChart.Point(viewers: 75, cpuPercent: nil, lossPercent: 0.7, p99Millis: nil)]
        let svg = SVGChart.render(title: "ramp <a & b>", points: points)
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 3)
        XCTAssertTrue(svg.contains("ramp &lt;a &amp; b&gt;"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2 + 3 + 2)   // nil values are skipped
        XCTAssertEqual(SVGChart.niceMax(73), 100)
        XCTAssertEqual(SVGChart.niceMax(21), 25)
        XCTAssertEqual(SVGChart.niceMax(0.7), 1)
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "\(String(describing: parser.parserError))")
    }

    func testServerProcessParsers() {
        let stat = "4242 (sfu (worker) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 12 0 100 123456789 5000"
        XCTAssertEqual(ServerProcess.parseStatCPU(stat, ticksPerSecond: 100), 3.25)
        XCTAssertNil(ServerProcess.parseStatCPU("4242 (sfu) S 1", ticksPerSecond: 100))
        XCTAssertEqual(ServerProcess.parseStatusRSS("Name:\tsfu\nVmPeak:\t  9000 kB\nVmRSS:\t   35512 kB\n"), 35512 * 1024)
        XCTAssertNil(ServerProcess.parseStatusRSS("Name:\tsfu\n"))
        let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:469E 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777001 1 0
           1: 0100007F:469E 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 777002 1 0
           2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777003 1 0
        """
        XCTAssertEqual(ServerProcess.listeningInodes(tcp, port: 18078), [777001])   // 0x469E, listening only
        XCTAssertEqual(ServerProcess.listeningInodes(tcp, port: 8080), [777003])
        let metrics = "# HELP x y\nsfu_media_rtp_forwarded_total{worker=\"0\"} 10\nsfu_media_rtp_forwarded_total{worker=\"1\"} 32\nprocess_cpu_seconds_total 1.5\n"
        XCTAssertEqual(ServerProcess.metricValue(metrics, name: "sfu_media_rtp_forwarded_total"), 42)
        XCTAssertEqual(ServerProcess.metricValue(metrics, name: "process_cpu_seconds_total"), 1.5)
        XCTAssertNil(ServerProcess.metricValue(metrics, name: "process_resident_memory_bytes"))
    }

    func testOffersAreValidForTheServer() throws {
        let fp = try XCTUnwrap(DTLSFingerprint(algorithm: .sha256, bytes: Array(0..<32)))
        let ice = IceCredentials(ufrag: "abcd1234", password: "0123456789abcdefghijklmn")
        for (kinds, sending) in [(MediaKinds.both, true), (.video, false), (.audio, false), (.audio, true)] {
            let text = OfferWriter.offer(kinds: kinds, sending: sending, ice: ice, fingerprint: fp, audioSSRC: 11, videoSSRC: 22)
            let sdp = try SessionDescription.parse(text)
            XCTAssertNoThrow(try validateOffer(sdp))
            XCTAssertEqual(sdp.media.count, kinds == .both ? 2 : 1)
            for m in sdp.media {
                XCTAssertEqual(m.direction, sending ? .sendonly : .recvonly)
                XCTAssertEqual(m.ssrcs.isEmpty, !sending)
            }
        }
    }

    func answer(_ extra: String = "", candidate: Bool = true, fingerprint: Bool = true, setup: String = "passive") -> String {
        """
        v=0\r
        o=- 1 2 IN IP4 127.0.0.1\r
        s=-\r
        t=0 0\r
        a=ice-lite\r
        a=group:BUNDLE 0\r
        m=video 9 UDP/TLS/RTP/SAVPF 96\r
        c=IN IP4 0.0.0.0\r
        a=mid:0\r
        a=ice-ufrag:srvU\r
        a=ice-pwd:serverpassword0123456789\r
        \(fingerprint ? "a=fingerprint:sha-256 " + (0..<32).map { _ in "AB" }.joined(separator: ":") + "\r\n" : "")a=setup:\(setup)\r
        a=rtcp-mux\r
        a=recvonly\r
        a=rtpmap:96 VP8/90000\r
        \(candidate ? "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n" : "")\(extra)
        """
    }

    func testAnswerParsing() throws {
        let a = try AnswerInfo(parsing: answer())
        XCTAssertEqual(a.ice, IceCredentials(ufrag: "srvU", password: "serverpassword0123456789"))
        XCTAssertEqual(a.address, SocketAddress("127.0.0.1:40000"))
        XCTAssertEqual(a.videoPT, 96)
        XCTAssertNil(a.audioPT)
        XCTAssertEqual(a.fingerprints.first?.bytes, Array(repeating: 0xAB, count: 32))
        XCTAssertThrowsError(try AnswerInfo(parsing: answer(candidate: false))) { XCTAssertEqual($0 as? AnswerError, .noUDPCandidate) }
        XCTAssertThrowsError(try AnswerInfo(parsing: answer(fingerprint: false))) { XCTAssertEqual($0 as? AnswerError, .missingFingerprint) }
        XCTAssertThrowsError(try AnswerInfo(parsing: answer(setup: "active"))) { XCTAssertEqual($0 as? AnswerError, .badSetup("active")) }
        XCTAssertThrowsError(try AnswerInfo(parsing: "not sdp")) {
            guard case .unparsable = $0 as? AnswerError else { return XCTFail("\($0)") }
        }
    }
}
