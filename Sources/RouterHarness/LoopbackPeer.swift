import DTLS
import Glibc
import Handoff
import ICE
import ICETestSupport
import RTPRouter

/// One emulated browser PeerConnection for in-process router drivers: a
/// real loopback UDP socket the router sends to, our controlling ICE client,
/// a DTLS client (`.active`) and the two SRTP sessions it derives. What it
/// sends is handed to the router directly (`WorkerRouter.received`); what
/// the router sends arrives on its socket through the router's `Outbox`.
public final class LoopbackPeer {
    public let socket: UDPSocket
    public let address: UDPAddress
    public let localICE: IceCredentials
    public let remoteICE: IceCredentials
    var ice: IceControllingClient
    let dtls: DTLSTransport
    var dtlsStarted = false
    public private(set) var srtpIn: SRTPSession?
    public private(set) var srtpOut: SRTPSession?
    public private(set) var failure: String?
    /// Media (SRTP/SRTCP) datagrams that arrived before `drain` was given a handler.
    public private(set) var mediaReceived = 0

    /// Connected to the conference's second router (`LoopbackConference.downstream`).
    public internal(set) var onDownstream = false

    public var isConnected: Bool { srtpIn != nil && srtpOut != nil }

    init(index: Int, context: DTLSContext, routerFingerprint: DTLSFingerprint, sourceAddress: Bool = true, routerAddress: UDPAddress) throws {
        socket = try UDPSocket(port: 0, ipv6: false, bufferBytes: 4 << 20)
        // As a worker socket reports it: the local address it arrived on included (replies carry IP_PKTINFO).
        let remote = UDPAddress(ip: "127.0.0.1", port: socket.port)!
        address = sourceAddress ? remote.arriving(at: "127.0.0.1")! : remote
        localICE = IceCredentials(ufrag: "peer\(index)x", password: "peer-password-\(index)-0123456789")
        remoteICE = IceCredentials(ufrag: "rtr\(index)xx", password: "router-password-\(index)-0123456789")
        var configuration = IceControllingClient.Configuration()
        configuration.consentInterval = nil // the drivers run for seconds; consent lasts 30 s
        configuration.seed = UInt64(index + 1)
        ice = IceControllingClient(local: localICE, remote: remoteICE,
                                   localAddresses: [SocketAddress(address.storage)!],
                                   remoteAddress: SocketAddress(routerAddress.storage)!, configuration: configuration)
        dtls = try DTLSTransport(context: context, role: .active, expectedFingerprints: [routerFingerprint],
                                 now: DTLSTransport.monotonicNow())
    }

    /// Reads every pending datagram from the socket into `buffer` and hands
    /// media to `media`; STUN and DTLS go to this peer's own state machines,
    /// whose answers are returned as datagrams for the router.
    func receive(into buffer: UnsafeMutableRawPointer, capacity: Int, now: UInt64,
                 media: (UnsafeMutableRawPointer, Int) -> Void, toRouter: inout [[UInt8]]) {
        while true {
            let n = recv(socket.fd, buffer, capacity, Int32(MSG_DONTWAIT))
            if n <= 0 { return }
            let first = buffer.load(as: UInt8.self)
            switch first {
            case 0...3:
                let bytes = Array(UnsafeRawBufferPointer(start: buffer, count: n))
                handleICE(ice.handle(bytes, from: ice.remoteAddress, to: ice.localAddresses[0], now: .nanoseconds(Int64(now))),
                          now: now, toRouter: &toRouter)
            case 20...63:
                handleDTLS(dtls.handleDatagram(UnsafeRawBufferPointer(start: buffer, count: n), now: now), toRouter: &toRouter)
            default:
                mediaReceived += 1
                media(buffer, n)
            }
        }
    }

    func start(now: UInt64, toRouter: inout [[UInt8]]) {
        handleICE(ice.start(now: .nanoseconds(Int64(now))), now: now, toRouter: &toRouter)
    }

    func tick(now: UInt64, toRouter: inout [[UInt8]]) {
        if let d = ice.nextDeadline, d <= .nanoseconds(Int64(now)) {
            handleICE(ice.tick(now: .nanoseconds(Int64(now))), now: now, toRouter: &toRouter)
        }
        if dtlsStarted, !isConnected, let t = dtls.nextTimeout, t <= now {
            handleDTLS(dtls.handleTimeout(now: now), toRouter: &toRouter)
        }
    }

    private func handleICE(_ events: [IceControllingClient.Event], now: UInt64, toRouter: inout [[UInt8]]) {
        for e in events {
            switch e {
            case .send(let bytes, _, _):
                toRouter.append(bytes)
            case .selected:
                if !dtlsStarted {
                    dtlsStarted = true
                    handleDTLS(dtls.start(now: now), toRouter: &toRouter)
                }
            case .transactionTimedOut:
                failure = "ICE check timed out"
            default:
                break
            }
        }
    }

    private func handleDTLS(_ actions: [DTLSAction], toRouter: inout [[UInt8]]) {
        for a in actions {
            switch a {
            case .send(let bytes): toRouter.append(bytes)
            case .connected(let keys):
                do {
                    srtpIn = try SRTPSession(inbound: keys, replayWindow: 4096)
                    srtpOut = try SRTPSession(outbound: keys)
                } catch {
                    failure = "SRTP: \(error)"
                }
            case .failed(let f): failure = f.description
            case .closed: failure = "DTLS closed"
            }
        }
    }
}
