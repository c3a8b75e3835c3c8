import XCTest
import JSON
import HTTP
@testable import Signaling

/// The bounded event log and its readers (issue 16 item 6, issue 15 items 2–3).
final class EventLogTests: XCTestCase {
    let service = Principal(subject: "svc", roles: [.service], organizationId: nil)

    func event(_ v: Int64, size: Int = 10) -> String { #"{"conferenceVersion":\#(v),"pad":"\#(String(repeating: "x", count: size))"}"# }

    func testCountBoundDropsTheOldest() {
        var log = EventLog(maxCount: 3, maxBytes: 1 << 20)
        for v in 1...5 { log.append(event(Int64(v)), type: "T", version: Int64(v)) }
        XCTAssertEqual(log.count, 3)
        XCTAssertEqual(log.firstVersion, 3)
        XCTAssertEqual(log.after(2).versions, [3, 4, 5])
        XCTAssertFalse(log.after(2).expired)
        XCTAssertTrue(log.after(1).expired, "events 2 and up were asked for, 2 is gone")
        XCTAssertTrue(log.after(0).expired)
    }

    func testByteBoundDropsTheOldest() {
        var log = EventLog(maxCount: 1000, maxBytes: 200)
        for v in 1...10 { log.append(event(Int64(v), size: 50), type: "T", version: Int64(v)) }
        XCTAssertLessThanOrEqual(log.bytes, 200)
        XCTAssertEqual(log.lastVersion, 10)
        XCTAssertGreaterThan(log.firstVersion, 1)
        // One event larger than the bound is still kept (the newest always is).
        log.append(event(11, size: 500), type: "T", version: 11)
        XCTAssertEqual(log.count, 1)
        XCTAssertEqual(log.after(10).versions, [11])
    }

    func testHugeVersionsDoNotTrap() {
        var log = EventLog(maxCount: 10, maxBytes: 1 << 20)
        log.append(event(1), type: "T", version: 1)
        let page = log.after(Int64.max)
        XCTAssertEqual(page.events, [])
        XCTAssertFalse(page.expired)
        XCTAssertEqual(log.after(Int64.min).versions, [1])
    }

    func testPagesByCountAndBytes() {
        var log = EventLog(maxCount: 1000, maxBytes: 1 << 20)
        for v in 1...25 { log.append(event(Int64(v), size: 100), type: "T", version: Int64(v)) }
        var page = log.after(0, limit: 10)
        XCTAssertEqual(page.versions, Array(1...10))
        XCTAssertTrue(page.more)
        XCTAssertEqual(page.lastVersion, 10)
        page = log.after(20, limit: 10)
        XCTAssertEqual(page.versions, Array(21...25))
        XCTAssertFalse(page.more)
        let size = event(1, size: 100).utf8.count
        page = log.after(0, maxBytes: 3 * size + 10)
        XCTAssertEqual(page.versions.count, 3)
        XCTAssertTrue(page.more)
        // A single event larger than the page still comes out.
        XCTAssertEqual(log.after(0, maxBytes: 1).versions, [1])
    }

    func testBestEffortEntriesExpireAndLeaveTheirVersionEmpty() {
        var log = EventLog(maxCount: 100, maxBytes: 1 << 20)
        log.append(event(1), type: "T", version: 1)
        log.append(event(2), type: "B", version: 2, expiresAt: 10)
        log.append(event(3), type: "T", version: 3)
        XCTAssertEqual(log.after(0).versions, [1, 2, 3])
        log.expire(now: 9)
        XCTAssertEqual(log.after(0).versions, [1, 2, 3])
        log.expire(now: 10)
        XCTAssertEqual(log.after(0).versions, [1, 3])
        XCTAssertEqual(log.after(1).versions, [3])
        XCTAssertFalse(log.hasExpiring)
    }

    // MARK: - Service

    func make(_ edit: (inout ConferenceService.Configuration) -> Void = { _ in }) -> ConferenceService {
        var c = ConferenceService.Configuration()
        edit(&c)
        return ConferenceService(configuration: c)
    }

    func testPollBlocksByDefaultAndWaitZeroAnswersAtOnce() async throws {
        let svc = make { $0.defaultPollWait = 0.5 }
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        var t0 = Date()
        let empty = try await svc.events("c", after: 1, endpoint: nil, who: service)
        XCTAssertEqual(empty.events, [])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.45, "a poll without wait= must block")
        t0 = Date()
        _ = try await svc.events("c", after: 1, wait: 0, endpoint: nil, who: service)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.3)
    }

    func testFallingBehindTheLogIs410() async throws {
        let svc = make { $0.maxEventsKept = 5 }
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        for i in 0..<10 { _ = try await svc.join("c", endpoint: "e\(i)", userId: nil, metadata: [:], who: service) }
        do {
            _ = try await svc.events("c", after: 2, wait: 0, endpoint: nil, who: service)
            XCTFail("events after a dropped version were answered")
        } catch let e as HTTPError {
            XCTAssertEqual(e.status, 410)
            XCTAssertEqual(e.code, "EVENTS_EXPIRED")
        }
        let page = try await svc.events("c", after: 6, wait: 0, endpoint: nil, who: service)
        XCTAssertEqual(page.json.map { $0["conferenceVersion"]?.intValue }, [7, 8, 9, 10, 11])
        let sub = try await svc.subscribe("c", after: 0, endpoint: nil, who: service)
        XCTAssertTrue(sub.expired)
        XCTAssertEqual(sub.firstVersion, 7)
        await svc.unsubscribe("c", sub.token)
    }

    func testBestEffortEventsTakeAVersionAndReachPollers() async throws {
        let svc = make()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        _ = try await svc.join("c", endpoint: "a", userId: nil, metadata: [:], who: service)
        _ = try await svc.join("c", endpoint: "b", userId: nil, metadata: [:], who: service)
        let sent = try await svc.sendEvent("c", event: ["type": "HandRaisedEvent", "timestamp": "2026-01-01T00:00:00Z"], masks: [], atLeastOnce: false, who: service)
        XCTAssertEqual(sent, 2, "every joined endpoint receives it on its next poll")
        let page = try await svc.events("c", after: 3, wait: 0, endpoint: "a", who: service).json
        XCTAssertEqual(page.first?["type"], "HandRaisedEvent")
        XCTAssertEqual(page.first?["conferenceVersion"], 4, "a version of its own, not the previous one")
        let state = try await svc.get("c", who: service)
        XCTAssertEqual(state["version"], 4)
    }

    func testUnsubscribeFinishesTheStream() async throws {
        let svc = make()
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        let sub = try await svc.subscribe("c", after: 1, endpoint: nil, who: service)
        var counts = await svc.readerCounts
        XCTAssertEqual(counts.streams, 1)
        await svc.unsubscribe("c", sub.token)
        counts = await svc.readerCounts
        XCTAssertEqual(counts.streams, 0)
        var it = sub.stream.makeAsyncIterator()
        let next = await it.next()
        XCTAssertNil(next, "the stream must end when unsubscribed")
    }

    func testSlowStreamIsResetNotSilentlyTruncated() async throws {
        let svc = make { $0.streamBuffer = 4 }
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        let sub = try await svc.subscribe("c", after: 1, endpoint: nil, who: service)
        for i in 0..<10 { _ = try await svc.join("c", endpoint: "e\(i)", userId: nil, metadata: [:], who: service) }
        XCTAssertTrue(sub.overflow.happened)
        var got: [Int64] = []
        for await item in sub.stream { got.append(item.version) }
        XCTAssertEqual(got, [2, 3, 4, 5], "the buffered events, then the end")
        let counts = await svc.readerCounts
        XCTAssertEqual(counts.streams, 0)
    }
}
