import XCTest
@testable import RecordStore

/// `--store-listen`: which listen addresses and peers count as loopback
/// (loopback stores ask no token, every other one does).
final class StoreListenTests: XCTestCase {
    func testLoopbackHosts() {
        for h in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"] {
            XCTAssertTrue(StoreListen.isLoopback(host: h), h)
        }
        for h in ["0.0.0.0", "::", "10.213.0.1", "127.0.0", "127.0.0.256", "128.0.0.1", "::2", "", "localhost.example"] {
            XCTAssertFalse(StoreListen.isLoopback(host: h), h)
        }
    }

    func testLoopbackPeers() {
        XCTAssertTrue(StoreListen.isLoopback(peer: "127.0.0.1:5000"))
        XCTAssertTrue(StoreListen.isLoopback(peer: "[::1]:5000"))
        XCTAssertTrue(StoreListen.isLoopback(peer: "[::ffff:127.0.0.1]:5000"))
        XCTAssertFalse(StoreListen.isLoopback(peer: "10.213.0.1:5000"))
        XCTAssertFalse(StoreListen.isLoopback(peer: "[fe80::1]:5000"))
        XCTAssertFalse(StoreListen.isLoopback(peer: "unknown"))
    }
}
