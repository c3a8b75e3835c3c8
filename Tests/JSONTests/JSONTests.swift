import XCTest
@testable import JSON

final class JSONTests: XCTestCase {
    func testRoundTrip() throws {
        let text = #"{"a":[1,-2,3.5,true,false,null],"b":{"c":"d\"e\\f\n\u0001é😀"},"big":9007199254740993}"#
        let v = try JSON.parse(text)
        XCTAssertEqual(v["big"], .int(9007199254740993), "integers are exact beyond 2^53")
        XCTAssertEqual(try JSON.parse(JSON.double(-2.5e10).serialized()), .double(-2.5e10), "found by FuzzJSON: integral doubles stay doubles")
        XCTAssertEqual(try JSON.parse(v.serialized()), v)
        XCTAssertEqual(v["b"]?["c"]?.stringValue, "d\"e\\f\n\u{01}é😀")
    }

    func testSerializationIsDeterministic() {
        let v: JSON = ["z": 1, "a": ["x": "y"], "m": [true, nil, 1.5]]
        XCTAssertEqual(v.serialized(), #"{"a":{"x":"y"},"m":[true,null,1.5],"z":1}"#)
    }

    func testSurrogatePairs() throws {
        XCTAssertEqual(try JSON.parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertThrowsError(try JSON.parse(#""\ud83d""#))
        XCTAssertThrowsError(try JSON.parse(#""\ude00""#))
    }

    func testMalformedInputsGiveSpecificErrors() {
        let cases: [(String, JSONError.Kind)] = [
            ("", .unexpectedEnd),
            ("{", .unexpectedEnd),
            ("{\"a\":1,}", .unexpectedCharacter(UInt8(ascii: "}"))),
            ("[1,]", .unexpectedCharacter(UInt8(ascii: "]"))),
            ("01", .invalidNumber),
            ("1.", .invalidNumber),
            ("-", .unexpectedEnd),
            ("1e", .invalidNumber),
            ("\"a\\x\"", .invalidEscape),
            ("\"a\u{01}\"", .controlCharacterInString),
            ("{\"a\":1,\"a\":2}", .duplicateKey("a")),
            ("[1] 2", .trailingData),
            ("tru", .unexpectedEnd),
            ("nul!", .unexpectedCharacter(UInt8(ascii: "!"))),
            ("{'a':1}", .unexpectedCharacter(UInt8(ascii: "'"))),
            ("1e999", .invalidNumber),
        ]
        for (text, kind) in cases {
            XCTAssertThrowsError(try JSON.parse(text), text) { error in
                XCTAssertEqual((error as? JSONError)?.kind, kind, text)
            }
        }
        XCTAssertThrowsError(try JSON.parse([0x22, 0xff, 0x22])) { XCTAssertEqual(($0 as? JSONError)?.kind, .invalidUnicode) }
    }

    func testLimits() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertThrowsError(try JSON.parse(deep)) { XCTAssertEqual(($0 as? JSONError)?.kind, .tooDeep(64)) }
        var limits = JSON.Limits()
        limits.maxBytes = 10
        XCTAssertThrowsError(try JSON.parse("[1,2,3,4,5,6]", limits: limits)) { XCTAssertEqual(($0 as? JSONError)?.kind, .tooLarge(10)) }
    }

    func testJSONPathMasking() throws {
        let event: JSON = ["type": "PaymentEvent", "user": ["name": "Alice", "age": 30], "cards": [["number": "4111"], ["number": "5500"]],
                           "nested": ["deep": ["secret": "xyz"], "secret": "ab"]]
        let masked = event.masking([try JSONPath("$.user.name"), try JSONPath("$.cards[*].number"), try JSONPath("$..secret"), try JSONPath("$.user.age")])
        XCTAssertEqual(masked["user"]?["name"], "*****")
        XCTAssertEqual(masked["user"]?["age"], 30, "only strings are masked")
        XCTAssertEqual(masked["cards"], [["number": "****"], ["number": "****"]])
        XCTAssertEqual(masked["nested"]?["secret"], "**")
        XCTAssertEqual(masked["nested"]?["deep"]?["secret"], "***")
        XCTAssertEqual(masked["type"], "PaymentEvent")
        XCTAssertEqual(event.masking([try JSONPath("$['user']['name']")])["user"]?["name"], "*****")
        XCTAssertEqual(event.masking([try JSONPath("$.cards[1].number")])["cards"], [["number": "4111"], ["number": "****"]])
    }

    func testJSONPathErrors() {
        for bad in ["user.name", "$.", "$[", "$['a'", "$.a b", "$..", "$[x]"] {
            XCTAssertThrowsError(try JSONPath(bad), bad)
        }
    }
}
