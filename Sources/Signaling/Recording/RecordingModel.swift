import JSON

/// A recording of one conference (document 003 "Recording"), persisted as
/// `recording.json` in its directory. One recording is one or more
/// segments (cut every `--recording-segment`); each segment is a set of
/// assets: one file per published stream, then a combined audio mix and a
/// combined video; the recording as a whole gets one archive.
/// Times are Unix epoch milliseconds (document 003's `long`s).
struct Recording: Codable, Sendable {
    var id: String
    var channel: String
    var session: String
    var startTime: Int64
    var endTime: Int64?
    var readyTime: Int64?
    /// The subject of the token that started it (the assets' `userId`).
    var startedBy: String
    /// Users who took part while it was recording: they may read it after the conference is gone.
    var participants: [String]
    /// Last time the server knew it was still recording (a restart ends it here).
    var lastAliveTime: Int64
    var stopReason: String?
    var segments: [RecordingSegment]
    var assets: [RecordingAsset]

    /// Document 003's recording object.
    var json: JSON {
        [
            "id": .string(id), "channel": .string(channel), "session": .string(session),
            "startTime": .int(startTime), "endTime": endTime.map { .int($0) } ?? .null,
            "readyTime": readyTime.map { .int($0) } ?? .null,
            "segments": .int(Int64(segments.count)), "stopReason": stopReason.map { .string($0) } ?? .null,
        ]
    }

    func asset(_ id: String) -> RecordingAsset? { assets.first { $0.id == id } }
    func assetIndex(_ id: String) -> Int? { assets.firstIndex { $0.id == id } }

    /// True once nothing is recording or being processed any more.
    var isSettled: Bool { endTime != nil && assets.allSatisfy { $0.state == .ready || $0.state == .failed } }
}

/// One segment of a recording: the files the recorder wrote between two cuts.
struct RecordingSegment: Codable, Sendable {
    var index: Int
    var startTime: Int64
    var endTime: Int64?
    /// Post-processing of this segment has been done (or given up).
    var processed: Bool = false
}

/// Document 003's `recordingassetstate`: how far an asset has come.
enum AssetState: String, Codable, Sendable {
    /// Being written live by the recorder (an individual stream).
    case recording
    /// Waiting for or in post-processing.
    case processing
    case ready
    case failed
}

/// What an asset is, which decides its document 003 `kind` in both listings.
enum AssetRole: String, Codable, Sendable, CaseIterable {
    case individual
    case combinedAudio = "combined_audio"
    case combinedVideo = "combined_video"
    case archive
}

/// One file of a recording (document 003 "RecordingAsset").
struct RecordingAsset: Codable, Sendable {
    var id: String
    var recordingId: String
    var segment: Int
    var role: AssetRole
    /// Container: "ogg", "webm", "mkv", "tar".
    var format: String
    /// "audio", "video" or "other" (document 003 `recordingassetkind`).
    var kind: String
    var codecs: [String]
    /// Media the file holds: "audio", "video".
    var tracks: [String]
    /// The publishing user (individual streams only).
    var streamUserId: String?
    var endpointId: String?
    /// The stream id (individual streams only).
    var group: String?
    var state: AssetState
    /// 0…1 while processing.
    var progress: Double?
    var failureReason: String?
    var size: Int64?
    /// Path relative to the recording's directory.
    var relativePath: String
    var label: String
    /// Who started the recording.
    var userId: String?
    var startTime: Int64
    var endTime: Int64?
    var hasGaps: Bool
    var droppedPackets: Int64

    var isIndividual: Bool { role == .individual }

    /// The document's asset object (`url` is null: there is no upload
    /// provider; download URLs are minted by `/download` and `/credentials`).
    var json: JSON {
        [
            "id": .string(id), "recordingId": .string(recordingId), "format": .string(format), "kind": .string(kind),
            "isIndividual": .bool(isIndividual), "streamUserId": RecordingAsset.numericUserId(streamUserId),
            "streamUserIdString": streamUserId.map { .string($0) } ?? .null,
            "group": group.map { .string($0) } ?? .null, "state": .string(state.rawValue),
            "size": size.map { .int($0) } ?? .null, "url": .null, "relativePath": .string(relativePath),
            "label": .string(label), "userId": RecordingAsset.numericUserId(userId), "userIdString": userId.map { .string($0) } ?? .null,
            "startTime": .int(startTime), "endTime": endTime.map { .int($0) } ?? .null,
            "segment": .int(Int64(segment)), "role": .string(role.rawValue),
            "codecs": .array(codecs.map { .string($0) }),
            "progress": progress.map { .double($0) } ?? .null,
            "failureReason": failureReason.map { .string($0) } ?? .null,
            "hasGaps": .bool(hasGaps), "droppedPackets": .int(droppedPackets),
        ]
    }

    /// Document 003 types `streamUserId` and `userId` as `option[long]`: the
    /// number when the user id is the canonical decimal spelling of a 64-bit
    /// integer (`"42"`, `"-7"`; not `"007"`, `"+1"` or `"alice"`), else null.
    /// The id itself is always in `streamUserIdString` / `userIdString`.
    static func numericUserId(_ id: String?) -> JSON {
        guard let id, let n = Int64(id), String(n) == id else { return .null }
        return .int(n)
    }

    /// Kind in the token listing (`GET /channels/recording/assets/{jwt}`).
    var downloadKind: String {
        switch role {
        case .archive: return "archive"
        case .combinedVideo: return "combined_video"
        case .combinedAudio, .individual: return "other"
        }
    }

    var contentType: String {
        switch format {
        case "ogg": return "audio/ogg"
        case "webm": return kind == "audio" ? "audio/webm" : "video/webm"
        case "mkv": return "video/x-matroska"
        case "tar": return "application/x-tar"
        default: return "application/octet-stream"
        }
    }
}
