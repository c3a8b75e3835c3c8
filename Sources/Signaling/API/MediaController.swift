import HTTP
import JSON
import Recorder

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
