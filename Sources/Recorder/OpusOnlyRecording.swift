import Glibc

/// An audio-only stream (one Opus track) recorded live into Ogg Opus with
/// `OggOpusWriter`: the recorder's writer until contract A's
/// `StreamRecording` (Ogg/WebM with a jitter buffer) is available, and its
/// fallback. Packets are written in arrival order; a packet older than the
/// last written one is dropped (no jitter buffer here); gaps in the RTP
/// timestamps (loss, DTX, tap drops) become silence so the file's duration
/// follows the call. Recorder thread only.
public final class OpusOnlyRecording: TapRecording {
    public let path: String
    private let fd: Int32
    private var writer: OggOpusWriter<OggFileDescriptorSink>
    private var ssrc: UInt32?
    private var lastSeq: UInt16 = 0
    /// RTP timestamp (48 kHz) just after the last written packet.
    private var nextTimestamp: UInt32 = 0
    private var lastArrival: UInt64 = 0
    private var gaps = false
    private var writeError: Int32?
    /// A timestamp jump larger than this is a discontinuity, not silence.
    static let maxSilenceSamples: UInt32 = 48_000 * 600

    public init(basePath: String, tracks: [RecordedTrack]) throws {
        guard tracks.count == 1, tracks[0].kind == .audio, tracks[0].codec.lowercased() == "opus" else {
            throw TapRecordingError.unsupportedTracks(tracks.map { "\($0.kind.rawValue)/\($0.codec)" }.joined(separator: ","))
        }
        path = basePath + ".ogg"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TapRecordingError.io("open \(path)", errno) }
        do {
            writer = try OggOpusWriter(sink: OggFileDescriptorSink(fd: fd), serial: UInt32.random(in: 0...UInt32.max),
                                       channels: min(2, max(1, tracks[0].channels)), comments: ["ENCODER=sfu recorder"])
        } catch {
            close(fd)
            throw TapRecordingError.io("write \(path)", (error as? OggError).flatMap { if case .io(let e) = $0 { e } else { nil } } ?? EIO)
        }
    }

    public func packet(track: Int, rtp: UnsafeRawBufferPointer, arrival: UInt64) -> [RecorderAction] {
        guard track == 0, writeError == nil, let (payload, seq, ts, ssrc) = Self.opusPayload(rtp), payload.count > 0 else { return [] }
        do {
            if self.ssrc != ssrc {
                // A new source: continue after the wall-clock gap since the last packet.
                if self.ssrc != nil {
                    let gapMs = (arrival &- lastArrival) / 1_000_000
                    if gapMs > 20 { try writer.writeSilence(samples: Int(min(gapMs, 600_000) - 20) * 48) }
                }
                self.ssrc = ssrc
            } else {
                if Int16(bitPattern: seq &- lastSeq) <= 0 { return [] } // late or duplicate
                let gap = ts &- nextTimestamp
                if gap > 0 && gap < Self.maxSilenceSamples {
                    try writer.writeSilence(samples: Int(gap))
                    gaps = gaps || seq != lastSeq &+ 1
                }
            }
            let samples = OpusPacket.sampleCount(payload) ?? 960
            try writer.write(opusPacket: payload, samples: samples)
            lastSeq = seq
            nextTimestamp = ts &+ UInt32(samples)
            lastArrival = arrival
        } catch OggError.io(let e) {
            writeError = e
        } catch {
            gaps = true // an invalid Opus packet: skipped
        }
        return []
    }

    public func senderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64) {}

    public func noteDropped(track: Int, count: Int) { gaps = true }

    public func tick(now: UInt64) -> [RecorderAction] { [] }

    public func finish() throws -> RecordedFileSummary {
        defer { close(fd) }
        if writeError == nil {
            do { try writer.finish() } catch OggError.io(let e) { writeError = e } catch {}
        }
        if fsync(fd) != 0, writeError == nil { writeError = errno }
        var st = stat()
        let size = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
        if let e = writeError { throw TapRecordingError.io("write \(path)", e) }
        return RecordedFileSummary(path: path, format: "ogg", durationMs: writer.totalSamples / 48, size: size, hasGaps: gaps)
    }

    /// The Opus payload of an RTP packet (RFC 3550 §5.1: CSRCs, extension and padding skipped), with seq, timestamp, SSRC.
    static func opusPayload(_ p: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer, UInt16, UInt32, UInt32)? {
        guard p.count >= 12, p[0] >> 6 == 2 else { return nil }
        var h = 12 + 4 * Int(p[0] & 0x0f)
        if p[0] & 0x10 != 0 {
            guard h + 4 <= p.count else { return nil }
            h += 4 + 4 * (Int(p[h + 2]) << 8 | Int(p[h + 3]))
        }
        var end = p.count
        if p[0] & 0x20 != 0 { end -= Int(p[p.count - 1]) }
        guard h <= end else { return nil }
        let seq = UInt16(p[2]) << 8 | UInt16(p[3])
        let ts = UInt32(p[4]) << 24 | UInt32(p[5]) << 16 | UInt32(p[6]) << 8 | UInt32(p[7])
        let ssrc = UInt32(p[8]) << 24 | UInt32(p[9]) << 16 | UInt32(p[10]) << 8 | UInt32(p[11])
        return (UnsafeRawBufferPointer(rebasing: p[h..<end]), seq, ts, ssrc)
    }
}
