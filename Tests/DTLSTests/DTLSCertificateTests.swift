import XCTest
@testable import DTLS

final class DTLSCertificateTests: XCTestCase {
    func testFingerprintIsSDPFormattedUpperCaseHex() {
        let fp = Fixtures.serverCertificate.fingerprint
        XCTAssertEqual(fp.algorithm, .sha256)
        XCTAssertEqual(fp.bytes.count, 32)
        let hex = fp.hex
        XCTAssertEqual(hex.count, 32 * 3 - 1)
        XCTAssertTrue(hex.allSatisfy { "0123456789ABCDEF:".contains($0) })
        XCTAssertTrue(fp.sdpValue.hasPrefix("sha-256 "))
        XCTAssertEqual(DTLSFingerprint(sdpValue: fp.sdpValue), fp)
        XCTAssertEqual(DTLSFingerprint(algorithm: "SHA-256", value: hex.lowercased()), fp)
    }

    func testFingerprintParsingRejectsMalformedValues() {
        XCTAssertNil(DTLSFingerprint(algorithm: "sha-1", value: "AB:CD"))
        XCTAssertNil(DTLSFingerprint(algorithm: "sha-256", value: "AB:CD"))
        XCTAssertNil(DTLSFingerprint(algorithm: "sha-256", value: String(repeating: "AB:", count: 32)))
        XCTAssertNil(DTLSFingerprint(algorithm: "sha-256", value: Array(repeating: "ZZ", count: 32).joined(separator: ":")))
        XCTAssertNil(DTLSFingerprint(algorithm: "sha-256", value: Array(repeating: "ABC", count: 32).joined(separator: ":")))
        XCTAssertNil(DTLSFingerprint(sdpValue: "sha-256"))
    }

    func testFingerprintsOfDERMatchForAllHashFunctions() {
        let cert = Fixtures.clientCertificate
        let der = cert.derBytes
        XCTAssertGreaterThan(der.count, 200)
        for algorithm in DTLSFingerprint.Algorithm.allCases {
            let fp = DTLSFingerprint.of(derCertificate: der, algorithm: algorithm)
            XCTAssertEqual(fp, cert.fingerprint(algorithm))
            XCTAssertEqual(fp?.bytes.count, algorithm.length)
        }
        XCTAssertNil(DTLSFingerprint.of(derCertificate: [0x30, 0x03, 0x02, 0x01]))
    }

    func testEachCertificateIsFreshAndSelfSignedP256() throws {
        let a = try DTLSCertificate(), b = try DTLSCertificate()
        XCTAssertNotEqual(a.fingerprint, b.fingerprint)
        // Parse it back with OpenSSL to check key type, signature and validity.
        let info = try openSSLText(der: a.derBytes)
        XCTAssertTrue(info.contains("ecdsa-with-SHA256"), info)
        XCTAssertTrue(info.contains("prime256v1") || info.contains("P-256"), info)
        XCTAssertTrue(info.contains("Issuer: CN = sfu") && info.contains("Subject: CN = sfu"), info)
    }

    private func openSSLText(der: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "dtls-cert-\(getpid()).der"
        try Data(der).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["x509", "-inform", "DER", "-in", path, "-noout", "-text"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: out, as: UTF8.self)
    }
}
