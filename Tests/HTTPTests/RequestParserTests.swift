import XCTest
import Foundation
@testable import HTTP

/// Steps of the parser flattened for comparison: heads, body bytes, ends, errors.
private enum Seen: Equatable {
    case head(String, String, HTTPRequestHead.BodyFraming)
    case body([UInt8])
    case end
    case error(Int, String)
}

/// Feeds `input` in pieces of `chunk` bytes (0 = all at once), like a socket would.
private func feed(_ input: [UInt8], chunk: Int = 0, limits: RequestParser.Limits = .init()) -> [Seen] {
    var parser = RequestParser(limits: limits)
    var buffer: [UInt8] = []
    var seen: [Seen] = []
    var bodyRun: [UInt8] = []
    var offset = 0
    func flushBody() { if !bodyRun.isEmpty { seen.append(.body(bodyRun)); bodyRun = [] } }
    while true {
        let step: RequestParser.Step
        do {
            step = try buffer.withUnsafeBytes { try parser.next($0) }
        } catch {
            flushBody()
            let e = error as! HTTPError; seen.append(.error(e.status, e.code))
            return seen
        }
        switch step {
        case .needMore(let consumed):
            buffer.removeFirst(consumed)
            if consumed == 0 {
                if offset >= input.count { flushBody(); return seen }
                let n = chunk == 0 ? input.count - offset : min(chunk, input.count - offset)
                buffer.append(contentsOf: input[offset..<(offset + n)])
                offset += n
            }
        case .head(let box, let consumed):
            buffer.removeFirst(consumed)
            seen.append(.head(box.head.method, box.head.target, box.head.bodyFraming))
            if box.head.bodyFraming == .none {
                // Like the server: step past the empty body right away.
                if case .end = try! buffer.withUnsafeBytes({ try parser.next($0) }) { seen.append(.end) }
            }
        case .body(let range, let consumed):
            bodyRun.append(contentsOf: buffer[range])
            buffer.removeFirst(consumed)
        case .end(let consumed):
            buffer.removeFirst(consumed)
            flushBody()
            seen.append(.end)
        }
    }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

final class RequestParserTests: XCTestCase {
    func testSimpleGet() {
        XCTAssertEqual(feed(bytes("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n")), [.head("GET", "/a?b=1", .none), .end])
    }

    func testContentLengthBody() {
        XCTAssertEqual(feed(bytes("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")),
                       [.head("POST", "/p", .length(5)), .body(bytes("hello")), .end])
    }

    func testChunkedBodyWithExtensionsAndTrailers() {
        // RFC 9112 §7.1: chunk-size [; ext] CRLF data CRLF ... 0 CRLF trailers CRLF
        let req = "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "3;name=value\r\nabc\r\n" +   // a chunk with an extension
            "A\r\n0123456789\r\n" +       // hex size, upper case
            "0\r\nX-Trailer: t\r\n\r\n"   // last chunk and one trailer field
        XCTAssertEqual(feed(bytes(req)), [.head("POST", "/p", .chunked), .body(bytes("abc0123456789")), .end])
    }

    func testPipelinedRequests() {
        let req = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: x\r\n\r\n"
        XCTAssertEqual(feed(bytes(req)), [
            .head("GET", "/1", .none), .end,
            .head("POST", "/2", .length(2)), .body(bytes("hi")), .end,
            .head("GET", "/3", .none), .end,
        ])
    }

    /// The same request fed one byte at a time gives the same steps as fed whole.
    func testDripFeedMatchesWhole() {
        let requests = [
            "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
            "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n!\r\n0\r\nT: v\r\n\r\n",
            "\r\nGET /after-empty-line HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n",
            "GET / HTTP/1.1\u{05}\nHost: x\r\n\r\n", // found by FuzzHTTPRequest: bare LF before a complete head
        ]
        for r in requests {
            let whole = feed(bytes(r))
            for chunk in [1, 2, 3, 7] {
                XCTAssertEqual(feed(bytes(r), chunk: chunk), whole, "chunk size \(chunk) for \(r.debugDescription)")
            }
        }
    }

    /// Found by FuzzHTTPRequest: a bare LF inside an over-long chunk-size line gave
    /// BAD_CHUNK whole and BAD_LINE_ENDING in pieces.
    func testDripFeedRegressionChunkLine() {
        let input = Array(Data(base64Encoded: "IyMjIyMjIyMjIyMjIyMjIyMjIyNVUCAvcmVjb3Jkcy9hL2IgSFRUUC8xLjENCkhvc3Q6IHgNClRSYW5zZmVyLUVuY29kaW5nOiBjaHVua2VkDQpFeHBlYyp0OiAxMDAtY29udGludWUNCg0KNDtleHQ9MQ0KAAAAAA0KMOUKVCMjIyMjIyMjIyMjIzJodHRUczpjIyNVUCAvcmVjb3Jkcy9hL2IgSFRUUC8xLjENCkhvc3Q6IHgNClRyYW5zZmVyLUVuY29kaW5nOiBjaCMjIyMjIyMjIyMjVVAgL3JlY29yZHMvYS9iIEhUVFANClQjIyMjIyMjIyMjIyMyaHR0VDZzOmMjI1VQIC9yZWNvcmRzL2EvYiBIVFRQLzEuMQ0KSG9zdDogeA0KVHJhbnNmZXItRW5jb2Rpbmc6IGNoIyMjIyMjUFVUIC9yZWNvcmRzL2EvYiBIVFRQLzEuMQ0KSG9zdDogeA0KVHJhbnNmZXItRW5jb2Rpbmc6IFBVY2h1bmtlZA0KRXhwZWMqdDogMSMjIyMjVVAgL3JlY29yZHMvYS9iIP//SFRUUC8xLjENCkhvc3Q6IHgNClRyYW5zZmVyLUVuY29kaW5nOiBjaCMjIyMjIyMjIyMjVVAgL3JlY29yZHMvYVQgLy9jIEhUVFAvMS4xDQpIb3N0OiB4DQpUcmFuc2Zlci1FbmNvZGluZzogY2j/////////////////UFVUIC8vYyBIVFRQLzEuMQ0KSG9zdDogeA0KVHJhbnNmZXItRW5jb2Rpbmc6IGNo//////////////////////////////////////////////////////8gICAgLHJlIP///////yBjaP////////////////////////////////////////////////////////////8gICAgLHJlIP///////yBjaP//////////////////////////////////////////////////////ICAgICxyZSD/////////////////////////////////////////////////////////////////////////////////////////////////////UOHfICAgICAgICAgjCwvYS+RcmVjb3JkRW50LnJkcy9hKp8gLHJlY29yZFNlcXVlbnggLCAgICAgLCAgICxyZUUlXiUnJycnJycnJycnJycnIP///254ICAgICAgICxyZWNvcmQg////////////////////////////////////////////////////////////////////////////////////////////////////////////////UOHfICAgICAgICAgjCwvYS+RcmVjb3JkRW50LnJkcy9hKp8gLHJlY29yZFNlcXVlbnggLCAgICAgLCAgICxyZUUlXiUnJycnJycnJycnJycnIP///254ICAg/////////2NvcmRFbnQucmRzL2EqnyAscmVjb3JkU2VxdWVueCAsICAgICAsICAgLHJlRSVeJScnJycnJycnJycnJycg////bnggICAgICAgLHJlY29yZCD///////////////////////////////////////////////////////////////////////////////////////////////////////////////9Q4d8gICAgICAgICCMLC9hL5FyZWNvcmRFbnQucmRzL2EqnyAscmVjb3JkU2VxdWVueCAsICAgICAsICAgLHJlRSVeJScnJycnJycn//////////////////////////8gICAgLHJlIP////////////////////////////////////////////////////////////////////////////////////////////////////9Q4d8gICAgICAgICCMLC9hL5FyZWNvcmRFbnQucmRzL2EqnyAscmVjb3JkU2VxdWVueCAsICAgICAsICAgLHJlRSVeJScnJycnJycnJycnJycg////bnggICAgICAgLHJlY29yZCD///////////////////////////////////////////////////////////////////////////////////////////////////////////////9Q4d8gICAgICAgICCMLC9hL5FyZWNvcmRFbnQucmRzL2EqnyAscmVjb3JkU2VxdWVueCAsICAgICAsICAgLHJlRSVeJScnJycnJycnJycn////////////////////////////////////////////////////////////////////////////////////UOHfICAgICAgIP//////////ICCM/w==")!)
        let whole = feed(input)
        XCTAssertEqual(feed(input, chunk: 3), whole)
        XCTAssertEqual(feed(input, chunk: 1), whole)
    }

    func testErrorsTable() {
        let cases: [(String, Int, String)] = [
            ("GET / HTTP/1.1\r\n\r\n", 400, "BAD_HOST"),                                               // no Host
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "BAD_HOST"),                           // two Hosts
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "AMBIGUOUS_FRAMING"),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400, "AMBIGUOUS_FRAMING"),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n", 400, "BAD_CONTENT_LENGTH"),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "BAD_CONTENT_LENGTH"),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", 400, "BAD_CONTENT_LENGTH"),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "UNSUPPORTED_TRANSFER_ENCODING"),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, "BAD_TRANSFER_ENCODING"),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "AMBIGUOUS_FRAMING"),
            ("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "BAD_HEADER"),                     // obs-fold
            ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "BAD_HEADER"),                               // space before colon
            ("GET / HTTP/1.1\nHost: x\n\n", 400, "BAD_LINE_ENDING"),                                 // bare LF
            ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "VERSION_NOT_SUPPORTED"),
            ("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400, "BAD_VERSION"),
            ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "BAD_METHOD"),
            ("GET nopath HTTP/1.1\r\nHost: x\r\n\r\n", 400, "BAD_TARGET"),
            ("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "BAD_TARGET"),
            ("GET / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", 417, "EXPECTATION_FAILED"),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "BAD_CHUNK"),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc", 400, "BAD_CHUNK"),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 400, "BAD_CHUNK"),
        ]
        for (req, status, code) in cases {
            guard case .error(let s, let c)? = feed(bytes(req)).last else {
                XCTFail("no error for \(req.debugDescription): \(feed(bytes(req)))"); continue
            }
            XCTAssertEqual(s, status, req.debugDescription)
            XCTAssertEqual(c, code, req.debugDescription)
        }
    }

    func testHeadSizeLimitIs431() {
        var limits = RequestParser.Limits()
        limits.maxHeadBytes = 1024
        let big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 2000) + "\r\n\r\n"
        XCTAssertEqual(feed(bytes(big), limits: limits).last, .error(431, "HEADERS_TOO_LARGE"))
        // Also when the end of the head never arrives.
        XCTAssertEqual(feed(bytes(String(big.prefix(1500))), limits: limits).last, .error(431, "HEADERS_TOO_LARGE"))
    }

    func testHeaderCountLimitIs431() {
        var limits = RequestParser.Limits()
        limits.maxHeaderCount = 10
        var req = "GET / HTTP/1.1\r\nHost: x\r\n"
        for i in 0..<10 { req += "X-\(i): v\r\n" }
        req += "\r\n"
        XCTAssertEqual(feed(bytes(req), limits: limits).last, .error(431, "TOO_MANY_HEADERS"))
    }

    func testKeepAliveAndExpect() throws {
        var p = RequestParser()
        let req = bytes("PUT /x HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
        let step = try req.withUnsafeBytes { try p.next($0) }
        guard case .head(let box, _) = step else { return XCTFail("no head") }
        XCTAssertTrue(box.head.keepAlive)
        XCTAssertFalse(box.head.expectContinue, "100-continue is ignored for HTTP/1.0")
        var p2 = RequestParser()
        let req2 = bytes("PUT /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
        guard case .head(let box2, _) = try req2.withUnsafeBytes({ try p2.next($0) }) else { return XCTFail("no head") }
        XCTAssertFalse(box2.head.keepAlive)
        XCTAssertTrue(box2.head.expectContinue)
    }

    func testAbsoluteFormAndQuery() throws {
        var p = RequestParser()
        let req = bytes("GET http://example.com:8080/a%20b?x=1&y=%2F HTTP/1.1\r\nHost: example.com\r\n\r\n")
        guard case .head(let box, _) = try req.withUnsafeBytes({ try p.next($0) }) else { return XCTFail("no head") }
        XCTAssertEqual(box.head.path, "/a b")
        XCTAssertEqual(box.head.queryItems, ["x": "1", "y": "/"])
    }

    func testHTTPDateRoundTrip() {
        XCTAssertEqual(HTTPDate.format(epochSeconds: 784111777), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777)
        XCTAssertNil(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT"))
    }

    func testISOTime() {
        XCTAssertEqual(ISOTime.parse("2011-12-03T10:15:30Z"), 1322907330000)
        XCTAssertEqual(ISOTime.parse("2011-12-03T10:15:30.5+01:00"), 1322903730500)
        XCTAssertEqual(ISOTime.format(millis: 1322907330123), "2011-12-03T10:15:30.123Z")
        XCTAssertNil(ISOTime.parse("2011-12-03 10:15:30Z"))
        XCTAssertNil(ISOTime.parse("2011-02-30T10:15:30Z"))
        XCTAssertNil(ISOTime.parse("2011-12-03T10:15:30"))
        XCTAssertEqual(ISOTime.parse("2024-01-01T00:00:00", requireZone: false), 1704067200000)
    }
}
