/// A parsed SDP document (RFC 8866): the session-level lines and one `MediaDescription`
/// per m-line, kept close to the text so that parse → serialize → parse is exact.
///
/// Attributes are stored as written (`Attribute` name/value pairs, in order); typed
/// accessors (`groups`, `fingerprints`, `transport(forMediaAt:)`, the ones on
/// `MediaDescription`) read them on demand. The parser has already checked the syntax of
/// every attribute those accessors understand, so for a parsed document they never drop
/// a line silently.
///
/// ```swift
/// let offer = try SessionDescription.parse(text)
/// for (i, m) in offer.media.enumerated() { print(m.kind, m.mid ?? "-", offer.transport(forMediaAt: i).iceUfrag ?? "-") }
/// let text2 = offer.serialize()   // CRLF-terminated
/// ```
public struct SessionDescription: Sendable, Equatable {
    /// `o=`.
    public var origin: Origin
    /// `s=` (WebRTC implementations write `-`).
    public var sessionName: String
    /// `i=`.
    public var information: String?
    /// `u=`.
    public var uri: String?
    /// `e=` lines.
    public var emails: [String]
    /// `p=` lines.
    public var phones: [String]
    /// Session-level `c=`.
    public var connection: Connection?
    /// Session-level `b=` lines.
    public var bandwidths: [Bandwidth]
    /// `t=` lines, each with its `r=` lines (WebRTC: one `t=0 0`).
    public var timings: [Timing]
    /// `z=`.
    public var timeZones: String?
    /// `k=` (obsolete, kept for fidelity).
    public var encryptionKey: String?
    /// Session-level `a=` lines, in order.
    public var attributes: [Attribute]
    /// One entry per m-line, in order.
    public var media: [MediaDescription]

    public init(origin: Origin, sessionName: String = "-", information: String? = nil, uri: String? = nil,
                emails: [String] = [], phones: [String] = [], connection: Connection? = nil,
                bandwidths: [Bandwidth] = [], timings: [Timing] = [Timing(start: 0, stop: 0)],
                timeZones: String? = nil, encryptionKey: String? = nil,
                attributes: [Attribute] = [], media: [MediaDescription] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timings = timings
        self.timeZones = timeZones
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
    }
}

/// The `o=` line: who made the session and which version of it this is.
public struct Origin: Sendable, Equatable {
    public var username: String
    public var sessionID: UInt64
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64,
                networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// A `t=` line and the `r=` lines that follow it.
public struct Timing: Sendable, Equatable {
    public var start: UInt64
    public var stop: UInt64
    /// Raw values of the `r=` lines.
    public var repeats: [String]

    public init(start: UInt64, stop: UInt64, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }
}

/// A `c=` line. With ICE it only carries the default candidate's address (or `0.0.0.0`).
public struct Connection: Sendable, Equatable {
    public var networkType: String
    public var addressType: String
    /// The address as written, including any `/ttl` or `/count` suffix.
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// `IN IP4 a.b.c.d` or `IN IP6 ...`, picked from the address.
    public static func internet(_ address: String) -> Connection {
        Connection(addressType: address.unicodeScalars.contains(":") ? "IP6" : "IP4", address: address)
    }
}

/// A `b=<type>:<value>` line; WebRTC uses `AS` (kbit/s) and `TIAS` (bit/s, RFC 3890).
public struct Bandwidth: Sendable, Equatable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }
}

/// One `a=` line as written: `a=name` (value nil) or `a=name:value` (value possibly empty).
/// Kept raw so that unknown attributes survive a round trip untouched.
public struct Attribute: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// The line for a typed value, e.g. `Attribute(RTPMap(...))`.
    public init<T: SDPAttributeValue>(_ typed: T) {
        self.init(T.attributeName, typed.attributeValue)
    }
}

extension Array where Element == Attribute {
    /// The first value of the attribute `name` (`""` for a flag), nil when absent.
    public func first(_ name: String) -> String? {
        for a in self where a.name == name { return a.value ?? "" }
        return nil
    }

    /// Whether the attribute `name` appears.
    public func has(_ name: String) -> Bool { contains { $0.name == name } }

    /// Every attribute of type `T` that parses (for a parsed document: all of them).
    public func values<T: SDPAttributeValue>(_ type: T.Type) -> [T] {
        compactMap { a -> T? in
            guard a.name == T.attributeName, let v = a.value else { return nil }
            return try? T(attributeValue: v)
        }
    }

    /// The direction attribute (`sendrecv`, `sendonly`, `recvonly`, `inactive`), if any.
    var direction: MediaDirection? {
        for a in self { if let d = MediaDirection(rawValue: a.name) { return d } }
        return nil
    }
}

extension SessionDescription {
    /// `a=group` lines (BUNDLE, LS, ...).
    public var groups: [Group] { attributes.values(Group.self) }

    /// The `a=group:BUNDLE` groups, each a list of mids (first = tagged m-line).
    public var bundleGroups: [[String]] { groups.filter { $0.semantics == "BUNDLE" }.map(\.ids) }

    /// Session-level `a=ice-lite`.
    public var iceLite: Bool { attributes.has("ice-lite") }

    /// Session-level `a=extmap-allow-mixed`.
    public var extmapAllowMixed: Bool { attributes.has("extmap-allow-mixed") }

    /// Session-level `a=msid-semantic` value as written (e.g. ` WMS *`).
    public var msidSemantic: String? { attributes.first("msid-semantic") }

    /// Index of the m-line whose `a=mid` is `mid`.
    public func mediaIndex(mid: String) -> Int? { media.firstIndex { $0.mid == mid } }

    /// The direction of an m-line: media level, else session level, else `sendrecv` (RFC 3264 §5.1).
    public func direction(ofMediaAt index: Int) -> MediaDirection {
        media[index].attributes.direction ?? attributes.direction ?? .sendrecv
    }

    /// The transport parameters that apply to an m-line: media level wins; a `bundle-only`
    /// m-line takes them from its BUNDLE group's tagged m-line; then session level.
    public func transport(forMediaAt index: Int) -> ResolvedTransport {
        var levels: [[Attribute]] = [media[index].attributes]
        let m = media[index]
        if m.bundleOnly, let mid = m.mid,
           let group = bundleGroups.first(where: { $0.contains(mid) }),
           let tag = group.first, let tagIndex = mediaIndex(mid: tag), tagIndex != index {
            levels.append(media[tagIndex].attributes)
        }
        levels.append(attributes)
        func pick<T>(_ get: ([Attribute]) -> T?) -> T? {
            for level in levels { if let v = get(level) { return v } }
            return nil
        }
        return ResolvedTransport(
            iceUfrag: pick { $0.first("ice-ufrag") },
            icePwd: pick { $0.first("ice-pwd") },
            iceOptions: pick { $0.first("ice-options").map(Text.fields) } ?? [],
            iceLite: iceLite,
            fingerprints: pick { a -> [Fingerprint]? in let f = a.values(Fingerprint.self); return f.isEmpty ? nil : f } ?? [],
            setup: pick { $0.values(SetupRole.self).first },
            candidates: levels.first.map { $0.values(Candidate.self) } ?? [],
            endOfCandidates: pick { $0.has("end-of-candidates") ? true : nil } ?? false)
    }
}

/// ICE and DTLS parameters of one m-line after resolving session-level defaults
/// (`SessionDescription.transport(forMediaAt:)`); what ICE and DTLS need from an offer.
public struct ResolvedTransport: Sendable, Equatable {
    public var iceUfrag: String?
    public var icePwd: String?
    public var iceOptions: [String]
    public var iceLite: Bool
    public var fingerprints: [Fingerprint]
    public var setup: SetupRole?
    /// Candidates written in this m-line (candidates are never session-level).
    public var candidates: [Candidate]
    public var endOfCandidates: Bool
}
