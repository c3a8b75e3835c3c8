// The combined video file: the compositor's VP8 frames and the combined
// audio's Opus packets, interleaved by time into one WebM.
#if canImport(Glibc)
import Glibc
#endif

/// Writes the combined video asset (see `PostProcessor.composeVideo`).
enum CombinedVideo {
    /// Canvas sizes beyond this are refused (VP8 allows 16383, but a grid
    /// of recordings has no use for more than 4K).
    static let maxDimension = 4096

    static func write(_ inputs: [MixInput], audio: String?, to path: String, width: Int, height: Int, fps: Int,
                      progress: (Double) -> Void) throws -> RecordedFileSummary {
        guard width >= 16, height >= 16, width <= maxDimension, height <= maxDimension, width % 2 == 0, height % 2 == 0 else {
            throw PostProcessingError.invalidArgument("canvas \(width)×\(height): even sizes from 16 to \(maxDimension)")
        }
        guard (1...60).contains(fps) else { throw PostProcessingError.invalidArgument("fps \(fps): 1…60") }
        let tracks = try inputs.compactMap(VideoTimelineTrack.init)
        guard !tracks.isEmpty else { throw PostProcessingError.noInputs }
        let sound = try audio.map(OpusInputTrack.open)
        let videoEnd = tracks.map(\.endNs).max() ?? 0
        let audioEnd = (sound?.durationSamples ?? 0) * 1_000_000 / 48
        let duration = max(videoEnd, audioEnd)

        let part = path + ".part"
        let sink: WebMFileSink
        do { sink = try WebMFileSink(path: part) } catch { throw PostProcessingError.io(part, errno) }
        var done = false
        defer {
            if !done {
                sink.close()
                unlink(part)
            }
        }
        var declared = [WebMTrack.video(.vp8, number: 1, width: width, height: height)]
        if let sound { declared.append(.opus(number: 2, channels: sound.channels, preSkip: sound.preSkip)) }
        let writer = try WebMWriter(sink: sink, tracks: declared)

        // Opus packets go in before the first video frame at or after their
        // time. Their timestamps count from the first encoded sample; the
        // track's CodecDelay (= pre-skip) tells players to drop the start.
        var nextAudio = 0
        var audioSamples: Int64 = 0
        func writeAudio(through t: Int64) throws {
            guard let sound else { return }
            while nextAudio < sound.packets.count {
                let at = audioSamples * 1_000_000 / 48
                guard at <= t else { return }
                let packet = sound.packets[nextAudio]
                nextAudio += 1
                let samples = packet.data.withUnsafeBytes { OpusPacket.sampleCount($0) } ?? 960
                try packet.data.withUnsafeBytes {
                    try writer.write(track: 2, timestampMs: at / 1_000_000, keyframe: true, data: $0, durationMs: Int64(samples / 48))
                }
                audioSamples += Int64(samples)
            }
        }
        let frameMs = Int64(max(1, 1000 / fps))
        try VideoCompositor(width: width, height: height, fps: fps).compose(tracks, durationNs: duration, emit: { data, t, key in
            try writeAudio(through: t)
            try writer.write(track: 1, timestampMs: t / 1_000_000, keyframe: key, data: data, durationMs: frameMs)
        }, progress: progress)
        try writeAudio(through: .max)
        try writer.finish()  // Cues, Duration, sizes; fsync
        let size = sink.size
        sink.close()
        guard rename(part, path) == 0 else { throw PostProcessingError.io(path, errno) }
        done = true
        progress(1)
        let gaps = tracks.contains { $0.undecodable > 0 }
        return RecordedFileSummary(path: path, format: "webm", durationMs: duration / 1_000_000, size: size, hasGaps: gaps)
    }
}
