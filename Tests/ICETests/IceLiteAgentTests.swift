import XCTest
@testable import ICE

/// `IceLiteAgent` fed single datagrams: every rule of RFC 8445 §7.3 and
/// RFC 8489 §6.3 / §9.1.3 as the agent applies it.
final class IceLiteAgentTests: XCTestCase {
    // The server side of `Vectors.chromeLikeRequest`: USERNAME "Sv8tQ2xa:u7Hc".
    let local = IceCredentials(ufrag: "Sv8tQ2xa", password: "h2G9+Jr/Lq0wXeT4sVbN7kYc")
    let source = SocketAddress("192.168.1.20:50000")!
    let t0 = Duration.seconds(100)

    func makeAgent(remoteUfrag: String? = "u7Hc") -> IceLiteAgent {
        IceLiteAgent(local: local, remoteUfrag: remoteUfrag, now: t0)
    }

    func request(username: String? = "Sv8tQ2xa:u7Hc", password: String? = "h2G9+Jr/Lq0wXeT4sVbN7kYc",
                 extra: [StunAttribute] = [.iceControlling(7)], useCandidate: Bool = false,
                 type: StunMessageType = .bindingRequest) -> [UInt8] {
        var m = StunMessage(type: type, transactionID: .random())
        if let username { m.attributes.append(.username(username)) }
        m.attributes.append(.priority(0x6e7f_1eff))
        m.attributes += extra
        if useCandidate { m.attributes.append(.useCandidate) }
        return m.serialized(integrityKey: password.map { Array($0.utf8) }, fingerprint: true)
    }

    /// Checks a response the agent sent: parses, FINGERPRINT last, MESSAGE-INTEGRITY with `password`.
    func checkResponse(_ action: IceLiteAgent.Action?, to requestBytes: [UInt8], from src: SocketAddress,
                       password: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> StunMessage {
        guard case .send(let bytes, let to)? = action else {
            XCTFail("expected .send, got \(String(describing: action))", file: file, line: line)
            throw UnexpectedAction()
        }
        XCTAssertEqual(to, src, file: file, line: line)
        let m = try StunMessage.parse(bytes)
        XCTAssertEqual(m.transactionID, try StunMessage.parse(requestBytes).transactionID, file: file, line: line)
        XCTAssertEqual(m.attributes.last?.type, StunAttribute.Kind.fingerprint, file: file, line: line)
        XCTAssertTrue(StunIntegrity.verify(bytes, key: Array((password ?? local.password).utf8)), file: file, line: line)
        return m
    }

    func testChromeLikeNominationConnects() throws {
        var agent = makeAgent()
        let actions = agent.handle(Vectors.chromeLikeRequest, from: source, now: t0 + .seconds(1))
        XCTAssertEqual(actions.count, 3)
        let response = try checkResponse(actions.first, to: Vectors.chromeLikeRequest, from: source)
        XCTAssertEqual(response.type, .bindingSuccess)
        XCTAssertEqual(response.xorMappedAddress, source)
        XCTAssertEqual(Array(actions.dropFirst()), [.selectPath(source), .connected])
        XCTAssertEqual(agent.state, .connected)
        XCTAssertEqual(agent.selectedPath, source)
        XCTAssertEqual(agent.lastConsent, t0 + .seconds(1))
        XCTAssertEqual(agent.nextDeadline, t0 + .seconds(31))
        XCTAssertEqual(agent.counters.successResponses, 1)
        XCTAssertEqual(agent.counters.nominations, 1)
    }

    func testCheckWithoutUseCandidateAnswersButDoesNotSelect() throws {
        var agent = makeAgent()
        let req = request()
        let actions = agent.handle(req, from: source, now: t0)
        XCTAssertEqual(actions.count, 1)
        XCTAssertEqual(try checkResponse(actions.first, to: req, from: source).type, .bindingSuccess)
        XCTAssertEqual(agent.state, .checking)
        XCTAssertNil(agent.selectedPath)
    }

    func testRepeatedNominationOfTheSamePairIsQuiet() {
        var agent = makeAgent()
        _ = agent.handle(request(useCandidate: true), from: source, now: t0)
        let again = agent.handle(request(useCandidate: true), from: source, now: t0 + .seconds(2))
        XCTAssertEqual(again.count, 1)  // just the response
        XCTAssertEqual(agent.counters.nominations, 2)
        XCTAssertEqual(agent.counters.pathSwitches, 0)
    }

    func testXorMappedAddressForIPv6AndMappedIPv4Sources() throws {
        let v6 = SocketAddress("[2001:db8::42]:61000")!
        let mapped = SocketAddress("[::ffff:198.51.100.7]:5000")!
        for (src, expected) in [(v6, v6), (mapped, SocketAddress("198.51.100.7:5000")!)] {
            var agent = makeAgent()
            let req = request()
            let actions = agent.handle(req, from: src, now: t0)
            XCTAssertEqual(try checkResponse(actions.first, to: req, from: src).xorMappedAddress, expected)
        }
    }

    /// RFC 8489 §6.3.1.1: unknown comprehension-required attribute → 420 with UNKNOWN-ATTRIBUTES.
    func testUnknownRequiredAttributeGets420() throws {
        var agent = makeAgent()
        let req = request(extra: [.iceControlling(7), .other(type: 0x7F01, value: [1]), .other(type: 0xC057, value: [0, 1, 0, 0])])
        let actions = agent.handle(req, from: source, now: t0)
        let response = try checkResponse(actions.first, to: req, from: source)
        XCTAssertEqual(response.type, .bindingError)
        XCTAssertEqual(response.errorCode?.code, 420)
        XCTAssertEqual(response.first(StunAttribute.Kind.unknownAttributes), .unknownAttributes([0x7F01]))
        XCTAssertEqual(agent.counters.unknownAttributes, 1)
        XCTAssertEqual(agent.counters.successResponses, 0)
    }

    /// RFC 8445 §7.3.1.1: a peer claiming the controlled role gets 487 (a lite
    /// agent never takes the controlling role), whatever its tie-breaker.
    func testIceControlledGets487WhateverTheTieBreaker() throws {
        for tieBreaker: UInt64 in [0, 1, .max] {
            var agent = makeAgent()
            let req = request(extra: [.iceControlled(tieBreaker)], useCandidate: false)
            let actions = agent.handle(req, from: source, now: t0)
            XCTAssertEqual(actions.count, 1)
            let response = try checkResponse(actions.first, to: req, from: source)
            XCTAssertEqual(response.errorCode?.code, 487)
            XCTAssertEqual(response.errorCode?.reason, "Role Conflict")
            XCTAssertEqual(agent.counters.roleConflicts, 1)
            XCTAssertEqual(agent.state, .checking)
        }
    }

    /// No role attribute at all (RFC 5245-era peers): no conflict processing, answered.
    func testNoRoleAttributeIsAnswered() throws {
        var agent = makeAgent()
        let req = request(extra: [])
        XCTAssertEqual(try checkResponse(agent.handle(req, from: source, now: t0).first, to: req, from: source).type, .bindingSuccess)
    }

    func testDroppedInputsAreCountedAndUnanswered() {
        struct Case { let name: String; let bytes: [UInt8]; let reason: IceLiteAgent.IgnoreReason }
        let cases = [
            Case(name: "bad integrity", bytes: request(password: "wrongwrongwrongwrongwrong"), reason: .badIntegrity),
            Case(name: "no integrity", bytes: request(password: nil), reason: .missingCredentials),
            Case(name: "no username", bytes: request(username: nil), reason: .missingCredentials),
            Case(name: "other local ufrag", bytes: request(username: "XXXXXXXX:u7Hc"), reason: .wrongUfrag),
            Case(name: "other remote ufrag", bytes: request(username: "Sv8tQ2xa:zzzz"), reason: .wrongUfrag),
            Case(name: "no colon", bytes: request(username: "Sv8tQ2xa"), reason: .wrongUfrag),
            Case(name: "prefix only", bytes: request(username: "Sv8tQ2xa:u7H"), reason: .wrongUfrag),
            Case(name: "success response", bytes: request(type: .bindingSuccess), reason: .notRequest(.successResponse)),
            Case(name: "indication", bytes: request(type: .bindingIndication), reason: .notRequest(.indication)),
            Case(name: "Allocate request", bytes: request(type: StunMessageType(method: 0x003, stunClass: .request)),
                 reason: .unsupportedMethod(0x003)),
            Case(name: "truncated", bytes: Array(Vectors.chromeLikeRequest.prefix(10)), reason: .malformed(.truncatedHeader(length: 10))),
            Case(name: "bad fingerprint", bytes: Array(Vectors.chromeLikeRequest.dropLast()) + [0x07],
                 reason: .malformed(.badFingerprint(expected: 0x19a6_bb06, found: 0x19a6_bb07))),
        ]
        var agent = makeAgent()
        for c in cases {
            XCTAssertEqual(agent.handle(c.bytes, from: source, now: t0), [.ignore(c.reason)], c.name)
        }
        let n = agent.counters
        XCTAssertEqual(n.badIntegrity, 1)
        XCTAssertEqual(n.missingCredentials, 2)
        XCTAssertEqual(n.wrongUfrag, 4)
        XCTAssertEqual(n.notRequest, 2)
        XCTAssertEqual(n.unsupportedMethod, 1)
        XCTAssertEqual(n.malformed, 2)
        XCTAssertEqual(n.successResponses, 0)
        XCTAssertEqual(agent.state, .checking)
        XCTAssertEqual(agent.lastConsent, t0)  // nothing renewed consent
    }

    func testUnknownRemoteUfragChecksOnlyOurPart() {
        var agent = makeAgent(remoteUfrag: nil)
        XCTAssertEqual(agent.handle(request(username: "Sv8tQ2xa:anything"), from: source, now: t0).count, 1)
        XCTAssertEqual(agent.handle(request(username: "Sv8tQ2xa:"), from: source, now: t0), [.ignore(.wrongUfrag)])
        XCTAssertEqual(agent.handle(request(username: "Sv8tQ2xaX:y"), from: source, now: t0), [.ignore(.wrongUfrag)])
    }

    // MARK: Consent (RFC 7675)

    func testTickExpiresConsentOnlyAfterTheTimeout() {
        var agent = makeAgent()
        _ = agent.handle(request(useCandidate: true), from: source, now: t0 + .seconds(1))
        XCTAssertEqual(agent.tick(now: t0 + .seconds(30)), [])
        // A request from elsewhere does not renew consent for the selected path.
        _ = agent.handle(request(), from: SocketAddress("10.9.9.9:1")!, now: t0 + .seconds(30))
        XCTAssertEqual(agent.tick(now: t0 + .seconds(31) - .milliseconds(1)), [])
        XCTAssertEqual(agent.tick(now: t0 + .seconds(31)), [.consentExpired, .failed])
        XCTAssertEqual(agent.state, .failed)
        XCTAssertEqual(agent.tick(now: t0 + .seconds(100)), [])
        XCTAssertEqual(agent.handle(request(useCandidate: true), from: source, now: t0 + .seconds(40)), [.ignore(.agentFailed)])
        XCTAssertEqual(agent.counters.consentExpirations, 1)
    }

    func testConfigurableConsentTimeout() {
        var agent = IceLiteAgent(local: local, remoteUfrag: "u7Hc", configuration: .init(consentTimeout: .seconds(5)), now: .zero)
        XCTAssertEqual(agent.nextDeadline, .seconds(5))
        XCTAssertEqual(agent.tick(now: .seconds(5)), [.failed])
    }

    // MARK: Restart (RFC 8445 §9)

    func testRestartAcceptsOldCredentialsUntilNewOnesAreUsed() throws {
        var agent = makeAgent()
        _ = agent.handle(request(useCandidate: true), from: source, now: t0)
        let fresh = IceCredentials(ufrag: "NEWufrag", password: "NEWpasswordNEWpassword00")
        XCTAssertEqual(agent.restart(local: fresh, remoteUfrag: "c2c2", now: t0), [])
        XCTAssertEqual(agent.acceptedUfrags, ["NEWufrag", "Sv8tQ2xa"])
        XCTAssertEqual(agent.state, .connected)
        XCTAssertEqual(agent.selectedPath, source)

        // Old credentials still answered (with the old password).
        let old = request()
        _ = try checkResponse(agent.handle(old, from: source, now: t0 + .seconds(1)).first, to: old, from: source)
        // First use of the new ones retires the old ufrag; same path → no new selection.
        let new = request(username: "NEWufrag:c2c2", password: fresh.password, useCandidate: true)
        let actions = agent.handle(new, from: source, now: t0 + .seconds(2))
        XCTAssertEqual(actions.first, .credentialsRetired(ufrag: "Sv8tQ2xa"))
        _ = try checkResponse(actions.dropFirst().first, to: new, from: source, password: fresh.password)
        XCTAssertEqual(actions.count, 2)
        XCTAssertEqual(agent.acceptedUfrags, ["NEWufrag"])
        XCTAssertEqual(agent.handle(old, from: source, now: t0 + .seconds(3)), [.ignore(.wrongUfrag)])
    }

    func testSecondRestartRetiresTheOldestAtOnce() {
        var agent = makeAgent()
        let a = IceCredentials(ufrag: "AAAAAAAA", password: "aaaaaaaaaaaaaaaaaaaaaaaa")
        let b = IceCredentials(ufrag: "BBBBBBBB", password: "bbbbbbbbbbbbbbbbbbbbbbbb")
        XCTAssertEqual(agent.restart(local: a, remoteUfrag: "x1x1", now: t0), [])
        XCTAssertEqual(agent.restart(local: b, remoteUfrag: "x2x2", now: t0), [.credentialsRetired(ufrag: "Sv8tQ2xa")])
        XCTAssertEqual(agent.acceptedUfrags, ["BBBBBBBB", "AAAAAAAA"])
    }

    func testSoftwareAttributeWhenConfigured() throws {
        var agent = IceLiteAgent(local: local, remoteUfrag: "u7Hc", configuration: .init(software: "sfu"), now: t0)
        let req = request()
        XCTAssertEqual(try checkResponse(agent.handle(req, from: source, now: t0).first, to: req, from: source).software, "sfu")
    }
}

/// Ends a test that already recorded a failure.
struct UnexpectedAction: Error {}
