import XCTest
@testable import DTLS

final class DTLSHandshakeTests: XCTestCase {
    func testHandshakeNegotiatesGCMAndBothSidesDeriveMatchingKeys() throws {
        let link = try makePair()
        XCTAssertTrue(link.run())
        let s = try XCTUnwrap(link.serverLog.keys), c = try XCTUnwrap(link.clientLog.keys)
        XCTAssertEqual(s.profile, .aeadAES128GCM)
        XCTAssertEqual(c.profile, .aeadAES128GCM)
        XCTAssertEqual(s.keyingMaterial.count, 56)
        XCTAssertEqual(s.keyingMaterial, c.keyingMaterial)
        XCTAssertEqual(s.localMasterKey.count, 28)
        // The client's outbound key is the server's inbound key and vice versa.
        XCTAssertEqual(c.localMasterKey, s.remoteMasterKey)
        XCTAssertEqual(s.localMasterKey, c.remoteMasterKey)
        XCTAssertNotEqual(s.localMasterKey, s.remoteMasterKey)
        // Layout: client key | server key | client salt | server salt.
        let m = s.keyingMaterial
        XCTAssertEqual(c.localMasterKey, Array(m[0..<16]) + Array(m[32..<44]))
        XCTAssertEqual(s.localMasterKey, Array(m[16..<32]) + Array(m[44..<56]))
        XCTAssertEqual(link.server.state, .connected)
        XCTAssertEqual(link.client.state, .connected)
        XCTAssertEqual(link.server.peerFingerprint, Fixtures.clientCertificate.fingerprint)
        XCTAssertEqual(link.client.peerFingerprint, Fixtures.serverCertificate.fingerprint)
        XCTAssertNil(link.server.nextTimeout, "no timer once the passive side is connected")
    }

    func testClientOfferingOnlyAESCMGetsAESCM80() throws {
        let cctx = try DTLSContext(certificate: Fixtures.clientCertificate, srtpProfiles: [.aes128CMHmacSHA1_80])
        let link = try makePair(clientContext: cctx)
        XCTAssertTrue(link.run())
        let s = try XCTUnwrap(link.serverLog.keys), c = try XCTUnwrap(link.clientLog.keys)
        XCTAssertEqual(s.profile, .aes128CMHmacSHA1_80)
        XCTAssertEqual(s.keyingMaterial.count, 60)
        XCTAssertEqual(s.localMasterKey.count, 30)
        XCTAssertEqual(c.localMasterKey, s.remoteMasterKey)
        XCTAssertEqual(s.localMasterKey, c.remoteMasterKey)
        let m = s.keyingMaterial
        XCTAssertEqual(c.localMasterKey, Array(m[0..<16]) + Array(m[32..<46]))
        XCTAssertEqual(s.localMasterKey, Array(m[16..<32]) + Array(m[46..<60]))
    }

    func testServerPreferenceDecidesWhenClientPrefersAESCM() throws {
        let cctx = try DTLSContext(certificate: Fixtures.clientCertificate, srtpProfiles: [.aes128CMHmacSHA1_80, .aeadAES128GCM])
        let link = try makePair(clientContext: cctx)
        XCTAssertTrue(link.run())
        XCTAssertEqual(link.serverLog.keys?.profile, .aeadAES128GCM)
        XCTAssertEqual(link.clientLog.keys?.profile, .aeadAES128GCM)
    }

    func testPeerCertificateNotMatchingTheOfferFailsWithFingerprintMismatch() throws {
        let wrong = Fixtures.otherCertificate.fingerprint
        let link = try makePair(serverExpects: wrong)
        XCTAssertTrue(link.run())
        guard case .fingerprintMismatch(let expected, let actual)? = link.serverLog.failure else {
            return XCTFail("expected fingerprintMismatch, got \(String(describing: link.serverLog.failure))")
        }
        XCTAssertEqual(expected, [wrong])
        XCTAssertEqual(actual, Fixtures.clientCertificate.fingerprint)
        XCTAssertNil(link.serverLog.keys)
        XCTAssertNil(link.clientLog.keys, "the client must not connect either")
        XCTAssertNotNil(link.clientLog.failure, "the client learns through the alert: \(String(describing: link.clientLog.failure))")
        if case .failed(let f) = link.server.state { XCTAssertTrue(f.description.contains("does not match")) } else { XCTFail() }
        XCTAssertNil(link.server.nextTimeout)
        XCTAssertEqual(link.server.handleDatagram([22, 254, 253, 0, 0], now: DTLSTransport.monotonicNow()), [], "a failed transport ignores input")
    }

    func testMismatchUsesTheStrongestOfferedHashFunction() throws {
        // The offer carries sha-256 (wrong) and sha-512 (right): sha-512 decides.
        let wrong256 = Fixtures.otherCertificate.fingerprint
        let right512 = Fixtures.clientCertificate.fingerprint(.sha512)
        let sctx = try DTLSContext(certificate: Fixtures.serverCertificate)
        let cctx = try DTLSContext(certificate: Fixtures.clientCertificate)
        let now = DTLSTransport.monotonicNow()
        let server = try DTLSTransport(context: sctx, expectedFingerprints: [wrong256, right512], configuration: testConfiguration(), now: now)
        let client = try DTLSTransport(context: cctx, role: .active, expectedFingerprints: [sctx.certificate.fingerprint], configuration: testConfiguration(), now: now)
        let link = InMemoryLink(server: server, client: client)
        XCTAssertTrue(link.run())
        XCTAssertNotNil(link.serverLog.keys)
        XCTAssertEqual(server.peerFingerprint, right512)
    }

    func testClientRejectsAServerWithTheWrongFingerprint() throws {
        let link = try makePair(clientExpects: Fixtures.otherCertificate.fingerprint)
        XCTAssertTrue(link.run())
        guard case .fingerprintMismatch? = link.clientLog.failure else {
            return XCTFail("got \(String(describing: link.clientLog.failure))")
        }
        XCTAssertNil(link.serverLog.keys)
    }

    func testCloseNotifyClosesThePeer() throws {
        let link = try makePair()
        XCTAssertTrue(link.run())
        link.apply(link.client.close(), fromServer: false)
        XCTAssertEqual(link.client.state, .closed)
        XCTAssertFalse(link.toServer.isEmpty, "close() sends close_notify")
        link.settle()
        XCTAssertTrue(link.serverLog.closed)
        XCTAssertEqual(link.server.state, .closed)
        XCTAssertEqual(link.client.close(), [], "closing twice does nothing")
    }

    func testServerCloseNotifyClosesTheClient() throws {
        let link = try makePair()
        XCTAssertTrue(link.run())
        link.apply(link.server.close(), fromServer: true)
        link.settle()
        XCTAssertTrue(link.clientLog.closed)
    }

    func testEveryDatagramFitsTheMTUWithABigCertificateChain() throws {
        let chain = try (0..<6).map { _ in try DTLSCertificate(commonName: String(repeating: "x", count: 60)) }
        let sctx = try DTLSContext(certificate: Fixtures.serverCertificate, srtpProfiles: [.aeadAES128GCM, .aes128CMHmacSHA1_80], extraChain: chain)
        let cctx = try DTLSContext(certificate: Fixtures.clientCertificate, srtpProfiles: [.aeadAES128GCM, .aes128CMHmacSHA1_80], extraChain: chain)
        for mtu in [1200, 576] {
            let link = try makePair(serverContext: sctx, clientContext: cctx, configuration: testConfiguration(mtu: mtu))
            XCTAssertTrue(link.run())
            XCTAssertNotNil(link.serverLog.keys)
            XCTAssertNotNil(link.clientLog.keys)
            let all = link.serverLog.sent + link.clientLog.sent
            XCTAssertTrue(all.allSatisfy { $0.count <= mtu }, "largest \(all.map(\.count).max()!) > \(mtu)")
            XCTAssertGreaterThan(link.serverLog.sent.reduce(0) { $0 + $1.count }, 2 * mtu, "the server flight needs several datagrams")
            XCTAssertGreaterThan(link.clientLog.sent.reduce(0) { $0 + $1.count }, 2 * mtu)
            // Records are packed: datagrams are mostly full, not one record each.
            XCTAssertGreaterThan(link.serverLog.sent.filter { $0.count > mtu / 2 }.count, 2)
        }
    }

    func testHandshakeSurvivesLossAndReorderingThroughRetransmission() throws {
        let link = try makePair()
        // Lose the first ClientHello, the first server datagram, and the client's second flight once.
        link.drop = { fromServer, index in fromServer ? index == 0 : (index == 0 || index == 1) }
        link.reorder = true
        XCTAssertTrue(link.run())
        let s = try XCTUnwrap(link.serverLog.keys), c = try XCTUnwrap(link.clientLog.keys)
        XCTAssertEqual(s.keyingMaterial, c.keyingMaterial)
        XCTAssertGreaterThan(link.clientLog.sent.count, 3, "the client retransmitted")
    }

    func testLostFinalFlightIsRetransmittedByTheConnectedServer() throws {
        let reference = try makePair()
        XCTAssertTrue(reference.run())
        let finalFlightStart = reference.serverLog.sent.count - 1   // CCS + Finished pack into one datagram
        let link = try makePair()
        link.drop = { fromServer, index in fromServer && index == finalFlightStart }
        XCTAssertTrue(link.run())
        XCTAssertNotNil(link.serverLog.keys)
        XCTAssertNotNil(link.clientLog.keys, "the client got the server's final flight again")
        XCTAssertEqual(link.serverLog.keys, link.serverLog.keys)
        XCTAssertGreaterThan(link.serverLog.sent.count, reference.serverLog.sent.count)
    }

    func testRetransmitsUntilTheHandshakeTimeoutThenFails() throws {
        let link = try makePair()
        link.drop = { fromServer, _ in fromServer }   // the server is never heard
        var config = testConfiguration()
        config.handshakeTimeoutNanoseconds = 300_000_000
        let now = DTLSTransport.monotonicNow()
        let client = try DTLSTransport(context: DTLSContext(certificate: Fixtures.clientCertificate), role: .active,
                                       expectedFingerprints: [Fixtures.serverCertificate.fingerprint], configuration: config, now: now)
        let l2 = InMemoryLink(server: link.server, client: client)
        l2.drop = { fromServer, _ in fromServer }
        XCTAssertTrue(l2.run(seconds: 5))
        XCTAssertEqual(l2.clientLog.failure, .handshakeTimeout)
        XCTAssertGreaterThan(l2.clientLog.sent.count, 3, "ClientHello retransmitted with the short initial timer")
    }

    func testHandshakeTimeoutWithVirtualTime() throws {
        let ctx = try DTLSContext(certificate: Fixtures.serverCertificate)
        let t0: UInt64 = 1_000_000_000
        let server = try DTLSTransport(context: ctx, expectedFingerprints: [Fixtures.clientCertificate.fingerprint], now: t0)
        XCTAssertEqual(server.start(now: t0), [])
        XCTAssertEqual(server.nextTimeout, t0 + 30_000_000_000, "passive: only the handshake deadline is armed")
        XCTAssertEqual(server.handleTimeout(now: t0 + 29_000_000_000), [])
        XCTAssertEqual(server.state, .handshaking)
        XCTAssertEqual(server.handleTimeout(now: t0 + 30_000_000_000), [.failed(.handshakeTimeout)])
        XCTAssertEqual(server.state, .failed(.handshakeTimeout))
        XCTAssertNil(server.nextTimeout)
        XCTAssertEqual(server.handleTimeout(now: t0 + 31_000_000_000), [])
    }

    func testJunkBeforeTheClientHelloIsIgnoredSilently() throws {
        let link = try makePair()
        let now = DTLSTransport.monotonicNow()
        for junk: [UInt8] in [[], [22], [22, 254, 253], Array(repeating: 0xff, count: 100),
                              [22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5],
                              [23, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]] {
            XCTAssertEqual(link.server.handleDatagram(junk, now: now), [], "\(junk)")
        }
        XCTAssertEqual(link.server.state, .handshaking)
        XCTAssertGreaterThan(link.server.ignoredDatagrams, 0)
        XCTAssertTrue(link.run())
        XCTAssertNotNil(link.serverLog.keys)
    }
}
