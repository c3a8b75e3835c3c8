import Foundation
import HTTP
import JSON

/// The `POST /rtc-api/conferences/{command}` bodies of document 004,
/// validated field by field and applied to the conference service.
extension APIHandler {
    /// One small function per command: a single async function holding every case crashed
    /// Swift 6.3.1's optimizer (coroutine splitting) in release builds.
    func command(_ name: String, _ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        switch name {
        case "create": return try await commandCreate(cmd, who)
        case "join": return try await commandJoin(cmd, who)
        case "leave": return try await commandLeave(cmd, who)
        case "end": return try await commandEnd(cmd, who)
        case "publishStream": return try await commandPublishStream(cmd, who)
        case "unpublishStream": return try await commandUnpublishStream(cmd, who)
        case "viewStream": return try await commandViewStream(cmd, who)
        case "stopViewStream": return try await commandStopViewStream(cmd, who)
        case "addPublishStreamIceCandidates": return try await commandAddPublishStreamIceCandidates(cmd, who)
        case "addViewStreamIceCandidates": return try await commandAddViewStreamIceCandidates(cmd, who)
        case "updatePublishedStreamBitrate": return try await commandUpdatePublishedStreamBitrate(cmd, who)
        case "updateMetadata": return try await commandUpdateMetadata(cmd, who)
        case "updateParticipantMetadata": return try await commandUpdateParticipantMetadata(cmd, who)
        case "updateStreamMetadata": return try await commandUpdateStreamMetadata(cmd, who)
        case "sendEvent": return try await commandSendEvent(cmd, who)
        default: throw HTTPError(404, "NOT_FOUND", "unknown command \(name)")
        }
    }

    @inline(never) private func commandCreate(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let metaLimit = conferences.configuration.maxMetadataBytes
        let id = try cmd.id("conferenceId")
        let creatorEndpoint = try cmd.id("creatorEndpoint")
        let metadata = try cmd.stringMap("metadata", maxBytes: metaLimit) ?? [:]
        if let mode = try cmd.string("mode", maxLength: 64) {
            switch mode {
            case "ROUTER": break
            case "P2P": throw HTTPError(400, "UNSUPPORTED_MODE", "mode P2P is not supported; this server runs ROUTER conferences only")
            default: throw Command.invalid("mode", "must be ROUTER (P2P is not supported), not '\(mode)'")
            }
        }
        let org = try cmd.string("organizationId", maxLength: 128)
        return json(200, try await svc.create(id: id, creatorEndpoint: creatorEndpoint, metadata: metadata, organizationId: org, who: who))
    }

    @inline(never) private func commandJoin(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let metaLimit = conferences.configuration.maxMetadataBytes
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let metadata = try cmd.object("metadata", maxBytes: metaLimit) ?? .object([:])
        let userId = try cmd.id("userId")
        return json(200, try await svc.join(id, endpoint: endpoint, userId: userId, metadata: metadata, who: who))
    }

    @inline(never) private func commandLeave(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let reason = try cmd.string("reason", maxLength: 256)
        try await svc.leave(id, endpoint: endpoint, reason: reason, who: who)
        return .noContent()
    }

    @inline(never) private func commandEnd(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let reason = try cmd.string("reason", maxLength: 256)
        try await svc.end(id, endpoint: endpoint, reason: reason, who: who)
        await media.endConference(id)
        return .noContent()
    }

    @inline(never) private func commandPublishStream(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let metaLimit = conferences.configuration.maxMetadataBytes
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        guard let type = try cmd.enumValue("conferenceStreamType", StreamTypeName.self) else { throw Command.missing("conferenceStreamType") }
        let offer = try cmd.requiredString("sdpOffer", maxLength: 64 * 1024)
        let streamId = try cmd.streamID() ?? UUID().uuidString.lowercased()
        let metadata = try cmd.object("metadata", maxBytes: metaLimit) ?? .object([:])
        let bitrate = try cmd.int("videoBitrate", range: 0...100_000_000)
        let answer = try await publishStream(id, endpoint: endpoint, streamId: streamId, type: type, offer: offer,
                                             metadata: metadata, videoBitrate: bitrate, who: who, face: "conference-api")
        return json(200, ["sdpAnswer": .string(answer.sdp), "streamId": ["id": .string(streamId)]])
    }

    @inline(never) private func commandUnpublishStream(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let streamId = try cmd.requiredStreamID()
        try await svc.unpublish(id, endpoint: endpoint, streamId: streamId, who: who)
        await media.unpublish(conferenceId: id, streamId: streamId)
        return .noContent()
    }

    @inline(never) private func commandViewStream(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let metaLimit = conferences.configuration.maxMetadataBytes
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let streamId = try cmd.requiredStreamID()
        let offer = try cmd.requiredString("sdpOffer", maxLength: 64 * 1024)
        let viewerId = try cmd.id("viewerId") ?? UUID().uuidString.lowercased()
        let metadata = try cmd.stringMap("metadata", maxBytes: metaLimit).map { JSON.object($0.mapValues { .string($0) }) } ?? .object([:])
        let answer = try await viewStream(id, endpoint: endpoint, streamId: streamId, viewerId: viewerId, offer: offer,
                                          metadata: metadata, who: who, face: "conference-api")
        return json(200, ["sdpAnswer": .string(answer.sdp), "viewerId": .string(viewerId)])
    }

    @inline(never) private func commandStopViewStream(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let streamId = try cmd.requiredStreamID()
        let viewerId = try cmd.requiredID("viewerId")
        try await svc.stopView(id, endpoint: endpoint, streamId: streamId, viewerId: viewerId, who: who)
        await media.stopView(conferenceId: id, streamId: streamId, viewerId: viewerId)
        return .noContent()
    }

    @inline(never) private func commandAddPublishStreamIceCandidates(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let streamId = try cmd.requiredStreamID()
        let candidates = try cmd.iceCandidates()
        try await svc.addPublishCandidates(id, endpoint: endpoint, streamId: streamId, candidates: candidates, who: who)
        await media.addCandidates(conferenceId: id, streamId: streamId, viewerId: nil, candidates: candidates)
        return .noContent()
    }

    @inline(never) private func commandAddViewStreamIceCandidates(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let streamId = try cmd.requiredStreamID()
        let viewerId = try cmd.requiredID("viewerId")
        let candidates = try cmd.iceCandidates()
        try await svc.addViewCandidates(id, endpoint: endpoint, streamId: streamId, viewerId: viewerId, candidates: candidates, who: who)
        await media.addCandidates(conferenceId: id, streamId: streamId, viewerId: viewerId, candidates: candidates)
        return .noContent()
    }

    @inline(never) private func commandUpdatePublishedStreamBitrate(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let streamId = try cmd.streamID()
        // Optional in document 004; without it there is nothing to change (204, no event).
        guard let bitrate = try cmd.int("videoBitrate", range: 0...100_000_000) else {
            try await svc.checkEndpoint(id, endpoint: endpoint, streamId: streamId, who: who)
            return .noContent()
        }
        let changed = try await svc.updateBitrate(id, endpoint: endpoint, streamId: streamId, videoBitrate: bitrate, who: who)
        for s in changed { await media.setBitrate(conferenceId: id, streamId: s, bitsPerSecond: bitrate) }
        return .noContent()
    }

    @inline(never) private func commandUpdateMetadata(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let key = try cmd.requiredString("key", maxLength: 256)
        if key.isEmpty { throw Command.invalid("key", "must not be empty") }
        guard let op = try cmd.enumValue("operation", MetadataOperation.self) else { throw Command.missing("operation") }
        var value: String?
        if op == .set {
            value = try cmd.requiredString("value", maxLength: 8192)
        }
        try await svc.updateMetadata(id, endpoint: endpoint, key: key, operation: op.rawValue, value: value, who: who)
        return .noContent()
    }

    @inline(never) private func commandUpdateParticipantMetadata(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let metaLimit = conferences.configuration.maxMetadataBytes
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        // Optional in document 004: missing or null replaces the metadata with {}.
        let metadata = try cmd.object("newMetadata", maxBytes: metaLimit) ?? .object([:])
        try await svc.updateParticipantMetadata(id, endpoint: endpoint, metadata: metadata, who: who)
        return .noContent()
    }

    @inline(never) private func commandUpdateStreamMetadata(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let metaLimit = conferences.configuration.maxMetadataBytes
        let id = try cmd.requiredID("conferenceId")
        let endpoint = try cmd.requiredID("userEndpointId")
        let streamId = try cmd.streamID()
        // Optional in document 004: missing or null replaces the metadata with {}.
        let metadata = try cmd.object("newMetadata", maxBytes: metaLimit) ?? .object([:])
        try await svc.updateStreamMetadata(id, endpoint: endpoint, streamId: streamId, metadata: metadata, who: who)
        return .noContent()
    }

    @inline(never) private func commandSendEvent(_ cmd: Command, _ who: Principal) async throws -> HTTPResponse {
        let svc = conferences
        let id = try cmd.requiredID("conferenceId")
        guard who.isService else { throw HTTPError(403, "FORBIDDEN", "sendEvent requires the SERVICE role") }
        guard let event = try cmd.object("event", maxBytes: 64 * 1024)?.objectValue else { throw Command.missing("event") }
        guard let typeValue = event["type"], !typeValue.isNull else { throw Command.missing("event.type") }
        guard let type = typeValue.stringValue, EventNames.isValidCustomType(type) else {
            throw Command.invalid("event.type", "must be camel case starting with a capital and ending in 'Event' (e.g. 'RecordingStartedEvent')")
        }
        if ServerEventTypes.all.contains(type) {
            throw Command.invalid("event.type", "'\(type)' is one of the server's own event types; custom events need a name of their own")
        }
        guard let tsValue = event["timestamp"], !tsValue.isNull else { throw Command.missing("event.timestamp") }
        guard let ts = tsValue.stringValue, ISOTime.parse(ts) != nil else {
            throw Command.invalid("event.timestamp", "must be an ISO-8601 instant such as '2011-12-03T10:15:30Z'")
        }
        var masks: [JSONPath] = []
        if let m = cmd.value("masks") {
            guard let list = m.arrayValue else { throw Command.invalid("masks", "must be an array of JSON paths") }
            if list.count > 32 { throw Command.invalid("masks", "holds more than 32 paths") }
            for (i, p) in list.enumerated() {
                guard let s = p.stringValue else { throw Command.invalid("masks[\(i)]", "must be a string") }
                do { masks.append(try JSONPath(s)) } catch { throw Command.invalid("masks[\(i)]", error.description) }
            }
        }
        let qos = try cmd.enumValue("qos", EventQoS.self) ?? .bestEffort
        let sent = try await svc.sendEvent(id, event: event, masks: masks, atLeastOnce: qos == .atLeastOnce, who: who)
        Metrics.shared.increment("sfu_events_sent_total", by: Double(sent), labels: ["qos": qos.rawValue])
        return json(200, ["eventsSent": .int(Int64(sent))])
    }
}

/// The SDP answer of a `publishStream` / `viewStream`, and whether the offer
/// was an ICE restart of a PeerConnection that already existed.
struct NegotiatedAnswer: Sendable {
    let sdp: String
    let restart: Bool
}

/// The one publish and view negotiation, shared by the Conference API's
/// commands and the WHIP/WHEP faces (`face` labels the session counter).
extension APIHandler {
    /// A new offer for a stream this endpoint already publishes is an ICE restart (no state change).
    @inline(never) func publishStream(_ id: String, endpoint: String, streamId: String, type: StreamTypeName, offer: String,
                       metadata: JSON, videoBitrate: Int64?, who: Principal, face: String) async throws(HTTPError) -> NegotiatedAnswer {
        let svc = conferences
        let restart = try await svc.isOwnStream(id, endpoint: endpoint, streamId: streamId, who: who)
        if !restart { try await svc.checkPublish(id, endpoint: endpoint, streamId: streamId, who: who) }
        try media.validateOffer(offer)
        let answer = try await media.publish(conferenceId: id, endpointId: endpoint, streamId: streamId, offer: offer, videoBitrate: videoBitrate)
        if restart { return NegotiatedAnswer(sdp: answer, restart: true) }
        // The rollback's await stays outside the catch: Swift 6.3.1's release build crashes
        // (coroutine splitting around the swifterror value) on an await inside it here.
        var failure: HTTPError?
        do {
            try await svc.commitPublish(id, endpoint: endpoint, streamId: streamId, type: type, metadata: metadata, videoBitrate: videoBitrate, who: who)
        } catch { failure = error }
        if let failure {
            await media.unpublish(conferenceId: id, streamId: streamId)
            throw failure
        }
        Metrics.shared.increment("sfu_media_sessions_total", labels: ["face": face, "kind": "publish"])
        return NegotiatedAnswer(sdp: answer, restart: false)
    }

    /// A new offer of a viewer that already exists is an ICE restart.
    @inline(never) func viewStream(_ id: String, endpoint: String, streamId: String, viewerId: String, offer: String,
                    metadata: JSON, who: Principal, face: String) async throws(HTTPError) -> NegotiatedAnswer {
        let svc = conferences
        let restart = try await svc.isOwnViewer(id, endpoint: endpoint, streamId: streamId, viewerId: viewerId, who: who)
        if !restart { try await svc.checkView(id, endpoint: endpoint, streamId: streamId, viewerId: viewerId, who: who) }
        try media.validateOffer(offer)
        let answer = try await media.view(conferenceId: id, endpointId: endpoint, streamId: streamId, viewerId: viewerId, offer: offer)
        if restart { return NegotiatedAnswer(sdp: answer, restart: true) }
        var failure: HTTPError?  // as in publishStream: no await inside the catch
        do {
            try await svc.commitView(id, endpoint: endpoint, streamId: streamId, viewerId: viewerId, metadata: metadata, who: who)
        } catch { failure = error }
        if let failure {
            await media.stopView(conferenceId: id, streamId: streamId, viewerId: viewerId)
            throw failure
        }
        Metrics.shared.increment("sfu_media_sessions_total", labels: ["face": face, "kind": "view"])
        return NegotiatedAnswer(sdp: answer, restart: false)
    }
}

enum MetadataOperation: String, CaseIterable { case set = "SET", remove = "REMOVE" }
enum EventQoS: String, CaseIterable { case atLeastOnce = "AT_LEAST_ONCE", bestEffort = "BEST_EFFORT" }

/// Rules for event type names.
public enum EventNames {
    /// Capitalised camel case of at least two words ending in `Event`, e.g. `HandRaisedEvent`.
    public static func isValidCustomType(_ s: String) -> Bool {
        guard s.count <= 128, s.hasSuffix("Event"), s.count > 5 else { return false }
        let scalars = Array(s.unicodeScalars)
        guard let first = scalars.first, first.properties.isUppercase, first.isASCII else { return false }
        guard scalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else { return false }
        // "a noun and a verb": the stem holds at least two capitalised words.
        let stem = scalars.dropLast(5)
        return stem.filter { $0.properties.isUppercase }.count >= 2
    }
}
