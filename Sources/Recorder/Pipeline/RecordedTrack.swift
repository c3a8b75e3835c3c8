// The vocabulary of contract A between the recorder pipeline and its users
// (the router's recorder I/O thread and the Recordings API).

// `RecordedTrack` and `RecordedTrackKind` live in Handoff (`TappedStream.swift`): the tap and
// the recorder share the one track description.

/// What the recorder asks of the router (through `MediaWorker.submit`).
public enum RecorderAction: Sendable, Equatable {
    /// Send a PLI/FIR to the publisher of this track (its index in the recording's track list).
    case requestKeyframe(track: Int)
}

/// What a finished recording file holds.
public struct RecordedFileSummary: Sendable, Equatable {
    public var path: String
    /// "ogg", "webm" or "mkv".
    public var format: String
    public var durationMs: Int64
    public var size: Int64
    /// Something was lost, concealed or dropped (network loss, tap overflow, malformed payloads).
    public var hasGaps: Bool

    public init(path: String, format: String, durationMs: Int64, size: Int64, hasGaps: Bool) {
        self.path = path
        self.format = format
        self.durationMs = durationMs
        self.size = size
        self.hasGaps = hasGaps
    }
}

/// Why a recording cannot be created.
public enum StreamRecordingError: Error, Equatable {
    case noTracks
    /// A codec the recorder cannot store ("opus", "VP8", "VP9", "H264" are supported).
    case unsupportedCodec(String)
    /// The file could not be created (errno).
    case io(Int32)
}
