import JSON

/// A Conference API call that did not succeed: the HTTP status and the
/// server's error code and message (docs/API.md "Errors").
public struct ConferenceAPIError: Error, CustomStringConvertible {
    public var operation: String
    public var status: Int
    public var code: String
    public var message: String
    public var description: String { "\(operation): \(status) \(code) \(message)" }
}

/// How the benchmark authenticates: a ready bearer token, OAuth client
/// credentials exchanged at `/security/oauth/token`, or nothing (`--auth off`).
public enum BenchCredentials: Sendable {
    case none
    case token(String)
    case client(id: String, secret: String)
}

/// The Conference REST API (`/rtc-api/conferences/...`) as the benchmark
/// uses it: create, join, publishStream, viewStream, stopViewStream, leave,
/// end. Blocking calls on one keep-alive connection; not thread-safe (each
/// control thread owns its own).
public final class ConferenceClient {
    public let http: BlockingHTTPClient
    public private(set) var token: String?

    public init(url: String, credentials: BenchCredentials) throws {
        http = try BlockingHTTPClient(url: url)
        switch credentials {
        case .none: token = nil
        case .token(let t): token = t
        case .client(let id, let secret): token = try Self.fetchToken(http, id: id, secret: secret)
        }
    }

    /// OAuth 2.0 client credentials (RFC 6749 §4.4), id and secret as form fields.
    public static func fetchToken(_ http: BlockingHTTPClient, id: String, secret: String) throws -> String {
        let form = "grant_type=client_credentials&client_id=\(formEncode(id))&client_secret=\(formEncode(secret))"
        let r = try http.request("POST", "/security/oauth/token",
                                 headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
        guard r.status == 200, let json = try? JSON.parse(r.body), let t = json["access_token"]?.stringValue else {
            throw ConferenceAPIError(operation: "token", status: r.status, code: "TOKEN", message: r.bodyText)
        }
        return t
    }

    static func formEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// POSTs `body` to `/rtc-api/conferences/<op>`; returns the parsed body (`.null` for 204).
    @discardableResult
    public func call(_ op: String, _ body: JSON) throws -> JSON {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let r = try http.request("POST", "/rtc-api/conferences/\(op)", headers: headers, body: body.bytes)
        guard (200..<300).contains(r.status) else { throw Self.apiError(op, r) }
        if r.body.isEmpty { return .null }
        return try JSON.parse(r.body)
    }

    /// The server's error body `{"error": CODE, "message": text}` (docs/API.md) as an error;
    /// a body of another shape keeps the status as `HTTP_<status>` and the text as the message.
    static func apiError(_ op: String, _ r: HTTPClientResponse) -> ConferenceAPIError {
        let json = try? JSON.parse(r.body)
        return ConferenceAPIError(operation: op, status: r.status, code: json?["error"]?.stringValue ?? "HTTP_\(r.status)",
                                  message: json?["message"]?.stringValue ?? r.bodyText)
    }

    public func create(conferenceId: String) throws {
        try call("create", ["conferenceId": .string(conferenceId), "mode": "ROUTER"])
    }

    public func join(conferenceId: String, endpoint: String) throws {
        try call("join", ["conferenceId": .string(conferenceId), "userEndpointId": .string(endpoint)])
    }

    /// Returns the SDP answer.
    public func publish(conferenceId: String, endpoint: String, streamId: String, type: String, offer: String) throws -> String {
        let r = try call("publishStream", ["conferenceId": .string(conferenceId), "userEndpointId": .string(endpoint),
                                           "streamId": ["id": .string(streamId)], "conferenceStreamType": .string(type),
                                           "sdpOffer": .string(offer)])
        guard let answer = r["sdpAnswer"]?.stringValue else { throw ConferenceAPIError(operation: "publishStream", status: 200, code: "NO_ANSWER", message: r.serialized()) }
        return answer
    }

    /// Returns the SDP answer.
    public func view(conferenceId: String, endpoint: String, streamId: String, viewerId: String, offer: String) throws -> String {
        let r = try call("viewStream", ["conferenceId": .string(conferenceId), "userEndpointId": .string(endpoint),
                                        "streamId": ["id": .string(streamId)], "viewerId": .string(viewerId),
                                        "sdpOffer": .string(offer)])
        guard let answer = r["sdpAnswer"]?.stringValue else { throw ConferenceAPIError(operation: "viewStream", status: 200, code: "NO_ANSWER", message: r.serialized()) }
        return answer
    }

    public func stopView(conferenceId: String, endpoint: String, streamId: String, viewerId: String) throws {
        try call("stopViewStream", ["conferenceId": .string(conferenceId), "userEndpointId": .string(endpoint),
                                    "streamId": ["id": .string(streamId)], "viewerId": .string(viewerId)])
    }

    public func leave(conferenceId: String, endpoint: String) throws {
        try call("leave", ["conferenceId": .string(conferenceId), "userEndpointId": .string(endpoint)])
    }

    public func end(conferenceId: String, endpoint: String) throws {
        try call("end", ["conferenceId": .string(conferenceId), "userEndpointId": .string(endpoint), "reason": "bench done"])
    }
}
