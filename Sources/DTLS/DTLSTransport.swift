import COpenSSL
import CDTLSShim
#if canImport(Glibc)
import Glibc
#endif

/// What a `DTLSTransport` asks its owner to do after each call.
public enum DTLSAction: Sendable, Equatable {
    /// Send this datagram to the peer (already within the configured MTU).
    case send([UInt8])
    /// The handshake finished, the peer's certificate matched the offer's
    /// fingerprint and an SRTP profile was negotiated: create the SRTP sessions.
    case connected(SRTPKeys)
    /// The transport is dead; tear it down (send any `.send` before this one first:
    /// it may be the alert that tells the peer why).
    case failed(DTLSFailure)
    /// The peer sent `close_notify`.
    case closed
}

/// Why a `DTLSTransport` failed.
public enum DTLSFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The peer's certificate does not match the `a=fingerprint` of its offer.
    /// `actual` is the certificate's fingerprint with the hash function of `expected`.
    case fingerprintMismatch(expected: [DTLSFingerprint], actual: DTLSFingerprint?)
    /// The handshake did not finish within the configured handshake timeout.
    case handshakeTimeout
    /// The peer negotiated no SRTP profile we support (or did not offer `use_srtp`).
    case noSRTPProfile
    /// The peer presented no certificate.
    case noPeerCertificate
    /// OpenSSL gave up (a fatal alert received or sent, too many retransmissions,
    /// a malformed handshake); the text is OpenSSL's error queue.
    case handshake(String)
    /// A fatal error after the handshake finished.
    case protocolError(String)

    public var description: String {
        switch self {
        case .fingerprintMismatch(let expected, let actual):
            return "peer certificate fingerprint \(actual?.sdpValue ?? "?") does not match the offer's \(expected.map(\.sdpValue).joined(separator: ", "))"
        case .handshakeTimeout: return "DTLS handshake timed out"
        case .noSRTPProfile: return "no common SRTP protection profile"
        case .noPeerCertificate: return "peer presented no certificate"
        case .handshake(let text): return "DTLS handshake failed: \(text)"
        case .protocolError(let text): return "DTLS error: \(text)"
        }
    }
}

/// One DTLS association (RFC 6347) for DTLS-SRTP (RFC 5763/5764), as a state
/// machine: the owner feeds datagrams and timer ticks in and performs the
/// returned actions. It exists so the UDP worker needs no knowledge of OpenSSL:
/// it owns no socket, thread or clock of its own, which also makes it testable
/// with in-memory delivery.
///
/// Times are monotonic nanoseconds (`CLOCK_MONOTONIC`, see `monotonicNow()`).
/// The retransmission timer itself runs on OpenSSL's wall clock, so the
/// deadline reported by `nextTimeout` is an estimate in the caller's clock;
/// calling `handleTimeout` early is harmless. The handshake timeout is judged
/// purely from the `now` values the caller passes.
///
/// Not thread-safe and not `Sendable`: it wraps one `SSL*` and must stay on the
/// worker thread that created it. No locks, no threads, no allocation other than
/// handshake datagrams.
public final class DTLSTransport {
    /// Our DTLS role. WebRTC answers with `a=setup:passive`, i.e. we are the server.
    public enum Role: Sendable {
        /// DTLS server: waits for the peer's ClientHello.
        case passive
        /// DTLS client: sends the ClientHello on `start` (benchmarks and tests).
        case active
    }

    /// Per-transport knobs.
    public struct Configuration: Sendable {
        /// Largest datagram we send (UDP payload bytes).
        public var mtu: Int = 1200
        /// Give up if the handshake has not finished this long after creation.
        public var handshakeTimeoutNanoseconds: UInt64 = 30_000_000_000
        /// First retransmission after this long; doubles on every retransmission.
        public var initialRetransmitMicroseconds: UInt32 = 100_000
        /// Upper bound of the doubling retransmission timer.
        public var maxRetransmitMicroseconds: UInt32 = 3_200_000
        public init() {}
    }

    public enum State: Sendable, Equatable {
        case handshaking
        case connected
        case failed(DTLSFailure)
        case closed
    }

    public let role: Role
    public let configuration: Configuration
    public private(set) var state: State = .handshaking
    /// Set once the handshake finished.
    public private(set) var srtpKeys: SRTPKeys?
    /// The fingerprint of the certificate the peer presented (hash function of the expected one).
    public private(set) var peerFingerprint: DTLSFingerprint?
    /// Application-data bytes received after the handshake and dropped (WebRTC
    /// without data channels sends none).
    public private(set) var discardedApplicationBytes = 0

    private let context: DTLSContext
    private let expectedFingerprints: [DTLSFingerprint]
    /// `SSL*`, owned (it owns the BIO).
    private var ssl: OpaquePointer
    /// Whether OpenSSL has written anything yet (before that, a passive transport can be reset).
    private var wroteAnything = false
    /// Datagrams dropped because they could not start a handshake.
    public private(set) var ignoredDatagrams = 0
    private let handshakeDeadline: UInt64
    private var retransmitDeadline: UInt64?
    private var started = false
    /// Set by the verify callback when the peer's certificate did not match.
    private var fingerprintFailure: DTLSFailure?

    // The datagram being handled (read by the BIO exactly once).
    private var incoming: UnsafeRawBufferPointer?
    // Records written by OpenSSL during the current call, packed into datagrams.
    private var outgoing: [[UInt8]] = []
    private var current: [UInt8] = []

    /// - Parameters:
    ///   - expectedFingerprints: the `a=fingerprint` values of the peer's
    ///     description (at least one). The strongest hash function among them
    ///     is used, and the peer certificate must match one of those (RFC 8122 §5).
    ///   - now: monotonic nanoseconds; the handshake timeout counts from here.
    public init(context: DTLSContext, role: Role = .passive, expectedFingerprints: [DTLSFingerprint],
                configuration: Configuration = Configuration(), now: UInt64) throws(DTLSSetupError) {
        precondition(!expectedFingerprints.isEmpty, "the peer's fingerprint is required")
        self.ssl = try Self.makeSSL(context: context, role: role, mtu: configuration.mtu)
        self.context = context
        self.role = role
        self.expectedFingerprints = expectedFingerprints
        self.configuration = configuration
        self.handshakeDeadline = now &+ configuration.handshakeTimeoutNanoseconds
        attach()
    }

    /// A configured `SSL*` with our datagram BIO, not yet pointing back at a transport.
    private static func makeSSL(context: DTLSContext, role: Role, mtu: Int) throws(DTLSSetupError) -> OpaquePointer {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(context.ctx) else { throw DTLSSetupError("SSL_new failed") }
        guard let bio = BIO_new(DatagramBIOMethod.shared.method) else {
            SSL_free(ssl)
            throw DTLSSetupError("BIO_new failed")
        }
        SSL_set_bio(ssl, bio, bio)   // one reference, used for both directions
        guard sfu_dtls_set_mtu(ssl, mtu) == 1 else {
            SSL_free(ssl)
            throw DTLSSetupError("MTU \(mtu) too small")
        }
        DTLS_set_timer_cb(ssl, dtlsTimerCallback)
        switch role {
        case .passive: SSL_set_accept_state(ssl)
        case .active: SSL_set_connect_state(ssl)
        }
        return ssl
    }

    /// Points the BIO and the SSL's app data at this transport (unretained: the
    /// transport owns the SSL, which owns the BIO).
    private func attach() {
        let me = Unmanaged.passUnretained(self).toOpaque()
        BIO_set_data(SSL_get_rbio(ssl), me)
        SSL_set_ex_data(ssl, 0, me)
    }

    deinit {
        // SSL_free frees the BIO; its destroy callback clears the back pointer.
        SSL_free(ssl)
    }

    /// The fingerprint the answer should carry for this transport.
    public var localFingerprint: DTLSFingerprint { context.certificate.fingerprint }

    /// When `handleTimeout` should next be called, or nil if no timer is armed.
    public var nextTimeout: UInt64? {
        switch state {
        case .handshaking:
            guard let r = retransmitDeadline else { return handshakeDeadline }
            return min(r, handshakeDeadline)
        case .connected:
            return retransmitDeadline
        case .failed, .closed:
            return nil
        }
    }

    /// Starts the handshake: the active role sends its ClientHello; the passive
    /// role has nothing to do (it waits for one).
    public func start(now: UInt64) -> [DTLSAction] {
        guard !started, state == .handshaking else { return [] }
        started = true
        var actions: [DTLSAction] = []
        if role == .active { driveHandshake(&actions) }
        return finish(now: now, actions)
    }

    /// Handles one received DTLS datagram (first byte 20…63, RFC 7983).
    public func handleDatagram(_ datagram: UnsafeRawBufferPointer, now: UInt64) -> [DTLSAction] {
        // An empty read would look like end-of-file to OpenSSL.
        guard datagram.count > 0 else { return [] }
        var actions: [DTLSAction] = []
        switch state {
        case .failed, .closed:
            return []
        case .handshaking:
            if let failure = checkHandshakeDeadline(now) { return finish(now: now, [.failed(failure)]) }
            started = true
            incoming = datagram
            driveHandshake(&actions)
        case .connected:
            incoming = datagram
            drainReads(&actions)
        }
        incoming = nil
        return finish(now: now, actions)
    }

    /// Convenience for tests and tools.
    public func handleDatagram(_ datagram: [UInt8], now: UInt64) -> [DTLSAction] {
        datagram.withUnsafeBytes { handleDatagram($0, now: now) }
    }

    /// Retransmits a flight if its timer expired, and fails the transport once
    /// the handshake timeout has passed.
    public func handleTimeout(now: UInt64) -> [DTLSAction] {
        switch state {
        case .failed, .closed:
            return []
        case .handshaking:
            if let failure = checkHandshakeDeadline(now) { return finish(now: now, [.failed(failure)]) }
        case .connected:
            break
        }
        var actions: [DTLSAction] = []
        if let deadline = retransmitDeadline, now >= deadline {
            OpenSSLErrors.clear()
            if sfu_dtls_handle_timeout(ssl) < 0 {
                fail(.handshake(errorText(default: "retransmission limit reached")), &actions)
            }
        }
        return finish(now: now, actions)
    }

    /// Sends `close_notify` (if the handshake finished) and closes the transport.
    public func close() -> [DTLSAction] {
        switch state {
        case .failed, .closed:
            return []
        case .connected:
            OpenSSLErrors.clear()
            _ = SSL_shutdown(ssl)
            OpenSSLErrors.clear()
        case .handshaking:
            break
        }
        state = .closed
        return finish(now: 0, [])
    }

    /// `CLOCK_MONOTONIC` in nanoseconds: the clock this type's `now` parameters expect.
    public static func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    // MARK: - Driving OpenSSL

    private func checkHandshakeDeadline(_ now: UInt64) -> DTLSFailure? {
        guard now >= handshakeDeadline else { return nil }
        state = .failed(.handshakeTimeout)
        return .handshakeTimeout
    }

    private func driveHandshake(_ actions: inout [DTLSAction]) {
        OpenSSLErrors.clear()
        let wroteBefore = wroteAnything
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            completeHandshake(&actions)
            if state == .connected { drainReads(&actions) }
            return
        }
        switch SSL_get_error(ssl, r) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return
        case SSL_ERROR_ZERO_RETURN:
            state = .closed
            actions.append(.closed)
        default:
            if role == .passive && !wroteBefore, fingerprintFailure == nil, resetPassive() {
                // Junk before any ClientHello (a stray or spoofed datagram): the
                // SSL holds no state worth keeping, so start over silently
                // instead of failing the transport.
                ignoredDatagrams += 1
                return
            }
            if fingerprintFailure == nil, ERR_GET_REASON(ERR_peek_error()) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE {
                OpenSSLErrors.clear()
                return fail(.noPeerCertificate, &actions)
            }
            fail(fingerprintFailure ?? .handshake(errorText(default: "handshake error")), &actions)
        }
    }

    /// Replaces the passive SSL with a fresh one and forgets what the old one wrote.
    private func resetPassive() -> Bool {
        guard let fresh = try? Self.makeSSL(context: context, role: .passive, mtu: configuration.mtu) else { return false }
        SSL_free(ssl)
        ssl = fresh
        attach()
        current = []
        outgoing = []
        wroteAnything = false
        OpenSSLErrors.clear()
        return true
    }

    private func completeHandshake(_ actions: inout [DTLSAction]) {
        // The verify callback already compared the leaf; check again on the final
        // certificate so no path can connect without a match.
        guard let peer = SSL_get1_peer_certificate(ssl) else { return fail(.noPeerCertificate, &actions) }
        let verified = verifyPeerCertificate(peer)
        X509_free(peer)
        guard verified else { return fail(fingerprintFailure ?? .fingerprintMismatch(expected: expectedFingerprints, actual: nil), &actions) }

        guard let selected = SSL_get_selected_srtp_profile(ssl),
              let profile = SRTPProfile(rawValue: UInt16(truncatingIfNeeded: selected.pointee.id)) else {
            return fail(.noSRTPProfile, &actions)
        }
        let label = "EXTRACTOR-dtls_srtp"
        var material = [UInt8](repeating: 0, count: profile.keyingMaterialLength)
        let exported = SSL_export_keying_material(ssl, &material, material.count, label, label.utf8.count, nil, 0, 0)
        guard exported == 1, let keys = SRTPKeys(profile: profile, keyingMaterial: material, isClient: role == .active) else {
            return fail(.handshake(errorText(default: "keying material export failed")), &actions)
        }
        srtpKeys = keys
        state = .connected
        actions.append(.connected(keys))
    }

    /// After the handshake: lets OpenSSL answer retransmitted flights and notice
    /// `close_notify`; application data is dropped.
    private func drainReads(_ actions: inout [DTLSAction]) {
        OpenSSLErrors.clear()
        withUnsafeTemporaryAllocation(byteCount: 2048, alignment: 16) { scratch in
            while true {
                let r = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
                if r > 0 {
                    discardedApplicationBytes += Int(r)
                    continue
                }
                switch SSL_get_error(ssl, r) {
                case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                    return
                case SSL_ERROR_ZERO_RETURN:
                    // Peer's close_notify: answer with ours, then report.
                    _ = SSL_shutdown(ssl)
                    OpenSSLErrors.clear()
                    state = .closed
                    actions.append(.closed)
                    return
                default:
                    fail(.protocolError(errorText(default: "read error")), &actions)
                    return
                }
            }
        }
    }

    private func fail(_ failure: DTLSFailure, _ actions: inout [DTLSAction]) {
        switch state {
        case .handshaking, .connected:
            state = .failed(failure)
            actions.append(.failed(failure))
        case .failed, .closed:
            break
        }
    }

    private func errorText(default text: String) -> String {
        let queue = OpenSSLErrors.drain()
        return queue.isEmpty ? text : queue
    }

    /// Prepends the datagrams OpenSSL wrote during this call and re-reads the timer.
    private func finish(now: UInt64, _ actions: [DTLSAction]) -> [DTLSAction] {
        if !current.isEmpty {
            outgoing.append(current)
            current = []
        }
        switch state {
        case .handshaking, .connected:
            let us = sfu_dtls_get_timeout_us(ssl)
            retransmitDeadline = us < 0 ? nil : now &+ UInt64(us) &* 1000
        case .failed, .closed:
            retransmitDeadline = nil
        }
        if outgoing.isEmpty { return actions }
        var result = outgoing.map { DTLSAction.send($0) }
        outgoing.removeAll()
        result.append(contentsOf: actions)
        return result
    }

    // MARK: - Called from OpenSSL callbacks (same thread, inside the calls above)

    static func from(ssl: OpaquePointer) -> DTLSTransport? {
        guard let raw = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<DTLSTransport>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The BIO wrote one record: pack it into the current datagram if it fits.
    func appendOutgoingRecord(_ record: UnsafeRawBufferPointer) {
        wroteAnything = true
        if !current.isEmpty && current.count + record.count > configuration.mtu {
            outgoing.append(current)
            current = []
        }
        current.append(contentsOf: record)
    }

    /// The BIO wants input: the datagram being handled, once; -1 when there is none.
    func takeIncomingDatagram(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let datagram = incoming else { return -1 }
        incoming = nil
        let n = min(datagram.count, buffer.count)
        if n > 0 { buffer.baseAddress!.copyMemory(from: datagram.baseAddress!, byteCount: n) }
        return n
    }

    /// Compares the peer's leaf certificate with the offer's fingerprints.
    func verifyPeerCertificate(_ x509: OpaquePointer) -> Bool {
        let (matched, actual) = DTLSFingerprint.check(x509: x509, against: expectedFingerprints)
        peerFingerprint = actual
        if !matched { fingerprintFailure = .fingerprintMismatch(expected: expectedFingerprints, actual: actual) }
        return matched
    }

    /// The retransmission timer's next duration: the configured initial value,
    /// then doubling up to the maximum.
    func nextRetransmitDuration(previous: UInt32) -> UInt32 {
        if previous == 0 { return configuration.initialRetransmitMicroseconds }
        return min(previous &* 2, configuration.maxRetransmitMicroseconds)
    }
}

private func dtlsTimerCallback(_ ssl: OpaquePointer?, _ previous: UInt32) -> UInt32 {
    guard let ssl, let t = DTLSTransport.from(ssl: ssl) else { return 1_000_000 }
    return t.nextRetransmitDuration(previous: previous)
}
