import Recorder

/// Contract A's `StreamRecording` (Ogg Opus for audio-only streams, WebM or
/// Matroska otherwise) as the recorder thread's `TapRecording`. The `sfu`
/// executable passes `StreamTapRecording.factory` to `RouterMedia`, whose
/// default writer still records Opus-only streams. A wrapper rather than a
/// conformance, so it cannot clash with one declared in the Recorder module.
public final class StreamTapRecording: TapRecording {
    let recording: StreamRecording

    public init(basePath: String, tracks: [RecordedTrack]) throws {
        recording = try StreamRecording(basePath: basePath, tracks: tracks)
    }

    /// For `RouterMedia(configuration:recordingFactory:events:)`.
    public static let factory: @Sendable () -> RecorderThread.RecordingFactory = {
        { base, tracks in try StreamTapRecording(basePath: base, tracks: tracks) }
    }

    public var path: String { recording.path }
    public func packet(track: Int, rtp: UnsafeRawBufferPointer, arrival: UInt64) -> [RecorderAction] {
        recording.packet(track: track, rtp: rtp, arrival: arrival)
    }
    public func senderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64) {
        recording.senderReport(track: track, ntp: ntp, rtpTimestamp: rtpTimestamp, arrival: arrival)
    }
    public func noteDropped(track: Int, count: Int) { recording.noteDropped(track: track, count: count) }
    public func tick(now: UInt64) -> [RecorderAction] { recording.tick(now: now) }
    public func finish() throws -> RecordedFileSummary { try recording.finish() }
}
