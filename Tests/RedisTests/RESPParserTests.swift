import XCTest
@testable import Redis

/// Table tests over annotated RESP bytes (RESP2 and RESP3 from the protocol
/// specification), malformed inputs with their specific errors, and
/// piecewise feeding agreeing with whole feeding.
final class RESPParserTests: XCTestCase {
    /// Parses everything in `bytes`, fed in pieces of `piece` bytes; returns the values and the error, if any.
    static func parseAll(_ bytes: [UInt8], piece: Int = .max, limits: RESPParser.Limits = .init()) -> (values: [RESPValue], error: RESPError?) {
        var parser = RESPParser(limits: limits)
        var buffer: [UInt8] = []
        var offset = 0
        var values: [RESPValue] = []
        while true {
            do {
                let step = try buffer.withUnsafeBytes { try parser.next($0) }
                switch step {
                case .value(let v, let consumed):
                    buffer.removeFirst(consumed)
                    values.append(v)
                case .needMore(let consumed):
                    buffer.removeFirst(consumed)
                    if offset == bytes.count { return (values, nil) }
                    let n = min(piece, bytes.count - offset)
                    buffer += bytes[offset..<(offset + n)]
                    offset += n
                }
            } catch {
                return (values, error as? RESPError)
            }
        }
    }

    func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testWellFormedValues() {
        let table: [(String, String, RESPValue)] = [
            ("simple string", "+OK\r\n", .simpleString("OK")),
            ("simple error", "-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
            ("integer", ":1000\r\n", .integer(1000)),
            ("negative integer", ":-42\r\n", .integer(-42)),
            ("plus-signed integer", ":+7\r\n", .integer(7)),
            ("Int64.max", ":9223372036854775807\r\n", .integer(.max)),
            ("Int64.min", ":-9223372036854775808\r\n", .integer(.min)),
            // $len CRLF payload CRLF: payload is binary-safe (CRLF inside is data)
            ("bulk string", "$5\r\nhello\r\n", .bulkString(Array("hello".utf8))),
            ("bulk with CRLF inside", "$4\r\na\r\nb\r\n", .bulkString([97, 13, 10, 98])),
            ("empty bulk", "$0\r\n\r\n", .bulkString([])),
            ("RESP2 null bulk", "$-1\r\n", .null),
            ("RESP2 null array", "*-1\r\n", .null),
            ("empty array", "*0\r\n", .array([])),
            // *2: bulk "foo", bulk "bar"
            ("array of bulks", "*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", .array([.bulkString(b("foo")), .bulkString(b("bar"))])),
            // *2: [*3: 1 2 3], [*2: +Hello -World]
            ("nested array", "*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n",
             .array([.array([.integer(1), .integer(2), .integer(3)]), .array([.simpleString("Hello"), .error("World")])])),
            ("array with null element", "*3\r\n$3\r\nfoo\r\n$-1\r\n$3\r\nbar\r\n", .array([.bulkString(b("foo")), .null, .bulkString(b("bar"))])),
            ("RESP3 null", "_\r\n", .null),
            ("RESP3 true", "#t\r\n", .boolean(true)),
            ("RESP3 false", "#f\r\n", .boolean(false)),
            ("RESP3 double", ",1.23\r\n", .double(1.23)),
            ("RESP3 double exponent", ",-1.5e3\r\n", .double(-1500)),
            ("RESP3 double integer form", ",10\r\n", .double(10)),
            ("RESP3 inf", ",inf\r\n", .double(.infinity)),
            ("RESP3 -inf", ",-inf\r\n", .double(-.infinity)),
            ("RESP3 nan", ",nan\r\n", .double(.nan)),
            ("RESP3 big number", "(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
            ("RESP3 blob error", "!21\r\nSYNTAX invalid syntax\r\n", .error("SYNTAX invalid syntax")),
            // =15: format "txt", ':', then 11 bytes of text
            ("RESP3 verbatim", "=15\r\ntxt:Some string\r\n", .verbatim(format: "txt", text: b("Some string"))),
            // %2: first → 1, second → 2
            ("RESP3 map", "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
             .map([RESPPair(.simpleString("first"), .integer(1)), RESPPair(.simpleString("second"), .integer(2))])),
            ("RESP3 set", "~3\r\n+orange\r\n+apple\r\n#t\r\n", .set([.simpleString("orange"), .simpleString("apple"), .boolean(true)])),
            ("RESP3 push", ">2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n", .push([.simpleString("invalidate"), .array([.bulkString(b("key"))])])),
            // |1: attribute key-popularity → %1 ...; then the annotated reply *2 of doubles
            ("RESP3 attribute dropped", "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n",
             .array([.integer(2039123), .integer(9543892)])),
            // an attribute on an element inside an array
            ("RESP3 attribute on element", "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n", .array([.integer(1), .integer(2)])),
            ("empty attribute", "|0\r\n:5\r\n", .integer(5)),
        ]
        for (name, wire, expected) in table {
            let whole = Self.parseAll(b(wire))
            XCTAssertNil(whole.error, name)
            XCTAssertEqual(whole.values, [expected], name)
            for piece in [1, 2, 3, 7] {
                let p = Self.parseAll(b(wire), piece: piece)
                XCTAssertEqual(p.values, whole.values, "\(name) in \(piece)-byte pieces")
                XCTAssertNil(p.error, "\(name) in \(piece)-byte pieces")
            }
        }
    }

    func testMalformedInputsHaveTheirOwnError() {
        var small = RESPParser.Limits()
        small.maxBulkBytes = 10
        small.maxAggregateCount = 3
        small.maxDepth = 2
        small.maxLineBytes = 8
        small.maxValueBytes = 40
        let table: [(String, String, RESPParser.Limits, RESPError)] = [
            ("unknown type byte", "?x\r\n", .init(), .unknownType(UInt8(ascii: "?"))),
            ("inline command is no reply", "PING\r\n", .init(), .unknownType(UInt8(ascii: "P"))),
            ("bare LF", "+OK\n", .init(), .badLineEnding),
            ("CR without LF", "+OK\rX", .init(), .badLineEnding),
            ("line too long", "+123456789\r\n", small, .lineTooLong(limit: 8)),
            ("line too long with no CR yet", "+123456789", small, .lineTooLong(limit: 8)),
            ("integer with letters", ":12a\r\n", .init(), .badInteger),
            ("empty integer", ":\r\n", .init(), .badInteger),
            ("integer overflow", ":9223372036854775808\r\n", .init(), .badInteger),
            ("sign only", ":-\r\n", .init(), .badInteger),
            ("bulk length not a number", "$x\r\n", .init(), .badLength),
            ("bulk length -2", "$-2\r\n", .init(), .badLength),
            ("bulk length overflow", "$99999999999999999999\r\n", .init(), .badLength),
            ("blob error may not be null", "!-1\r\n", .init(), .badLength),
            ("bulk above limit", "$11\r\n", small, .bulkTooLong(length: 11, limit: 10)),
            ("huge bulk", "$9223372036854775807\r\n", .init(), .bulkTooLong(length: .max, limit: 16 << 20)),
            ("bulk not followed by CRLF", "$3\r\nfooXY", .init(), .missingBulkTerminator),
            ("bulk followed by CR then junk", "$3\r\nfoo\rX", .init(), .missingBulkTerminator),
            ("array count -2", "*-2\r\n", .init(), .badLength),
            ("map may not be null", "%-1\r\n", .init(), .badLength),
            ("array above limit", "*4\r\n", small, .aggregateTooLarge(count: 4, limit: 3)),
            ("huge array", "*9223372036854775807\r\n", .init(), .aggregateTooLarge(count: .max, limit: 1 << 20)),
            ("too deep", "*1\r\n*1\r\n*1\r\n:1\r\n", small, .tooDeep(limit: 2)),
            ("value too large", "*3\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n", small, .valueTooLarge(limit: 40)),
            ("null with payload", "_x\r\n", .init(), .badNull),
            ("boolean other than t/f", "#x\r\n", .init(), .badBoolean),
            ("boolean too long", "#tt\r\n", .init(), .badBoolean),
            ("double garbage", ",1.2.3\r\n", .init(), .badDouble),
            ("double hex is not RESP", ",0x10\r\n", .init(), .badDouble),
            ("double exponent without digits", ",1e\r\n", .init(), .badDouble),
            ("double empty", ",\r\n", .init(), .badDouble),
            ("big number with letters", "(12ab\r\n", .init(), .badBigNumber),
            ("big number empty", "(\r\n", .init(), .badBigNumber),
            ("verbatim too short", "=3\r\ntxt\r\n", .init(), .badVerbatim),
            ("verbatim without colon", "=5\r\ntxtab\r\n", .init(), .badVerbatim),
        ]
        for (name, wire, limits, expected) in table {
            let whole = Self.parseAll(b(wire), limits: limits)
            XCTAssertEqual(whole.error, expected, name)
            for piece in [1, 2, 5] {
                let p = Self.parseAll(b(wire), piece: piece, limits: limits)
                XCTAssertEqual(p.error, expected, "\(name) in \(piece)-byte pieces")
                XCTAssertEqual(p.values, whole.values, "\(name) in \(piece)-byte pieces")
            }
        }
    }

    func testManyValuesInOneBufferAndTruncation() {
        // Two replies back to back, then the start of a third.
        let wire = b("+OK\r\n:5\r\n$5\r\nhel")
        let r = Self.parseAll(wire)
        XCTAssertNil(r.error)
        XCTAssertEqual(r.values, [.simpleString("OK"), .integer(5)])
        // A truncated value is "need more" forever, never an error.
        for cut in 0..<b("*2\r\n$3\r\nfoo\r\n:1\r\n").count {
            let t = Self.parseAll(Array(b("*2\r\n$3\r\nfoo\r\n:1\r\n")[0..<cut]))
            XCTAssertNil(t.error, "cut at \(cut)")
            XCTAssertEqual(t.values, [], "cut at \(cut)")
        }
    }

    func testBulkPayloadIsConsumedAsItArrives() throws {
        var parser = RESPParser()
        let header = b("$10\r\n01234")
        let s1 = try header.withUnsafeBytes { try parser.next($0) }
        XCTAssertEqual(s1, .needMore(consumed: header.count), "header and partial payload taken")
        XCTAssertFalse(parser.isIdle)
        let rest = b("56789\r\n")
        let s2 = try rest.withUnsafeBytes { try parser.next($0) }
        XCTAssertEqual(s2, .value(.bulkString(b("0123456789")), consumed: rest.count))
        XCTAssertTrue(parser.isIdle)
    }

    func testRoundTripThroughEncoder() {
        let values: [RESPValue] = [
            .simpleString("OK"), .error("ERR x"), .error("multi\r\nline"), .integer(-9), .bulkString([0, 13, 10, 255]),
            .null, .double(2.5), .double(.infinity), .boolean(false), .bigNumber("-123456789012345678901234567890"),
            .verbatim(format: "mkd", text: b("# hi")),
            .array([.map([RESPPair(.bulkString(b("k")), .set([.integer(1)]))]), .push([.simpleString("message")])]),
        ]
        for v in values {
            var out: [UInt8] = []
            RESPEncoder.value(v, into: &out)
            XCTAssertEqual(Self.parseAll(out).values, [v], "\(v)")
        }
        let cmd = RESPEncoder.command(["SET", "k", .bytes([0, 1]), 42])
        XCTAssertEqual(cmd, b("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n") + [0, 1] + b("\r\n$2\r\n42\r\n"))
    }

    func testRandomBytesNeverTrapAndAgreePiecewise() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = b("+-:$*_,#(!=%~>|0123456789\r\n-aft.e")
        var limits = RESPParser.Limits()
        limits.maxDepth = 4
        limits.maxBulkBytes = 64
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<40, using: &rng)
            let input = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            let whole = Self.parseAll(input, limits: limits)
            let pieces = Self.parseAll(input, piece: Int.random(in: 1...5, using: &rng), limits: limits)
            XCTAssertEqual(whole.values, pieces.values, "\(input)")
            XCTAssertEqual(whole.error, pieces.error, "\(input)")
        }
    }

    func testEndpointURLs() throws {
        XCTAssertEqual(try RedisEndpoint.parse("redis://127.0.0.1:6380/2"), RedisEndpoint(host: "127.0.0.1", port: 6380, database: 2))
        XCTAssertEqual(try RedisEndpoint.parse("redis://localhost"), RedisEndpoint(host: "localhost"))
        XCTAssertEqual(try RedisEndpoint.parse("redis://:s3cret@[::1]:7000/"), RedisEndpoint(host: "::1", port: 7000, password: "s3cret"))
        XCTAssertEqual(try RedisEndpoint.parse("redis://user:pw@h:1/0").password, "pw")
        for bad in ["http://x", "redis://", "redis://h:0", "redis://h:70000", "redis://h:1/x", "redis://[::1"] {
            XCTAssertThrowsError(try RedisEndpoint.parse(bad), bad)
        }
        XCTAssertEqual(RedisEndpoint(host: "h", password: "secret").description, "redis://h:6379/0", "no password in logs")
    }

    func testBackoffIsExponentialJitteredAndCapped() {
        var b = Backoff(initial: 0.1, maximum: 1)
        XCTAssertEqual(b.next(random: 0.999999), 0.1, accuracy: 1e-3)
        XCTAssertEqual(b.next(random: 0), 0.1, accuracy: 1e-9, "half of 0.2")
        XCTAssertEqual(b.next(random: 0.999999), 0.4, accuracy: 1e-3)
        for _ in 0..<100 { XCTAssertLessThanOrEqual(b.next(random: 0.99), 1.0) }
        XCTAssertGreaterThanOrEqual(b.next(random: 0), 0.5)
        b.reset()
        XCTAssertEqual(b.next(random: 0.999999), 0.1, accuracy: 1e-3)
    }
}
