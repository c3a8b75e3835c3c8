import DTLS
import RTP

/// A publisher's RTP, from SRTP to every consumer: unprotect, parse once
/// into an `RTPPacketView`, unwrap RTX, pick the track (payload type) and
/// its source (SSRC), feed statistics, NACK generator, recorder tap and
/// pipes, then per consumer: keyframe gate, sequence/timestamp rewriting
/// (`SeqRewriter`/`TimestampRewriter`), the view's setters, protect, send.
extension WorkerRouter {
    func handleRTP(_ t: PeerTransport, _ packet: UnsafeMutableRawPointer, _ length: Int, _ out: Outbox, _ now: UInt64) {
        guard let p = producerByTransport[t.id], let srtp = t.srtpIn else { stats.count(.notFromPublisher); return }
        let unprotected: Int
        do { unprotected = try srtp.unprotectRTP(packet, length: length) } catch {
            t.srtpErrors &+= 1
            stats.srtpErrors &+= 1
            stats.count(.srtpRejected)
            return
        }
        stats.rtpIn &+= 1
        guard var view = try? RTPPacketView(validating: packet, length: unprotected) else { stats.count(.malformedRTP); return }
        var ti = Int(p.trackByPayloadType[Int(view.payloadType)])
        if ti < 0 {
            // RFC 4588: a retransmission we asked for (or a padding probe) on the RTX stream.
            let ri = Int(p.trackByRTXPayloadType[Int(view.payloadType)])
            guard ri >= 0 else { stats.count(.unknownPayloadType); return }
            guard let unwrapped = unwrapRTX(view, p.tracks[ri]) else { stats.count(.malformedRTX); return }
            view = unwrapped
            ti = ri
            stats.rtxReceived &+= 1
        }
        let track = p.tracks[ti]
        let ssrc = view.ssrc
        if track.ssrc != ssrc {
            // One source per track: another SSRC on the same payload type (a
            // second simulcast encoding) is ignored while the current one is alive;
            // after a silence the new SSRC takes over (a restarted source).
            if track.ssrc != nil {
                if now &- track.lastPacketAt < RouterTiming.sourceTakeoverSilence { stats.count(.competingSource); return }
                takeOver(p, track, ssrc, out, now)
            } else {
                track.ssrc = ssrc
            }
        }
        track.packets &+= 1
        track.lastPacketAt = now
        if let tap = p.recorderTap { tap.push(track: ti, rtp: view.pointer, length: view.length, arrival: now) }
        let arrival = MediaTime.microseconds(now)
        _ = track.receive.received(sequenceNumber: view.sequenceNumber, rtpTimestamp: view.timestamp, arrival: arrival, bytes: view.length)
        if let nack = track.nack, nack.received(view.sequenceNumber) == .recovered { stats.nackRecovered &+= 1 }
        if !p.pipes.isEmpty { pushToPipes(p, ti, view, now) }
        forward(p, track, view, out, now)
    }

    /// The media packet inside an RTX packet of `track`, unwrapped in place.
    func unwrapRTX(_ rtx: RTPPacketView, _ track: ProducerTrack) -> RTPPacketView? {
        let apt = track.aptByRTX[Int(rtx.payloadType)]
        guard apt >= 0, let mediaSSRC = track.ssrc,
              let (offset, length) = RTX.decapsulate(rtx, payloadType: UInt8(apt), ssrc: mediaSSRC) else { return nil }
        return try? RTPPacketView(validating: rtx.pointer + offset, length: length)
    }

    /// A new SSRC replaces a silent one on `track` (the publisher restarted
    /// its source): statistics and cache start over, and video consumers
    /// wait for the new source's keyframe, which is asked for at once.
    func takeOver(_ p: Producer, _ track: ProducerTrack, _ ssrc: UInt32, _ out: Outbox, _ now: UInt64) {
        track.restartSource(ssrc)
        guard track.isVideo else { return }
        var ci = 0
        while ci < track.consumers.count {
            track.consumers[ci].waitingForKeyframe = true
            ci += 1
        }
        requestKeyframe(p, track, out, now, force: true)
    }

    /// Fans one publisher packet (decrypted, RTX unwrapped) out to the
    /// consumers of `track` on this worker: caches it for NACKs, gates on
    /// keyframes, rewrites and protects it per consumer. Packets piped from
    /// another worker enter here too.
    func forward(_ p: Producer, _ track: ProducerTrack, _ view: RTPPacketView, _ out: Outbox, _ now: UInt64) {
        if let cache = track.cache { cache.store(view, now: MediaTime.microseconds(now)) }
        let keyframe = track.isKeyframe(view)
        // Padding-only packets (bandwidth probes) are not forwarded: each
        // consumer's SeqRewriter closes the gap, so viewers see no loss.
        let paddingOnly = view.payloadLength == 0
        let seq = view.sequenceNumber
        let ssrc = view.ssrc
        let arrival = MediaTime.microseconds(now)
        // Index loops, not `for in`: a generic iterator costs a coroutine frame
        // (a malloc) per element in unoptimized builds, and retains each element.
        let consumers = track.consumers
        var ci = 0
        while ci < consumers.count {
            let c = consumers[ci]
            ci += 1
            guard c.transport.isConnected else { continue }
            if c.waitingForKeyframe {
                if !keyframe || paddingOnly {
                    stats.count(.awaitingKeyframe)
                    if c.keyframeAsks.allow(now: now, force: false) { requestKeyframe(p, track, out, now, force: false) }
                    continue
                }
                c.waitingForKeyframe = false
            }
            if c.lastSourceSSRC != ssrc { c.follow(source: ssrc, nextSequenceNumber: seq) }
            if paddingOnly {
                c.sequenceNumbers.drop(seq)
                stats.count(.paddingOnly)
                continue
            }
            guard let outSeq = c.sequenceNumbers.input(seq) else { stats.count(.staleSequence); continue }
            let outTimestamp = c.timestamps.output(view.timestamp, now: arrival)
            if send(view, sequenceNumber: outSeq, timestamp: outTimestamp, to: c, out) {
                c.sent.record(output: outSeq, input: seq)
                c.started = true
                c.packetsSent &+= 1
                c.octetsSent &+= UInt64(view.payloadLength)
                stats.rtpOut &+= 1
            }
        }
    }

    /// Copies a publisher packet into a send slot, rewrites it for consumer
    /// `c` through the view's setters (payload type, sequence number,
    /// timestamp, SSRC, extension ids), protects it with the viewer's
    /// session and queues it.
    @inline(__always)
    func send(_ source: RTPPacketView, sequenceNumber: UInt16, timestamp: UInt32, to c: Consumer, _ out: Outbox) -> Bool {
        let vt = c.transport
        guard let srtp = vt.srtpOut, let path = vt.path else { return false }
        let viewerPT = c.payloadTypeMap[Int(source.payloadType)]
        guard viewerPT != 0xff else { stats.count(.payloadTypeNotNegotiated); return false }
        let slot = out.reserve()
        slot.copyMemory(from: source.pointer, byteCount: source.length)
        let view = source.relocated(to: slot)
        view.payloadType = viewerPT
        view.sequenceNumber = sequenceNumber
        view.timestamp = timestamp
        view.ssrc = c.ssrc
        if view.hasExtension { view.rewriteExtensionIDs(c.extensionMap) }
        let protected: Int
        do { protected = try srtp.protectRTP(slot, length: view.length, capacity: PacketPool.slotSize) } catch { vt.srtpErrors &+= 1; return false }
        out.commit(length: protected, to: path)
        vt.packetsOut &+= 1
        return true
    }

    /// Re-sends a cached packet to viewer `c` on its RTX stream (RFC 4588):
    /// RTX SSRC, RTX payload type and sequence number, the viewer-space
    /// original sequence number (OSN) in front of the payload.
    func sendRTX(_ original: RTPPacketView, to c: Consumer, rtxSSRC: UInt32, viewerSeq: UInt16, _ out: Outbox) -> Bool {
        let vt = c.transport
        guard let srtp = vt.srtpOut, let path = vt.path else { return false }
        let rtxPT = c.rtxPayloadTypeMap[Int(original.payloadType)]
        guard rtxPT != 0xff else { return false }
        let slot = out.reserve()
        guard let n = RTX.encapsulate(original, into: slot, capacity: RouterLimits.cachedPacketSize, ssrc: rtxSSRC, payloadType: rtxPT,
                                      sequenceNumber: c.rtxSeq, originalSequenceNumber: viewerSeq),
              let view = try? RTPPacketView(validating: slot, length: n) else { return false }
        c.rtxSeq &+= 1
        view.timestamp = c.timestamps.translate(original.timestamp)
        if view.hasExtension { view.rewriteExtensionIDs(c.extensionMap) }
        guard let protected = try? srtp.protectRTP(slot, length: n, capacity: PacketPool.slotSize) else { return false }
        out.commit(length: protected, to: path)
        return true
    }
}
