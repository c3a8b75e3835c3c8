import Glibc
import Handoff
import SDP

/// One file of a recording — one published stream for one stretch of time,
/// live or finished — as the recordings API turns it into an asset.
public struct RecordedFileInfo: Sendable, Equatable {
    public var streamId: String
    public var endpointId: String
    public var path: String
    /// "ogg" | "webm" | "mkv"
    public var format: String
    /// "audio", "video" per track.
    public var kinds: [String]
    public var codecs: [String]
    /// Milliseconds after the recording's start when the file starts / ends (nil: still recording).
    public var startOffsetMs: Int64
    public var endOffsetMs: Int64?
    public var size: Int64
    /// Packets are missing (the recorder fell behind, or loss it could not repair).
    public var hasGaps: Bool
    /// Packets the recorder tap dropped for this file (its queue was full).
    public var droppedPackets: Int64
    /// Why the file could not be written (open or write failure, unsupported codecs), if it could not.
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

/// Everything the recorder does for one recorded conference: one file per
/// published stream (`<streamId>-<endpointId>-<n>` in the segment
/// directory), started when the stream is tapped and finished when its
/// producer goes (unpublish, transport removed) or the recording stops;
/// segment cuts (`rotate`) finish every file and continue each live stream
/// into a new one in the new directory from the same tap, so no packet is
/// lost at the cut. Confined to the recorder thread.
public final class ConferenceRecorder {
    public let conferenceId: String
    public private(set) var directory: String
    /// Wall-clock ms of the recording's start (file offsets are relative to it).
    public let startedAtMs: Int64
    let factory: RecorderThread.RecordingFactory
    let counters: RecorderCounters
    var streams: [StreamSession] = []
    /// Files finished in the current segment.
    var finished: [RecordedFileInfo] = []
    /// Next file number per "<streamId>-<endpointId>", over the whole recording.
    var fileNumbers: [String: Int] = [:]

    init(conferenceId: String, directory: String, startedAtMs: Int64, factory: @escaping RecorderThread.RecordingFactory, counters: RecorderCounters) {
        self.conferenceId = conferenceId
        self.directory = directory
        self.startedAtMs = startedAtMs
        self.factory = factory
        self.counters = counters
    }

    /// Starts a file for a newly tapped stream.
    func add(stream: TappedStream, tap: RecorderTap, keyframe: @escaping @Sendable (Int) -> Void) {
        drain(now: monotonicNow()) // a closed predecessor (republish) ends before this file starts
        let s = StreamSession(stream: stream, tap: tap, keyframe: keyframe)
        open(s)
        streams.append(s)
    }

    /// Drains every tap into its file; finishes the files of closed taps.
    func drain(now: UInt64) {
        var i = 0
        while i < streams.count {
            let s = streams[i]
            let closed = s.tap.isClosed // before the last drain: all pushes are then visible
            s.drain(counters: counters) { self.offsetMs(ofArrival: $0) }
            if s.originPending, let origin = s.recording?.originArrivalNs {
                // File time 0 is known (after the jitter buffer's hold, or the first keyframe): the exact start.
                s.originPending = false
                s.status?.startOffsetMs = offsetMs(ofArrival: origin)
            }
            if closed {
                finish(s)
                streams.remove(at: i)
            } else {
                i += 1
            }
        }
    }

    func tick(now: UInt64) {
        for s in streams { s.perform(s.recording?.tick(now: now) ?? []) }
    }

    /// Segment cut: finishes every current file, continues into `directory`.
    func rotate(to directory: String, now: UInt64) -> [RecordedFileInfo] {
        drain(now: now)
        let cut = nowOffsetMs // one instant: each file ends where its successor starts
        for s in streams { finish(s, at: cut) }
        let done = finished
        finished = []
        self.directory = directory
        for s in streams { open(s, at: cut) }
        return done
    }

    /// Finishes every file (after draining what the taps hold) and returns the segment's files.
    func stop(now: UInt64) -> [RecordedFileInfo] {
        drain(now: now)
        for s in streams { s.tap.close(); finish(s) }
        streams = []
        let done = finished
        finished = []
        return done
    }

    /// The segment's files: finished ones and those being written.
    func files() -> [RecordedFileInfo] {
        finished + streams.compactMap { s -> RecordedFileInfo? in
            guard var st = s.status else { return nil }
            st.size = Self.fileSize(st.path) ?? 0
            st.droppedPackets = Int64(s.droppedInFile)
            st.hasGaps = st.hasGaps || s.droppedInFile > 0
            return st
        }
    }

    /// Updates the open files' share of `bytesWritten` (every second; a stat per open file).
    func sampleSizes() {
        for s in streams where s.recording != nil {
            let size = Int(Self.fileSize(s.status?.path ?? "") ?? 0)
            counters.bytesOpen.add(size - s.sampledSize, ordering: .relaxed)
            s.sampledSize = size
        }
    }

    var nowOffsetMs: Int64 { max(0, RecorderThread.wallClockMs() - startedAtMs) }

    /// The recording offset of a packet that arrived at `arrival` (CLOCK_MONOTONIC ns).
    func offsetMs(ofArrival arrival: UInt64) -> Int64 {
        let ageMs = Int64((monotonicNow() &- arrival) / 1_000_000)
        return max(0, RecorderThread.wallClockMs() - ageMs - startedAtMs)
    }

    private func open(_ s: StreamSession, at offset: Int64? = nil) {
        let name = "\(s.stream.streamId)-\(s.stream.endpointId)"
        let n = fileNumbers[name, default: 1]
        fileNumbers[name] = n + 1
        let base = directory + "/" + Self.safeName(name) + "-\(n)"
        let tracks = s.stream.tracks
        var status = RecordedFileInfo(streamId: s.stream.streamId, endpointId: s.stream.endpointId, path: base, format: "",
                                         kinds: tracks.map(\.kind.rawValue), codecs: tracks.map(\.codec),
                                         startOffsetMs: offset ?? nowOffsetMs, endOffsetMs: nil, size: 0, hasGaps: false, droppedPackets: 0)
        s.droppedAtOpen = s.tap.dropped
        // A new publication's file starts with its first packet (media flows only after ICE and DTLS);
        // a segment cut's file at the cut, where its predecessor ended; either is then refined to the
        // writer's file time 0 (`originArrivalNs`) once it has written its first frame.
        s.startsAtFirstPacket = offset == nil
        s.originPending = true
        do {
            let r = try factory(base, tracks)
            s.recording = r
            status.path = r.path
            status.format = Self.format(of: r.path)
            counters.files.add(1, ordering: .relaxed)
            // A video file must begin with a keyframe: ask now rather than wait for the first packets.
            for (i, t) in tracks.enumerated() where t.kind == .video { s.keyframe(i) }
        } catch {
            s.recording = nil
            status.error = "\(error)"
        }
        s.status = status
    }

    private func finish(_ s: StreamSession, at offset: Int64? = nil) {
        guard var st = s.status else { return }
        st.endOffsetMs = offset ?? nowOffsetMs
        st.droppedPackets = Int64(s.droppedInFile)
        if let r = s.recording {
            counters.bytesOpen.subtract(s.sampledSize, ordering: .relaxed)
            do {
                let summary = try r.finish()
                st.size = summary.size
                st.hasGaps = summary.hasGaps || s.droppedInFile > 0
                st.format = summary.format
                counters.bytesFinished.add(Int(summary.size), ordering: .relaxed)
            } catch {
                st.error = "\(error)"
                st.size = Self.fileSize(st.path) ?? 0
                st.hasGaps = true
            }
            counters.files.subtract(1, ordering: .relaxed)
        }
        s.sampledSize = 0
        s.recording = nil
        s.status = nil
        finished.append(st)
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    static func format(of path: String) -> String {
        if path.hasSuffix(".ogg") { return "ogg" }
        if path.hasSuffix(".webm") { return "webm" }
        if path.hasSuffix(".mkv") { return "mkv" }
        return "unknown"
    }

    /// Ids come from the API (validated there); anything but [A-Za-z0-9._-] becomes '_' so a name cannot leave the directory.
    static func safeName(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { c in
            (c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" || c == ".")) ? c : "_"
        })).replacingOccurrences(of: "..", with: "__")
    }
}

/// One tapped stream inside a conference recording: its tap, its current file.
final class StreamSession {
    let stream: TappedStream
    let tap: RecorderTap
    let keyframe: @Sendable (Int) -> Void
    var recording: TapRecording?
    var status: RecordedFileInfo?
    /// Tap drops since this file was opened.
    var droppedInFile: Int { tap.dropped - droppedAtOpen }
    var droppedAtOpen = 0
    /// Tap drops already added to the counters.
    var droppedCounted = 0

    init(stream: TappedStream, tap: RecorderTap, keyframe: @escaping @Sendable (Int) -> Void) {
        self.stream = stream
        self.tap = tap
        self.keyframe = keyframe
    }

    /// Whether the file's start offset is still to be taken from its first packet.
    var startsAtFirstPacket = false
    /// This file's size as last added to `RecorderCounters.bytesOpen`.
    var sampledSize = 0
    /// Whether the writer's file time 0 (`originArrivalNs`) is still to be read.
    var originPending = false

    func drain(counters: RecorderCounters, offsetOfArrival: (UInt64) -> Int64) {
        var packets = 0
        let dropped = tap.dropped
        tap.drain { e in
            if e.droppedBefore > 0 {
                recording?.noteDropped(track: e.track, count: e.droppedBefore)
            }
            guard let r = recording else { return }
            switch e.kind {
            case .rtp:
                if startsAtFirstPacket {
                    startsAtFirstPacket = false
                    status?.startOffsetMs = offsetOfArrival(e.arrival)
                }
                packets += 1
                perform(r.packet(track: e.track, rtp: e.bytes, arrival: e.arrival))
            case .senderReport:
                r.senderReport(track: e.track, ntp: e.ntp, rtpTimestamp: e.rtpTimestamp, arrival: e.arrival)
            }
        }
        if dropped > droppedCounted {
            counters.dropped.add(dropped - droppedCounted, ordering: .relaxed)
            droppedCounted = dropped
        }
        if packets > 0 { counters.packets.add(packets, ordering: .relaxed) }
    }

    func perform(_ actions: [RecorderAction]) {
        for case .requestKeyframe(let track) in actions { keyframe(track) }
    }
}
