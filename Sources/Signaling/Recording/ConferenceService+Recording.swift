import Foundation

/// What the recording service needs to know about a conference.
public struct ConferenceRecordingView: Sendable, Equatable {
    public var sessionId: String
    public var ended: Bool
    /// Seconds the conference has been without participants (nil while occupied).
    public var emptyFor: Double?
    /// Endpoint id → user id of the joined endpoints.
    public var endpointUsers: [String: String]
}

extension ConferenceService {
    /// The conference as the recorder sees it, or nil if it is unknown.
    public func recordingView(_ id: String) -> ConferenceRecordingView? {
        guard let c = conferences[id] else { return nil }
        var users: [String: String] = [:]
        for e in c.endpoints { users[e.id] = e.userId }
        return ConferenceRecordingView(sessionId: c.sessionId, ended: c.ended,
                                       emptyFor: c.emptySince.map { Self.monotonicSeconds() - $0 }, endpointUsers: users)
    }
}
