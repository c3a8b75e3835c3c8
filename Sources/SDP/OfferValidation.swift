/// Checks that a client's offer is one this SFU can answer, before any answer is built.
///
/// Rules (each failure its own `SDPError`): at least one m-line; every non-rejected m-line
/// (port ≠ 0, or `a=bundle-only`) has a unique `a=mid`, is in the one BUNDLE group (when
/// there are several), has ICE ufrag/pwd (RFC 8839 lengths and characters) and fingerprints
/// (media or session level) using only sha-256/384/512 with the right length, and a
/// `setup` of `actpass` or `active`; audio/video ones have `a=rtcp-mux`; and some
/// audio/video m-line offers a codec of `supportedCodecs`.
public func validateOffer(_ sdp: SessionDescription, supportedCodecs: CodecPolicy = .default) throws(SDPError) {
    guard !sdp.media.isEmpty else { throw .noMediaSections }
    var mids = Set<String>()
    var active: [(index: Int, mid: String)] = []
    for (i, m) in sdp.media.enumerated() where !m.isRejected {
        guard let mid = m.mid else { throw .missingMid(mediaIndex: i) }
        guard mids.insert(mid).inserted else { throw .duplicateMid(mid: mid) }
        active.append((i, mid))
    }
    if active.count > 1 {
        let groups = sdp.bundleGroups
        let group = groups.first { $0.contains(active[0].mid) } ?? []
        for (_, mid) in active where !group.contains(mid) { throw .notBundled(mid: mid) }
    }
    var anyCodec = false
    for (i, mid) in active {
        let m = sdp.media[i]
        let t = sdp.transport(forMediaAt: i)
        guard let ufrag = t.iceUfrag, let pwd = t.icePwd else { throw .missingICECredentials(mid: mid) }
        if let reason = ICECredentials.problem(ufrag: ufrag, pwd: pwd) { throw .invalidICECredentials(mid: mid, reason: reason) }
        guard !t.fingerprints.isEmpty else { throw .missingFingerprint(mid: mid) }
        for f in t.fingerprints {
            let hash = f.normalizedHashFunction
            guard hash == "sha-256" || hash == "sha-384" || hash == "sha-512" else {
                throw .unsupportedFingerprintHash(mid: mid, hashFunction: f.hashFunction)
            }
            guard f.bytes.count == Fingerprint.digestLength(of: hash) else {
                throw .invalidFingerprintLength(mid: mid, hashFunction: f.hashFunction, bytes: f.bytes.count)
            }
        }
        switch t.setup {
        case .passive: throw .setupPassive(mid: mid)
        case .holdconn: throw .setupHoldconn(mid: mid)
        case .actpass, .active, nil: break
        }
        guard m.kind == .audio || m.kind == .video else { continue }
        guard m.rtcpMux else { throw .missingRtcpMux(mid: mid) }
        if SecureRTP.accepts(m.proto), !supportedCodecs.negotiate(m).isEmpty { anyCodec = true }
    }
    guard anyCodec else { throw .noSupportedCodec }
}

/// ICE credential syntax (RFC 8839 §5.4): ufrag 4–256 and pwd 22–256 ice-chars
/// (ALPHA / DIGIT / "+" / "/").
public enum ICECredentials {
    /// A human reason why the pair is invalid, nil when it is fine.
    public static func problem(ufrag: String, pwd: String) -> String? {
        func iceChars(_ s: String) -> Bool {
            s.unicodeScalars.allSatisfy {
                switch $0 { case "a"..."z", "A"..."Z", "0"..."9", "+", "/": return true; default: return false }
            }
        }
        let u = ufrag.unicodeScalars.count, p = pwd.unicodeScalars.count
        if u < 4 || u > 256 { return "ice-ufrag must be 4 to 256 characters, not \(u)" }
        if p < 22 || p > 256 { return "ice-pwd must be 22 to 256 characters, not \(p)" }
        if !iceChars(ufrag) { return "ice-ufrag has characters outside A-Z a-z 0-9 + /" }
        if !iceChars(pwd) { return "ice-pwd has characters outside A-Z a-z 0-9 + /" }
        return nil
    }
}

/// The m-line protocols that carry DTLS-SRTP media (JSEP RFC 8829 §5.1.2 and legacy `RTP/SAVPF`).
enum SecureRTP {
    static func accepts(_ proto: String) -> Bool {
        switch proto.uppercased() {
        case "UDP/TLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVPF", "TCP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP", "RTP/SAVPF": return true
        default: return false
        }
    }
}
