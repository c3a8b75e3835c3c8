/// Incremental HTTP/1.1 request parser (RFC 9112), a pure state machine.
///
/// It is fed whatever bytes have arrived and answers with one step at a time:
/// a complete head, a piece of body, the end of the body, "need more", or an
/// error carrying the status to answer with. It never buffers body bytes and
/// never allocates per body byte, so bodies of any size stream through it.
/// Feeding the same request one byte at a time gives the same steps as
/// feeding it whole (tested).
public struct RequestParser: Sendable {
    /// Explicit limits; each has its own answer.
    public struct Limits: Sendable {
        /// Request line plus header section, bytes (431 beyond).
        public var maxHeadBytes = 16 * 1024
        /// Number of header fields (431 beyond).
        public var maxHeaderCount = 100
        /// A chunk-size line including extensions, bytes (400 beyond).
        public var maxChunkLineBytes = 1024
        /// Trailer section after the last chunk, bytes (431 beyond).
        public var maxTrailerBytes = 8 * 1024
        public init() {}
    }

    public enum Step: Sendable, Equatable {
        /// Not enough bytes yet; `consumed` bytes may be dropped from the input.
        case needMore(consumed: Int)
        /// A complete request head.
        case head(HTTPRequestHeadBox, consumed: Int)
        /// Body bytes at `range` of the input given to this call.
        case body(Range<Int>, consumed: Int)
        /// The body (if any) is complete; the parser is ready for the next request.
        case end(consumed: Int)
    }

    public enum State: Sendable, Equatable {
        case head
        case fixedBody(remaining: Int64)
        case chunkSize
        case chunkData(remaining: Int64)
        case chunkDataCRLF
        case trailers(seen: Int)
    }

    public private(set) var state: State = .head
    public var limits: Limits

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Parses from the start of `input`. Call again with the unconsumed rest.
    public mutating func next(_ input: UnsafeRawBufferPointer) throws(HTTPError) -> Step {
        switch state {
        case .head:
            return try parseHead(input)
        case .fixedBody(let remaining):
            if remaining == 0 { state = .head; return .end(consumed: 0) }
            if input.isEmpty { return .needMore(consumed: 0) }
            let n = Int(min(Int64(input.count), remaining))
            let left = remaining - Int64(n)
            state = .fixedBody(remaining: left)
            return .body(0..<n, consumed: n)
        case .chunkSize:
            guard let lineEnd = findCRLF(input, from: 0) else {
                // Same order whole or in pieces: bare LF within the limit first, then the limit.
                try rejectBareLF(input, upTo: min(input.count, limits.maxChunkLineBytes + 2))
                if input.count > limits.maxChunkLineBytes { throw HTTPError(400, "BAD_CHUNK", "chunk-size line too long") }
                return .needMore(consumed: 0)
            }
            if lineEnd > limits.maxChunkLineBytes { throw HTTPError(400, "BAD_CHUNK", "chunk-size line too long") }
            let size = try parseChunkSize(UnsafeRawBufferPointer(rebasing: input[0..<lineEnd]))
            if size == 0 {
                state = .trailers(seen: 0)
            } else {
                state = .chunkData(remaining: size)
            }
            return .needMore(consumed: lineEnd + 2)
        case .chunkData(let remaining):
            if input.isEmpty { return .needMore(consumed: 0) }
            let n = Int(min(Int64(input.count), remaining))
            let left = remaining - Int64(n)
            state = left == 0 ? .chunkDataCRLF : .chunkData(remaining: left)
            return .body(0..<n, consumed: n)
        case .chunkDataCRLF:
            if input.count < 2 { 
                if input.count == 1 && input[0] != 13 { throw HTTPError(400, "BAD_CHUNK", "chunk data not followed by CRLF") }
                return .needMore(consumed: 0)
            }
            guard input[0] == 13, input[1] == 10 else { throw HTTPError(400, "BAD_CHUNK", "chunk data not followed by CRLF") }
            state = .chunkSize
            return .needMore(consumed: 2)
        case .trailers(let seen):
            // Trailer fields are read and discarded (RFC 9112 §7.1.2 allows it).
            guard let lineEnd = findCRLF(input, from: 0) else {
                try rejectBareLF(input, upTo: min(input.count, max(0, limits.maxTrailerBytes - seen) + 2))
                if seen + input.count > limits.maxTrailerBytes { throw HTTPError(431, "TRAILERS_TOO_LARGE", "trailer section too large") }
                return .needMore(consumed: 0)
            }
            if seen + lineEnd + 2 > limits.maxTrailerBytes { throw HTTPError(431, "TRAILERS_TOO_LARGE", "trailer section too large") }
            if lineEnd == 0 {
                state = .head
                return .end(consumed: 2)
            }
            let line = UnsafeRawBufferPointer(rebasing: input[0..<lineEnd])
            _ = try parseFieldLine(line)
            state = .trailers(seen: seen + lineEnd + 2)
            return .needMore(consumed: lineEnd + 2)
        }
    }

    // MARK: - Head

    private mutating func parseHead(_ input: UnsafeRawBufferPointer) throws(HTTPError) -> Step {
        // RFC 9112 §2.2: ignore empty lines before the request line.
        var start = 0
        while input.count - start >= 2, input[start] == 13, input[start + 1] == 10 { start += 2 }
        if start > 0 { return .needMore(consumed: start) }
        // The same checks in the same order whether the head arrives whole or
        // in pieces: bare LF within the first maxHeadBytes, then the size limit.
        let end = findHeadEnd(input)
        try rejectBareLF(input, upTo: min(end.map { $0 + 4 } ?? input.count, limits.maxHeadBytes))
        guard let end else {
            if input.count > limits.maxHeadBytes { throw HTTPError(431, "HEADERS_TOO_LARGE", "request line and headers exceed \(limits.maxHeadBytes) bytes") }
            return .needMore(consumed: 0)
        }
        if end + 4 > limits.maxHeadBytes { throw HTTPError(431, "HEADERS_TOO_LARGE", "request line and headers exceed \(limits.maxHeadBytes) bytes") }
        let headBytes = UnsafeRawBufferPointer(rebasing: input[0..<(end + 2)])
        let head = try parseHeadSection(headBytes)
        switch head.bodyFraming {
        case .none: state = .fixedBody(remaining: 0)
        case .length(let n): state = .fixedBody(remaining: n)
        case .chunked: state = .chunkSize
        }
        return .head(HTTPRequestHeadBox(head), consumed: end + 4)
    }

    /// Parses "request-line CRLF *(field-line CRLF)" (the final CRLF excluded).
    private func parseHeadSection(_ bytes: UnsafeRawBufferPointer) throws(HTTPError) -> HTTPRequestHead {
        guard let firstEnd = findCRLF(bytes, from: 0) else { throw HTTPError(400, "BAD_REQUEST_LINE", "missing request line") }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<firstEnd])
        guard let sp1 = line.firstIndex(of: 32) else { throw HTTPError(400, "BAD_REQUEST_LINE", "malformed request line") }
        guard let sp2 = line[(sp1 + 1)...].firstIndex(of: 32) else { throw HTTPError(400, "BAD_REQUEST_LINE", "malformed request line") }
        let methodBytes = UnsafeRawBufferPointer(rebasing: line[0..<sp1])
        let targetBytes = UnsafeRawBufferPointer(rebasing: line[(sp1 + 1)..<sp2])
        let versionBytes = UnsafeRawBufferPointer(rebasing: line[(sp2 + 1)...])
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(isTokenChar) else { throw HTTPError(400, "BAD_METHOD", "malformed method") }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 32 && $0 < 127 }) else { throw HTTPError(400, "BAD_TARGET", "malformed request target") }
        let versionMinor = try parseVersion(versionBytes)
        let method = String(decoding: methodBytes, as: UTF8.self)
        var target = String(decoding: targetBytes, as: UTF8.self)
        // Absolute form: keep only path and query.
        if target.hasPrefix("http://") || target.hasPrefix("https://") {
            let afterScheme = target.drop(while: { $0 != ":" }).dropFirst(3)
            if let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                let rest = String(afterScheme[slash...])
                target = rest.hasPrefix("?") ? "/" + rest : rest
            } else {
                target = "/"
            }
        } else if target != "*" && !target.hasPrefix("/") {
            throw HTTPError(400, "BAD_TARGET", "request target must be absolute path")
        }
        let rawPath: Substring
        var query: String? = nil
        if let q = target.firstIndex(of: "?") {
            rawPath = target[..<q]
            query = String(target[target.index(after: q)...])
        } else {
            rawPath = target[...]
        }
        if let hash = query?.firstIndex(of: "#") { query = String(query![..<hash]) }
        guard let path = percentDecode(String(rawPath)) else { throw HTTPError(400, "BAD_TARGET", "malformed percent-encoding in path") }
        if path.utf8.contains(0) { throw HTTPError(400, "BAD_TARGET", "NUL in path") }

        var headers = HTTPHeaders()
        var pos = firstEnd + 2
        var count = 0
        while pos < bytes.count {
            guard let lineEnd = findCRLF(bytes, from: pos) else { throw HTTPError(400, "BAD_HEADER", "malformed header line") }
            count += 1
            if count > limits.maxHeaderCount { throw HTTPError(431, "TOO_MANY_HEADERS", "more than \(limits.maxHeaderCount) header fields") }
            let field = try parseFieldLine(UnsafeRawBufferPointer(rebasing: bytes[pos..<lineEnd]))
            headers.add(field.0, field.1)
            pos = lineEnd + 2
        }
        return try interpret(method: method, target: target, path: path, query: query, versionMinor: versionMinor, headers: headers)
    }

    private func parseVersion(_ v: UnsafeRawBufferPointer) throws(HTTPError) -> Int {
        // "HTTP/" DIGIT "." DIGIT
        guard v.count == 8, v[0] == 72, v[1] == 84, v[2] == 84, v[3] == 80, v[4] == 47, v[6] == 46,
              (48...57).contains(v[5]), (48...57).contains(v[7]) else {
            throw HTTPError(400, "BAD_VERSION", "malformed HTTP version")
        }
        guard v[5] == 49 else { throw HTTPError(505, "VERSION_NOT_SUPPORTED", "only HTTP/1.x is supported") }
        return Int(v[7] - 48)
    }

    /// "field-name: OWS field-value OWS"; no obs-fold, no whitespace before the colon.
    private func parseFieldLine(_ line: UnsafeRawBufferPointer) throws(HTTPError) -> (String, String) {
        if let first = line.first, first == 32 || first == 9 {
            throw HTTPError(400, "BAD_HEADER", "obsolete line folding is not accepted")
        }
        guard let colon = line.firstIndex(of: 58), colon > 0 else { throw HTTPError(400, "BAD_HEADER", "header line without name") }
        let name = UnsafeRawBufferPointer(rebasing: line[0..<colon])
        guard name.allSatisfy(isTokenChar) else { throw HTTPError(400, "BAD_HEADER", "invalid character in header name") }
        var vs = colon + 1
        var ve = line.count
        while vs < ve, line[vs] == 32 || line[vs] == 9 { vs += 1 }
        while ve > vs, line[ve - 1] == 32 || line[ve - 1] == 9 { ve -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[vs..<ve])
        for c in value where (c < 32 && c != 9) || c == 127 {
            throw HTTPError(400, "BAD_HEADER", "control character in header value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Applies the framing rules of RFC 9112 §6 and the smuggling defences.
    private func interpret(method: String, target: String, path: String, query: String?, versionMinor: Int, headers: HTTPHeaders) throws(HTTPError) -> HTTPRequestHead {
        let hosts = headers.values("Host")
        if versionMinor >= 1 && hosts.count != 1 {
            throw HTTPError(400, "BAD_HOST", hosts.isEmpty ? "missing Host header" : "more than one Host header")
        }
        let lengths = headers.values("Content-Length")
        let encodings = headers.values("Transfer-Encoding")
        if !lengths.isEmpty && !encodings.isEmpty {
            throw HTTPError(400, "AMBIGUOUS_FRAMING", "both Content-Length and Transfer-Encoding present")
        }
        var framing = HTTPRequestHead.BodyFraming.none
        if lengths.count > 1 {
            throw HTTPError(400, "AMBIGUOUS_FRAMING", "more than one Content-Length header")
        }
        if let l = lengths.first {
            guard !l.isEmpty, l.utf8.count <= 18, l.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int64(l) else {
                throw HTTPError(400, "BAD_CONTENT_LENGTH", "invalid Content-Length")
            }
            framing = n > 0 ? .length(n) : .none
        }
        if !encodings.isEmpty {
            if versionMinor == 0 { throw HTTPError(400, "AMBIGUOUS_FRAMING", "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces().lowercased() }
            if codings.contains(where: { $0.isEmpty }) { throw HTTPError(400, "BAD_TRANSFER_ENCODING", "empty transfer coding") }
            if let unknown = codings.first(where: { $0 != "chunked" }) {
                throw HTTPError(501, "UNSUPPORTED_TRANSFER_ENCODING", "transfer coding '\(unknown)' is not supported")
            }
            if codings.count != 1 { throw HTTPError(400, "BAD_TRANSFER_ENCODING", "chunked applied more than once") }
            framing = .chunked
        }
        var keepAlive = versionMinor >= 1
        for token in headers.values("Connection").flatMap({ $0.split(separator: ",") }) {
            let t = token.trimmingSpaces().lowercased()
            if t == "close" { keepAlive = false }
            if t == "keep-alive" && versionMinor == 0 { keepAlive = true }
        }
        var expectContinue = false
        if let expect = headers["Expect"] {
            if expect.trimmingSpaces().lowercased() == "100-continue" {
                expectContinue = versionMinor >= 1
            } else {
                throw HTTPError(417, "EXPECTATION_FAILED", "unsupported expectation '\(expect)'")
            }
        }
        return HTTPRequestHead(method: method, target: target, path: path, query: query, versionMinor: versionMinor,
                               headers: headers, bodyFraming: framing, keepAlive: keepAlive, expectContinue: expectContinue)
    }

    private func parseChunkSize(_ line: UnsafeRawBufferPointer) throws(HTTPError) -> Int64 {
        var size: Int64 = 0
        var digits = 0
        var i = 0
        while i < line.count, let v = hexValue(line[i]) {
            digits += 1
            if digits > 15 { throw HTTPError(400, "BAD_CHUNK", "chunk size too large") }
            size = size << 4 | Int64(v)
            i += 1
        }
        if digits == 0 { throw HTTPError(400, "BAD_CHUNK", "malformed chunk size") }
        // Optional BWS and chunk extensions: accepted and ignored.
        while i < line.count, line[i] == 32 || line[i] == 9 { i += 1 }
        if i < line.count {
            guard line[i] == 59 else { throw HTTPError(400, "BAD_CHUNK", "malformed chunk size") }
            for c in line[i...] where (c < 32 && c != 9) || c == 127 {
                throw HTTPError(400, "BAD_CHUNK", "control character in chunk extension")
            }
        }
        return size
    }

    private func rejectBareLF(_ input: UnsafeRawBufferPointer, upTo n: Int) throws(HTTPError) {
        var prev: UInt8 = 0
        for i in 0..<n {
            let c = input[i]
            if c == 10 && prev != 13 { throw HTTPError(400, "BAD_LINE_ENDING", "bare LF line ending") }
            prev = c
        }
    }
}

/// Wraps a head so `Step` stays `Equatable` cheaply (compared by identity of content).
public struct HTTPRequestHeadBox: Sendable, Equatable {
    public let head: HTTPRequestHead
    public init(_ head: HTTPRequestHead) { self.head = head }
    public static func == (a: Self, b: Self) -> Bool {
        a.head.method == b.head.method && a.head.target == b.head.target && a.head.versionMinor == b.head.versionMinor
            && a.head.headers.fields.map { "\($0.name):\($0.value)" } == b.head.headers.fields.map { "\($0.name):\($0.value)" }
            && a.head.bodyFraming == b.head.bodyFraming && a.head.keepAlive == b.head.keepAlive
    }
}

@inline(__always)
func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case 48...57, 65...90, 97...122: return true
    case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
    default: return false
    }
}

/// Index of the first CRLF at or after `from`; a bare LF is an error found by the caller's line parser.
func findCRLF(_ b: UnsafeRawBufferPointer, from: Int) -> Int? {
    var i = from
    let n = b.count
    while i + 1 < n {
        if b[i] == 13 {
            if b[i + 1] == 10 { return i }
        } else if b[i] == 10 {
            return nil
        }
        i += 1
    }
    return nil
}

/// Index of the CRLFCRLF ending the head, if complete.
func findHeadEnd(_ b: UnsafeRawBufferPointer) -> Int? {
    let n = b.count
    var i = 0
    while i + 3 < n {
        if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        i += 1
    }
    return nil
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}
