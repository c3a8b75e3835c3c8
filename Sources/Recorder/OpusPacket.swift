// Duration of an Opus packet from its TOC byte (RFC 6716 §3.1, §3.2).
//
// TOC: config (5 bits) | s (stereo, 1 bit) | c (frame count code, 2 bits).
//   config  0–11 SILK-only    frames of 10, 20, 40, 60 ms (config % 4)
//   config 12–15 Hybrid       frames of 10, 20 ms        (config % 2)
//   config 16–31 CELT-only    frames of 2.5, 5, 10, 20 ms (config % 4)
//   c = 0: one frame; 1, 2: two frames; 3: M frames, M = low 6 bits of the
//   second byte (§3.2.5). A packet lasts at most 120 ms (§3.2.5, R5).

/// Reads what the Ogg Opus writer needs from an Opus packet without decoding
/// it: its duration, which drives the granule position (RFC 7845 §4).
public enum OpusPacket {
    /// Samples per frame at 48 kHz for a TOC config (RFC 6716 §3.1, Table 2).
    public static func frameSamples(config: Int) -> Int {
        switch config {
        case 0..<12: return [480, 960, 1920, 2880][config % 4]
        case 12..<16: return [480, 960][config % 2]
        default: return [120, 240, 480, 960][config % 4]
        }
    }

    /// The packet's duration in samples at 48 kHz, or nil when it is empty,
    /// a code-3 packet lacks its frame count byte, or it exceeds 120 ms.
    public static func sampleCount(_ packet: UnsafeRawBufferPointer) -> Int? {
        guard let toc = packet.first else { return nil }
        let perFrame = frameSamples(config: Int(toc >> 3))
        let frames: Int
        switch toc & 0x03 {
        case 0: frames = 1
        case 1, 2: frames = 2
        default:
            guard packet.count >= 2 else { return nil }
            frames = Int(packet[1] & 0x3F)
        }
        let total = frames * perFrame
        guard frames > 0, total <= 5760 else { return nil }
        return total
    }

    /// Convenience for byte arrays.
    public static func sampleCount(_ packet: [UInt8]) -> Int? {
        packet.withUnsafeBytes { sampleCount($0) }
    }
}
