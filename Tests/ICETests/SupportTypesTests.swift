import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import ICE
import ICETestSupport

final class IceCredentialsTests: XCTestCase {
    func testRandomCredentialsHaveRFCLengthsAndCharacters() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let c = IceCredentials.random()
            XCTAssertEqual(c.ufrag.utf8.count, 8)
            XCTAssertEqual(c.password.utf8.count, 24)
            XCTAssertTrue(IceCredentials.isValidUfrag(c.ufrag))
            XCTAssertTrue(IceCredentials.isValidPassword(c.password))
            seen.insert(c.ufrag)
        }
        XCTAssertEqual(seen.count, 200)
    }

    func testValidation() {
        XCTAssertTrue(IceCredentials.isValidUfrag("a+/9"))
        XCTAssertFalse(IceCredentials.isValidUfrag("abc"))
        XCTAssertFalse(IceCredentials.isValidUfrag("ab:cd"))
        XCTAssertFalse(IceCredentials.isValidPassword("shortshortshortshort1"))  // 21
        XCTAssertTrue(IceCredentials.isValidPassword("VOkJxbRl1RmTxUk/WvJxBt"))   // 22
        XCTAssertFalse(IceCredentials.isValidPassword(String(repeating: "a", count: 257)))
    }

    func testSeededGenerationIsDeterministicAndDescriptionHidesPassword() {
        var a = SeededRandom(seed: 5), b = SeededRandom(seed: 5)
        let c = IceCredentials.random(using: &a)
        XCTAssertEqual(c, IceCredentials.random(using: &b))
        XCTAssertFalse(c.description.contains(c.password))
    }

    /// All 64 ice-chars are reachable, and roughly evenly.
    func testCharacterDistribution() {
        var g = SeededRandom(seed: 11)
        var counts = [UInt8: Int]()
        for b in IceCredentials.randomIceString(length: 64_000, using: &g).utf8 { counts[b, default: 0] += 1 }
        XCTAssertEqual(counts.count, 64)
        XCTAssertTrue(counts.values.allSatisfy { (800...1200).contains($0) })
    }
}

final class UfragTableTests: XCTestCase {
    func testLookupByUsernameLocalPart() {
        var table = UfragTable()
        XCTAssertTrue(table.insert("Sv8tQ2xa", session: 3))
        XCTAssertTrue(table.insert("other123", session: 4))
        XCTAssertFalse(table.insert("Sv8tQ2xa", session: 5))   // taken
        XCTAssertEqual(table.lookup(Vectors.chromeLikeRequest), 3)
        XCTAssertEqual(Vectors.chromeLikeRequest.withUnsafeBytes { UfragTable.localUfrag(in: $0) }, "Sv8tQ2xa")
        table.remove("Sv8tQ2xa")
        XCTAssertNil(table.lookup(Vectors.chromeLikeRequest))
    }

    func testRestartMapsTwoUfragsToOneSessionUntilRemoved() {
        var table = UfragTable()
        table.insert("old00000", session: 1)
        table.insert("new00000", session: 1)
        table.insert("zzzzzzzz", session: 2)
        XCTAssertEqual(table.count, 3)
        table.removeSession(1)
        XCTAssertEqual(table.count, 1)
        XCTAssertEqual(table["zzzzzzzz"], 2)
    }

    func testNonStunAndUsernameLessDatagramsFindNothing() {
        var table = UfragTable()
        table.insert("Sv8tQ2xa", session: 1)
        let bare = StunMessage(type: .bindingRequest, transactionID: .random()).serialized()
        XCTAssertNil(table.lookup(bare))
        XCTAssertNil(table.lookup([0x16, 0xfe, 0xfd] + [UInt8](repeating: 0, count: 30)))
        XCTAssertNil(table.lookup(Array(Vectors.chromeLikeRequest.prefix(30))))
        let colonFirst = StunMessage(type: .bindingRequest, transactionID: .random(), attributes: [.username(":abc")]).serialized()
        XCTAssertNil(table.lookup(colonFirst))
        let noColon = StunMessage(type: .bindingRequest, transactionID: .random(), attributes: [.username("Sv8tQ2xa")]).serialized()
        XCTAssertEqual(table.lookup(noColon), 1)
    }
}

final class SocketAddressTests: XCTestCase {
    func testParsingAndDescription() {
        XCTAssertEqual(SocketAddress("192.0.2.1:3478"), SocketAddress(ipv4: 192, 0, 2, 1, port: 3478))
        XCTAssertEqual(SocketAddress("192.0.2.1:3478")?.description, "192.0.2.1:3478")
        XCTAssertEqual(SocketAddress("[2001:db8::1]:443")?.description, "[2001:db8::1]:443")
        XCTAssertEqual(SocketAddress("[::1]:9")?.ip, .v6(hi: 0, lo: 1))
        for bad in ["", "1.2.3.4", "1.2.3.4:70000", "[::1]", "::1:80", "host:80", "[1.2.3.4]x:1", "1.2.3:4"] {
            XCTAssertNil(SocketAddress(bad), bad)
        }
    }

    func testSockaddrRoundTrip() {
        for text in ["192.0.2.1:3478", "[2001:db8:1234:5678:11:2233:4455:6677]:32853", "0.0.0.0:0", "[::ffff:10.0.0.1]:5"] {
            let a = SocketAddress(text)!
            let (storage, length) = a.sockaddrStorage
            XCTAssertEqual(SocketAddress(storage), a, text)
            XCTAssertEqual(Int(length), a.isIPv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            a.withSockaddr { sa, len in
                XCTAssertEqual(Int32(sa.pointee.sa_family), a.isIPv4 ? AF_INET : AF_INET6)
                XCTAssertEqual(len, length)
            }
        }
        var unix = sockaddr_storage()
        unix.ss_family = sa_family_t(AF_UNIX)
        XCTAssertNil(SocketAddress(unix))
    }

    func testUnmappingIPv4() {
        XCTAssertEqual(SocketAddress("[::ffff:198.51.100.7]:5000")!.unmappingIPv4, SocketAddress("198.51.100.7:5000"))
        XCTAssertEqual(SocketAddress("[2001:db8::1]:1")!.unmappingIPv4, SocketAddress("[2001:db8::1]:1"))
        XCTAssertEqual(SocketAddress("1.2.3.4:1")!.unmappingIPv4, SocketAddress("1.2.3.4:1"))
    }

    func testIPBytes() {
        XCTAssertEqual(SocketAddress("192.0.2.1:1")!.ipBytes, [192, 0, 2, 1])
        XCTAssertEqual(SocketAddress("[2001:db8::ff]:1")!.ipBytes, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0xff])
        XCTAssertNil(SocketAddress(ipBytes: [1, 2, 3], port: 1))
    }
}
