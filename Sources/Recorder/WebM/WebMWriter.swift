// Live WebM/Matroska writing (RFC 9559; WebM is its VP8/VP9/Opus subset).
//
// File layout:
//   EBML header (DocType "webm", or "matroska" when a track is H.264)
//   Segment, size "unknown" (8-byte VINT) until finish() patches it
//     SeekHead + Void   a fixed reserve, rewritten at finish() to point at Cues
//     Info              TimestampScale 1 ms, apps, an 11-byte Void that
//                       finish() turns into Duration
//     Tracks
//     Cluster*          each written whole (known size) when it closes
//     Cues              written by finish()
//
// A cluster opens at every video keyframe, after `maxClusterMs`, and before a
// block's 16-bit relative timestamp would overflow. A closed cluster goes to
// the sink at once, so a crash loses at most the open cluster (≤ ~1 s): the
// file up to there is a valid live (unknown-size) Matroska file.

/// Writes WebM/Matroska live from timestamped frames. Not thread-safe: the
/// recorder drives it from its one I/O thread.
public final class WebMWriter {
    public let sink: WebMSink
    public let tracks: [WebMTrack]
    public let docType: String
    /// A cluster closes once it spans this many milliseconds.
    public let maxClusterMs: Int64
    /// Largest accepted frame.
    public static let maxBlockSize = 16 << 20

    /// Bytes handed to the sink so far.
    public private(set) var bytesWritten: Int64 = 0
    /// End of the latest block (timestamp + duration), in ms.
    public private(set) var durationMs: Int64 = 0
    public private(set) var isFinished = false
    public private(set) var clustersWritten = 0

    private static let seekHeadReserve = 100
    private let segmentSizeOffset: Int64
    private let segmentDataStart: Int64
    private var infoPosition: Int64 = 0
    private var tracksPosition: Int64 = 0
    private var durationOffset: Int64 = 0

    private var cluster = EBMLBuffer(capacity: 256 << 10)
    private var clusterTimestamp: Int64 = -1
    private var clusterOpen = false
    private var cues: [(time: Int64, track: Int, position: Int64)] = []
    private let hasVideo: Bool

    /// Writes the EBML header, Segment start, SeekHead reserve, Info and Tracks.
    public init(sink: WebMSink, tracks: [WebMTrack], muxingApp: String = "sfu", maxClusterMs: Int64 = 1000) throws {
        precondition(!tracks.isEmpty, "a WebM file needs at least one track")
        precondition(tracks.enumerated().allSatisfy { $0.element.number == $0.offset + 1 }, "track numbers are 1…n in order")
        self.sink = sink
        self.tracks = tracks
        self.maxClusterMs = max(1, min(maxClusterMs, 30_000))
        hasVideo = tracks.contains { $0.isVideo }
        let doc = tracks.contains { $0.codecID == WebMTrack.Codec.h264.rawValue } ? "matroska" : "webm"
        docType = doc

        var b = EBMLBuffer(capacity: 1024)
        b.master(MatroskaID.ebml) { h in
            h.uint(MatroskaID.ebmlVersion, 1)
            h.uint(MatroskaID.ebmlReadVersion, 1)
            h.uint(MatroskaID.ebmlMaxIDLength, 4)
            h.uint(MatroskaID.ebmlMaxSizeLength, 8)
            h.string(MatroskaID.docType, doc)
            h.uint(MatroskaID.docTypeVersion, 4)
            h.uint(MatroskaID.docTypeReadVersion, 2)
        }
        b.id(MatroskaID.segment)
        segmentSizeOffset = Int64(b.bytes.count)
        b.unknownSize()
        segmentDataStart = Int64(b.bytes.count)

        let seekHeadAt = b.bytes.count
        b.bytes.append(contentsOf: repeatElement(0, count: Self.seekHeadReserve))  // filled below
        infoPosition = Int64(b.bytes.count) - segmentDataStart
        b.id(MatroskaID.info)
        var info = EBMLBuffer()
        info.uint(MatroskaID.timestampScale, 1_000_000)
        info.string(MatroskaID.muxingApp, muxingApp)
        info.string(MatroskaID.writingApp, muxingApp)
        let durationInInfo = info.bytes.count
        info.void(total: 11)  // becomes Duration (2-byte ID, 1-byte size, 8-byte float)
        b.size(UInt64(info.bytes.count))
        durationOffset = Int64(b.bytes.count + durationInInfo)
        b.bytes.append(contentsOf: info.bytes)
        tracksPosition = Int64(b.bytes.count) - segmentDataStart
        b.master(MatroskaID.tracks) { t in for track in tracks { track.write(to: &t) } }

        let seekHead = seekHeadRegion(cuesPosition: nil)
        b.bytes.replaceSubrange(seekHeadAt..<seekHeadAt + Self.seekHeadReserve, with: seekHead)
        try emit(b.bytes)
    }

    /// SeekHead pointing at Info, Tracks (and Cues), padded with Void to the reserve.
    private func seekHeadRegion(cuesPosition: Int64?) -> [UInt8] {
        var entries: [(UInt32, Int64)] = [(MatroskaID.info, infoPosition), (MatroskaID.tracks, tracksPosition)]
        if let cuesPosition { entries.append((MatroskaID.cues, cuesPosition)) }
        var b = EBMLBuffer()
        b.master(MatroskaID.seekHead) { s in
            for (id, position) in entries {
                s.master(MatroskaID.seek) { e in
                    var idBytes = EBMLBuffer()
                    idBytes.id(id)
                    e.binary(MatroskaID.seekID, idBytes.bytes)
                    e.uint(MatroskaID.seekPosition, UInt64(position))
                }
            }
        }
        b.void(total: Self.seekHeadReserve - b.bytes.count)
        return b.bytes
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink.write($0) }
        bytesWritten += Int64(bytes.count)
    }

    /// Appends one frame as a SimpleBlock.
    /// - Parameters:
    ///   - track: the 1-based track number.
    ///   - timestampMs: presentation time on the file timeline (≥ 0).
    ///   - keyframe: video keyframe (audio frames are always marked keyframes).
    ///   - durationMs: the frame's duration, used for the file's Duration.
    public func write(track: Int, timestampMs: Int64, keyframe: Bool, data: UnsafeRawBufferPointer,
                      durationMs frameDuration: Int64 = 0) throws {
        guard !isFinished else { throw WebMWriteError.finished }
        guard track >= 1 && track <= tracks.count else { throw WebMWriteError.unknownTrack(track) }
        guard timestampMs >= 0 else { throw WebMWriteError.negativeTimestamp(timestampMs) }
        guard data.count <= Self.maxBlockSize else { throw WebMWriteError.blockTooLarge(data.count) }
        let isVideo = tracks[track - 1].isVideo
        let isKey = keyframe || !isVideo
        if clusterOpen {
            let relative = timestampMs - clusterTimestamp
            if (isVideo && keyframe) || relative >= maxClusterMs || relative > Int64(Int16.max) || relative < Int64(Int16.min) {
                try closeCluster()
            }
        }
        if !clusterOpen {
            clusterOpen = true
            clusterTimestamp = timestampMs
            cluster.bytes.removeAll(keepingCapacity: true)
            cluster.uint(MatroskaID.timestamp, UInt64(timestampMs))
            if !hasVideo { cues.append((timestampMs, track, bytesWritten - segmentDataStart)) }
        }
        if isVideo && keyframe { cues.append((timestampMs, track, bytesWritten - segmentDataStart)) }

        let relative = Int16(timestampMs - clusterTimestamp)
        cluster.id(MatroskaID.simpleBlock)
        let trackVintWidth = 1  // track numbers < 127
        cluster.size(UInt64(trackVintWidth + 3 + data.count))
        cluster.size(UInt64(track), width: trackVintWidth)
        let r = UInt16(bitPattern: relative)
        cluster.bytes.append(UInt8(r >> 8))
        cluster.bytes.append(UInt8(r & 0xFF))
        cluster.bytes.append(isKey ? 0x80 : 0x00)
        cluster.bytes.append(contentsOf: data)
        durationMs = max(durationMs, timestampMs + max(0, frameDuration))
    }

    /// Convenience for byte arrays.
    public func write(track: Int, timestampMs: Int64, keyframe: Bool, data: [UInt8], durationMs: Int64 = 0) throws {
        try data.withUnsafeBytes { try write(track: track, timestampMs: timestampMs, keyframe: keyframe, data: $0, durationMs: durationMs) }
    }

    /// Writes the open cluster now (the recorder calls this at least every second).
    public func flush() throws {
        guard !isFinished else { return }
        if clusterOpen { try closeCluster() }
    }

    private func closeCluster() throws {
        var head = EBMLBuffer(capacity: 12)
        head.id(MatroskaID.cluster)
        head.size(UInt64(cluster.bytes.count))
        try emit(head.bytes)
        try emit(cluster.bytes)
        clusterOpen = false
        clustersWritten += 1
    }

    /// Closes the last cluster, writes Cues, patches SeekHead, Duration and
    /// the Segment size, and syncs. Calling it again does nothing.
    public func finish() throws {
        guard !isFinished else { return }
        try flush()
        isFinished = true
        var cuesPosition: Int64? = nil
        if !cues.isEmpty {
            cuesPosition = bytesWritten - segmentDataStart
            var b = EBMLBuffer()
            b.master(MatroskaID.cues) { c in
                for cue in cues {
                    c.master(MatroskaID.cuePoint) { p in
                        p.uint(MatroskaID.cueTime, UInt64(cue.time))
                        p.master(MatroskaID.cueTrackPositions) { t in
                            t.uint(MatroskaID.cueTrack, UInt64(cue.track))
                            t.uint(MatroskaID.cueClusterPosition, UInt64(cue.position))
                        }
                    }
                }
            }
            try emit(b.bytes)
        }
        try patch(at: segmentDataStart, seekHeadRegion(cuesPosition: cuesPosition))
        var d = EBMLBuffer()
        d.float(MatroskaID.duration, Double(durationMs))
        try patch(at: durationOffset, d.bytes)
        var s = EBMLBuffer()
        s.size(UInt64(bytesWritten - segmentDataStart), width: 8)
        try patch(at: segmentSizeOffset, s.bytes)
        try sink.sync()
    }

    private func patch(at offset: Int64, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink.patch(at: offset, $0) }
    }
}
