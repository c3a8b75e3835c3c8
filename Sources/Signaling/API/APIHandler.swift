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

    /// JSON command bodies are small; 1 MiB is generous (SDP offers are ~10 KiB).
    public static let maxCommandBytes = 1 << 20

    public init(conferences: ConferenceService, auth: Authenticator, media: MediaController,
                cors: CORSPolicy = CORSPolicy(allowedOrigins: ["*"]),
                extraRoutes: [String: @Sendable (HTTPRequest) async throws -> HTTPResponse] = [:],
                recordings: RecordingsAPI? = nil, iceServers: IceServerConfig = .none, whip: WHIPFaces = WHIPFaces(),
                clusterHealth: (@Sendable () -> JSON)? = nil) {
        self.clusterHealth = clusterHealth
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

    func events(_ request: HTTPRequest, _ id: String, _ who: Principal) async throws -> HTTPResponse {
        let q = request.query
        guard let vs = q["v"] else { throw HTTPError(400, "MISSING_FIELD", "query parameter 'v' is mandatory") }
        guard let v = Int64(vs), v >= 0 else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'v' must be a non-negative integer") }
        var wait = 0.0
        if let ws = q["wait"] {
            guard let w = Double(ws), w >= 0, w <= 60 else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'wait' must be a number of seconds between 0 and 60") }
            wait = w
        }
        let list = try await conferences.events(id, after: v, wait: wait, endpoint: try endpointParam(request), who: who)
        return json(200, .array(list))
    }

    func eventStream(_ request: HTTPRequest, _ id: String, _ who: Principal) async throws -> HTTPResponse {
        var v: Int64 = 0
        if let last = request.headers["Last-Event-ID"], let n = Int64(last.trimmingCharacters(in: .whitespaces)), n >= 0 {
            v = n
        } else if let vs = request.query["v"] {
            guard let n = Int64(vs), n >= 0 else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'v' must be a non-negative integer") }
            v = n
        }
        let sub = try await conferences.subscribe(id, after: v, endpoint: try endpointParam(request), who: who)
        var h = HTTPHeaders()
        h.add("Content-Type", "text/event-stream; charset=utf-8")
        h.add("Cache-Control", "no-store")
        h.add("X-Accel-Buffering", "no")
        let conferences = self.conferences
        return HTTPResponse(status: 200, headers: h, body: .stream { writer in
            let heartbeat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(nanoseconds: 15_000_000_000)
                    try await writer.write(": keep-alive\n\n")
                }
            }
            defer {
                heartbeat.cancel()
                Task { await conferences.unsubscribe(id, sub.token) }
            }
            try await writer.write("retry: 2000\n\n")
            for e in sub.backlog {
                try await writer.write(APIHandler.sseFrame(e, version: e["conferenceVersion"]?.intValue))
            }
            for await item in sub.stream {
                switch item {
                case .event(let e, let version):
                    try await writer.write(APIHandler.sseFrame(e, version: version))
                case .heartbeat:
                    try await writer.write(": keep-alive\n\n")
                }
            }
        })
    }

    static func sseFrame(_ event: JSON, version: Int64?) -> String {
        var s = ""
        if let version { s += "id: \(version)\n" }
        s += "event: \(event["type"]?.stringValue ?? "message")\n"
        s += "data: \(event.serialized())\n\n"
        return s
    }
}
