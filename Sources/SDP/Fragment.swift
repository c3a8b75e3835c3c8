/// An SDP fragment (RFC 8840 §9): what a trickle-ICE `PATCH` carries — the
/// ICE credentials and options at session level, and per m-line its `a=mid`
/// and the candidates gathered since the last fragment. Parsed by the same
/// parser as a full document (`SessionDescription.parseFragment`).
public struct SDPFragment: Sendable, Equatable {
    /// Session-level `a=` lines (`ice-ufrag`, `ice-pwd`, `ice-options`, ...).
    public var attributes: [Attribute]
    /// One entry per m-line, each with its `mid`, candidates and `end-of-candidates`.
    public var media: [MediaDescription]

    public init(attributes: [Attribute] = [], media: [MediaDescription] = []) {
        self.attributes = attributes
        self.media = media
    }

    /// The ICE ufrag: session level, else the first m-line's.
    public var iceUfrag: String? { attributes.first("ice-ufrag") ?? media.lazy.compactMap(\.iceUfrag).first }
    /// The ICE password: session level, else the first m-line's.
    public var icePwd: String? { attributes.first("ice-pwd") ?? media.lazy.compactMap(\.icePwd).first }

    /// The fragment as text, CRLF-terminated lines.
    public func serialize() -> String {
        var out = ""
        for a in attributes { out += "a=\(a.name)\(a.value.map { ":\($0)" } ?? "")\r\n" }
        for m in media { m.serialize(into: &out) }
        return out
    }
}
