import XCTest
@testable import DTLS
#if canImport(Glibc)
import Glibc
#endif

/// Our passive transport behind a real UDP socket against an independent DTLS
/// client: the `openssl s_client` command-line tool.
final class OpenSSLInteropTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { throw InteropSetupError("no /usr/bin/openssl: scripts/install-deps.sh installs it") }
        directory = NSTemporaryDirectory() + "dtls-interop-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testHandshakeWithOpenSSLSClientExportsTheSameKeyingMaterialGCM() throws {
        let result = try runAgainstSClient(profiles: "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", exportLength: 56)
        let keys = try XCTUnwrap(result.keys, result.output)
        XCTAssertEqual(keys.profile, .aeadAES128GCM)
        XCTAssertTrue(result.output.contains("SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM"), result.output)
        XCTAssertEqual(result.exported, hex(keys.keyingMaterial), result.output)
        XCTAssertTrue(result.closed, "s_client's close_notify on stdin EOF reaches us")
    }

    func testHandshakeWithOpenSSLSClientOfferingOnlyAESCM80() throws {
        let result = try runAgainstSClient(profiles: "SRTP_AES128_CM_SHA1_80", exportLength: 60)
        let keys = try XCTUnwrap(result.keys, result.output)
        XCTAssertEqual(keys.profile, .aes128CMHmacSHA1_80)
        XCTAssertEqual(result.exported, hex(keys.keyingMaterial), result.output)
    }

    func testClientWithoutUseSRTPFails() throws {
        let result = try runAgainstSClient(profiles: nil, exportLength: 56)
        XCTAssertEqual(result.failure, .noSRTPProfile, result.output)
        XCTAssertNil(result.keys)
    }

    func testSClientWithoutACertificateFails() throws {
        let result = try runAgainstSClient(profiles: "SRTP_AEAD_AES_128_GCM", exportLength: 56, presentCertificate: false)
        XCTAssertEqual(result.failure, .noPeerCertificate, result.output)
    }

    func testSClientWithAnotherCertificateThanSignalledFails() throws {
        let result = try runAgainstSClient(profiles: "SRTP_AEAD_AES_128_GCM", exportLength: 56,
                                           expected: Fixtures.otherCertificate.fingerprint)
        guard case .fingerprintMismatch(_, let actual)? = result.failure else {
            return XCTFail("got \(String(describing: result.failure))\n\(result.output)")
        }
        XCTAssertEqual(actual, try clientFingerprint())
    }

    // MARK: - Harness

    private struct Outcome {
        var keys: SRTPKeys?
        var failure: DTLSFailure?
        var closed = false
        var output = ""
        var exported: String?
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }

    @discardableResult
    private func openssl(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: out, as: UTF8.self)
    }

    private var certPath: String { directory + "/client.pem" }
    private var keyPath: String { directory + "/client.key" }

    private func makeClientCertificate() throws {
        guard !FileManager.default.fileExists(atPath: certPath) else { return }
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", keyPath, "-out", certPath, "-subj", "/CN=s_client", "-days", "1"])
    }

    /// The certificate's fingerprint as computed by openssl itself.
    private func clientFingerprint() throws -> DTLSFingerprint {
        try makeClientCertificate()
        let text = try openssl(["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"])
        let value = try XCTUnwrap(text.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        return try XCTUnwrap(DTLSFingerprint(algorithm: "sha-256", value: value), text)
    }

    private func runAgainstSClient(profiles: String?, exportLength: Int, expected: DTLSFingerprint? = nil,
                                   presentCertificate: Bool = true) throws -> Outcome {
        let fingerprint = try clientFingerprint()

        // Our side: a UDP socket on 127.0.0.1, port chosen by the kernel.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { ptr in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(fd, sa, length) == 0, getsockname(fd, sa, &length) == 0 else { throw InteropSetupError("cannot bind a UDP socket on 127.0.0.1") }
            }
        }
        let port = UInt16(bigEndian: address.sin_port)

        let context = try DTLSContext(certificate: Fixtures.serverCertificate)
        let transport = try DTLSTransport(context: context, expectedFingerprints: [expected ?? fingerprint],
                                          now: DTLSTransport.monotonicNow())

        var arguments = ["s_client", "-dtls1_2", "-connect", "127.0.0.1:\(port)",
                         "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", String(exportLength)]
        if presentCertificate { arguments += ["-cert", certPath, "-key", keyPath] }
        if let profiles { arguments += ["-use_srtp", profiles] }
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        client.arguments = arguments
        let stdinPipe = Pipe(), stdoutPipe = Pipe()
        client.standardInput = stdinPipe
        client.standardOutput = stdoutPipe
        client.standardError = stdoutPipe
        try client.run()
        defer { if client.isRunning { client.terminate() } }

        var outcome = Outcome()
        var peer = sockaddr_storage()
        var peerLength = socklen_t(0)
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = DTLSTransport.monotonicNow() + 10_000_000_000
        var stdinClosedAt: UInt64?

        func perform(_ actions: [DTLSAction]) {
            for action in actions {
                switch action {
                case .send(let datagram):
                    _ = datagram.withUnsafeBytes { bytes in
                        withUnsafePointer(to: &peer) { p in
                            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                sendto(fd, bytes.baseAddress, bytes.count, 0, $0, peerLength)
                            }
                        }
                    }
                case .connected(let keys): outcome.keys = keys
                case .failed(let failure): outcome.failure = failure
                case .closed: outcome.closed = true
                }
            }
        }

        while DTLSTransport.monotonicNow() < deadline && !outcome.closed && outcome.failure == nil {
            if outcome.keys != nil && stdinClosedAt == nil {
                // Give s_client a moment to print, then EOF on its stdin makes it send close_notify.
                usleep(200_000)
                try stdinPipe.fileHandleForWriting.close()
                stdinClosedAt = DTLSTransport.monotonicNow()
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let now = DTLSTransport.monotonicNow()
            let waitMs = transport.nextTimeout.map { $0 > now ? Int32(min(($0 - now) / 1_000_000 + 1, 100)) : 0 } ?? 100
            if poll(&pfd, 1, waitMs) > 0 {
                peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let n = buffer.withUnsafeMutableBytes { b in
                    withUnsafeMutablePointer(to: &peer) { p in
                        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &peerLength) }
                    }
                }
                if n > 0 { perform(buffer.withUnsafeBytes { transport.handleDatagram(UnsafeRawBufferPointer(rebasing: $0[0..<n]), now: DTLSTransport.monotonicNow()) }) }
            }
            perform(transport.handleTimeout(now: DTLSTransport.monotonicNow()))
        }
        if stdinClosedAt == nil { try? stdinPipe.fileHandleForWriting.close() }
        // s_client exits after a failure or close; make sure it does.
        let exitDeadline = Date().addingTimeInterval(3)
        while client.isRunning && Date() < exitDeadline { usleep(20_000) }
        if client.isRunning { client.terminate() }
        outcome.output = String(decoding: stdoutPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if let line = outcome.output.split(separator: "\n").first(where: { $0.contains("Keying material:") }) {
            outcome.exported = line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces).uppercased()
        }
        return outcome
    }
}

/// The interop tests need the openssl binary and a UDP socket: without them they fail, never skip.
struct InteropSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
