// Test-side RTP packetization of real encoded frames, and a simulated
// network (jitter, reordering, loss, duplicates, late retransmissions).
import Foundation
@testable import Recorder

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

struct SimulatedPacket {
    var track: Int
    var bytes: [UInt8]
    var arrival: UInt64
}

enum RTPTestPacketizer {
    static func header(pt: UInt8, marker: Bool, seq: UInt16, ts: UInt32, ssrc: UInt32) -> [UInt8] {
        [0x80, (marker ? 0x80 : 0) | pt, UInt8(seq >> 8), UInt8(seq & 0xFF),
         UInt8(ts >> 24), UInt8((ts >> 16) & 0xFF), UInt8((ts >> 8) & 0xFF), UInt8(ts & 0xFF),
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
    }

    /// RFC 7741: 1-byte descriptor (S=1 on the first packet), ≤ 1000 bytes of frame per packet.
    static func vp8(_ frame: [UInt8], seq: inout UInt16, ts: UInt32, ssrc: UInt32) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var at = 0
        while at < frame.count {
            let n = min(1000, frame.count - at)
            let last = at + n == frame.count
            out.append(header(pt: 96, marker: last, seq: seq, ts: ts, ssrc: ssrc) + [at == 0 ? 0x10 : 0x00] + frame[at..<at + n])
            seq &+= 1
            at += n
        }
        return out
    }

    /// RFC 9628 non-flexible mode without layer indices: B on the first packet, E on the last,
    /// P = 0 on keyframes, which also carry an SS with the picture size.
    static func vp9(_ frame: [UInt8], seq: inout UInt16, ts: UInt32, ssrc: UInt32) -> [[UInt8]] {
        let key = MediaTools.isVP9Keyframe(frame)
        var out: [[UInt8]] = []
        var at = 0
        while at < frame.count {
            let n = min(1000, frame.count - at)
            let first = at == 0, last = at + n == frame.count
            var d: UInt8 = (key ? 0 : 0x40) | (first ? 0x08 : 0) | (last ? 0x04 : 0)
            var ss: [UInt8] = []
            if key && first { d |= 0x02; ss = [0x10, 0x01, 0x40, 0x00, 0xF0] }  // N_S=0 Y=1: 320 × 240
            out.append(header(pt: 98, marker: last, seq: seq, ts: ts, ssrc: ssrc) + [d] + ss + frame[at..<at + n])
            seq &+= 1
            at += n
        }
        return out
    }

    /// RFC 6184 packetization-mode 1 of one Annex B access unit: SPS+PPS in a
    /// STAP-A, NAL units ≤ 1000 bytes as single NAL packets, larger ones as FU-A.
    static func h264(_ accessUnit: [UInt8], seq: inout UInt16, ts: UInt32, ssrc: UInt32) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        var nals = AnnexB.nalUnits(accessUnit)
        let params = nals.filter { [7, 8].contains($0[0] & 0x1F) }
        if params.count == 2 {
            payloads.append([0x78] + params.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xFF)] + $0 })
            nals.removeAll { [7, 8].contains($0[0] & 0x1F) }
        }
        for nal in nals {
            if nal.count <= 1000 { payloads.append(nal); continue }
            var at = 1
            while at < nal.count {
                let n = min(1000, nal.count - at)
                let fuHeader = (at == 1 ? 0x80 : 0) | (at + n == nal.count ? 0x40 : 0) | (nal[0] & 0x1F)
                payloads.append([(nal[0] & 0xE0) | 28, fuHeader] + nal[at..<at + n])
                at += n
            }
        }
        return payloads.enumerated().map { i, p in
            defer { seq &+= 1 }
            return header(pt: 102, marker: i == payloads.count - 1, seq: seq, ts: ts, ssrc: ssrc) + p
        }
    }

    static func opus(_ packet: [UInt8], seq: inout UInt16, ts: UInt32, ssrc: UInt32) -> [UInt8] {
        defer { seq &+= 1 }
        return header(pt: 111, marker: false, seq: seq, ts: ts, ssrc: ssrc) + packet
    }

    /// Arrival = send time + 5…35 ms jitter (reorders neighbours); `loss` of
    /// packets vanish, `late` of them arrive 60–120 ms later (a NACK
    /// retransmission, within the jitter buffer's wait), `duplicate` twice.
    static func network(_ packets: [(track: Int, bytes: [UInt8], sendMs: Double)], rng: inout TestRandom,
                        loss: Double, late: Double, duplicate: Double, extraDelayMs: [Int: Double] = [:],
                        start: UInt64) -> (packets: [SimulatedPacket], lost: Int) {
        var out: [SimulatedPacket] = []
        var lost = 0
        for p in packets {
            let r = rng.unit()
            if r < loss { lost += 1; continue }
            var ms = p.sendMs + 5 + 30 * rng.unit() + (extraDelayMs[p.track] ?? 0)
            if r < loss + late { ms += 60 + 60 * rng.unit() }
            out.append(SimulatedPacket(track: p.track, bytes: p.bytes, arrival: start + UInt64(ms * 1_000_000)))
            if rng.unit() < duplicate {
                out.append(SimulatedPacket(track: p.track, bytes: p.bytes, arrival: start + UInt64((ms + 3) * 1_000_000)))
            }
        }
        out.sort { $0.arrival < $1.arrival }
        return (out, lost)
    }
}
