/// Header fields in arrival order with case-insensitive lookup.
///
/// HTTP field names are case-insensitive (RFC 9110 §5.1); order matters only
/// for repeated fields, so a flat array is both simplest and fastest here.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field called `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveEquals(name) }
    }

    /// The first value of `name`, if any.
    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

extension String {
    /// ASCII case-insensitive comparison (header names and tokens are ASCII).
    @inlinable
    public func caseInsensitiveEquals(_ other: String) -> Bool {
        var a = self.utf8.makeIterator()
        var b = other.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
                let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
                if lx != ly { return false }
            default: return false
            }
        }
    }
}

/// The parsed request line and header section of one request.
public struct HTTPRequestHead: Sendable {
    public var method: String
    /// The request target as sent (origin form, or the path part of absolute form).
    public var target: String
    /// The percent-decoded path, without the query.
    public var path: String
    /// The raw query string (after `?`), if any.
    public var query: String?
    public var versionMinor: Int
    public var headers: HTTPHeaders
    /// How the body is framed.
    public var bodyFraming: BodyFraming
    public var keepAlive: Bool
    public var expectContinue: Bool

    public enum BodyFraming: Sendable, Equatable {
        case none
        case length(Int64)
        case chunked
    }

    public init(method: String, target: String, path: String, query: String?, versionMinor: Int, headers: HTTPHeaders,
                bodyFraming: BodyFraming, keepAlive: Bool, expectContinue: Bool) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.versionMinor = versionMinor
        self.headers = headers
        self.bodyFraming = bodyFraming
        self.keepAlive = keepAlive
        self.expectContinue = expectContinue
    }

    /// The decoded query parameters (`a=1&b=2`), first value wins.
    public var queryItems: [String: String] { parseFormURLEncoded(query ?? "") }
}

/// Decodes `application/x-www-form-urlencoded` text (also query strings); first value wins.
public func parseFormURLEncoded(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = percentDecode(String(parts[0]), plusIsSpace: true) ?? String(parts[0])
        let value = parts.count > 1 ? (percentDecode(String(parts[1]), plusIsSpace: true) ?? String(parts[1])) : ""
        if out[key] == nil { out[key] = value }
    }
    return out
}

/// Decodes `%XX` escapes; nil when an escape is malformed or the result is not UTF-8.
public func percentDecode(_ s: String, plusIsSpace: Bool = false) -> String? {
    if !s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) { return s }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(s.utf8.count)
    var it = Array(s.utf8)[...]
    while let c = it.popFirst() {
        if c == UInt8(ascii: "%") {
            guard let h = it.popFirst(), let l = it.popFirst(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
            bytes.append(hv << 4 | lv)
        } else if plusIsSpace && c == UInt8(ascii: "+") {
            bytes.append(0x20)
        } else {
            bytes.append(c)
        }
    }
    return String(validating: bytes, as: UTF8.self)
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 65...70: return c - 55
    case 97...102: return c - 87
    default: return nil
    }
}

/// Reason phrases for the status codes this server sends.
public enum HTTPStatus {
    public static func reason(_ code: Int) -> String {
        switch code {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        case 507: return "Insufficient Storage"
        default: return "Status \(code)"
        }
    }
}

/// An error that maps onto one HTTP response: a status, a stable machine code
/// and a human message. Handlers throw it; the server renders it as JSON
/// `{"error": code, "message": message}`.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var headers: HTTPHeaders

    public init(_ status: Int, _ code: String, _ message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "BAD_REQUEST") -> HTTPError { HTTPError(400, code, message) }
    public static func notFound(_ message: String, code: String = "NOT_FOUND") -> HTTPError { HTTPError(404, code, message) }
    public static let connectionClosed = HTTPError(499, "CONNECTION_CLOSED", "the client closed the connection")
}
