import HTTP

// TEMPORARY (recapi branch): the recorder tap in RouterMedia is contract C,
// written on branch `rectap`. Until that branch is merged, RouterMedia
// answers a recording start with 503 instead of pretending to record.
// Delete this file when rectap's implementation lands.
extension RouterMedia {
    public func startRecording(conferenceId: String, directory: String, startedAtMs: Int64) async throws(HTTPError) {
        throw HTTPError(503, "MEDIA_UNAVAILABLE", "this build has no recorder tap yet; no recording can start")
    }
    public func rotateRecording(conferenceId: String, directory: String) async -> [RecordedFileInfo] { [] }
    public func stopRecording(conferenceId: String) async -> [RecordedFileInfo] { [] }
    public func recordingFiles(conferenceId: String) async -> [RecordedFileInfo] { [] }
}
