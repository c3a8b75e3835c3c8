import HTTP
import RecordStore

/// Store access with auth on (the record stores' `StoreAuthorizer`).
///
/// A valid API bearer token is needed. Every event belongs to an
/// organization (`EventOwners`; a live conference owns the event it maps to
/// by `NameUUID.recordsEvent`, as the recorder maps it): another
/// organization's event answers 404 `EVENT_NOT_FOUND`, as if it did not
/// exist. A SERVICE reads and writes its organization's events; its first
/// write to an unused event claims it. A SERVICE without an organization
/// (the operator) may do everything, including `/sse` without a filter; an
/// organization's SERVICE must follow one event (`/sse?event=`). A
/// PARTICIPANT may only read an event whose conference it takes part in.
public struct ConferenceStoreAuthorizer: StoreAuthorizer {
    let auth: Authenticator
    let conferences: ConferenceService?
    let owners: EventOwners

    public init(auth: Authenticator, conferences: ConferenceService?, owners: EventOwners) {
        self.auth = auth
        self.conferences = conferences
        self.owners = owners
    }

    public func authorize(_ request: HTTPRequest, event: String?, write: Bool) async throws(HTTPError) {
        let who = try auth.authenticate(request, allowQueryToken: request.method == "GET" || request.method == "HEAD")
        if who.isOperator { return }
        if write && !who.isService { throw HTTPError(403, "FORBIDDEN", "changing a store needs a SERVICE token") }
        guard let event else {
            throw HTTPError(403, "FORBIDDEN", "this token may only follow one event: add ?event=<event id>")
        }
        let (owner, member) = await conferences?.storeEvent(event, subject: who.subject) ?? (owners.owner(of: event), false)
        let notFound = HTTPError(404, "EVENT_NOT_FOUND", "no event \(event)")
        switch owner {
        case .organization(let org):
            guard who.canSee(organization: org) else { throw notFound }
            if who.isService { if write { owners.claim(event, organization: org) }; return }
            if member { return }
        case .unclaimed:
            if who.isService {
                if write, case .organization(let org) = owners.claim(event, organization: who.organizationId),
                   !who.canSee(organization: org) { throw notFound }
                return
            }
        }
        throw HTTPError(403, "FORBIDDEN", "you are not a participant of the conference of event '\(event)'")
    }
}
