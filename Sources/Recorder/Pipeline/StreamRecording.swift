// One published stream → one live, playable file (contract A of issue 5).
//
// RTP packets (decrypted, RTX unwrapped) go through a per-track
// JitterBuffer, which reorders, conceals and gates on keyframes; frames are
// placed on the file timeline by TrackTimeline and written by OggOpusWriter
// (audio only) or WebMWriter (VP8/VP9 + Opus; Matroska for H.264). The WebM
// header needs the video's size and, for H.264, its SPS/PPS, so the file
// starts at the first video keyframe; audio waits for it (at most
// `keyframeWaitMs`) and is then written from its own start.
import RTP
#if canImport(Glibc)
import Glibc
import Handoff
#endif

/// One published stream written live into one playable file: audio-only →
/// Ogg Opus, otherwise WebM (Matroska for H.264). Not thread-safe: used on
/// the recorder's one I/O thread.
public final class StreamRecording {
    /// Tuning of a recording.
    public struct Options: Sendable {
        /// How long a hole waits for a NACK-recovered packet.
        public var jitterWaitMs = 150
        public var keyframeRequestIntervalMs = 500
        /// How long the file waits for the first video keyframe before starting without it.
        public var keyframeWaitMs = 2000
        /// Pages/clusters reach the disk at least this often.
        public var flushIntervalMs = 1000
        public var muxingApp = "sfu"
        public init() {}
    }

    public let path: String
    /// "ogg", "webm" or "mkv".
    public let format: String
    public let tracks: [RecordedTrack]
    public let options: Options

    private let codecs: [WebMTrack.Codec]
    private var buffers: [TrackJitterBuffer]
    private var timelines: [TrackTimeline]
    private var reports: [(ntpUs: Int64, rtp: UInt32)?]
    private var ogg: OggOpusWriter<OggFileDescriptorSink>?
    private var oggFD: Int32 = -1
    private var webmSink: WebMFileSink?
    private var webm: WebMWriter?
    /// Events waiting for the WebM header (the first video keyframe).
    private var pending: [(track: Int, event: JitterBufferEvent)] = []
    private var firstEventArrival: UInt64?
    private var originArrival: UInt64 = 0
    private var wallOriginUs: Int64?
    private var started = false

    /// CLOCK_MONOTONIC arrival (ns) of the media at file time 0; nil until
    /// the first frame is written. Gives a file's start offset in a recording.
    public var originArrivalNs: UInt64? { started ? originArrival : nil }
    /// The publisher's wall clock (µs since 1970, from its sender reports) at
    /// file time 0; nil until a sender report of a written track arrived.
    /// Post-processing aligns files of one publisher (and, roughly, of
    /// several) with it.
    public var originWallclockUs: Int64? { wallOriginUs }
    private var lastFlush: UInt64 = 0
    private var tapDrops = 0
    private var malformedRTP = 0
    private var writeError: Error?
    private var summary: RecordedFileSummary?

    static let maxPendingEvents = 4000

    public init(basePath: String, tracks: [RecordedTrack], options: Options = .init()) throws {
        guard !tracks.isEmpty else { throw StreamRecordingError.noTracks }
        var codecs: [WebMTrack.Codec] = []
        for t in tracks {
            switch t.codec.lowercased() {
            case "opus": codecs.append(.opus)
            case "vp8": codecs.append(.vp8)
            case "vp9": codecs.append(.vp9)
            case "h264": codecs.append(.h264)
            default: throw StreamRecordingError.unsupportedCodec(t.codec)
            }
        }
        self.tracks = tracks
        self.codecs = codecs
        self.options = options
        let ms: UInt64 = 1_000_000
        buffers = zip(tracks, codecs).map {
            TrackJitterBuffer(codec: $1, clockRate: $0.clockRate, maxWait: UInt64(options.jitterWaitMs) * ms,
                              keyframeRequestInterval: UInt64(options.keyframeRequestIntervalMs) * ms)
        }
        timelines = tracks.map { TrackTimeline(clockRate: $0.clockRate) }
        reports = Array(repeating: nil, count: tracks.count)
        if codecs == [.opus] {
            format = "ogg"
            path = basePath + ".ogg"
            oggFD = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard oggFD >= 0 else { throw StreamRecordingError.io(errno) }
            ogg = try OggOpusWriter(sink: OggFileDescriptorSink(fd: oggFD), serial: UInt32.random(in: 1...UInt32.max),
                                    channels: tracks[0].channels == 1 ? 1 : 2, comments: ["ENCODER=\(options.muxingApp)"])
        } else {
            format = codecs.contains(.h264) ? "mkv" : "webm"
            path = basePath + "." + format
            do { webmSink = try WebMFileSink(path: path) } catch WebMWriteError.io(let e) { throw StreamRecordingError.io(e) }
        }
    }

    deinit { if oggFD >= 0 { close(oggFD) } }

    // MARK: input

    /// One RTP packet of track `track` (index into `tracks`), arrival in CLOCK_MONOTONIC ns.
    public func packet(track: Int, rtp: UnsafeRawBufferPointer, arrival: UInt64) -> [RecorderAction] {
        guard summary == nil, tracks.indices.contains(track), let base = rtp.baseAddress,
              let view = try? RTPPacketView(validating: UnsafeMutableRawPointer(mutating: base), length: rtp.count) else {
            malformedRTP += 1
            return []
        }
        let events = buffers[track].insert(ssrc: view.ssrc, sequence: view.sequenceNumber, timestamp: view.timestamp,
                                           marker: view.marker, payload: UnsafeRawBufferPointer(view.payload), arrival: arrival)
        var actions: [RecorderAction] = []
        handle(track, events, now: arrival, actions: &actions)
        maintain(now: arrival)
        return actions
    }

    /// A sender report of the track's publisher: its NTP time for an RTP timestamp.
    public func senderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64) {
        guard tracks.indices.contains(track) else { return }
        let report = (ntpUs: NTPTimestamp(raw: ntp).unixMicroseconds, rtp: rtpTimestamp)
        reports[track] = report
        if wallOriginUs == nil, let a = timelines[track].anchor {
            wallOriginUs = timelines[track].wallclockUs(rtp: a.rtp, report: report) - Int64(a.ms * 1000)
        }
    }

    /// The tap dropped `count` packets of this track (its queue overflowed).
    public func noteDropped(track: Int, count: Int) {
        guard tracks.indices.contains(track), count > 0 else { return }
        tapDrops += count
        buffers[track].noteDropped(count: count)
    }

    /// Timeouts and flushes; call at least every 100 ms.
    public func tick(now: UInt64) -> [RecorderAction] {
        guard summary == nil else { return [] }
        var actions: [RecorderAction] = []
        for i in buffers.indices { handle(i, buffers[i].poll(now: now), now: now, actions: &actions) }
        maintain(now: now)
        return actions
    }

    private func handle(_ track: Int, _ events: [JitterBufferEvent], now: UInt64, actions: inout [RecorderAction]) {
        for e in events {
            switch e {
            case .requestKeyframe:
                actions.append(.requestKeyframe(track: track))
            case .frame, .gap:
                if firstEventArrival == nil { firstEventArrival = now }
                if ogg != nil || webm != nil {
                    write(track, e)
                } else {
                    pending.append((track, e))
                    if case .frame(let f) = e, f.keyframe, codecs[track].isVideo { startWebMIfReady(now: now) }
                }
            }
        }
    }

    /// Starts the WebM file once every video track has a keyframe waiting (and H.264 its
    /// parameter sets), or when waiting took too long.
    private func startWebMIfReady(now: UInt64, force: Bool = false) {
        guard webm == nil, let sink = webmSink else { return }
        var firstKey: [Int: JitterFrame] = [:]
        for (t, e) in pending { if case .frame(let f) = e, codecs[t].isVideo, f.keyframe, firstKey[t] == nil { firstKey[t] = f } }
        let videoTracks = codecs.indices.filter { codecs[$0].isVideo }
        let ready = videoTracks.allSatisfy { firstKey[$0] != nil && (codecs[$0] != .h264 || buffers[$0].h264ParameterSets != nil) }
        let waited = firstEventArrival.map { now >= $0 &+ UInt64(options.keyframeWaitMs) * 1_000_000 } ?? false
        guard ready || waited || force || pending.count > Self.maxPendingEvents else { return }

        let webmTracks: [WebMTrack] = codecs.indices.map { i in
            let number = i + 1
            switch codecs[i] {
            case .opus: return .opus(number: number, channels: tracks[i].channels == 1 ? 1 : 2)
            case .h264:
                let sets = buffers[i].h264ParameterSets
                let avcC = sets.flatMap { try? AVCDecoderConfiguration.record(sps: $0.sps, pps: $0.pps) } ?? []
                let size = sets.flatMap { H264SPS.dimensions($0.sps) }
                return .video(.h264, number: number, width: size?.width, height: size?.height, codecPrivate: avcC)
            case let c: return .video(c, number: number, width: firstKey[i]?.width, height: firstKey[i]?.height)
            }
        }
        do {
            webm = try WebMWriter(sink: sink, tracks: webmTracks, muxingApp: options.muxingApp)
        } catch {
            writeError = writeError ?? error
            return
        }
        originArrival = pending.compactMap { if case .frame(let f) = $0.event { f.arrival } else { nil } }.min() ?? now
        started = true
        let replay = pending
        pending.removeAll()
        for (t, e) in replay { write(t, e) }
    }

    // MARK: output

    private func write(_ track: Int, _ event: JitterBufferEvent) {
        guard writeError == nil else { return }
        do {
            if ogg != nil { try writeOgg(event) } else { try writeWebM(track, event) }
        } catch {
            writeError = error
        }
    }

    private func writeOgg(_ event: JitterBufferEvent) throws {
        switch event {
        case .frame(let f):
            if !started {
                started = true
                originArrival = f.arrival
                anchor(0, f)
            }
            try ogg?.write(opusPacket: f.data)
        case .gap(let ticks, _): try ogg?.writeSilence(samples: Int(ticks * 48_000 / Int64(tracks[0].clockRate)))
        case .requestKeyframe: break
        }
    }

    private func writeWebM(_ track: Int, _ event: JitterBufferEvent) throws {
        guard let webm else { return }
        switch event {
        case .frame(let f):
            if timelines[track].anchor == nil { anchor(track, f) }
            var tl = timelines[track]
            let ms = max(Int64(tl.milliseconds(f.timestamp).rounded()), tl.lastMs, 0)
            // A video frame lasts until the next; estimated from the previous interval (capped: frames
            // dropped while waiting for a keyframe leave long intervals).
            let duration = codecs[track].isVideo ? (tl.lastMs >= 0 ? min(max(1, ms - tl.lastMs), 100) : 33)
                                                 : Int64(tl.ticksToMs(f.durationTicks).rounded())
            try webm.write(track: track + 1, timestampMs: ms, keyframe: f.keyframe, data: f.data, durationMs: duration)
            tl.lastMs = ms
            tl.endMs = max(tl.endMs, ms + duration)
            timelines[track] = tl
        case .gap(let ticks, _):
            // Concealment in WebM: the same TOC-only Opus packets as in Ogg (see OggOpusWriter.writeSilence), 20 ms each.
            guard timelines[track].anchor != nil else { return }
            var tl = timelines[track]
            var at = tl.endMs
            let end = tl.endMs + Int64(tl.ticksToMs(ticks).rounded())
            let toc: UInt8 = 0xF8 | (tracks[track].channels == 1 ? 0 : 0x04)
            while end - at >= 20 {
                try webm.write(track: track + 1, timestampMs: max(at, tl.lastMs), keyframe: true, data: [toc], durationMs: 20)
                tl.lastMs = max(at, tl.lastMs)
                at += 20
            }
            tl.endMs = max(tl.endMs, at)
            timelines[track] = tl
        case .requestKeyframe: break
        }
    }

    /// Places a track's first frame: by sender reports when both this track
    /// and the file origin have one, else by arrival time.
    private func anchor(_ track: Int, _ f: JitterFrame) {
        var ms: Double
        if let report = reports[track], let origin = wallOriginUs {
            ms = Double(timelines[track].wallclockUs(rtp: f.rtpTimestamp, report: report) - origin) / 1000
        } else {
            ms = Double(Int64(bitPattern: f.arrival &- originArrival)) / 1_000_000
        }
        ms = max(0, ms)
        timelines[track].setAnchor(ext: f.timestamp, ms: ms, rtp: f.rtpTimestamp)
        if wallOriginUs == nil, let report = reports[track] {
            wallOriginUs = timelines[track].wallclockUs(rtp: f.rtpTimestamp, report: report) - Int64(ms * 1000)
        }
    }

    private func maintain(now: UInt64) {
        if webm == nil && ogg == nil && firstEventArrival != nil { startWebMIfReady(now: now) }
        guard now >= lastFlush &+ UInt64(options.flushIntervalMs) * 1_000_000 else { return }
        lastFlush = now
        guard writeError == nil else { return }
        do {
            try ogg?.flush()
            try webm?.flush()
        } catch {
            writeError = error
        }
    }

    // MARK: finish

    /// Drains the jitter buffers, writes Cues/Duration (WebM) or the EOS page (Ogg),
    /// fsyncs and closes. Calling it again returns the same summary.
    public func finish() throws -> RecordedFileSummary {
        if let summary { return summary }
        for i in buffers.indices {
            var ignored: [RecorderAction] = []
            handle(i, buffers[i].drain(), now: .max, actions: &ignored)
        }
        var durationMs: Int64 = 0
        if ogg != nil {
            if writeError == nil {
                do { try ogg?.finish() } catch { writeError = error }
            }
            durationMs = (ogg?.totalSamples ?? 0) / 48
            if fsync(oggFD) != 0, writeError == nil { writeError = OggError.io(errno) }
            close(oggFD)
            oggFD = -1
        } else {
            if webm == nil { startWebMIfReady(now: .max, force: true) }
            if writeError == nil {
                do { try webm?.finish() } catch { writeError = error }
            }
            durationMs = webm?.durationMs ?? 0
            webmSink?.close()
        }
        var st = stat()
        let size = stat(path, &st) == 0 ? Int64(st.st_size) : 0
        let gaps = tapDrops > 0 || malformedRTP > 0 || buffers.contains { $0.hasGaps } || writeError != nil
        let s = RecordedFileSummary(path: path, format: format, durationMs: durationMs, size: size, hasGaps: gaps)
        summary = s
        if let writeError { throw writeError }
        return s
    }

    /// Per-track jitter buffer counters (for metrics and tests).
    public var trackStats: [JitterBufferStats] { buffers.map(\.stats) }
}
