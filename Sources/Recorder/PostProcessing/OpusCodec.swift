// Swift wrappers over libopus for post-processing: decode each recorded
// track to PCM, encode the mix. Always 48 kHz (Opus's native rate, RFC 7845
// §5.1), interleaved Float PCM, one or two channels.
import COpus

/// A libopus failure, with the library's error code and message.
public struct OpusCodecError: Error, CustomStringConvertible, Equatable {
    public let code: Int32
    public let operation: String
    public var description: String {
        "\(operation): \(String(cString: opus_strerror(code))) (\(code))"
    }
}

/// Decodes Opus packets to 48 kHz interleaved Float PCM. Exists so the mixer
/// can turn every recorded track into samples, concealing lost packets (PLC)
/// or recovering them from in-band FEC. Not thread-safe: one per track.
public final class OpusDecoder {
    /// The longest Opus packet: 120 ms at 48 kHz (RFC 6716 §3.2.5).
    public static let maxFrameSamples = 5760

    public let channels: Int
    private let decoder: OpaquePointer

    /// - Parameter channels: 1 or 2; the decoder up/down-mixes packets coded
    ///   with the other count.
    public init(channels: Int) throws {
        precondition(channels == 1 || channels == 2, "Opus decodes to 1 or 2 channels")
        var err: Int32 = 0
        guard let d = opus_decoder_create(48_000, Int32(channels), &err), err == OPUS_OK else {
            throw OpusCodecError(code: err, operation: "opus_decoder_create")
        }
        self.channels = channels
        decoder = d
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet into `pcm` (interleaved, room for
    /// `maxFrameSamples * channels`), returning samples per channel.
    ///
    /// - `packet == nil`: the packet was lost; conceals `lostSamples`
    ///   (a multiple of 2.5 ms) with packet loss concealment.
    /// - `fec == true`: decodes the in-band FEC copy of the *previous* packet
    ///   carried in `packet` (`lostSamples` long); without FEC data libopus
    ///   falls back to PLC.
    public func decode(_ packet: UnsafeRawBufferPointer?, into pcm: UnsafeMutableBufferPointer<Float>,
                       lostSamples: Int = 960, fec: Bool = false) throws -> Int {
        let capacity = pcm.count / channels
        let frameSize: Int32
        if packet == nil || fec {
            frameSize = Int32(min(lostSamples, capacity))
        } else {
            frameSize = Int32(min(Self.maxFrameSamples, capacity))
        }
        let n: Int32
        if let packet, packet.count > 0 {
            n = opus_decode_float(decoder, packet.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                  Int32(packet.count), pcm.baseAddress!, frameSize, fec ? 1 : 0)
        } else {
            n = opus_decode_float(decoder, nil, 0, pcm.baseAddress!, frameSize, 0)
        }
        guard n >= 0 else { throw OpusCodecError(code: n, operation: "opus_decode_float") }
        return Int(n)
    }

    /// Convenience for tests: one packet (nil = lost, concealed for
    /// `lostSamples`) to a fresh array.
    public func decode(_ packet: [UInt8]?, lostSamples: Int = 960) throws -> [Float] {
        var pcm = [Float](repeating: 0, count: Self.maxFrameSamples * channels)
        let n = try pcm.withUnsafeMutableBufferPointer { out in
            if let packet {
                return try packet.withUnsafeBytes { try decode($0, into: out, lostSamples: lostSamples) }
            }
            return try decode(nil, into: out, lostSamples: lostSamples)
        }
        return Array(pcm[0..<n * channels])
    }
}

/// Encodes 48 kHz interleaved Float PCM to Opus packets. Exists for the
/// combined-audio mix (and for tests that need real Opus). Not thread-safe.
public final class OpusEncoder {
    /// What libopus tunes for (OPUS_APPLICATION_*).
    public enum Application: Sendable {
        case voip, audio, restrictedLowDelay
        var value: Int32 {
            switch self {
            case .voip: return OPUS_APPLICATION_VOIP
            case .audio: return OPUS_APPLICATION_AUDIO
            case .restrictedLowDelay: return OPUS_APPLICATION_RESTRICTED_LOWDELAY
            }
        }
    }

    public let channels: Int
    /// Samples per channel per packet (e.g. 960 = 20 ms).
    public let frameSamples: Int
    /// The encoder's algorithmic delay in samples: the Ogg Opus pre-skip.
    public let lookahead: Int
    private let encoder: OpaquePointer

    /// - Parameters:
    ///   - frameSamples: 120, 240, 480, 960, 1920 or 2880 (2.5 … 60 ms).
    ///   - fec: in-band forward error correction, tuned for `expectedLossPercent`.
    public init(channels: Int, bitrate: Int, frameSamples: Int = 960, application: Application = .audio,
                complexity: Int = 10, fec: Bool = false, expectedLossPercent: Int = 0) throws {
        precondition(channels == 1 || channels == 2, "Opus encodes 1 or 2 channels here")
        precondition([120, 240, 480, 960, 1920, 2880].contains(frameSamples), "not an Opus frame size")
        var err: Int32 = 0
        guard let e = opus_encoder_create(48_000, Int32(channels), application.value, &err), err == OPUS_OK else {
            throw OpusCodecError(code: err, operation: "opus_encoder_create")
        }
        encoder = e
        self.channels = channels
        self.frameSamples = frameSamples
        var checks: [(Int32, String)] = [
            (sfu_opus_encoder_set_bitrate(e, Int32(bitrate)), "OPUS_SET_BITRATE"),
            (sfu_opus_encoder_set_complexity(e, Int32(complexity)), "OPUS_SET_COMPLEXITY"),
            (sfu_opus_encoder_set_inband_fec(e, fec ? 1 : 0), "OPUS_SET_INBAND_FEC"),
        ]
        if fec { checks.append((sfu_opus_encoder_set_packet_loss_perc(e, Int32(expectedLossPercent)), "OPUS_SET_PACKET_LOSS_PERC")) }
        var delay: Int32 = 0
        checks.append((sfu_opus_encoder_get_lookahead(e, &delay), "OPUS_GET_LOOKAHEAD"))
        lookahead = Int(delay)
        if let bad = checks.first(where: { $0.0 != OPUS_OK }) {
            opus_encoder_destroy(e)
            throw OpusCodecError(code: bad.0, operation: bad.1)
        }
    }

    deinit { opus_encoder_destroy(encoder) }

    /// Encodes one frame of `frameSamples * channels` interleaved samples
    /// into `out` (4000 bytes is always enough), returning the packet size.
    public func encode(_ pcm: UnsafePointer<Float>, into out: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = opus_encode_float(encoder, pcm, Int32(frameSamples),
                                  out.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(out.count))
        guard n >= 0 else { throw OpusCodecError(code: n, operation: "opus_encode_float") }
        return Int(n)
    }

    /// Convenience for tests: one frame to a fresh packet.
    public func encode(_ pcm: [Float]) throws -> [UInt8] {
        precondition(pcm.count == frameSamples * channels, "one whole frame")
        var out = [UInt8](repeating: 0, count: 4000)
        let n = try pcm.withUnsafeBufferPointer { p in
            try out.withUnsafeMutableBytes { try encode(p.baseAddress!, into: $0) }
        }
        return Array(out[0..<n])
    }
}
