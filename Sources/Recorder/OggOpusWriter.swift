// Ogg Opus encapsulation (RFC 7845).
//
// Page 0 (BOS) holds only the identification header OpusHead (§5.1); the
// next page holds only the comment header OpusTags (§5.2); audio packets
// start on a fresh page (§3). The granule position of a page is the number
// of 48 kHz samples, pre-skip included, through the last packet that ends on
// that page (§4); header pages carry 0. The last page has the EOS flag.
//
// Live recording: a page is flushed once it holds `flushInterval` samples
// (one second by default), so a crash loses at most that much audio; the
// file stays playable without `finish()` because every page is complete.

/// Writes one Opus stream as a live, directly playable Ogg Opus file. The
/// recorder feeds it depacketized RTP Opus payloads in order and fills gaps
/// with `writeSilence`, so the file's duration follows the call's wall clock.
public struct OggOpusWriter<Sink: OggSink> {
    public let sink: Sink
    public let channels: Int
    /// Samples (48 kHz) the decoder discards at the start (RFC 7845 §4.2).
    public let preSkip: Int
    /// Audio samples per page before it is flushed.
    public let flushInterval: Int
    /// Audio samples written so far (packets and silence, pre-skip excluded).
    public private(set) var totalSamples: Int64 = 0
    public private(set) var isFinished = false

    private var pages: OggPageWriter
    private var samplesInPage = 0
    /// Silence shorter than the smallest Opus frame (2.5 ms), carried over.
    private var silenceRemainder = 0

    /// Writes OpusHead and OpusTags on their own pages.
    /// - Parameters:
    ///   - serial: the Ogg bitstream serial number (RFC 3533 §6); pick it at random per file.
    ///   - comments: "KEY=value" user comments for OpusTags (RFC 7845 §5.2).
    ///   - flushInterval: samples at 48 kHz per page at most (default one second).
    public init(sink: Sink, serial: UInt32, channels: Int = 2, preSkip: Int = 312,
                comments: [String] = [], flushInterval: Int = 48_000) throws {
        precondition(channels == 1 || channels == 2, "mapping family 0 carries 1 or 2 channels (RFC 7845 §5.1.1)")
        self.sink = sink
        self.channels = channels
        self.preSkip = preSkip
        self.flushInterval = max(1, flushInterval)
        pages = OggPageWriter(serial: serial)

        try pages.append(packet: Self.opusHead(channels: channels, preSkip: preSkip), granule: 0, to: sink)
        try pages.flush(to: sink)
        try pages.append(packet: Self.opusTags(vendor: "sfu", comments: comments), granule: 0, to: sink)
        try pages.flush(to: sink)
    }

    /// The identification header (RFC 7845 §5.1).
    static func opusHead(channels: Int, preSkip: Int) -> [UInt8] {
        var h: [UInt8] = Array("OpusHead".utf8)
        h.append(1)                                  // version 1
        h.append(UInt8(channels))                    // output channel count
        appendLE(&h, UInt64(preSkip), bytes: 2)      // pre-skip
        appendLE(&h, 48_000, bytes: 4)               // input sample rate (informational)
        appendLE(&h, 0, bytes: 2)                    // output gain, Q7.8 dB
        h.append(0)                                  // channel mapping family 0: mono/stereo
        return h
    }

    /// The comment header (RFC 7845 §5.2): vendor string and user comments,
    /// each a 32-bit little-endian length followed by UTF-8.
    static func opusTags(vendor: String, comments: [String]) -> [UInt8] {
        var t: [UInt8] = Array("OpusTags".utf8)
        appendLE(&t, UInt64(vendor.utf8.count), bytes: 4)
        t.append(contentsOf: vendor.utf8)
        appendLE(&t, UInt64(comments.count), bytes: 4)
        for c in comments {
            appendLE(&t, UInt64(c.utf8.count), bytes: 4)
            t.append(contentsOf: c.utf8)
        }
        return t
    }

    /// Appends one Opus packet. `samples` (48 kHz) defaults to the duration
    /// read from the TOC (`OpusPacket.sampleCount`).
    public mutating func write(opusPacket: UnsafeRawBufferPointer, samples: Int? = nil) throws {
        guard !isFinished else { throw OggError.finished }
        guard let n = samples ?? OpusPacket.sampleCount(opusPacket), n > 0 else {
            throw OggError.invalidOpusPacket
        }
        totalSamples += Int64(n)
        try pages.append(packet: opusPacket, granule: Int64(preSkip) + totalSamples, to: sink)
        samplesInPage += n
        // Flush on time, and well before the 255-segment limit would split a packet.
        if samplesInPage >= flushInterval || pages.pendingBodyBytes > 60_000 {
            try flush()
        }
    }

    /// Convenience for byte arrays.
    public mutating func write(opusPacket: [UInt8], samples: Int? = nil) throws {
        try opusPacket.withUnsafeBytes { try write(opusPacket: $0, samples: samples) }
    }

    /// Fills a gap (lost packets, DTX) of `samples` at 48 kHz so durations
    /// stay correct.
    ///
    /// Choice: one-byte packets holding only a TOC byte (code 0, RFC 6716
    /// §3.2.2), i.e. a single zero-length frame. RFC 6716 §3.2.1 allows
    /// zero-length frames, and a decoder treats them as a missing frame and
    /// runs loss concealment/DTX, which fades to silence (libopus:
    /// opus_decode_frame with len <= 1). The CELT-only configs 31, 30, 29, 28
    /// (20, 10, 5, 2.5 ms, fullband; TOC 0xF8, 0xF0, 0xE8, 0xE0, with the
    /// stereo bit 0x04 for two channels) cover any multiple of 2.5 ms; a rest
    /// below 2.5 ms is carried into the next call.
    public mutating func writeSilence(samples: Int) throws {
        guard !isFinished else { throw OggError.finished }
        var left = samples + silenceRemainder
        let stereo: UInt8 = channels == 2 ? 0x04 : 0
        for (config, size) in [(31, 960), (30, 480), (29, 240), (28, 120)] {
            let toc = UInt8(config << 3) | stereo
            while left >= size {
                try write(opusPacket: [toc], samples: size)
                left -= size
            }
        }
        silenceRemainder = left
    }

    /// Writes the pending page now (the recorder may call this on a timer).
    public mutating func flush() throws {
        try pages.flush(to: sink)
        samplesInPage = 0
    }

    /// Writes the last page with the EOS flag (RFC 7845 §3). Calling it
    /// again does nothing.
    public mutating func finish() throws {
        guard !isFinished else { return }
        isFinished = true
        try pages.flush(eos: true, to: sink)
    }
}
