// The Ogg page checksum (RFC 3533 §6, "CRC_checksum").
//
// A 32-bit CRC with generator polynomial 0x04C11DB7, initial value 0, no bit
// reflection and no final XOR, computed over the whole page with the checksum
// field set to zero. It is NOT zlib's CRC-32 (which reflects and inverts).

/// The Ogg CRC-32 (RFC 3533 §6). A separate type so the checksum can be
/// tested against independently computed vectors, apart from page layout.
public enum OggCRC {
    /// Byte-at-a-time table for the MSB-first polynomial 0x04C11DB7.
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var r = UInt32(i) << 24
        for _ in 0..<8 {
            r = (r & 0x8000_0000) != 0 ? (r << 1) ^ 0x04C1_1DB7 : r << 1
        }
        return r
    }

    /// Continues `crc` over `bytes` (start with 0).
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes {
                c = (c << 8) ^ t[Int(UInt8(truncatingIfNeeded: c >> 24) ^ b)]
            }
        }
        return c
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    /// The checksum of a byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
