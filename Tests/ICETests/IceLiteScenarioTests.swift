import XCTest
import ICE
import ICETestSupport

/// ICE-lite end to end over the virtual network, in virtual time: a
/// controlling client (the browser's role) against `IceLiteAgent`.
final class IceLiteScenarioTests: XCTestCase {
    let first = IceHarness.defaultClientAddresses[0]
    let second = IceHarness.defaultClientAddresses[1]

    /// RFC 8445 §7.3.1.5 / §8: checks, regular nomination, connected.
    func testConnectsAndSelectsTheNominatedPair() {
        var h = IceHarness()
        h.start()
        h.run(for: .seconds(2))
        XCTAssertEqual(h.server.state, .connected)
        XCTAssertEqual(h.server.selectedPath, first)
        XCTAssertEqual(h.mediaPath, first)
        XCTAssertEqual(h.client.selected, first)
        let notable = h.serverActionValues.filter { if case .send = $0 { return false }; return true }
        XCTAssertEqual(notable, [.selectPath(first), .connected])
        XCTAssertEqual(h.server.counters.nominations, 1)
        XCTAssertEqual(h.server.counters.badIntegrity, 0)
        XCTAssertEqual(h.client.stats.rejectedResponses, 0)
        // Both addresses were checked and answered.
        XCTAssertEqual(h.client.succeeded, [first, second])
    }

    /// Renomination: a later USE-CANDIDATE on another pair moves the path.
    func testSwitchesToANewlyNominatedPair() {
        var h = IceHarness()
        h.start()
        h.run(for: .seconds(2))
        XCTAssertEqual(h.mediaPath, first)
        h.nominate(local: second)
        h.run(for: .seconds(1))
        XCTAssertEqual(h.server.selectedPath, second)
        XCTAssertEqual(h.mediaPath, second)
        XCTAssertEqual(h.server.counters.pathSwitches, 1)
        XCTAssertEqual(h.server.state, .connected)
        // Only one `.connected`, two path selections.
        XCTAssertEqual(h.serverActionValues.filter { $0 == .connected }.count, 1)
        XCTAssertEqual(h.serverActionValues.filter { if case .selectPath = $0 { return true }; return false }.count, 2)
    }

    /// 30 % loss each way with delay jitter (reordering): retransmissions
    /// (RFC 8489 §6.2.1) still get the pair nominated, for many seeds.
    func testConnectsWithThirtyPercentLoss() {
        var sent = 0, lost = 0
        for seed in UInt64(1)...40 {
            var h = IceHarness(seed: seed, lossRate: 0.3, delay: .milliseconds(5) ... .milliseconds(80))
            h.start()
            h.run(for: .seconds(20))
            XCTAssertEqual(h.server.state, .connected, "seed \(seed)")
            XCTAssertNotNil(h.mediaPath, "seed \(seed)")
            XCTAssertEqual(h.mediaPath, h.client.selected, "seed \(seed)")
            sent += h.network.stats.sent
            lost += h.network.stats.lost
        }
        // The network really did lose about 30 % of the datagrams.
        XCTAssertEqual(Double(lost) / Double(sent), 0.3, accuracy: 0.06)
    }

    /// Consent checks every ~5 s keep the transport alive for minutes, even with loss.
    func testConsentChecksKeepTheTransportAlive() {
        var h = IceHarness(seed: 3, lossRate: 0.1)
        h.start()
        h.run(for: .seconds(300))
        XCTAssertEqual(h.server.state, .connected)
        XCTAssertGreaterThan(h.client.stats.consentChecks, 40)
        XCTAssertFalse(h.serverActionValues.contains(.consentExpired))
    }

    /// RFC 7675 §5.1: 30 s without a valid request → consentExpired, failed.
    func testConsentExpiresAfterThirtySecondsOfSilence() {
        var h = IceHarness()
        h.start()
        h.run(for: .seconds(2))
        XCTAssertEqual(h.server.state, .connected)
        h.client.configuration.consentInterval = nil   // the browser goes away
        let lastRequest = h.server.lastConsent
        h.run(for: .seconds(60))
        XCTAssertEqual(h.server.state, .failed)
        let expired = h.serverActions.first { $0.value == .consentExpired }
        XCTAssertNotNil(expired)
        XCTAssertLessThanOrEqual(expired!.at - lastRequest, .seconds(30) + .milliseconds(1))
        XCTAssertGreaterThanOrEqual(expired!.at - lastRequest, .seconds(30))
        XCTAssertEqual(Array(h.serverActionValues.suffix(2)), [.consentExpired, .failed])
        XCTAssertNil(h.server.nextDeadline)
    }

    /// Consent is renewed only from the selected path: checks that keep
    /// succeeding elsewhere do not keep a dead media path alive.
    func testConsentExpiresWhenOnlyTheSelectedPathGoesSilent() {
        var h = IceHarness()
        h.start()
        h.run(for: .seconds(2))
        h.network.blackholed = [first]
        // The other address keeps sending (non-nominating) checks, which succeed.
        for _ in 0..<12 {
            h.check(local: second)
            h.run(for: .seconds(3))
        }
        XCTAssertGreaterThan(h.server.counters.successResponses, 12)
        XCTAssertEqual(h.server.state, .failed)
        XCTAssertTrue(h.serverActionValues.contains(.consentExpired))
    }

    /// A server that never hears a valid request fails (without `.consentExpired`).
    func testNeverConnectedFailsAfterTimeout() {
        var h = IceHarness()
        h.run(for: .seconds(31))
        XCTAssertEqual(h.server.state, .failed)
        XCTAssertEqual(h.serverActionValues, [.failed])
    }

    /// RFC 8445 §9: after a restart the old path stays selected, old
    /// credentials keep working until new ones are used, then are retired.
    func testIceRestartKeepsThePathUntilNewCredentialsAreUsed() {
        var h = IceHarness()
        h.start()
        h.run(for: .seconds(2))
        let oldUfrag = h.server.localCredentials.ufrag
        let immediate = h.restart()
        XCTAssertEqual(immediate, [])
        XCTAssertEqual(h.server.selectedPath, first)
        XCTAssertEqual(h.server.acceptedUfrags.count, 2)
        XCTAssertEqual(h.server.acceptedUfrags.last, oldUfrag)
        h.run(for: .seconds(2))
        XCTAssertEqual(h.server.state, .connected)
        XCTAssertEqual(h.server.selectedPath, first)
        XCTAssertTrue(h.serverActionValues.contains(.credentialsRetired(ufrag: oldUfrag)))
        XCTAssertEqual(h.server.acceptedUfrags, [h.server.localCredentials.ufrag])
        XCTAssertEqual(h.serverActionValues.filter { $0 == .connected }.count, 1)
        // And consent keeps running under the new credentials.
        h.run(for: .seconds(60))
        XCTAssertEqual(h.server.state, .connected)
        XCTAssertEqual(h.server.counters.wrongUfrag, 0)
    }

    /// A restart revives a failed agent.
    func testIceRestartAfterFailure() {
        var h = IceHarness()
        h.start()
        h.run(for: .seconds(2))
        h.client.configuration.consentInterval = nil
        h.run(for: .seconds(40))
        XCTAssertEqual(h.server.state, .failed)
        h.client.configuration.consentInterval = .seconds(5)
        h.restart()
        XCTAssertEqual(h.server.state, .checking)
        h.run(for: .seconds(3))
        XCTAssertEqual(h.server.state, .connected)
        XCTAssertEqual(h.serverActionValues.filter { $0 == .connected }.count, 2)
    }

    /// Requests keyed with the wrong password are dropped silently and counted.
    func testBadIntegrityIsIgnoredAndCounted() {
        let h0 = IceHarness()
        let wrong = IceCredentials(ufrag: h0.server.localCredentials.ufrag, password: "wrongwrongwrongwrongwrong")
        var h = IceHarness(clientRemote: wrong)
        // The harness generates the same server credentials for the same seed.
        XCTAssertEqual(h.server.localCredentials.ufrag, wrong.ufrag)
        h.start()
        h.run(for: .seconds(5))
        XCTAssertEqual(h.server.state, .checking)
        XCTAssertGreaterThan(h.server.counters.badIntegrity, 2)
        XCTAssertEqual(h.server.counters.successResponses, 0)
        XCTAssertTrue(h.serverActionValues.allSatisfy { $0 == .ignore(.badIntegrity) })
        XCTAssertEqual(h.network.stats.sent, h.client.stats.requestsSent + h.client.stats.retransmissions)
    }

    func testWrongUfragIsIgnoredAndCounted() {
        let h0 = IceHarness()
        let wrong = IceCredentials(ufrag: "NOTOURS1", password: h0.server.localCredentials.password)
        var h = IceHarness(clientRemote: wrong)
        h.start()
        h.run(for: .seconds(5))
        XCTAssertEqual(h.server.state, .checking)
        XCTAssertGreaterThan(h.server.counters.wrongUfrag, 2)
        XCTAssertEqual(h.server.counters.successResponses, 0)
        XCTAssertTrue(h.serverActionValues.allSatisfy { $0 == .ignore(.wrongUfrag) })
    }

    /// RFC 8445 §7.3.1.1: a full agent that wrongly claims the controlled role
    /// gets 487, switches to controlling (§7.2.5.1), and then nominates.
    func testRoleConflictIsResolvedByThePeerSwitching() {
        var config = IceControllingClient.Configuration()
        config.startControlled = true
        var h = IceHarness(clientConfiguration: config)
        h.start()
        h.run(for: .seconds(3))
        XCTAssertGreaterThanOrEqual(h.server.counters.roleConflicts, 1)
        XCTAssertTrue(h.clientEventValues.contains(.roleSwitched(controlling: true)))
        XCTAssertTrue(h.client.controlling)
        XCTAssertEqual(h.server.state, .connected)
        XCTAssertEqual(h.server.selectedPath, first)
    }
}
