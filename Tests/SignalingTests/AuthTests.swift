import XCTest
import JSON
@testable import Signaling

final class AuthTests: XCTestCase {
    let signer = JWTSigner(secret: Array("0123456789abcdef0123456789abcdef".utf8))

    func testSignAndVerify() throws {
        let token = signer.sign(["sub": "alice", "exp": 2_000_000_000, "roles": ["PARTICIPANT"]])
        let claims = try signer.verify(token, now: 1_900_000_000)
        XCTAssertEqual(claims["sub"], "alice")
    }

    func testKnownVector() throws {
        // HS256 of the header and payload below with key "0123...cdef" computed independently with Python's hmac.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjIwMDAwMDAwMDAsInN1YiI6ImJvYiJ9.cehHFYi5GuyLUW9cHIDBmQKfVdBA9W1q-yEo0ONcps4"
        XCTAssertEqual(try signer.verify(token, now: 0)["sub"], "bob")
    }

    func testRejections() {
        let good = signer.sign(["sub": "alice", "exp": 2_000_000_000])
        let parts = good.split(separator: ".").map(String.init)
        func expect(_ token: String, _ failure: JWTSigner.Failure, now: Int64 = 1_900_000_000, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try signer.verify(token, now: now), file: file, line: line) {
                XCTAssertEqual($0 as? JWTSigner.Failure, failure, file: file, line: line)
            }
        }
        expect(good, .expired, now: 2_000_000_100)
        let noneHeader = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        expect("\(noneHeader).\(parts[1]).", .unsupportedAlgorithm("none"))
        let hs512 = Base64URL.encode(Array(#"{"alg":"HS512","typ":"JWT"}"#.utf8))
        expect("\(hs512).\(parts[1]).\(parts[2])", .unsupportedAlgorithm("HS512"))
        let rs256 = Base64URL.encode(Array(#"{"alg":"RS256"}"#.utf8))
        expect("\(rs256).\(parts[1]).\(parts[2])", .unsupportedAlgorithm("RS256"))
        let otherPayload = Base64URL.encode(Array(#"{"sub":"mallory","exp":2000000000}"#.utf8))
        expect("\(parts[0]).\(otherPayload).\(parts[2])", .badSignature)
        let otherKey = JWTSigner(secret: Array("another secret another secret!!!".utf8)).sign(["sub": "alice", "exp": 2_000_000_000])
        expect(otherKey, .badSignature)
        expect("abc", .malformed("expected three parts"))
        expect("a.b.c", .malformed("bad header"))
        let noExp = signer.sign(["sub": "alice"])
        expect(noExp, .malformed("missing exp"))
    }

    func testBase64URL() {
        XCTAssertEqual(Base64URL.encode([0xfb, 0xff]), "-_8")
        XCTAssertEqual(Base64URL.decode("-_8"), [0xfb, 0xff])
        XCTAssertNil(Base64URL.decode("a+b"))
        XCTAssertNil(Base64URL.decode("a"))
    }

    func testClientSpec() throws {
        let c = try OAuthClient.parse("svc:s3cret:SERVICE,participant:org1")
        XCTAssertEqual(c.roles, [.service, .participant])
        XCTAssertEqual(c.organizationId, "org1")
        XCTAssertThrowsError(try OAuthClient.parse("svc:secret:ADMIN"))
        XCTAssertThrowsError(try OAuthClient.parse("svc::SERVICE"))
    }

    func testIdentifiersAndEventNames() {
        XCTAssertTrue(Identifiers.isValid("conf-1.a_b~c"))
        XCTAssertFalse(Identifiers.isValid(""))
        XCTAssertFalse(Identifiers.isValid("a\u{0}b"))
        XCTAssertFalse(Identifiers.isValid(".."))
        XCTAssertFalse(Identifiers.isValid(String(repeating: "a", count: 129)))
        XCTAssertTrue(EventNames.isValidCustomType("HandRaisedEvent"))
        XCTAssertFalse(EventNames.isValidCustomType("handRaisedEvent"))
        XCTAssertFalse(EventNames.isValidCustomType("HandRaised"))
        XCTAssertFalse(EventNames.isValidCustomType("FooEvent"), "needs a noun and a verb")
        XCTAssertFalse(EventNames.isValidCustomType("Hand_RaisedEvent"))
    }
}
