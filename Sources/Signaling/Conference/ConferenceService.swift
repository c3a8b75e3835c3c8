import Foundation
import HTTP
import JSON

/// Owns every conference: state, versions, the event log, and delivery of
/// events to long-polls and event streams. An actor, so concurrent API calls
/// are applied one at a time: versions stay strictly increasing and gap-free
/// and events keep the order of the changes that made them.
public actor ConferenceService {
    /// Limits and timeouts of the conference model.
    public struct Configuration: Sendable {
        /// An empty conference ends by itself after this many seconds.
        public var idleTimeout: Double = 300
        /// An ended conference's events stay readable this long.
        public var endedRetention: Double = 600
        public var maxConferences = 10_000
        public var maxEndpointsPerConference = 1_000
        public var maxStreamsPerEndpoint = 16
        public var maxViewersPerStream = 1_000
        /// The event log of one conference keeps at most this many events…
        public var maxEventsKept = 10_000
        /// …and at most this many bytes of event JSON (the oldest go first).
        public var maxEventLogBytes = 4 << 20
        /// Largest metadata object or value of one command, in bytes of JSON.
        public var maxMetadataBytes = 16 * 1024
        /// Largest conference metadata (every key and value together), in bytes.
        public var maxConferenceMetadataBytes = 64 * 1024
        /// Live conferences one PARTICIPANT (granted `create`) may have created.
        public var maxConferencesPerParticipant = 10
        /// Live conferences of one organization (conferences of no organization
        /// are the operator's, bounded by `maxConferences` only).
        public var maxConferencesPerOrganization = 1_000
        /// `sendEvent` calls per second per principal (a burst of twice as many is allowed).
        public var maxEventsPerSecond = 50.0
        /// How long a `BEST_EFFORT` event stays readable in the log, seconds.
        public var bestEffortRetention: Double = 60
        /// `GET {id}/events?v=N` without `wait` waits this long for an event.
        public var defaultPollWait: Double = 5
        /// Events per `GET {id}/events` page without `limit`, and the largest `limit`.
        public var defaultPageEvents = 1_000
        public var maxPageEvents = 10_000
        /// A page holds about this many bytes at most (at least one event).
        public var maxPageBytes = 1 << 20
        /// Events queued for one slow event stream before it is reset.
        public var streamBuffer = 256
        /// A SICK endpoint (its media transport failed, e.g. consent expired)
        /// is removed after this many seconds unless it recovers.
        public var sickGrace: Double = 30
        public init() {}
    }

    /// What an event stream receives: an event's JSON text and its version.
    public struct StreamItem: Sendable {
        public let text: String
        public let type: String
        public let version: Int64
    }

    struct Waiter {
        let after: Int64
        let endpoint: String?
        let continuation: CheckedContinuation<[String], Never>
    }

    struct Subscriber {
        let endpoint: String?
        let continuation: AsyncStream<StreamItem>.Continuation
        let overflow: StreamOverflow
    }

    public let configuration: Configuration
    /// The organization of every records-store event with data.
    public nonisolated let owners: EventOwners
    var conferences: [String: ConferenceState] = [:]
    /// Conference id of each live conference's records-store event.
    var byRecordsEvent: [String: String] = [:]
    /// `sendEvent` rate limiting, per principal.
    var eventBuckets: [String: TokenBucket] = [:]
    var waiters: [String: [UUID: Waiter]] = [:]
    var subscribers: [String: [UUID: Subscriber]] = [:]
    var sweeper: Task<Void, Never>?
    /// Called after a conference ended (the media layer frees its resources).
    var onEnded: [@Sendable (String) async -> Void] = []
    /// Called after an endpoint left or was removed, with what it held.
    var onEndpointRemoved: [@Sendable (String, FreedMedia) async -> Void] = []

    public init(configuration: Configuration, owners: EventOwners? = nil) {
        self.configuration = configuration
        self.owners = owners ?? (try! EventOwners(path: nil))
    }

    public func addEndedObserver(_ f: @escaping @Sendable (String) async -> Void) { onEnded.append(f) }
    public func addEndpointRemovedObserver(_ f: @escaping @Sendable (String, FreedMedia) async -> Void) { onEndpointRemoved.append(f) }

    func notifyRemoved(_ conferenceId: String, _ freed: FreedMedia) async {
        if freed.streams.isEmpty && freed.views.isEmpty { return }
        for f in onEndpointRemoved { await f(conferenceId, freed) }
    }

    /// Starts the once-a-second sweep that ends idle conferences and forgets old ones.
    public func startSweeper() {
        guard sweeper == nil else { return }
        sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 250_000_000)
                await self?.sweep()
            }
        }
    }

    /// Ends every conference's streams cleanly (shutdown).
    public func shutdown() {
        sweeper?.cancel()
        for (_, subs) in subscribers { for s in subs.values { s.continuation.finish() } }
        subscribers.removeAll()
        for (_, ws) in waiters { for w in ws.values { w.continuation.resume(returning: []) } }
        waiters.removeAll()
    }

    static func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    static func nowMillis() -> Int64 { ISOTime.nowMillis() }

    public var activeConferenceCount: Int { conferences.values.filter { !$0.ended }.count }
    public var endpointCount: Int { conferences.values.filter { !$0.ended }.reduce(0) { $0 + $1.endpoints.count } }

    // MARK: - Lookup and authorization

    /// The conference `id` as `who` may see it: another organization's
    /// conference does not exist for it (404, the same answer as an unknown id).
    func visible(_ id: String, _ who: Principal) throws(HTTPError) -> ConferenceState {
        guard let c = conferences[id], who.canSee(organization: c.organizationId) else {
            throw HTTPError(404, "CONFERENCE_NOT_FOUND", "conference '\(id)' does not exist")
        }
        return c
    }

    func live(_ id: String, _ who: Principal) throws(HTTPError) -> ConferenceState {
        let c = try visible(id, who)
        if c.ended { throw HTTPError(404, "CONFERENCE_ENDED", "conference '\(id)' has ended") }
        return c
    }

    /// The index of `endpointId` in `c`, checking the caller may act on it.
    func ownedEndpoint(_ c: ConferenceState, _ endpointId: String, _ who: Principal) throws(HTTPError) -> Int {
        guard let i = c.endpointIndex(endpointId) else {
            throw HTTPError(404, "ENDPOINT_NOT_FOUND", "endpoint '\(endpointId)' has not joined conference '\(c.id)'")
        }
        if !who.isService && c.endpoints[i].userId != who.subject {
            throw HTTPError(403, "FORBIDDEN", "endpoint '\(endpointId)' belongs to another user")
        }
        return i
    }

    /// Read access: SERVICE, or a participant with a joined endpoint.
    func requireMember(_ c: ConferenceState, _ who: Principal) throws(HTTPError) {
        if who.isService { return }
        if !c.endpoints.contains(where: { $0.userId == who.subject }) {
            throw HTTPError(403, "FORBIDDEN", "you have no endpoint in conference '\(c.id)'")
        }
    }

    func requireMember(_ c: ConferenceState, _ who: Principal, allowEnded: Bool) throws(HTTPError) {
        if c.ended && !allowEnded { throw HTTPError(404, "CONFERENCE_ENDED", "conference '\(c.id)' has ended") }
        if who.isService { return }
        // After the end, anyone who was a member may still read the log; the
        // endpoints are gone, so the creator or a past participant's subject is accepted.
        if isMember(c, subject: who.subject) { return }
        throw HTTPError(403, "FORBIDDEN", "you have no endpoint in conference '\(c.id)'")
    }

    var pastMembers: [String: Set<String>] = [:]

    func isMember(_ c: ConferenceState, subject: String) -> Bool {
        if c.endpoints.contains(where: { $0.userId == subject }) || c.creator == subject { return true }
        return c.ended && pastMembers[c.id]?.contains(subject) == true
    }

    func ownedEndpointOrEnded(_ c: ConferenceState, _ endpointId: String, _ who: Principal) throws(HTTPError) -> Int? {
        if c.ended { return nil }
        return try ownedEndpoint(c, endpointId, who)
    }

    /// Whether `who` takes part in conference `conferenceId` (a joined
    /// endpoint, its creator, or a past member of an ended conference that is
    /// still retained) and may see it. The Recordings API asks this.
    public func isMember(conferenceId: String, who: Principal) -> Bool {
        guard let c = conferences[conferenceId], who.canSee(organization: c.organizationId) else { return false }
        return isMember(c, subject: who.subject)
    }

    /// The organization a channel (conference id) belongs to: its live
    /// conference's, else its records event's owner; nil if unknown.
    public func organization(ofChannel id: String) -> EventOwners.Owner {
        if let c = conferences[id] { return .organization(c.organizationId) }
        return owners.owner(of: NameUUID.recordsEvent(conferenceId: id))
    }

    /// What the record stores need to know about an event: its owner, and
    /// whether `subject` takes part in the conference that maps to it
    /// (the conference whose `NameUUID.recordsEvent` is `event`, the
    /// mapping the recorder uses when it stores a conference's audio).
    public func storeEvent(_ event: String, subject: String) -> (owner: EventOwners.Owner, member: Bool) {
        if let id = byRecordsEvent[event], let c = conferences[id] {
            return (.organization(c.organizationId), isMember(c, subject: subject))
        }
        return (owners.owner(of: event), false)
    }

    /// Makes the organization of conference `id` the owner of its records
    /// event (a recording starts writing there).
    public func claimRecordsEvent(_ id: String) {
        guard let c = conferences[id] else { return }
        owners.claim(NameUUID.recordsEvent(conferenceId: id), organization: c.organizationId)
    }

    // MARK: - Sweeping

    func sweep() async {
        let now = Self.monotonicSeconds()
        var ended: [String] = []
        var removed: [(String, FreedMedia)] = []
        for (id, c) in conferences {
            if c.log.hasExpiring { c.log.expire(now: now) }
            if c.ended {
                if now - Double(c.endedAt) > configuration.endedRetention {
                    conferences[id] = nil
                    pastMembers[id] = nil
                    byRecordsEvent[c.recordsEvent] = nil
                }
                continue
            }
            for e in c.endpoints where e.sickSince.map({ now - $0 >= configuration.sickGrace }) == true {
                guard let i = c.endpointIndex(e.id) else { continue }
                Log.warn("conference \(id): endpoint \(e.id) was SICK for \(Int(configuration.sickGrace)) s; removing it")
                removed.append((id, removeEndpoint(c, i, reason: "CONSENT_EXPIRED")))
            }
            if let since = c.emptySince, now - since >= configuration.idleTimeout {
                finish(c, reason: "IDLE", endpoint: nil)
                ended.append(id)
            }
        }
        eventBuckets = eventBuckets.filter { !$0.value.isFull(now: now) }
        for (id, freed) in removed { await notifyRemoved(id, freed) }
        for id in ended {
            Log.info("conference \(id) ended after \(Int(configuration.idleTimeout)) s without participants")
            for f in onEnded { await f(id) }
        }
    }

    /// Marks `c` ended, appends the event, and closes its streams.
    func finish(_ c: ConferenceState, reason: String, endpoint: String?) {
        var members = pastMembers[c.id] ?? []
        for e in c.endpoints { members.insert(e.userId) }
        pastMembers[c.id] = members
        var fields: [String: JSON] = ["reason": .string(reason)]
        fields["userEndpointId"] = endpoint.map { .string($0) } ?? .null
        record(c, "ConferenceEndedEvent", fields)
        c.ended = true
        c.endedAt = Int64(Self.monotonicSeconds())
        c.endpoints.removeAll()
        if let subs = subscribers.removeValue(forKey: c.id) {
            for s in subs.values { s.continuation.finish() }
            Metrics.shared.increment("sfu_event_streams_closed_total", by: Double(subs.count))
        }
        if let ws = waiters.removeValue(forKey: c.id) {
            for w in ws.values { w.continuation.resume(returning: []) }
        }
        Metrics.shared.increment("sfu_conferences_ended_total", labels: ["reason": reason == "IDLE" ? "idle" : "ended"])
    }
}

/// What an endpoint held when it went: its published streams and its views.
public struct FreedMedia: Sendable {
    public var streams: [String] = []
    public var views: [(streamId: String, viewerId: String)] = []
}
