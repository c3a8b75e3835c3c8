import Foundation
import HTTP
import JSON

/// The Conference API's operations, each applied atomically on the actor.
extension ConferenceService {
    /// `create`: SERVICE, or a PARTICIPANT granted `create`; the id must be
    /// available (`requireAvailable`), the quotas not reached. The
    /// conference belongs to the caller's organization; only a SERVICE
    /// without one (the operator) may name another in `organizationId`.
    public func create(id requested: String?, creatorEndpoint: String?, metadata: [String: String], organizationId: String?, who: Principal) throws(HTTPError) -> JSON {
        try requireCreateRight(who)
        let organization = who.isOperator ? organizationId : who.organizationId
        let id = requested ?? UUID().uuidString.lowercased()
        try requireAvailable(id, organization: organization, who: who)
        if activeConferenceCount >= configuration.maxConferences {
            throw HTTPError(503, "TOO_MANY_CONFERENCES", "the server holds its maximum of \(configuration.maxConferences) conferences")
        }
        try requireCreateQuota(organization: organization, who: who)
        let bytes = metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        if bytes > configuration.maxConferenceMetadataBytes {
            throw HTTPError(413, "METADATA_TOO_LARGE", "conference metadata holds at most \(configuration.maxConferenceMetadataBytes) bytes (--max-conference-metadata-bytes)")
        }
        let now = Self.nowMillis()
        let c = ConferenceState(id: id, organizationId: organization, creator: who.subject, creatorEndpoint: creatorEndpoint, createdAt: now,
                                log: EventLog(maxCount: configuration.maxEventsKept, maxBytes: configuration.maxEventLogBytes))
        for (k, v) in metadata {
            c.metadata[k] = MetadataEntry(value: v, lastModified: now, userEndpointId: creatorEndpoint ?? "", userId: who.subject)
        }
        c.emptySince = Self.monotonicSeconds()
        conferences[id] = c
        byRecordsEvent[c.recordsEvent] = id
        record(c, "ConferenceCreatedEvent", [
            "creator": .string(who.subject), "creatorEndpoint": creatorEndpoint.map { .string($0) } ?? .null,
            "mode": .string(c.mode), "metadata": .object(metadata.mapValues { .string($0) }),
        ])
        Metrics.shared.increment("sfu_conferences_created_total")
        Log.info("conference \(id) created by \(who.subject)")
        return ["id": .string(id), "mode": .string(c.mode), "version": .int(c.version)]
    }

    public func get(_ id: String, who: Principal) throws(HTTPError) -> JSON {
        let c = try live(id, who)
        try requireMember(c, who)
        return c.json
    }

    public func simpleView(_ id: String, who: Principal) throws(HTTPError) -> JSON {
        let c = try live(id, who)
        try requireMember(c, who)
        return c.simpleViewJSON
    }

    public func join(_ id: String, endpoint: String, userId requestedUser: String?, metadata: JSON, who: Principal) throws(HTTPError) -> JSON {
        let c = try live(id, who)
        let userId = who.isService ? (requestedUser ?? who.subject) : who.subject
        if let i = c.endpointIndex(endpoint) {
            // Re-joining one's own endpoint (a retried join) is idempotent; new metadata replaces the old.
            // Another user's endpoint is not taken over.
            guard c.endpoints[i].userId == userId else {
                throw HTTPError(409, "ENDPOINT_EXISTS", "endpoint '\(endpoint)' of conference '\(id)' belongs to another user")
            }
            if c.endpoints[i].metadata != metadata {
                c.endpoints[i].metadata = metadata
                record(c, "ConferenceParticipantMetadataUpdatedEvent", ["userEndpointId": .string(endpoint), "userId": .string(userId), "metadata": metadata])
            }
            return c.json
        }
        if c.endpoints.count >= configuration.maxEndpointsPerConference {
            throw HTTPError(503, "CONFERENCE_FULL", "conference '\(id)' holds its maximum of \(configuration.maxEndpointsPerConference) endpoints")
        }
        c.endpoints.append(Endpoint(id: endpoint, userId: userId, metadata: metadata, joinedAt: Self.nowMillis()))
        c.emptySince = nil
        record(c, "ConferenceParticipantJoinedEvent", ["userEndpointId": .string(endpoint), "userId": .string(userId), "metadata": metadata])
        return c.json
    }

    /// Removes an endpoint with its streams and views; returns what it held.
    func removeEndpoint(_ c: ConferenceState, _ index: Int, reason: String) -> FreedMedia {
        let e = c.endpoints[index]
        var freed = FreedMedia()
        for s in e.streams {
            record(c, "ConferenceStreamUnpublishedEvent", ["userEndpointId": .string(e.id), "userId": .string(e.userId), "streamId": .string(s.id), "reason": "LEFT"])
            freed.streams.append(s.id)
        }
        c.endpoints.remove(at: index)
        // Views this endpoint held on other streams end with it.
        for ei in c.endpoints.indices {
            for si in c.endpoints[ei].streams.indices {
                for (vid, v) in c.endpoints[ei].streams[si].viewers where v.endpointId == e.id {
                    freed.views.append((c.endpoints[ei].streams[si].id, vid))
                    c.endpoints[ei].streams[si].viewers[vid] = nil
                }
            }
        }
        record(c, "ConferenceParticipantLeftEvent", ["userEndpointId": .string(e.id), "userId": .string(e.userId), "reason": .string(reason)])
        if c.endpoints.isEmpty { c.emptySince = Self.monotonicSeconds() }
        return freed
    }

    public func leave(_ id: String, endpoint: String, reason: String?, who: Principal) async throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        let freed = removeEndpoint(c, i, reason: reason ?? "LEFT")
        await notifyRemoved(id, freed)
    }

    public func end(_ id: String, endpoint: String, reason: String?, who: Principal) async throws(HTTPError) {
        let c = try live(id, who)
        if !who.isService { _ = try ownedEndpoint(c, endpoint, who) }
        try requireEndRight(c, who)
        // As documented: every participant leaves first (its streams unpublished, then
        // ConferenceParticipantLeftEvent with reason CONFERENCE_ENDED), then ConferenceEndedEvent.
        // The media goes with the conference (the ended observers), so `freed` is not needed.
        while !c.endpoints.isEmpty { _ = removeEndpoint(c, 0, reason: "CONFERENCE_ENDED") }
        finish(c, reason: reason ?? "ENDED", endpoint: endpoint)
        Log.info("conference \(id) ended by \(who.subject) (\(reason ?? "ENDED"))")
        for f in onEnded { await f(id) }
    }

    /// Validates a publish and reserves nothing; the caller negotiates media,
    /// then calls `commitPublish`.
    public func checkPublish(_ id: String, endpoint: String, streamId: String?, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        if let streamId, c.locateStream(streamId) != nil {
            throw HTTPError(409, "STREAM_EXISTS", "stream '\(streamId)' is already published")
        }
        if c.endpoints[i].streams.count >= configuration.maxStreamsPerEndpoint {
            throw HTTPError(503, "TOO_MANY_STREAMS", "endpoint '\(endpoint)' publishes its maximum of \(configuration.maxStreamsPerEndpoint) streams")
        }
    }

    /// Whether `streamId` is already published by this caller's `endpoint` (a new offer is then an ICE restart).
    public func isOwnStream(_ id: String, endpoint: String, streamId: String, who: Principal) throws(HTTPError) -> Bool {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        return c.endpoints[i].streamIndex(streamId) != nil
    }

    /// Whether `viewerId` already views `streamId` for this caller's `endpoint`.
    public func isOwnViewer(_ id: String, endpoint: String, streamId: String, viewerId: String, who: Principal) throws(HTTPError) -> Bool {
        let c = try live(id, who)
        _ = try ownedEndpoint(c, endpoint, who)
        guard let (ei, si) = c.locateStream(streamId) else { return false }
        return c.endpoints[ei].streams[si].viewers[viewerId]?.endpointId == endpoint
    }

    public func commitPublish(_ id: String, endpoint: String, streamId: String, type: StreamTypeName, metadata: JSON, videoBitrate: Int64?, who: Principal) throws(HTTPError) {
        try checkPublish(id, endpoint: endpoint, streamId: streamId, who: who)
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        let type = StreamType(rawValue: type.rawValue)!
        c.endpoints[i].streams.append(PublishedStream(id: streamId, type: type, metadata: metadata, videoBitrate: videoBitrate))
        record(c, "ConferenceStreamPublishedEvent", [
            "userEndpointId": .string(endpoint), "userId": .string(c.endpoints[i].userId), "streamId": .string(streamId),
            "streamType": .string(type.rawValue), "metadata": metadata, "videoBitrate": videoBitrate.map { .int($0) } ?? .null,
        ])
    }

    public func unpublish(_ id: String, endpoint: String, streamId: String, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        guard let si = c.endpoints[i].streamIndex(streamId) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "endpoint '\(endpoint)' has no stream '\(streamId)'")
        }
        c.endpoints[i].streams.remove(at: si)
        record(c, "ConferenceStreamUnpublishedEvent", ["userEndpointId": .string(endpoint), "userId": .string(c.endpoints[i].userId), "streamId": .string(streamId), "reason": "UNPUBLISHED"])
    }

    public func checkView(_ id: String, endpoint: String, streamId: String, viewerId: String?, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        _ = try ownedEndpoint(c, endpoint, who)
        guard let (ei, si) = c.locateStream(streamId) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "stream '\(streamId)' is not published in conference '\(id)'")
        }
        let s = c.endpoints[ei].streams[si]
        if let viewerId, s.viewers[viewerId] != nil { throw HTTPError(409, "VIEWER_EXISTS", "viewer '\(viewerId)' already exists") }
        if s.viewers.count >= configuration.maxViewersPerStream {
            throw HTTPError(503, "TOO_MANY_VIEWERS", "stream '\(streamId)' has its maximum of \(configuration.maxViewersPerStream) viewers")
        }
    }

    public func commitView(_ id: String, endpoint: String, streamId: String, viewerId: String, metadata: JSON, who: Principal) throws(HTTPError) {
        try checkView(id, endpoint: endpoint, streamId: streamId, viewerId: viewerId, who: who)
        let c = try live(id, who)
        let (ei, si) = c.locateStream(streamId)!
        c.endpoints[ei].streams[si].viewers[viewerId] = Viewer(id: viewerId, endpointId: endpoint, metadata: metadata)
        record(c, "ConferenceStreamViewStartedEvent", ["userEndpointId": .string(endpoint), "streamId": .string(streamId), "viewerId": .string(viewerId)])
    }

    public func stopView(_ id: String, endpoint: String, streamId: String, viewerId: String, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        _ = try ownedEndpoint(c, endpoint, who)
        guard let (ei, si) = c.locateStream(streamId) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "stream '\(streamId)' is not published in conference '\(id)'")
        }
        guard let v = c.endpoints[ei].streams[si].viewers[viewerId], v.endpointId == endpoint else {
            throw HTTPError(404, "VIEWER_NOT_FOUND", "endpoint '\(endpoint)' has no viewer '\(viewerId)' on stream '\(streamId)'")
        }
        c.endpoints[ei].streams[si].viewers[viewerId] = nil
        record(c, "ConferenceStreamViewStoppedEvent", ["userEndpointId": .string(endpoint), "streamId": .string(streamId), "viewerId": .string(viewerId)])
    }

    /// Stores trickled candidates of a published stream (the media layer is told by the caller).
    public func addPublishCandidates(_ id: String, endpoint: String, streamId: String, candidates: [JSON], who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        guard let si = c.endpoints[i].streamIndex(streamId) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "endpoint '\(endpoint)' has no stream '\(streamId)'")
        }
        c.endpoints[i].streams[si].iceCandidates.append(contentsOf: candidates.prefix(max(0, 64 - c.endpoints[i].streams[si].iceCandidates.count)))
    }

    public func addViewCandidates(_ id: String, endpoint: String, streamId: String, viewerId: String, candidates: [JSON], who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        _ = try ownedEndpoint(c, endpoint, who)
        guard let (ei, si) = c.locateStream(streamId) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "stream '\(streamId)' is not published in conference '\(id)'")
        }
        guard var v = c.endpoints[ei].streams[si].viewers[viewerId], v.endpointId == endpoint else {
            throw HTTPError(404, "VIEWER_NOT_FOUND", "endpoint '\(endpoint)' has no viewer '\(viewerId)' on stream '\(streamId)'")
        }
        v.iceCandidates.append(contentsOf: candidates.prefix(max(0, 64 - v.iceCandidates.count)))
        c.endpoints[ei].streams[si].viewers[viewerId] = v
    }

    /// Streams of `endpoint` addressed by an optional stream id (nil = all of them).
    func targetStreams(_ c: ConferenceState, _ i: Int, _ streamId: String?) throws(HTTPError) -> [Int] {
        if let streamId {
            guard let si = c.endpoints[i].streamIndex(streamId) else {
                throw HTTPError(404, "STREAM_NOT_FOUND", "endpoint '\(c.endpoints[i].id)' has no stream '\(streamId)'")
            }
            return [si]
        }
        return Array(c.endpoints[i].streams.indices)
    }

    /// Checks that `endpoint` (and `streamId`, when given) exist and the caller may act on them.
    public func checkEndpoint(_ id: String, endpoint: String, streamId: String?, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        _ = try targetStreams(c, i, streamId)
    }

    public func updateBitrate(_ id: String, endpoint: String, streamId: String?, videoBitrate: Int64, who: Principal) throws(HTTPError) -> [String] {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        let targets = try targetStreams(c, i, streamId)
        var changed: [String] = []
        for si in targets {
            c.endpoints[i].streams[si].videoBitrate = videoBitrate
            let sid = c.endpoints[i].streams[si].id
            changed.append(sid)
            record(c, "ConferenceStreamBitrateUpdatedEvent", ["userEndpointId": .string(endpoint), "streamId": .string(sid), "videoBitrate": .int(videoBitrate)])
        }
        return changed
    }

    public func updateMetadata(_ id: String, endpoint: String, key: String, operation: String, value: String?, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        let userId = c.endpoints[i].userId
        if operation == "SET" {
            let grown = c.metadataBytes - (c.metadata[key].map { key.utf8.count + $0.value.utf8.count } ?? 0) + key.utf8.count + (value ?? "").utf8.count
            if grown > configuration.maxConferenceMetadataBytes {
                throw HTTPError(413, "METADATA_TOO_LARGE", "conference metadata holds at most \(configuration.maxConferenceMetadataBytes) bytes (--max-conference-metadata-bytes)")
            }
            c.metadata[key] = MetadataEntry(value: value ?? "", lastModified: Self.nowMillis(), userEndpointId: endpoint, userId: userId)
        } else if c.metadata.removeValue(forKey: key) == nil {
            return  // REMOVE of an absent key is idempotent: 204, no event (docs/API.md)
        }
        record(c, "ConferenceMetadataUpdatedEvent", ["userEndpointId": .string(endpoint), "userId": .string(userId), "key": .string(key),
                                                      "operation": .string(operation), "value": value.map { .string($0) } ?? .null])
    }

    public func updateParticipantMetadata(_ id: String, endpoint: String, metadata: JSON, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        c.endpoints[i].metadata = metadata
        record(c, "ConferenceParticipantMetadataUpdatedEvent", ["userEndpointId": .string(endpoint), "userId": .string(c.endpoints[i].userId), "metadata": metadata])
    }

    public func updateStreamMetadata(_ id: String, endpoint: String, streamId: String?, metadata: JSON, who: Principal) throws(HTTPError) {
        let c = try live(id, who)
        let i = try ownedEndpoint(c, endpoint, who)
        for si in try targetStreams(c, i, streamId) {
            c.endpoints[i].streams[si].metadata = metadata
            record(c, "ConferenceStreamMetadataUpdatedEvent", ["userEndpointId": .string(endpoint), "streamId": .string(c.endpoints[i].streams[si].id), "metadata": metadata])
        }
    }

    /// Media liveness reports (consent freshness): HEALTHY ↔ SICK.
    public func setEndpointState(_ id: String, endpoint: String, sick: Bool) {
        guard let c = conferences[id], !c.ended, let i = c.endpointIndex(endpoint) else { return }
        let state: EndpointState = sick ? .sick : .healthy
        if c.endpoints[i].state == state { return }
        c.endpoints[i].state = state
        c.endpoints[i].sickSince = sick ? Self.monotonicSeconds() : nil
        record(c, "ConferenceParticipantStateChangedEvent", ["userEndpointId": .string(endpoint), "userId": .string(c.endpoints[i].userId), "state": .string(state.rawValue)])
    }

    /// `sendEvent`: appends the event with a version of its own (so a
    /// reader de-duplicating by version keeps it) and delivers it to every
    /// reader; returns the number of endpoints joined, which all receive it
    /// on their next poll or on their stream. `AT_LEAST_ONCE` events stay in
    /// the log as long as the log keeps events; `BEST_EFFORT` ones are
    /// emptied from it after `bestEffortRetention` seconds.
    public func sendEvent(_ id: String, event: [String: JSON], masks: [JSONPath], atLeastOnce: Bool, who: Principal) throws(HTTPError) -> Int {
        let c = try live(id, who)
        guard let type = event["type"]?.stringValue else { throw HTTPError(400, "MISSING_FIELD", "event.type is mandatory") }
        if ServerEventTypes.all.contains(type) {
            throw HTTPError(400, "INVALID_FIELD", "event.type '\(type)' is one of the server's own event types")
        }
        try takeEventToken(who)
        let stored = masks.isEmpty ? event : (JSON.object(event).masking(masks).objectValue ?? event)
        let joined = c.endpoints.count
        let logged = record(c, type, stored, live: masks.isEmpty ? nil : event,
                            retention: atLeastOnce ? nil : configuration.bestEffortRetention)
        Log.info("conference \(id): \(atLeastOnce ? "" : "best-effort ")event \(type) sent to \(joined) endpoints: \(logged.serialized())")
        return joined
    }
}

/// The stream type names accepted by `publishStream` (public mirror of `StreamType`).
public enum StreamTypeName: String, Sendable, CaseIterable {
    case cam = "CAM", mic = "MIC", screen = "SCREEN", micAndCam = "MIC_AND_CAM"
}
