import DTLS
import Glibc
import RTPRouter

/// The steady workload of a `LoopbackConference`: what a publisher and its
/// viewers send during a call. Video (1200-byte VP8 packets with an
/// abs-send-time extension, a keyframe every 300 packets, one loss every 97
/// packets repaired by RTX 5 packets later), Opus audio every 20th packet,
/// sender reports, and from every viewer receiver reports, NACKs and PLIs.
extension LoopbackConference {
    public struct TrafficState {
        var iteration = 0
        var videoSeq: UInt16 = 1000
        var videoTs: UInt32 = 90000
        var audioSeq: UInt16 = 5000
        var audioTs: UInt32 = 48000
        var rtxSeq: UInt16 = 200
        var lost: (seq: UInt16, ts: UInt32, at: Int)?
        /// Publisher packets handed to the router, per kind.
        public var videoSent = 0, audioSent = 0, rtxSent = 0, rtcpSent = 0
        public init() {}
    }

    /// Sends `iterations` rounds of the workload (one video packet each,
    /// 1 ms of virtual time apart); viewers' sockets are drained every 8.
    public func runTraffic(_ state: inout TrafficState, iterations: Int, verify: Bool = true) {
        for _ in 0..<iterations {
            state.iteration += 1
            let i = state.iteration
            if i % 97 == 0 {
                state.lost = (state.videoSeq, state.videoTs, i + 5)
                state.videoSeq &+= 1 // this one never reaches the router
            }
            sendVideo(&state, seq: state.videoSeq, ts: state.videoTs, keyframe: i % 300 == 1, rtx: false)
            state.videoSeq &+= 1
            if i % 30 == 0 { state.videoTs &+= 3000 }
            if let l = state.lost, l.at == i {
                sendVideo(&state, seq: l.seq, ts: l.ts, keyframe: false, rtx: true)
                state.lost = nil
            }
            if i % 20 == 0 {
                sendAudio(&state)
            }
            if i % 100 == 0 {
                sendSenderReport(&state, ssrc: videoSSRC, rtp: state.videoTs)
                sendSenderReport(&state, ssrc: audioSSRC, rtp: state.audioTs)
            }
            for v in viewers.indices {
                if (i + 13 * v) % 250 == 0 { sendViewerRTCP(&state, v, kind: .receiverReport) }
                if (i + 29 * v) % 500 == 0 { sendViewerRTCP(&state, v, kind: .nack) }
            }
            if i % 2000 == 0 {
                sendViewerRTCP(&state, 0, kind: .pli)
                if viewers.count > 1 { sendViewerRTCP(&state, viewers.count - 1, kind: .pli) }
            }
            advance(1_000_000)
            if i % 8 == 0 { drain(verify: verify) }
        }
        drain(verify: verify)
    }

    private func sendVideo(_ s: inout TrafficState, seq: UInt16, ts: UInt32, keyframe: Bool, rtx: Bool) {
        guard let srtp = publisher.srtpOut else { return }
        let p = scratch
        let length = 1200
        var o = 12
        p.storeBytes(of: 0x90, toByteOffset: 0, as: UInt8.self) // V=2, X=1
        p.storeBytes(of: (rtx ? Self.videoRTXPT : Self.videoPT) | (s.iteration % 30 == 29 ? 0x80 : 0), toByteOffset: 1, as: UInt8.self)
        put16(p, 2, rtx ? s.rtxSeq : seq)
        put32(p, 4, ts)
        put32(p, 8, rtx ? rtxSSRC : videoSSRC)
        // RFC 8285 one-byte extension block: abs-send-time (3 bytes).
        put16(p, o, 0xBEDE); put16(p, o + 2, 1)
        p.storeBytes(of: Self.absSendTimeID << 4 | 2, toByteOffset: o + 4, as: UInt8.self)
        put16(p, o + 5, UInt16(truncatingIfNeeded: s.iteration)); p.storeBytes(of: 0, toByteOffset: o + 7, as: UInt8.self)
        o += 8
        if rtx { put16(p, o, seq); o += 2; s.rtxSeq &+= 1 } // OSN (RFC 4588)
        // VP8 payload descriptor (S=1, partition 0), then the payload header's P bit.
        p.storeBytes(of: 0x10, toByteOffset: o, as: UInt8.self)
        p.storeBytes(of: keyframe ? 0x00 : 0x01, toByteOffset: o + 1, as: UInt8.self)
        (p + o + 2).initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: seq), count: length - o - 2)
        guard let n = try? srtp.protectRTP(p, length: length, capacity: 2048) else { return }
        if rtx { s.rtxSent += 1 } else { s.videoSent += 1 }
        routerReceive(p, n, from: publisher)
    }

    private func sendAudio(_ s: inout TrafficState) {
        guard let srtp = publisher.srtpOut else { return }
        let p = scratch
        p.storeBytes(of: 0x80, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: Self.audioPT, toByteOffset: 1, as: UInt8.self)
        put16(p, 2, s.audioSeq); put32(p, 4, s.audioTs); put32(p, 8, audioSSRC)
        (p + 12).initializeMemory(as: UInt8.self, repeating: 0xF8, count: 100)
        s.audioSeq &+= 1
        s.audioTs &+= 960
        guard let n = try? srtp.protectRTP(p, length: 112, capacity: 2048) else { return }
        s.audioSent += 1
        routerReceive(p, n, from: publisher)
    }

    private func sendSenderReport(_ s: inout TrafficState, ssrc: UInt32, rtp: UInt32) {
        guard let srtp = publisher.srtpOut else { return }
        let p = scratch
        p.storeBytes(of: 0x80, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: 200, toByteOffset: 1, as: UInt8.self)
        put16(p, 2, 6)
        put32(p, 4, ssrc)
        let seconds = now / 1_000_000_000
        put32(p, 8, UInt32(truncatingIfNeeded: seconds + 2_208_988_800))
        put32(p, 12, UInt32(truncatingIfNeeded: (now % 1_000_000_000) << 32 / 1_000_000_000))
        put32(p, 16, rtp)
        put32(p, 20, UInt32(truncatingIfNeeded: s.videoSent)); put32(p, 24, UInt32(truncatingIfNeeded: s.videoSent * 1200))
        guard let n = try? srtp.protectRTCP(p, length: 28, capacity: 2048) else { return }
        s.rtcpSent += 1
        routerReceive(p, n, from: publisher)
    }

    enum ViewerRTCP { case receiverReport, nack, pli }

    /// Viewer `v` asks for a keyframe (RTCP PLI).
    public func viewerSendsPLI(_ v: Int) {
        var s = TrafficState()
        sendViewerRTCP(&s, v, kind: .pli)
    }

    private func sendViewerRTCP(_ s: inout TrafficState, _ v: Int, kind: ViewerRTCP) {
        let peer = viewers[v]
        guard let srtp = peer.srtpOut else { return }
        let p = scratch
        let sender = 0x5000_0000 + UInt32(v)
        let media = 0x2000_0000 + UInt32(v)
        let length: Int
        switch kind {
        case .receiverReport: // RR with one report block
            p.storeBytes(of: 0x81, toByteOffset: 0, as: UInt8.self)
            p.storeBytes(of: 201, toByteOffset: 1, as: UInt8.self)
            put16(p, 2, 7); put32(p, 4, sender); put32(p, 8, media)
            for k in stride(from: 12, to: 32, by: 4) { put32(p, k, 0) }
            put32(p, 16, UInt32(viewerLastVideoSeq[v]))
            length = 32
        case .nack: // Generic NACK for a packet 3 behind the newest one seen
            p.storeBytes(of: 0x81, toByteOffset: 0, as: UInt8.self)
            p.storeBytes(of: 205, toByteOffset: 1, as: UInt8.self)
            put16(p, 2, 3); put32(p, 4, sender); put32(p, 8, media)
            put16(p, 12, viewerLastVideoSeq[v] &- 3); put16(p, 14, 0b101) // and 2 more
            length = 16
        case .pli:
            p.storeBytes(of: 0x81, toByteOffset: 0, as: UInt8.self)
            p.storeBytes(of: 206, toByteOffset: 1, as: UInt8.self)
            put16(p, 2, 2); put32(p, 4, sender); put32(p, 8, media)
            length = 12
        }
        guard let n = try? srtp.protectRTCP(p, length: length, capacity: 2048) else { return }
        s.rtcpSent += 1
        routerReceive(p, n, from: peer)
    }

    /// Reads what the router sent to every peer; with `verify`, every
    /// viewer packet is unprotected with the viewer's keys and checked.
    public func drain(verify: Bool) {
        var none: [[UInt8]] = []
        publisher.receive(into: inbound, capacity: 2048, now: now, media: { p, n in
            publisherRTCP += 1
            // PLIs are sent alone (12 bytes): count them.
            if let m = try? publisher.srtpIn?.unprotectRTCP(p, length: n), m == 12,
               p.load(fromByteOffset: 1, as: UInt8.self) == 206, p.load(as: UInt8.self) & 0x1f == 1 {
                publisherPLIs += 1
            }
        }, toRouter: &none)
        for (v, peer) in viewers.enumerated() {
            peer.receive(into: inbound, capacity: 2048, now: now, media: { p, n in
                let pt = p.load(fromByteOffset: 1, as: UInt8.self)
                if pt >= 192 && pt <= 223 {
                    if verify { guard (try? peer.srtpIn?.unprotectRTCP(p, length: n)) != nil else { viewerFailures += 1; return } }
                    viewerRTCP[v] += 1
                    return
                }
                if verify {
                    guard let m = try? peer.srtpIn?.unprotectRTP(p, length: n), m >= 12 else { viewerFailures += 1; return }
                }
                // The RTP header is not encrypted: checked with or without `verify`.
                let ssrc = get32(p, 8)
                switch pt & 0x7f {
                case Self.viewerVideoPT where ssrc == 0x2000_0000 + UInt32(v):
                    let seq = get16(p, 2)
                    if Int16(bitPattern: seq &- viewerLastVideoSeq[v]) > 0 || viewerRTP[v] == 0 { viewerLastVideoSeq[v] = seq }
                case Self.viewerRTXPT where ssrc == 0x3000_0000 + UInt32(v):
                    viewerRTX[v] += 1
                case Self.audioPT where ssrc == 0x4000_0000 + UInt32(v):
                    break
                default:
                    viewerFailures += 1
                    return
                }
                viewerRTP[v] += 1
            }, toRouter: &none)
        }
    }
}

@inline(__always) func put16(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt16) {
    p.storeBytes(of: UInt8(v >> 8), toByteOffset: o, as: UInt8.self)
    p.storeBytes(of: UInt8(v & 0xff), toByteOffset: o + 1, as: UInt8.self)
}
@inline(__always) func put32(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt32) {
    put16(p, o, UInt16(v >> 16)); put16(p, o + 2, UInt16(v & 0xffff))
}
@inline(__always) func get16(_ p: UnsafeRawPointer, _ o: Int) -> UInt16 {
    UInt16(p.load(fromByteOffset: o, as: UInt8.self)) << 8 | UInt16(p.load(fromByteOffset: o + 1, as: UInt8.self))
}
@inline(__always) func get32(_ p: UnsafeRawPointer, _ o: Int) -> UInt32 {
    UInt32(get16(p, o)) << 16 | UInt32(get16(p, o + 2))
}
