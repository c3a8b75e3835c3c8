import HTTP
import JSON

/// The seam between the Conference API and the media path. The API layer
/// validates and authorizes; the media controller checks the SDP offer and
/// negotiates the PeerConnection (ICE-lite, DTLS-SRTP, the router).
public protocol MediaController: Sendable {
    /// Rejects a malformed or unacceptable SDP offer with a 400 naming the reason.
    func validateOffer(_ sdp: String) throws(HTTPError)
    /// Negotiates a publisher PeerConnection; returns the SDP answer.
    func publish(conferenceId: String, endpointId: String, streamId: String, offer: String, videoBitrate: Int64?) async throws(HTTPError) -> String
    /// Negotiates a viewer PeerConnection of `streamId`; returns the SDP answer.
    func view(conferenceId: String, endpointId: String, streamId: String, viewerId: String, offer: String) async throws(HTTPError) -> String
    func addCandidates(conferenceId: String, streamId: String, viewerId: String?, candidates: [JSON]) async
    func unpublish(conferenceId: String, streamId: String) async
    func stopView(conferenceId: String, streamId: String, viewerId: String) async
    func setBitrate(conferenceId: String, streamId: String, bitsPerSecond: Int64) async
    func endConference(_ conferenceId: String) async

    // Recording (contract C; docs/ARCHITECTURE.md "Recorder tap")
    /// Taps every present and future publisher of the conference; each
    /// publish/unpublish/republish starts/ends its own file in `directory`.
    func startRecording(conferenceId: String, directory: String, startedAtMs: Int64) async throws(HTTPError)
    /// Segment cut: finishes the current files, continues into `directory`, returns the finished ones.
    func rotateRecording(conferenceId: String, directory: String) async -> [RecordedFileInfo]
    /// Finishes and returns every file of the current segment.
    func stopRecording(conferenceId: String) async -> [RecordedFileInfo]
    /// Live view of the current segment, in-progress files included.
    func recordingFiles(conferenceId: String) async -> [RecordedFileInfo]
}

/// One file of a recording (one published stream for one stretch of time):
/// what the recordings API turns into an asset.
public struct RecordedFileInfo: Sendable, Equatable {
    public var streamId: String
    public var endpointId: String
    public var path: String
    /// "ogg" | "webm" | "mkv"
    public var format: String
    /// "audio", "video" per track.
    public var kinds: [String]
    public var codecs: [String]
    /// Milliseconds after the recording's start (`startedAtMs`).
    public var startOffsetMs: Int64
    /// nil while recording.
    public var endOffsetMs: Int64?
    public var size: Int64
    /// Packets are missing (the recorder fell behind, or loss it could not repair).
    public var hasGaps: Bool
    /// Packets the recorder tap dropped for this file (its queue was full).
    public var droppedPackets: Int64
    /// Why the file could not be written, if it could not (disk error, unsupported codecs).
    public var error: String?

    public init(streamId: String, endpointId: String, path: String, format: String, kinds: [String], codecs: [String],
                startOffsetMs: Int64, endOffsetMs: Int64?, size: Int64, hasGaps: Bool, droppedPackets: Int64, error: String? = nil) {
        self.streamId = streamId
        self.endpointId = endpointId
        self.path = path
        self.format = format
        self.kinds = kinds
        self.codecs = codecs
        self.startOffsetMs = startOffsetMs
        self.endOffsetMs = endOffsetMs
        self.size = size
        self.hasGaps = hasGaps
        self.droppedPackets = droppedPackets
        self.error = error
    }
}

/// The media controller used until the media path is enabled: every offer is
/// checked by `validate`, and negotiation answers 503 — never a made-up SDP.
public struct UnavailableMedia: MediaController {
    let validate: @Sendable (String) throws(HTTPError) -> Void

    public init(validate: @escaping @Sendable (String) throws(HTTPError) -> Void) {
        self.validate = validate
    }

    public func validateOffer(_ sdp: String) throws(HTTPError) { try validate(sdp) }

    static let unavailable = HTTPError(503, "MEDIA_UNAVAILABLE", "the media path is not enabled on this server; no SDP answer can be produced")

    public func publish(conferenceId: String, endpointId: String, streamId: String, offer: String, videoBitrate: Int64?) async throws(HTTPError) -> String {
        throw UnavailableMedia.unavailable
    }
    public func view(conferenceId: String, endpointId: String, streamId: String, viewerId: String, offer: String) async throws(HTTPError) -> String {
        throw UnavailableMedia.unavailable
    }
    public func addCandidates(conferenceId: String, streamId: String, viewerId: String?, candidates: [JSON]) async {}
    public func unpublish(conferenceId: String, streamId: String) async {}
    public func stopView(conferenceId: String, streamId: String, viewerId: String) async {}
    public func setBitrate(conferenceId: String, streamId: String, bitsPerSecond: Int64) async {}
    public func endConference(_ conferenceId: String) async {}
    public func startRecording(conferenceId: String, directory: String, startedAtMs: Int64) async throws(HTTPError) {
        throw UnavailableMedia.unavailable
    }
    public func rotateRecording(conferenceId: String, directory: String) async -> [RecordedFileInfo] { [] }
    public func stopRecording(conferenceId: String) async -> [RecordedFileInfo] { [] }
    public func recordingFiles(conferenceId: String) async -> [RecordedFileInfo] { [] }
}
