import HTTP

/// Cross-origin access for browser applications served from another origin
/// (the Fetch standard's CORS protocol). Credentials travel as bearer tokens,
/// never cookies, so `Access-Control-Allow-Credentials` is never sent.
public struct CORSPolicy: Sendable {
    /// Exact origins (`https://app.example.com`), or `*` for any; empty disables CORS.
    public let allowedOrigins: [String]
    public let maxAge = 600

    public init(allowedOrigins: [String]) { self.allowedOrigins = allowedOrigins }

    func allows(_ origin: String) -> Bool {
        allowedOrigins.contains("*") || allowedOrigins.contains(origin)
    }

    /// Headers of an actual (non-preflight) response.
    func allow(origin: String, into headers: inout HTTPHeaders) {
        guard allows(origin) else { return }
        headers.set("Access-Control-Allow-Origin", allowedOrigins.contains("*") ? "*" : origin)
        if !allowedOrigins.contains("*") { headers.add("Vary", "Origin") }
        headers.set("Access-Control-Expose-Headers", "Content-Length, Content-Type, Retry-After, WWW-Authenticate, Location, ETag, Link, Accept-Post, Accept-Patch")
    }

    /// Headers of a preflight (`OPTIONS` with `Origin`) answer.
    func preflight(origin: String, request: HTTPHeaders, into headers: inout HTTPHeaders) {
        guard allows(origin) else { return }
        headers.set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
        let asked = request["Access-Control-Request-Headers"] ?? ""
        headers.set("Access-Control-Allow-Headers", asked.isEmpty ? "Authorization, Content-Type, Last-Event-ID, If-Match" : asked)
        headers.set("Access-Control-Max-Age", String(maxAge))
    }
}
