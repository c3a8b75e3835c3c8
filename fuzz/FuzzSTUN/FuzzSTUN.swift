import ICE

/// libFuzzer target for STUN and the ICE-lite agent. Properties:
/// 1. parsing never crashes;
/// 2. what parses re-serializes to bytes that parse back to the same message —
///    except that a stored FINGERPRINT may no longer match when the input was
///    not canonical (non-zero padding or reserved bits), which is then the only
///    allowed failure;
/// 3. without its FINGERPRINT, every parsed message round-trips exactly;
/// 4. fresh trailers (our MESSAGE-INTEGRITY + FINGERPRINT) always parse and verify;
/// 5. the agent never crashes on the raw bytes, nor on the message re-signed
///    with its own password (which reaches the 420/487/nomination paths).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSTUN(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let source = SocketAddress(ipv4: 192, 0, 2, 1, port: 5000)
    var agent = IceLiteAgent(local: credentials, remoteUfrag: "rmte", now: .zero)
    _ = agent.handle(input, from: source, now: .seconds(1))
    _ = UfragTable().lookup(input)

    let message: StunMessage
    do {
        message = try StunMessage.parse(input)
    } catch {
        return 0
    }

    let out = message.serialized()
    do {
        let again = try StunMessage.parse(out)
        guard again == message else { fatalError("round trip changed the message:\n\(message)\n\(again)") }
    } catch {
        guard case .badFingerprint = error, out != input else { fatalError("serialized form does not parse: \(error)") }
    }

    var stripped = message
    stripped.attributes.removeAll { $0.type == StunAttribute.Kind.fingerprint }
    guard (try? StunMessage.parse(stripped.serialized())) == stripped else { fatalError("no-FINGERPRINT round trip failed") }

    // Re-signed with the agent's credentials (and our USERNAME if it had one).
    var signed = stripped
    signed.attributes.removeAll { $0.type == StunAttribute.Kind.messageIntegrity || $0.type == StunAttribute.Kind.messageIntegritySHA256 }
    if let i = signed.attributes.firstIndex(where: { $0.type == StunAttribute.Kind.username }) {
        signed.attributes[i] = .username("\(credentials.ufrag):rmte")
    }
    let signedBytes = signed.serialized(integrityKey: key, fingerprint: true)
    guard let reparsed = try? StunMessage.parse(signedBytes), StunIntegrity.verify(signedBytes, key: key),
          reparsed.attributes.last?.type == StunAttribute.Kind.fingerprint else {
        fatalError("fresh trailers do not verify")
    }
    for action in agent.handle(signedBytes, from: source, now: .seconds(2)) {
        if case .send(let response, _) = action {
            guard (try? StunMessage.parse(response)) != nil, StunIntegrity.verify(response, key: key) else {
                fatalError("agent sent an invalid response")
            }
        }
    }
    _ = agent.tick(now: .seconds(40))
    return 0
}

private let credentials = IceCredentials(ufrag: "fuzzUfrg", password: "fuzzPasswordfuzzPassword")
private let key = Array(credentials.password.utf8)
