import CSystem
import Glibc

/// Why a response could not be read. Each case names what was wrong, so a
/// benchmark against a misbehaving server says why it stopped.
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    case connect(String)
    case io(String)
    case closedBeforeResponse
    case malformedStatusLine(String)
    case malformedHeader(String)
    case headTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    case badContentLength(String)
    case badChunk(String)
    case truncatedBody(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .connect(let s): return "connect: \(s)"
        case .io(let s): return "I/O error: \(s)"
        case .closedBeforeResponse: return "connection closed before a response"
        case .malformedStatusLine(let s): return "malformed status line: \(s)"
        case .malformedHeader(let s): return "malformed header line: \(s)"
        case .headTooLarge(let l): return "response head larger than \(l) bytes"
        case .bodyTooLarge(let l): return "response body larger than \(l) bytes"
        case .badContentLength(let s): return "bad Content-Length: \(s)"
        case .badChunk(let s): return "bad chunk: \(s)"
        case .truncatedBody(let e, let g): return "body truncated: expected \(e) bytes, got \(g)"
        }
    }
}

/// One parsed HTTP/1.1 response.
public struct HTTPClientResponse: Equatable {
    public var status: Int
    public var reason: String
    /// Header names lower-cased, in order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var keepAlive: Bool

    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.name == n }?.value
    }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public static func == (a: Self, b: Self) -> Bool {
        a.status == b.status && a.reason == b.reason && a.body == b.body && a.keepAlive == b.keepAlive
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
}

/// Incremental parser of HTTP/1.1 responses (RFC 9112): feed bytes as they
/// arrive, get a response once complete. It exists so the blocking client's
/// framing (Content-Length, chunked, keep-alive) is testable without sockets.
/// Limits are explicit; anything malformed is a specific error.
public struct HTTPResponseReader {
    public var maxHeadBytes = 64 * 1024
    public var maxBodyBytes = 16 * 1024 * 1024
    /// A response to HEAD (or 204/304) has no body whatever the headers say.
    public var noBody = false
    private var buffer: [UInt8] = []

    public init() {}

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// Bytes received but not consumed by a completed response (the next one's start).
    public var pending: [UInt8] { buffer }

    /// A complete response if the buffer holds one (and removes it), nil if more is needed.
    /// `eof`: the peer closed; a body delimited by close ends here.
    public mutating func next(eof: Bool = false) throws(HTTPClientError) -> HTTPClientResponse? {
        guard let headEnd = Self.find(buffer, [13, 10, 13, 10]) else {
            if buffer.count > maxHeadBytes { throw .headTooLarge(limit: maxHeadBytes) }
            if eof { throw buffer.isEmpty ? .closedBeforeResponse : .truncatedBody(expected: 0, got: buffer.count) }
            return nil
        }
        guard headEnd <= maxHeadBytes else { throw .headTooLarge(limit: maxHeadBytes) }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0",
              parts[1].count == 3, let status = Int(parts[1]), (100...599).contains(status) else {
            throw .malformedStatusLine(statusLine)
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(" ") else { throw .malformedHeader(line) }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            headers.append((name, value))
        }
        let connection = headers.first { $0.name == "connection" }?.value.lowercased()
        var keepAlive = parts[0] == "HTTP/1.1" ? connection != "close" : connection == "keep-alive"
        let bodyStart = headEnd + 4
        var body: [UInt8] = []
        var consumed = bodyStart
        let chunked = headers.contains { $0.name == "transfer-encoding" && $0.value.lowercased().contains("chunked") }
        if noBody || status == 204 || status == 304 || status < 200 {
        } else if chunked {
            guard let (b, end) = try decodeChunked(from: bodyStart) else {
                if eof { throw .badChunk("connection closed inside chunked body") }
                return nil
            }
            body = b
            consumed = end
        } else if let cl = headers.first(where: { $0.name == "content-length" })?.value {
            guard let n = Int(cl), n >= 0 else { throw .badContentLength(cl) }
            guard n <= maxBodyBytes else { throw .bodyTooLarge(limit: maxBodyBytes) }
            guard buffer.count - bodyStart >= n else {
                if eof { throw .truncatedBody(expected: n, got: buffer.count - bodyStart) }
                return nil
            }
            body = Array(buffer[bodyStart..<bodyStart + n])
            consumed = bodyStart + n
        } else {
            // Delimited by close.
            guard eof else {
                if buffer.count - bodyStart > maxBodyBytes { throw .bodyTooLarge(limit: maxBodyBytes) }
                return nil
            }
            body = Array(buffer[bodyStart...])
            consumed = buffer.count
            keepAlive = false
        }
        buffer.removeFirst(consumed)
        let reason = parts.count > 2 ? String(parts[2]) : ""
        return HTTPClientResponse(status: status, reason: reason, headers: headers, body: body, keepAlive: keepAlive)
    }

    private func decodeChunked(from start: Int) throws(HTTPClientError) -> ([UInt8], Int)? {
        var i = start
        var body: [UInt8] = []
        while true {
            guard let lineEnd = Self.find(buffer, [13, 10], from: i) else {
                if buffer.count - i > 1024 { throw .badChunk("chunk size line too long") }
                return nil
            }
            let line = String(decoding: buffer[i..<lineEnd], as: UTF8.self)
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingSpaces() } ?? ""
            guard !sizeText.isEmpty, sizeText.count <= 8, let size = Int(sizeText, radix: 16) else { throw .badChunk("size '\(line)'") }
            i = lineEnd + 2
            if size == 0 {
                // Trailers (ignored) end with an empty line.
                while true {
                    guard let end = Self.find(buffer, [13, 10], from: i) else { return nil }
                    if end == i { return (body, end + 2) }
                    i = end + 2
                }
            }
            guard body.count + size <= maxBodyBytes else { throw .bodyTooLarge(limit: maxBodyBytes) }
            guard buffer.count >= i + size + 2 else { return nil }
            body.append(contentsOf: buffer[i..<i + size])
            guard buffer[i + size] == 13, buffer[i + size + 1] == 10 else { throw .badChunk("missing CRLF after data") }
            i += size + 2
        }
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8], from: Int = 0) -> Int? {
        guard hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        var i = from
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] {
                var ok = true
                for j in 1..<needle.count where hay[i + j] != needle[j] { ok = false; break }
                if ok { return i }
            }
            i += 1
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// A blocking HTTP/1.1 client on one keep-alive TCP connection (reconnects
/// when the server closed it). The benchmark's control thread uses it for
/// the Conference API; no Foundation networking, so it works everywhere
/// the server does.
public final class BlockingHTTPClient {
    public let host: String
    public let port: UInt16
    public var timeoutSeconds: Int = 15
    private var fd: Int32 = -1
    private var reader = HTTPResponseReader()

    /// `url` like `http://127.0.0.1:8080` (no TLS; a path is ignored).
    public init(url: String) throws(HTTPClientError) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else { throw .connect("only http:// URLs are supported: \(url)") }
        rest = rest.dropFirst(7)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let colon = rest.lastIndex(of: ":"), let p = UInt16(rest[rest.index(after: colon)...]) {
            host = String(rest[..<colon])
            port = p
        } else {
            host = String(rest)
            port = 80
        }
        guard !host.isEmpty else { throw .connect("no host in \(url)") }
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connectSocket() throws(HTTPClientError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let first = res else { throw .connect("getaddrinfo \(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(res) }
        var ai: UnsafeMutablePointer<addrinfo>? = first
        var lastError = ""
        while let a = ai {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if s >= 0 {
                var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { fd = s; reader = HTTPResponseReader(); return }
                lastError = String(cString: strerror(errno))
                close(s)
            }
            ai = a.pointee.ai_next
        }
        throw .connect("\(host):\(port): \(lastError)")
    }

    /// Sends one request and waits for its response. Retries once on a
    /// keep-alive connection the server had closed.
    public func request(_ method: String, _ path: String, headers: [(String, String)] = [],
                        body: [UInt8] = []) throws(HTTPClientError) -> HTTPClientResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        for attempt in 0..<2 {
            if fd < 0 { try connectSocket() }
            let reused = attempt == 0 && fd >= 0
            do throws(HTTPClientError) {
                try sendAll(bytes)
                reader.noBody = method == "HEAD"
                let r = try readResponse()
                if !r.keepAlive { close(fd); fd = -1 }
                return r
            } catch {
                close(fd); fd = -1
                if case .closedBeforeResponse = error, reused, attempt == 0 { continue }
                throw error
            }
        }
        throw .closedBeforeResponse
    }

    private func sendAll(_ bytes: [UInt8]) throws(HTTPClientError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .closedBeforeResponse
            }
            off += n
        }
    }

    private func readResponse() throws(HTTPClientError) -> HTTPClientResponse {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let r = try reader.next() { return r }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(String(cString: strerror(errno)))
            }
            if n == 0 {
                if let r = try reader.next(eof: true) { return r }
                throw .closedBeforeResponse
            }
            reader.feed(chunk[0..<n])
        }
    }
}
