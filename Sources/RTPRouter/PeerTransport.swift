import DTLS
import ICE

/// One PeerConnection on a worker: the ICE-lite agent that learns the path,
/// the DTLS transport that derives the keys, and the two SRTP sessions.
/// Every `publishStream` and every `viewStream` has its own. Confined to
/// the worker thread.
public final class PeerTransport {
    public enum Role: Sendable, Equatable {
        case publisher(streamId: String)
        case viewer(streamId: String, viewerId: String)
    }

    /// Why a transport stopped working, reported to signaling.
    public enum Failure: Sendable, Equatable {
        case consentExpired
        case iceFailed
        case dtls(String)
    }

    public let id: Int
    public let conferenceId: String
    public let endpointId: String
    public let role: Role
    var ice: IceLiteAgent
    let dtls: DTLSTransport
    var srtpIn: SRTPSession?
    var srtpOut: SRTPSession?
    /// Where media is sent: the nominated path, or the validated address
    /// media last came from (latching, e.g. after an ICE restart).
    var path: UDPAddress?
    /// Addresses nominated through ICE (at most 4): media is accepted from them only.
    var validated: [UDPAddress] = []
    var dtlsStarted = false
    var failure: Failure?
    let localUfrag: String

    // Counters (read by stats).
    var packetsIn: UInt64 = 0
    var packetsOut: UInt64 = 0
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    var srtpErrors: UInt64 = 0

    init(id: Int, conferenceId: String, endpointId: String, role: Role, ice: IceLiteAgent, localUfrag: String, dtls: DTLSTransport) {
        self.id = id
        self.conferenceId = conferenceId
        self.endpointId = endpointId
        self.role = role
        self.ice = ice
        self.localUfrag = localUfrag
        self.dtls = dtls
    }

    var isConnected: Bool { srtpIn != nil && srtpOut != nil && path != nil && failure == nil }

    var viewerId: String? {
        if case .viewer(_, let v) = role { return v }
        return nil
    }

    var streamId: String {
        switch role {
        case .publisher(let s): return s
        case .viewer(let s, _): return s
        }
    }
}
