/// Maps our local ufrags to session indices so that a UDP worker can find the
/// ICE agent for an incoming STUN request.
///
/// It exists because one worker port serves many PeerConnections: the only
/// thing in a first binding request that names the session is the part of
/// USERNAME before the colon, which is *our* ufrag (RFC 8445 §7.2.2: the
/// request's USERNAME is `receiverUfrag:senderUfrag`). During an ICE restart
/// both the old and the new ufrag map to the same session until the agent
/// reports `.credentialsRetired`.
///
/// Owned by one worker thread; a value type with no locking.
public struct UfragTable: Sendable {
    private var sessions: [String: Int] = [:]

    /// Ufrags longer than this are never ours, so lookups skip building a key.
    public static let maxUfragLength = 64

    public init() {}

    public var count: Int { sessions.count }

    /// Registers `ufrag` for `session`; returns false (and changes nothing)
    /// if the ufrag is already taken by another session.
    @discardableResult
    public mutating func insert(_ ufrag: String, session: Int) -> Bool {
        if let existing = sessions[ufrag], existing != session { return false }
        sessions[ufrag] = session
        return true
    }

    public mutating func remove(_ ufrag: String) {
        sessions[ufrag] = nil
    }

    /// Removes every ufrag of `session` (on teardown).
    public mutating func removeSession(_ session: Int) {
        sessions = sessions.filter { $0.value != session }
    }

    public subscript(ufrag: String) -> Int? { sessions[ufrag] }

    /// The session for a STUN datagram, found from the local part of its
    /// USERNAME without parsing the whole message. Nil if the datagram has
    /// no USERNAME or the ufrag is unknown. Our 8-character ufrags fit
    /// Swift's small-string form, so a hit does not allocate.
    public func lookup(_ datagram: UnsafeRawBufferPointer) -> Int? {
        guard let ufrag = UfragTable.localUfrag(in: datagram) else { return nil }
        return sessions[ufrag]
    }

    public func lookup(_ datagram: [UInt8]) -> Int? {
        datagram.withUnsafeBytes { lookup($0) }
    }

    /// The part of USERNAME before the first colon, if the datagram is
    /// STUN-shaped and has one of plausible length.
    public static func localUfrag(in datagram: UnsafeRawBufferPointer) -> String? {
        guard StunMessage.looksLikeStun(datagram),
              let offset = StunIntegrity.attributeOffset(of: StunAttribute.Kind.username, in: datagram) else { return nil }
        let length = Int(datagram.u16(at: offset + 2))
        let start = offset + 4
        guard start + length <= datagram.count else { return nil }
        let value = UnsafeRawBufferPointer(rebasing: datagram[start..<(start + length)])
        let end = value.firstIndex(of: UInt8(ascii: ":")) ?? value.count
        guard end > 0, end <= maxUfragLength else { return nil }
        return String(validating: UnsafeRawBufferPointer(rebasing: value[0..<end]), as: UTF8.self)
    }
}
