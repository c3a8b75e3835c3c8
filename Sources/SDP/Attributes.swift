/// A typed view of one attribute kind: its name, how to read its value, how to write it.
/// The parser uses the same code to check every such attribute it meets, so a value that
/// parsed once always parses again after serialization.
public protocol SDPAttributeValue: Sendable, Equatable {
    /// The attribute name, e.g. `rtpmap`.
    static var attributeName: String { get }
    /// Reads the text after `a=<name>:`. Errors are `malformedAttribute`/`invalidPayloadType` with line 0.
    init(attributeValue: String) throws(SDPError)
    /// The text after `a=<name>:`.
    var attributeValue: String { get }
}

/// Why a typed attribute value was refused; the parser adds the line number.
enum AttributeFailure: Error {
    case malformed(String)
    case payloadType(String)

    func sdpError(line: Int, name: String) -> SDPError {
        switch self {
        case .malformed(let reason): return .malformedAttribute(line: line, name: name, reason: reason)
        case .payloadType(let value): return .invalidPayloadType(line: line, value: value)
        }
    }
}

/// Internal twin of `SDPAttributeValue` with line-free errors.
protocol ParsedAttribute: SDPAttributeValue {
    static func parse(_ value: String) throws(AttributeFailure) -> Self
}

extension ParsedAttribute {
    public init(attributeValue: String) throws(SDPError) {
        do { self = try Self.parse(attributeValue) } catch { throw error.sdpError(line: 0, name: Self.attributeName) }
    }
}

private func parsePayloadType(_ s: String) throws(AttributeFailure) -> UInt8 {
    guard let pt = Text.payloadType(s) else { throw .payloadType(s) }
    return pt
}

// MARK: - rtpmap

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` (RFC 8866 §6.6): names a dynamic payload type.
public struct RTPMap: ParsedAttribute, Hashable {
    public static let attributeName = "rtpmap"
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    public var channels: UInt16?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    static func parse(_ value: String) throws(AttributeFailure) -> RTPMap {
        let f = Text.fields(value)
        guard f.count == 2 else { throw .malformed("expected <payload type> <encoding>/<clock rate>[/<channels>]") }
        let pt = try parsePayloadType(f[0])
        let parts = Text.pieces(f[1], "/")
        guard parts.count == 2 || parts.count == 3, Text.isToken(parts[0]) else {
            throw .malformed("expected <encoding>/<clock rate>[/<channels>]")
        }
        guard let clock = Text.decimal(parts[1], as: UInt32.self) else { throw .malformed("clock rate is not a number") }
        var channels: UInt16?
        if parts.count == 3 {
            guard let c = Text.decimal(parts[2], as: UInt16.self) else { throw .malformed("channel count is not a number") }
            channels = c
        }
        return RTPMap(payloadType: pt, encodingName: parts[0], clockRate: clock, channels: channels)
    }

    public var attributeValue: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

// MARK: - fmtp

/// `a=fmtp:<pt> <parameters>` (RFC 8866 §6.15): codec parameters, kept as written.
public struct FormatParameters: ParsedAttribute, Hashable {
    public static let attributeName = "fmtp"
    public var payloadType: UInt8
    /// Everything after the payload type, as written (`minptime=10;useinbandfec=1`, `111/111`).
    public var parameters: String

    /// One `key=value` (or bare `key`) item of an fmtp line.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public init(payloadType: UInt8, parameters: String) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    static func parse(_ value: String) throws(AttributeFailure) -> FormatParameters {
        let (first, rest) = Text.firstField(value)
        return FormatParameters(payloadType: try parsePayloadType(first), parameters: rest ?? "")
    }

    public var attributeValue: String { parameters.isEmpty ? "\(payloadType)" : "\(payloadType) \(parameters)" }

    /// The `;`-separated items, spaces around them removed.
    public var list: [Parameter] { Self.split(parameters) }

    static func split(_ parameters: String) -> [Parameter] {
        Text.pieces(parameters, ";").compactMap { item -> Parameter? in
            let trimmed = Text.fields(item).joined(separator: " ")
            guard !trimmed.isEmpty else { return nil }
            let (k, v) = Text.splitOnce(trimmed, "=")
            return Parameter(name: k, value: v)
        }
    }

    /// Writes parameters back as `k=v;k=v`.
    public static func join(_ list: [Parameter]) -> String {
        list.map { p in p.value.map { "\(p.name)=\($0)" } ?? p.name }.joined(separator: ";")
    }
}

// MARK: - rtcp-fb

/// `a=rtcp-fb:<pt|*> <type> [<parameter>]` (RFC 4585 §4.2): RTCP feedback a codec accepts.
public struct RTCPFeedback: ParsedAttribute, Hashable {
    public static let attributeName = "rtcp-fb"
    /// nil means `*` (all payload types).
    public var payloadType: UInt8?
    /// `nack`, `ccm`, `goog-remb`, `transport-cc`, ...
    public var type: String
    /// `pli`, `fir`, ... (the rest of the line).
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    static func parse(_ value: String) throws(AttributeFailure) -> RTCPFeedback {
        let (first, rest) = Text.firstField(value)
        let pt: UInt8? = first == "*" ? nil : try parsePayloadType(first)
        guard let rest else { throw .malformed("missing feedback type") }
        let (type, parameter) = Text.firstField(rest)
        guard Text.isToken(type) else { throw .malformed("feedback type is not a token") }
        return RTCPFeedback(payloadType: pt, type: type, parameter: parameter)
    }

    public var attributeValue: String {
        (payloadType.map(String.init) ?? "*") + " " + kind
    }

    /// `type` and `parameter` as one lower-case string: `nack`, `nack pli`, `ccm fir`.
    public var kind: String { Text.lower(type) + (parameter.map { " " + Text.lower($0) } ?? "") }
}

// MARK: - extmap

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8): an RTP header extension and its id.
public struct ExtensionMap: ParsedAttribute, Hashable {
    public static let attributeName = "extmap"
    public var id: UInt16
    public var direction: MediaDirection?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: UInt16, direction: MediaDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    static func parse(_ value: String) throws(AttributeFailure) -> ExtensionMap {
        let (first, rest) = Text.firstField(value)
        let (idText, dirText) = Text.splitOnce(first, "/")
        guard let id = Text.decimal(idText, as: UInt16.self), id >= 1, id <= 4095 else {
            throw .malformed("id must be a number from 1 to 4095")
        }
        var direction: MediaDirection?
        if let dirText {
            guard let d = MediaDirection(rawValue: dirText) else { throw .malformed("unknown direction '\(dirText)'") }
            direction = d
        }
        guard let rest else { throw .malformed("missing extension URI") }
        let (uri, attrs) = Text.firstField(rest)
        return ExtensionMap(id: id, direction: direction, uri: uri, extensionAttributes: attrs)
    }

    public var attributeValue: String {
        "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " " + uri + (extensionAttributes.map { " " + $0 } ?? "")
    }
}

// MARK: - ssrc, ssrc-group

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1): a source and e.g. its `cname` or `msid`.
public struct SSRCAttribute: ParsedAttribute, Hashable {
    public static let attributeName = "ssrc"
    public var ssrc: UInt32
    public var attribute: String
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    static func parse(_ value: String) throws(AttributeFailure) -> SSRCAttribute {
        let (first, rest) = Text.firstField(value)
        guard let ssrc = Text.decimal(first, as: UInt32.self) else { throw .malformed("SSRC is not a 32-bit number") }
        guard let rest else { throw .malformed("missing source attribute") }
        let (name, v) = Text.splitOnce(rest, ":")
        guard Text.isToken(name) else { throw .malformed("source attribute name is not a token") }
        return SSRCAttribute(ssrc: ssrc, attribute: name, value: v)
    }

    public var attributeValue: String { "\(ssrc) \(attribute)" + (value.map { ":" + $0 } ?? "") }
}

/// `a=ssrc-group:<semantics> <ssrc>...` (RFC 5576 §4.2); `FID` pairs a source with its RTX source.
public struct SSRCGroup: ParsedAttribute, Hashable {
    public static let attributeName = "ssrc-group"
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    static func parse(_ value: String) throws(AttributeFailure) -> SSRCGroup {
        let f = Text.fields(value)
        guard f.count >= 2, Text.isToken(f[0]) else { throw .malformed("expected <semantics> <ssrc>...") }
        var ssrcs: [UInt32] = []
        for s in f.dropFirst() {
            guard let v = Text.decimal(s, as: UInt32.self) else { throw .malformed("SSRC '\(s)' is not a 32-bit number") }
            ssrcs.append(v)
        }
        return SSRCGroup(semantics: f[0], ssrcs: ssrcs)
    }

    public var attributeValue: String { ([semantics] + ssrcs.map(String.init)).joined(separator: " ") }
}

// MARK: - group, msid

/// `a=group:<semantics> <id>...` (RFC 5888); `BUNDLE` lists the mids sharing one transport.
public struct Group: ParsedAttribute, Hashable {
    public static let attributeName = "group"
    public var semantics: String
    public var ids: [String]

    public init(semantics: String, ids: [String]) {
        self.semantics = semantics
        self.ids = ids
    }

    static func parse(_ value: String) throws(AttributeFailure) -> Group {
        let f = Text.fields(value)
        guard let s = f.first, Text.isToken(s) else { throw .malformed("expected <semantics> <mid>...") }
        return Group(semantics: s, ids: Array(f.dropFirst()))
    }

    public var attributeValue: String { ([semantics] + ids).joined(separator: " ") }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830): which MediaStream and track an m-line carries.
public struct MSID: ParsedAttribute, Hashable {
    public static let attributeName = "msid"
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    static func parse(_ value: String) throws(AttributeFailure) -> MSID {
        let f = Text.fields(value)
        guard f.count == 1 || f.count == 2 else { throw .malformed("expected <stream id> [<track id>]") }
        return MSID(streamID: f[0], trackID: f.count == 2 ? f[1] : nil)
    }

    public var attributeValue: String { streamID + (trackID.map { " " + $0 } ?? "") }
}

// MARK: - rid, simulcast

/// Direction of a `rid` or of a `simulcast` stream list.
public enum RIDDirection: String, Sendable, Hashable {
    case send, recv

    public var flipped: RIDDirection { self == .send ? .recv : .send }
}

/// `a=rid:<id> <send|recv> [<restrictions>]` (RFC 8851): one RTP stream id, e.g. a simulcast layer.
public struct RIDDescription: ParsedAttribute, Hashable {
    public static let attributeName = "rid"
    public var id: String
    public var direction: RIDDirection
    /// `pt=96,97;max-width=1280...` as written.
    public var restrictions: String?

    public init(id: String, direction: RIDDirection, restrictions: String? = nil) {
        self.id = id
        self.direction = direction
        self.restrictions = restrictions
    }

    static func parse(_ value: String) throws(AttributeFailure) -> RIDDescription {
        let (id, rest) = Text.firstField(value)
        guard isRID(id) else { throw .malformed("rid id must be letters, digits, '-' or '_'") }
        guard let rest else { throw .malformed("missing direction") }
        let (dirText, restrictions) = Text.firstField(rest)
        guard let direction = RIDDirection(rawValue: dirText) else { throw .malformed("direction must be send or recv") }
        return RIDDescription(id: id, direction: direction, restrictions: restrictions)
    }

    static func isRID(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy {
            switch $0 { case "a"..."z", "A"..."Z", "0"..."9", "-", "_": return true; default: return false }
        }
    }

    public var attributeValue: String { "\(id) \(direction.rawValue)" + (restrictions.map { " " + $0 } ?? "") }

    /// The `pt=` restriction as payload types (empty when absent).
    public var payloadTypes: [UInt8] {
        guard let r = restrictions else { return [] }
        for p in FormatParameters.split(r) where p.name == "pt" {
            return Text.pieces(p.value ?? "", ",").compactMap(Text.payloadType)
        }
        return []
    }
}

/// `a=simulcast:<send|recv> <list> [<recv|send> <list>]` (RFC 8853 §5.1): which rids form
/// the simulcast streams, `;` between streams, `,` between alternatives, `~` for paused.
public struct Simulcast: ParsedAttribute, Hashable {
    public static let attributeName = "simulcast"

    /// One rid in a simulcast list.
    public struct Stream: Sendable, Hashable {
        public var rid: String
        public var paused: Bool
        public init(rid: String, paused: Bool = false) {
            self.rid = rid
            self.paused = paused
        }
    }

    /// Streams sent by the author of the description; each entry lists alternatives.
    public var send: [[Stream]]
    /// Streams received by the author of the description.
    public var recv: [[Stream]]

    public init(send: [[Stream]] = [], recv: [[Stream]] = []) {
        self.send = send
        self.recv = recv
    }

    static func parse(_ value: String) throws(AttributeFailure) -> Simulcast {
        let f = Text.fields(value)
        guard f.count == 2 || f.count == 4 else { throw .malformed("expected <send|recv> <list> [<recv|send> <list>]") }
        var result = Simulcast()
        var seen = Set<String>()
        for i in stride(from: 0, to: f.count, by: 2) {
            guard let dir = RIDDirection(rawValue: f[i]), seen.insert(f[i]).inserted else {
                throw .malformed("direction must be send or recv, each at most once")
            }
            var list = f[i + 1]
            // draft-ietf-mmusic-sdp-simulcast-03 syntax, still written by old Firefox: `send rid=a;b`.
            if list.unicodeScalars.starts(with: "rid=".unicodeScalars) { list = String(list.unicodeScalars.dropFirst(4)) }
            var streams: [[Stream]] = []
            for entry in Text.pieces(list, ";") {
                var alternatives: [Stream] = []
                for alt in Text.pieces(entry, ",") {
                    let paused = alt.unicodeScalars.first == "~"
                    let rid = paused ? String(alt.unicodeScalars.dropFirst()) : alt
                    guard RIDDescription.isRID(rid) else { throw .malformed("bad rid '\(alt)' in simulcast list") }
                    alternatives.append(Stream(rid: rid, paused: paused))
                }
                streams.append(alternatives)
            }
            if dir == .send { result.send = streams } else { result.recv = streams }
        }
        return result
    }

    public var attributeValue: String {
        func list(_ s: [[Stream]]) -> String {
            s.map { $0.map { ($0.paused ? "~" : "") + $0.rid }.joined(separator: ",") }.joined(separator: ";")
        }
        var parts: [String] = []
        if !send.isEmpty { parts += ["send", list(send)] }
        if !recv.isEmpty { parts += ["recv", list(recv)] }
        return parts.joined(separator: " ")
    }

    /// The same lists seen from the other side: what one side sends, the other receives.
    public var flipped: Simulcast { Simulcast(send: recv, recv: send) }
}

// MARK: - fingerprint, setup, direction

/// `a=fingerprint:<hash> <XX:XX:...>` (RFC 8122 §5): the DTLS certificate the peer will present.
public struct Fingerprint: ParsedAttribute, Hashable {
    public static let attributeName = "fingerprint"
    /// Hash function name as written (compare with `normalizedHashFunction`).
    public var hashFunction: String
    public var bytes: [UInt8]

    public init(hashFunction: String, bytes: [UInt8]) {
        self.hashFunction = hashFunction
        self.bytes = bytes
    }

    static func parse(_ value: String) throws(AttributeFailure) -> Fingerprint {
        let f = Text.fields(value)
        guard f.count == 2, Text.isToken(f[0]) else { throw .malformed("expected <hash function> <hex bytes>") }
        var bytes: [UInt8] = []
        for piece in Text.pieces(f[1], ":") {
            guard let b = Text.hexByte(piece) else { throw .malformed("fingerprint must be colon-separated hex byte pairs") }
            bytes.append(b)
        }
        return Fingerprint(hashFunction: f[0], bytes: bytes)
    }

    public var attributeValue: String { "\(hashFunction) \(Text.hex(bytes))" }

    /// Lower-case hash function name (`sha-256`).
    public var normalizedHashFunction: String { Text.lower(hashFunction) }

    /// Digest length in bytes for the hash functions RFC 8122 names, nil for unknown ones.
    public static func digestLength(of hashFunction: String) -> Int? {
        switch Text.lower(hashFunction) {
        case "sha-1": return 20
        case "sha-224": return 28
        case "sha-256": return 32
        case "sha-384": return 48
        case "sha-512": return 64
        case "md5", "md2": return 16
        default: return nil
        }
    }
}

/// `a=setup:<role>` (RFC 4145 §4, RFC 8842): who opens the DTLS connection. We are always `passive`.
public enum SetupRole: String, ParsedAttribute, Hashable {
    case actpass, active, passive, holdconn

    public static let attributeName = "setup"

    static func parse(_ value: String) throws(AttributeFailure) -> SetupRole {
        guard let role = SetupRole(rawValue: value) else { throw .malformed("role must be actpass, active, passive or holdconn") }
        return role
    }

    public var attributeValue: String { rawValue }
}

/// The direction attributes (RFC 3264 §5.1), which are flags: `a=sendrecv` etc.
public enum MediaDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The attribute line for this direction.
    public var attribute: Attribute { Attribute(rawValue) }

    /// The direction as the other side sees it (sendonly ↔ recvonly).
    public var reversed: MediaDirection {
        switch self {
        case .sendonly: return .recvonly
        case .recvonly: return .sendonly
        default: return self
        }
    }

    /// Whether the author of the description sends / receives.
    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }
}
