import XCTest
@testable import HTTP

final class AccessLogTests: XCTestCase {
    func testSecretParametersAreRedacted() {
        XCTAssertEqual(AccessLog.redacted("/a/events?v=0&access_token=eyJ.x.y"), "/a/events?v=0&access_token=REDACTED")
        XCTAssertEqual(AccessLog.redacted("/t?client_id=svc&client_secret=s3cr3t&grant_type=client_credentials"),
                       "/t?client_id=svc&client_secret=REDACTED&grant_type=client_credentials")
        XCTAssertEqual(AccessLog.redacted("/t?Access_Token=abc&%61ccess_token=def"), "/t?Access_Token=REDACTED&%61ccess_token=REDACTED")
        XCTAssertEqual(AccessLog.redacted("/t?access_token"), "/t?access_token=REDACTED")
        XCTAssertEqual(AccessLog.redacted("/plain/path"), "/plain/path")
        XCTAssertEqual(AccessLog.redacted("/p?&&x=1&"), "/p?&&x=1&")
        XCTAssertEqual(AccessLog.redacted("/p?=v"), "/p?=v")
    }
}

final class MediaTypeTests: XCTestCase {
    func testJSONTypes() {
        for ok in ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", " application/json ",
                   "application/vnd.api+json", "application/merge-patch+json;charset=utf-8"] {
            XCTAssertTrue(MediaType.isJSON(ok), ok)
        }
        for bad in [nil, "", "application/jsonx", "application/json-seq", "application/x-json", "text/json", "application/+json",
                    "application/jsonp", "json", "application/json/x", "application /json", "application/js on"] {
            XCTAssertFalse(MediaType.isJSON(bad), bad ?? "nil")
        }
    }

    func testEssence() {
        XCTAssertEqual(MediaType.essence("Application/X-WWW-Form-URLEncoded; charset=utf-8"), "application/x-www-form-urlencoded")
        XCTAssertNil(MediaType.essence("noslash"))
        XCTAssertNil(MediaType.essence("/x"))
    }
}
