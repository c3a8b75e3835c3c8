// The combined audio: every input decoded, placed at its start offset on
// one 48 kHz stereo timeline, summed in float, soft-limited below full
// scale, encoded with libopus (64 kbit/s, 20 ms) into Ogg Opus.

import Glibc

/// Mixes Opus inputs into one Ogg Opus file, 20 ms at a time, keeping only
/// a few hundred milliseconds of PCM per input in memory.
enum AudioMixer {
    static let frame = 960  // 20 ms at 48 kHz
    static let bitrate = 64_000

    static func mix(_ inputs: [MixInput], to path: String, progress: (Double) -> Void) throws -> RecordedFileSummary {
        guard !inputs.isEmpty else { throw PostProcessingError.noInputs }
        let tracks = try inputs.map(AudioTimelineTrack.init)
        let total = tracks.map(\.endSample).max() ?? 0
        let encoder = try OpusEncoder(channels: 2, bitrate: bitrate, frameSamples: frame)
        let preSkip = encoder.lookahead
        let file = try PartFile(path)
        var writer = try OggOpusWriter(sink: PartFileOggSink(file: file), serial: UInt32.random(in: 0...UInt32.max),
                                       channels: 2, preSkip: preSkip,
                                       comments: ["ENCODER=sfu post-processing", "TITLE=combined audio"])
        // Packets to cover the timeline plus the encoder's delay; the last one
        // declares only the samples up to the longest end (end trimming,
        // RFC 7845 §4.5). If the delay alone spills into an extra packet, that
        // packet is left out (it would hold < preSkip samples of the tail).
        var packets = Int((total + Int64(preSkip) + Int64(frame) - 1) / Int64(frame))
        if packets > 0, total - Int64(frame) * Int64(packets - 1) <= 0 { packets -= 1 }
        var block = [Float](repeating: 0, count: frame * 2)
        var out = [UInt8](repeating: 0, count: 4000)
        progress(0)
        for k in 0..<packets {
            let from = Int64(k) * Int64(frame)
            try block.withUnsafeMutableBufferPointer { b in
                b.baseAddress!.update(repeating: 0, count: b.count)
                for t in tracks { try t.add(into: b.baseAddress!, from: from, count: frame) }
                for i in 0..<b.count { b[i] = softLimit(b[i]) }
            }
            let n = try block.withUnsafeBufferPointer { b in
                try out.withUnsafeMutableBytes { try encoder.encode(b.baseAddress!, into: $0) }
            }
            let declared = k == packets - 1 ? Int(total - from) : frame
            try out.withUnsafeBytes { try writer.write(opusPacket: UnsafeRawBufferPointer(rebasing: $0[0..<n]), samples: declared) }
            if k % 50 == 49 { progress(Double(k + 1) / Double(packets)) }
        }
        try writer.finish()
        let size = try file.commit()
        progress(1)
        return RecordedFileSummary(path: path, format: "ogg", durationMs: total / 48, size: size,
                                   hasGaps: tracks.contains { $0.concealed > 0 })
    }

    /// Unity below `threshold`; above it a tanh knee approaches `ceiling`
    /// (−1 dBFS) without reaching it, so a loud sum never clips and the
    /// Opus encoder's overshoot stays below full scale.
    @inline(__always)
    static func softLimit(_ x: Float) -> Float {
        let threshold: Float = 0.6, ceiling: Float = 0.89
        let a = abs(x)
        guard a > threshold else { return x }
        let y = threshold + (ceiling - threshold) * Float(tanh(Double((a - threshold) / (ceiling - threshold))))
        return x < 0 ? -y : y
    }
}
