/// A conference's stored events, bounded in count and in bytes.
///
/// Events are kept serialized (their JSON text), so the memory a log holds
/// is its byte count plus a small per-entry overhead, and a read is a
/// concatenation. Entry `i` (counting from the oldest kept) has version
/// `firstVersion + i`; the log is gap-free except for `BEST_EFFORT` events
/// whose retention has passed (their slot is emptied, their version is
/// skipped by readers). The oldest events go first when either bound is
/// exceeded; a reader asking for something older learns it (`expired`).
struct EventLog {
    struct Entry {
        var text: String?
        var type: String
        var bytes: Int
    }

    /// What a read returns.
    struct Page {
        var events: [String] = []
        /// The version and type of each event on the page.
        var versions: [Int64] = []
        var types: [String] = []
        /// More events follow the page (it hit `limit` or `maxBytes`).
        var more = false
        /// The version of the last event on the page (or the one asked after).
        var lastVersion: Int64
        /// Events after the requested version were dropped by the bounds.
        var expired = false
    }

    let maxCount: Int
    let maxBytes: Int
    private var entries: [Entry] = []
    private var head = 0
    /// Version of the oldest kept entry (= the next version while empty).
    private(set) var firstVersion: Int64 = 1
    private(set) var bytes = 0
    /// `BEST_EFFORT` events to empty once their time has come, oldest first.
    private var expiring: [(version: Int64, at: Double)] = []
    private var expiringHead = 0

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = max(1, maxCount)
        self.maxBytes = max(1, maxBytes)
    }

    var count: Int { entries.count - head }
    /// The newest version kept (firstVersion - 1 when empty).
    var lastVersion: Int64 { firstVersion + Int64(count) - 1 }

    /// Appends the event of `version` (which must be `lastVersion + 1`);
    /// `expiresAt` (monotonic seconds) empties it then.
    mutating func append(_ text: String, type: String, version: Int64, expiresAt: Double? = nil) {
        if count == 0 { firstVersion = version }
        assert(version == lastVersion + 1, "event log versions must be consecutive")
        let n = text.utf8.count
        entries.append(Entry(text: text, type: type, bytes: n))
        bytes += n
        if let expiresAt { expiring.append((version, expiresAt)) }
        while count > 1 && (count > maxCount || bytes > maxBytes) { dropOldest() }
    }

    private mutating func dropOldest() {
        bytes -= entries[head].bytes
        entries[head] = Entry(text: nil, type: "", bytes: 0)
        head += 1
        firstVersion += 1
        if head >= 1024 && head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    /// Empties the `BEST_EFFORT` events whose retention ended by `now`.
    mutating func expire(now: Double) {
        while expiringHead < expiring.count, expiring[expiringHead].at <= now {
            let v = expiring[expiringHead].version
            expiringHead += 1
            if v >= firstVersion && v <= lastVersion {
                let i = head + Int(v - firstVersion)
                bytes -= entries[i].bytes
                entries[i] = Entry(text: nil, type: "", bytes: 0)
            }
        }
        if expiringHead >= 256 && expiringHead * 2 >= expiring.count {
            expiring.removeFirst(expiringHead)
            expiringHead = 0
        }
    }

    /// Whether an empty-retention sweep has work to do.
    var hasExpiring: Bool { expiringHead < expiring.count }

    /// The events with a version greater than `v`, at most `limit` of them
    /// and about `maxBytes` (always at least one when any is available).
    /// `v` may be any value: nothing here can overflow.
    func after(_ v: Int64, limit: Int = Int.max, maxBytes pageBytes: Int = Int.max) -> Page {
        var page = Page(lastVersion: max(v, 0))
        // The first wanted version is v + 1, computed without overflowing.
        if v >= lastVersion { return page }
        page.expired = v < firstVersion - 1
        let start = v < firstVersion ? firstVersion : v + 1
        var i = head + Int(start - firstVersion)
        var taken = 0
        while i < entries.count {
            if let t = entries[i].text {
                if !page.events.isEmpty && (page.events.count >= limit || taken + t.utf8.count > pageBytes) {
                    page.more = true
                    break
                }
                page.events.append(t)
                page.versions.append(firstVersion + Int64(i - head))
                page.types.append(entries[i].type)
                taken += t.utf8.count
            }
            page.lastVersion = firstVersion + Int64(i - head)
            i += 1
        }
        return page
    }
}
