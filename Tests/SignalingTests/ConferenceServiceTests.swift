import XCTest
import JSON
import HTTP
@testable import Signaling

final class ConferenceServiceTests: XCTestCase {
    let service = Principal(subject: "svc", roles: [.service], organizationId: nil)
    let alice = Principal(subject: "alice", roles: [.participant], organizationId: nil)
    let bob = Principal(subject: "bob", roles: [.participant], organizationId: nil)

    func makeService() -> ConferenceService { ConferenceService(configuration: .init()) }

    func testVersionsAreGapFreeUnderConcurrency() async throws {
        let svc = makeService()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        let who = service
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    _ = try await svc.join("c", endpoint: "e\(i)", userId: nil, metadata: [:], who: who)
                    try await svc.leave("c", endpoint: "e\(i)", reason: nil, who: who)
                }
            }
            try await group.waitForAll()
        }
        let events = try await svc.events("c", after: 0, wait: 0, endpoint: nil, who: service).json
        XCTAssertEqual(events.count, 401)
        XCTAssertEqual(events.map { $0["conferenceVersion"]!.intValue! }, Array(1...401))
        let state = try await svc.get("c", who: service)
        XCTAssertEqual(state["version"], 401)
        XCTAssertEqual(state["empty"], true)
    }

    func testParticipantActsOnlyOnItsOwnEndpoint() async throws {
        let svc = makeService()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        _ = try await svc.join("c", endpoint: "a1", userId: nil, metadata: [:], who: alice)
        _ = try await svc.join("c", endpoint: "b1", userId: nil, metadata: [:], who: bob)
        do {
            try await svc.leave("c", endpoint: "a1", reason: nil, who: bob)
            XCTFail("bob left alice's endpoint")
        } catch let e as HTTPError {
            XCTAssertEqual(e.status, 403)
        }
        let outsider = Principal(subject: "carol", roles: [.participant], organizationId: nil)
        do {
            _ = try await svc.get("c", who: outsider)
            XCTFail("carol read a conference she is not in")
        } catch let e as HTTPError {
            XCTAssertEqual(e.status, 403)
        }
        let view = try await svc.simpleView("c", who: alice)
        XCTAssertEqual(view["participants"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, ["alice", "bob"])
    }

    func testSendEventMasksTheStoredCopyOnly() async throws {
        let svc = makeService()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        _ = try await svc.join("c", endpoint: "a1", userId: nil, metadata: [:], who: alice)
        let sub = try await svc.subscribe("c", after: 2, endpoint: "a1", who: alice)
        let event: [String: JSON] = ["type": "CardAddedEvent", "timestamp": "2026-01-01T00:00:00Z", "card": ["number": "4111"]]
        let sent = try await svc.sendEvent("c", event: event, masks: [try JSONPath("$.card.number")], atLeastOnce: true, who: service)
        XCTAssertEqual(sent, 1)
        var it = sub.stream.makeAsyncIterator()
        guard let item = await it.next() else { return XCTFail("no live event") }
        let live = try JSON.parse(Array(item.text.utf8))
        XCTAssertEqual(live["card"]?["number"], "4111")
        XCTAssertEqual(item.version, 3)
        let stored = try await svc.events("c", after: 2, wait: 0, endpoint: nil, who: service).json
        XCTAssertEqual(stored.first?["card"]?["number"], "****")

        // Best effort: every joined endpoint counts and pollers read it with a version of its own.
        _ = try await svc.join("c", endpoint: "b1", userId: nil, metadata: [:], who: bob)
        let reached = try await svc.sendEvent("c", event: ["type": "HandRaisedEvent", "timestamp": "2026-01-01T00:00:00Z"], masks: [], atLeastOnce: false, who: service)
        XCTAssertEqual(reached, 2)
        let after = try await svc.events("c", after: 3, wait: 0, endpoint: nil, who: service).json
        XCTAssertEqual(after.map { $0["type"]?.stringValue }, ["ConferenceParticipantJoinedEvent", "HandRaisedEvent"])
        XCTAssertEqual(after.map { $0["conferenceVersion"]?.intValue }, [4, 5])
    }

    func testLongPollWakesOnChange() async throws {
        let svc = makeService()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        let who = service
        async let polled = svc.events("c", after: 1, wait: 5, endpoint: nil, who: who)
        try await Task.sleep(nanoseconds: 100_000_000)
        _ = try await svc.join("c", endpoint: "e", userId: nil, metadata: [:], who: who)
        let result = try await polled.json
        XCTAssertEqual(result.map { $0["type"]?.stringValue }, ["ConferenceParticipantJoinedEvent"])
        let empty = try await svc.events("c", after: 2, wait: 0.2, endpoint: nil, who: who).json
        XCTAssertEqual(empty, [])
    }

    func testIdleConferenceEnds() async throws {
        var config = ConferenceService.Configuration()
        config.idleTimeout = 0.2
        let svc = ConferenceService(configuration: config)
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        try await Task.sleep(nanoseconds: 300_000_000)
        await svc.sweep()
        let events = try await svc.events("c", after: 1, wait: 0, endpoint: nil, who: service).json
        XCTAssertEqual(events.first?["type"], "ConferenceEndedEvent")
        XCTAssertEqual(events.first?["reason"], "IDLE")
        do {
            _ = try await svc.get("c", who: service)
            XCTFail("ended conference still readable")
        } catch let e as HTTPError {
            XCTAssertEqual(e.code, "CONFERENCE_ENDED")
        }
    }

    func testMetadataSetAndRemove() async throws {
        let svc = makeService()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        _ = try await svc.join("c", endpoint: "a1", userId: nil, metadata: [:], who: alice)
        try await svc.updateMetadata("c", endpoint: "a1", key: "topic", operation: "SET", value: "hello", who: alice)
        var state = try await svc.get("c", who: alice)
        XCTAssertEqual(state["metadata"]?["topic"]?["value"], "hello")
        XCTAssertEqual(state["metadata"]?["topic"]?["userId"], "alice")
        XCTAssertEqual(state["metadata"]?["topic"]?["userEndpointId"], "a1")
        try await svc.updateMetadata("c", endpoint: "a1", key: "topic", operation: "REMOVE", value: nil, who: alice)
        state = try await svc.get("c", who: alice)
        XCTAssertEqual(state["metadata"], .object([:]))
    }
}

final class SickEndpointTests: XCTestCase {
    func testSickEndpointIsRemovedAfterGraceAndItsMediaFreed() async throws {
        var config = ConferenceService.Configuration()
        config.sickGrace = 0.2
        let svc = ConferenceService(configuration: config)
        let service = Principal(subject: "svc", roles: [.service], organizationId: nil)
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        _ = try await svc.join("c", endpoint: "pub", userId: nil, metadata: [:], who: service)
        _ = try await svc.join("c", endpoint: "other", userId: nil, metadata: [:], who: service)
        try await svc.commitPublish("c", endpoint: "pub", streamId: "s1", type: .cam, metadata: [:], videoBitrate: nil, who: service)
        try await svc.commitView("c", endpoint: "other", streamId: "s1", viewerId: "v1", metadata: [:], who: service)
        let freedBox = FreedBox()
        await svc.addEndpointRemovedObserver { _, freed in await freedBox.add(freed) }
        await svc.setEndpointState("c", endpoint: "pub", sick: true)
        var state = try await svc.get("c", who: service)
        XCTAssertEqual(state["participants"]?.arrayValue?.first?["state"], "SICK")
        await svc.sweep()
        let during = try await svc.get("c", who: service)
        XCTAssertEqual(during["participants"]?.arrayValue?.count, 2, "still inside the grace period")
        try await Task.sleep(nanoseconds: 300_000_000)
        await svc.sweep()
        state = try await svc.get("c", who: service)
        XCTAssertEqual(state["participants"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, ["other"])
        let events = try await svc.events("c", after: 0, wait: 0, endpoint: nil, who: service).json.map { $0["type"]!.stringValue! }
        XCTAssertEqual(Array(events.suffix(3)), ["ConferenceParticipantStateChangedEvent", "ConferenceStreamUnpublishedEvent", "ConferenceParticipantLeftEvent"])
        let freed = await freedBox.all
        XCTAssertEqual(freed.flatMap(\.streams), ["s1"])
    }

    func testRecoveredEndpointStays() async throws {
        var config = ConferenceService.Configuration()
        config.sickGrace = 0.1
        let svc = ConferenceService(configuration: config)
        let service = Principal(subject: "svc", roles: [.service], organizationId: nil)
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        _ = try await svc.join("c", endpoint: "e", userId: nil, metadata: [:], who: service)
        await svc.setEndpointState("c", endpoint: "e", sick: true)
        await svc.setEndpointState("c", endpoint: "e", sick: false)
        try await Task.sleep(nanoseconds: 200_000_000)
        await svc.sweep()
        let state = try await svc.get("c", who: service)
        XCTAssertEqual(state["participants"]?.arrayValue?.first?["state"], "HEALTHY")
    }
}

actor FreedBox {
    var all: [FreedMedia] = []
    func add(_ f: FreedMedia) { all.append(f) }
}
