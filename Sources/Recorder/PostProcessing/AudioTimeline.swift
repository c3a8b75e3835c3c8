// One input's decoded audio placed on the mix's 48 kHz timeline.
//
// Ogg inputs are contiguous (the recorder fills gaps with silence packets),
// so samples follow one another from the start offset. WebM blocks carry
// times: a block later than expected (a gap) is preceded by silence, one
// slightly early is taken as contiguous, so decoding never drifts from the
// container's clock. TOC-only packets (the recorder's gap filler, a
// zero-length frame) become digital silence rather than a concealment fade.

/// Decodes one Opus input lazily and adds it into the mix block by block,
/// keeping only the PCM not yet mixed.
final class AudioTimelineTrack {
    let label: String
    /// Timeline sample where this input's first sample plays.
    let startSample: Int64
    /// Timeline sample after its last one.
    let endSample: Int64

    private let track: OpusInputTrack
    private let decoder: OpusDecoder
    private var nextPacket = 0
    private var toSkip: Int
    /// Decoded stereo PCM, interleaved; `pending[readIndex...]` starts at timeline sample `pendingStart`.
    private var pending: [Float] = []
    private var readIndex = 0
    private var pendingStart: Int64
    private var scratch = [Float](repeating: 0, count: OpusDecoder.maxFrameSamples * 2)
    /// Packets libopus rejected and that were concealed instead.
    private(set) var concealed = 0

    init(_ input: MixInput) throws {
        track = try OpusInputTrack.open(input.path)
        decoder = try OpusDecoder(channels: 2)
        label = input.label
        startSample = max(0, input.startOffsetMs) * 48
        endSample = startSample + track.durationSamples
        pendingStart = startSample
        toSkip = track.preSkip
        pending.reserveCapacity(2 * 48_000)
    }

    /// Timeline sample after the last decoded one.
    private var decodedEnd: Int64 { pendingStart + Int64((pending.count - readIndex) / 2) }

    /// Adds this input's samples in [from, from + count) into `mix` (stereo, interleaved).
    func add(into mix: UnsafeMutablePointer<Float>, from: Int64, count: Int) throws {
        let until = min(from + Int64(count), endSample)
        guard until > startSample, from < endSample else { return }
        while decodedEnd < until, try decodeNext() {}
        // Drop what lies before `from` (never happens in order, kept for safety).
        if pendingStart < from {
            let drop = Int(min(Int64((pending.count - readIndex) / 2), from - pendingStart))
            readIndex += drop * 2
            pendingStart += Int64(drop)
        }
        let offset = Int(pendingStart - from)
        let n = Int(min(until, decodedEnd) - pendingStart)
        if n > 0 {
            pending.withUnsafeBufferPointer { p in
                let src = p.baseAddress! + readIndex
                let dst = mix + offset * 2
                for i in 0..<(n * 2) { dst[i] += src[i] }
            }
            readIndex += n * 2
            pendingStart += Int64(n)
        }
        if readIndex > 96_000 {  // compact: keep the buffer small
            pending.removeFirst(readIndex)
            readIndex = 0
        }
    }

    /// Decodes the next packet onto the end of `pending`; false at the end.
    private func decodeNext() throws -> Bool {
        guard nextPacket < track.packets.count else {
            // Ran out early (a torn file): the rest stays silent.
            appendSilence(Int(endSample - decodedEnd))
            return false
        }
        let packet = track.packets[nextPacket]
        nextPacket += 1
        if let t = packet.timeNs {
            let due = startSample + t * 48 / 1_000_000 - Int64(track.preSkip) + Int64(toSkip)
            let gap = due - decodedEnd
            if gap > 120 { appendSilence(Int(min(gap, endSample - decodedEnd))) }  // > 2.5 ms late: a gap
        }
        let n: Int
        if packet.data.count == 1, let samples = packet.data.withUnsafeBytes({ OpusPacket.sampleCount($0) }) {
            n = samples
            scratch.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: samples * 2) }
        } else {
            do {
                n = try packet.data.withUnsafeBytes { p in
                    try scratch.withUnsafeMutableBufferPointer { try decoder.decode(p, into: $0) }
                }
            } catch {
                // A packet libopus rejects (corrupt on disk): conceal its duration
                // (from the TOC, else 20 ms) and go on.
                concealed += 1
                let lost = packet.data.withUnsafeBytes { OpusPacket.sampleCount($0) } ?? 960
                n = try scratch.withUnsafeMutableBufferPointer { try decoder.decode(nil, into: $0, lostSamples: lost) }
            }
        }
        let skip = min(toSkip, n)
        toSkip -= skip
        pending.append(contentsOf: scratch[(skip * 2)..<(n * 2)])
        return true
    }

    private func appendSilence(_ samples: Int) {
        guard samples > 0 else { return }
        pending.append(contentsOf: repeatElement(Float(0), count: samples * 2))
    }
}
