import XCTest
import JSON
import HTTP
@testable import Signaling

/// Roles, organizations and quotas (issue 16 items 4, 5 and 8).
final class TenancyTests: XCTestCase {
    let operatorSvc = Principal(subject: "ops", roles: [.service], organizationId: nil)
    let svcA = Principal(subject: "svc-a", roles: [.service], organizationId: "A")
    let svcB = Principal(subject: "svc-b", roles: [.service], organizationId: "B")
    let aliceA = Principal(subject: "alice", roles: [.participant], organizationId: "A")
    let creatorA = Principal(subject: "carol", roles: [.participant], organizationId: "A", grants: [.create])

    func make(_ edit: (inout ConferenceService.Configuration) -> Void = { _ in }) -> ConferenceService {
        var c = ConferenceService.Configuration()
        edit(&c)
        return ConferenceService(configuration: c)
    }

    func expect(_ status: Int, _ code: String? = nil, file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> Void) async {
        do {
            try await body()
            XCTFail("expected \(status)", file: file, line: line)
        } catch let e as HTTPError {
            XCTAssertEqual(e.status, status, e.message, file: file, line: line)
            if let code { XCTAssertEqual(e.code, code, file: file, line: line) }
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testParticipantCreatesOnlyWithAGrant() async throws {
        let svc = make()
        await expect(403, "FORBIDDEN") { _ = try await svc.create(id: "x", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.aliceA) }
        let r = try await svc.create(id: "y", creatorEndpoint: nil, metadata: [:], organizationId: "B", who: creatorA)
        XCTAssertEqual(r["id"], "y")
        // Its own organization, whatever it asked for.
        let c = try await svc.get("y", who: svcA)
        XCTAssertEqual(c["organizationId"], "A")
    }

    func testIdsOfOtherOrganizationsAndExistingEventsAreUnavailable() async throws {
        let svc = make()
        _ = try await svc.create(id: "standup", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcB)
        await expect(409, "CONFERENCE_EXISTS") { _ = try await svc.create(id: "standup", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.creatorA) }
        // An event with data in a store, owned by B: neither A's participant nor A's SERVICE may name a conference after it.
        let event = UUID().uuidString.lowercased()
        svc.owners.claim(event, organization: "B")
        await expect(409, "CONFERENCE_EXISTS") { _ = try await svc.create(id: event, creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.creatorA) }
        await expect(409, "CONFERENCE_EXISTS") { _ = try await svc.create(id: event.uppercased(), creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.svcA) }
        // B's SERVICE names its conference after its own event.
        _ = try await svc.create(id: event, creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcB)
        // An event of A's own: a SERVICE of A may, a participant of A may not (it would become a member of the event).
        let own = UUID().uuidString.lowercased()
        svc.owners.claim(own, organization: "A")
        await expect(409) { _ = try await svc.create(id: own, creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.creatorA) }
        _ = try await svc.create(id: own, creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
    }

    func testOrganizationsDoNotSeeEachOther() async throws {
        let svc = make()
        _ = try await svc.create(id: "a1", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
        await expect(404, "CONFERENCE_NOT_FOUND") { _ = try await svc.get("a1", who: self.svcB) }
        await expect(404, "CONFERENCE_NOT_FOUND") { _ = try await svc.join("a1", endpoint: "e", userId: nil, metadata: [:], who: self.svcB) }
        await expect(404, "CONFERENCE_NOT_FOUND") { try await svc.end("a1", endpoint: "e", reason: nil, who: self.svcB) }
        await expect(404, "CONFERENCE_NOT_FOUND") { _ = try await svc.events("a1", after: 0, wait: 0, endpoint: nil, who: self.svcB) }
        await expect(404, "CONFERENCE_NOT_FOUND") { _ = try await svc.subscribe("a1", after: 0, endpoint: nil, who: self.svcB) }
        await expect(404) { _ = try await svc.sendEvent("a1", event: ["type": "HandRaisedEvent"], masks: [], atLeastOnce: true, who: self.svcB) }
        let seen = try await svc.get("a1", who: operatorSvc)
        XCTAssertEqual(seen["organizationId"], "A")
        // A SERVICE of an organization cannot put a conference into another one.
        _ = try await svc.create(id: "a2", creatorEndpoint: nil, metadata: [:], organizationId: "B", who: svcA)
        let a2 = try await svc.get("a2", who: svcA)
        XCTAssertEqual(a2["organizationId"], "A")
        // The store's view of the event: the owner is the conference's organization.
        let (owner, _) = await svc.storeEvent(NameUUID.recordsEvent(conferenceId: "a1"), subject: "x")
        XCTAssertEqual(owner, .organization("A"))
    }

    func testEndForEveryoneNeedsCreatorServiceOrGrant() async throws {
        let svc = make()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
        _ = try await svc.join("c", endpoint: "al", userId: nil, metadata: [:], who: aliceA)
        await expect(403, "FORBIDDEN") { try await svc.end("c", endpoint: "al", reason: nil, who: self.aliceA) }
        let ender = Principal(subject: "alice", roles: [.participant], organizationId: "A", grants: [.end])
        try await svc.end("c", endpoint: "al", reason: nil, who: ender)

        _ = try await svc.create(id: "mine", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: creatorA)
        _ = try await svc.join("mine", endpoint: "ca", userId: nil, metadata: [:], who: creatorA)
        try await svc.end("mine", endpoint: "ca", reason: nil, who: creatorA)
    }

    func testConferenceQuotas() async throws {
        let svc = make { $0.maxConferencesPerParticipant = 2; $0.maxConferencesPerOrganization = 3 }
        _ = try await svc.create(id: "p1", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: creatorA)
        _ = try await svc.create(id: "p2", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: creatorA)
        await expect(429, "QUOTA_EXCEEDED") { _ = try await svc.create(id: "p3", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.creatorA) }
        _ = try await svc.create(id: "s1", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
        await expect(429, "QUOTA_EXCEEDED") { _ = try await svc.create(id: "s2", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.svcA) }
        // Another organization is not affected.
        _ = try await svc.create(id: "b1", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcB)
    }

    func testSendEventRateAndReservedTypes() async throws {
        let svc = make { $0.maxEventsPerSecond = 5 }
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
        await expect(400, "INVALID_FIELD") { _ = try await svc.sendEvent("c", event: ["type": "ConferenceEndedEvent"], masks: [], atLeastOnce: true, who: self.svcA) }
        var limited = 0
        for _ in 0..<20 {
            do { _ = try await svc.sendEvent("c", event: ["type": "HandRaisedEvent"], masks: [], atLeastOnce: false, who: svcA) } catch let e as HTTPError {
                XCTAssertEqual(e.status, 429)
                XCTAssertEqual(e.headers["Retry-After"], "1")
                limited += 1
            }
        }
        XCTAssertGreaterThanOrEqual(limited, 9, "a burst of 10 then 429")
        // Another principal has its own budget.
        _ = try await svc.sendEvent("c", event: ["type": "HandRaisedEvent"], masks: [], atLeastOnce: false, who: operatorSvc)
    }

    func testConferenceMetadataSizeBound() async throws {
        let svc = make { $0.maxConferenceMetadataBytes = 100 }
        await expect(413, "METADATA_TOO_LARGE") { _ = try await svc.create(id: "big", creatorEndpoint: nil, metadata: ["k": String(repeating: "v", count: 200)], organizationId: nil, who: self.svcA) }
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
        _ = try await svc.join("c", endpoint: "e", userId: nil, metadata: [:], who: svcA)
        for i in 0..<4 { try await svc.updateMetadata("c", endpoint: "e", key: "k\(i)", operation: "SET", value: String(repeating: "v", count: 20), who: svcA) }
        await expect(413, "METADATA_TOO_LARGE") { try await svc.updateMetadata("c", endpoint: "e", key: "k9", operation: "SET", value: String(repeating: "v", count: 20), who: self.svcA) }
        // Replacing a value counts only the difference.
        try await svc.updateMetadata("c", endpoint: "e", key: "k0", operation: "SET", value: "short", who: svcA)
    }

    func testStoreEventOfANonUUIDConferenceIsItsUUID5() async throws {
        let svc = make()
        _ = try await svc.create(id: "standup", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
        _ = try await svc.join("standup", endpoint: "al", userId: nil, metadata: [:], who: aliceA)
        // uuid.uuid5(uuid.NAMESPACE_URL, "sfu:conference:standup") in Python.
        let (owner, member) = await svc.storeEvent("0acfcf06-f426-57ae-939a-d89a910780b3", subject: "alice")
        XCTAssertEqual(owner, .organization("A"))
        XCTAssertTrue(member)
        let (_, stranger) = await svc.storeEvent("0acfcf06-f426-57ae-939a-d89a910780b3", subject: "mallory")
        XCTAssertFalse(stranger)
    }

    func testARecordedConferencesEventStaysItsOrganizationsAfterItIsForgotten() async throws {
        var config = ConferenceService.Configuration()
        config.endedRetention = 0.01
        let svc = ConferenceService(configuration: config)
        _ = try await svc.create(id: "weekly", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
        await svc.claimRecordsEvent("weekly")
        _ = try await svc.join("weekly", endpoint: "e", userId: nil, metadata: [:], who: svcA)
        try await svc.end("weekly", endpoint: "e", reason: nil, who: svcA)
        try await Task.sleep(nanoseconds: 1_100_000_000)
        await svc.sweep()
        let event = NameUUID.recordsEvent(conferenceId: "weekly")
        let (owner, _) = await svc.storeEvent(event, subject: "x")
        XCTAssertEqual(owner, .organization("A"), "the records of a forgotten conference keep their organization")
        let org = await svc.organization(ofChannel: "weekly")
        XCTAssertEqual(org, .organization("A"))
        // B cannot reuse the name (it would become the owner of A's records).
        await expect(409, "CONFERENCE_EXISTS") { _ = try await svc.create(id: "weekly", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: self.svcB) }
        _ = try await svc.create(id: "weekly", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svcA)
    }

    func testEventOwnersPersist() throws {
        let path = NSTemporaryDirectory() + "owners-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = try EventOwners(path: path)
        XCTAssertEqual(a.claim("e1", organization: "A"), .organization("A"))
        XCTAssertEqual(a.claim("e1", organization: "B"), .organization("A"))
        a.claim("e2", organization: nil)
        let b = try EventOwners(path: path)
        XCTAssertEqual(b.owner(of: "e1"), .organization("A"))
        XCTAssertEqual(b.owner(of: "e2"), .organization(nil))
        XCTAssertEqual(b.owner(of: "e3"), .unclaimed)
        b.attachStores { $0 == "e3" }
        XCTAssertEqual(b.owner(of: "e3"), .organization(nil), "legacy store data belongs to no organization")
    }

    func testTokensCarryIssuerAudienceAndGrants() throws {
        let auth = Authenticator(enabled: true, secret: Array("tenancy test secret 0123456789ab".utf8), clients: [], tokenTTL: 3600)
        func request(_ token: String) -> HTTPRequest {
            let head = HTTPRequestHead(method: "GET", target: "/", path: "/", query: nil, versionMinor: 1,
                                       headers: HTTPHeaders([("Authorization", "Bearer " + token)]), bodyFraming: .none, keepAlive: true, expectContinue: false)
            return HTTPRequest(head: head, body: RequestBody(bytes: []), remoteAddress: "test")
        }
        let good = auth.issueToken(subject: "carol", roles: [.participant], organizationId: "A", grants: [.create]).token
        let who = try auth.authenticate(request(good))
        XCTAssertEqual(who.grants, [.create])
        XCTAssertEqual(who.organizationId, "A")
        let now = Int64(Date().timeIntervalSince1970)
        let base: [String: JSON] = ["sub": "x", "roles": ["SERVICE"], "exp": .int(now + 60), "iss": "sfu", "aud": "sfu:api"]
        XCTAssertNoThrow(try auth.authenticate(request(auth.sign(.object(base)))))
        XCTAssertNoThrow(try auth.authenticate(request(auth.sign(.object(base.merging(["aud": ["other", "sfu:api"]]) { $1 })))))
        for bad: [String: JSON] in [["aud": "sfu:recording-download"], ["aud": .null], ["iss": "someone-else"], ["iss": .null]] {
            let token = auth.sign(.object(base.merging(bad) { $1 }))
            XCTAssertThrowsError(try auth.authenticate(request(token)), "\(bad)") { XCTAssertEqual(($0 as! HTTPError).status, 401) }
        }
    }
}
