import ICE

/// Wires one `IceLiteAgent` (the server) and one `IceControllingClient`
/// (the browser) through a `VirtualNetwork` and runs them in virtual time.
///
/// It exists so that an ICE scenario reads as a few lines: build, `run`,
/// look at what the server did. It plays the UDP worker's part: it performs
/// the server's `.send` actions and remembers the media path it selected.
public struct IceHarness: Sendable {
    public struct Logged<Value: Sendable & Hashable>: Sendable, Hashable {
        public var at: Duration
        public var value: Value
    }

    public var network: VirtualNetwork
    public var server: IceLiteAgent
    public var client: IceControllingClient
    public let serverAddress: SocketAddress
    public private(set) var now: Duration = .zero
    public private(set) var serverActions: [Logged<IceLiteAgent.Action>] = []
    public private(set) var clientEvents: [Logged<IceControllingClient.Event>] = []
    /// The path the worker would send media on (the last `.selectPath`).
    public private(set) var mediaPath: SocketAddress?

    public static let defaultServerAddress = SocketAddress(ipv4: 10, 0, 0, 1, port: 40000)
    public static let defaultClientAddresses = [SocketAddress(ipv4: 192, 168, 1, 20, port: 50000),
                                                SocketAddress(ipv4: 172, 16, 0, 7, port: 50001)]

    /// A server with fresh credentials and a client that knows them.
    /// `clientRemote` overrides what the client believes the server's
    /// credentials are (to test wrong ufrag or password).
    public init(seed: UInt64 = 1, lossRate: Double = 0,
                delay: ClosedRange<Duration> = .milliseconds(20) ... .milliseconds(20),
                serverConfiguration: IceLiteAgent.Configuration = .init(),
                clientConfiguration: IceControllingClient.Configuration = .init(),
                clientAddresses: [SocketAddress] = IceHarness.defaultClientAddresses,
                clientRemote: IceCredentials? = nil) {
        var random = SeededRandom(seed: seed &+ 0x5EED)
        let serverCredentials = IceCredentials.random(using: &random)
        let clientCredentials = IceCredentials.random(using: &random)
        self.serverAddress = IceHarness.defaultServerAddress
        self.network = VirtualNetwork(seed: seed, lossRate: lossRate, delay: delay)
        self.server = IceLiteAgent(local: serverCredentials, remoteUfrag: clientCredentials.ufrag,
                                   configuration: serverConfiguration, now: .zero)
        var clientConfig = clientConfiguration
        clientConfig.seed = seed &+ 7
        self.client = IceControllingClient(local: clientCredentials, remote: clientRemote ?? serverCredentials,
                                           localAddresses: clientAddresses, remoteAddress: serverAddress,
                                           configuration: clientConfig)
    }

    public mutating func start() {
        perform(client.start(now: now))
    }

    /// Advances virtual time by `duration`, delivering datagrams and firing timers in order.
    public mutating func run(for duration: Duration) {
        run(until: now + duration)
    }

    public mutating func run(until end: Duration) {
        var steps = 0
        while true {
            steps += 1
            precondition(steps < 1_000_000, "harness does not make progress")
            let candidates = [network.nextDelivery, client.nextDeadline, server.nextDeadline].compactMap { $0 }
            guard let next = candidates.min(), next <= end else { break }
            now = max(now, next)
            while let d = network.popDue(now: now) {
                if d.to == serverAddress {
                    record(server.handle(d.bytes, from: d.from, now: now))
                } else {
                    perform(client.handle(d.bytes, from: d.from, to: d.to, now: now))
                }
            }
            if let t = client.nextDeadline, t <= now { perform(client.tick(now: now)) }
            if let t = server.nextDeadline, t <= now { record(server.tick(now: now)) }
        }
        now = end
    }

    /// The client nominates another of its addresses (renomination).
    public mutating func nominate(local: SocketAddress) {
        perform(client.nominate(local: local, now: now))
    }

    /// The client sends one connectivity check (no USE-CANDIDATE) from `local`.
    public mutating func check(local: SocketAddress) {
        perform(client.check(local: local, now: now))
    }

    /// ICE restart on both sides with fresh credentials; returns the server's immediate actions.
    @discardableResult
    public mutating func restart(seed: UInt64 = 99) -> [IceLiteAgent.Action] {
        var random = SeededRandom(seed: seed)
        let serverCredentials = IceCredentials.random(using: &random)
        let clientCredentials = IceCredentials.random(using: &random)
        let actions = server.restart(local: serverCredentials, remoteUfrag: clientCredentials.ufrag, now: now)
        record(actions)
        perform(client.restart(local: clientCredentials, remote: serverCredentials, now: now))
        return actions
    }

    /// Delivers raw bytes to the server as if from `from`, now.
    public mutating func inject(_ bytes: [UInt8], from: SocketAddress) -> [IceLiteAgent.Action] {
        let actions = server.handle(bytes, from: from, now: now)
        record(actions)
        return actions
    }

    public var serverActionValues: [IceLiteAgent.Action] { serverActions.map(\.value) }
    public var clientEventValues: [IceControllingClient.Event] { clientEvents.map(\.value) }

    private mutating func record(_ actions: [IceLiteAgent.Action]) {
        for action in actions {
            serverActions.append(Logged(at: now, value: action))
            switch action {
            case .send(let bytes, let to): network.send(bytes, from: serverAddress, to: to, now: now)
            case .selectPath(let path): mediaPath = path
            default: break
            }
        }
    }

    private mutating func perform(_ events: [IceControllingClient.Event]) {
        for event in events {
            clientEvents.append(Logged(at: now, value: event))
            if case .send(let bytes, let from, let to) = event {
                network.send(bytes, from: from, to: to, now: now)
            }
        }
    }
}
