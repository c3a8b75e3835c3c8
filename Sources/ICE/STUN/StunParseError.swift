/// Why a datagram is not a well-formed STUN message (RFC 8489 §6.3).
///
/// It exists so that tests, fuzzing and drop counters see the precise
/// reason; the agent reports it inside `IceLiteAgent.IgnoreReason.malformed`.
public enum StunParseError: Error, Sendable, Hashable {
    /// Fewer than the 20 header bytes.
    case truncatedHeader(length: Int)
    /// The two most significant bits of the first byte are not zero (§6).
    case topBitsNotZero
    /// The magic cookie is not 0x2112A442 (§5).
    case badMagicCookie(UInt32)
    /// The length field is not a multiple of 4 (§5).
    case lengthNotMultipleOf4(UInt16)
    /// The length field disagrees with the datagram size (20 + length).
    case lengthMismatch(declared: Int, actual: Int)
    /// An attribute header or value (with its padding) runs past the end of the message (§14).
    case attributeOverrun(type: UInt16, offset: Int)
    /// A known attribute has a length its definition does not allow.
    case invalidAttributeLength(type: UInt16, length: Int)
    /// A known attribute has the right length but a value its definition forbids
    /// (unknown address family, error class outside 3–6, number above 99).
    case invalidAttributeValue(type: UInt16)
    /// A text attribute (USERNAME, SOFTWARE, ERROR-CODE reason) is not UTF-8.
    case invalidUTF8(type: UInt16)
    /// An attribute follows FINGERPRINT, which must be last (§14.7).
    case fingerprintNotLast(followingType: UInt16)
    /// Something other than MESSAGE-INTEGRITY-SHA256 or FINGERPRINT follows
    /// MESSAGE-INTEGRITY (§14.5 says such attributes are ignored; no ICE
    /// implementation sends them, so we refuse the message instead).
    case attributeAfterIntegrity(type: UInt16)
    /// FINGERPRINT present but its value does not match the message (§14.7).
    case badFingerprint(expected: UInt32, found: UInt32)
}
