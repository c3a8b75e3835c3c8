import XCTest
import JSON
import HTTP
@testable import Signaling

/// The pure parts of the Recordings API: TTLs, list queries, name-based
/// UUIDs and the download tokens.
final class RecordingPartsTests: XCTestCase {
    func testTTLTable() throws {
        let good: [(String?, Int64)] = [(nil, 300), ("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86_400), ("7d", 604_800),
                                        ("1s", 1), ("90m", 5400), ("0001h", 3600)]
        for (text, seconds) in good { XCTAssertEqual(try TTL.parse(text), seconds, "\(text ?? "nil")") }
        let bad = ["", "5", "m", "0s", "0d", "-5m", "+5m", "5 m", " 5m", "5M", "1.5h", "8d", "169h", "10081m", "1w", "5mm", "99999999s", "٣m", "1e3s"]
        for text in bad {
            XCTAssertThrowsError(try TTL.parse(text), "'\(text)' accepted") { e in
                let h = e as! HTTPError
                XCTAssertEqual(h.status, 400)
                XCTAssertTrue(h.message.contains("'ttl'"), h.message)
            }
        }
    }

    func testListQueryValidationNamesTheParameter() throws {
        XCTAssertEqual(try RecordingListQuery([:]), RecordingListQuery())
        let q = try RecordingListQuery(["session": "s-1", "limit": "5", "offset": "10", "sort": "ended", "order": "asc"])
        XCTAssertEqual(q.session, "s-1"); XCTAssertEqual(q.limit, 5); XCTAssertEqual(q.offset, 10)
        XCTAssertEqual(q.sort, .ended); XCTAssertEqual(q.order, .asc)
        let bad: [([String: String], String)] = [
            (["limit": "0"], "limit"), (["limit": "1001"], "limit"), (["limit": "-1"], "limit"), (["limit": "+5"], "limit"), (["limit": "x"], "limit"),
            (["offset": "-1"], "offset"), (["offset": "1.0"], "offset"), (["offset": ""], "offset"),
            (["sort": "name"], "sort"), (["sort": "STARTED"], "sort"), (["order": "up"], "order"),
            (["session": ""], "session"), (["session": "a\u{7}b"], "session"), (["session": ".."], "session"), (["page": "1"], "page"),
        ]
        for (query, name) in bad {
            XCTAssertThrowsError(try RecordingListQuery(query), "\(query) accepted") { e in
                let h = e as! HTTPError
                XCTAssertEqual(h.status, 400)
                XCTAssertTrue(h.message.contains("'\(name)'"), h.message)
            }
        }
    }

    func recording(_ id: String, start: Int64, end: Int64?, session: String = "s1") -> Recording {
        Recording(id: id, channel: "c", session: session, startTime: start, endTime: end, readyTime: nil, startedBy: "svc",
                  participants: [], lastAliveTime: start, stopReason: nil, segments: [], assets: [])
    }

    func testPaginationAndSorting() throws {
        // Started 10, 20, 30, 40, 50; ended in another order; "live" has not ended.
        let all = [recording("a", start: 10, end: 100), recording("b", start: 20, end: 60), recording("c", start: 30, end: 80, session: "s2"),
                   recording("d", start: 40, end: nil), recording("e", start: 50, end: 70)]
        func ids(_ q: [String: String]) throws -> ([String], Int) {
            let (total, page) = try RecordingListQuery(q).apply(all)
            return (page.map(\.id), total)
        }
        XCTAssertEqual(try ids([:]).0, ["e", "d", "c", "b", "a"])                    // started, desc by default
        XCTAssertEqual(try ids(["order": "asc"]).0, ["a", "b", "c", "d", "e"])
        XCTAssertEqual(try ids(["sort": "ended", "order": "asc"]).0, ["b", "e", "c", "a", "d"]) // in progress last
        XCTAssertEqual(try ids(["sort": "ended"]).0, ["d", "a", "c", "e", "b"])
        XCTAssertEqual(try ids(["limit": "2"]).0, ["e", "d"])
        XCTAssertEqual(try ids(["limit": "2", "offset": "2"]).0, ["c", "b"])
        XCTAssertEqual(try ids(["limit": "2", "offset": "4"]).0, ["a"])
        XCTAssertEqual(try ids(["offset": "9"]).0, [])
        XCTAssertEqual(try ids(["offset": "9"]).1, 5)
        XCTAssertEqual(try ids(["session": "s2"]).0, ["c"])
        XCTAssertEqual(try ids(["session": "s2"]).1, 1)
        // Pages of one order never overlap or skip.
        var seen: [String] = []
        for off in stride(from: 0, to: 5, by: 2) { seen += try ids(["limit": "2", "offset": String(off), "sort": "ended"]).0 }
        XCTAssertEqual(seen, try ids(["sort": "ended"]).0)
    }

    func testNameUUIDsMatchPythonUUID5() {
        // python3: uuid.uuid5(uuid.NAMESPACE_URL, 'sfu:conference:standup')
        XCTAssertEqual(NameUUID.recordsEvent(conferenceId: "standup"), "0acfcf06-f426-57ae-939a-d89a910780b3")
        // python3: uuid.uuid5(uuid.UUID('0f339cb0-7ab4-43fe-852d-75708232f76c'), '0/alice.ogg')
        XCTAssertEqual(RecordingService.assetId("0f339cb0-7ab4-43fe-852d-75708232f76c", "0/alice.ogg"), "88c5e014-5c66-5cc1-a8b4-b10ab48aa8f8")
        XCTAssertEqual(NameUUID.recordsEvent(conferenceId: "0F339CB0-7AB4-43FE-852D-75708232F76C"), "0f339cb0-7ab4-43fe-852d-75708232f76c")
        XCTAssertNotEqual(NameUUID.recordsEvent(conferenceId: "0f339cb0-7ab4-43fe-852d-75708232f76"), "0f339cb0-7ab4-43fe-852d-75708232f76")
        XCTAssertEqual(RecordingCatalog.directoryName(".."), "%2E.")
        XCTAssertEqual(RecordingCatalog.directoryName("."), "%2E")
        XCTAssertEqual(RecordingCatalog.directoryName("a.b"), "a.b")
    }

    func testTokenKindsAreNotInterchangeable() throws {
        let auth = Authenticator(enabled: true, secret: Array("recording test secret 0123456789".utf8), clients: [], tokenTTL: 3600)
        let tokens = RecordingTokens(auth: auth)
        let cred = tokens.issue(.credentials, channel: "c", recordingId: "r", ttl: 60, subject: "alice").token
        let dl = tokens.issue(.download, channel: "c", recordingId: "r", assetId: "a", ttl: 60, subject: "alice").token
        let api = auth.issueToken(subject: "svc", roles: [.service], organizationId: nil).token

        XCTAssertEqual(try tokens.verify(cred, as: .credentials).recordingId, "r")
        XCTAssertEqual(try tokens.verify(dl, as: .download).assetId, "a")
        for (token, kind) in [(cred, RecordingTokens.Kind.download), (dl, .credentials), (api, .credentials), (api, .download)] {
            XCTAssertThrowsError(try tokens.verify(token, as: kind)) { XCTAssertEqual(($0 as! HTTPError).status, 401) }
        }
        // A download or credentials token is never an API bearer token.
        for token in [cred, dl] {
            let head = HTTPRequestHead(method: "GET", target: "/", path: "/", query: nil, versionMinor: 1,
                                       headers: HTTPHeaders([("Authorization", "Bearer " + token)]), bodyFraming: .none, keepAlive: true, expectContinue: false)
            let request = HTTPRequest(head: head, body: RequestBody(bytes: []), remoteAddress: "test")
            XCTAssertThrowsError(try auth.authenticate(request)) { XCTAssertEqual(($0 as! HTTPError).status, 401) }
        }
        // Forged: same claims, another key.
        let other = RecordingTokens(auth: Authenticator(enabled: true, secret: Array("another secret, another server!!".utf8), clients: [], tokenTTL: 3600))
        let forged = other.issue(.download, channel: "c", recordingId: "r", assetId: "a", ttl: 60, subject: "alice").token
        XCTAssertThrowsError(try tokens.verify(forged, as: .download)) { XCTAssertTrue(($0 as! HTTPError).message.contains("signature")) }
        // Tampered payload.
        var parts = dl.split(separator: ".").map(String.init)
        parts[1] = Base64URL.encode(Array(#"{"aud":"sfu:recording-download","channel":"c","recording":"r","asset":"b","exp":9999999999}"#.utf8))
        XCTAssertThrowsError(try tokens.verify(parts.joined(separator: "."), as: .download))
        // Expired: no leeway.
        let expired = tokens.issue(.download, channel: "c", recordingId: "r", assetId: "a", ttl: -1, subject: "alice").token
        XCTAssertThrowsError(try tokens.verify(expired, as: .download)) { XCTAssertTrue(($0 as! HTTPError).message.contains("expired")) }
    }
}
