import XCTest
import HTTP
@testable import RecordStore

final class ByteRangeTests: XCTestCase {
    func resolve(_ header: String, _ size: Int64) -> ByteRange.Resolution? {
        guard let specs = try? ByteRange.parse(header) else { return nil }
        return ByteRange.resolve(specs, size: size)
    }

    func testSingleRanges() {
        XCTAssertEqual(resolve("bytes=0-9", 100), .partial(first: 0, last: 9))
        XCTAssertEqual(resolve("bytes=90-", 100), .partial(first: 90, last: 99))
        XCTAssertEqual(resolve("bytes=90-1000", 100), .partial(first: 90, last: 99))
        XCTAssertEqual(resolve("bytes=-10", 100), .partial(first: 90, last: 99))
        XCTAssertEqual(resolve("bytes=-1000", 100), .partial(first: 0, last: 99))
        XCTAssertEqual(resolve("BYTES = 5-5", 100), .partial(first: 5, last: 5))
        XCTAssertEqual(resolve("bytes=0-99999999999999999999999", 100), .partial(first: 0, last: 99))
    }

    func testUnsatisfiable() {
        XCTAssertEqual(resolve("bytes=100-", 100), .unsatisfiable)
        XCTAssertEqual(resolve("bytes=100-200", 100), .unsatisfiable)
        XCTAssertEqual(resolve("bytes=-0", 100), .unsatisfiable)
        XCTAssertEqual(resolve("bytes=0-", 0), .unsatisfiable)
        XCTAssertEqual(resolve("bytes=-5", 0), .unsatisfiable)
        XCTAssertEqual(resolve("bytes=99999999999999999999-", 100), .unsatisfiable)
        XCTAssertEqual(resolve("bytes=200-300,400-", 100), .unsatisfiable)
    }

    func testSeveralRangesGiveTheWholeItem() {
        XCTAssertEqual(resolve("bytes=0-1,5-6", 100), .whole)
        XCTAssertEqual(resolve("bytes=0-1, 500-600", 100), .whole)
        XCTAssertEqual(resolve("bytes=0-1,,", 100), .partial(first: 0, last: 1))
    }

    func testMalformedHeadersAreSpecificErrors() {
        func error(_ h: String) -> ByteRange.ParseError? {
            do { _ = try ByteRange.parse(h); return nil } catch { return error }
        }
        XCTAssertEqual(error("items=0-1"), .unsupportedUnit("items"))
        XCTAssertEqual(error("bytes 0-1"), .malformed("no '=' after the range unit"))
        XCTAssertEqual(error("bytes="), .empty)
        XCTAssertEqual(error("bytes=,"), .empty)
        XCTAssertEqual(error("bytes=5"), .malformed("range '5' has no '-'"))
        XCTAssertEqual(error("bytes=a-5"), .malformed("first position in 'a-5' is not a number"))
        XCTAssertEqual(error("bytes=1-b"), .malformed("last position in '1-b' is not a number"))
        XCTAssertEqual(error("bytes=--5"), .malformed("suffix length in '--5' is not a number"))
        XCTAssertEqual(error("bytes=-"), .malformed("suffix length in '-' is not a number"))
        XCTAssertEqual(error("bytes=+1-2"), .malformed("first position in '+1-2' is not a number"))
        XCTAssertEqual(error("bytes=9-3"), .lastBeforeFirst("9-3"))
    }
}

final class ConditionalTests: XCTestCase {
    let current = Validators(etag: EntityTag(opaque: "abc-1"), lastModified: 1_700_000_000)
    var lastModified: String { HTTPDates.format(epochSeconds: 1_700_000_000) }
    var earlier: String { HTTPDates.format(epochSeconds: 1_699_999_999) }

    func evaluate(_ method: String, _ fields: [(String, String)], current: Validators?? = nil) -> Conditional.Outcome {
        Conditional.evaluate(method: method, headers: HTTPHeaders(fields), current: current ?? self.current)
    }

    func evaluate(_ fields: [(String, String)]) -> Conditional.Outcome { evaluate("GET", fields) }

    func testEntityTagLists() throws {
        XCTAssertEqual(try EntityTag.parseList("\"a\""), [EntityTag(opaque: "a")])
        XCTAssertEqual(try EntityTag.parseList(" W/\"a\" , \"b\",,\"\""), [EntityTag(opaque: "a", weak: true), EntityTag(opaque: "b"), EntityTag(opaque: "")])
        XCTAssertNil(try EntityTag.parseList(" * "))
        XCTAssertThrowsError(try EntityTag.parseList("abc")) { XCTAssertEqual($0 as? EntityTag.ParseError, .missingQuote("abc")) }
        XCTAssertThrowsError(try EntityTag.parseList("\"abc")) { XCTAssertEqual($0 as? EntityTag.ParseError, .missingQuote("\"abc")) }
        XCTAssertThrowsError(try EntityTag.parseList("\"a b\"")) { XCTAssertEqual($0 as? EntityTag.ParseError, .badCharacter("\"a b\"")) }
        XCTAssertThrowsError(try EntityTag.parseList("\"a\" \"b\"")) { XCTAssertEqual($0 as? EntityTag.ParseError, .missingComma("\"a\" \"b\"")) }
        XCTAssertThrowsError(try EntityTag.parseList("*, \"a\"")) { XCTAssertEqual($0 as? EntityTag.ParseError, .badCharacter("*, \"a\"")) }
        XCTAssertThrowsError(try EntityTag.parseList("  ")) { XCTAssertEqual($0 as? EntityTag.ParseError, .empty) }
        XCTAssertEqual(EntityTag(opaque: "x", weak: true).description, "W/\"x\"")
    }

    func testIfNoneMatch() {
        XCTAssertEqual(evaluate([("If-None-Match", "\"abc-1\"")]), .notModified)
        XCTAssertEqual(evaluate("HEAD", [("If-None-Match", "W/\"abc-1\"")]), .notModified) // weak comparison
        XCTAssertEqual(evaluate([("If-None-Match", "\"x\", \"abc-1\"")]), .notModified)
        XCTAssertEqual(evaluate([("If-None-Match", "*")]), .notModified)
        XCTAssertEqual(evaluate([("If-None-Match", "\"other\"")]), .proceed)
        XCTAssertEqual(evaluate([("If-None-Match", "garbage")]), .proceed)
        // If-None-Match wins over If-Modified-Since.
        XCTAssertEqual(evaluate([("If-None-Match", "\"other\""), ("If-Modified-Since", lastModified)]), .proceed)
        // Unsafe methods get 412, e.g. a create-only PUT on an existing item.
        guard case .preconditionFailed = evaluate("PUT", [("If-None-Match", "*")]) else { return XCTFail() }
        XCTAssertEqual(evaluate("PUT", [("If-None-Match", "*")], current: .some(nil)), .proceed)
    }

    func testIfModifiedSince() {
        XCTAssertEqual(evaluate([("If-Modified-Since", lastModified)]), .notModified)
        XCTAssertEqual(evaluate([("If-Modified-Since", HTTPDates.format(epochSeconds: 1_800_000_000))]), .notModified)
        XCTAssertEqual(evaluate([("If-Modified-Since", earlier)]), .proceed)
        XCTAssertEqual(evaluate([("If-Modified-Since", "not a date")]), .proceed)
        XCTAssertEqual(evaluate("DELETE", [("If-Modified-Since", lastModified)]), .proceed)
    }

    func testIfMatchAndIfUnmodifiedSince() {
        XCTAssertEqual(evaluate("PUT", [("If-Match", "\"abc-1\"")]), .proceed)
        XCTAssertEqual(evaluate("PUT", [("If-Match", "*")]), .proceed)
        guard case .preconditionFailed = evaluate("PUT", [("If-Match", "W/\"abc-1\"")]) else { return XCTFail("weak tag matched If-Match") }
        guard case .preconditionFailed = evaluate("PUT", [("If-Match", "*")], current: .some(nil)) else { return XCTFail() }
        guard case .preconditionFailed = evaluate("GET", [("If-Match", "\"zzz\"")]) else { return XCTFail() }
        guard case .preconditionFailed = evaluate("DELETE", [("If-Unmodified-Since", earlier)]) else { return XCTFail() }
        XCTAssertEqual(evaluate("DELETE", [("If-Unmodified-Since", lastModified)]), .proceed)
        // If-Match takes precedence over If-Unmodified-Since.
        XCTAssertEqual(evaluate("DELETE", [("If-Match", "\"abc-1\""), ("If-Unmodified-Since", earlier)]), .proceed)
    }

    func testIfRange() {
        XCTAssertTrue(Conditional.rangeAllowed(ifRange: nil, current: current))
        XCTAssertTrue(Conditional.rangeAllowed(ifRange: "\"abc-1\"", current: current))
        XCTAssertFalse(Conditional.rangeAllowed(ifRange: "W/\"abc-1\"", current: current))
        XCTAssertFalse(Conditional.rangeAllowed(ifRange: "\"old\"", current: current))
        XCTAssertTrue(Conditional.rangeAllowed(ifRange: lastModified, current: current))
        XCTAssertFalse(Conditional.rangeAllowed(ifRange: earlier, current: current))
        XCTAssertFalse(Conditional.rangeAllowed(ifRange: "yesterday", current: current))
    }
}
