import Foundation
import JSON

/// One key of conference metadata with who set it and when (document 004 `Metadata`).
struct MetadataEntry: Sendable {
    var value: String
    var lastModified: Int64
    var userEndpointId: String
    var userId: String

    var json: JSON {
        ["value": .string(value), "lastModified": .string(isoTime(lastModified)),
         "userEndpointId": .string(userEndpointId), "userId": .string(userId)]
    }
}

/// The published stream kinds of document 004.
enum StreamType: String, Sendable, CaseIterable {
    case cam = "CAM", mic = "MIC", screen = "SCREEN", micAndCam = "MIC_AND_CAM"
}

/// A viewer of a stream: one `viewStream` PeerConnection.
struct Viewer: Sendable {
    let id: String
    let endpointId: String
    var metadata: JSON
    var iceCandidates: [JSON] = []
}

/// A stream an endpoint published.
struct PublishedStream: Sendable {
    let id: String
    let type: StreamType
    var metadata: JSON
    var videoBitrate: Int64?
    var viewers: [String: Viewer] = [:]
    var iceCandidates: [JSON] = []

    var json: JSON {
        var o: [String: JSON] = ["id": ["id": .string(id)], "metadata": metadata, "type": .string(type.rawValue)]
        o["videoBitrate"] = videoBitrate.map { .int($0) } ?? .null
        return .object(o)
    }
}

/// Health of an endpoint's media as document 004 reports it.
enum EndpointState: String, Sendable { case healthy = "HEALTHY", sick = "SICK" }

/// A user endpoint (one browser tab, say) joined to a conference.
struct Endpoint: Sendable {
    let id: String
    let userId: String
    var metadata: JSON
    var state: EndpointState = .healthy
    /// When the endpoint turned SICK (monotonic seconds).
    var sickSince: Double?
    var streams: [PublishedStream] = []
    let joinedAt: Int64

    func streamIndex(_ id: String) -> Int? { streams.firstIndex { $0.id == id } }
}

/// A conference: its participants, metadata, version and event log.
///
/// A class confined to the `ConferenceService` actor, so that a change
/// mutates it in place: a struct in a dictionary would be copied out and
/// back, and its event log copied with it on every change.
final class ConferenceState {
    let id: String
    let mode = "ROUTER"
    let organizationId: String?
    let creator: String
    let creatorEndpoint: String?
    let createdAt: Int64
    /// This instance of the conference (an id may be reused after it ends);
    /// recordings carry it as their `session`.
    let sessionId = UUID().uuidString.lowercased()

    /// The records-store event of this conference (`NameUUID.recordsEvent`).
    let recordsEvent: String

    init(id: String, organizationId: String?, creator: String, creatorEndpoint: String?, createdAt: Int64, log: EventLog) {
        self.id = id
        self.organizationId = organizationId
        self.creator = creator
        self.creatorEndpoint = creatorEndpoint
        self.createdAt = createdAt
        self.log = log
        self.recordsEvent = NameUUID.recordsEvent(conferenceId: id)
    }
    var metadata: [String: MetadataEntry] = [:]
    var endpoints: [Endpoint] = []
    var version: Int64 = 0
    /// Stored events (bounded).
    var log: EventLog
    var ended = false
    var endedAt: Int64 = 0
    /// When the conference became empty (monotonic seconds), nil while occupied.
    var emptySince: Double?

    func endpointIndex(_ id: String) -> Int? { endpoints.firstIndex { $0.id == id } }

    /// (endpoint index, stream index) of a stream id.
    func locateStream(_ streamId: String) -> (Int, Int)? {
        for (ei, e) in endpoints.enumerated() {
            if let si = e.streamIndex(streamId) { return (ei, si) }
        }
        return nil
    }

    var metadataJSON: JSON { .object(metadata.mapValues(\.json)) }

    /// Bytes of conference metadata: every key and value.
    var metadataBytes: Int { metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.value.utf8.count } }

    /// Document 004 `Conference`.
    var json: JSON {
        .object([
            "id": .string(id),
            "mode": .string(mode),
            "version": .int(version),
            "empty": .bool(endpoints.isEmpty),
            "creator": .string(creator),
            "creatorEndpoint": creatorEndpoint.map { .string($0) } ?? .null,
            "organizationId": organizationId.map { .string($0) } ?? .null,
            "metadata": metadataJSON,
            "participants": .array(endpoints.map { e in
                .object(["id": .string(e.id), "userId": .string(e.userId), "state": .string(e.state.rawValue),
                         "metadata": e.metadata, "streams": .array(e.streams.map(\.json))])
            }),
        ])
    }

    /// Document 004 `ConferenceSimpleView`: participants are users, each with endpoints.
    var simpleViewJSON: JSON {
        var order: [String] = []
        var byUser: [String: [Endpoint]] = [:]
        for e in endpoints {
            if byUser[e.userId] == nil { order.append(e.userId) }
            byUser[e.userId, default: []].append(e)
        }
        return .object([
            "id": .string(id),
            "mode": .string(mode),
            "version": .int(version),
            "metadata": metadataJSON,
            "participants": .array(order.map { user in
                .object(["id": .string(user), "endpoints": .array(byUser[user]!.map { e in
                    .object(["id": .string(e.id), "state": .string(e.state.rawValue), "metadata": e.metadata,
                             "streams": .array(e.streams.map { s in
                                 .object(["id": .string(s.id), "metadata": s.metadata, "type": .string(s.type.rawValue)])
                             })])
                })])
            }),
        ])
    }
}

import HTTP

func isoTime(_ millis: Int64) -> String { ISOTime.format(millis: millis) }
