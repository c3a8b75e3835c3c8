/// A STUN message (RFC 8489 §5): type, transaction ID and attributes in order.
///
/// It exists as the one in-memory form of STUN for the ICE-lite agent, the
/// test client and the fuzzer. `parse` checks structure and FINGERPRINT;
/// MESSAGE-INTEGRITY needs the password and the raw bytes, so it is checked
/// separately with `StunIntegrity.verify`. `serialized()` writes the
/// attributes exactly as stored (parse → serialize gives the same bytes,
/// apart from padding, which is written as zeros);
/// `serialized(integrityKey:fingerprint:)` computes fresh trailers.
///
/// ```swift
/// var m = StunMessage(type: .bindingSuccess, transactionID: request.transactionID)
/// m.attributes.append(.xorMappedAddress(source))
/// let bytes = m.serialized(integrityKey: Array(password.utf8), fingerprint: true)
/// ```
public struct StunMessage: Sendable, Hashable {
    public var type: StunMessageType
    public var transactionID: StunTransactionID
    public var attributes: [StunAttribute]

    /// The fixed value in bytes 4–7 of every RFC 5389/8489 message.
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerSize = 20

    public init(type: StunMessageType, transactionID: StunTransactionID, attributes: [StunAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    // MARK: Attribute accessors (the first occurrence counts, RFC 8489 §14)

    public func first(_ type: UInt16) -> StunAttribute? {
        attributes.first { $0.type == type }
    }

    public var username: String? {
        if case .username(let u)? = first(StunAttribute.Kind.username) { return u }
        return nil
    }

    public var priority: UInt32? {
        if case .priority(let p)? = first(StunAttribute.Kind.priority) { return p }
        return nil
    }

    public var useCandidate: Bool { first(StunAttribute.Kind.useCandidate) != nil }

    public var iceControlling: UInt64? {
        if case .iceControlling(let t)? = first(StunAttribute.Kind.iceControlling) { return t }
        return nil
    }

    public var iceControlled: UInt64? {
        if case .iceControlled(let t)? = first(StunAttribute.Kind.iceControlled) { return t }
        return nil
    }

    public var xorMappedAddress: SocketAddress? {
        if case .xorMappedAddress(let a)? = first(StunAttribute.Kind.xorMappedAddress) { return a }
        return nil
    }

    public var mappedAddress: SocketAddress? {
        if case .mappedAddress(let a)? = first(StunAttribute.Kind.mappedAddress) { return a }
        return nil
    }

    public var errorCode: (code: Int, reason: String)? {
        if case .errorCode(let c, let r)? = first(StunAttribute.Kind.errorCode) { return (c, r) }
        return nil
    }

    public var software: String? {
        if case .software(let s)? = first(StunAttribute.Kind.software) { return s }
        return nil
    }

    public var fingerprint: UInt32? {
        if case .fingerprint(let f)? = first(StunAttribute.Kind.fingerprint) { return f }
        return nil
    }

    public var hasMessageIntegrity: Bool { first(StunAttribute.Kind.messageIntegrity) != nil }

    /// Types of comprehension-required attributes (< 0x8000) this module
    /// does not understand; a request carrying any must be answered with a
    /// 420 listing them (RFC 8489 §6.3.1).
    public var unknownComprehensionRequired: [UInt16] {
        attributes.compactMap {
            if case .other(let t, _) = $0, StunAttribute.isComprehensionRequired(t) { return t }
            return nil
        }
    }
}
