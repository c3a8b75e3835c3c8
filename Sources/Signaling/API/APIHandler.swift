import Foundation
import HTTP
import Identifier
import JSON

/// The HTTP face of the signaling server (port 8080 by default): the
/// Conference API, the token endpoint, OpenAPI, metrics and health.
public final class APIHandler: HTTPHandler {
    let conferences: ConferenceService
    let auth: Authenticator
    let media: MediaController
    let extraRoutes: [String: @Sendable (HTTPRequest) async throws -> HTTPResponse]
    let cors: CORSPolicy
    /// The Recordings API (`/channels/...`), when this server records.
    let recordings: RecordingsAPI?
    /// STUN/TURN servers handed to clients at `GET /rtc-api/iceServers` and in WHIP/WHEP `Link` headers.
    let iceServers: IceServerConfig
    /// The WHIP/WHEP faces (`/whip/...`, `/whep/...`; WHIP/WHIPHandler.swift).
    let whip: WHIPFaces
    /// The `/healthz` "cluster" block in cluster mode; answered from memory, never from Redis.
    let clusterHealth: (@Sendable () -> JSON)?
    /// In cluster mode: the 503 that refuses new work (`newWorkCommands`) while this node holds no lease; nil admits.
    let clusterAdmission: (@Sendable () -> HTTPError?)?
    /// Commands that start something on this node (refused by a fenced cluster node).
    static let newWorkCommands: Set<String> = ["create", "join", "publishStream", "viewStream"]

    /// JSON command bodies are small; 1 MiB is generous (SDP offers are ~10 KiB).
    public static let maxCommandBytes = 1 << 20

    public init(conferences: ConferenceService, auth: Authenticator, media: MediaController,
                cors: CORSPolicy = CORSPolicy(allowedOrigins: ["*"]),
                extraRoutes: [String: @Sendable (HTTPRequest) async throws -> HTTPResponse] = [:],
                recordings: RecordingsAPI? = nil, iceServers: IceServerConfig = .none, whip: WHIPFaces = WHIPFaces(),
                clusterHealth: (@Sendable () -> JSON)? = nil, clusterAdmission: (@Sendable () -> HTTPError?)? = nil) {
        self.clusterHealth = clusterHealth
        self.clusterAdmission = clusterAdmission
        self.whip = whip
        self.cors = cors
        self.iceServers = iceServers
        self.recordings = recordings
        self.conferences = conferences
        self.auth = auth
        self.media = media
        self.extraRoutes = extraRoutes
    }

    public func maxBodySize(for head: HTTPRequestHead) -> Int64 {
        head.path == "/security/oauth/token" ? 16 * 1024 : Int64(APIHandler.maxCommandBytes)
    }

    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let wish = WHIPFace(path: request.path)
        let face = wish?.rawValue ?? "api"
        do {
            var r: HTTPResponse
            if let wish {
                r = try await routeWHIP(request, wish)
            } else if request.method == "OPTIONS", let origin = request.headers["Origin"] {
                r = HTTPResponse(status: 204)
                cors.preflight(origin: origin, request: request.headers, into: &r.headers)
            } else {
                r = try await route(request)
            }
            if let origin = request.headers["Origin"] { cors.allow(origin: origin, into: &r.headers) }
            Metrics.shared.increment("sfu_http_requests_total", labels: ["face": face, "status": String(r.status)])
            return r
        } catch var e as HTTPError {
            if let origin = request.headers["Origin"] { cors.allow(origin: origin, into: &e.headers) }
            Metrics.shared.increment("sfu_http_requests_total", labels: ["face": face, "status": String(e.status)])
            throw e
        }
    }

    static let conferenceCommands: Set<String> = [
        "create", "end", "join", "leave", "publishStream", "unpublishStream", "viewStream", "stopViewStream",
        "addPublishStreamIceCandidates", "addViewStreamIceCandidates", "updatePublishedStreamBitrate",
        "updateMetadata", "updateParticipantMetadata", "updateStreamMetadata", "sendEvent",
    ]

    func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.path
        let method = request.method
        func only(_ allowed: String...) throws(HTTPError) {
            var all = allowed
            if all.contains("GET") { all.append("HEAD") }
            guard all.contains(method) else {
                var h = HTTPHeaders()
                h.add("Allow", all.joined(separator: ", "))
                throw HTTPError(405, "METHOD_NOT_ALLOWED", "\(method) is not allowed on \(path); use \(allowed.joined(separator: " or "))", headers: h)
            }
        }
        switch path {
        case "/", "/index.html":
            try only("GET")
            return .text(200, WebAssets.indexHTML, contentType: "text/html; charset=utf-8")
        case "/client.js":
            try only("GET")
            return .text(200, WebAssets.clientJS, contentType: "text/javascript; charset=utf-8")
        case "/client.mjs":
            try only("GET")
            return .text(200, WebAssets.clientModuleJS, contentType: "text/javascript; charset=utf-8")
        case "/healthz":
            try only("GET")
            // Always 200 while the process serves: a fenced node still forwards
            // the media it has (the body says whether it takes new work).
            var health: [String: JSON] = ["status": "ok"]
            if let clusterHealth { health["cluster"] = clusterHealth() }
            return json(200, .object(health))
        case "/metrics":
            try only("GET")
            return .text(200, Metrics.shared.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case "/rtc-api/openapi.json":
            try only("GET")
            return .bytes(200, Array(ConferenceOpenAPI.json.utf8), contentType: "application/json")
        case "/rtc-api/openapi":
            try only("GET")
            return .text(200, ScalarPage.html(title: "SFU Conference API", specURL: "/rtc-api/openapi.json"), contentType: "text/html; charset=utf-8")
        case "/security/oauth/token":
            try only("POST")
            return try await auth.tokenEndpoint(request)
        case "/rtc-api/iceServers":
            try only("GET")
            let who = try auth.authenticate(request)
            return json(200, iceServers.json(for: who))
        default:
            break
        }
        if let extra = extraRoutes[path] { return try await extra(request) }
        if path.hasPrefix(RecordingsAPI.prefix), let recordings { return try await recordings.handle(request) }
        let prefix = "/rtc-api/conferences/"
        guard path.hasPrefix(prefix) else {
            throw HTTPError(404, "NOT_FOUND", "no resource at \(path)")
        }
        // Segments are decoded one by one, so an id holding "/" (sent as %2F) stays one segment.
        guard let segments = Identifier.pathSegments(request.head.target), segments.count >= 3,
              segments[0] == "rtc-api", segments[1] == "conferences" else {
            throw HTTPError(404, "NOT_FOUND", "no resource at \(path)")
        }
        let rest = Array(segments.dropFirst(2))
        if rest.count == 1 && APIHandler.conferenceCommands.contains(rest[0]) {
            try only("POST")
            let who = try auth.authenticate(request)
            let body = try await request.body.collect(upTo: APIHandler.maxCommandBytes)
            // No body (and then no Content-Type) is the empty command: `create` needs none.
            if !body.isEmpty {
                guard MediaType.isJSON(request.headers["Content-Type"]) else {
                    throw HTTPError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
                }
            }
            let cmd = try Command.parse(body)
            if APIHandler.newWorkCommands.contains(rest[0]), let refusal = clusterAdmission?() { throw refusal }
            return try await command(rest[0], cmd, who)
        }
        guard (1...3).contains(rest.count), !rest[0].isEmpty else {
            throw HTTPError(404, "NOT_FOUND", "no resource at \(path)")
        }
        let id = rest[0]
        guard Identifier.isValid(id) else { throw HTTPError(400, "INVALID_FIELD", "conference id must be \(Identifier.rule)") }
        switch rest.count {
        case 1:
            try only("GET")
            let who = try auth.authenticate(request)
            return json(200, try await conferences.get(id, who: who))
        case 2 where rest[1] == "simpleView":
            try only("GET")
            let who = try auth.authenticate(request)
            return json(200, try await conferences.simpleView(id, who: who))
        case 2 where rest[1] == "events":
            try only("GET")
            let who = try auth.authenticate(request, allowQueryToken: true)
            if (request.headers["Accept"] ?? "").contains("text/event-stream") {
                return try await eventStream(request, id, who)
            }
            return try await events(request, id, who)
        case 3 where rest[1] == "events" && rest[2] == "stream":
            try only("GET")
            let who = try auth.authenticate(request, allowQueryToken: true)
            return try await eventStream(request, id, who)
        default:
            throw HTTPError(404, "NOT_FOUND", "no resource at \(path)")
        }
    }

    func json(_ status: Int, _ value: JSON) -> HTTPResponse {
        var r = HTTPResponse.bytes(status, value.bytes, contentType: "application/json")
        r.headers.add("Cache-Control", "no-store")
        return r
    }

    // MARK: - Events

    func endpointParam(_ request: HTTPRequest) throws(HTTPError) -> String? {
        guard let e = request.query["userEndpointId"] else { return nil }
        guard Identifier.isValid(e) else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'userEndpointId' must be \(Identifier.rule)") }
        return e
    }

    /// `GET {id}/events?v=N[&wait=S][&limit=L]`: a page of the log (a JSON
    /// array). `X-More-Events: true` and a `Link: rel="next"` say more
    /// follows; `X-Conference-Version` is the version now.
    func events(_ request: HTTPRequest, _ id: String, _ who: Principal) async throws -> HTTPResponse {
        let q = request.query
        guard let vs = q["v"] else { throw HTTPError(400, "MISSING_FIELD", "query parameter 'v' is mandatory") }
        guard let v = Int64(vs), v >= 0 else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'v' must be a non-negative integer") }
        var wait: Double?
        if let ws = q["wait"] {
            guard let w = Double(ws), w >= 0, w <= 60 else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'wait' must be a number of seconds between 0 and 60") }
            wait = w
        }
        var limit: Int?
        if let ls = q["limit"] {
            let most = conferences.configuration.maxPageEvents
            guard let l = Int(ls), l >= 1, l <= most else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'limit' must be an integer between 1 and \(most)") }
            limit = l
        }
        let page = try await conferences.events(id, after: v, wait: wait, limit: limit, endpoint: try endpointParam(request), who: who)
        var body: [UInt8] = [UInt8(ascii: "[")]
        body.reserveCapacity(page.events.reduce(2) { $0 + $1.utf8.count + 1 })
        for (i, e) in page.events.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: e.utf8)
        }
        body.append(UInt8(ascii: "]"))
        var r = HTTPResponse.bytes(200, body, contentType: "application/json")
        r.headers.add("Cache-Control", "no-store")
        r.headers.add("X-Conference-Version", String(page.conferenceVersion))
        r.headers.add("X-More-Events", page.more ? "true" : "false")
        if page.more {
            var next = "v=\(page.lastVersion)"
            if let limit { next += "&limit=\(limit)" }
            r.headers.add("Link", "<\(APIHandler.conferencesPrefix)\((id.addingPercentEncoding(withAllowedCharacters: APIHandler.unreserved) ?? id))/events?\(next)>; rel=\"next\"")
        }
        return r
    }

    static let conferencesPrefix = "/rtc-api/conferences/"
    static let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))

    /// `GET {id}/events/stream`: Server-Sent Events. The subscription ends
    /// the moment the client goes (its connection's EOF), not at the next
    /// event. A client whose resumption point is older than the log starts
    /// with an `event: reset` (reason `EVENTS_EXPIRED`); a client too slow to
    /// take the live events gets `event: reset` (reason `TOO_SLOW`) and the
    /// stream closes; it reconnects with `Last-Event-ID` and resumes from the log.
    func eventStream(_ request: HTTPRequest, _ id: String, _ who: Principal) async throws -> HTTPResponse {
        var v: Int64 = 0
        if let last = request.headers["Last-Event-ID"], let n = Int64(last.trimmingCharacters(in: .whitespaces)), n >= 0 {
            v = n
        } else if let vs = request.query["v"] {
            guard let n = Int64(vs), n >= 0 else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'v' must be a non-negative integer") }
            v = n
        }
        let sub = try await conferences.subscribe(id, after: v, endpoint: try endpointParam(request), who: who)
        let resumeAfter = v
        var h = HTTPHeaders()
        h.add("Content-Type", "text/event-stream; charset=utf-8")
        h.add("Cache-Control", "no-store")
        h.add("X-Accel-Buffering", "no")
        let conferences = self.conferences
        return HTTPResponse(status: 200, headers: h, body: .stream { writer in
            let watcher = Task {
                await writer.waitUntilClosed()
                await conferences.unsubscribe(id, sub.token)
            }
            let heartbeat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(nanoseconds: 15_000_000_000)
                    try await writer.write(": keep-alive\n\n")
                }
            }
            defer {
                heartbeat.cancel()
                watcher.cancel()
                Task { await conferences.unsubscribe(id, sub.token) }
            }
            try await writer.write("retry: 2000\n\n")
            var last = resumeAfter
            if sub.expired {
                try await writer.write(APIHandler.resetFrame(reason: "EVENTS_EXPIRED", after: resumeAfter, first: sub.firstVersion, version: sub.conferenceVersion))
            }
            for i in sub.backlog.indices {
                try await writer.write(APIHandler.sseFrame(sub.backlog[i], type: sub.backlogTypes[i], version: sub.backlogVersions[i]))
                last = sub.backlogVersions[i]
            }
            for await item in sub.stream {
                try await writer.write(APIHandler.sseFrame(item.text, type: item.type, version: item.version))
                last = item.version
            }
            if sub.overflow.happened {
                try await writer.write(APIHandler.resetFrame(reason: "TOO_SLOW", after: last, first: nil, version: nil))
            }
        })
    }

    /// An `event: reset` frame: the client did not receive every event after
    /// `after` on this stream (see `eventStream`).
    static func resetFrame(reason: String, after: Int64, first: Int64?, version: Int64?) -> String {
        var o: [String: JSON] = ["reason": .string(reason), "lastEventId": .int(after)]
        if let first { o["firstAvailableVersion"] = .int(first) }
        if let version { o["conferenceVersion"] = .int(version) }
        return "event: reset\ndata: \(JSON.object(o).serialized())\n\n"
    }

    /// One SSE frame. `type` is a server type or a checked custom one
    /// (letters and digits), and `text` is JSON on one line.
    static func sseFrame(_ text: String, type: String, version: Int64) -> String {
        "id: \(version)\nevent: \(type)\ndata: \(text)\n\n"
    }
}
