import XCTest
@testable import Signaling

final class TokenFailureLimiterTests: XCTestCase {
    func testBurstThenRefill() {
        let l = TokenFailureLimiter(burst: 3, window: 60)
        for _ in 0..<3 {
            XCTAssertNil(l.retryAfter("10.0.0.1:5000", now: 100))
            l.recordFailure("10.0.0.1:5001", now: 100)
        }
        XCTAssertEqual(l.retryAfter("10.0.0.1:6000", now: 100), 20)
        XCTAssertEqual(l.retryAfter("10.0.0.1:6000", now: 110), 10)
        XCTAssertNil(l.retryAfter("10.0.0.1:6000", now: 120))
        XCTAssertNil(l.retryAfter("10.0.0.2:1", now: 100), "another address is not affected")
        XCTAssertNil(l.retryAfter("[::1]:1", now: 100))
        l.recordFailure("[::1]:2", now: 100)
        XCTAssertEqual(TokenFailureLimiter.address(of: "[::1]:2"), "::1")
    }

    func testOffAndBounded() {
        let off = TokenFailureLimiter(burst: 0)
        for _ in 0..<100 { off.recordFailure("a:1") }
        XCTAssertNil(off.retryAfter("a:1"))
        let small = TokenFailureLimiter(burst: 1, window: 60, maxAddresses: 4)
        for i in 0..<50 { small.recordFailure("10.0.0.\(i):1", now: Double(i)) }
        XCTAssertNotNil(small.retryAfter("10.0.0.49:1", now: 49), "the newest address is still limited")
    }
}
