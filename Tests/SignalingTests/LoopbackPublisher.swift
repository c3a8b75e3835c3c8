// A minimal WebRTC peer for in-process tests of the real media stack:
// an SDP offer (one Opus m-line, sendonly or recvonly), an ICE binding
// request with USE-CANDIDATE (controlling), a DTLS client handshake over a
// UDP socket on 127.0.0.1, then SRTP-protected RTP out or in. Just enough of
// a browser to publish or view audio.
import DTLS
import Foundation
import Glibc
import Handoff
import ICE
import SDP

final class LoopbackPublisher {
    let fd: Int32
    let ufrag = "pub" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let pwd = (0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! }.map(String.init).joined()
    let certificate: DTLSCertificate
    let ssrc = UInt32.random(in: 1...UInt32.max)
    /// Publishes (sendonly) or views (recvonly).
    let sending: Bool
    var srtp: SRTPSession?
    var srtpIn: SRTPSession?
    var seq = UInt16.random(in: 0...1000)
    var timestamp = UInt32.random(in: 0...100_000)
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)

    /// One VP8 m-line (payload type 96) instead of Opus.
    let video: Bool

    init(sending: Bool = true, video: Bool = false) throws {
        self.sending = sending
        self.video = video
        certificate = try DTLSCertificate(commonName: "publisher")
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var tv = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    var offer: String {
        let fp = certificate.fingerprint
        return """
        v=0\r
        o=- 4611731400430051336 2 IN IP4 127.0.0.1\r
        s=-\r
        t=0 0\r
        a=group:BUNDLE 0\r
        \(video ? "m=video 9 UDP/TLS/RTP/SAVPF 96" : "m=audio 9 UDP/TLS/RTP/SAVPF 111")\r
        c=IN IP4 0.0.0.0\r
        a=rtcp:9 IN IP4 0.0.0.0\r
        a=ice-ufrag:\(ufrag)\r
        a=ice-pwd:\(pwd)\r
        a=fingerprint:\(fp.algorithm.rawValue) \(fp.hex)\r
        a=setup:actpass\r
        a=mid:0\r
        a=\(sending ? "sendonly" : "recvonly")\r
        a=rtcp-mux\r
        \(video ? "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli" : "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1")\r
        """ + "\n" + (sending ? "a=msid:pub track0\r\na=ssrc:\(ssrc) cname:publisher\r\n" : "")
    }

    /// ICE (one nominating binding request) and DTLS (client) toward the
    /// answer's port on 127.0.0.1; returns once SRTP keys are derived.
    func connect(answer: String, port: UInt16) throws {
        let sdp = try SessionDescription.parse(answer)
        let t = sdp.transport(forMediaAt: 0)
        guard let serverUfrag = t.iceUfrag, let serverPwd = t.icePwd,
              let fp = t.fingerprints.first, let alg = DTLSFingerprint.Algorithm(rawValue: fp.hashFunction.lowercased()),
              let expected = DTLSFingerprint(algorithm: alg, bytes: fp.bytes) else {
            throw POSIXError(.EINVAL)
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }

        // ICE: binding requests until a success response.
        let request = StunMessage(type: .bindingRequest, transactionID: .random(), attributes: [
            .username("\(serverUfrag):\(ufrag)"), .priority(0x6e00_1eff), .iceControlling(0x1234_5678), .useCandidate,
        ]).serialized(integrityKey: Array(serverPwd.utf8), fingerprint: true)
        var bound = false
        for _ in 0..<40 where !bound {
            send(request)
            while let d = receive(), let b = d.first, b < 4 {
                if let m = try? StunMessage.parse(d), m.type == StunMessageType.bindingSuccess { bound = true }
            }
        }
        guard bound else { throw POSIXError(.ETIMEDOUT) }

        // DTLS client.
        let dtls = try DTLSTransport(context: try DTLSContext(certificate: certificate), role: .active,
                                     expectedFingerprints: [expected], now: DTLSTransport.monotonicNow())
        var keys: SRTPKeys?
        func apply(_ actions: [DTLSAction]) throws {
            for a in actions {
                switch a {
                case .send(let bytes): send(bytes)
                case .connected(let k): keys = k
                case .failed(let f): throw POSIXError(.EPROTO, userInfo: ["reason": f.description])
                case .closed: throw POSIXError(.ECONNRESET)
                }
            }
        }
        try apply(dtls.start(now: DTLSTransport.monotonicNow()))
        let deadline = DTLSTransport.monotonicNow() + 10_000_000_000
        while keys == nil && DTLSTransport.monotonicNow() < deadline {
            if let d = receive(), let b = d.first, b >= 20 && b <= 63 {
                try apply(dtls.handleDatagram(d, now: DTLSTransport.monotonicNow()))
            } else if let timeout = dtls.nextTimeout, timeout <= DTLSTransport.monotonicNow() {
                try apply(dtls.handleTimeout(now: DTLSTransport.monotonicNow()))
            }
        }
        guard let keys else { throw POSIXError(.ETIMEDOUT) }
        srtp = try SRTPSession(outbound: keys)
        srtpIn = try SRTPSession(inbound: keys)
    }

    /// Receives RTP (RTCP ignored) until `count` packets arrived or `seconds`
    /// passed; returns their arrival times (monotonic ns).
    func receiveRTP(count: Int, seconds: Double) -> [UInt64] {
        var arrivals: [UInt64] = []
        let deadline = DTLSTransport.monotonicNow() + UInt64(seconds * 1e9)
        while arrivals.count < count && DTLSTransport.monotonicNow() < deadline {
            let n = recv(fd, buffer, 2048, 0)
            guard n >= 12, let srtpIn else { continue }
            let pt = buffer.load(fromByteOffset: 1, as: UInt8.self)
            if pt >= 192 && pt <= 223 { continue } // RTCP
            if (try? srtpIn.unprotectRTP(buffer, length: n)) != nil { arrivals.append(DTLSTransport.monotonicNow()) }
        }
        return arrivals
    }

    /// Sends one Opus packet (20 ms) as SRTP.
    func sendOpus(_ payload: [UInt8]) throws { try sendRTP(payloadType: 111, payload, timestampStep: 960) }

    /// Sends one RTP packet as SRTP and advances seq and timestamp.
    func sendRTP(payloadType: UInt8, _ payload: [UInt8], timestampStep: UInt32) throws {
        guard let srtp else { throw POSIXError(.ENOTCONN) }
        let header: [UInt8] = [0x80, payloadType, UInt8(seq >> 8), UInt8(seq & 0xff),
                               UInt8(timestamp >> 24), UInt8(timestamp >> 16 & 0xff), UInt8(timestamp >> 8 & 0xff), UInt8(timestamp & 0xff),
                               UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xff), UInt8(ssrc >> 8 & 0xff), UInt8(ssrc & 0xff)]
        let packet = header + payload
        packet.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let n = try srtp.protectRTP(buffer, length: packet.count, capacity: 2048)
        _ = Glibc.send(fd, buffer, n, 0)
        seq &+= 1
        timestamp &+= timestampStep
    }

    /// Reads RTCP for up to `seconds`; true once a PLI (RFC 4585 §6.3.1) for our SSRC arrived.
    func receivePLI(seconds: Double) -> Bool {
        let deadline = DTLSTransport.monotonicNow() + UInt64(seconds * 1e9)
        while DTLSTransport.monotonicNow() < deadline {
            let n = recv(fd, buffer, 2048, 0)
            guard n >= 12, let srtpIn, buffer.load(fromByteOffset: 1, as: UInt8.self) >= 192,
                  let m = try? srtpIn.unprotectRTCP(buffer, length: n) else { continue }
            var o = 0
            while o + 12 <= m {
                let b0 = buffer.load(fromByteOffset: o, as: UInt8.self)
                let pt = buffer.load(fromByteOffset: o + 1, as: UInt8.self)
                let words = Int(buffer.load(fromByteOffset: o + 2, as: UInt8.self)) << 8 | Int(buffer.load(fromByteOffset: o + 3, as: UInt8.self))
                let media = (8..<12).reduce(UInt32(0)) { $0 << 8 | UInt32(buffer.load(fromByteOffset: o + $1, as: UInt8.self)) }
                if pt == 206 && b0 & 0x1f == 1 && media == ssrc { return true }
                o += 4 * (words + 1)
            }
        }
        return false
    }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }

    func receive() -> [UInt8]? {
        var b = [UInt8](repeating: 0, count: 2048)
        let n = recv(fd, &b, b.count, 0)
        return n > 0 ? Array(b[0..<n]) : nil
    }
}
