import Foundation

/// One request as a handler sees it: the head, a streamed body and the peer.
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: RequestBody
    /// "ip:port" of the client.
    public let remoteAddress: String

    public init(head: HTTPRequestHead, body: RequestBody, remoteAddress: String) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
    }

    public var method: String { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
    public var query: [String: String] { head.queryItems }
}

/// What a handler answers. Bodies are bytes, a file region sent with
/// `sendfile(2)`, or a stream the handler writes with backpressure.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public enum Body: Sendable {
        case empty
        case bytes([UInt8])
        /// A region of a file; the server opens it, so a rename after the
        /// response started cannot change what is sent.
        case file(path: String, offset: Int64, length: Int64)
        /// A region of a file the handler has already opened. The server
        /// takes the descriptor over and closes it, so what is sent is exactly
        /// the file the handler looked at (its size, its validators) even if
        /// the path is renamed or replaced in between.
        case openFile(OpenFile, offset: Int64, length: Int64)
        /// Written by the closure; framed with chunked encoding unless the
        /// handler set `Content-Length`.
        case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
    }

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func bytes(_ status: Int, _ bytes: [UInt8], contentType: String) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", contentType)
        return HTTPResponse(status: status, headers: h, body: .bytes(bytes))
    }

    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        .bytes(status, Array(text.utf8), contentType: contentType)
    }

    public static func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

    /// The JSON error body every face of the server uses: `{"error": CODE, "message": text}`.
    public static func error(_ e: HTTPError) -> HTTPResponse {
        var r = HTTPResponse.bytes(e.status, Array(errorJSON(code: e.code, message: e.message).utf8), contentType: "application/json")
        for f in e.headers { r.headers.add(f.name, f.value) }
        return r
    }
}

/// Minimal JSON string escaping for error bodies (the HTTP module does not depend on the JSON module).
func errorJSON(code: String, message: String) -> String {
    func esc(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
    return "{\"error\":\(esc(code)),\"message\":\(esc(message))}"
}

/// Handles the requests of one HTTP face (API, record store, …).
public protocol HTTPHandler: Sendable {
    /// The largest body accepted for this request head; a declared length
    /// above it is answered 413 before the handler runs, a chunked body
    /// that grows past it fails its read with 413.
    func maxBodySize(for head: HTTPRequestHead) -> Int64
    func handle(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// The request body as a stream of pieces pulled by the handler. Nothing is
/// read from the socket until the handler asks, so an upload of any size
/// flows at the speed the handler consumes it.
public final class RequestBody: Sendable {
    let server: HTTPServer?
    let connection: UInt64
    let serial: UInt64
    /// Bytes for requests built in tests without a server.
    let fixed: [UInt8]?
    private let fixedRead = LockedFlag()

    init(server: HTTPServer, connection: UInt64, serial: UInt64) {
        self.server = server
        self.connection = connection
        self.serial = serial
        self.fixed = nil
    }

    /// A body with fixed content (for tests and internal calls).
    public init(bytes: [UInt8]) {
        self.server = nil
        self.connection = 0
        self.serial = 0
        self.fixed = bytes
    }

    /// The next piece of the body, or nil at its end.
    public func read() async throws -> [UInt8]? {
        if let fixed {
            return fixedRead.testAndSet() ? nil : (fixed.isEmpty ? nil : fixed)
        }
        guard let server else { return nil }
        return try await server.readBody(connection: connection, serial: serial)
    }

    /// The whole body; fails with 413 beyond `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let piece = try await read() {
            if out.count + piece.count > limit {
                throw HTTPError(413, "PAYLOAD_TOO_LARGE", "request body exceeds \(limit) bytes")
            }
            out.append(contentsOf: piece)
        }
        return out
    }
}

/// Writes a streamed response body. `write` suspends while the client is
/// slow (backpressure) and throws once the client has gone.
public final class ResponseBodyWriter: Sendable {
    let server: HTTPServer
    let connection: UInt64
    let serial: UInt64

    init(server: HTTPServer, connection: UInt64, serial: UInt64) {
        self.server = server
        self.connection = connection
        self.serial = serial
    }

    public func write(_ bytes: [UInt8]) async throws {
        if bytes.isEmpty { return }
        try await server.writeBody(connection: connection, serial: serial, bytes: bytes)
    }

    public func write(_ string: String) async throws { try await write(Array(string.utf8)) }

    /// Suspends until the client has gone (EOF or reset on its connection)
    /// or the response has ended. A long-lived stream (SSE) waits on this to
    /// release what it holds at once rather than at its next write.
    public func waitUntilClosed() async {
        await server.waitUntilClosed(connection: connection, serial: serial)
    }

}

/// An open file descriptor handed to the server with `.openFile`. It is
/// closed by whoever holds it last: the server once it has sent the region,
/// or this box's `deinit` if the response is never sent.
public final class OpenFile: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32

    /// Takes ownership of `descriptor`.
    public init(descriptor: Int32) { fd = descriptor }

    /// Hands the descriptor over once; -1 afterwards.
    func take() -> Int32 {
        lock.lock(); defer { lock.unlock() }
        let f = fd
        fd = -1
        return f
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}

/// A tiny lock-protected flag.
final class LockedFlag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    func testAndSet() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let old = value
        value = true
        return old
    }
}
