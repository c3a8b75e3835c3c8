import COpenSSL

/// Why a DTLS object could not be set up (certificate generation, SSL_CTX or
/// SSL creation). These happen at start or when a transport is created, never
/// per packet; the message carries OpenSSL's error queue text.
public struct DTLSSetupError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    init(_ what: String) {
        let detail = OpenSSLErrors.drain()
        message = detail.isEmpty ? what : "\(what): \(detail)"
    }
}

/// Reads and clears this thread's OpenSSL error queue.
enum OpenSSLErrors {
    static func drain() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.joined(separator: "; ")
    }

    static func clear() { ERR_clear_error() }
}
