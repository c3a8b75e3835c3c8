import XCTest
@testable import Identifier

/// The identifier rule (any printable text, documents 003/004) and its
/// file-system spelling: one safe name per id, never the raw id.
final class IdentifierTests: XCTestCase {
    func testAcceptsPrintableText() {
        for id in ["daily-standup-42", "alice@example.com", "user:42", "a|b", "#room", "with spaces", "a/b", "Zoë", "会议", "...", "?x=1&y",
                   String(repeating: "a", count: 128), String(repeating: "é", count: 64)] {
            XCTAssertTrue(Identifier.isValid(id), id)
        }
    }

    func testRejectsEmptyControlFormatAndDotNames() {
        for id in ["", ".", "..", "a\u{0}b", "line\nbreak", "tab\there", "del\u{7F}", "c1\u{85}", "rtl\u{202E}txt", "zero\u{200B}width",
                   "ls\u{2028}", "private\u{E000}", String(repeating: "a", count: 129), String(repeating: "é", count: 65)] {
            XCTAssertFalse(Identifier.isValid(id), id.debugDescription)
        }
    }

    func testFileNamesArePlainForOldIdsAndEncodedOtherwise() {
        XCTAssertEqual(Identifier.fileName("conf-1.a_b~c"), "conf-1.a_b~c")
        XCTAssertEqual(Identifier.fileName(".hidden"), "%2Ehidden")
        XCTAssertEqual(Identifier.fileName("..."), "%2E..")
        XCTAssertEqual(Identifier.fileName("a/b"), "%=" + "YS9i")
        XCTAssertEqual(Identifier.fileName("../../etc"), "%=" + "Li4vLi4vZXRj")
    }

    func testFileNamesAreSafeAndDecodeBack() {
        let ids = ["a", "a/b", "../x", "/", "//", "..%2F", "%2Ehidden", "%=YS9i", ".hidden", "user:42", "会议", "x y", String(repeating: "/", count: 128),
                   String(repeating: "é", count: 64)]
        var seen: [String: String] = [:]
        for id in ids where Identifier.isValid(id) {
            let name = Identifier.fileName(id)
            XCTAssertFalse(name.contains("/"), name)
            XCTAssertFalse(name == "." || name == ".." || name.isEmpty)
            XCTAssertLessThanOrEqual(name.utf8.count, 255)
            XCTAssertEqual(Identifier.fromFileName(name), id)
            XCTAssertNil(seen[name], "\(id) and \(seen[name] ?? "") share \(name)")
            seen[name] = id
        }
        XCTAssertNil(Identifier.fromFileName("%=!!"))
        XCTAssertNil(Identifier.fromFileName("%=YWJj"), "abc is plain: its name is abc, not base64")
    }

    func testPathSegmentsDecodeEachSegmentAlone() {
        XCTAssertEqual(Identifier.pathSegments("/rtc-api/conferences/a%2Fb/events?v=0"), ["rtc-api", "conferences", "a/b", "events"])
        XCTAssertEqual(Identifier.pathSegments("/c/user%3A42%20x#frag"), ["c", "user:42 x"])
        XCTAssertEqual(Identifier.pathSegments("/"), [""])
        XCTAssertNil(Identifier.pathSegments("/bad%2"))
        XCTAssertNil(Identifier.pathSegments("/bad%FF"))
    }
}
