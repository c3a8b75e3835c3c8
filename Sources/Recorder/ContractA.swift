// PROVISIONAL (branch rectap): the shapes of contract A (docs: rec-contracts),
// declared here only so the recorder thread builds before the `webm` branch's
// StreamRecording is merged. Deleted when main brings the real ones.

/// Whether a recorded track is sound or picture.
public enum RecordedTrackKind: String, Sendable { case audio, video }

/// One track of a recorded stream, as the file writer needs it.
public struct RecordedTrack: Sendable {
    public var kind: RecordedTrackKind
    /// "opus", "VP8", "VP9", "H264".
    public var codec: String
    public var clockRate: UInt32
    public var channels: Int
    public init(kind: RecordedTrackKind, codec: String, clockRate: UInt32, channels: Int) {
        self.kind = kind
        self.codec = codec
        self.clockRate = clockRate
        self.channels = channels
    }
}

/// What a recording asks of the media path.
public enum RecorderAction: Sendable, Equatable { case requestKeyframe(track: Int) }

/// A finished file.
public struct RecordedFileSummary: Sendable {
    public var path: String
    /// "ogg" | "webm"
    public var format: String
    public var durationMs: Int64
    public var size: Int64
    public var hasGaps: Bool
    public init(path: String, format: String, durationMs: Int64, size: Int64, hasGaps: Bool) {
        self.path = path
        self.format = format
        self.durationMs = durationMs
        self.size = size
        self.hasGaps = hasGaps
    }
}
