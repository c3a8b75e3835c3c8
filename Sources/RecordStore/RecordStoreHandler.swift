import Foundation
import HTTP
import JSON

/// The HTTP face of one record store (port 10700 for records, 10600 for
/// prerecordings): listing, streamed upload and download with ranges and
/// conditional requests, delete, `/ping`, `/sse` and `/openapi`.
public final class RecordStoreHandler: HTTPHandler {
    public let store: RecordStore
    let authorizer: StoreAuthorizer
    let openAPIJSON: [UInt8]

    /// Listing pages hold at most this many items.
    public static let maxPageSize = 1000
    public static let defaultPageSize = 100

    public init(store: RecordStore, authorizer: StoreAuthorizer) {
        self.store = store
        self.authorizer = authorizer
        self.openAPIJSON = Array(StoreOpenAPI.document(kind: store.kind, limits: store.limits).utf8)
    }

    public func maxBodySize(for head: HTTPRequestHead) -> Int64 {
        head.method == "PUT" ? store.limits.maxItemSize : 64 * 1024
    }

    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.path
        switch path {
        case "/ping":
            try only(request, "GET")
            var r = HTTPResponse.noContent()
            r.headers.add("Cache-Control", "no-store")
            return r
        case "/sse":
            try only(request, "GET")
            return try await serverSentEvents(request)
        case "/openapi", "/openapi/":
            try only(request, "GET")
            return .text(200, ScalarPage.html(title: "SFU \(store.kind.title) API", specURL: "/openapi/openapi.json"),
                         contentType: "text/html; charset=utf-8")
        case "/openapi/openapi.json":
            try only(request, "GET")
            return .bytes(200, openAPIJSON, contentType: "application/json")
        default:
            break
        }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard path.hasPrefix("/"), let first = segments.first,
              first == store.kind.rawValue || "/" + first == store.kind.alias else {
            throw HTTPError(404, "NOT_FOUND", "no resource at \(path); this is the \(store.kind.title): see /openapi")
        }
        if segments.count == 3 && segments[2].isEmpty { segments.removeLast() } // "/records/{event}/"
        switch segments.count {
        case 2 where !segments[1].isEmpty:
            try only(request, "GET")
            return try await list(request, event: segments[1])
        case 3:
            try only(request, "GET", "PUT", "DELETE")
            let key: ItemKey
            do { key = try ItemKey(event: segments[1], start: segments[2]) } catch { throw error.httpError }
            switch request.method {
            case "PUT": return try await put(request, key)
            case "DELETE": return try await delete(request, key)
            default: return try await get(request, key)
            }
        default:
            throw HTTPError(404, "NOT_FOUND", "no resource at \(path); items live at \(store.kind.prefix)/{event}/{start}")
        }
    }

    /// 405 unless the method is one of `allowed` (HEAD goes with GET).
    func only(_ request: HTTPRequest, _ allowed: String...) throws(HTTPError) {
        var all = allowed
        if all.contains("GET") { all.insert("HEAD", at: all.firstIndex(of: "GET")! + 1) }
        guard all.contains(request.method) else {
            var h = HTTPHeaders()
            h.add("Allow", all.joined(separator: ", "))
            throw HTTPError(405, "METHOD_NOT_ALLOWED", "\(request.method) is not allowed on \(request.path); use \(all.joined(separator: ", "))", headers: h)
        }
    }

    /// Runs blocking store work off the cooperative pool, mapping its errors to HTTP.
    func io<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await BlockingIO.run(body)
        } catch let e as DiskError {
            throw e.httpError
        } catch let e as KeyError {
            throw e.httpError
        }
    }

    // MARK: - Listing

    func list(_ request: HTTPRequest, event rawEvent: String) async throws -> HTTPResponse {
        let event: String
        do { event = try EventID.parse(rawEvent) } catch { throw error.httpError }
        let q = try ListQuery(request.query)
        try await authorizer.authorize(request, event: event, write: false)
        let store = self.store
        let all = try await io { try store.list(event: event, from: q.from, to: q.to) }
        let page = all.dropFirst(q.offset).prefix(q.limit)
        let body = JSON.object([
            "kind": .string(store.kind.rawValue),
            "event": .string(event),
            "total": .int(Int64(all.count)),
            "offset": .int(Int64(q.offset)),
            "limit": .int(Int64(q.limit)),
            "items": .array(page.map { $0.json(kind: store.kind) }),
        ])
        var r = HTTPResponse.bytes(200, body.bytes, contentType: "application/json")
        r.headers.add("Cache-Control", "no-cache")
        return r
    }

    // MARK: - Download

    func get(_ request: HTTPRequest, _ key: ItemKey) async throws -> HTTPResponse {
        try await authorizer.authorize(request, event: key.event, write: false)
        let store = self.store
        guard let (file, item) = try await io({ try store.open(key) }) else {
            throw HTTPError(404, "ITEM_NOT_FOUND", "no item \(store.kind.prefix)/\(key.path)")
        }
        var h = HTTPHeaders()
        h.add("ETag", item.etag.description)
        h.add("Last-Modified", HTTPDates.format(epochSeconds: Int(item.validators.lastModified)))
        h.add("Cache-Control", "no-cache")
        h.add("Accept-Ranges", "bytes")
        switch Conditional.evaluate(method: request.method, headers: request.headers, current: item.validators) {
        case .notModified:
            return HTTPResponse(status: 304, headers: h)
        case .preconditionFailed(let why):
            throw HTTPError(412, "PRECONDITION_FAILED", why)
        case .proceed:
            break
        }
        h.add("Content-Type", item.contentType)
        if request.method == "GET", let range = request.headers["Range"],
           Conditional.rangeAllowed(ifRange: request.headers["If-Range"], current: item.validators),
           let specs = try? ByteRange.parse(range) {
            switch ByteRange.resolve(specs, size: item.size) {
            case .partial(let first, let last):
                h.add("Content-Range", "bytes \(first)-\(last)/\(item.size)")
                return HTTPResponse(status: 206, headers: h, body: .openFile(file, offset: first, length: last - first + 1))
            case .unsatisfiable:
                var eh = HTTPHeaders()
                eh.add("Content-Range", "bytes */\(item.size)")
                eh.add("Accept-Ranges", "bytes")
                throw HTTPError(416, "RANGE_NOT_SATISFIABLE", "the item has \(item.size) bytes; range '\(range)' selects none of them", headers: eh)
            case .whole:
                break
            }
        }
        return HTTPResponse(status: 200, headers: h, body: .openFile(file, offset: 0, length: item.size))
    }

    // MARK: - Upload and delete

    func put(_ request: HTTPRequest, _ key: ItemKey) async throws -> HTTPResponse {
        try await authorizer.authorize(request, event: key.event, write: true)
        try RecordStore.checkContentType(request.headers["Content-Type"])
        let store = self.store
        let headers = request.headers
        let conditional = ["If-Match", "If-None-Match", "If-Unmodified-Since"].contains { headers.contains($0) }
        var precondition: (@Sendable (Validators?) -> Conditional.Outcome)?
        if conditional {
            precondition = { @Sendable v in Conditional.evaluate(method: "PUT", headers: headers, current: v) }
        }
        if let precondition {
            // Fail before the upload is streamed; checked again at commit time.
            let current = try await io { try store.item(key) }
            if case .preconditionFailed(let why) = precondition(current?.validators) {
                throw HTTPError(412, "PRECONDITION_FAILED", why)
            }
        }
        guard store.uploads.tryEnter() else {
            var h = HTTPHeaders()
            h.add("Retry-After", "1")
            throw HTTPError(503, "TOO_MANY_UPLOADS", "\(store.uploads.limit) uploads are already in progress; retry later", headers: h)
        }
        defer { store.uploads.leave() }
        var declared: Int64?
        if case .length(let n) = request.head.bodyFraming { declared = n }
        let result = try await store.ingest(key, contentType: request.headers["Content-Type"] ?? "", declaredLength: declared,
                                            precondition: precondition) { try await request.body.read() }
        var h = HTTPHeaders()
        h.add("ETag", result.item.etag.description)
        h.add("Last-Modified", HTTPDates.format(epochSeconds: Int(result.item.validators.lastModified)))
        if result.created {
            h.add("Location", store.kind.prefix + "/" + key.path)
            h.add("Content-Type", "application/json")
            return HTTPResponse(status: 201, headers: h, body: .bytes(result.item.json(kind: store.kind).bytes))
        }
        return HTTPResponse(status: 204, headers: h)
    }

    func delete(_ request: HTTPRequest, _ key: ItemKey) async throws -> HTTPResponse {
        try await authorizer.authorize(request, event: key.event, write: true)
        let headers = request.headers
        let conditional = ["If-Match", "If-None-Match", "If-Unmodified-Since"].contains { headers.contains($0) }
        var precondition: (@Sendable (Validators?) -> Conditional.Outcome)?
        if conditional {
            precondition = { @Sendable v in Conditional.evaluate(method: "DELETE", headers: headers, current: v) }
        }
        guard try await store.delete(key, precondition: precondition) != nil else {
            throw HTTPError(404, "ITEM_NOT_FOUND", "no item \(store.kind.prefix)/\(key.path)")
        }
        return .noContent()
    }

    // MARK: - Server-Sent Events

    func serverSentEvents(_ request: HTTPRequest) async throws -> HTTPResponse {
        var filter: String?
        if let e = request.query["event"] {
            do { filter = try EventID.parse(e) } catch { throw error.httpError }
        }
        var lastID: Int64?
        if let raw = request.headers["Last-Event-ID"]?.trimmingOWS(), !raw.isEmpty {
            guard let v = Int64(raw), v >= 0 else {
                throw HTTPError(400, "INVALID_LAST_EVENT_ID", "Last-Event-ID must be an event id this store sent (a non-negative integer), not '\(raw)'")
            }
            lastID = v
        }
        try await authorizer.authorize(request, event: filter, write: false)
        var h = HTTPHeaders()
        h.add("Content-Type", "text/event-stream; charset=utf-8")
        h.add("Cache-Control", "no-cache")
        h.add("X-Accel-Buffering", "no")
        let hub = store.events
        let kind = store.kind
        let (lastEventID, eventFilter) = (lastID, filter)
        let interval = store.limits.sseHeartbeat
        return HTTPResponse(status: 200, headers: h, body: .stream { writer in
            let sub = hub.subscribe(after: lastEventID, filter: eventFilter)
            defer { hub.unsubscribe(sub) }
            let beat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                    hub.heartbeat(sub)
                }
            }
            defer { beat.cancel() }
            try await writer.write("retry: 2000\n: connected to the \(kind.title); events follow\n\n")
            if let gap = sub.gap {
                let data = JSON.object([
                    "kind": .string(kind.rawValue),
                    "type": "reset",
                    "lastEventId": .int(lastEventID ?? 0),
                    "oldestKeptId": gap.map { .int($0) } ?? .null,
                    "message": "events after Last-Event-ID are no longer kept (or came from an earlier server process); list the items again",
                ]).serialized()
                try await writer.write("event: reset\ndata: \(data)\n\n")
            }
            for e in sub.backlog { try await writer.write(EventHub.format(e)) }
            for await item in sub.stream {
                switch item {
                case .event(let e): try await writer.write(EventHub.format(e))
                case .heartbeat: try await writer.write(": heartbeat\n\n")
                }
            }
        })
    }
}

extension EventHub {
    /// One event in `text/event-stream` framing.
    static func format(_ e: Event) -> String {
        "id: \(e.id)\nevent: \(e.type)\ndata: \(e.data)\n\n"
    }
}

/// The query of a listing: `from`, `to` (ISO-8601 date-times; from ≤ start < to),
/// `limit` (1–1000, default 100) and `offset` (≥ 0, default 0).
public struct ListQuery: Equatable, Sendable {
    public var from: Int64?
    public var to: Int64?
    public var limit = RecordStoreHandler.defaultPageSize
    public var offset = 0

    public init(_ query: [String: String]) throws(HTTPError) {
        do {
            if let f = query["from"] { from = try StartTime.parse(f, field: "from") }
            if let t = query["to"] { to = try StartTime.parse(t, field: "to") }
        } catch {
            throw error.httpError
        }
        if let from, let to, from > to {
            throw HTTPError(400, "INVALID_TO", "to (\(StartTime.format(to))) is before from (\(StartTime.format(from)))")
        }
        if let l = query["limit"] {
            guard let v = Int(l), v >= 1, v <= RecordStoreHandler.maxPageSize else {
                throw HTTPError(400, "INVALID_LIMIT", "limit must be an integer from 1 to \(RecordStoreHandler.maxPageSize), not '\(l)'")
            }
            limit = v
        }
        if let o = query["offset"] {
            guard let v = Int(o), v >= 0 else {
                throw HTTPError(400, "INVALID_OFFSET", "offset must be a non-negative integer, not '\(o)'")
            }
            offset = v
        }
    }
}
