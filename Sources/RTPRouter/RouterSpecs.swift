import DTLS
import ICE
import SDP

/// What the media path reports to signaling (off the worker thread).
public enum MediaEvent: Sendable {
    /// `remote`: the peer's address the transport latched (a host, server-reflexive, peer-reflexive or TURN relay address).
    case transportConnected(conferenceId: String, endpointId: String, streamId: String, viewerId: String?, remote: String)
    case transportFailed(conferenceId: String, endpointId: String, streamId: String, viewerId: String?, reason: String)
}

/// How a publisher's PeerConnection is set up on a worker.
public struct PublisherSpec: Sendable {
    public var conferenceId: String
    public var endpointId: String
    public var streamId: String
    public var localICE: IceCredentials
    public var remoteUfrag: String?
    public var remoteFingerprints: [DTLSFingerprint]
    /// Bandwidth cap for the publisher's video (REMB), bit/s.
    public var maxBitrate: UInt64 = PublisherSpec.defaultMaxBitrate
    public static let defaultMaxBitrate: UInt64 = 2_500_000
    /// Accepted m-lines in order: kind and the codecs negotiated.
    public var tracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])]

    public init(conferenceId: String, endpointId: String, streamId: String, localICE: IceCredentials, remoteUfrag: String?,
                remoteFingerprints: [DTLSFingerprint], tracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])]) {
        self.conferenceId = conferenceId
        self.endpointId = endpointId
        self.streamId = streamId
        self.localICE = localICE
        self.remoteUfrag = remoteUfrag
        self.remoteFingerprints = remoteFingerprints
        self.tracks = tracks
    }
}

/// One consumer of a viewer: which producer track, our SSRC, and the maps.
public struct ConsumerSpec: Sendable {
    public var trackIndex: Int
    public var ssrc: UInt32
    /// Our RTX SSRC and, per publisher payload type, the viewer's RTX payload type.
    public var rtxSSRC: UInt32? = nil
    public var rtxPayloadTypes: [(UInt8, UInt8)] = []
    /// Publisher payload type → viewer payload type.
    public var payloadTypes: [(UInt8, UInt8)]
    /// Publisher extension id → viewer extension id (extensions not listed are removed).
    public var extensions: [(UInt8, UInt8)]

    public init(trackIndex: Int, ssrc: UInt32, payloadTypes: [(UInt8, UInt8)], extensions: [(UInt8, UInt8)]) {
        self.trackIndex = trackIndex
        self.ssrc = ssrc
        self.payloadTypes = payloadTypes
        self.extensions = extensions
    }
}

/// How a viewer's PeerConnection is set up on a worker: its transport and one consumer per producer track it receives.
public struct ViewerSpec: Sendable {
    public var conferenceId: String
    public var endpointId: String
    public var streamId: String
    public var viewerId: String
    public var localICE: IceCredentials
    public var remoteUfrag: String?
    public var remoteFingerprints: [DTLSFingerprint]
    public var consumers: [ConsumerSpec]

    public init(conferenceId: String, endpointId: String, streamId: String, viewerId: String, localICE: IceCredentials,
                remoteUfrag: String?, remoteFingerprints: [DTLSFingerprint], consumers: [ConsumerSpec]) {
        self.conferenceId = conferenceId
        self.endpointId = endpointId
        self.streamId = streamId
        self.viewerId = viewerId
        self.localICE = localICE
        self.remoteUfrag = remoteUfrag
        self.remoteFingerprints = remoteFingerprints
        self.consumers = consumers
    }
}

/// What a view answer needs to know of a published stream.
public struct PublishedTracks: Sendable {
    public var tracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])]
}

