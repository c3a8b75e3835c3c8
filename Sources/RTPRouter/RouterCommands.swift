import DTLS
import ICE
import RTP

/// The commands signaling sends through the worker's mailbox: publishers,
/// viewers and their removal. They build and tear down the tables the
/// datagram path reads (`transports`, `byAddress`, `ufrags`, `producers`,
/// `consumersByTransport`); nothing here runs per packet.
extension WorkerRouter {
    /// ICE restart (RFC 8445 §9) on an existing PeerConnection: new local
    /// credentials and the peer's new ufrag; DTLS and SRTP are kept (the
    /// browser keeps them across an ICE restart). The old credentials are
    /// still answered until the peer uses the new ones.
    func restartICE(_ t: PeerTransport, _ local: IceCredentials, _ remoteUfrag: String?, now: UInt64) {
        let actions = t.ice.restart(local: local, remoteUfrag: remoteUfrag, now: MediaTime.duration(now))
        _ = ufrags.insert(local.ufrag, session: t.id)
        for case .credentialsRetired(let old) in actions { ufrags.remove(old) }
        t.failure = t.failure == .consentExpired || t.failure == .iceFailed ? nil : t.failure
    }

    public func addPublisher(_ spec: PublisherSpec, now: UInt64) -> String? {
        let key = Self.key(spec.conferenceId, spec.streamId)
        if let existing = producers[key] {
            guard existing.transport.endpointId == spec.endpointId else { return "stream \(spec.streamId) is already published" }
            restartICE(existing.transport, spec.localICE, spec.remoteUfrag, now: now)
            return nil
        }
        guard let t = makeTransport(spec.conferenceId, spec.endpointId, .publisher(streamId: spec.streamId),
                                    spec.localICE, spec.remoteUfrag, spec.remoteFingerprints, now) else {
            return "cannot create the DTLS transport"
        }
        let p = Producer(transport: t, tracks: spec.tracks.map { ProducerTrack(kind: $0.kind, codecs: $0.codecs, extensions: $0.extensions) },
                         maxBitrate: spec.maxBitrate)
        producers[key] = p
        producerByTransport[t.id] = p
        return nil
    }

    public func setMaxBitrate(conferenceId: String, streamId: String, bitsPerSecond: UInt64) {
        producers[Self.key(conferenceId, streamId)]?.maxBitrate = bitsPerSecond
    }

    public func publishedTracks(conferenceId: String, streamId: String) -> PublishedTracks? {
        guard let p = producers[Self.key(conferenceId, streamId)] else { return nil }
        return PublishedTracks(tracks: p.tracks.map { ($0.kind, $0.codecs, $0.extensions) })
    }

    public func addViewer(_ spec: ViewerSpec, now: UInt64) -> String? {
        guard let p = producers[Self.key(spec.conferenceId, spec.streamId)] else { return "stream \(spec.streamId) is not published" }
        if let existing = transports.values.first(where: {
            $0.conferenceId == spec.conferenceId && $0.role == .viewer(streamId: spec.streamId, viewerId: spec.viewerId)
        }) {
            guard existing.endpointId == spec.endpointId else { return "viewer \(spec.viewerId) belongs to another endpoint" }
            restartICE(existing, spec.localICE, spec.remoteUfrag, now: now)
            return nil
        }
        guard let t = makeTransport(spec.conferenceId, spec.endpointId, .viewer(streamId: spec.streamId, viewerId: spec.viewerId),
                                    spec.localICE, spec.remoteUfrag, spec.remoteFingerprints, now) else {
            return "cannot create the DTLS transport"
        }
        var list: [(Consumer, ProducerTrack, Producer)] = []
        for cs in spec.consumers where cs.trackIndex >= 0 && cs.trackIndex < p.tracks.count {
            let track = p.tracks[cs.trackIndex]
            let c = Consumer(transport: t, kind: track.kind, ssrc: cs.ssrc, clockRate: track.clockRate)
            for (from, to) in cs.payloadTypes where from < 128 { c.payloadTypeMap[Int(from)] = to }
            for (from, to) in cs.extensions where to < 15 { c.extensionMap[from] = to }
            for (from, to) in cs.rtxPayloadTypes where from < 128 { c.rtxPayloadTypeMap[Int(from)] = to }
            c.rtxSSRC = cs.rtxSSRC
            track.consumers.append(c)
            list.append((c, track, p))
        }
        consumersByTransport[t.id] = list
        return nil
    }

    public func removePublisher(conferenceId: String, streamId: String) {
        guard let p = producers.removeValue(forKey: Self.key(conferenceId, streamId)) else { return }
        detachPipes(p)
        producerByTransport[p.transport.id] = nil
        closeTap(p)
        remove(p.transport)
        // Viewers of this stream lose their source: an RTCP BYE ends their
        // tracks (RFC 3550 §6.6), then their transports go too.
        var viewers: [PeerTransport] = []
        for track in p.tracks {
            for c in track.consumers where !viewers.contains(where: { $0 === c.transport }) { viewers.append(c.transport) }
        }
        for t in viewers {
            sendBye(t)
            remove(t)
        }
    }

    public func removeViewer(conferenceId: String, streamId: String, viewerId: String) {
        guard let t = transports.values.first(where: {
            $0.conferenceId == conferenceId && $0.role == .viewer(streamId: streamId, viewerId: viewerId)
        }) else { return }
        remove(t)
    }

    public func removeConference(_ conferenceId: String) {
        for t in transports.values where t.conferenceId == conferenceId { remove(t) }
        for (k, p) in producers where p.transport.conferenceId == conferenceId {
            detachPipes(p)
            producers[k] = nil
            producerByTransport[p.transport.id] = nil
            closeTap(p)
        }
    }

    func makeTransport(_ conf: String, _ endpoint: String, _ role: PeerTransport.Role, _ local: IceCredentials,
                       _ remoteUfrag: String?, _ fingerprints: [DTLSFingerprint], _ now: UInt64) -> PeerTransport? {
        guard let dtls = try? DTLSTransport(context: dtlsContext, role: .passive, expectedFingerprints: fingerprints, now: now) else { return nil }
        let id = nextTransportID
        nextTransportID += 1
        let agent = IceLiteAgent(local: local, remoteUfrag: remoteUfrag, now: MediaTime.duration(now))
        let t = PeerTransport(id: id, conferenceId: conf, endpointId: endpoint, role: role, ice: agent, localUfrag: local.ufrag, dtls: dtls)
        transports[id] = t
        _ = ufrags.insert(local.ufrag, session: id)
        return t
    }

    func remove(_ t: PeerTransport) {
        guard transports.removeValue(forKey: t.id) != nil else { return }
        for a in t.validated where byAddress[a] == t.id { byAddress[a] = nil }
        ufrags.removeSession(t.id)
        _ = t.dtls.close() // close_notify is best effort; the socket path may be gone
        if let list = consumersByTransport.removeValue(forKey: t.id) {
            for (c, track, _) in list { track.consumers.removeAll { $0 === c } }
        }
        if let p = producerByTransport.removeValue(forKey: t.id) {
            closeTap(p)
            for (k, v) in producers where v === p { producers[k] = nil }
            detachPipes(p)
        }
    }
}
