import DTLS
import RTP

/// RTCP the router originates (docs/RTCP.md), every packet built by the RTP
/// module's serializers into a send slot, then protected: NACKs and
/// receiver reports + REMB to publishers, translated sender reports and BYE
/// to viewers.
extension WorkerRouter {
    /// Builds one RTCP packet with `write` in a send slot, protects it for
    /// `t` and queues it. False when `t` has no keys or path, or `write` fails.
    @inline(__always)
    func sendRTCP(to t: PeerTransport, _ out: Outbox,
                  _ write: (UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int) -> Bool {
        guard let srtp = t.srtpOut, let path = t.path else { return false }
        let slot = out.reserve()
        let buffer = UnsafeMutableRawBufferPointer(start: slot, count: PacketPool.slotSize - SRTPSession.rtcpHeadroom)
        guard let length = try? write(buffer), length > 0,
              let protected = try? srtp.protectRTCP(slot, length: length, capacity: PacketPool.slotSize) else { return false }
        out.commit(length: protected, to: path)
        return true
    }

    /// Generic NACKs (RFC 4585 §6.2.1) toward publishers for video packets
    /// lost on their leg, as the NACK generator schedules them.
    func sendPublisherNACKs(_ out: Outbox, _ now: UInt64) {
        let arrival = MediaTime.microseconds(now)
        for p in producers.values {
            let t = p.transport
            guard t.isConnected else { continue }
            var ti = 0
            while ti < p.tracks.count {
                let track = p.tracks[ti]
                ti += 1
                guard let nack = track.nack, let media = track.ssrc, nack.count > 0 else { continue }
                let n = nack.tick(now: arrival, rtt: nil, into: nackScratch)
                if n == 0 { continue }
                let lost = UnsafeBufferPointer(rebasing: nackScratch[0..<n])
                if sendRTCP(to: t, out, { buffer throws(RTCPError) in
                    try GenericNACK.serialize(senderSSRC: feedbackSSRC, mediaSSRC: media, lost: lost, into: buffer)
                }) {
                    stats.nackSent &+= UInt64(n)
                }
            }
        }
    }

    /// Receiver reports and a REMB to every publisher (every 500 ms): the
    /// reports let the browser's loss-based estimate grow, the REMB caps it
    /// at the stream's bitrate (`videoBitrate`).
    func sendPublisherFeedback(_ out: Outbox, _ now: UInt64) {
        let ssrcs = rembScratch
        let arrival = MediaTime.microseconds(now)
        for p in producers.values where p.transport.isConnected {
            _ = sendRTCP(to: p.transport, out) { buffer throws(RTCPError) in
                var writer = RTCPWriter(buffer)
                var videoCount = 0
                var ti = 0
                while ti < p.tracks.count {
                    let track = p.tracks[ti]
                    ti += 1
                    guard let ssrc = track.ssrc else { continue }
                    let block = track.receive.makeReport(ssrc: ssrc, now: arrival)
                    writer.advance(by: try ReceiverReport.serialize(ssrc: feedbackSSRC, report: block, into: writer.remaining))
                    if track.isVideo && videoCount < ssrcs.count { ssrcs[videoCount] = ssrc; videoCount += 1 }
                }
                if writer.count == 0 { return 0 } // nothing received yet
                if videoCount > 0 {
                    writer.advance(by: try REMB.serialize(senderSSRC: feedbackSSRC, bitrate: p.maxBitrate,
                                                          ssrcs: UnsafeBufferPointer(start: ssrcs.baseAddress, count: videoCount),
                                                          into: writer.remaining))
                }
                return writer.count
            }
        }
    }

    /// RTCP BYE (RFC 3550 §6.6) for every consumer SSRC of viewer transport `t`: its tracks end.
    func sendBye(_ t: PeerTransport) {
        guard let out = outbox, t.failure == nil, let list = consumersByTransport[t.id], !list.isEmpty else { return }
        let bye = Goodbye(ssrcs: list.map { $0.0.ssrc })
        _ = sendRTCP(to: t, out) { buffer throws(RTCPError) in try bye.serialize(into: buffer) }
    }

    /// Sender reports to viewers (every report interval), translated from
    /// the publisher's: its NTP↔RTP pair carried forward to now, the RTP
    /// time mapped into the consumer's timestamp space, so that browsers
    /// keep audio and video in sync (RFC 3550 §6.4.1).
    func sendSenderReports(_ out: Outbox, _ now: UInt64) {
        for (tid, list) in consumersByTransport {
            guard let t = transports[tid], t.isConnected else { continue }
            var i = 0
            while i < list.count {
                let (c, track, _) = list[i]
                i += 1
                guard c.started, let sr = track.lastSR else { continue }
                let ntp = sr.mapping.ntp.adding(microseconds: (now &- sr.at) / 1000)
                let rtp = c.timestamps.translate(sr.mapping.rtp(at: ntp, clockRate: track.clockRate))
                let packets = UInt32(truncatingIfNeeded: c.packetsSent), octets = UInt32(truncatingIfNeeded: c.octetsSent)
                _ = sendRTCP(to: t, out) { buffer throws(RTCPError) in
                    try SenderReport.serialize(ssrc: c.ssrc, ntp: ntp, rtpTimestamp: rtp, packetCount: packets,
                                               octetCount: octets, report: nil, into: buffer)
                }
            }
        }
    }
}
