/// The class of a STUN message (RFC 8489 §5): the two class bits C1 C0
/// interleaved into the 14-bit message type.
public enum StunClass: UInt8, Sendable, Hashable, CaseIterable {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11
}

/// The 16-bit STUN message type field split into method and class.
///
/// It exists because the field interleaves the class bits into the method
/// bits (RFC 8489 §5, figure 3): comparing raw values by hand is error prone.
/// Every 14-bit value round-trips: `StunMessageType(rawValue: t).rawValue == t`.
public struct StunMessageType: Sendable, Hashable, CustomStringConvertible {
    /// The 12-bit method; Binding is 0x001 (RFC 8489 §18.2).
    public var method: UInt16
    public var stunClass: StunClass

    public static let bindingMethod: UInt16 = 0x001

    public static let bindingRequest = StunMessageType(method: bindingMethod, stunClass: .request)
    public static let bindingIndication = StunMessageType(method: bindingMethod, stunClass: .indication)
    public static let bindingSuccess = StunMessageType(method: bindingMethod, stunClass: .successResponse)
    public static let bindingError = StunMessageType(method: bindingMethod, stunClass: .errorResponse)

    public init(method: UInt16, stunClass: StunClass) {
        self.method = method & 0x0FFF
        self.stunClass = stunClass
    }

    /// Decodes the type field; the two most significant bits must be zero
    /// (the parser rejects them before calling this).
    /// Layout (RFC 8489 §5): `M11..M7 C1 M6..M4 C0 M3..M0`.
    public init(rawValue: UInt16) {
        let m = (rawValue & 0x000F) | ((rawValue & 0x00E0) >> 1) | ((rawValue & 0x3E00) >> 2)
        let c = ((rawValue & 0x0010) >> 4) | ((rawValue & 0x0100) >> 7)
        self.method = m
        self.stunClass = StunClass(rawValue: UInt8(c))!
    }

    public var rawValue: UInt16 {
        let m = method & 0x0FFF
        let c = UInt16(stunClass.rawValue)
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }

    public var description: String {
        let name = method == StunMessageType.bindingMethod ? "Binding" : "method 0x\(String(method, radix: 16))"
        return "\(name) \(stunClass)"
    }
}

/// The 96-bit STUN transaction ID (RFC 8489 §5, §6): random per request,
/// echoed by the response. Stored as two integers so it is cheap to compare
/// and hash.
public struct StunTransactionID: Sendable, Hashable, CustomStringConvertible {
    public var hi: UInt32
    public var lo: UInt64

    public init(hi: UInt32, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    /// From exactly 12 bytes; nil otherwise.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 12 else { return nil }
        let a = Array(bytes)
        self.hi = a[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.lo = a[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A fresh ID from a CSPRNG, as RFC 8489 §6 requires ("uniformly and randomly chosen").
    public static func random() -> StunTransactionID {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    public static func random<G: RandomNumberGenerator>(using g: inout G) -> StunTransactionID {
        StunTransactionID(hi: UInt32.random(in: .min ... .max, using: &g), lo: UInt64.random(in: .min ... .max, using: &g))
    }

    public var bytes: [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(12)
        b.appendBE(hi)
        b.appendBE(lo)
        return b
    }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
