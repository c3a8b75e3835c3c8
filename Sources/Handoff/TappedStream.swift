/// A stream the recorder taps: who publishes it and its tracks (m-line
/// order, the `track` index of every tap entry). Made by the router, read
/// by the recorder: the one description both sides share.
public struct TappedStream: Sendable {
    public var conferenceId: String
    public var streamId: String
    public var endpointId: String
    public var tracks: [RecordedTrack]

    public init(conferenceId: String, streamId: String, endpointId: String, tracks: [RecordedTrack]) {
        self.conferenceId = conferenceId
        self.streamId = streamId
        self.endpointId = endpointId
        self.tracks = tracks
    }
}

/// Whether a recorded track carries sound or pictures.
public enum RecordedTrackKind: String, Sendable { case audio, video }

/// One RTP track of a published stream, as negotiated: which codec and
/// clock (contract A between the recorder pipeline and its users).
public struct RecordedTrack: Sendable, Equatable {
    public var kind: RecordedTrackKind
    /// "opus", "VP8", "VP9" or "H264" (case-insensitive).
    public var codec: String
    public var clockRate: UInt32
    /// Audio channels (1 or 2); ignored for video.
    public var channels: Int

    public init(kind: RecordedTrackKind, codec: String, clockRate: UInt32, channels: Int = 2) {
        self.kind = kind
        self.codec = codec
        self.clockRate = clockRate
        self.channels = channels
    }
}

