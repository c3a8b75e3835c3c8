import XCTest
@testable import HTTP

/// HTTP dates from conditional headers: every field is bounded, so no header
/// value can trap (issue 16: a year of 9223372036854775807 or an hour of
/// 99999999999 used to trap in a narrowing `Int32(...)`).
final class HTTPDateTests: XCTestCase {
    func testRoundTripAcrossTheRange() {
        for t in [0, 784_111_777, 951_782_400 /* 2000-02-29 */, 1_700_000_000, 4_102_444_800 /* 2100-01-01 */, 253_402_300_799] {
            XCTAssertEqual(HTTPDate.parse(HTTPDate.format(epochSeconds: t)), t, "\(t)")
        }
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
    }

    func testHugeFieldsAreInvalidNotATrap() {
        for s in [
            "Mon, 01 Jan 9223372036854775807 00:00:00 GMT",
            "Mon, 01 Jan 2024 99999999999:00:00 GMT",
            "Mon, 01 Jan 2024 00:99999999999:00 GMT",
            "Mon, 01 Jan 2024 00:00:99999999999 GMT",
            "Mon, 9223372036854775807 Jan 2024 00:00:00 GMT",
            "Mon, -1 Jan 2024 00:00:00 GMT",
            "Mon, 01 Jan -9223372036854775808 00:00:00 GMT",
            "Mon, 01 Jan 2147485547 00:00:00 GMT",
        ] {
            XCTAssertNil(HTTPDate.parse(s), s)
        }
    }

    func testOutOfRangeFieldsAreInvalid() {
        XCTAssertNil(HTTPDate.parse("Mon, 32 Jan 2024 00:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Mon, 00 Jan 2024 00:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Thu, 29 Feb 2023 00:00:00 GMT"))
        XCTAssertNotNil(HTTPDate.parse("Thu, 29 Feb 2024 00:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Mon, 01 Jan 2024 24:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Mon, 01 Jan 2024 00:60:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Mon, 01 Jan 1899 00:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Mon, 01 Jan 10000 00:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Mon, 1 Jan 2024 00:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse("Mon, 01 Jan 2024 00:00:00 UTC"))
        XCTAssertNil(HTTPDate.parse("Xyz, 01 Jan 2024 00:00:00 GMT"))
        XCTAssertNil(HTTPDate.parse(""))
        XCTAssertNil(HTTPDate.parse("Mon,  01 Jan 2024 00:00:00 GMT"))
    }
}
