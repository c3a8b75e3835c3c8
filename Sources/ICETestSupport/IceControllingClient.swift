import ICE

/// A minimal *full, controlling* ICE agent: the browser's side of a
/// connection to our ICE-lite server, for tests.
///
/// It exists so that `IceLiteAgent` is driven by something that behaves like
/// Chrome or Firefox without a browser: binding requests with USERNAME
/// (`serverUfrag:clientUfrag`), PRIORITY, ICE-CONTROLLING (or ICE-CONTROLLED
/// when asked to start in the wrong role), USE-CANDIDATE on nomination,
/// MESSAGE-INTEGRITY keyed with the server's password and FINGERPRINT
/// (RFC 8445 §7.2.2); retransmissions on the RFC 8489 §6.2.1 schedule
/// (RTO, 2·RTO, 4·RTO … for Rc sends, then Rm·RTO); responses verified
/// (transaction, FINGERPRINT, MESSAGE-INTEGRITY, XOR-MAPPED-ADDRESS); 487
/// handled by switching role (RFC 8445 §7.2.5.1); regular nomination of the
/// first local address that succeeds; consent checks on the selected pair
/// every ~5 s (RFC 7675 §5.1). A pure state machine like the agent it tests.
public struct IceControllingClient: Sendable {
    public struct Configuration: Sendable {
        public var rto: Duration = .milliseconds(500)
        /// Rc: total sends of one request (RFC 8489 §6.2.1 default 7).
        public var maxTransmissions = 7
        /// Rm: the last wait is Rm × RTO (default 16).
        public var lastWaitMultiplier: Int64 = 16
        /// Consent checks on the selected pair (RFC 7675: 5 s ± 20 %); nil stops them.
        public var consentInterval: Duration? = .seconds(5)
        /// Pacing between first checks of different local addresses (Ta, RFC 8445 §14.2).
        public var pacing: Duration = .milliseconds(50)
        /// Start in the controlled role (a misconfigured peer) to provoke a 487.
        public var startControlled = false
        /// Nominate automatically once the first pair succeeds.
        public var autoNominate = true
        public var tieBreaker: UInt64 = 0x1234_5678_9ABC_DEF0
        public var seed: UInt64 = 1

        public init() {}
    }

    public enum Event: Sendable, Hashable {
        case send([UInt8], from: SocketAddress, to: SocketAddress)
        /// A check on the pair from this local address succeeded.
        case pairSucceeded(SocketAddress)
        /// A nomination on this local address succeeded: it is the selected pair.
        case selected(SocketAddress)
        /// A 487 made us switch roles.
        case roleSwitched(controlling: Bool)
        /// A transaction got no valid response after all retransmissions.
        case transactionTimedOut(local: SocketAddress, nominating: Bool)
        /// A response was dropped (not ours, bad integrity, malformed…).
        case responseRejected(String)
        /// An authenticated error response other than 487.
        case errorResponse(code: Int)
    }

    public struct Stats: Sendable, Hashable {
        public var requestsSent = 0
        public var retransmissions = 0
        public var successes = 0
        public var rejectedResponses = 0
        public var timeouts = 0
        public var roleConflicts = 0
        public var consentChecks = 0
    }

    struct Transaction: Sendable {
        var id: StunTransactionID
        var local: SocketAddress
        var nominating: Bool
        var bytes: [UInt8]
        var sends: Int
        var interval: Duration
        var deadline: Duration   // next retransmission, or final timeout
        var controlling: Bool
    }

    public var configuration: Configuration
    /// Our (the browser's) credentials.
    public private(set) var local: IceCredentials
    /// The server's ufrag and password, from its answer.
    public private(set) var remote: IceCredentials
    public let localAddresses: [SocketAddress]
    public let remoteAddress: SocketAddress
    public private(set) var controlling: Bool
    public private(set) var selected: SocketAddress?
    public private(set) var succeeded: Set<SocketAddress> = []
    public private(set) var stats = Stats()

    var transactions: [Transaction] = []
    var scheduledChecks: [(at: Duration, local: SocketAddress, nominating: Bool)] = []
    var nextConsent: Duration?
    var random: SeededRandom

    public init(local: IceCredentials, remote: IceCredentials, localAddresses: [SocketAddress],
                remoteAddress: SocketAddress, configuration: Configuration = .init()) {
        self.local = local
        self.remote = remote
        self.localAddresses = localAddresses
        self.remoteAddress = remoteAddress
        self.configuration = configuration
        self.controlling = !configuration.startControlled
        self.random = SeededRandom(seed: configuration.seed)
    }

    /// Schedules a first check from every local address, `pacing` apart.
    public mutating func start(now: Duration) -> [Event] {
        for (i, address) in localAddresses.enumerated() {
            scheduledChecks.append((now + configuration.pacing * i, address, false))
        }
        return tick(now: now)
    }

    /// Nominates the pair from `local` (renomination: moves the server's path).
    public mutating func nominate(local address: SocketAddress, now: Duration) -> [Event] {
        begin(local: address, nominating: true, now: now)
    }

    /// Sends one ordinary connectivity check from `local` (no nomination).
    public mutating func check(local address: SocketAddress, now: Duration) -> [Event] {
        begin(local: address, nominating: false, now: now)
    }

    /// ICE restart with new credentials on both sides (after a new offer/answer):
    /// checks and nominates again on the selected pair (or the first address).
    public mutating func restart(local: IceCredentials, remote: IceCredentials, now: Duration) -> [Event] {
        self.local = local
        self.remote = remote
        transactions.removeAll()
        scheduledChecks.removeAll()
        return begin(local: selected ?? localAddresses[0], nominating: true, now: now)
    }

    /// The earliest time `tick` has work to do.
    public var nextDeadline: Duration? {
        let times = transactions.map(\.deadline) + scheduledChecks.map(\.at) + [nextConsent].compactMap { $0 }
        return times.min()
    }

    public mutating func tick(now: Duration) -> [Event] {
        var events: [Event] = []
        let due = scheduledChecks.filter { $0.at <= now }
        scheduledChecks.removeAll { $0.at <= now }
        for check in due { events += begin(local: check.local, nominating: check.nominating, now: now) }

        var i = 0
        while i < transactions.count {
            guard transactions[i].deadline <= now else { i += 1; continue }
            if transactions[i].sends < configuration.maxTransmissions {
                // RFC 8489 §6.2.1: retransmit, doubling the interval.
                transactions[i].sends += 1
                transactions[i].interval = transactions[i].interval * 2
                let isLast = transactions[i].sends == configuration.maxTransmissions
                transactions[i].deadline = now + (isLast ? configuration.rto * configuration.lastWaitMultiplier : transactions[i].interval)
                stats.retransmissions += 1
                events.append(.send(transactions[i].bytes, from: transactions[i].local, to: remoteAddress))
                i += 1
            } else {
                let t = transactions.remove(at: i)
                stats.timeouts += 1
                events.append(.transactionTimedOut(local: t.local, nominating: t.nominating))
            }
        }

        if let at = nextConsent, at <= now {
            nextConsent = nil
            if let path = selected, configuration.consentInterval != nil {
                stats.consentChecks += 1
                events += begin(local: path, nominating: false, now: now)
                scheduleConsent(now: now)
            }
        }
        return events
    }

    /// A datagram arrived at `local` from `from`.
    public mutating func handle(_ bytes: [UInt8], from: SocketAddress, to local: SocketAddress, now: Duration) -> [Event] {
        let message: StunMessage
        do {
            message = try StunMessage.parse(bytes)
        } catch {
            return reject("unparsable: \(error)")
        }
        guard message.type.stunClass == .successResponse || message.type.stunClass == .errorResponse else {
            return reject("not a response: \(message.type)")
        }
        guard let index = transactions.firstIndex(where: { $0.id == message.transactionID }) else {
            return reject("unknown transaction")   // late duplicate or not ours
        }
        let transaction = transactions[index]
        guard from == remoteAddress, local == transaction.local else { return reject("response on another path") }
        guard StunIntegrity.verify(bytes, key: Array(remote.password.utf8)) else { return reject("bad integrity") }
        guard message.fingerprint != nil else { return reject("no fingerprint") }
        transactions.remove(at: index)

        if message.type.stunClass == .errorResponse {
            let code = message.errorCode?.code ?? 0
            if code == StunErrorCode.roleConflict {
                // RFC 8445 §7.2.5.1: switch to the role opposite of the one the request claimed, retry.
                stats.roleConflicts += 1
                controlling = !transaction.controlling
                return [.roleSwitched(controlling: controlling)] + begin(local: transaction.local, nominating: transaction.nominating, now: now)
            }
            return [.errorResponse(code: code)]
        }

        guard message.xorMappedAddress != nil else { return reject("no XOR-MAPPED-ADDRESS") }
        stats.successes += 1
        var events: [Event] = [.pairSucceeded(transaction.local)]
        succeeded.insert(transaction.local)
        if transaction.nominating && transaction.controlling {
            if selected != transaction.local {
                selected = transaction.local
                events.append(.selected(transaction.local))
            }
            if nextConsent == nil { scheduleConsent(now: now) }
        } else if selected == nil, controlling, configuration.autoNominate,
                  !transactions.contains(where: { $0.nominating }) {
            // Regular nomination (RFC 8445 §8.1.1): re-check the valid pair with USE-CANDIDATE.
            events += begin(local: transaction.local, nominating: true, now: now)
        }
        return events
    }

    private mutating func reject(_ why: String) -> [Event] {
        stats.rejectedResponses += 1
        return [.responseRejected(why)]
    }

    private mutating func scheduleConsent(now: Duration) {
        guard let interval = configuration.consentInterval else { return }
        let jitter = Double.random(in: 0.8...1.2, using: &random)
        nextConsent = now + interval * jitter
    }

    private mutating func begin(local address: SocketAddress, nominating: Bool, now: Duration) -> [Event] {
        let id = StunTransactionID.random(using: &random)
        var m = StunMessage(type: .bindingRequest, transactionID: id)
        m.attributes.append(.username("\(remote.ufrag):\(local.ufrag)"))
        // Peer-reflexive priority of a host candidate: type pref 110, local pref 65535, component 1 (RFC 8445 §5.1.2.1).
        m.attributes.append(.priority(110 << 24 | 65535 << 8 | 255))
        m.attributes.append(controlling ? .iceControlling(configuration.tieBreaker) : .iceControlled(configuration.tieBreaker))
        if nominating && controlling { m.attributes.append(.useCandidate) }
        let bytes = m.serialized(integrityKey: Array(remote.password.utf8), fingerprint: true)
        transactions.append(Transaction(id: id, local: address, nominating: nominating, bytes: bytes, sends: 1,
                                        interval: configuration.rto, deadline: now + configuration.rto, controlling: controlling))
        stats.requestsSent += 1
        return [.send(bytes, from: address, to: remoteAddress)]
    }
}
