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
        public var maxEventsKept = 100_000
        public var maxMetadataBytes = 16 * 1024
        /// A SICK endpoint (its media transport failed, e.g. consent expired)
        /// is removed after this many seconds unless it recovers.
        public var sickGrace: Double = 30
        public init() {}
    }

    /// What an event stream receives.
    public enum StreamItem: Sendable {
        case event(JSON, version: Int64?)
        case heartbeat
    }

    struct Waiter {
        let after: Int64
        let endpoint: String?
        let continuation: CheckedContinuation<[JSON], Never>
    }

    struct Subscriber {
        let endpoint: String?
        let continuation: AsyncStream<StreamItem>.Continuation
    }

    public let configuration: Configuration
    var conferences: [String: ConferenceState] = [:]
    var waiters: [String: [UUID: Waiter]] = [:]
    var subscribers: [String: [UUID: Subscriber]] = [:]
    var sweeper: Task<Void, Never>?
    /// Called after a conference ended (the media layer frees its resources).
    var onEnded: [@Sendable (String) async -> Void] = []
    /// Called after an endpoint left or was removed, with what it held.
    var onEndpointRemoved: [@Sendable (String, FreedMedia) async -> Void] = []

    public init(configuration: Configuration) {
        self.configuration = configuration
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

    func live(_ id: String) throws(HTTPError) -> ConferenceState {
        guard let c = conferences[id] else { throw HTTPError(404, "CONFERENCE_NOT_FOUND", "conference '\(id)' does not exist") }
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

    // MARK: - Events

    /// Applies one change: bumps the version, appends the event, delivers it.
    @discardableResult
    func record(_ c: ConferenceState, _ type: String, _ fields: [String: JSON], live liveFields: [String: JSON]? = nil) -> JSON {
        c.version += 1
        let envelope = makeEvent(c, type: type, version: c.version, fields: fields)
        c.log.append(envelope)
        if c.log.count > configuration.maxEventsKept {
            let drop = c.log.count - configuration.maxEventsKept
            c.log.removeFirst(drop)
            c.firstLogVersion += Int64(drop)
        }
        let delivered = liveFields.map { makeEvent(c, type: type, version: c.version, fields: $0, id: envelope["id"]) } ?? envelope
        deliver(c.id, delivered, version: c.version)
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

    /// Pushes an event to the conference's open streams and waiting polls;
    /// returns the joined endpoints reached.
    @discardableResult
    func deliver(_ conferenceId: String, _ event: JSON, version: Int64?) -> Set<String> {
        var reached = Set<String>()
        if let subs = subscribers[conferenceId] {
            for s in subs.values {
                s.continuation.yield(.event(event, version: version))
                if let e = s.endpoint { reached.insert(e) }
            }
        }
        if let ws = waiters[conferenceId], !ws.isEmpty {
            waiters[conferenceId] = [:]
            for w in ws.values {
                w.continuation.resume(returning: [event])
                if let e = w.endpoint { reached.insert(e) }
            }
        }
        return reached
    }

    /// Events with a version above `v`. A `v` at or beyond `Int64.max` has no
    /// successor: nothing follows it, so the answer is empty (never a trap).
    func eventsAfter(_ c: ConferenceState, _ v: Int64) -> [JSON] {
        let (next, overflow) = v.addingReportingOverflow(1)
        if overflow { return [] }
        let start = max(next, c.firstLogVersion)
        let idx = Int(start - c.firstLogVersion)
        guard idx < c.log.count else { return [] }
        return Array(c.log[idx...])
    }

    /// `GET {id}/events?v=N[&wait=S]`.
    public func events(_ id: String, after v: Int64, wait: Double, endpoint: String?, who: Principal) async throws(HTTPError) -> [JSON] {
        guard let c = conferences[id] else { throw HTTPError(404, "CONFERENCE_NOT_FOUND", "conference '\(id)' does not exist") }
        try requireMember(c, who, allowEnded: true)
        if let endpoint { _ = try ownedEndpointOrEnded(c, endpoint, who) }
        let ready = eventsAfter(c, v)
        if !ready.isEmpty || wait <= 0 || c.ended { return ready }
        let token = UUID()
        let result: [JSON] = await withCheckedContinuation { cont in
            waiters[id, default: [:]][token] = Waiter(after: v, endpoint: endpoint, continuation: cont)
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                await self?.expireWaiter(id, token)
            }
        }
        return result
    }

    func expireWaiter(_ conferenceId: String, _ token: UUID) {
        if let w = waiters[conferenceId]?.removeValue(forKey: token) {
            w.continuation.resume(returning: [])
        }
    }

    func requireMember(_ c: ConferenceState, _ who: Principal, allowEnded: Bool) throws(HTTPError) {
        if c.ended && !allowEnded { throw HTTPError(404, "CONFERENCE_ENDED", "conference '\(c.id)' has ended") }
        if who.isService { return }
        // After the end, anyone who was a member may still read the log; the
        // endpoints are gone, so the creator or a past participant's subject is accepted.
        if c.endpoints.contains(where: { $0.userId == who.subject }) || c.creator == who.subject { return }
        if c.ended && pastMembers[c.id]?.contains(who.subject) == true { return }
        throw HTTPError(403, "FORBIDDEN", "you have no endpoint in conference '\(c.id)'")
    }

    var pastMembers: [String: Set<String>] = [:]

    func ownedEndpointOrEnded(_ c: ConferenceState, _ endpointId: String, _ who: Principal) throws(HTTPError) -> Int? {
        if c.ended { return nil }
        return try ownedEndpoint(c, endpointId, who)
    }

    /// Opens an event stream: the backlog after `v`, then live events.
    public func subscribe(_ id: String, after v: Int64, endpoint: String?, who: Principal) throws(HTTPError) -> (backlog: [JSON], ended: Bool, stream: AsyncStream<StreamItem>, token: UUID) {
        guard let c = conferences[id] else { throw HTTPError(404, "CONFERENCE_NOT_FOUND", "conference '\(id)' does not exist") }
        try requireMember(c, who, allowEnded: true)
        if let endpoint { _ = try ownedEndpointOrEnded(c, endpoint, who) }
        let (stream, continuation) = AsyncStream<StreamItem>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let token = UUID()
        if !c.ended {
            subscribers[id, default: [:]][token] = Subscriber(endpoint: endpoint, continuation: continuation)
            continuation.onTermination = { [weak self] _ in
                Task { await self?.unsubscribe(id, token) }
            }
        } else {
            continuation.finish()
        }
        return (eventsAfter(c, v), c.ended, stream, token)
    }

    /// Whether `subject` takes part in conference `conferenceId` (a joined
    /// endpoint, its creator, or a past member of an ended conference that is
    /// still retained). The record stores ask this to let participants read
    /// the items of the event whose id is the conference id; an id given in
    /// lower case also finds a conference created with an upper-case UUID.
    public func isMember(conferenceId: String, subject: String) -> Bool {
        guard let c = conferences[conferenceId] ?? conferences[conferenceId.uppercased()] else { return false }
        if c.endpoints.contains(where: { $0.userId == subject }) || c.creator == subject { return true }
        return c.ended && pastMembers[c.id]?.contains(subject) == true
    }

    public func unsubscribe(_ conferenceId: String, _ token: UUID) {
        subscribers[conferenceId]?[token] = nil
        if subscribers[conferenceId]?.isEmpty == true { subscribers[conferenceId] = nil }
    }

    // MARK: - Sweeping

    func sweep() async {
        let now = Self.monotonicSeconds()
        var ended: [String] = []
        var removed: [(String, FreedMedia)] = []
        for (id, c) in conferences {
            if c.ended {
                if now - Double(c.endedAt) > configuration.endedRetention {
                    conferences[id] = nil
                    pastMembers[id] = nil
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
        }
        Metrics.shared.increment("sfu_conferences_ended_total", labels: ["reason": reason == "IDLE" ? "idle" : "ended"])
    }
}

/// What an endpoint held when it went: its published streams and its views.
public struct FreedMedia: Sendable {
    public var streams: [String] = []
    public var views: [(streamId: String, viewerId: String)] = []
}
