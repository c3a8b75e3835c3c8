import CSRTP

/// A libsrtp2 error, from `srtp_err_status_t`, plus our own argument checks.
/// Kept as a plain enum so a failing packet costs no allocation.
public enum SRTPError: Error, Sendable, Equatable {
    /// The packet's index was already seen (replay, or a protect of a repeated
    /// sequence number on a session without `allow_repeat_tx`).
    case replayFail
    /// The packet's index is older than the replay window.
    case replayOld
    /// The authentication tag did not verify (tampered, wrong key, or garbage).
    case authFail
    /// libsrtp2 rejected the packet (too short, bad header).
    case badParam
    /// The caller's buffer lacks the trailer headroom protect needs.
    case insufficientCapacity
    /// protect on an inbound session or unprotect on an outbound one.
    case wrongDirection
    /// Cipher failure inside libsrtp2.
    case cipherFail
    /// Any other `srtp_err_status_t` value.
    case other(UInt32)

    init(status: UInt32) {
        switch status {
        case 2: self = .badParam
        case 7: self = .authFail
        case 8: self = .cipherFail
        case 9: self = .replayFail
        case 10: self = .replayOld
        default: self = .other(status)
        }
    }
}

/// `srtp_init` exactly once per process (Swift initializes globals once, thread-safely).
private let srtpInitStatus: UInt32 = srtp_init().rawValue

/// One direction of SRTP/SRTCP for one transport, over a libsrtp2 session
/// (RFC 3711, RFC 7714). It exists so the worker can protect and unprotect in
/// place on its pooled packet buffers without allocating: every call works on
/// caller memory (pointer, length, capacity) and returns the new length.
///
/// - Inbound: the peer's master key, `ssrc_any_inbound`, replay protection on.
/// - Outbound: our master key, `ssrc_any_outbound`, `allow_repeat_tx` so a NACKed
///   packet can be protected again with its original sequence number. libsrtp
///   keeps a replay window on the sending side too and refuses to protect an
///   index older than it (`replayOld`), so the outbound window is the maximum
///   (32,767 packets) to let resends reach far back.
///
/// Not thread-safe and not `Sendable`: it wraps an `srtp_t` and must stay on its
/// worker's thread.
public final class SRTPSession {
    public enum Direction: Sendable { case inbound, outbound }

    /// Trailer headroom `protectRTP` needs after the packet (`SRTP_MAX_TRAILER_LEN`).
    public static let rtpHeadroom = 144
    /// Headroom `protectRTCP` needs (trailer plus the 4-byte SRTCP index).
    public static let rtcpHeadroom = 148

    public let direction: Direction
    public let profile: SRTPProfile
    private let session: srtp_t
    /// Calls into libsrtp2 made through this session (each counted once,
    /// successful or not). Debian's NSS-backed libsrtp2 allocates inside every
    /// call, so allocation tests subtract `libsrtpCalls` × its per-call count.
    public private(set) var libsrtpCalls: UInt64 = 0

    /// - Parameters:
    ///   - masterKey: master key followed by master salt (30 bytes for AES-CM, 28 for GCM).
    ///   - replayWindow: replay window in packets (64…32767). Inbound: how late a
    ///     packet may arrive. Outbound: how far back a resend may go.
    public init(profile: SRTPProfile, masterKey: [UInt8], direction: Direction, replayWindow: Int = 1024) throws(SRTPError) {
        guard srtpInitStatus == 0 else { throw SRTPError(status: srtpInitStatus) }
        guard masterKey.count == profile.keyLength + profile.saltLength,
              (64...0x7fff).contains(replayWindow) else { throw .badParam }
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CMHmacSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = UInt(replayWindow)
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        policy.next = nil
        var key = masterKey
        var created: srtp_t?
        let status = key.withUnsafeMutableBufferPointer { buffer -> UInt32 in
            policy.key = buffer.baseAddress
            return srtp_create(&created, &policy).rawValue   // copies the key
        }
        for i in key.indices { key[i] = 0 }
        guard status == 0, let created else { throw SRTPError(status: status) }
        self.session = created
        self.direction = direction
        self.profile = profile
    }

    /// The session that unprotects what the peer sends.
    public convenience init(inbound keys: SRTPKeys, replayWindow: Int = 1024) throws(SRTPError) {
        try self.init(profile: keys.profile, masterKey: keys.remoteMasterKey, direction: .inbound, replayWindow: replayWindow)
    }

    /// The session that protects what we send. `replayWindow` bounds how far
    /// back a resend may go; libsrtp2 shifts the whole window bitmap on every
    /// newer packet, so its cost per protect grows with it (32,767 bits: ≈ 3 %
    /// of the forwarding path; the router passes what its NACK cache can reach).
    public convenience init(outbound keys: SRTPKeys, replayWindow: Int = 0x7fff) throws(SRTPError) {
        try self.init(profile: keys.profile, masterKey: keys.localMasterKey, direction: .outbound, replayWindow: replayWindow)
    }

    deinit {
        srtp_dealloc(session)
    }

    /// Encrypts and authenticates the RTP packet at `packet` in place.
    /// `capacity` must leave `rtpHeadroom` bytes after `length`. Returns the new length.
    @inline(__always)
    public func protectRTP(_ packet: UnsafeMutableRawPointer, length: Int, capacity: Int) throws(SRTPError) -> Int {
        guard direction == .outbound else { throw .wrongDirection }
        guard capacity - length >= Self.rtpHeadroom else { throw .insufficientCapacity }
        guard length >= 12, length <= Int(Int32.max) else { throw .badParam }
        var len = Int32(length)
        libsrtpCalls &+= 1
        let status = srtp_protect(session, packet, &len).rawValue
        guard status == 0 else { throw SRTPError(status: status) }
        return Int(len)
    }

    /// Verifies and decrypts the SRTP packet at `packet` in place. Returns the RTP length.
    @inline(__always)
    public func unprotectRTP(_ packet: UnsafeMutableRawPointer, length: Int) throws(SRTPError) -> Int {
        guard direction == .inbound else { throw .wrongDirection }
        guard length >= 12, length <= Int(Int32.max) else { throw .badParam }
        var len = Int32(length)
        libsrtpCalls &+= 1
        let status = srtp_unprotect(session, packet, &len).rawValue
        guard status == 0 else { throw SRTPError(status: status) }
        return Int(len)
    }

    /// Protects a (compound) RTCP packet in place. `capacity` must leave
    /// `rtcpHeadroom` bytes after `length`. Returns the new length.
    @inline(__always)
    public func protectRTCP(_ packet: UnsafeMutableRawPointer, length: Int, capacity: Int) throws(SRTPError) -> Int {
        guard direction == .outbound else { throw .wrongDirection }
        guard capacity - length >= Self.rtcpHeadroom else { throw .insufficientCapacity }
        guard length >= 8, length <= Int(Int32.max) else { throw .badParam }
        var len = Int32(length)
        libsrtpCalls &+= 1
        let status = srtp_protect_rtcp(session, packet, &len).rawValue
        guard status == 0 else { throw SRTPError(status: status) }
        return Int(len)
    }

    /// Verifies and decrypts an SRTCP packet in place. Returns the RTCP length.
    @inline(__always)
    public func unprotectRTCP(_ packet: UnsafeMutableRawPointer, length: Int) throws(SRTPError) -> Int {
        guard direction == .inbound else { throw .wrongDirection }
        guard length >= 8, length <= Int(Int32.max) else { throw .badParam }
        var len = Int32(length)
        libsrtpCalls &+= 1
        let status = srtp_unprotect_rtcp(session, packet, &len).rawValue
        guard status == 0 else { throw SRTPError(status: status) }
        return Int(len)
    }

    /// Buffer-pointer forms: the buffer's count is the capacity.
    @inline(__always)
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard let base = buffer.baseAddress else { throw .badParam }
        return try protectRTP(base, length: length, capacity: buffer.count)
    }

    @inline(__always)
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard let base = buffer.baseAddress, length <= buffer.count else { throw .badParam }
        return try unprotectRTP(base, length: length)
    }

    @inline(__always)
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard let base = buffer.baseAddress else { throw .badParam }
        return try protectRTCP(base, length: length, capacity: buffer.count)
    }

    @inline(__always)
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard let base = buffer.baseAddress, length <= buffer.count else { throw .badParam }
        return try unprotectRTCP(base, length: length)
    }

    /// Forgets the per-SSRC state of a stream (for example when a consumer or
    /// producer using that SSRC goes away), so a long-lived session does not
    /// accumulate streams.
    public func removeStream(ssrc: UInt32) {
        _ = srtp_remove_stream(session, ssrc.bigEndian)
    }
}
