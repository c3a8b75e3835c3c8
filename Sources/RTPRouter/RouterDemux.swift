import DTLS
import ICE
import RTP

/// The first step of every datagram: which protocol (RFC 7983 §7, by the
/// first byte) and which transport (ICE username for STUN, the nominated
/// address for everything else), then the ICE and DTLS state machines'
/// actions. SRTP and SRTCP continue in `RouterForwarder`/`RouterFeedback`.
extension WorkerRouter {
    public func received(_ packet: UnsafeMutableRawPointer, length: Int, from: UDPAddress, out: Outbox, now: UInt64) {
        guard length > 0 else { stats.count(.tooShort); return }
        switch packet.load(as: UInt8.self) {
        case 0...3:
            handleSTUN(packet, length, from, out, now)
        case 20...63:
            guard let id = byAddress[from], let t = transports[id] else { stats.count(.unknownDTLSSender); return }
            handleDTLSActions(t, t.dtls.handleDatagram(UnsafeRawBufferPointer(start: packet, count: length), now: now), out, now)
        case 128...191:
            guard length >= 12 else { stats.count(.tooShort); return }
            guard let id = byAddress[from], let t = transports[id], t.isConnected else { stats.count(.unknownMediaSender); return }
            if t.path != from { t.path = from } // latch onto the validated address media comes from
            t.packetsIn &+= 1
            t.bytesIn &+= UInt64(length)
            if RTPPacketView.looksLikeRTCP(packet, length: length) {
                handleRTCP(t, packet, length, out, now)
            } else {
                handleRTP(t, packet, length, out, now)
            }
        default:
            stats.count(.unknownProtocol)
        }
    }

    func handleSTUN(_ packet: UnsafeMutableRawPointer, _ length: Int, _ from: UDPAddress, _ out: Outbox, _ now: UInt64) {
        let buf = UnsafeRawBufferPointer(start: packet, count: length)
        guard let id = ufrags.lookup(buf) ?? byAddress[from], let t = transports[id], let source = SocketAddress(from.storage) else {
            stats.count(.unknownSTUNSender)
            return
        }
        let actions = t.ice.handle(buf, from: source, now: MediaTime.duration(now))
        handleICEActions(t, actions, from, out, now)
    }

    /// `path` is the request's path: responses and the selected path keep its
    /// local address, socket and transport (the agent only answers its
    /// source; timer ticks pass nil and never send).
    func handleICEActions(_ t: PeerTransport, _ actions: [IceLiteAgent.Action], _ path: UDPAddress?, _ out: Outbox, _ now: UInt64) {
        for a in actions {
            switch a {
            case .send(let bytes, _):
                if let path { out.send(bytes, to: path) }
            case .selectPath(_):
                guard let path else { break }
                select(path, for: t)
                if !t.dtlsStarted {
                    t.dtlsStarted = true
                    handleDTLSActions(t, t.dtls.start(now: now), out, now)
                }
            case .connected:
                break
            case .consentExpired:
                fail(t, .consentExpired, "ICE consent expired (no binding request for 30 s)")
            case .failed:
                if t.failure == nil { fail(t, .iceFailed, "ICE failed") }
            case .credentialsRetired(let ufrag):
                ufrags.remove(ufrag)
            case .ignore:
                break
            }
        }
    }

    /// ICE nominated `path` for `t`: media goes there, and is accepted from
    /// it (and the last few validated addresses).
    func select(_ path: UDPAddress, for t: PeerTransport) {
        t.path = path
        if !t.validated.contains(path) {
            if t.validated.count == RouterLimits.validatedAddresses {
                let old = t.validated.removeFirst()
                if byAddress[old] == t.id { byAddress[old] = nil }
            }
            t.validated.append(path)
        }
        byAddress[path] = t.id
    }

    func handleDTLSActions(_ t: PeerTransport, _ actions: [DTLSAction], _ out: Outbox, _ now: UInt64) {
        for a in actions {
            switch a {
            case .send(let bytes):
                if let path = t.path { out.send(bytes, to: path) }
            case .connected(let keys):
                installKeys(keys, on: t, out, now)
            case .failed(let f):
                fail(t, .dtls(f.description), f.description)
            case .closed:
                if t.failure == nil { fail(t, .dtls("peer closed DTLS"), "the peer closed the DTLS connection") }
            }
        }
    }

    /// DTLS finished (RFC 5764 §4.2): the SRTP sessions start, signaling
    /// learns the transport is up, and a viewer's video consumers ask for
    /// the keyframe they must start with.
    func installKeys(_ keys: SRTPKeys, on t: PeerTransport, _ out: Outbox, _ now: UInt64) {
        do {
            t.srtpIn = try SRTPSession(inbound: keys)
            t.srtpOut = try SRTPSession(outbound: keys, replayWindow: RouterLimits.outboundReplayWindow)
        } catch {
            fail(t, .dtls("SRTP setup failed: \(error)"), "SRTP setup failed")
            return
        }
        events(.transportConnected(conferenceId: t.conferenceId, endpointId: t.endpointId, streamId: t.streamId, viewerId: t.viewerId,
                                   remote: t.path?.description ?? "unknown"))
        if let list = consumersByTransport[t.id] {
            for (_, track, p) in list where track.isVideo { requestKeyframe(p, track, out, now, force: true) }
        }
    }

    func fail(_ t: PeerTransport, _ failure: PeerTransport.Failure, _ reason: String) {
        guard t.failure == nil else { return }
        t.failure = failure
        events(.transportFailed(conferenceId: t.conferenceId, endpointId: t.endpointId, streamId: t.streamId, viewerId: t.viewerId, reason: reason))
    }
}
