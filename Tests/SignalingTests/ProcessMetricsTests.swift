import XCTest
@testable import Signaling

/// `/metrics` carries the standard process metrics that sfu-bench reads from a remote server.
final class ProcessMetricsTests: XCTestCase {
    func value(_ text: String, _ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    func testExpositionHasProcessCPUAndRSS() {
        let before = Metrics().exposition()
        var x = 0.0
        for i in 0..<3_000_000 { x += Double(i).squareRoot() }   // burn some CPU
        XCTAssertGreaterThan(x, 0)
        let after = Metrics().exposition()
        XCTAssertTrue(after.contains("# TYPE process_cpu_seconds_total counter"))
        XCTAssertTrue(after.contains("# TYPE process_resident_memory_bytes gauge"))
        let cpu0 = try? XCTUnwrap(value(before, "process_cpu_seconds_total"))
        let cpu1 = try? XCTUnwrap(value(after, "process_cpu_seconds_total"))
        XCTAssertNotNil(cpu0)
        XCTAssertGreaterThanOrEqual(cpu1 ?? 0, cpu0 ?? .infinity)
        XCTAssertGreaterThan(value(after, "process_resident_memory_bytes") ?? 0, 1_000_000)
    }
}
