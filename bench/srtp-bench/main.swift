// SRTP protect/unprotect cost per 1200-byte RTP packet with Debian's libsrtp2,
// for both profiles, plus the cost of a full in-memory DTLS handshake.
// Run: swift run -c release srtp-bench [batch]   (prints one JSON object; batch = packets
// protected back to back before they are unprotected, default 64)
import DTLS
#if canImport(Glibc)
import Glibc
#endif

let batch = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 64
let rounds = 204_800 / batch
let packetLength = 1200
let stride = packetLength + SRTPSession.rtpHeadroom

func now() -> UInt64 { DTLSTransport.monotonicNow() }

func measure(_ profile: SRTPProfile) throws -> (protect: Double, unprotect: Double) {
    var material = [UInt8](repeating: 0, count: profile.keyingMaterialLength)
    for i in material.indices { material[i] = UInt8.random(in: 0...255) }
    let sender = SRTPKeys(profile: profile, keyingMaterial: material, isClient: true)!
    let receiver = SRTPKeys(profile: profile, keyingMaterial: material, isClient: false)!
    let tx = try SRTPSession(outbound: sender)
    let rx = try SRTPSession(inbound: receiver)

    let pool = UnsafeMutableRawPointer.allocate(byteCount: batch * stride, alignment: 64)
    defer { pool.deallocate() }
    var lengths = [Int](repeating: 0, count: batch)
    var seq: UInt16 = 0
    var protectNs: UInt64 = 0, unprotectNs: UInt64 = 0
    for round in 0..<(rounds + 1) {   // round 0 warms up
        for i in 0..<batch {
            let p = pool + i * stride
            memset(p, Int32(truncatingIfNeeded: i), packetLength)
            let header: [UInt8] = [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x10, 0, 0xCA, 0xFE, 0xBA, 0xBE]
            header.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: 12) }
            seq &+= 1
        }
        let t0 = now()
        for i in 0..<batch {
            lengths[i] = try tx.protectRTP(pool + i * stride, length: packetLength, capacity: stride)
        }
        let t1 = now()
        for i in 0..<batch {
            lengths[i] = try rx.unprotectRTP(pool + i * stride, length: lengths[i])
        }
        let t2 = now()
        precondition(lengths.allSatisfy { $0 == packetLength })
        if round > 0 { protectNs += t1 - t0; unprotectNs += t2 - t1 }
    }
    let packets = Double(batch * rounds)
    return (Double(protectNs) / packets, Double(unprotectNs) / packets)
}

func handshakeMilliseconds() throws -> Double {
    let sctx = try DTLSContext(certificate: DTLSCertificate())
    let cctx = try DTLSContext(certificate: DTLSCertificate())
    let count = 200
    var total: UInt64 = 0
    for _ in 0..<count {
        let t0 = now()
        let server = try DTLSTransport(context: sctx, role: .passive, expectedFingerprints: [cctx.certificate.fingerprint], now: t0)
        let client = try DTLSTransport(context: cctx, role: .active, expectedFingerprints: [sctx.certificate.fingerprint], now: t0)
        var toServer: [[UInt8]] = [], toClient: [[UInt8]] = []
        var done = 0
        func sends(_ actions: [DTLSAction], into queue: inout [[UInt8]]) {
            for a in actions {
                if case .send(let d) = a { queue.append(d) }
                if case .connected = a { done += 1 }
            }
        }
        sends(client.start(now: t0), into: &toServer)
        while done < 2 && !(toServer.isEmpty && toClient.isEmpty) {
            let s = toServer; toServer = []
            for d in s { sends(server.handleDatagram(d, now: now()), into: &toClient) }
            let c = toClient; toClient = []
            for d in c { sends(client.handleDatagram(d, now: now()), into: &toServer) }
        }
        precondition(done == 2, "handshake failed")
        total += now() - t0
    }
    return Double(total) / Double(count) / 1e6
}

let gcm = try measure(.aeadAES128GCM)
let cm = try measure(.aes128CMHmacSHA1_80)
let hs = try handshakeMilliseconds()
func r(_ x: Double) -> String { String(Double(Int(x * 10)) / 10) }
print("""
{"packetBytes":\(packetLength),"packets":\(batch * rounds),\
"AEAD_AES_128_GCM":{"protectNs":\(r(gcm.protect)),"unprotectNs":\(r(gcm.unprotect))},\
"AES_CM_128_HMAC_SHA1_80":{"protectNs":\(r(cm.protect)),"unprotectNs":\(r(cm.unprotect))},\
"dtlsHandshakeMs":\(String(Double(Int(hs * 100)) / 100))}
""")
