import HTTP

/// What the WHIP/WHEP faces ask the conference model beyond the Conference
/// API's operations: whether a conference or stream exists before anything
/// is joined, which stream a conference-level WHEP URL plays, and the live
/// endpoints and PeerConnections for session bookkeeping.
extension ConferenceService {
    func conferenceExists(_ id: String) -> Bool {
        guard let c = conferences[id] else { return false }
        return !c.ended
    }

    func streamExists(_ id: String, streamId: String) -> Bool {
        guard let c = conferences[id], !c.ended else { return false }
        return c.locateStream(streamId) != nil
    }

    /// The stream a conference-level WHEP URL plays: the first one published
    /// that carries video, else the first one.
    func defaultStream(_ id: String) -> String? {
        guard let c = conferences[id], !c.ended else { return nil }
        let all = c.endpoints.flatMap(\.streams)
        return (all.first { $0.type != .mic } ?? all.first)?.id
    }

    /// Every joined endpoint as `WHIPSessions.key(conference, endpoint)`.
    func liveEndpointKeys() -> Set<String> {
        var out = Set<String>()
        for c in conferences.values where !c.ended {
            for e in c.endpoints { out.insert(WHIPSessions.key(c.id, e.id)) }
        }
        return out
    }

    /// PeerConnections held: one per published stream and one per viewer.
    func peerConnectionCount() -> Int {
        var n = 0
        for c in conferences.values where !c.ended {
            for e in c.endpoints { for s in e.streams { n += 1 + s.viewers.count } }
        }
        return n
    }
}
