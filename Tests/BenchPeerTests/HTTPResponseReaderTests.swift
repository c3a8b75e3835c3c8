import XCTest
@testable import BenchPeer

final class HTTPResponseReaderTests: XCTestCase {
    func read(_ text: String, eof: Bool = false, noBody: Bool = false) throws -> HTTPClientResponse? {
        var r = HTTPResponseReader()
        r.noBody = noBody
        r.feed(Array(text.utf8))
        return try r.next(eof: eof)
    }

    func testContentLengthBodyAndKeepAlive() throws {
        let r = try XCTUnwrap(read("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.reason, "OK")
        XCTAssertEqual(r.header("content-type"), "application/json")
        XCTAssertEqual(r.bodyText, "{\"a\":1}")
        XCTAssertTrue(r.keepAlive)
        XCTAssertFalse(try XCTUnwrap(read("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")).keepAlive)
        XCTAssertFalse(try XCTUnwrap(read("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")).keepAlive)
        XCTAssertTrue(try XCTUnwrap(read("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")).keepAlive)
    }

    func testIncompleteInputWaitsForMore() throws {
        var r = HTTPResponseReader()
        let text = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8)
        for (i, b) in text.enumerated() {
            r.feed([b])
            let got = try r.next()
            XCTAssertEqual(got != nil, i == text.count - 1, "byte \(i)")
        }
    }

    func testPipelinedResponsesAreSplit() throws {
        var r = HTTPResponseReader()
        r.feed(Array("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1".utf8))
        XCTAssertEqual(try r.next()?.status, 204)
        XCTAssertEqual(try r.next()?.bodyText, "hi")
        XCTAssertNil(try r.next())
        XCTAssertEqual(r.pending, Array("HTTP/1.1".utf8))
    }

    func testChunkedWithExtensionsAndTrailers() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"
        XCTAssertEqual(try read(text)?.bodyText, "Wikipedia in\r\n\r\nchunks.")
        XCTAssertNil(try read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi"))
    }

    func testBodyDelimitedByClose() throws {
        XCTAssertNil(try read("HTTP/1.1 200 OK\r\n\r\npartial"))
        let r = try XCTUnwrap(read("HTTP/1.1 200 OK\r\n\r\nall of it", eof: true))
        XCTAssertEqual(r.bodyText, "all of it")
        XCTAssertFalse(r.keepAlive)
        XCTAssertEqual(try read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", noBody: true)?.body, [])
    }

    func testMalformedResponsesAreRejectedWithSpecificErrors() {
        let cases: [(String, Bool, HTTPClientError)] = [
            ("HTTP/2 200 OK\r\n\r\n", false, .malformedStatusLine("HTTP/2 200 OK")),
            ("HTTP/1.1 20 OK\r\n\r\n", false, .malformedStatusLine("HTTP/1.1 20 OK")),
            ("HTTP/1.1 999 Nope\r\n\r\n", false, .malformedStatusLine("HTTP/1.1 999 Nope")),
            ("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false, .malformedHeader("NoColon")),
            ("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", false, .malformedHeader("Bad Name: x")),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, .badContentLength("-1")),
            ("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", false, .badContentLength("12abc")),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, .badChunk("size 'zz'")),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n", false, .badChunk("missing CRLF after data")),
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, .truncatedBody(expected: 10, got: 5)),
            ("", true, .closedBeforeResponse),
        ]
        for (text, eof, expected) in cases {
            XCTAssertThrowsError(try read(text, eof: eof), text) { XCTAssertEqual($0 as? HTTPClientError, expected, text) }
        }
    }

    func testLimits() {
        var r = HTTPResponseReader()
        r.maxHeadBytes = 64
        r.feed(Array(("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 100)).utf8))
        XCTAssertThrowsError(try r.next()) { XCTAssertEqual($0 as? HTTPClientError, .headTooLarge(limit: 64)) }
        var b = HTTPResponseReader()
        b.maxBodyBytes = 10
        b.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n".utf8))
        XCTAssertThrowsError(try b.next()) { XCTAssertEqual($0 as? HTTPClientError, .bodyTooLarge(limit: 10)) }
        var c = HTTPResponseReader()
        c.maxBodyBytes = 4
        c.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8))
        XCTAssertThrowsError(try c.next()) { XCTAssertEqual($0 as? HTTPClientError, .bodyTooLarge(limit: 4)) }
    }

    func testConferenceAPIErrorBody() throws {
        var r = HTTPResponseReader()
        r.feed(Array("HTTP/1.1 409 Conflict\r\nContent-Length: 59\r\n\r\n{\"error\":\"ENDPOINT_EXISTS\",\"message\":\"already joined here\"}".utf8))
        let e = ConferenceClient.apiError("join", try XCTUnwrap(try r.next()))
        XCTAssertEqual(e.status, 409)
        XCTAssertEqual(e.code, "ENDPOINT_EXISTS")
        XCTAssertEqual(e.message, "already joined here")
        var html = HTTPResponseReader()
        html.feed(Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 4\r\n\r\noops".utf8))
        let g = ConferenceClient.apiError("join", try XCTUnwrap(try html.next()))
        XCTAssertEqual(g.code, "HTTP_502")
        XCTAssertEqual(g.message, "oops")
    }

    func testClientURLParsing() throws {
        let c = try BlockingHTTPClient(url: "http://127.0.0.1:18080/ignored")
        XCTAssertEqual(c.host, "127.0.0.1")
        XCTAssertEqual(c.port, 18080)
        XCTAssertEqual(try BlockingHTTPClient(url: "http://example.test").port, 80)
        XCTAssertThrowsError(try BlockingHTTPClient(url: "https://example.test"))
        XCTAssertEqual(ConferenceClient.formEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9")
    }
}
