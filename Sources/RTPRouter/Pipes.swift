import DTLS
import Handoff
import ICE
import RTP

/// The upstream end of a pipe producer, held by the downstream worker's
/// producer: the ring it drains, and how to ask the worker that owns the real
/// publisher for a keyframe (`RouterMedia`: that worker's mailbox).
public final class PipeUpstream: @unchecked Sendable {
    public let ring: PipeRing
    /// Asks the upstream worker for a keyframe of a track (index, force, the
    /// monotonic time of the request); called on the downstream worker when
    /// the pipe producer track's `KeyframeRequestThrottle` lets it through.
    let requestKeyframe: (Int, Bool, UInt64) -> Void

    public init(ring: PipeRing, requestKeyframe: @escaping (Int, Bool, UInt64) -> Void) {
        self.ring = ring
        self.requestKeyframe = requestKeyframe
    }
}

/// Spreading one conference over workers (issue 6): a producer received on
/// worker A is piped to worker B, where a "pipe producer" with the same
/// tracks feeds B's consumers as if the publisher were local. B keeps its own
/// NACK cache (answering its viewers' NACKs), translates sender reports from
/// the ones piped along, and sends keyframe requests back to A.
extension WorkerRouter {
    // MARK: Upstream side (the worker that receives the publisher)

    /// Starts copying the stream's packets and sender reports into `ring`.
    public func addPipe(conferenceId: String, streamId: String, ring: PipeRing) -> String? {
        guard let p = producers[Self.key(conferenceId, streamId)], p.upstream == nil else { return "stream \(streamId) is not published here" }
        p.pipes.append(ring)
        pipesOut.append(ring)
        // The downstream viewers need a keyframe to start.
        if let out = outbox {
            for track in p.tracks where track.isVideo { requestKeyframe(p, track, out, monotonicNow(), force: true) }
        }
        return nil
    }

    @inline(__always)
    func pushToPipes(_ p: Producer, _ trackIndex: Int, _ view: RTPPacketView, _ now: UInt64) {
        let rings = p.pipes
        var i = 0
        while i < rings.count {
            if !rings[i].push(track: trackIndex, rtp: view.pointer, length: view.length, arrival: now) { stats.pipeDropped &+= 1 }
            i += 1
        }
    }

    func pushSenderReport(_ p: Producer, _ trackIndex: Int, _ mapping: RTPTimeMapping, _ now: UInt64) {
        var i = 0
        while i < p.pipes.count {
            p.pipes[i].pushSenderReport(track: trackIndex, ntp: mapping.ntp.raw, rtpTimestamp: mapping.rtpTimestamp, arrival: now)
            i += 1
        }
    }

    /// Wakes the downstream workers of every ring written during this batch.
    public func endOfBatch() {
        var i = 0
        while i < pipesOut.count {
            pipesOut[i].signal()
            i += 1
        }
    }

    /// A downstream worker asks for a keyframe of track `trackIndex`.
    public func pipedKeyframeRequest(conferenceId: String, streamId: String, trackIndex: Int, force: Bool, now: UInt64) {
        guard let p = producers[Self.key(conferenceId, streamId)], trackIndex < p.tracks.count, let out = outbox else { return }
        requestKeyframe(p, p.tracks[trackIndex], out, now, force: force)
        out.flush()
    }

    // MARK: Downstream side (the worker whose viewers consume a remote publisher)

    /// Installs a pipe producer for a stream published on another worker.
    /// Viewers added afterwards with `addViewer` consume it like a local one.
    public func addPipeProducer(conferenceId: String, streamId: String, tracks published: PublishedTracks,
                                upstream: PipeUpstream, now: UInt64) -> String? {
        let key = Self.key(conferenceId, streamId)
        guard producers[key] == nil else { return "stream \(streamId) already has a producer on this worker" }
        // A transport that never connects: it names the conference for
        // removal and keeps the producer's shape; it is not in `transports`,
        // so it receives nothing and the timers never touch it.
        guard let dtls = try? DTLSTransport(context: dtlsContext, role: .passive,
                                            expectedFingerprints: [dtlsContext.certificate.fingerprint], now: now) else {
            return "cannot create the pipe transport"
        }
        let local = IceCredentials.random()
        let t = PeerTransport(id: -nextTransportID, conferenceId: conferenceId, endpointId: "pipe", role: .publisher(streamId: streamId),
                              ice: IceLiteAgent(local: local, remoteUfrag: nil, now: MediaTime.duration(now)), localUfrag: local.ufrag, dtls: dtls)
        nextTransportID += 1
        let p = Producer(transport: t, tracks: published.tracks.map { ProducerTrack(kind: $0.kind, codecs: $0.codecs, extensions: $0.extensions) },
                         maxBitrate: PublisherSpec.defaultMaxBitrate)
        p.upstream = upstream
        producers[key] = p
        pipesIn.append((upstream.ring, p))
        return nil
    }

    /// Forwards everything the upstream workers queued (called when a pipe's eventfd woke the worker).
    public func pipesReadable(out: Outbox, now: UInt64) {
        var i = 0
        while i < pipesIn.count {
            let (ring, p) = pipesIn[i]
            i += 1
            ring.drain { entry in
                guard entry.track < p.tracks.count else { return }
                let track = p.tracks[entry.track]
                switch entry.kind {
                case .senderReport:
                    track.lastSR = (RTPTimeMapping(ntp: NTPTimestamp(raw: entry.ntp), rtpTimestamp: entry.rtpTimestamp), entry.arrival)
                case .rtp:
                    receivePiped(p, track, entry.packet, entry.length, out, now)
                }
            }
        }
    }

    func receivePiped(_ p: Producer, _ track: ProducerTrack, _ packet: UnsafeMutableRawPointer, _ n: Int, _ out: Outbox, _ now: UInt64) {
        guard let view = try? RTPPacketView(validating: packet, length: n) else { stats.count(.malformedRTP); return }
        let ssrc = view.ssrc
        if track.ssrc != ssrc {
            // The upstream worker already chose the source; follow it.
            if track.ssrc != nil { takeOver(p, track, ssrc, out, now) } else { track.ssrc = ssrc }
        }
        track.packets &+= 1
        track.lastPacketAt = now
        stats.pipedIn &+= 1
        forward(p, track, view, out, now)
    }

    /// Unhooks a producer's rings (either side) when it goes away.
    func detachPipes(_ p: Producer) {
        if !p.pipes.isEmpty {
            for ring in p.pipes { pipesOut.removeAll { $0 === ring } }
            p.pipes.removeAll()
        }
        if p.upstream != nil {
            pipesIn.removeAll { $0.producer === p }
            p.upstream = nil
        }
    }
}
