import Foundation
import HTTP

/// A token bucket: `rate` tokens a second, at most `burst` saved up. Used
/// for the per-principal `sendEvent` rate.
struct TokenBucket {
    let rate: Double
    let burst: Double
    var tokens: Double
    var last: Double

    init(rate: Double, burst: Double, now: Double) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        last = now
    }

    /// Takes one token; false (and nothing taken) if none is left.
    mutating func take(now: Double) -> Bool {
        tokens = min(burst, tokens + max(0, now - last) * rate)
        last = now
        if tokens < 1 { return false }
        tokens -= 1
        return true
    }

    /// Full again: forgetting the bucket changes nothing.
    func isFull(now: Double) -> Bool { tokens + max(0, now - last) * rate >= burst }
}

/// Who may create and end conferences, and the per-principal quotas.
extension ConferenceService {
    /// The quota key of a principal: its subject within its organization.
    static func principalKey(_ who: Principal) -> String { (who.organizationId ?? "") + "\u{0}" + who.subject }

    /// `create` rights: SERVICE, or a PARTICIPANT whose token grants `create`.
    func requireCreateRight(_ who: Principal) throws(HTTPError) {
        if who.isService || who.grants.contains(.create) { return }
        throw HTTPError(403, "FORBIDDEN", "creating conferences needs the SERVICE role or a token granting 'create'")
    }

    /// Whether conference id `id` may be used by `who` in `organization`.
    /// The id of a live conference is taken for everyone (ids are global);
    /// its records-store event must be unused or, for a SERVICE, its own
    /// organization's. A participant may never name a conference after an
    /// event that already exists: it would become a member of that event.
    /// Every refusal is the same 409, so nothing else is learnt about
    /// another organization's ids.
    func requireAvailable(_ id: String, organization: String?, who: Principal) throws(HTTPError) {
        let taken = HTTPError(409, "CONFERENCE_EXISTS", "conference id '\(id)' is not available")
        if conferences[id] != nil { throw taken }
        let event = NameUUID.recordsEvent(conferenceId: id)
        if byRecordsEvent[event] != nil { throw taken }
        switch owners.owner(of: event) {
        case .unclaimed: return
        case .organization(let o):
            if who.isService && (who.isOperator || o == organization) { return }
            throw taken
        }
    }

    /// The live-conference quotas (429): per creating participant, and per
    /// organization. A SERVICE is its organization's backend, so only the
    /// organization's quota binds it.
    func requireCreateQuota(organization: String?, who: Principal) throws(HTTPError) {
        if who.isService && organization == nil { return }
        var mine = 0, org = 0
        for c in conferences.values where !c.ended && c.organizationId == organization {
            org += 1
            if c.creator == who.subject { mine += 1 }
        }
        if !who.isService && mine >= configuration.maxConferencesPerParticipant {
            throw HTTPError(429, "QUOTA_EXCEEDED", "'\(who.subject)' already has \(mine) live conferences (--max-conferences-per-participant \(configuration.maxConferencesPerParticipant)); end one first")
        }
        if organization != nil && org >= configuration.maxConferencesPerOrganization {
            throw HTTPError(429, "QUOTA_EXCEEDED", "the organization already has \(org) live conferences (--max-conferences-per-organization \(configuration.maxConferencesPerOrganization)); end one first")
        }
    }

    /// `end` for everyone: SERVICE, the conference's creator, or a token granting `end`.
    func requireEndRight(_ c: ConferenceState, _ who: Principal) throws(HTTPError) {
        if who.isService || c.creator == who.subject || who.grants.contains(.end) { return }
        throw HTTPError(403, "FORBIDDEN", "only the conference's creator, a SERVICE or a token granting 'end' may end conference '\(c.id)' for everyone; use leave")
    }

    /// One `sendEvent` against `who`'s rate (429 with `Retry-After` beyond it).
    func takeEventToken(_ who: Principal) throws(HTTPError) {
        let rate = configuration.maxEventsPerSecond
        let now = Self.monotonicSeconds()
        let key = Self.principalKey(who)
        var b = eventBuckets[key] ?? TokenBucket(rate: rate, burst: max(1, rate * 2), now: now)
        let ok = b.take(now: now)
        eventBuckets[key] = b
        if !ok {
            var h = HTTPHeaders()
            h.add("Retry-After", "1")
            throw HTTPError(429, "RATE_LIMITED", "more than \(rate) events per second (--max-events-per-second); retry later", headers: h)
        }
    }
}
