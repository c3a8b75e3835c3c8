import Foundation
import JSON

/// The store's change feed behind `GET /sse`: every created, replaced and
/// deleted item becomes an event with an increasing id. The last
/// `capacity` events are kept in memory (only for the process lifetime) so
/// a client reconnecting with `Last-Event-ID` gets what it missed.
///
/// Ids are integers that keep increasing across restarts: the first id of a
/// process is its start time in Unix milliseconds × 1000. An id older than
/// what is kept (including one from an earlier process) is answered with a
/// `reset` event before the kept backlog, so the client knows to re-list.
public final class EventHub: @unchecked Sendable {
    /// One change.
    public struct Event: Sendable, Equatable {
        public let id: Int64
        /// `created`, `replaced` or `deleted`.
        public let type: String
        /// The event (UUID) the item belongs to, for `?event=` filtering.
        public let event: String
        /// The JSON text of the `data:` field.
        public let data: String
    }

    /// What a subscriber receives.
    public enum Item: Sendable, Equatable {
        case event(Event)
        case heartbeat
    }

    /// A live subscription: the backlog to send first, then the stream.
    public struct Subscription: Sendable {
        public let backlog: [Event]
        /// Set when events after `Last-Event-ID` were no longer kept: the id
        /// of the oldest event still kept (nil if none is kept).
        public let gap: Int64??
        public let stream: AsyncStream<Item>
        let token: UUID
    }

    public let kind: StoreKind
    public let capacity: Int
    /// Events a slow subscriber may have queued before it is disconnected
    /// (it then reconnects and resumes with `Last-Event-ID`).
    public let subscriberBuffer: Int
    private let lock = NSLock()
    private var ring: [Event] = []
    private var ringStart = 0
    private var nextID: Int64
    private var subscribers: [UUID: (filter: String?, continuation: AsyncStream<Item>.Continuation)] = [:]
    private var closed = false

    public init(kind: StoreKind, capacity: Int = 1000, subscriberBuffer: Int = 4096, firstID: Int64? = nil) {
        self.kind = kind
        self.capacity = max(1, capacity)
        self.subscriberBuffer = subscriberBuffer
        self.nextID = firstID ?? (Int64(Date().timeIntervalSince1970 * 1000) * 1000)
    }

    /// Kept events, oldest first.
    var kept: [Event] { Array(ring[ringStart...] + ring[..<ringStart]) }

    /// Records a change and delivers it; returns its id.
    @discardableResult
    public func publish(type: String, item: StoredItem) -> Int64 {
        let data = JSON.object([
            "kind": .string(kind.rawValue),
            "type": .string(type),
            "event": .string(item.key.event),
            "start": .string(item.key.start),
            "size": .int(item.size),
            "etag": .string(item.etag.description),
            "contentType": .string(item.contentType),
            "url": .string(kind.prefix + "/" + item.key.path),
            "time": .string(StartTime.formatWithMillis(Int64(Date().timeIntervalSince1970 * 1000))),
        ]).serialized()
        lock.lock()
        defer { lock.unlock() }
        let e = Event(id: nextID, type: type, event: item.key.event, data: data)
        nextID += 1
        if ring.count < capacity {
            ring.append(e)
        } else {
            ring[ringStart] = e
            ringStart = (ringStart + 1) % capacity
        }
        var dropped: [UUID] = []
        for (token, s) in subscribers where s.filter == nil || s.filter == e.event {
            if case .dropped = s.continuation.yield(.event(e)) { dropped.append(token) }
        }
        for token in dropped {
            // Too far behind: end its stream; the client resumes with Last-Event-ID.
            subscribers.removeValue(forKey: token)?.continuation.finish()
        }
        return e.id
    }

    /// Subscribes to events for `filter` (an event UUID, or nil for all),
    /// replaying the kept events after `lastEventID`.
    public func subscribe(after lastEventID: Int64?, filter: String?) -> Subscription {
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingOldest(subscriberBuffer))
        let token = UUID()
        lock.lock()
        defer { lock.unlock() }
        var backlog: [Event] = []
        var gap: Int64?? = nil
        if let last = lastEventID {
            let all = kept
            let oldestKnown = all.first?.id ?? nextID
            if last < oldestKnown - 1 { gap = .some(all.first?.id) }
            backlog = all.filter { $0.id > last && (filter == nil || $0.event == filter) }
        }
        if closed {
            continuation.finish()
        } else {
            subscribers[token] = (filter, continuation)
        }
        return Subscription(backlog: backlog, gap: gap, stream: stream, token: token)
    }

    public func unsubscribe(_ s: Subscription) {
        lock.lock()
        let sub = subscribers.removeValue(forKey: s.token)
        lock.unlock()
        sub?.continuation.finish()
    }

    /// Sends a heartbeat into one subscription's stream.
    func heartbeat(_ s: Subscription) {
        lock.lock()
        let sub = subscribers[s.token]
        lock.unlock()
        sub?.continuation.yield(.heartbeat)
    }

    /// Ends every stream (at shutdown).
    public func close() {
        lock.lock()
        closed = true
        let subs = subscribers
        subscribers.removeAll()
        lock.unlock()
        for s in subs.values { s.continuation.finish() }
    }

    /// The id the next event will get (for tests and diagnostics).
    public var upcomingID: Int64 { lock.lock(); defer { lock.unlock() }; return nextID }
    public var subscriberCount: Int { lock.lock(); defer { lock.unlock() }; return subscribers.count }
}
