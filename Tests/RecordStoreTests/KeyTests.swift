import XCTest
import HTTP
@testable import RecordStore

final class KeyTests: XCTestCase {
    func ms(_ s: String) throws -> Int64 { try StartTime.parse(s, field: "start") }

    func code(_ s: String) -> String? {
        do { _ = try StartTime.parse(s, field: "start"); return nil } catch { return error.message }
    }

    func testEquivalentSpellingsAreOneInstant() throws {
        let a = try ms("2024-01-01T00:00:00Z")
        XCTAssertEqual(a, 1_704_067_200_000)
        for s in ["2024-01-01T00:00:00", "2024-01-01t00:00:00z", "2024-01-01T01:00:00+01:00", "2023-12-31T19:30:00-04:30",
                  "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000000000Z", "2024-01-01T00:00:00+00:00"] {
            XCTAssertEqual(try ms(s), a, s)
        }
    }

    func testCanonicalForm() throws {
        XCTAssertEqual(StartTime.format(try ms("2024-01-01T00:00:00")), "2024-01-01T00:00:00Z")
        XCTAssertEqual(StartTime.format(try ms("2024-02-29T23:59:59.5+00:00")), "2024-02-29T23:59:59.500Z")
        XCTAssertEqual(StartTime.format(try ms("2024-01-01T00:00:00.25Z")), "2024-01-01T00:00:00.250Z")
        XCTAssertEqual(StartTime.format(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(StartTime.format(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(StartTime.format(StartTime.range.lowerBound), "0001-01-01T00:00:00Z")
        XCTAssertEqual(StartTime.format(StartTime.range.upperBound), "9999-12-31T23:59:59.999Z")
        XCTAssertEqual(StartTime.formatWithMillis(1_704_067_200_000), "2024-01-01T00:00:00.000Z")
    }

    func testRoundTripsAcrossTheRange() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let v = Int64.random(in: StartTime.range, using: &rng)
            XCTAssertEqual(try ms(StartTime.format(v)), v)
        }
    }

    func testRejectsMalformedAndImpossibleDates() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("2024-01-01", "'T' expected"),
            ("2024-01-01 00:00:00", "'T' expected"),
            ("2024-1-01T00:00:00Z", "month needs 2 digits"),
            ("2024-13-01T00:00:00Z", "month 13"),
            ("2023-02-29T00:00:00Z", "day 29 does not exist"),
            ("2024-04-31T00:00:00Z", "day 31"),
            ("2024-01-01T24:00:00Z", "hour 24"),
            ("2024-01-01T00:60:00Z", "minute 60"),
            ("2024-12-31T23:59:60Z", "leap seconds"),
            ("2024-01-01T00:00:00.Z", "digits expected after '.'"),
            ("2024-01-01T00:00:00.0001Z", "finer than a millisecond"),
            ("2024-01-01T00:00:00.0000000000Z", "at most 9"),
            ("2024-01-01T00:00:00+0100", "':' expected"),
            ("2024-01-01T00:00:00+24:00", "zone offset"),
            ("2024-01-01T00:00:00ZZ", "unexpected characters"),
            ("2024-01-01T00:00:00X", "'Z', '+HH:MM'"),
            ("0000-01-01T00:00:00Z", "year 0000"),
            ("0001-01-01T00:00:00+01:00", "outside years"),
            ("../../etc/passwd", "the year needs 4 digits"),
        ]
        for (input, expected) in cases {
            guard let message = code(input) else { XCTFail("accepted \(input)"); continue }
            XCTAssertTrue(message.contains(expected), "\(input): \(message)")
        }
        XCTAssertEqual((try? StartTime.parse("x", field: "from")).map { _ in "" }, nil)
        do { _ = try StartTime.parse("x", field: "from") } catch { XCTAssertEqual(error.code, "INVALID_FROM") }
    }

    func testEventIDs() throws {
        XCTAssertEqual(try EventID.parse("0F339CB0-7AB4-43FE-852D-75708232F76C"), "0f339cb0-7ab4-43fe-852d-75708232f76c")
        XCTAssertEqual(try EventID.parse("00000000-0000-0000-0000-000000000000"), "00000000-0000-0000-0000-000000000000")
        for bad in ["", "0f339cb0", "0f339cb0-7ab4-43fe-852d-75708232f76c0", "0f339cb0_7ab4-43fe-852d-75708232f76c",
                    "0f339cb0-7ab4-43fe-852d-75708232f76g", "..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc", "0f339cb07ab443fe852d75708232f76c----"] {
            XCTAssertThrowsError(try EventID.parse(bad), bad) { XCTAssertEqual(($0 as? KeyError)?.code, "INVALID_EVENT") }
        }
    }

    func testItemKeyFileNamesAreCanonical() throws {
        let k = try ItemKey(event: "0F339CB0-7AB4-43FE-852D-75708232F76C", start: "2024-01-01T01:00:00+01:00")
        XCTAssertEqual(k.fileName, "2024-01-01T00:00:00Z.ogg")
        XCTAssertEqual(k.path, "0f339cb0-7ab4-43fe-852d-75708232f76c/2024-01-01T00:00:00Z")
        XCTAssertEqual(k, try ItemKey(event: "0f339cb0-7ab4-43fe-852d-75708232f76c", start: "2024-01-01T00:00:00"))
        XCTAssertThrowsError(try ItemKey(event: "0f339cb0-7ab4-43fe-852d-75708232f76c", startMillis: StartTime.range.upperBound + 1))
    }

    func testListQuery() throws {
        let q = try ListQuery(["from": "2024-01-01T00:00:00", "to": "2024-01-02T00:00:00Z", "limit": "5", "offset": "10"])
        XCTAssertEqual(q.from, 1_704_067_200_000)
        XCTAssertEqual(q.to, 1_704_153_600_000)
        XCTAssertEqual(q.limit, 5)
        XCTAssertEqual(q.offset, 10)
        XCTAssertEqual(try ListQuery([:]).limit, 100)
        let bad: [([String: String], String)] = [
            (["from": "yesterday"], "INVALID_FROM"), (["to": "2024-02-30T00:00:00Z"], "INVALID_TO"),
            (["from": "2024-01-02T00:00:00Z", "to": "2024-01-01T00:00:00Z"], "INVALID_TO"),
            (["limit": "0"], "INVALID_LIMIT"), (["limit": "1001"], "INVALID_LIMIT"), (["limit": "ten"], "INVALID_LIMIT"),
            (["offset": "-1"], "INVALID_OFFSET"), (["offset": "1.5"], "INVALID_OFFSET"),
        ]
        for (query, code) in bad {
            XCTAssertThrowsError(try ListQuery(query), "\(query)") { XCTAssertEqual(($0 as? HTTPError)?.code, code) }
        }
    }
}
