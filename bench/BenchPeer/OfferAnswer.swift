import DTLS
import ICE
import SDP

/// What one emulated peer sends or receives: audio (Opus), video (VP8) or both.
public struct MediaKinds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let audio = MediaKinds(rawValue: 1)
    public static let video = MediaKinds(rawValue: 2)
    public static let both: MediaKinds = [.audio, .video]

    /// The Conference API's `conferenceStreamType` for a publisher of these kinds.
    public var streamType: String { self == .both ? "MIC_AND_CAM" : self == .audio ? "MIC" : "CAM" }
}

/// Payload types and SSRCs the benchmark uses in its offers (Chrome's numbers).
public enum BenchCodecs {
    public static let opusPT: UInt8 = 111
    public static let vp8PT: UInt8 = 96
}

/// Writes the benchmark's SDP offers, the way a browser would: BUNDLE,
/// rtcp-mux, `a=setup:actpass`, our ICE credentials and certificate
/// fingerprint, no candidates (the server is ICE-lite and learns our
/// address from our checks). Publishers send Opus/VP8 with `a=ssrc`;
/// viewers offer recvonly with NACK and PLI.
public enum OfferWriter {
    public static func offer(kinds: MediaKinds, sending: Bool, ice: IceCredentials, fingerprint: DTLSFingerprint,
                             audioSSRC: UInt32 = 0, videoSSRC: UInt32 = 0, sessionID: UInt64 = 1) -> String {
        var mids: [String] = []
        var media = ""
        let direction = sending ? "sendonly" : "recvonly"
        func common(_ mid: String) -> String {
            "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:\(ice.ufrag)\r\na=ice-pwd:\(ice.password)\r\n"
                + "a=fingerprint:\(fingerprint.sdpValue)\r\na=setup:actpass\r\na=mid:\(mid)\r\n"
                + "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=\(direction)\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
        }
        if kinds.contains(.audio) {
            let mid = String(mids.count)
            mids.append(mid)
            media += "m=audio 9 UDP/TLS/RTP/SAVPF \(BenchCodecs.opusPT)\r\n" + common(mid)
                + "a=rtpmap:\(BenchCodecs.opusPT) opus/48000/2\r\na=fmtp:\(BenchCodecs.opusPT) minptime=10;useinbandfec=1\r\n"
            if sending { media += "a=msid:bench audio\r\na=ssrc:\(audioSSRC) cname:sfu-bench\r\n" }
        }
        if kinds.contains(.video) {
            let mid = String(mids.count)
            mids.append(mid)
            let pt = BenchCodecs.vp8PT
            media += "m=video 9 UDP/TLS/RTP/SAVPF \(pt)\r\n" + common(mid)
                + "a=rtpmap:\(pt) VP8/90000\r\na=rtcp-fb:\(pt) nack\r\na=rtcp-fb:\(pt) nack pli\r\na=rtcp-fb:\(pt) ccm fir\r\na=rtcp-fb:\(pt) goog-remb\r\n"
            if sending { media += "a=msid:bench video\r\na=ssrc:\(videoSSRC) cname:sfu-bench\r\n" }
        }
        return "v=0\r\no=- \(sessionID) 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE \(mids.joined(separator: " "))\r\n"
            + "a=msid-semantic: WMS bench\r\n" + media
    }
}

/// Why the server's answer cannot be used.
public enum AnswerError: Error, Equatable, CustomStringConvertible {
    case unparsable(String)
    case noMedia
    case missingICECredentials
    case missingFingerprint
    case badSetup(String)
    case noUDPCandidate
    case rejected(kind: String)

    public var description: String {
        switch self {
        case .unparsable(let s): return "answer is not valid SDP: \(s)"
        case .noMedia: return "answer has no m-line"
        case .missingICECredentials: return "answer has no ice-ufrag/ice-pwd"
        case .missingFingerprint: return "answer has no usable a=fingerprint"
        case .badSetup(let s): return "answer's a=setup is \(s), expected passive"
        case .noUDPCandidate: return "answer has no UDP host candidate"
        case .rejected(let k): return "answer rejected the \(k) m-line"
        }
    }
}

/// What the benchmark needs from the server's answer: where to send, the
/// ICE credentials for checks, the certificate fingerprint to verify in DTLS,
/// and the payload types the server will use towards us.
public struct AnswerInfo: Equatable {
    public var ice: IceCredentials
    public var fingerprints: [DTLSFingerprint]
    public var address: SocketAddress
    public var audioPT: UInt8?
    public var videoPT: UInt8?

    public init(parsing text: String) throws(AnswerError) {
        let sdp: SessionDescription
        do { sdp = try SessionDescription.parse(text) } catch { throw .unparsable("\(error)") }
        guard let first = sdp.media.firstIndex(where: { !$0.isRejected }) else { throw .noMedia }
        let t = sdp.transport(forMediaAt: first)
        guard let ufrag = t.iceUfrag, let pwd = t.icePwd else { throw .missingICECredentials }
        ice = IceCredentials(ufrag: ufrag, password: pwd)
        fingerprints = t.fingerprints.compactMap {
            DTLSFingerprint(sdpValue: "\($0.hashFunction) \($0.bytes.map { String($0, radix: 16, uppercase: true).leftPadded(2) }.joined(separator: ":"))")
        }
        guard !fingerprints.isEmpty else { throw .missingFingerprint }
        if let setup = t.setup, setup != .passive { throw .badSetup("\(setup)") }
        var addr: SocketAddress?
        for m in sdp.media { for c in m.candidates where c.transportProtocol == .udp && c.component == 1 {
            if addr == nil, let a = SocketAddress("\(c.address):\(c.port)") { addr = a }
        } }
        guard let addr else { throw .noUDPCandidate }
        address = addr
        for m in sdp.media {
            if m.kind == .audio { if m.isRejected { throw .rejected(kind: "audio") }; audioPT = m.payloadTypes.first }
            if m.kind == .video { if m.isRejected { throw .rejected(kind: "video") }; videoPT = m.payloadTypes.first }
        }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
