import Foundation
import Glibc
import HTTP
import Identifier
import JSON
import RecordStore

/// The Recordings API of document 003 under `/channels/...` on the API face.
/// A channel is one of our conferences. SERVICE may do everything; a
/// participant of the conference (joined now, or present while it was
/// recorded) may read its recordings and get download credentials and URLs.
/// Downloads need no other credential than the signed token in their URL.
public final class RecordingsAPI: Sendable {
    let service: RecordingService
    let auth: Authenticator
    let conferences: ConferenceService
    let tokens: RecordingTokens

    public init(service: RecordingService, auth: Authenticator, conferences: ConferenceService) {
        self.service = service
        self.auth = auth
        self.conferences = conferences
        self.tokens = RecordingTokens(auth: auth)
    }

    static let prefix = "/channels/"

    func only(_ request: HTTPRequest, _ allowed: String...) throws(HTTPError) {
        var all = allowed
        if all.contains("GET") { all.append("HEAD") }
        guard all.contains(request.method) else {
            var h = HTTPHeaders()
            h.add("Allow", all.joined(separator: ", "))
            throw HTTPError(405, "METHOD_NOT_ALLOWED", "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: " or "))", headers: h)
        }
    }

    func json(_ status: Int, _ value: JSON) -> HTTPResponse {
        var r = HTTPResponse.bytes(status, value.bytes, contentType: "application/json")
        r.headers.add("Cache-Control", "no-store")
        return r
    }

    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let notFound = HTTPError(404, "NOT_FOUND", "no resource at \(request.path)")
        // Segments are decoded one by one, so a channel id holding "/" (sent as %2F) stays one segment.
        guard let segments = Identifier.pathSegments(request.head.target), segments.first == "channels" else { throw notFound }
        let parts = Array(segments.dropFirst())
        // The token routes are /channels/recording/{assets|download}/{jwt}...; every other path under
        // /channels/recording/ belongs to a channel literally named "recording".
        if parts.first == "recording" && parts.count >= 3 && (parts[1] == "assets" || parts[1] == "download") {
            switch (parts[1], parts.count) {
            case ("assets", 3):
                try only(request, "GET")
                return try await tokenAssets(request, jwt: parts[2])
            case ("assets", 4):
                try only(request, "GET")
                return try await tokenDownload(request, jwt: parts[2], assetId: parts[3])
            case ("download", 3):
                try only(request, "GET")
                return try await tokenDownload(request, jwt: parts[2], assetId: nil)
            default:
                throw notFound
            }
        }
        guard parts.count >= 2, !parts[0].isEmpty else { throw notFound }
        let channel = parts[0]
        guard Identifier.isValid(channel) else {
            throw HTTPError(400, "INVALID_FIELD", "channel id must be \(Identifier.rule)")
        }
        switch (parts.count, parts[1]) {
        case (2, "record"):
            try only(request, "POST", "DELETE")
            let who = try auth.authenticate(request)
            guard who.isService else { throw HTTPError(403, "FORBIDDEN", "only a SERVICE token may start or stop recordings") }
            try await requireVisible(channel, who)
            if request.method == "POST" {
                let rec = try await service.start(conferenceId: channel, by: who.subject)
                // Its audio goes into the records store: the event now belongs to the conference's organization.
                await conferences.claimRecordsEvent(channel)
                return json(201, rec.json)
            }
            guard let rec = await service.stop(conferenceId: channel, reason: "stopped by \(who.subject)") else {
                throw HTTPError(404, "NOT_RECORDING", "conference '\(channel)' is not being recorded")
            }
            return json(200, rec.json)
        case (3, "record") where parts[2] == "possible":
            try only(request, "GET")
            let who = try auth.authenticate(request)
            try await requireMember(channel, who)
            if let (code, message) = await service.obstacle(conferenceId: channel) {
                return json(200, ["possible": false, "reason": .string(code), "message": .string(message)])
            }
            return json(200, ["possible": true, "reason": .null, "message": .null])
        case (2, "recordings"):
            try only(request, "GET")
            let who = try auth.authenticate(request)
            let q = try RecordingListQuery(request.query)
            let all = await service.recordings(of: channel)
            let visible = try await readable(channel, all, who)
            let (total, page) = q.apply(visible)
            return json(200, ["total": .int(Int64(total)), "results": .array(page.map(\.json))])
        case (_, "recordings") where parts.count >= 3:
            try only(request, "GET")
            let who = try auth.authenticate(request)
            let rec = try await recording(channel, parts[2], who)
            return try await recordingResource(request, rec, Array(parts.dropFirst(3)), who)
        default:
            throw notFound
        }
    }

    // MARK: - Authorization

    /// A channel of another organization does not exist for `who` (404).
    func requireVisible(_ channel: String, _ who: Principal) async throws(HTTPError) {
        if who.isOperator { return }
        if case .organization(let org) = await conferences.organization(ofChannel: channel), !who.canSee(organization: org) {
            throw HTTPError(404, "CONFERENCE_NOT_FOUND", "conference '\(channel)' does not exist")
        }
    }

    /// SERVICE, or a member of the conference right now.
    func requireMember(_ channel: String, _ who: Principal) async throws(HTTPError) {
        try await requireVisible(channel, who)
        if who.isService { return }
        if await conferences.isMember(conferenceId: channel, who: who) { return }
        throw HTTPError(403, "FORBIDDEN", "you are not a participant of conference '\(channel)'")
    }

    /// The recordings `who` may see: all for SERVICE and current members,
    /// else those it took part in (403 if none).
    func readable(_ channel: String, _ all: [Recording], _ who: Principal) async throws(HTTPError) -> [Recording] {
        try await requireVisible(channel, who)
        if who.isService { return all }
        if await conferences.isMember(conferenceId: channel, who: who) { return all }
        let mine = all.filter { $0.participants.contains(who.subject) }
        if mine.isEmpty { throw HTTPError(403, "FORBIDDEN", "you are not a participant of conference '\(channel)'") }
        return mine
    }

    func recording(_ channel: String, _ rid: String, _ who: Principal) async throws(HTTPError) -> Recording {
        guard Identifier.isValid(rid) else { throw HTTPError(400, "INVALID_FIELD", "recording id must be \(Identifier.rule)") }
        try await requireVisible(channel, who)
        let rec = await service.recording(rid, of: channel)
        if !who.isService {
            let member = await conferences.isMember(conferenceId: channel, who: who)
            if !member && !(rec?.participants.contains(who.subject) ?? false) {
                throw HTTPError(403, "FORBIDDEN", "you are not a participant of conference '\(channel)'")
            }
        }
        guard let rec else { throw HTTPError(404, "RECORDING_NOT_FOUND", "conference '\(channel)' has no recording '\(rid)'") }
        return rec
    }

    // MARK: - One recording

    func recordingResource(_ request: HTTPRequest, _ rec: Recording, _ rest: [String], _ who: Principal) async throws -> HTTPResponse {
        switch (rest.count, rest.first) {
        case (0, _):
            return json(200, rec.json)
        case (1, "assets"):
            return json(200, .array(rec.assets.map(\.json)))
        case (2, "assets"):
            guard let a = rec.asset(rest[1]) else { throw HTTPError(404, "ASSET_NOT_FOUND", "recording '\(rec.id)' has no asset '\(rest[1].prefix(64))'") }
            return json(200, a.json)
        case (1, "credentials"):
            try Self.allowOnly(["ttl"], request.query)
            let ttl = try TTL.parse(request.query["ttl"])
            let (jwt, exp) = tokens.issue(.credentials, channel: rec.channel, recordingId: rec.id, ttl: ttl, subject: who.subject)
            return json(200, ["jwt": .string(jwt), "expiresAt": .int(exp * 1000)])
        case (1, "download"):
            try Self.allowOnly(["ttl", "kind", "assetId"], request.query)
            let ttl = try TTL.parse(request.query["ttl"])
            let candidates: [RecordingAsset]
            let what: String
            if let assetId = request.query["assetId"] {
                guard request.query["kind"] == nil else { throw HTTPError(400, "INVALID_FIELD", "query parameters 'kind' and 'assetId' exclude each other") }
                candidates = rec.assets.filter { $0.id == assetId }
                what = "asset '\(assetId.prefix(64))'"
            } else {
                let kind = request.query["kind"] ?? "archive"
                guard let role = AssetRole(rawValue: kind), role != .individual else {
                    throw HTTPError(400, "INVALID_FIELD", "query parameter 'kind' must be archive, combined_video or combined_audio")
                }
                candidates = rec.assets.filter { $0.role == role }
                what = "\(kind) asset"
            }
            guard !candidates.isEmpty else { throw HTTPError(404, "ASSET_NOT_FOUND", "recording '\(rec.id)' has no \(what)\(rec.readyTime == nil ? " yet" : "")") }
            guard let asset = candidates.first(where: { $0.state == .ready }) else {
                let states = Set(candidates.map(\.state.rawValue)).sorted().joined(separator: ", ")
                throw HTTPError(409, "ASSET_NOT_READY", "the \(what) of recording '\(rec.id)' is \(states), not ready")
            }
            let (jwt, exp) = tokens.issue(.download, channel: rec.channel, recordingId: rec.id, assetId: asset.id, ttl: ttl, subject: who.subject)
            return json(200, ["url": .string(Self.baseURL(request) + "/channels/recording/download/" + jwt), "expiresAt": .int(exp * 1000)])
        default:
            throw HTTPError(404, "NOT_FOUND", "no resource at \(request.path)")
        }
    }

    static func allowOnly(_ names: Set<String>, _ query: [String: String]) throws(HTTPError) {
        for k in query.keys where !names.contains(k) {
            throw HTTPError(400, "INVALID_FIELD", "unknown query parameter '\(k.prefix(40))' (\(names.sorted().joined(separator: ", ")))")
        }
    }

    /// `scheme://host` of the request (X-Forwarded-Proto honoured, Host required).
    static func baseURL(_ request: HTTPRequest) -> String {
        let proto = request.headers["X-Forwarded-Proto"].flatMap { $0 == "https" ? "https" : nil } ?? "http"
        let host = request.headers["Host"].flatMap { h in
            h.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") } && !h.isEmpty ? h : nil
        } ?? "localhost"
        return proto + "://" + host
    }

    // MARK: - Token endpoints

    /// `GET /channels/recording/assets/{jwt}`: what the credentials let one fetch.
    func tokenAssets(_ request: HTTPRequest, jwt: String) async throws -> HTTPResponse {
        let grant = try tokens.verify(jwt, as: .credentials)
        guard let rec = await service.recording(grant.recordingId, of: grant.channel) else {
            throw HTTPError(404, "RECORDING_NOT_FOUND", "the recording of this token no longer exists")
        }
        let base = Self.baseURL(request)
        let list: [JSON] = rec.assets.filter { $0.state == .ready }.map { a in
            ["id": .string(a.id), "kind": .string(a.downloadKind), "format": .string(a.format), "size": a.size.map { .int($0) } ?? .null,
             "label": .string(a.label), "language": .null, "url": .string(base + "/channels/recording/assets/\(jwt)/\(a.id)")]
        }
        return json(200, .array(list))
    }

    /// Streams one ready asset to the holder of a credentials or download token.
    func tokenDownload(_ request: HTTPRequest, jwt: String, assetId: String?) async throws -> HTTPResponse {
        let grant = try tokens.verify(jwt, as: assetId == nil ? .download : .credentials)
        guard let id = assetId ?? grant.assetId, let rec = await service.recording(grant.recordingId, of: grant.channel),
              let asset = rec.asset(id) else {
            throw HTTPError(404, "ASSET_NOT_FOUND", "no such asset for this token")
        }
        guard asset.state == .ready else { throw HTTPError(409, "ASSET_NOT_READY", "the asset is \(asset.state.rawValue), not ready") }
        let path = await service.recordingDirectory(rec) + "/" + asset.relativePath
        return try Self.serveFile(request, path: path, contentType: asset.contentType,
                                  downloadName: "\(rec.id)-\(asset.relativePath.replacingOccurrences(of: "/", with: "-"))")
    }

    /// A file response with `Accept-Ranges`, single byte ranges (206/416) and HEAD.
    static func serveFile(_ request: HTTPRequest, path: String, contentType: String, downloadName: String) throws -> HTTPResponse {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw HTTPError(404, "ASSET_NOT_FOUND", "the asset's file is missing") }
        let file = OpenFile(descriptor: fd)
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw HTTPError(500, "IO_ERROR", "cannot stat the asset's file") }
        let size = Int64(st.st_size)
        var h = HTTPHeaders()
        h.add("Content-Type", contentType)
        h.add("Accept-Ranges", "bytes")
        h.add("Cache-Control", "private, no-store")
        h.add("Content-Disposition", "attachment; filename=\"\(downloadName)\"")
        if request.method == "GET", let range = request.headers["Range"], let specs = try? ByteRange.parse(range) {
            switch ByteRange.resolve(specs, size: size) {
            case .partial(let first, let last):
                h.add("Content-Range", "bytes \(first)-\(last)/\(size)")
                return HTTPResponse(status: 206, headers: h, body: .openFile(file, offset: first, length: last - first + 1))
            case .unsatisfiable:
                var eh = HTTPHeaders()
                eh.add("Content-Range", "bytes */\(size)")
                throw HTTPError(416, "RANGE_NOT_SATISFIABLE", "the asset has \(size) bytes; range '\(range.prefix(64))' selects none of them", headers: eh)
            case .whole:
                break
            }
        }
        return HTTPResponse(status: 200, headers: h, body: .openFile(file, offset: 0, length: size))
    }
}
