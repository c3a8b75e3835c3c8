import XCTest
import Glibc
@testable import HTTP

/// A handler that blocks its thread must not delay another handler of the
/// same face (issue 16 item 7: they used to share two pool threads).
final class HandlerThreadsTests: XCTestCase {
    func testBlockedJobsDoNotDelayAQuickOne() async throws {
        let pool = HandlerThreads(name: "test", maxThreads: 16, idleSeconds: 0.5)
        let blockers = (0..<4).map { _ in
            Task(executorPreference: pool) { usleep(1_500_000) }
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        let t0 = DispatchTime.now().uptimeNanoseconds
        let quick = Task(executorPreference: pool) { DispatchTime.now().uptimeNanoseconds }
        let ran = await quick.value
        XCTAssertLessThan(Double(ran - t0) / 1e6, 500, "the quick job waited behind blocked ones")
        for b in blockers { await b.value }
        XCTAssertGreaterThanOrEqual(pool.peakThreads, 5)
        XCTAssertLessThanOrEqual(pool.peakThreads, 16)
    }

    func testThreadCountIsCapped() async {
        let pool = HandlerThreads(name: "cap", maxThreads: 2, idleSeconds: 0.5)
        let jobs = (0..<6).map { _ in Task(executorPreference: pool) { usleep(50_000) } }
        for j in jobs { await j.value }
        XCTAssertEqual(pool.peakThreads, 2)
    }
}
