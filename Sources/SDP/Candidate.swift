/// `a=candidate:` (RFC 8839 §5.1): one ICE candidate of the peer. Also parses the trickled
/// form `candidate:...` that browsers hand to the signalling API.
///
/// Transport is matched case-insensitively (Firefox writes `UDP`/`TCP`, Chromium `udp`/`tcp`)
/// but kept as written so a round trip is exact.
public struct Candidate: ParsedAttribute, Hashable {
    public static let attributeName = "candidate"

    /// Candidate types (RFC 8445 §5.1.1).
    public enum CandidateType: Sendable, Hashable {
        case host, srflx, prflx, relay, other(String)

        init(_ s: String) {
            switch s {
            case "host": self = .host
            case "srflx": self = .srflx
            case "prflx": self = .prflx
            case "relay": self = .relay
            default: self = .other(s)
            }
        }

        public var token: String {
            switch self {
            case .host: return "host"
            case .srflx: return "srflx"
            case .prflx: return "prflx"
            case .relay: return "relay"
            case .other(let s): return s
            }
        }
    }

    /// Transport protocols we know of, from the case-insensitive `transport` field.
    public enum TransportProtocol: Sendable, Hashable {
        case udp, tcp, other
    }

    /// `tcptype` (RFC 6544 §4.5).
    public enum TCPType: String, Sendable, Hashable {
        case active, passive, so
    }

    /// A `name value` pair after the standard fields (e.g. `network-cost 50`), in order.
    public struct Extension: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var foundation: String
    public var component: UInt16
    /// As written (`udp`, `UDP`, `tcp`, ...).
    public var transport: String
    public var priority: UInt32
    /// IPv4, IPv6 or an mDNS / host name, as written.
    public var address: String
    public var port: UInt16
    public var type: CandidateType
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    public var tcpType: TCPType?
    public var generation: UInt32?
    /// Every other extension pair (`ufrag`, `network-id`, `network-cost`, ...).
    public var extensions: [Extension]

    public init(foundation: String, component: UInt16 = 1, transport: String = "udp", priority: UInt32,
                address: String, port: UInt16, type: CandidateType = .host, relatedAddress: String? = nil,
                relatedPort: UInt16? = nil, tcpType: TCPType? = nil, generation: UInt32? = nil,
                extensions: [Extension] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.tcpType = tcpType
        self.generation = generation
        self.extensions = extensions
    }

    /// `udp`/`tcp` regardless of how the peer capitalised it.
    public var transportProtocol: TransportProtocol {
        switch Text.lower(transport) {
        case "udp": return .udp
        case "tcp": return .tcp
        default: return .other
        }
    }

    /// Parses a trickled candidate string, with or without the `candidate:` prefix.
    public static func parse(trickled string: String) throws(SDPError) -> Candidate {
        var s = string
        if s.unicodeScalars.starts(with: "a=".unicodeScalars) { s = String(s.unicodeScalars.dropFirst(2)) }
        if s.unicodeScalars.starts(with: "candidate:".unicodeScalars) { s = String(s.unicodeScalars.dropFirst(10)) }
        return try Candidate(attributeValue: s)
    }

    static func parse(_ value: String) throws(AttributeFailure) -> Candidate {
        let f = Text.fields(value)
        guard f.count >= 8 else {
            throw .malformed("expected <foundation> <component> <transport> <priority> <address> <port> typ <type>")
        }
        guard f[0].unicodeScalars.count <= 32, Text.isWord(f[0]) else { throw .malformed("bad foundation") }
        guard let component = Text.decimal(f[1], as: UInt16.self), component >= 1, component <= 256 else {
            throw .malformed("component must be 1...256")
        }
        guard Text.isToken(f[2]) else { throw .malformed("bad transport") }
        guard let priority = Text.decimal(f[3], as: UInt32.self) else { throw .malformed("priority is not a 32-bit number") }
        guard Text.isWord(f[4]) else { throw .malformed("bad address") }
        guard let port = Text.decimal(f[5], as: UInt16.self) else { throw .malformed("port is not a number from 0 to 65535") }
        guard f[6] == "typ", Text.isToken(f[7]) else { throw .malformed("expected 'typ <type>' after the port") }
        var c = Candidate(foundation: f[0], component: component, transport: f[2], priority: priority,
                          address: f[4], port: port, type: CandidateType(f[7]))
        var i = 8
        guard (f.count - i) % 2 == 0 else { throw .malformed("extension attributes must come in name/value pairs") }
        var seen = Set<String>()
        while i < f.count {
            let name = f[i], value = f[i + 1]
            i += 2
            switch name {
            case "raddr", "rport", "tcptype", "generation":
                guard seen.insert(name).inserted else { throw .malformed("'\(name)' appears twice") }
            default: break
            }
            switch name {
            case "raddr": c.relatedAddress = value
            case "rport":
                guard let p = Text.decimal(value, as: UInt16.self) else { throw .malformed("rport is not a port") }
                c.relatedPort = p
            case "tcptype":
                guard let t = TCPType(rawValue: value) else { throw .malformed("tcptype must be active, passive or so") }
                c.tcpType = t
            case "generation":
                guard let g = Text.decimal(value, as: UInt32.self) else { throw .malformed("generation is not a number") }
                c.generation = g
            default:
                c.extensions.append(Extension(name: name, value: value))
            }
        }
        return c
    }

    public var attributeValue: String {
        var parts = [foundation, String(component), transport, String(priority), address, String(port), "typ", type.token]
        if let relatedAddress { parts += ["raddr", relatedAddress] }
        if let relatedPort { parts += ["rport", String(relatedPort)] }
        if let tcpType { parts += ["tcptype", tcpType.rawValue] }
        if let generation { parts += ["generation", String(generation)] }
        for e in extensions { parts += [e.name, e.value] }
        return parts.joined(separator: " ")
    }

    /// RFC 8445 §5.1.2.1 priority: (2^24)·type preference + (2^8)·local preference + (256 − component).
    public static func priority(typePreference: UInt32, localPreference: UInt32, component: UInt32) -> UInt32 {
        (min(typePreference, 126) << 24) | (min(localPreference, 65535) << 8) | (256 - min(max(component, 1), 256))
    }
}
