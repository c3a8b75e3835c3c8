import XCTest
@testable import DTLS
#if canImport(Glibc)
import Glibc
#endif

/// Certificates are slow-ish to make; tests share a few.
enum Fixtures {
    static let serverCertificate = try! DTLSCertificate(commonName: "server")
    static let clientCertificate = try! DTLSCertificate(commonName: "client")
    static let otherCertificate = try! DTLSCertificate(commonName: "someone-else")
}

/// Everything one side of an in-memory handshake produced.
struct SideLog {
    var sent: [[UInt8]] = []
    var keys: SRTPKeys?
    var failure: DTLSFailure?
    var closed = false
    var done: Bool { keys != nil || failure != nil || closed }
}

/// Runs a passive (server) and an active (client) transport against each other
/// through in-memory queues, in real time (OpenSSL's retransmission timer runs
/// on the wall clock). `drop` decides per (isServer, send index) whether a
/// datagram is lost; `reorder` delivers each batch in reverse order.
final class InMemoryLink {
    let server: DTLSTransport
    let client: DTLSTransport
    var serverLog = SideLog()
    var clientLog = SideLog()
    var toServer: [[UInt8]] = []
    var toClient: [[UInt8]] = []
    var drop: (_ fromServer: Bool, _ index: Int) -> Bool = { _, _ in false }
    var reorder = false

    init(server: DTLSTransport, client: DTLSTransport) {
        self.server = server
        self.client = client
    }

    func apply(_ actions: [DTLSAction], fromServer: Bool) {
        for action in actions {
            switch action {
            case .send(let datagram):
                let index = fromServer ? serverLog.sent.count : clientLog.sent.count
                if fromServer { serverLog.sent.append(datagram) } else { clientLog.sent.append(datagram) }
                if drop(fromServer, index) { continue }
                if fromServer { toClient.append(datagram) } else { toServer.append(datagram) }
            case .connected(let keys):
                if fromServer { serverLog.keys = keys } else { clientLog.keys = keys }
            case .failed(let failure):
                if fromServer { serverLog.failure = failure } else { clientLog.failure = failure }
            case .closed:
                if fromServer { serverLog.closed = true } else { clientLog.closed = true }
            }
        }
    }

    /// Delivers everything queued, both ways, once.
    func deliver() {
        let now = DTLSTransport.monotonicNow()
        var batch = toServer; toServer = []
        if reorder { batch.reverse() }
        for d in batch { apply(server.handleDatagram(d, now: now), fromServer: true) }
        batch = toClient; toClient = []
        if reorder { batch.reverse() }
        for d in batch { apply(client.handleDatagram(d, now: now), fromServer: false) }
    }

    /// Handshake until both sides are done (or `seconds` pass).
    @discardableResult
    func run(seconds: Double = 10) -> Bool {
        let start = DTLSTransport.monotonicNow()
        let limit = start + UInt64(seconds * 1e9)
        apply(client.start(now: start), fromServer: false)
        while DTLSTransport.monotonicNow() < limit {
            if !toServer.isEmpty || !toClient.isEmpty { deliver(); continue }
            if serverLog.done && clientLog.done { return true }
            let now = DTLSTransport.monotonicNow()
            let next = [server.nextTimeout, client.nextTimeout].compactMap { $0 }.min() ?? now + 1_000_000
            if next > now { usleep(UInt32(min(next - now, 5_000_000) / 1000) + 200) }
            let t = DTLSTransport.monotonicNow()
            apply(server.handleTimeout(now: t), fromServer: true)
            apply(client.handleTimeout(now: t), fromServer: false)
        }
        return serverLog.done && clientLog.done
    }

    /// Delivers until both queues stay empty.
    func settle() {
        while !toServer.isEmpty || !toClient.isEmpty { deliver() }
    }
}

/// Fast retransmissions so loss tests take milliseconds.
func testConfiguration(mtu: Int = 1200) -> DTLSTransport.Configuration {
    var c = DTLSTransport.Configuration()
    c.mtu = mtu
    c.initialRetransmitMicroseconds = 20_000
    c.maxRetransmitMicroseconds = 200_000
    return c
}

func makePair(serverContext: DTLSContext? = nil, clientContext: DTLSContext? = nil,
              serverExpects: DTLSFingerprint? = nil, clientExpects: DTLSFingerprint? = nil,
              configuration: DTLSTransport.Configuration = testConfiguration()) throws -> InMemoryLink {
    let sctx = try serverContext ?? DTLSContext(certificate: Fixtures.serverCertificate)
    let cctx = try clientContext ?? DTLSContext(certificate: Fixtures.clientCertificate)
    let now = DTLSTransport.monotonicNow()
    let server = try DTLSTransport(context: sctx, role: .passive,
                                   expectedFingerprints: [serverExpects ?? cctx.certificate.fingerprint],
                                   configuration: configuration, now: now)
    let client = try DTLSTransport(context: cctx, role: .active,
                                   expectedFingerprints: [clientExpects ?? sctx.certificate.fingerprint],
                                   configuration: configuration, now: now)
    return InMemoryLink(server: server, client: client)
}

/// Resident set size of this process in bytes.
func residentBytes() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0, resident = 0
    withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            _ = withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}
