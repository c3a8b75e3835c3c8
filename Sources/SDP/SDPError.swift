/// Every way an SDP document can be refused, by the parser (RFC 8866 syntax and our
/// limits), by offer validation (what this SFU can accept) or by the answer builder.
///
/// Each case is specific so that the signalling layer can log and report exactly what
/// was wrong; `description` is a human sentence naming the line (1-based) where there is one.
public enum SDPError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: Input limits and encoding
    /// The document is larger than `SDPLimits.maxBytes`.
    case tooLarge(bytes: Int, limit: Int)
    /// The document has more than `SDPLimits.maxLines` lines.
    case tooManyLines(limit: Int)
    /// The document has more than `SDPLimits.maxMediaSections` m-lines.
    case tooManyMediaSections(limit: Int)
    /// The bytes are not valid UTF-8.
    case invalidUTF8
    /// A control character (NUL, a CR not followed by LF, ...) inside a line.
    case invalidCharacter(line: Int)

    // MARK: Structure (RFC 8866 §5)
    /// The first line is not a `v=` line (or the document is empty).
    case missingVersion
    /// `v=` carries something other than `0`.
    case unsupportedVersion(line: Int, value: String)
    /// A line that is not `<letter>=<value>`.
    case malformedLine(line: Int)
    /// A line type letter that RFC 8866 does not define (parsers must refuse these).
    case unknownLineType(line: Int, type: String)
    /// A known line in a place it may not appear (`t=` in a media section, `r=` before `t=`, a second `v=`).
    case misplacedLine(line: Int, type: String)
    /// A line that may appear once per section appears twice.
    case duplicateLine(line: Int, type: String)
    /// No `o=` line.
    case missingOrigin
    /// No `s=` line.
    case missingSessionName
    /// No `t=` line.
    case missingTiming
    /// `o=` is not `<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`.
    case malformedOrigin(line: Int)
    /// `t=` is not `<start> <stop>` or `r=` is empty.
    case malformedTiming(line: Int)
    /// `c=` is not `<nettype> <addrtype> <address>`.
    case malformedConnection(line: Int)
    /// `b=` is not `<bwtype>:<bandwidth>`.
    case malformedBandwidth(line: Int)
    /// `m=` is not `<media> <port>[/<n>] <proto> <fmt> ...`.
    case malformedMediaLine(line: Int, reason: String)
    /// A port (in `m=`) that is not a number from 0 to 65535.
    case invalidPort(line: Int, value: String)
    /// An RTP payload type (in `m=`, `rtpmap`, `fmtp`, `rtcp-fb`) that is not a number from 0 to 127.
    case invalidPayloadType(line: Int, value: String)
    /// An attribute whose value does not follow its grammar.
    case malformedAttribute(line: Int, name: String, reason: String)
    /// An attribute that may appear once per section appears twice.
    case duplicateAttribute(line: Int, name: String)
    /// `a=rtpmap` for a payload type that the m-line does not list.
    case rtpmapUnknownPayloadType(line: Int, payloadType: UInt8)
    /// `a=fmtp` for a payload type that the m-line does not list.
    case fmtpUnknownPayloadType(line: Int, payloadType: UInt8)
    /// Two `a=rtpmap` (or two `a=fmtp`) for the same payload type in one m-line.
    case duplicatePayloadType(line: Int, payloadType: UInt8)

    // MARK: Offer validation (what this SFU accepts)
    /// The offer has no m-line at all.
    case noMediaSections
    /// A non-rejected m-line has no `a=mid` (JSEP requires one; BUNDLE needs it).
    case missingMid(mediaIndex: Int)
    /// Two m-lines carry the same `a=mid`.
    case duplicateMid(mid: String)
    /// A non-rejected m-line is not in the one BUNDLE group we answer with.
    case notBundled(mid: String)
    /// A non-rejected m-line has no `a=ice-ufrag` / `a=ice-pwd` (media or session level).
    case missingICECredentials(mid: String)
    /// ICE ufrag/pwd of the wrong length or with characters outside ice-char (RFC 8839 §5.4).
    case invalidICECredentials(mid: String, reason: String)
    /// No `a=fingerprint` at media or session level.
    case missingFingerprint(mid: String)
    /// A fingerprint with a hash function other than sha-256, sha-384 or sha-512.
    case unsupportedFingerprintHash(mid: String, hashFunction: String)
    /// A fingerprint whose byte count does not match its hash function.
    case invalidFingerprintLength(mid: String, hashFunction: String, bytes: Int)
    /// The offer says `a=setup:passive`; we are always passive, so the client must be `actpass` or `active`.
    case setupPassive(mid: String)
    /// The offer says `a=setup:holdconn`.
    case setupHoldconn(mid: String)
    /// An audio/video m-line without `a=rtcp-mux` (we have one port per worker).
    case missingRtcpMux(mid: String)
    /// No audio or video m-line offers a codec we support.
    case noSupportedCodec

    // MARK: Answer building
    /// A view answer could place no outgoing track: no m-line had a codec in common with the publisher.
    case noCommonCodec
    /// The local parameters given to the answer builder are unusable (e.g. a fingerprint that is not sha-256).
    case invalidLocalParameters(reason: String)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit): return "SDP is \(bytes) bytes; the limit is \(limit)"
        case .tooManyLines(let limit): return "SDP has more than \(limit) lines"
        case .tooManyMediaSections(let limit): return "SDP has more than \(limit) m-lines"
        case .invalidUTF8: return "SDP is not valid UTF-8"
        case .invalidCharacter(let line): return "line \(line): control character inside the line"
        case .missingVersion: return "line 1: SDP must start with v=0"
        case .unsupportedVersion(let line, let value): return "line \(line): unsupported version v=\(value)"
        case .malformedLine(let line): return "line \(line): not of the form <type>=<value>"
        case .unknownLineType(let line, let type): return "line \(line): unknown line type '\(type)='"
        case .misplacedLine(let line, let type): return "line \(line): '\(type)=' is not allowed here"
        case .duplicateLine(let line, let type): return "line \(line): second '\(type)=' line in the same section"
        case .missingOrigin: return "SDP has no o= line"
        case .missingSessionName: return "SDP has no s= line"
        case .missingTiming: return "SDP has no t= line"
        case .malformedOrigin(let line): return "line \(line): o= must be <username> <sess-id> <sess-version> <nettype> <addrtype> <address> with numeric ids"
        case .malformedTiming(let line): return "line \(line): malformed t= or r= line"
        case .malformedConnection(let line): return "line \(line): c= must be <nettype> <addrtype> <address>"
        case .malformedBandwidth(let line): return "line \(line): b= must be <bwtype>:<number>"
        case .malformedMediaLine(let line, let reason): return "line \(line): bad m= line: \(reason)"
        case .invalidPort(let line, let value): return "line \(line): port '\(value)' is not a number from 0 to 65535"
        case .invalidPayloadType(let line, let value): return "line \(line): payload type '\(value)' is not a number from 0 to 127"
        case .malformedAttribute(let line, let name, let reason): return "line \(line): bad a=\(name): \(reason)"
        case .duplicateAttribute(let line, let name): return "line \(line): a=\(name) appears twice in the same section"
        case .rtpmapUnknownPayloadType(let line, let pt): return "line \(line): a=rtpmap for payload type \(pt), which the m= line does not list"
        case .fmtpUnknownPayloadType(let line, let pt): return "line \(line): a=fmtp for payload type \(pt), which the m= line does not list"
        case .duplicatePayloadType(let line, let pt): return "line \(line): payload type \(pt) described twice"
        case .noMediaSections: return "offer has no m= line"
        case .missingMid(let index): return "m-line #\(index + 1) has no a=mid"
        case .duplicateMid(let mid): return "a=mid:\(mid) is used by two m-lines"
        case .notBundled(let mid): return "mid \(mid) is not in the offer's BUNDLE group"
        case .missingICECredentials(let mid): return "mid \(mid): no a=ice-ufrag/a=ice-pwd"
        case .invalidICECredentials(let mid, let reason): return "mid \(mid): invalid ICE credentials: \(reason)"
        case .missingFingerprint(let mid): return "mid \(mid): no a=fingerprint"
        case .unsupportedFingerprintHash(let mid, let hash): return "mid \(mid): fingerprint hash '\(hash)' is not sha-256, sha-384 or sha-512"
        case .invalidFingerprintLength(let mid, let hash, let bytes): return "mid \(mid): \(hash) fingerprint has \(bytes) bytes"
        case .setupPassive(let mid): return "mid \(mid): a=setup:passive; the server is passive, offer actpass or active"
        case .setupHoldconn(let mid): return "mid \(mid): a=setup:holdconn is not supported"
        case .missingRtcpMux(let mid): return "mid \(mid): a=rtcp-mux is required"
        case .noSupportedCodec: return "no audio or video m-line offers a supported codec (opus; VP8, VP9, H264 packetization-mode=1, AV1)"
        case .noCommonCodec: return "no m-line of the offer has a codec in common with the published tracks"
        case .invalidLocalParameters(let reason): return "invalid local parameters: \(reason)"
        }
    }
}
