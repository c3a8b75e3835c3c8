import Foundation
import HTTP

/// The state of the WHIP/WHEP faces held by the API handler: their
/// options, the live sessions and the session gauge of `/metrics`.
public struct WHIPFaces: Sendable {
    let options: WHIPOptions
    let sessions = WHIPSessions()
    let gauge = SessionGauge()

    public init(options: WHIPOptions = WHIPOptions()) {
        self.options = options
    }
}

extension Principal {
    /// The server itself, ending a session on its own initiative.
    static let system = Principal(subject: "sfu", roles: [.service], organizationId: nil)
}

extension APIHandler {
    /// Keeps the session table in step with the conferences (an endpoint
    /// removed through the Conference API, after SICK or with its conference
    /// takes its WHIP/WHEP session with it) and publishes
    /// `sfu_media_sessions{face}` once a second.
    public func startSessionBookkeeping() {
        let faces = whip, svc = conferences
        Metrics.shared.describe("sfu_media_sessions", type: "gauge",
                                help: "PeerConnections held, by the face that negotiated them (conference-api, whip, whep)")
        Metrics.shared.gauge("sfu_media_sessions") {
            let c = faces.gauge.snapshot
            return ["conference-api", "whip", "whep"].map { (["face": $0], Double(c[$0] ?? 0)) }
        }
        Task.detached {
            while !Task.isCancelled {
                // A WHEP player whose stream was unpublished has nothing left to
                // play: its endpoint leaves, as the WHIP DELETE of the publisher implies.
                for s in await faces.sessions.playbacks where !(await svc.streamExists(s.conferenceId, streamId: s.streamId)) {
                    await faces.sessions.remove(s.id)
                    try? await svc.leave(s.conferenceId, endpoint: s.endpointId, reason: "STREAM_ENDED", who: .system)
                    Log.info("whep: session \(s.id) ended: stream \(s.streamId) is no longer published")
                }
                let cutoff = DispatchTime.now().uptimeNanoseconds
                let live = await svc.liveEndpointKeys()
                let total = await svc.peerConnectionCount()
                let byFace = await faces.sessions.reconcile(liveEndpoints: live, cutoff: cutoff)
                let whip = byFace[.whip] ?? 0, whep = byFace[.whep] ?? 0
                faces.gauge.set(["conference-api": max(0, total - whip - whep), "whip": whip, "whep": whep])
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
    }
}
