/// Our side of the transport that every answer announces: ICE-lite credentials, the DTLS
/// certificate fingerprint (sha-256) and the host candidates of the worker's UDP socket.
public struct LocalTransport: Sendable, Equatable {
    public var iceUfrag: String
    public var icePwd: String
    /// Must be sha-256 (32 bytes).
    public var fingerprint: Fingerprint
    public var candidates: [HostCandidate]

    public init(iceUfrag: String, icePwd: String, fingerprint: Fingerprint, candidates: [HostCandidate]) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidates = candidates
    }
}

/// One address:port the server listens on, announced as a `typ host` candidate: UDP, or
/// ICE-TCP's `tcptype passive` (RFC 6544), which the answer lists after every UDP candidate.
public struct HostCandidate: Sendable, Hashable {
    public enum Transport: Sendable, Hashable {
        case udp
        /// An ICE-TCP listening port: clients connect (active), we accept (passive).
        case tcpPassive
    }

    public var address: String
    public var port: UInt16
    public var transport: Transport

    public init(address: String, port: UInt16, transport: Transport = .udp) {
        self.address = address
        self.port = port
        self.transport = transport
    }
}

/// A track the server will send to a viewer: the publisher's negotiated codecs (publisher
/// payload types) and the SSRCs / names the server uses for it towards this viewer.
public struct OutgoingTrack: Sendable, Equatable {
    public var kind: MediaKind
    /// The viewer's m-line to use; nil takes the next free compatible m-line of `kind`.
    public var mid: String?
    /// What the publish answer returned for the publisher's m-line (`AnsweredMedia.codecs`).
    public var codecs: [NegotiatedCodec]
    public var ssrc: UInt32
    /// nil: send no RTX, even when both sides could.
    public var rtxSSRC: UInt32?
    public var cname: String
    public var streamID: String
    public var trackID: String

    public init(kind: MediaKind, mid: String? = nil, codecs: [NegotiatedCodec], ssrc: UInt32, rtxSSRC: UInt32? = nil,
                cname: String, streamID: String, trackID: String) {
        self.kind = kind
        self.mid = mid
        self.codecs = codecs
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        self.cname = cname
        self.streamID = streamID
        self.trackID = trackID
    }
}

/// How one publisher codec is numbered towards one viewer: what the router rewrites per packet.
public struct CodecMapping: Sendable, Hashable {
    public var publisher: NegotiatedCodec
    public var viewerPayloadType: UInt8
    /// Set when RTX is sent (publisher had RTX, viewer offered it, the track has an RTX SSRC).
    public var viewerRTXPayloadType: UInt8?

    public init(publisher: NegotiatedCodec, viewerPayloadType: UInt8, viewerRTXPayloadType: UInt8?) {
        self.publisher = publisher
        self.viewerPayloadType = viewerPayloadType
        self.viewerRTXPayloadType = viewerRTXPayloadType
    }
}

/// What was decided for one offered m-line: whether it was accepted, with which codecs
/// and header extensions (in the offerer's numbering), and what the offer announced.
public struct AnsweredMedia: Sendable, Equatable {
    public var index: Int
    public var mid: String?
    public var kind: MediaKind
    public var accepted: Bool
    /// Direction written in the answer.
    public var direction: MediaDirection
    /// Codecs in the answer, numbered as the offerer numbers them (publish: what the client
    /// will send; view: what the server sends, with the publisher's fmtp).
    public var codecs: [NegotiatedCodec]
    /// View only: publisher payload type → viewer payload type.
    public var codecMap: [CodecMapping]
    /// Header extensions in the answer, with the offerer's ids.
    public var headerExtensions: [ExtensionMap]
    /// Publish only: the simulcast rids the client will send (empty without simulcast).
    public var rids: [String]
    /// Publish only: SSRCs, SSRC groups and msid the offer announced for this m-line.
    public var remoteSSRCs: [UInt32]
    public var remoteSSRCGroups: [SSRCGroup]
    public var remoteMSID: MSID?
    /// View only: index of the `OutgoingTrack` placed here.
    public var trackIndex: Int?
}

/// An answer and the per-m-line decisions behind it.
public struct Answer: Sendable, Equatable {
    public var session: SessionDescription
    public var media: [AnsweredMedia]
    /// View only: indexes of tracks that found no m-line (wrong kind, no common codec).
    public var unplacedTracks: [Int]

    /// The answer as SDP text.
    public var sdp: String { session.serialize() }
}

/// Builds our answers to client offers following JSEP (RFC 8829 §5.3) for an ICE-lite,
/// always-`passive`, BUNDLE-everything, rtcp-mux server.
///
/// - `publishAnswer`: the client sends to us; accepted m-lines are `recvonly` with the
///   supported codecs in the offerer's order and payload types.
/// - `viewAnswer`: we send to the client; each `OutgoingTrack` goes into one m-line with
///   only the publisher's codecs the viewer offered, in the viewer's numbering.
///
/// Both validate the offer first (`validateOffer`) and reject (port 0, `a=inactive`)
/// m-lines they cannot use, data channels included.
public struct AnswerBuilder: Sendable {
    public var transport: LocalTransport
    public var policy: CodecPolicy
    /// `o=` session id (JSEP: random, below 2^63).
    public var sessionID: UInt64
    public var sessionVersion: UInt64
    /// When set, video m-lines get `b=AS` (kbit/s, rounded up) and `b=TIAS` (bit/s).
    public var maxVideoBitrate: UInt64?

    public init(transport: LocalTransport, policy: CodecPolicy = .default,
                sessionID: UInt64 = UInt64.random(in: 1...UInt64(Int64.max)), sessionVersion: UInt64 = 2,
                maxVideoBitrate: UInt64? = nil) {
        self.transport = transport
        self.policy = policy
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.maxVideoBitrate = maxVideoBitrate
    }

    // MARK: Publish

    /// The answer to a client that sends media to us.
    public func publishAnswer(to offer: SessionDescription) throws(SDPError) -> Answer {
        try checkLocal()
        try validateOffer(offer, supportedCodecs: policy)
        var lines: [MediaDescription] = []
        var decisions: [AnsweredMedia] = []
        for (i, m) in offer.media.enumerated() {
            let offered = offer.direction(ofMediaAt: i)
            let codecs = usable(m) && offered.sends ? policy.negotiate(m) : []
            guard !codecs.isEmpty else {
                lines.append(rejected(m))
                decisions.append(rejectedDecision(i, m))
                continue
            }
            let keptTypes = Set(codecs.flatMap { [$0.payloadType] + ($0.rtxPayloadType.map { [$0] } ?? []) })
            let formats = m.payloadTypes.filter(keptTypes.contains)
            var a = transportAttributes(mid: m.mid!)
            let extensions = keptExtensions(m)
            a += extensions.map { Attribute($0) }
            a.append(MediaDirection.recvonly.attribute)
            a += muxAttributes(m)
            let maps = m.rtpMaps, fmtps = m.formatParameters
            for pt in formats {
                if let map = maps.first(where: { $0.payloadType == pt }) { a.append(Attribute(map)) }
                if let codec = codecs.first(where: { $0.payloadType == pt }) { a += codec.feedback.map { Attribute(withPayloadType($0, pt)) } }
                if let fmtp = fmtps.first(where: { $0.payloadType == pt }) { a.append(Attribute(fmtp)) }
            }
            var rids: [String] = []
            if let sim = m.simulcast, !sim.send.isEmpty {
                let offeredRIDs = m.rids.filter { $0.direction == .send }
                let declared = Set(offeredRIDs.map(\.id))
                let streams = sim.send.map { $0.filter { declared.contains($0.rid) } }.filter { !$0.isEmpty }
                let used = Set(streams.flatMap { $0.map(\.rid) })
                for r in offeredRIDs where used.contains(r.id) {
                    a.append(Attribute(RIDDescription(id: r.id, direction: .recv,
                                                      restrictions: restrict(r.restrictions, to: keptTypes))))
                    rids.append(r.id)
                }
                if !streams.isEmpty { a.append(Attribute(Simulcast(recv: streams))) }
            }
            lines.append(accepted(m, formats: formats.map(String.init), attributes: a))
            decisions.append(AnsweredMedia(
                index: i, mid: m.mid, kind: m.kind, accepted: true, direction: .recvonly, codecs: codecs, codecMap: [],
                headerExtensions: extensions, rids: rids, remoteSSRCs: m.ssrcs, remoteSSRCGroups: m.ssrcGroups,
                remoteMSID: m.msids.first ?? msidFromSSRC(m), trackIndex: nil))
        }
        return Answer(session: session(offer, lines), media: decisions, unplacedTracks: [])
    }

    // MARK: View

    /// The answer to a client that receives `tracks` from us.
    public func viewAnswer(to offer: SessionDescription, tracks: [OutgoingTrack]) throws(SDPError) -> Answer {
        try checkLocal()
        for track in tracks {
            for (what, value) in [("cname", track.cname), ("stream id", track.streamID), ("track id", track.trackID)] where !Text.isWord(value) {
                throw .invalidLocalParameters(reason: "\(what) '\(value)' must be one word without spaces or control characters")
            }
        }
        try validateOffer(offer, supportedCodecs: policy)
        // Place every track in an m-line.
        var placement: [Int: (track: Int, map: [CodecMapping])] = [:]
        var unplaced: [Int] = []
        for (t, track) in tracks.enumerated() {
            var placed = false
            for (i, m) in offer.media.enumerated() where placement[i] == nil && m.kind == track.kind {
                if let mid = track.mid, m.mid != mid { continue }
                guard usable(m), offer.direction(ofMediaAt: i).receives else { continue }
                let map = mapCodecs(track, into: m)
                if map.isEmpty { continue }
                placement[i] = (t, map)
                placed = true
                break
            }
            if !placed { unplaced.append(t) }
        }
        guard !placement.isEmpty else { throw .noCommonCodec }

        var lines: [MediaDescription] = []
        var decisions: [AnsweredMedia] = []
        for (i, m) in offer.media.enumerated() {
            guard let (t, map) = placement[i] else {
                // JSEP §5.3.1: an m-line we support but have nothing to send on
                // is accepted `inactive`, not rejected: rejecting the offerer's
                // BUNDLE-tagged m-line would leave the others without transport.
                let codecs = policy.negotiate(m)
                if usable(m), !codecs.isEmpty {
                    var a = transportAttributes(mid: m.mid!)
                    a.append(MediaDirection.inactive.attribute)
                    a += muxAttributes(m)
                    for c in codecs {
                        a.append(Attribute(RTPMap(payloadType: c.payloadType, encodingName: c.name, clockRate: c.clockRate, channels: c.channels)))
                        if let p = c.parameters, !p.isEmpty { a.append(Attribute(FormatParameters(payloadType: c.payloadType, parameters: p))) }
                    }
                    lines.append(accepted(m, formats: codecs.map { String($0.payloadType) }, attributes: a))
                    decisions.append(AnsweredMedia(index: i, mid: m.mid, kind: m.kind, accepted: true, direction: .inactive,
                                                   codecs: codecs.map { var c = $0; c.rtxPayloadType = nil; c.feedback = []; return c },
                                                   codecMap: [], headerExtensions: [], rids: [], remoteSSRCs: [], remoteSSRCGroups: [],
                                                   remoteMSID: nil, trackIndex: nil))
                } else {
                    lines.append(rejected(m))
                    decisions.append(rejectedDecision(i, m))
                }
                continue
            }
            let track = tracks[t]
            let viewerCodecs = m.codecs
            var formats: [UInt8] = []
            var codecs: [NegotiatedCodec] = []
            var a = transportAttributes(mid: m.mid!)
            let extensions = keptExtensions(m)
            a += extensions.map { Attribute($0) }
            a.append(MediaDirection.sendonly.attribute)
            let msid = MSID(streamID: track.streamID, trackID: track.trackID)
            a.append(Attribute(msid))
            a += muxAttributes(m)
            for entry in map {
                let pt = entry.viewerPayloadType
                let viewer = viewerCodecs.first { $0.payloadType == pt }!
                let feedback = policy.filterFeedback(viewer.feedback)
                formats.append(pt)
                a.append(Attribute(RTPMap(payloadType: pt, encodingName: viewer.name, clockRate: viewer.clockRate, channels: viewer.channels)))
                a += feedback.map { Attribute(withPayloadType($0, pt)) }
                if let p = entry.publisher.parameters, !p.isEmpty { a.append(Attribute(FormatParameters(payloadType: pt, parameters: p))) }
                if let rtx = entry.viewerRTXPayloadType {
                    formats.append(rtx)
                    a.append(Attribute(RTPMap(payloadType: rtx, encodingName: "rtx", clockRate: viewer.clockRate)))
                    a.append(Attribute(FormatParameters(payloadType: rtx, parameters: "apt=\(pt)")))
                }
                codecs.append(NegotiatedCodec(payloadType: pt, name: viewer.name, clockRate: viewer.clockRate, channels: viewer.channels,
                                              parameters: entry.publisher.parameters, rtxPayloadType: entry.viewerRTXPayloadType,
                                              feedback: feedback))
            }
            let sendsRTX = map.contains { $0.viewerRTXPayloadType != nil }
            if sendsRTX, let rtx = track.rtxSSRC { a.append(Attribute(SSRCGroup(semantics: "FID", ssrcs: [track.ssrc, rtx]))) }
            for ssrc in [track.ssrc] + (sendsRTX ? track.rtxSSRC.map { [$0] } ?? [] : []) {
                a.append(Attribute(SSRCAttribute(ssrc: ssrc, attribute: "cname", value: track.cname)))
                a.append(Attribute(SSRCAttribute(ssrc: ssrc, attribute: "msid", value: msid.attributeValue)))
            }
            lines.append(accepted(m, formats: formats.map(String.init), attributes: a))
            decisions.append(AnsweredMedia(
                index: i, mid: m.mid, kind: m.kind, accepted: true, direction: .sendonly, codecs: codecs, codecMap: map,
                headerExtensions: extensions, rids: [], remoteSSRCs: [], remoteSSRCGroups: [], remoteMSID: nil, trackIndex: t))
        }
        return Answer(session: session(offer, lines), media: decisions, unplacedTracks: unplaced)
    }

    /// Publisher codecs (in the publisher's order) that the viewer's m-line also offers.
    func mapCodecs(_ track: OutgoingTrack, into m: MediaDescription) -> [CodecMapping] {
        let offered = m.codecs
        var used = Set<UInt8>()
        var out: [CodecMapping] = []
        for pc in track.codecs {
            guard let vc = offered.first(where: { c in
                !used.contains(c.payloadType) && c.associatedPayloadType == nil && policy.supports(c, kind: m.kind) && pc.isCompatible(with: c)
            }) else { continue }
            used.insert(vc.payloadType)
            var rtx: UInt8?
            if policy.allowRTX, pc.rtxPayloadType != nil, track.rtxSSRC != nil {
                rtx = offered.first { $0.associatedPayloadType == vc.payloadType }?.payloadType
            }
            out.append(CodecMapping(publisher: pc, viewerPayloadType: vc.payloadType, viewerRTXPayloadType: rtx))
        }
        return out
    }

    // MARK: Pieces

    private func checkLocal() throws(SDPError) {
        guard transport.fingerprint.normalizedHashFunction == "sha-256", transport.fingerprint.bytes.count == 32 else {
            throw .invalidLocalParameters(reason: "fingerprint must be sha-256 with 32 bytes")
        }
        if let reason = ICECredentials.problem(ufrag: transport.iceUfrag, pwd: transport.icePwd) {
            throw .invalidLocalParameters(reason: reason)
        }
        for c in transport.candidates where !Text.isWord(c.address) {
            throw .invalidLocalParameters(reason: "bad candidate address '\(c.address)'")
        }
    }

    /// An audio/video m-line over DTLS-SRTP that is not rejected and has a mid.
    private func usable(_ m: MediaDescription) -> Bool {
        (m.kind == .audio || m.kind == .video) && !m.isRejected && m.mid != nil && SecureRTP.accepts(m.proto)
    }

    private func session(_ offer: SessionDescription, _ lines: [MediaDescription]) -> SessionDescription {
        var attributes: [Attribute] = []
        let mids = lines.filter { $0.port != 0 }.compactMap(\.mid)
        if !mids.isEmpty { attributes.append(Attribute(Group(semantics: "BUNDLE", ids: mids))) }
        attributes.append(Attribute("ice-lite"))
        if offer.extmapAllowMixed { attributes.append(Attribute("extmap-allow-mixed")) }
        return SessionDescription(origin: Origin(sessionID: sessionID, sessionVersion: sessionVersion),
                                  attributes: attributes, media: lines)
    }

    private func transportAttributes(mid: String) -> [Attribute] {
        var a: [Attribute] = []
        let ordered = transport.candidates.filter { $0.transport == .udp } + transport.candidates.filter { $0.transport == .tcpPassive }
        for (n, c) in ordered.enumerated() {
            let candidate: Candidate
            switch c.transport {
            case .udp:
                candidate = Candidate(foundation: String(n + 1), component: 1, transport: "udp",
                                      priority: Candidate.priority(typePreference: 126, localPreference: UInt32(65535 - min(n, 65535)), component: 1),
                                      address: c.address, port: c.port, type: .host)
            case .tcpPassive:
                // RFC 6544 §4.2: local preference = 2^13 · direction preference (passive: 4; we offer no
                // active or S-O candidates) + other preference; a type preference below UDP host's
                // keeps UDP first wherever it works.
                let local = UInt32(4 << 13) + UInt32(8191 - min(n, 8191))
                candidate = Candidate(foundation: String(n + 1), component: 1, transport: "tcp",
                                      priority: Candidate.priority(typePreference: 90, localPreference: local, component: 1),
                                      address: c.address, port: c.port, type: .host, tcpType: .passive)
            }
            a.append(Attribute(candidate))
        }
        a.append(Attribute("end-of-candidates"))
        a.append(Attribute("ice-ufrag", transport.iceUfrag))
        a.append(Attribute("ice-pwd", transport.icePwd))
        a.append(Attribute(Fingerprint(hashFunction: "sha-256", bytes: transport.fingerprint.bytes)))
        a.append(Attribute(SetupRole.passive))
        a.append(Attribute("mid", mid))
        return a
    }

    private func muxAttributes(_ m: MediaDescription) -> [Attribute] {
        var a = [Attribute("rtcp-mux")]
        if m.rtcpReducedSize { a.append(Attribute("rtcp-rsize")) }
        if m.extmapAllowMixed { a.append(Attribute("extmap-allow-mixed")) }
        return a
    }

    /// Offered extensions we support, same ids, direction seen from our side.
    private func keptExtensions(_ m: MediaDescription) -> [ExtensionMap] {
        var ids = Set<UInt16>()
        return m.extensionMaps.compactMap { e -> ExtensionMap? in
            guard policy.headerExtensions.contains(e.uri), ids.insert(e.id).inserted else { return nil }
            return ExtensionMap(id: e.id, direction: e.direction?.reversed, uri: e.uri)
        }
    }

    private func accepted(_ m: MediaDescription, formats: [String], attributes: [Attribute]) -> MediaDescription {
        // The default candidate (RFC 8839 §4.2.1.2): the first UDP one.
        let first = transport.candidates.first { $0.transport == .udp } ?? transport.candidates.first
        var bandwidths: [Bandwidth] = []
        if m.kind == .video, let max = maxVideoBitrate {
            bandwidths = [Bandwidth(type: "AS", value: (max + 999) / 1000), Bandwidth(type: "TIAS", value: max)]
        }
        return MediaDescription(kind: m.kind, port: first?.port ?? 9, proto: m.proto, formats: formats,
                                connection: .internet(first?.address ?? "0.0.0.0"), bandwidths: bandwidths,
                                attributes: attributes)
    }

    /// JSEP §5.3.1: port 0, the offered formats, `a=mid` kept, no transport attributes.
    private func rejected(_ m: MediaDescription) -> MediaDescription {
        var a: [Attribute] = []
        if let mid = m.mid { a.append(Attribute("mid", mid)) }
        a.append(MediaDirection.inactive.attribute)
        return MediaDescription(kind: m.kind, port: 0, proto: m.proto, formats: m.formats,
                                connection: .internet("0.0.0.0"), attributes: a)
    }

    private func rejectedDecision(_ i: Int, _ m: MediaDescription) -> AnsweredMedia {
        AnsweredMedia(index: i, mid: m.mid, kind: m.kind, accepted: false, direction: .inactive, codecs: [], codecMap: [],
                      headerExtensions: [], rids: [], remoteSSRCs: [], remoteSSRCGroups: [], remoteMSID: nil, trackIndex: nil)
    }

    private func withPayloadType(_ f: RTCPFeedback, _ pt: UInt8) -> RTCPFeedback {
        RTCPFeedback(payloadType: pt, type: f.type, parameter: f.parameter)
    }

    /// A rid's restrictions with `pt=` limited to payload types still in the answer.
    private func restrict(_ restrictions: String?, to kept: Set<UInt8>) -> String? {
        guard let restrictions else { return nil }
        var out: [FormatParameters.Parameter] = []
        for p in FormatParameters.split(restrictions) {
            if p.name == "pt" {
                let pts = Text.pieces(p.value ?? "", ",").compactMap(Text.payloadType).filter(kept.contains)
                if !pts.isEmpty { out.append(.init(name: "pt", value: pts.map(String.init).joined(separator: ","))) }
            } else {
                out.append(p)
            }
        }
        return out.isEmpty ? nil : FormatParameters.join(out)
    }

    /// Plan-B style `a=ssrc:<n> msid:<stream> <track>` when there is no `a=msid`.
    private func msidFromSSRC(_ m: MediaDescription) -> MSID? {
        guard let v = m.ssrcAttributes.first(where: { $0.attribute == "msid" })?.value else { return nil }
        return try? MSID(attributeValue: v)
    }
}
