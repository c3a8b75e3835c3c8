import DTLS

/// libFuzzer target: a passive DTLSTransport fed arbitrary datagrams must
/// never crash, whatever it decides. The input is a sequence of datagrams,
/// each prefixed by a 2-byte big-endian length (the last one takes whatever
/// is left); the committed corpus starts with real client flights.
private let context: DTLSContext = {
    let certificate = try! DTLSCertificate(commonName: "fuzz")
    return try! DTLSContext(certificate: certificate)
}()
private let peer = try! DTLSCertificate(commonName: "peer").fingerprint

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDTLS(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let transport = try? DTLSTransport(context: context, expectedFingerprints: [peer], now: 1) else { fatalError("setup") }
    var offset = 0
    var now: UInt64 = 1
    while offset < input.count {
        var length = input.count - offset
        if length >= 2 {
            let declared = Int(input[offset]) << 8 | Int(input[offset + 1])
            offset += 2
            length = min(declared, input.count - offset)
        }
        let datagram = UnsafeRawBufferPointer(rebasing: input[offset ..< offset + length])
        offset += length
        now += 10_000_000
        for action in transport.handleDatagram(datagram, now: now) {
            if case .send(let d) = action, d.count > transport.configuration.mtu { fatalError("datagram over the MTU") }
        }
        _ = transport.handleTimeout(now: now)
    }
    _ = transport.close()
    return 0
}
