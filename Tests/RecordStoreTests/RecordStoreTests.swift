import XCTest
import Foundation
import HTTP
@testable import RecordStore

/// The store against a real temporary directory (no HTTP).
final class RecordStoreTests: XCTestCase {
    var dir = ""
    let event = "0f339cb0-7ab4-43fe-852d-75708232f76c"

    override func setUp() {
        dir = NSTemporaryDirectory() + "record-store-tests-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A valid Ogg Opus beginning followed by `extra` bytes.
    func ogg(_ extra: Int = 1000, fill: UInt8 = 7) -> [UInt8] {
        OggCheckTests.ffmpegFirstPage + [UInt8](repeating: fill, count: extra)
    }

    func pieces(_ bytes: [UInt8], size: Int = 10) -> () async throws -> [UInt8]? {
        var rest = bytes[...]
        return {
            if rest.isEmpty { return nil }
            let p = Array(rest.prefix(size))
            rest = rest.dropFirst(size)
            return p
        }
    }

    func put(_ store: RecordStore, _ start: String, _ bytes: [UInt8]) async throws -> StoreResult {
        let next = pieces(bytes)
        return try await store.ingest(try ItemKey(event: event, start: start), contentType: "audio/ogg") { try await next() }
    }

    func testCreateReplaceListDelete() async throws {
        let store = try RecordStore(kind: .records, dataDirectory: dir)
        let sub = store.events.subscribe(after: nil, filter: nil)
        let first = try await put(store, "2024-01-01T00:00:10Z", ogg(100))
        XCTAssertTrue(first.created)
        XCTAssertEqual(first.item.size, 147)
        let second = try await put(store, "2024-01-01T00:00:00", ogg(5))
        XCTAssertTrue(second.created)
        try await Task.sleep(nanoseconds: 20_000_000)
        let replaced = try await put(store, "2024-01-01T01:00:10+01:00", ogg(200, fill: 9))
        XCTAssertFalse(replaced.created)
        XCTAssertNotEqual(replaced.item.etag, first.item.etag)
        XCTAssertEqual(replaced.item.createdMillis, first.item.createdMillis, "creation time kept across replacement")
        XCTAssertGreaterThanOrEqual(replaced.item.modifiedMillis, replaced.item.createdMillis)

        let listed = try store.list(event: event)
        XCTAssertEqual(listed.map(\.key.start), ["2024-01-01T00:00:00Z", "2024-01-01T00:00:10Z"])
        XCTAssertEqual(listed[1].size, 247)
        XCTAssertEqual(try store.list(event: event, from: 1_704_067_205_000).count, 1)
        XCTAssertEqual(try store.list(event: event, to: 1_704_067_205_000).count, 1)
        let path = store.root + "/" + event + "/2024-01-01T00:00:10Z.ogg"
        XCTAssertEqual(FileManager.default.contents(atPath: path).map { Array($0) }, ogg(200, fill: 9))

        let deleted = try await store.delete(try ItemKey(event: event, start: "2024-01-01T00:00:00Z"))
        XCTAssertEqual(deleted?.size, 52)
        let again = try await store.delete(try ItemKey(event: event, start: "2024-01-01T00:00:00Z"))
        XCTAssertNil(again)

        var types: [String] = []
        for await item in sub.stream {
            if case .event(let e) = item { types.append(e.type) }
            if types.count == 4 { break }
        }
        XCTAssertEqual(types, ["created", "created", "replaced", "deleted"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.root + "/.tmp"), [])
    }

    func testRejectedUploadsLeaveNothing() async throws {
        let store = try RecordStore(kind: .prerecordings, dataDirectory: dir)
        do {
            _ = try await put(store, "2024-01-01T00:00:00Z", Array("ID3 this is an mp3".utf8) + [UInt8](repeating: 0, count: 100))
            XCTFail("accepted a non-Ogg body")
        } catch let e as HTTPError {
            XCTAssertEqual(e.status, 415)
            XCTAssertEqual(e.code, "NOT_OGG_OPUS")
        }
        do {
            _ = try await store.ingest(try ItemKey(event: event, start: "2024-01-01T00:00:00Z"), contentType: "audio/mpeg") { nil }
            XCTFail("accepted audio/mpeg")
        } catch let e as HTTPError {
            XCTAssertEqual(e.code, "UNSUPPORTED_MEDIA_TYPE")
        }
        XCTAssertEqual(try store.list(event: event).count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.root + "/.tmp"), [])
    }

    func testSizeLimit() async throws {
        var limits = RecordStore.Limits()
        limits.maxItemSize = 100
        let store = try RecordStore(kind: .records, dataDirectory: dir, limits: limits)
        do {
            _ = try await put(store, "2024-01-01T00:00:00Z", ogg(200))
            XCTFail("accepted an item above the limit")
        } catch let e as HTTPError {
            XCTAssertEqual(e.status, 413)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.root + "/.tmp"), [])
    }

    func testPreconditionsAreCheckedAtCommit() async throws {
        let store = try RecordStore(kind: .records, dataDirectory: dir)
        let key = try ItemKey(event: event, start: "2024-01-01T00:00:00Z")
        var h = HTTPHeaders()
        h.add("If-None-Match", "*")
        let createOnly: @Sendable (Validators?) -> Conditional.Outcome = { [h] in Conditional.evaluate(method: "PUT", headers: h, current: $0) }
        let next1 = pieces(ogg())
        _ = try await store.ingest(key, contentType: "audio/ogg", precondition: createOnly) { try await next1() }
        let next2 = pieces(ogg())
        do {
            _ = try await store.ingest(key, contentType: "audio/ogg", precondition: createOnly) { try await next2() }
            XCTFail("create-only PUT replaced an item")
        } catch let e as HTTPError {
            XCTAssertEqual(e.status, 412)
        }
    }

    func testRecorderEntryPointCopiesAFile() async throws {
        let store = try RecordStore(kind: .records, dataDirectory: dir)
        let src = dir + "-src.ogg"
        let bytes = ogg(3 << 20)
        FileManager.default.createFile(atPath: src, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: src) }
        let r = try await store.store(event: event.uppercased(), start: Date(timeIntervalSince1970: 1_704_067_200.25), contentsOf: URL(fileURLWithPath: src))
        XCTAssertTrue(r.created)
        XCTAssertEqual(r.item.key.start, "2024-01-01T00:00:00.250Z")
        XCTAssertEqual(r.item.size, Int64(bytes.count))
        XCTAssertEqual(store.events.kept.last?.type, "created")
        let stored = FileManager.default.contents(atPath: store.root + "/" + event + "/2024-01-01T00:00:00.250Z.ogg")
        XCTAssertEqual(stored.map { Array($0) } == bytes, true)
    }

    func testRecorderEntryPointTakesAStreamOfChunks() async throws {
        let store = try RecordStore(kind: .records, dataDirectory: dir)
        let bytes = ogg(5000)
        let chunks = AsyncStream<[UInt8]> { c in
            var rest = bytes[...]
            while !rest.isEmpty { c.yield(Array(rest.prefix(333))); rest = rest.dropFirst(333) }
            c.finish()
        }
        let sub = store.events.subscribe(after: nil, filter: event)
        let r = try await store.store(event: event, startMillis: 1_704_067_200_000, chunks: chunks)
        XCTAssertEqual(r.item.size, Int64(bytes.count))
        XCTAssertEqual(r.item.key.start, "2024-01-01T00:00:00Z")
        var it = sub.stream.makeAsyncIterator()
        guard case .event(let e)? = await it.next() else { return XCTFail("no SSE event") }
        XCTAssertEqual(e.type, "created")
        XCTAssertTrue(e.data.contains("\"size\":\(bytes.count)"))
        do {
            _ = try await store.store(event: "not-a-uuid", startMillis: 0, chunks: AsyncStream<[UInt8]> { $0.finish() })
            XCTFail("accepted a bad event id")
        } catch let e as KeyError {
            XCTAssertEqual(e.code, "INVALID_EVENT")
        }
    }

    func testStartupRemovesLeftoversAndIgnoresStrayFiles() throws {
        let store = try RecordStore(kind: .records, dataDirectory: dir)
        let tmp = store.root + "/.tmp"
        FileManager.default.createFile(atPath: tmp + "/999999-deadbeef.part", contents: Data([1, 2, 3]))
        FileManager.default.createFile(atPath: tmp + "/junk", contents: Data([1]))
        try FileManager.default.createDirectory(atPath: store.root + "/" + event, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: store.root + "/" + event + "/2024-01-01T00:00:00.ogg", contents: Data(ogg()))
        let reopened = try RecordStore(kind: .records, dataDirectory: dir)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [])
        XCTAssertEqual(try reopened.list(event: event).count, 0, "a non-canonical name is not an item")
    }

    func testEventHubResumptionAndGaps() throws {
        let hub = EventHub(kind: .records, capacity: 3, firstID: 100)
        let item = StoredItem(key: try ItemKey(event: event, start: "2024-01-01T00:00:00Z"), status: stat(), createdMillis: 0)
        for _ in 0..<5 { hub.publish(type: "created", item: item) } // ids 100...104; 102...104 kept
        XCTAssertEqual(hub.subscribe(after: 102, filter: nil).backlog.map(\.id), [103, 104])
        XCTAssertNil(hub.subscribe(after: 101, filter: nil).gap)
        let old = hub.subscribe(after: 50, filter: nil)
        XCTAssertEqual(old.gap, .some(102))
        XCTAssertEqual(old.backlog.map(\.id), [102, 103, 104])
        XCTAssertEqual(hub.subscribe(after: 104, filter: nil).backlog, [])
        XCTAssertEqual(hub.subscribe(after: 101, filter: "00000000-0000-0000-0000-000000000000").backlog, [])
        XCTAssertTrue(EventHub.format(hub.kept[0]).hasPrefix("id: 102\nevent: created\ndata: {"))
        XCTAssertTrue(EventHub.format(hub.kept[0]).hasSuffix("}\n\n"))
    }
}
