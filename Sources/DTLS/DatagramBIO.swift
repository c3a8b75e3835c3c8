import COpenSSL
import CDTLSShim

/// The custom OpenSSL BIO between a `DTLSTransport` and the network. It exists
/// because a memory BIO would merge a whole flight into one blob: with this one,
/// every BIO write is one DTLS record handed to the transport (which packs
/// records into datagrams within the MTU), and every read returns exactly the
/// one datagram being handled, without copying it into an intermediate buffer.
///
/// The method table is created once per process and never freed; it is
/// immutable, hence `@unchecked Sendable`.
final class DatagramBIOMethod: @unchecked Sendable {
    let method: OpaquePointer

    static let shared = DatagramBIOMethod()

    private init() {
        let type = BIO_TYPE_SOURCE_SINK | BIO_get_new_index()
        guard let method = BIO_meth_new(type, "sfu-dtls-datagram") else {
            fatalError("BIO_meth_new failed: \(OpenSSLErrors.drain())")
        }
        BIO_meth_set_write(method, datagramBIOWrite)
        BIO_meth_set_read(method, datagramBIORead)
        BIO_meth_set_ctrl(method, datagramBIOCtrl)
        BIO_meth_set_create(method, datagramBIOCreate)
        BIO_meth_set_destroy(method, datagramBIODestroy)
        self.method = method
    }
}

private func transport(of bio: OpaquePointer?) -> DTLSTransport? {
    guard let bio, let raw = BIO_get_data(bio) else { return nil }
    return Unmanaged<DTLSTransport>.fromOpaque(raw).takeUnretainedValue()
}

private func datagramBIOWrite(_ bio: OpaquePointer?, _ data: UnsafePointer<CChar>?, _ length: Int32) -> Int32 {
    guard let bio else { return -1 }
    sfu_bio_clear_retry_flags(bio)
    guard let data, length > 0 else { return 0 }
    guard let t = transport(of: bio) else { return -1 }
    t.appendOutgoingRecord(UnsafeRawBufferPointer(start: data, count: Int(length)))
    return length
}

private func datagramBIORead(_ bio: OpaquePointer?, _ out: UnsafeMutablePointer<CChar>?, _ capacity: Int32) -> Int32 {
    guard let bio else { return -1 }
    sfu_bio_clear_retry_flags(bio)
    guard let out, capacity > 0, let t = transport(of: bio) else { return -1 }
    let n = t.takeIncomingDatagram(into: UnsafeMutableRawBufferPointer(start: out, count: Int(capacity)))
    if n < 0 {
        sfu_bio_set_retry_read(bio)
        return -1
    }
    return Int32(n)
}

private func datagramBIOCtrl(_ bio: OpaquePointer?, _ command: Int32, _ larg: Int, _ parg: UnsafeMutableRawPointer?) -> Int {
    switch command {
    case BIO_CTRL_FLUSH: return 1
    case BIO_CTRL_PENDING, BIO_CTRL_WPENDING: return 0
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0   // the MTU we are given is already the UDP payload
    default: return 0
    }
}

private func datagramBIOCreate(_ bio: OpaquePointer?) -> Int32 {
    guard let bio else { return 0 }
    BIO_set_init(bio, 1)
    return 1
}

private func datagramBIODestroy(_ bio: OpaquePointer?) -> Int32 {
    guard let bio else { return 0 }
    BIO_set_data(bio, nil)
    BIO_set_init(bio, 0)
    return 1
}
