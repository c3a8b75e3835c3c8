import DTLS
import Handoff
import RTP

/// RTCP that arrives (RFC 3550 §6, RFC 4585): unprotected, read packet by
/// packet with the RTP module's `RTCPCompoundReader` and acted on by type —
/// a publisher's SR (kept for lip sync, handed to the recorder and pipes), a
/// viewer's NACK (answered from the track's cache, as RTX when negotiated),
/// a viewer's PLI/FIR (a throttled, de-duplicated PLI to the publisher).
/// Everything else is terminated here (docs/RTCP.md).
extension WorkerRouter {
    func handleRTCP(_ t: PeerTransport, _ packet: UnsafeMutableRawPointer, _ length: Int, _ out: Outbox, _ now: UInt64) {
        guard let srtp = t.srtpIn else { return }
        let n: Int
        do { n = try srtp.unprotectRTCP(packet, length: length) } catch {
            t.srtpErrors &+= 1
            stats.srtpErrors &+= 1
            stats.count(.srtpRejected)
            return
        }
        var reader = RTCPCompoundReader(pointer: packet, length: n)
        while true {
            let next: RTCPPacket?
            do { next = try reader.next() } catch { stats.count(.malformedRTCP); return }
            guard let rtcp = next else { return }
            switch rtcp {
            case .senderReport(let sr):
                if let p = producerByTransport[t.id] { senderReportReceived(sr, from: p, now) }
            case .genericNACK(let nack):
                if let (c, track) = consumer(of: t, ssrc: nack.mediaSSRC) { answerNACK(nack, c, track, out, now) }
            case .pictureLossIndication(let pli):
                keyframeRequested(by: t, mediaSSRC: pli.mediaSSRC, out, now)
            case .fullIntraRequest:
                keyframeRequested(by: t, mediaSSRC: nil, out, now)
            case .receiverReport, .sourceDescription, .goodbye, .transportCC, .remb, .other:
                break // terminated here (docs/RTCP.md)
            }
        }
    }

    /// A publisher's SR: its NTP↔RTP pair translates the SRs we send viewers.
    func senderReportReceived(_ sr: SenderReportView, from p: Producer, _ now: UInt64) {
        guard let ti = p.trackIndex(ssrc: sr.ssrc) else { return }
        let track = p.tracks[ti]
        let mapping = RTPTimeMapping(ntp: sr.ntp, rtpTimestamp: sr.rtpTimestamp)
        track.lastSR = (mapping, now)
        if let tap = p.recorderTap { tap.pushSenderReport(track: ti, ntp: sr.ntp.raw, rtpTimestamp: sr.rtpTimestamp, arrival: now) }
        if !p.pipes.isEmpty { pushSenderReport(p, ti, mapping, now) }
        track.receive.senderReportReceived(ntp: sr.ntp, arrival: MediaTime.microseconds(now))
    }

    /// The consumer of viewer transport `t` that sends as `ssrc`.
    func consumer(of t: PeerTransport, ssrc: UInt32) -> (Consumer, ProducerTrack)? {
        guard let list = consumersByTransport[t.id] else { return nil }
        var i = 0
        while i < list.count {
            let (c, track, _) = list[i]
            i += 1
            if c.ssrc == ssrc { return (c, track) }
        }
        return nil
    }

    /// A viewer's PLI (for the consumer sending as `mediaSSRC`) or FIR (nil:
    /// every video consumer of the viewer).
    func keyframeRequested(by t: PeerTransport, mediaSSRC: UInt32?, _ out: Outbox, _ now: UInt64) {
        guard let list = consumersByTransport[t.id] else { return }
        // Index loops, not `contains(where:)`: a generic iterator mallocs per element in unoptimized builds.
        var named = false
        var i = 0
        while let ssrc = mediaSSRC, !named, i < list.count {
            named = list[i].0.ssrc == ssrc
            i += 1
        }
        i = 0
        while i < list.count {
            let (c, track, p) = list[i]
            i += 1
            guard track.isVideo, !named || c.ssrc == mediaSSRC else { continue }
            requestKeyframe(p, track, out, now, force: false)
        }
    }

    /// Sends a PLI (RFC 4585 §6.3.1) for `track` to its publisher — or, for
    /// a pipe producer, asks the upstream worker — unless the track's
    /// `KeyframeRequestThrottle` says one went out just now.
    func requestKeyframe(_ p: Producer, _ track: ProducerTrack, _ out: Outbox, _ now: UInt64, force: Bool) {
        if let upstream = p.upstream {
            guard let ti = p.index(of: track), track.keyframeRequests.allow(now: now, force: force) else { return }
            upstream.requestKeyframe(ti, force, now)
            return
        }
        guard let media = track.ssrc, p.transport.isConnected, track.keyframeRequests.allow(now: now, force: force) else { return }
        let pli = PictureLossIndication(senderSSRC: feedbackSSRC, mediaSSRC: media)
        if sendRTCP(to: p.transport, out, { buffer throws(RTCPError) in try pli.serialize(into: buffer) }) {
            stats.keyframeRequests &+= 1
        }
    }

    /// Answers a viewer's NACK (RFC 4585 §6.2.1; numbers in the viewer's
    /// space) from the producer track's packet cache: as RTX when the viewer
    /// negotiated it, otherwise re-sent as it was (same sequence number; the
    /// outbound SRTP session allows repeated protection).
    func answerNACK(_ nack: GenericNACKView, _ c: Consumer, _ track: ProducerTrack, _ out: Outbox, _ now: UInt64) {
        guard let cache = track.cache else { return }
        let arrival = MediaTime.microseconds(now)
        var i = 0
        while i < nack.itemCount {
            nack.item(at: i).forEachLost { viewerSeq in
                guard let source = c.sent.input(forOutput: viewerSeq),
                      let original = cache.packet(sequenceNumber: source, now: arrival) else { stats.nackMissed &+= 1; return }
                let sent: Bool
                if let rtxSSRC = c.rtxSSRC {
                    sent = sendRTX(original, to: c, rtxSSRC: rtxSSRC, viewerSeq: viewerSeq, out)
                } else {
                    sent = send(original, sequenceNumber: viewerSeq, timestamp: c.timestamps.translate(original.timestamp), to: c, out)
                }
                if sent { stats.nackResent &+= 1 } else { stats.nackMissed &+= 1 }
            }
            i += 1
        }
    }
}
