import Foundation
import HTTP
import Identifier
import JSON
import SDP

/// The WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) faces of the API port,
/// mapped onto the Conference API's own operations: a `POST` joins a new
/// endpoint and publishes (WHIP) or views (WHEP) through the same
/// negotiation as `publishStream`/`viewStream`; `PATCH` trickles candidates
/// or restarts ICE; `DELETE` unpublishes or stops viewing, and leaves.
///
/// ```
/// POST    /whip/{conferenceId}               offer → 201 answer, Location, ETag, Link: rel="ice-server"
/// POST    /whep/{conferenceId}/{streamId}    the same for one stream (recvonly offer)
/// POST    /whep/{conferenceId}               plays the conference's first video stream
/// PATCH   /{whip|whep}/{conferenceId}/sessions/{id}   trickle (204) or, with If-Match: "*", ICE restart (200)
/// DELETE  /{whip|whep}/{conferenceId}/sessions/{id}   200, then 404
/// OPTIONS any of them                        Accept-Post / Accept-Patch, CORS preflight
/// ```
extension APIHandler {
    static let sdpType = "application/sdp"

    /// A WHIP/WHEP request: `path` starts with `/whip` or `/whep`.
    func routeWHIP(_ request: HTTPRequest, _ face: WHIPFace) async throws -> HTTPResponse {
        // Segments decoded one by one: an id may hold an encoded `/`.
        guard let segments = Identifier.pathSegments(request.head.target), segments.first == face.rawValue else {
            throw HTTPError(404, "NOT_FOUND", "no resource at \(request.path)")
        }
        let parts = Array(segments.dropFirst())
        for p in parts where !Identifiers.isValid(p) {
            throw HTTPError(404, "NOT_FOUND", "no resource at \(request.path)")
        }
        let resource: Resource
        switch (face, parts.count) {
        case (_, 3) where parts[1] == "sessions": resource = .session(conferenceId: parts[0], id: parts[2])
        case (.whip, 1): resource = .endpoint(conferenceId: parts[0], streamId: nil)
        case (.whep, 1): resource = .endpoint(conferenceId: parts[0], streamId: nil)
        case (.whep, 2): resource = .endpoint(conferenceId: parts[0], streamId: parts[1])
        default: throw HTTPError(404, "NOT_FOUND", "no resource at \(request.path)")
        }
        let allowed = resource.isSession ? ["PATCH", "DELETE", "OPTIONS"] : ["POST", "OPTIONS"]
        if request.method == "OPTIONS" { return options(request, resource, allowed: allowed) }
        guard allowed.contains(request.method) else {
            var h = HTTPHeaders()
            h.add("Allow", allowed.joined(separator: ", "))
            throw HTTPError(405, "METHOD_NOT_ALLOWED", "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: ", "))", headers: h)
        }
        let who = try auth.authenticate(request)
        switch (resource, request.method) {
        case (.endpoint(let cid, _), "POST") where face == .whip:
            return try await whipPublish(request, cid, who)
        case (.endpoint(let cid, let sid), "POST"):
            return try await whepPlay(request, cid, sid, who)
        case (.session(let cid, let id), "PATCH"):
            return try await patchSession(request, face, cid, id, who)
        case (.session(let cid, let id), _):
            return try await deleteSession(face, cid, id, who)
        default:
            throw HTTPError(404, "NOT_FOUND", "no resource at \(request.path)")
        }
    }

    enum Resource {
        case endpoint(conferenceId: String, streamId: String?)
        case session(conferenceId: String, id: String)
        var isSession: Bool { if case .session = self { return true } else { return false } }
    }

    /// `OPTIONS`: what the resource accepts (RFC 9725 §4.2, RFC 5789 §3.1) and, from a browser, the CORS preflight.
    func options(_ request: HTTPRequest, _ resource: Resource, allowed: [String]) -> HTTPResponse {
        var r = HTTPResponse(status: 204)
        r.headers.add("Allow", allowed.joined(separator: ", "))
        if resource.isSession { r.headers.add("Accept-Patch", TrickleFragment.mediaType) } else { r.headers.add("Accept-Post", Self.sdpType) }
        if let origin = request.headers["Origin"] { cors.preflight(origin: origin, request: request.headers, into: &r.headers) }
        return r
    }

    /// The body of a `POST`/`PATCH`, checked for its media type (415 otherwise).
    func body(_ request: HTTPRequest, type: String, acceptHeader: String) async throws -> [UInt8] {
        let ctype = (request.headers["Content-Type"] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard ctype == type else {
            var h = HTTPHeaders()
            h.add(acceptHeader, type)
            throw HTTPError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be \(type)\(ctype.isEmpty ? "" : ", not \(ctype)")", headers: h)
        }
        return try await request.body.collect(upTo: 64 * 1024)
    }

    /// The SDP offer of a `POST`, refused with the reason before any state changes.
    func offer(_ request: HTTPRequest) async throws -> String {
        let bytes = try await body(request, type: Self.sdpType, acceptHeader: "Accept-Post")
        guard let text = String(validating: bytes, as: UTF8.self), !text.isEmpty else {
            throw HTTPError(400, "INVALID_SDP", bytes.isEmpty ? "the request body must be an SDP offer" : "the SDP offer is not valid UTF-8")
        }
        try media.validateOffer(text)
        return text
    }

    /// The user the new endpoint belongs to: a participant is always itself;
    /// a SERVICE token may name one with `?userId=`.
    func endpointUser(_ request: HTTPRequest, _ who: Principal) throws(HTTPError) -> String? {
        guard let user = request.query["userId"] else { return nil }
        guard Identifiers.isValid(user) else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'userId' must be \(Identifier.rule)") }
        if !who.isService && user != who.subject {
            throw HTTPError(403, "FORBIDDEN", "a PARTICIPANT token may only publish or view as its own user '\(who.subject)'")
        }
        return user
    }

    func queryID(_ request: HTTPRequest, _ name: String) throws(HTTPError) -> String? {
        guard let v = request.query[name] else { return nil }
        guard Identifiers.isValid(v) else { throw HTTPError(400, "INVALID_FIELD", "query parameter '\(name)' must be \(Identifier.rule)") }
        return v
    }

    func checkSessionRoom() async throws(HTTPError) {
        if await whip.sessions.count >= whip.options.maxSessions {
            throw HTTPError(503, "TOO_MANY_SESSIONS", "the server holds its maximum of \(whip.options.maxSessions) WHIP/WHEP sessions")
        }
    }

    static func shortID(_ prefix: String) -> String { prefix + "-" + UUID().uuidString.lowercased().prefix(8) }

    // MARK: - POST

    func whipPublish(_ request: HTTPRequest, _ cid: String, _ who: Principal) async throws -> HTTPResponse {
        let offer = try await offer(request)
        let user = try endpointUser(request, who)
        let endpoint = try queryID(request, "endpointId") ?? Self.shortID("whip")
        let streamId = try queryID(request, "streamId") ?? UUID().uuidString.lowercased()
        try await checkSessionRoom()
        if !(await conferences.conferenceExists(cid)) {
            guard whip.options.createConferences && who.isService else {
                throw HTTPError(404, "CONFERENCE_NOT_FOUND", "conference '\(cid)' does not exist"
                                + (who.isService ? " (start the server with --whip-create-conferences on to create it on first publish)" : ""))
            }
            do {
                _ = try await conferences.create(id: cid, creatorEndpoint: endpoint, metadata: [:], organizationId: who.organizationId, who: who)
            } catch {
                if error.code != "CONFERENCE_EXISTS" { throw error }   // else created meanwhile by another request
            }
        }
        let metadata: JSON = ["face": "whip"]
        _ = try await conferences.join(cid, endpoint: endpoint, userId: user, metadata: metadata, who: who)
        let answer: NegotiatedAnswer
        do {
            answer = try await publishStream(cid, endpoint: endpoint, streamId: streamId, type: Self.streamType(offer), offer: offer,
                                             metadata: metadata, videoBitrate: nil, who: who, face: "whip")
        } catch {
            try? await conferences.leave(cid, endpoint: endpoint, reason: "WHIP_FAILED", who: who)
            throw error
        }
        let s = WHIPSession(id: UUID().uuidString.lowercased(), face: .whip, conferenceId: cid, endpointId: endpoint, streamId: streamId,
                            viewerId: nil, owner: who.subject, etag: WHIPSession.newETag(), offer: offer,
                            remoteUfrag: TrickleFragment.ufrag(ofOffer: offer))
        await whip.sessions.add(s)
        Log.info("whip: session \(s.id) publishes stream \(streamId) as endpoint \(endpoint) in conference \(cid)")
        return created(s, answer.sdp, who)
    }

    func whepPlay(_ request: HTTPRequest, _ cid: String, _ requested: String?, _ who: Principal) async throws -> HTTPResponse {
        let offer = try await offer(request)
        let user = try endpointUser(request, who)
        let endpoint = try queryID(request, "endpointId") ?? Self.shortID("whep")
        try await checkSessionRoom()
        guard await conferences.conferenceExists(cid) else {
            throw HTTPError(404, "CONFERENCE_NOT_FOUND", "conference '\(cid)' does not exist")
        }
        var chosen = requested
        if chosen == nil { chosen = await conferences.defaultStream(cid) }
        guard let streamId = chosen else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "conference '\(cid)' has no published stream to play")
        }
        guard await conferences.streamExists(cid, streamId: streamId) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "stream '\(streamId)' is not published in conference '\(cid)'")
        }
        let metadata: JSON = ["face": "whep"]
        _ = try await conferences.join(cid, endpoint: endpoint, userId: user, metadata: metadata, who: who)
        let viewerId = UUID().uuidString.lowercased()
        let answer: NegotiatedAnswer
        do {
            answer = try await viewStream(cid, endpoint: endpoint, streamId: streamId, viewerId: viewerId, offer: offer,
                                          metadata: metadata, who: who, face: "whep")
        } catch {
            try? await conferences.leave(cid, endpoint: endpoint, reason: "WHEP_FAILED", who: who)
            throw error
        }
        let s = WHIPSession(id: UUID().uuidString.lowercased(), face: .whep, conferenceId: cid, endpointId: endpoint, streamId: streamId,
                            viewerId: viewerId, owner: who.subject, etag: WHIPSession.newETag(), offer: offer,
                            remoteUfrag: TrickleFragment.ufrag(ofOffer: offer))
        await whip.sessions.add(s)
        Log.info("whep: session \(s.id) plays stream \(streamId) as endpoint \(endpoint) in conference \(cid)")
        return created(s, answer.sdp, who)
    }

    /// `201 Created`: the answer, the session's `Location` and `ETag`, and the ICE servers.
    func created(_ s: WHIPSession, _ answer: String, _ who: Principal) -> HTTPResponse {
        var r = HTTPResponse.text(201, answer, contentType: Self.sdpType)
        r.headers.add("Location", s.location)
        r.headers.add("ETag", s.etag)
        r.headers.add("Accept-Patch", TrickleFragment.mediaType)
        r.headers.add("Cache-Control", "no-store")
        // RFC 9725 §4.6; TURN credentials minted for this caller (see IceServerConfig).
        for server in iceServers.iceServers(for: who) {
            for link in server.linkHeaderValues { r.headers.add("Link", link) }
        }
        return r
    }

    /// The Conference API stream type of a WHIP offer: what it sends.
    static func streamType(_ offer: String) -> StreamTypeName {
        guard let sdp = try? SessionDescription.parse(offer) else { return .micAndCam }
        var audio = false, video = false
        for (i, m) in sdp.media.enumerated() where !m.isRejected && sdp.direction(ofMediaAt: i) != .recvonly && sdp.direction(ofMediaAt: i) != .inactive {
            if m.kind == .audio { audio = true }
            if m.kind == .video { video = true }
        }
        return audio && !video ? .mic : video && !audio ? .cam : .micAndCam
    }

    // MARK: - Session resource

    /// The session at `id`, which the caller may change (its creator or SERVICE).
    func session(_ face: WHIPFace, _ cid: String, _ id: String, _ who: Principal) async throws(HTTPError) -> WHIPSession {
        guard let s = await whip.sessions.get(id), s.face == face, s.conferenceId == cid else {
            throw HTTPError(404, "SESSION_NOT_FOUND", "no \(face.rawValue.uppercased()) session at /\(face.rawValue)/\(cid)/sessions/\(id)")
        }
        guard who.isService || who.subject == s.owner else {
            throw HTTPError(403, "FORBIDDEN", "this \(face.rawValue.uppercased()) session belongs to another user")
        }
        return s
    }

    /// Runs `body`; a 404 from the conference model (the endpoint or stream
    /// went meanwhile) also ends the session.
    func forgettingOn404<T>(_ s: WHIPSession, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as HTTPError where e.status == 404 {
            await whip.sessions.remove(s.id)
            throw HTTPError(404, "SESSION_NOT_FOUND", "the \(s.face.rawValue.uppercased()) session has ended: \(e.message)")
        }
    }

    func patchSession(_ request: HTTPRequest, _ face: WHIPFace, _ cid: String, _ id: String, _ who: Principal) async throws -> HTTPResponse {
        var s = try await session(face, cid, id, who)
        let fragment = try TrickleFragment.parse(try await body(request, type: TrickleFragment.mediaType, acceptHeader: "Accept-Patch"))
        let ifMatch = request.headers["If-Match"]?.trimmingCharacters(in: .whitespaces)
        // `If-Match: *` (RFC 9110 §13.1.1; also accepted quoted, as RFC 9725's prose writes it).
        if ifMatch == "*" || ifMatch == "\"*\"" {
            // ICE restart (RFC 9725 §4.3.2): the client's new credentials, our new ones back.
            guard let ufrag = fragment.iceUfrag, let pwd = fragment.icePwd else {
                throw HTTPError(400, "INVALID_FRAGMENT", "an ICE restart (If-Match: \"*\") needs a=ice-ufrag and a=ice-pwd in the fragment")
            }
            let offer = try TrickleFragment.restartOffer(s.offer, ufrag: ufrag, pwd: pwd)
            let answer: NegotiatedAnswer = try await forgettingOn404(s) {
                guard await conferences.streamExists(s.conferenceId, streamId: s.streamId) else {
                    throw HTTPError(404, "STREAM_NOT_FOUND", "stream '\(s.streamId)' is no longer published")
                }
                if let viewerId = s.viewerId {
                    return try await viewStream(s.conferenceId, endpoint: s.endpointId, streamId: s.streamId, viewerId: viewerId, offer: offer,
                                                metadata: .object([:]), who: who, face: face.rawValue)
                }
                return try await publishStream(s.conferenceId, endpoint: s.endpointId, streamId: s.streamId, type: .micAndCam, offer: offer,
                                               metadata: .object([:]), videoBitrate: nil, who: who, face: face.rawValue)
            }
            s.etag = WHIPSession.newETag()
            s.offer = offer
            s.remoteUfrag = ufrag
            await whip.sessions.update(s)
            Metrics.shared.increment("sfu_whip_ice_restarts_total", labels: ["face": face.rawValue])
            var r = HTTPResponse.text(200, TrickleFragment.answerFragment(answer.sdp), contentType: TrickleFragment.mediaType)
            r.headers.add("ETag", s.etag)
            return r
        }
        if let ifMatch, !ifMatch.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == s.etag }) {
            throw HTTPError(412, "PRECONDITION_FAILED", "If-Match \(ifMatch) is not the session's current entity tag (an ICE restart changed it)")
        }
        if let ufrag = fragment.iceUfrag, let current = s.remoteUfrag, ufrag != current {
            throw HTTPError(422, "UFRAG_MISMATCH", "the fragment's ice-ufrag '\(ufrag)' is not the session's current one")
        }
        let candidates = try TrickleFragment.candidates(fragment, offer: s.offer)
        if !candidates.isEmpty {
            try await forgettingOn404(s) {
                if let viewerId = s.viewerId {
                    try await conferences.addViewCandidates(s.conferenceId, endpoint: s.endpointId, streamId: s.streamId, viewerId: viewerId,
                                                            candidates: candidates, who: who)
                } else {
                    try await conferences.addPublishCandidates(s.conferenceId, endpoint: s.endpointId, streamId: s.streamId,
                                                               candidates: candidates, who: who)
                }
            }
            await media.addCandidates(conferenceId: s.conferenceId, streamId: s.streamId, viewerId: s.viewerId, candidates: candidates)
            Metrics.shared.increment("sfu_whip_trickled_candidates_total", by: Double(candidates.count), labels: ["face": face.rawValue])
        }
        return .noContent()
    }

    func deleteSession(_ face: WHIPFace, _ cid: String, _ id: String, _ who: Principal) async throws -> HTTPResponse {
        let s = try await session(face, cid, id, who)
        try await forgettingOn404(s) {
            // The stream (or, for WHEP, the stream viewed) may be gone already; the endpoint still leaves.
            do {
                if let viewerId = s.viewerId {
                    try await conferences.stopView(s.conferenceId, endpoint: s.endpointId, streamId: s.streamId, viewerId: viewerId, who: who)
                    await media.stopView(conferenceId: s.conferenceId, streamId: s.streamId, viewerId: viewerId)
                } else {
                    try await conferences.unpublish(s.conferenceId, endpoint: s.endpointId, streamId: s.streamId, who: who)
                    await media.unpublish(conferenceId: s.conferenceId, streamId: s.streamId)
                }
            } catch let e as HTTPError {
                if e.code != "STREAM_NOT_FOUND" && e.code != "VIEWER_NOT_FOUND" { throw e }
            }
            try await conferences.leave(s.conferenceId, endpoint: s.endpointId, reason: face == .whip ? "WHIP_DELETE" : "WHEP_DELETE", who: who)
        }
        await whip.sessions.remove(s.id)
        Log.info("\(face.rawValue): session \(s.id) ended by DELETE (endpoint \(s.endpointId), conference \(cid))")
        return HTTPResponse(status: 200)
    }
}
