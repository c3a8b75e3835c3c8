import Foundation
import HTTP
import JSON

/// Set by the service when it drops a slow event stream (its buffer was
/// full), read by the stream's writer to tell the client with a reset.
public final class StreamOverflow: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public var happened: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

/// One answer to `GET {id}/events?v=N`: the events' JSON texts in order.
public struct EventPage: Sendable {
    public var events: [String]
    /// More events follow; ask again with `v = lastVersion`.
    public var more: Bool
    /// The version the next request should pass as `v`.
    public var lastVersion: Int64
    /// The conference's version now.
    public var conferenceVersion: Int64

    /// The events parsed (for tests and tools; the API sends the texts).
    public var json: [JSON] { events.compactMap { try? JSON.parse(Array($0.utf8)) } }
}

/// An open event stream: what it must send first, then live events.
public struct EventSubscription: Sendable {
    public let backlog: [String]
    /// Versions of the backlog's events, in order.
    public let backlogVersions: [Int64]
    public let backlogTypes: [String]
    /// The events after the asked version were dropped from the log: the
    /// stream starts with a reset telling from which version it continues.
    public let expired: Bool
    public let firstVersion: Int64
    public let conferenceVersion: Int64
    public let ended: Bool
    public let stream: AsyncStream<ConferenceService.StreamItem>
    public let token: UUID
    public let overflow: StreamOverflow
}

/// The server's own event types: `sendEvent` may not use them.
public enum ServerEventTypes {
    public static let all: Set<String> = [
        "ConferenceCreatedEvent", "ConferenceEndedEvent",
        "ConferenceParticipantJoinedEvent", "ConferenceParticipantLeftEvent",
        "ConferenceParticipantMetadataUpdatedEvent", "ConferenceParticipantStateChangedEvent",
        "ConferenceStreamPublishedEvent", "ConferenceStreamUnpublishedEvent",
        "ConferenceStreamMetadataUpdatedEvent", "ConferenceStreamBitrateUpdatedEvent",
        "ConferenceStreamViewStartedEvent", "ConferenceStreamViewStoppedEvent",
        "ConferenceMetadataUpdatedEvent",
    ]
}

/// The event log and its readers: long-polls and event streams.
extension ConferenceService {
    /// Applies one change: bumps the version, appends the event, delivers it.
    /// `live` is what connected readers get when it differs from the stored
    /// form (masked fields); `retention` limits how long it stays readable.
    @discardableResult
    func record(_ c: ConferenceState, _ type: String, _ fields: [String: JSON], live liveFields: [String: JSON]? = nil,
                retention: Double? = nil) -> JSON {
        c.version += 1
        let envelope = makeEvent(c, type: type, version: c.version, fields: fields)
        let text = envelope.serialized()
        c.log.append(text, type: type, version: c.version, expiresAt: retention.map { Self.monotonicSeconds() + $0 })
        let delivered = liveFields.map { makeEvent(c, type: type, version: c.version, fields: $0, id: envelope["id"]).serialized() } ?? text
        deliver(c.id, delivered, type: type, version: c.version)
        Metrics.shared.increment("sfu_conference_events_total", labels: ["type": type.hasPrefix("Conference") ? type : "custom"])
        return envelope
    }

    func makeEvent(_ c: ConferenceState, type: String, version: Int64, fields: [String: JSON], id: JSON? = nil) -> JSON {
        var o = fields
        o["id"] = id ?? .string(UUID().uuidString.lowercased())
        o["conferenceId"] = .string(c.id)
        o["conferenceVersion"] = .int(version)
        o["organizationId"] = c.organizationId.map { .string($0) } ?? .null
        if o["timestamp"] == nil { o["timestamp"] = .string(isoTime(Self.nowMillis())) }
        o["type"] = .string(type)
        return .object(o)
    }

    /// Pushes an event to the conference's open streams and waiting polls.
    /// A stream whose buffer is full is dropped and told so (it reconnects
    /// and resumes from the log): nothing is lost silently.
    func deliver(_ conferenceId: String, _ text: String, type: String, version: Int64) {
        if let subs = subscribers[conferenceId] {
            for (token, s) in subs {
                if case .dropped = s.continuation.yield(StreamItem(text: text, type: type, version: version)) {
                    s.overflow.set()
                    subscribers[conferenceId]?[token] = nil
                    s.continuation.finish()
                    Metrics.shared.increment("sfu_event_streams_reset_total")
                    Metrics.shared.increment("sfu_event_streams_closed_total")
                }
            }
            if subscribers[conferenceId]?.isEmpty == true { subscribers[conferenceId] = nil }
        }
        if let ws = waiters[conferenceId], !ws.isEmpty {
            waiters[conferenceId] = [:]
            for w in ws.values { w.continuation.resume(returning: [text]) }
        }
    }

    func expiredError(_ c: ConferenceState, _ v: Int64) -> HTTPError {
        HTTPError(410, "EVENTS_EXPIRED", "the events after version \(v) of conference '\(c.id)' are no longer kept "
                  + "(the log starts at version \(c.log.firstVersion), the conference is at \(c.version)); "
                  + "read the conference (GET \(c.id)) and continue with v=\(c.version)")
    }

    /// `GET {id}/events?v=N[&wait=S][&limit=L]`: the events after `v`, at
    /// most `limit` (and about `maxPageBytes`) of them; with none available,
    /// waits up to `wait` seconds (default `defaultPollWait`) for the next.
    /// 410 if events after `v` were dropped from the log.
    public func events(_ id: String, after v: Int64, wait: Double? = nil, limit: Int? = nil, endpoint: String?,
                       who: Principal) async throws(HTTPError) -> EventPage {
        let c = try visible(id, who)
        try requireMember(c, who, allowEnded: true)
        if let endpoint { _ = try ownedEndpointOrEnded(c, endpoint, who) }
        let limit = min(max(1, limit ?? configuration.defaultPageEvents), configuration.maxPageEvents)
        let page = c.log.after(v, limit: limit, maxBytes: configuration.maxPageBytes)
        if page.expired { throw expiredError(c, v) }
        let wait = wait ?? configuration.defaultPollWait
        // Nothing to wait for: events ready, no wait, the end, or a `v` that is
        // not the current version (emptied best-effort slots, or a client ahead).
        if !page.events.isEmpty || wait <= 0 || c.ended || v != c.version {
            return EventPage(events: page.events, more: page.more, lastVersion: page.lastVersion, conferenceVersion: c.version)
        }
        let token = UUID()
        let result: [String] = await withCheckedContinuation { cont in
            waiters[id, default: [:]][token] = Waiter(after: v, endpoint: endpoint, continuation: cont)
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(min(wait, 3600) * 1e9))
                await self?.expireWaiter(id, token)
            }
        }
        let now = conferences[id]?.version ?? c.version
        return EventPage(events: result, more: false, lastVersion: result.isEmpty ? max(v, 0) : now, conferenceVersion: now)
    }

    func expireWaiter(_ conferenceId: String, _ token: UUID) {
        if let w = waiters[conferenceId]?.removeValue(forKey: token) {
            w.continuation.resume(returning: [])
        }
        if waiters[conferenceId]?.isEmpty == true { waiters[conferenceId] = nil }
    }

    /// Opens an event stream: the backlog after `v`, then live events. The
    /// caller must `unsubscribe` when its client goes.
    public func subscribe(_ id: String, after v: Int64, endpoint: String?, who: Principal) throws(HTTPError) -> EventSubscription {
        let c = try visible(id, who)
        try requireMember(c, who, allowEnded: true)
        if let endpoint { _ = try ownedEndpointOrEnded(c, endpoint, who) }
        let (stream, continuation) = AsyncStream<StreamItem>.makeStream(bufferingPolicy: .bufferingOldest(max(1, configuration.streamBuffer)))
        let token = UUID()
        let overflow = StreamOverflow()
        if !c.ended {
            subscribers[id, default: [:]][token] = Subscriber(endpoint: endpoint, continuation: continuation, overflow: overflow)
            Metrics.shared.increment("sfu_event_streams_opened_total")
            continuation.onTermination = { [weak self] _ in
                Task { await self?.unsubscribe(id, token) }
            }
        } else {
            continuation.finish()
        }
        let page = c.log.after(v)
        return EventSubscription(backlog: page.events, backlogVersions: page.versions, backlogTypes: page.types, expired: page.expired, firstVersion: c.log.firstVersion,
                                 conferenceVersion: c.version, ended: c.ended, stream: stream, token: token, overflow: overflow)
    }

    /// Ends an event stream's subscription (its client has gone).
    public func unsubscribe(_ conferenceId: String, _ token: UUID) {
        if let s = subscribers[conferenceId]?.removeValue(forKey: token) {
            s.continuation.finish()
            Metrics.shared.increment("sfu_event_streams_closed_total")
        }
        if subscribers[conferenceId]?.isEmpty == true { subscribers[conferenceId] = nil }
    }

    /// Open event streams and waiting polls (for tests and metrics).
    public var readerCounts: (streams: Int, polls: Int) {
        (subscribers.values.reduce(0) { $0 + $1.count }, waiters.values.reduce(0) { $0 + $1.count })
    }
}
