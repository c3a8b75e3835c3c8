/// One STUN attribute, decoded (RFC 8489 §14, RFC 8445 §16.1).
///
/// It exists so that the agent reads typed values (`.priority(p)`) rather
/// than offsets into a datagram. Attributes this module does not know are
/// kept raw in `.other` so that a message round-trips unchanged; whether an
/// unknown one is comprehension-required (type < 0x8000, RFC 8489 §14) is
/// the receiver's decision (see `StunMessage.unknownComprehensionRequired`).
///
/// Text attributes hold Swift strings; the parser rejects values that are
/// not valid UTF-8, so bytes round-trip exactly.
public enum StunAttribute: Sendable, Hashable {
    /// MAPPED-ADDRESS (0x0001, RFC 8489 §14.1); for old RFC 3489 clients.
    case mappedAddress(SocketAddress)
    /// XOR-MAPPED-ADDRESS (0x0020, §14.2): the reflexive address seen by the server.
    case xorMappedAddress(SocketAddress)
    /// USERNAME (0x0006, §14.3); for ICE `receiverUfrag:senderUfrag` (RFC 8445 §7.2.2).
    case username(String)
    /// MESSAGE-INTEGRITY (0x0008, §14.5): HMAC-SHA1, always 20 bytes.
    case messageIntegrity([UInt8])
    /// MESSAGE-INTEGRITY-SHA256 (0x001C, §14.6): 16 to 32 bytes, a multiple of 4. Parsed, never verified here.
    case messageIntegritySHA256([UInt8])
    /// FINGERPRINT (0x8028, §14.7): CRC-32 of the message XOR 0x5354554E.
    case fingerprint(UInt32)
    /// ERROR-CODE (0x0009, §14.8): `code` 300...699 and a UTF-8 reason phrase.
    case errorCode(code: Int, reason: String)
    /// UNKNOWN-ATTRIBUTES (0x000A, §14.9): the types a 420 response did not understand.
    case unknownAttributes([UInt16])
    /// SOFTWARE (0x8022, §14.14).
    case software(String)
    /// PRIORITY (0x0024, RFC 8445 §16.1): the peer-reflexive priority of the sender's candidate.
    case priority(UInt32)
    /// USE-CANDIDATE (0x0025, RFC 8445 §16.1): the controlling agent nominates this pair. Empty.
    case useCandidate
    /// ICE-CONTROLLED (0x8029, RFC 8445 §16.1) with the sender's tie-breaker.
    case iceControlled(UInt64)
    /// ICE-CONTROLLING (0x802A, RFC 8445 §16.1) with the sender's tie-breaker.
    case iceControlling(UInt64)
    /// Any other attribute, value without padding.
    case other(type: UInt16, value: [UInt8])

    /// Attribute type codes (RFC 8489 §18.3, RFC 8445 §20.1).
    public enum Kind {
        public static let mappedAddress: UInt16 = 0x0001
        public static let username: UInt16 = 0x0006
        public static let messageIntegrity: UInt16 = 0x0008
        public static let errorCode: UInt16 = 0x0009
        public static let unknownAttributes: UInt16 = 0x000A
        public static let messageIntegritySHA256: UInt16 = 0x001C
        public static let xorMappedAddress: UInt16 = 0x0020
        public static let priority: UInt16 = 0x0024
        public static let useCandidate: UInt16 = 0x0025
        public static let software: UInt16 = 0x8022
        public static let fingerprint: UInt16 = 0x8028
        public static let iceControlled: UInt16 = 0x8029
        public static let iceControlling: UInt16 = 0x802A

        /// The types this module decodes; all others become `.other`.
        static func isKnown(_ t: UInt16) -> Bool {
            switch t {
            case mappedAddress, username, messageIntegrity, errorCode, unknownAttributes, messageIntegritySHA256,
                 xorMappedAddress, priority, useCandidate, software, fingerprint, iceControlled, iceControlling:
                return true
            default:
                return false
            }
        }
    }

    /// The attribute's type code.
    public var type: UInt16 {
        switch self {
        case .mappedAddress: return Kind.mappedAddress
        case .xorMappedAddress: return Kind.xorMappedAddress
        case .username: return Kind.username
        case .messageIntegrity: return Kind.messageIntegrity
        case .messageIntegritySHA256: return Kind.messageIntegritySHA256
        case .fingerprint: return Kind.fingerprint
        case .errorCode: return Kind.errorCode
        case .unknownAttributes: return Kind.unknownAttributes
        case .software: return Kind.software
        case .priority: return Kind.priority
        case .useCandidate: return Kind.useCandidate
        case .iceControlled: return Kind.iceControlled
        case .iceControlling: return Kind.iceControlling
        case .other(let type, _): return type
        }
    }

    /// Comprehension-required attributes are 0x0000–0x7FFF (RFC 8489 §14).
    public static func isComprehensionRequired(_ type: UInt16) -> Bool { type < 0x8000 }
}

/// Well-known error codes (RFC 8489 §14.8, RFC 8445 §16.2).
public enum StunErrorCode {
    public static let badRequest = 400
    public static let unauthorized = 401
    public static let unknownAttribute = 420
    public static let roleConflict = 487

    public static func reason(for code: Int) -> String {
        switch code {
        case badRequest: return "Bad Request"
        case unauthorized: return "Unauthorized"
        case unknownAttribute: return "Unknown Attribute"
        case roleConflict: return "Role Conflict"
        default: return "Error"
        }
    }
}
