import Foundation

/// Which standard face a session came through; also the `face` label of
/// the session metrics (`conference-api` for the JSON Conference API).
public enum WHIPFace: String, Sendable, CaseIterable {
    case whip, whep

    /// The face a request path belongs to, if any.
    init?(path: String) {
        if path == "/whip" || path.hasPrefix("/whip/") { self = .whip } else if path == "/whep" || path.hasPrefix("/whep/") { self = .whep } else { return nil }
    }
}

/// One WHIP publication or WHEP playback: the HTTP session resource
/// (`Location`) and the conference endpoint, stream and viewer it maps to.
struct WHIPSession: Sendable {
    let id: String
    let face: WHIPFace
    let conferenceId: String
    let endpointId: String
    let streamId: String
    /// The WHEP viewer; nil for a WHIP publication.
    let viewerId: String?
    /// The token subject that created it (it, or a SERVICE token, may change or end it).
    let owner: String
    /// Entity tag of the current ICE session (RFC 9725 §4.3.1), quoted.
    var etag: String
    /// The client's last offer: an ICE restart re-negotiates it with new credentials.
    var offer: String
    /// The client's current ICE ufrag.
    var remoteUfrag: String?
    /// When it was registered (monotonic ns), after its endpoint joined.
    var createdAt: UInt64 = DispatchTime.now().uptimeNanoseconds

    var location: String { "/\(face.rawValue)/\(Self.encodeSegment(conferenceId))/sessions/\(id)" }

    /// A path segment with everything but `A-Z a-z 0-9 - . _ ~` percent-encoded (RFC 3986 §2.3).
    static func encodeSegment(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += (b < 16 ? "%0" : "%") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static func newETag() -> String { "\"" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") + "\"" }
}

/// The live WHIP/WHEP sessions, by session id. An actor: requests on
/// different connections look sessions up and change them one at a time.
actor WHIPSessions {
    private var sessions: [String: WHIPSession] = [:]

    var count: Int { sessions.count }

    func add(_ s: WHIPSession) { sessions[s.id] = s }
    func get(_ id: String) -> WHIPSession? { sessions[id] }
    func update(_ s: WHIPSession) { if sessions[s.id] != nil { sessions[s.id] = s } }
    @discardableResult func remove(_ id: String) -> WHIPSession? { sessions.removeValue(forKey: id) }

    /// Forgets the sessions whose endpoint is gone (left through the
    /// Conference API, removed after SICK, conference ended); returns the
    /// sessions left per face. `liveEndpoints` was read after `cutoff`, so
    /// only sessions registered before it can be judged by it (a newer one
    /// may have joined after the snapshot).
    func reconcile(liveEndpoints: Set<String>, cutoff: UInt64) -> [WHIPFace: Int] {
        sessions = sessions.filter {
            $0.value.createdAt >= cutoff || liveEndpoints.contains(Self.key($0.value.conferenceId, $0.value.endpointId))
        }
        var counts: [WHIPFace: Int] = [:]
        for s in sessions.values { counts[s.face, default: 0] += 1 }
        return counts
    }

    /// Every WHEP session (the bookkeeping ends those whose stream went).
    var playbacks: [WHIPSession] { sessions.values.filter { $0.face == .whep } }

    static func key(_ conferenceId: String, _ endpointId: String) -> String { conferenceId + "\u{0}" + endpointId }
}

/// The latest session counts per face, read by the `/metrics` gauge.
final class SessionGauge: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func set(_ c: [String: Int]) { lock.lock(); counts = c; lock.unlock() }
    var snapshot: [String: Int] { lock.lock(); defer { lock.unlock() }; return counts }
}

