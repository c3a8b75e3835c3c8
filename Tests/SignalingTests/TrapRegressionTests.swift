import XCTest
import JSON
import HTTP
@testable import Signaling

/// Inputs that used to kill the process (issue 16), each now a clean answer.
final class TrapRegressionTests: XCTestCase {
    let service = Principal(subject: "svc", roles: [.service], organizationId: "org")
    let signer = JWTSigner(secret: Array("0123456789abcdef0123456789abcdef".utf8))

    /// `events?v=9223372036854775807` trapped on `v + 1`: nothing follows it.
    func testEventsAfterInt64MaxIsEmpty() async throws {
        let svc = ConferenceService(configuration: .init())
        _ = try await svc.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: service)
        let none = try await svc.events("c", after: Int64.max, wait: 0, endpoint: nil, who: service)
        XCTAssertEqual(none.events.count, 0)
        let sub = try await svc.subscribe("c", after: Int64.max, endpoint: nil, who: service)
        XCTAssertEqual(sub.backlog.count, 0)
        await svc.unsubscribe("c", sub.token)
        let all = try await svc.events("c", after: 0, wait: 0, endpoint: nil, who: service)
        XCTAssertEqual(all.events.count, 1)
    }

    /// `exp` near Int64.max trapped on `exp + leeway`; now malformed (401).
    func testExtremeTimeClaimsAreMalformed() {
        for claims: JSON in [
            ["sub": "a", "exp": .int(Int64.max)],
            ["sub": "a", "exp": .int(Int64.max - 10)],
            ["sub": "a", "exp": .int(Int64.min)],
            ["sub": "a", "exp": .int(-1)],
            ["sub": "a", "exp": 2_000_000_000, "nbf": .int(Int64.max)],
            ["sub": "a", "exp": 2_000_000_000, "nbf": .int(Int64.min)],
            ["sub": "a", "exp": .double(1e300)],
        ] {
            let token = signer.sign(claims)
            XCTAssertThrowsError(try signer.verify(token, now: 1_900_000_000, leeway: 30)) { e in
                guard case .malformed = e as? JWTSigner.Failure else { return XCTFail("\(claims): \(e)") }
            }
            XCTAssertThrowsError(try signer.verify(token, now: Int64.max, leeway: Int64.max))
        }
        let fine = signer.sign(["sub": "a", "exp": 253_402_300_799])
        XCTAssertNoThrow(try signer.verify(fine, now: Int64.max - 1, leeway: Int64.max))
    }

    /// The API answers 401 for such a token (no trap in `authenticate`).
    func testAuthenticatorAnswers401ForExtremeExp() throws {
        let auth = Authenticator(enabled: true, secret: Array("0123456789abcdef0123456789abcdef".utf8), clients: [], tokenTTL: 3600)
        let token = auth.sign(["sub": "a", "roles": ["SERVICE"], "exp": .int(Int64.max)])
        var h = HTTPHeaders()
        h.add("Authorization", "Bearer \(token)")
        let head = HTTPRequestHead(method: "GET", target: "/", path: "/", query: nil, versionMinor: 1, headers: h, bodyFraming: .none, keepAlive: true, expectContinue: false)
        XCTAssertThrowsError(try auth.authenticate(HTTPRequest(head: head, body: RequestBody(bytes: []), remoteAddress: "test"))) { e in
            XCTAssertEqual((e as? HTTPError)?.status, 401)
        }
    }
}
