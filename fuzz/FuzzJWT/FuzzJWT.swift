import HTTP
import JSON
import Signaling

/// libFuzzer target: token verification never crashes, for any token text
/// and — since claims are only read once the signature holds — for any
/// claims this server could have signed (the input, parsed as JSON, is
/// signed with the test key and verified at several clocks and leeways). A
/// verified token's `exp` must lie in `JWTSigner.timeRange`; the
/// authenticator answers either a principal or a 401.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWT(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let raw = String(decoding: bytes, as: UTF8.self)
    _ = try? signer.verify(raw, now: 1_900_000_000)
    _ = try? signer.verify(raw, now: Int64.max, leeway: Int64.max, type: "other+jwt")
    guard let claims = try? JSON.parse(bytes), claims.objectValue != nil else { return 0 }
    let token = signer.sign(claims)
    for now: Int64 in [Int64.min, -1, 0, 1_900_000_000, Int64.max] {
        for leeway: Int64 in [0, 30, Int64.max] {
            if let ok = try? signer.verify(token, now: now, leeway: leeway) {
                guard let exp = ok["exp"]?.intValue, JWTSigner.timeRange.contains(exp) else { fatalError("accepted exp \(String(describing: ok["exp"]))") }
            }
        }
    }
    var h = HTTPHeaders()
    h.add("Authorization", "Bearer \(token)")
    let head = HTTPRequestHead(method: "GET", target: "/", path: "/", query: nil, versionMinor: 1, headers: h,
                               bodyFraming: .none, keepAlive: true, expectContinue: false)
    do {
        _ = try auth.authenticate(HTTPRequest(head: head, body: RequestBody(bytes: []), remoteAddress: "fuzz:1"))
    } catch {
        if error.status != 401 { fatalError("authenticate answered \(error.status), not 401") }
    }
    return 0
}

private let secret = Array("fuzz-secret-0123456789abcdef0123".utf8)
private let signer = JWTSigner(secret: secret)
private let auth = Authenticator(enabled: true, secret: secret, clients: [], tokenTTL: 3600)
