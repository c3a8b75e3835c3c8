import DTLS

/// The one way into a connected transport without a handshake, for the
/// router's table tests and `FuzzRouter` (`package`: not public API, and the
/// server never calls it). The transport is put where ICE nomination and a
/// finished DTLS handshake would put it — the path selected, the SRTP
/// sessions made from `keys` — so every later datagram takes the
/// production path, real SRTP included.
extension WorkerRouter {
    /// Connects the transport whose local ICE ufrag is `localUfrag` as if ICE
    /// had nominated `path` and DTLS had derived `keys` (the router is the
    /// DTLS server). False when no transport has that ufrag.
    package func connectWithoutHandshake(localUfrag: String, path: UDPAddress, keys: SRTPKeys, out: Outbox, now: UInt64) -> Bool {
        guard let t = transports.values.first(where: { $0.localUfrag == localUfrag }) else { return false }
        select(path, for: t)
        installKeys(keys, on: t, out, now)
        return t.isConnected
    }
}
