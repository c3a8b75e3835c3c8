/// The ICE-lite side of one PeerConnection (RFC 8445 §2.5): answers the
/// browser's connectivity checks, follows its nominations, and tracks
/// consent freshness (RFC 7675).
///
/// It exists as a pure state machine: it never touches a socket or a clock.
/// The UDP worker feeds it datagrams and timer ticks and performs the
/// returned `Action`s (send a response, switch the media path, report a
/// state change). That makes every rule testable with virtual time.
///
/// A lite agent has only host candidates, never sends checks, and always
/// takes the controlled role; the browser (a full agent) controls and
/// nominates with USE-CANDIDATE. Requests are authenticated with short-term
/// credentials: USERNAME `localUfrag:remoteUfrag`, MESSAGE-INTEGRITY keyed
/// with our *local* password (RFC 8445 §7.2.2).
///
/// ```swift
/// var agent = IceLiteAgent(local: .random(), remoteUfrag: offer.iceUfrag, now: clock.now)
/// for action in agent.handle(bytes, from: source, now: clock.now) {
///     switch action {
///     case .send(let response, let to): socket.send(response, to: to)
///     case .selectPath(let path): transport.path = path
///     ...
///     }
/// }
/// ```
///
/// Confined to its worker thread; `Sendable` only so it can be built elsewhere and handed over.
public struct IceLiteAgent: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// No valid binding request for this long fails the transport
        /// (RFC 7675 §5.1 uses 30 s). Also bounds the wait for the first request.
        public var consentTimeout: Duration
        /// Optional SOFTWARE attribute for our responses (RFC 8489 §14.14).
        public var software: String?

        public init(consentTimeout: Duration = .seconds(30), software: String? = nil) {
            self.consentTimeout = consentTimeout
            self.software = software
        }
    }

    public enum State: Sendable, Hashable {
        /// Waiting for a nomination.
        case checking
        /// A pair is nominated; media flows on `selectedPath`.
        case connected
        /// No consent (or no connection) within the timeout. Terminal until `restart`.
        case failed
    }

    /// What the caller must do after an input.
    public enum Action: Sendable, Hashable {
        /// Send this STUN message to this address (a response; lite agents never send requests).
        case send([UInt8], to: SocketAddress)
        /// Send media to (and accept it from) this address from now on: a pair
        /// was nominated, first or anew (RFC 8445 §8.1.1, §7.3.1.5).
        case selectPath(SocketAddress)
        /// First nomination (or first after a restart from `failed`).
        case connected
        /// Consent expired on a connected transport (RFC 7675 §5.1); `.failed` follows.
        case consentExpired
        /// The agent is now `failed`.
        case failed
        /// After an ICE restart, the old ufrag is no longer accepted; the worker
        /// removes it from its `UfragTable`.
        case credentialsRetired(ufrag: String)
        /// The datagram was dropped without a response; counted in `counters`.
        case ignore(IgnoreReason)
    }

    public enum IgnoreReason: Sendable, Hashable {
        case malformed(StunParseError)
        /// A response or indication (binding indications are keepalives, RFC 8445 §11).
        case notRequest(StunClass)
        /// A request for a method other than Binding.
        case unsupportedMethod(UInt16)
        /// No USERNAME or no MESSAGE-INTEGRITY. RFC 8489 §9.1.3 would answer 400;
        /// we stay silent to unauthenticated senders (no reflection).
        case missingCredentials
        /// USERNAME is not `localUfrag:remoteUfrag` for current (or, during a restart, previous) credentials.
        case wrongUfrag
        /// MESSAGE-INTEGRITY does not verify with our password (RFC 8489 §9.1.3 says 401; we stay silent).
        case badIntegrity
        /// The agent has failed; only `restart` revives it.
        case agentFailed
    }

    /// Drop and outcome counters for logs and metrics.
    public struct Counters: Sendable, Hashable {
        public var successResponses = 0
        public var malformed = 0
        public var notRequest = 0
        public var unsupportedMethod = 0
        public var missingCredentials = 0
        public var wrongUfrag = 0
        public var badIntegrity = 0
        /// 420 responses sent (RFC 8489 §6.3.1.1).
        public var unknownAttributes = 0
        /// 487 responses sent (RFC 8445 §7.3.1.1).
        public var roleConflicts = 0
        public var ignoredWhileFailed = 0
        /// Requests with USE-CANDIDATE that authenticated.
        public var nominations = 0
        /// Nominations that moved the selected path to another address.
        public var pathSwitches = 0
        public var consentExpirations = 0

        public init() {}
    }

    /// One set of credentials: ours and the remote ufrag they pair with.
    struct Generation: Sendable {
        var local: IceCredentials
        var remoteUfrag: String?
        var key: [UInt8]

        init(local: IceCredentials, remoteUfrag: String?) {
            self.local = local
            self.remoteUfrag = remoteUfrag
            self.key = Array(local.password.utf8)
        }

        /// RFC 8445 §7.3: the USERNAME must be `ourUfrag:theirUfrag`. If the
        /// remote ufrag is not known, only our part (and a non-empty remote part) is checked.
        func accepts(username: String) -> Bool {
            let u = username.utf8, ours = local.ufrag.utf8
            guard u.count > ours.count + 1, u.starts(with: ours) else { return false }
            let colon = u.index(u.startIndex, offsetBy: ours.count)
            guard u[colon] == UInt8(ascii: ":") else { return false }
            guard let remote = remoteUfrag else { return true }
            return u[u.index(after: colon)...].elementsEqual(remote.utf8)
        }
    }

    public let configuration: Configuration
    public internal(set) var state: State = .checking
    public internal(set) var selectedPath: SocketAddress?
    public internal(set) var counters = Counters()
    /// When the last valid binding request (on the selected path, once there is one) arrived.
    public internal(set) var lastConsent: Duration

    var current: Generation
    /// The credentials before the last `restart`, accepted until the new ones are first used.
    var previous: Generation?

    public init(local: IceCredentials, remoteUfrag: String?, configuration: Configuration = .init(), now: Duration) {
        self.configuration = configuration
        self.current = Generation(local: local, remoteUfrag: remoteUfrag)
        self.lastConsent = now
    }

    public var localCredentials: IceCredentials { current.local }
    public var remoteUfrag: String? { current.remoteUfrag }

    /// The ufrags this agent currently answers to (the worker's `UfragTable` keys).
    public var acceptedUfrags: [String] {
        [current.local.ufrag] + (previous.map { [$0.local.ufrag] } ?? [])
    }

    /// When `tick` must next be called (the consent deadline); nil once failed.
    public var nextDeadline: Duration? {
        state == .failed ? nil : lastConsent + configuration.consentTimeout
    }
}
