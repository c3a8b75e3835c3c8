import Dispatch
import HTTP
import JSON
import Signaling

/// libFuzzer target: the Conference API's request readers — the query
/// string (`v`, `wait`, `userEndpointId`, `access_token`), `Last-Event-ID`,
/// `Content-Type` and every command's JSON body decoder — never crash and
/// never answer a server error (5xx other than the media path's 503) for any
/// request. Each input runs against a fresh service holding conference `c`
/// with endpoint `e` joined and 3 events logged.
///
/// Run with `-detect_leaks=0`: an event stream's subscription is released
/// by its body writer, which a handler-level fuzzer never runs.
///
/// Input: line 1 `METHOD target`, line 2 Content-Type, line 3 Last-Event-ID,
/// the rest the body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Log.level = .error
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var lines: [[UInt8]] = []
    var rest = bytes[...]
    for _ in 0..<3 {
        guard let nl = rest.firstIndex(of: 10) else { break }
        lines.append(Array(rest[..<nl]))
        rest = rest[(nl + 1)...]
    }
    guard lines.count == 3 else { return 0 }
    let first = String(decoding: lines[0], as: UTF8.self).split(separator: " ", maxSplits: 1).map(String.init)
    guard first.count == 2, first[1].hasPrefix("/"), first[1].utf8.count < 2048 else { return 0 }
    let (method, target) = (first[0], first[1])
    let path = String(target.prefix { $0 != "?" })
    let query = target.contains("?") ? String(target[target.index(after: target.firstIndex(of: "?")!)...]) : nil
    var headers = HTTPHeaders()
    headers.add("Content-Type", String(decoding: lines[1], as: UTF8.self))
    if !lines[2].isEmpty { headers.add("Last-Event-ID", String(decoding: lines[2], as: UTF8.self)) }
    let head = HTTPRequestHead(method: method, target: target, path: path, query: query, versionMinor: 1, headers: headers,
                               bodyFraming: rest.isEmpty ? .none : .length(Int64(rest.count)), keepAlive: true, expectContinue: false)
    // A long-poll would park the fuzzer for up to a minute: not a finding.
    if let w = head.queryItems["wait"], let s = Double(w), s > 0 { return 0 }
    let request = HTTPRequest(head: head, body: RequestBody(bytes: Array(rest)), remoteAddress: "fuzz:1")
    let done = DispatchSemaphore(value: 0)
    let status = Box()
    Task {
        let api = await freshAPI()
        do {
            status.value = try await api.handle(request).status
        } catch let e as HTTPError {
            status.value = e.status
        } catch {
            status.value = -1
        }
        done.signal()
    }
    done.wait()
    let s = status.value
    if s < 100 || (s >= 500 && s != 503) { fatalError("\(method) \(target) answered \(s)") }
    return 0
}

private final class Box: @unchecked Sendable { var value = 0 }

private func freshAPI() async -> APIHandler {
    let service = ConferenceService(configuration: .init())
    let svc = Principal.anonymous
    _ = try? await service.create(id: "c", creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svc)
    _ = try? await service.join("c", endpoint: "e", userId: nil, metadata: [:], who: svc)
    _ = try? await service.updateMetadata("c", endpoint: "e", key: "k", operation: "SET", value: "v", who: svc)
    let auth = Authenticator(enabled: false, secret: Array("fuzz-secret-0123456789abcdef0123".utf8), clients: [], tokenTTL: 3600)
    return APIHandler(conferences: service, auth: auth, media: UnavailableMedia(validate: OfferCheck.validate))
}
