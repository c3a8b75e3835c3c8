import HTTP
import JSON
import SDP

/// The `application/trickle-ice-sdpfrag` side of WHIP/WHEP (RFC 8840 §9,
/// RFC 9725 §4.3): a `PATCH` fragment read into the Conference API's
/// candidate objects, an ICE restart turned into a new offer for the
/// existing publish/view negotiation, and our answer cut back to a fragment.
enum TrickleFragment {
    static let mediaType = "application/trickle-ice-sdpfrag"

    /// Parses a PATCH body; a malformed one is a 400 that names the line.
    static func parse(_ body: [UInt8]) throws(HTTPError) -> SDPFragment {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw HTTPError(400, "INVALID_FRAGMENT", "the SDP fragment is not valid UTF-8")
        }
        do {
            return try SessionDescription.parseFragment(text)
        } catch {
            throw HTTPError(400, "INVALID_FRAGMENT", "SDP fragment rejected: \(error.description)")
        }
    }

    /// The fragment's candidates as `[{candidate, sdpMid, sdpMLineIndex}]`,
    /// the m-line index found through the offer's `a=mid`; at most 64.
    static func candidates(_ fragment: SDPFragment, offer: String) throws(HTTPError) -> [JSON] {
        let offerMids = (try? SessionDescription.parse(offer))?.media.map(\.mid) ?? []
        var out: [JSON] = []
        for m in fragment.media {
            let mid = m.mid
            for a in m.attributes where a.name == "candidate" {
                guard let value = a.value, !value.isEmpty else { continue }
                var c: [String: JSON] = ["candidate": .string("candidate:" + value)]
                c["sdpMid"] = mid.map { .string($0) } ?? .null
                if let mid, let i = offerMids.firstIndex(of: mid) { c["sdpMLineIndex"] = .int(Int64(i)) }
                out.append(.object(c))
            }
        }
        if out.count > 64 { throw HTTPError(400, "INVALID_FRAGMENT", "the SDP fragment holds \(out.count) candidates; at most 64 per PATCH") }
        return out
    }

    /// The client's ICE ufrag in an offer (the first m-line's, BUNDLE shares it).
    static func ufrag(ofOffer offer: String) -> String? {
        guard let sdp = try? SessionDescription.parse(offer), !sdp.media.isEmpty else { return nil }
        return sdp.transport(forMediaAt: 0).iceUfrag
    }

    /// The stored offer with the client's new ICE credentials in every
    /// place it had credentials, and without its old candidates: the
    /// offer of an ICE restart (RFC 8445 §9) for the publish/view path.
    static func restartOffer(_ offer: String, ufrag: String, pwd: String) throws(HTTPError) -> String {
        var sdp: SessionDescription
        do { sdp = try SessionDescription.parse(offer) } catch {
            throw HTTPError(500, "INTERNAL", "the session's offer no longer parses: \(error.description)")
        }
        func renew(_ list: inout [Attribute]) {
            list.removeAll { $0.name == "candidate" || $0.name == "end-of-candidates" }
            for i in list.indices {
                if list[i].name == "ice-ufrag" { list[i].value = ufrag }
                if list[i].name == "ice-pwd" { list[i].value = pwd }
            }
        }
        renew(&sdp.attributes)
        for i in sdp.media.indices { renew(&sdp.media[i].attributes) }
        sdp.origin.sessionVersion &+= 1
        return sdp.serialize()
    }

    /// Our answer as the fragment a restart `PATCH` returns: `ice-lite`,
    /// the new ufrag and password, and per accepted m-line its mid and
    /// candidates, then `end-of-candidates` (RFC 9725 §4.3.2).
    static func answerFragment(_ answer: String) -> String {
        guard let sdp = try? SessionDescription.parse(answer), let first = sdp.media.indices.first(where: { sdp.media[$0].port != 0 }) else {
            return ""
        }
        let t = sdp.transport(forMediaAt: first)
        var f = SDPFragment()
        if t.iceLite { f.attributes.append(Attribute("ice-lite")) }
        if let u = t.iceUfrag { f.attributes.append(Attribute("ice-ufrag", u)) }
        if let p = t.icePwd { f.attributes.append(Attribute("ice-pwd", p)) }
        for m in sdp.media where m.port != 0 {
            var attrs: [Attribute] = []
            if let mid = m.mid { attrs.append(Attribute("mid", mid)) }
            attrs += m.attributes.filter { $0.name == "candidate" }
            attrs.append(Attribute("end-of-candidates"))
            f.media.append(MediaDescription(kind: m.kind, port: 9, proto: m.proto, formats: m.formats, attributes: attrs))
        }
        return f.serialize()
    }
}
