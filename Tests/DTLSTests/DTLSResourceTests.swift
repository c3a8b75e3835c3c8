import XCTest
@testable import DTLS

final class DTLSResourceTests: XCTestCase {
    /// Every transport frees its SSL and BIO, every session its srtp_t: after
    /// 1,000 full handshakes with SRTP sessions the RSS grows by a few MB at most.
    func testThousandTransportsAndSessionsDoNotLeak() throws {
        let sctx = try DTLSContext(certificate: Fixtures.serverCertificate)
        let cctx = try DTLSContext(certificate: Fixtures.clientCertificate)
        func cycle() throws {
            let link = try makePair(serverContext: sctx, clientContext: cctx)
            XCTAssertTrue(link.run())
            let keys = try XCTUnwrap(link.serverLog.keys)
            _ = try SRTPSession(inbound: keys)
            _ = try SRTPSession(outbound: keys)
            link.apply(link.client.close(), fromServer: false)
            link.settle()
        }
        for _ in 0..<100 { try cycle() }   // warm up allocator pools
        let before = residentBytes()
        for _ in 0..<1000 { try cycle() }
        let grown = residentBytes() - before
        XCTAssertLessThan(grown, 4 << 20, "RSS grew \(grown / 1024) KiB over 1,000 transports")
        print("RSS growth over 1,000 DTLS transports + SRTP sessions: \(grown / 1024) KiB")
    }

    /// Transports created and dropped before any handshake free everything too.
    func testUnusedTransportsAreFreed() throws {
        let ctx = try DTLSContext(certificate: Fixtures.serverCertificate)
        for _ in 0..<200 { _ = try DTLSTransport(context: ctx, expectedFingerprints: [Fixtures.clientCertificate.fingerprint], now: 0) }
        let before = residentBytes()
        for _ in 0..<5000 {
            let t = try DTLSTransport(context: ctx, expectedFingerprints: [Fixtures.clientCertificate.fingerprint], now: 0)
            _ = t.handleDatagram([22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5], now: 1)
        }
        XCTAssertLessThan(residentBytes() - before, 2 << 20)
    }
}
