import Foundation
import HTTP
import Identifier
import JSON

/// Who is calling: the token's subject (a user id), its roles, organization
/// and grants.
///
/// Tenancy: every conference, recording and store event belongs to one
/// organization (nil is the organization of principals without an `org`
/// claim). A principal sees only its own organization's objects, except a
/// SERVICE without an organization (the operator's own client, and `--auth
/// off`), which sees every organization.
public struct Principal: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable { case service = "SERVICE", participant = "PARTICIPANT" }
    /// Extra rights a SERVICE may hand to a PARTICIPANT token (claim `grants`).
    public enum Grant: String, Sendable, CaseIterable {
        /// May `create` conferences (never with an id that is in use anywhere).
        case create
        /// May `end` any conference of its organization it has joined.
        case end
    }
    public let subject: String
    public let roles: Set<Role>
    public let organizationId: String?
    public let grants: Set<Grant>

    public var isService: Bool { roles.contains(.service) }
    /// A SERVICE bound to no organization: sees and acts on every organization.
    public var isOperator: Bool { isService && organizationId == nil }

    /// Whether an object of organization `org` exists for this principal.
    public func canSee(organization org: String?) -> Bool { isOperator || org == organizationId }

    public init(subject: String, roles: Set<Role>, organizationId: String?, grants: Set<Grant> = []) {
        self.subject = subject
        self.roles = roles
        self.organizationId = organizationId
        self.grants = grants
    }

    /// The caller when auth is switched off.
    public static let anonymous = Principal(subject: "anonymous", roles: [.service], organizationId: nil)
}

/// An OAuth client allowed to obtain tokens (client-credentials grant).
public struct OAuthClient: Sendable, Equatable {
    public let id: String
    public let secret: String
    public let roles: Set<Principal.Role>
    public let organizationId: String?

    public init(id: String, secret: String, roles: Set<Principal.Role>, organizationId: String? = nil) {
        self.id = id
        self.secret = secret
        self.roles = roles
        self.organizationId = organizationId
    }

    /// Parses `ID:SECRET:ROLE[,ROLE][:ORG]`.
    public static func parse(_ spec: String) throws -> OAuthClient {
        let parts = spec.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ConfigError("client '\(spec)' must look like ID:SECRET:ROLES[:ORGANIZATION]")
        }
        var roles = Set<Principal.Role>()
        for r in parts[2].split(separator: ",") {
            guard let role = Principal.Role(rawValue: r.uppercased()) else {
                throw ConfigError("client '\(parts[0])': unknown role '\(r)' (SERVICE or PARTICIPANT)")
            }
            roles.insert(role)
        }
        if roles.isEmpty { throw ConfigError("client '\(parts[0])' has no role") }
        return OAuthClient(id: parts[0], secret: parts[1], roles: roles, organizationId: parts.count > 3 && !parts[3].isEmpty ? parts[3] : nil)
    }
}

/// A configuration mistake found at start-up.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Issues tokens to configured clients and turns a request's bearer token
/// into a `Principal`. With auth disabled every caller is `Principal.anonymous`.
public final class Authenticator: Sendable {
    public let enabled: Bool
    public let tokenTTL: Int64
    private let signer: JWTSigner
    private let clients: [String: OAuthClient]
    /// Failed token requests per source address (429 beyond).
    public let tokenFailures: TokenFailureLimiter

    public init(enabled: Bool, secret: [UInt8], clients: [OAuthClient], tokenTTL: Int64,
                tokenFailures: TokenFailureLimiter = TokenFailureLimiter()) {
        self.enabled = enabled
        self.tokenFailures = tokenFailures
        self.signer = JWTSigner(secret: secret)
        self.tokenTTL = tokenTTL
        var map: [String: OAuthClient] = [:]
        for c in clients { map[c.id] = c }
        self.clients = map
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// The issuer (`iss`) of every token this server signs.
    public static let issuer = "sfu"
    /// The audience (`aud`) of API access tokens; recording tokens have their own.
    public static let apiAudience = "sfu:api"

    /// Mints a token for `subject` with `roles`.
    public func issueToken(subject: String, roles: Set<Principal.Role>, organizationId: String?, grants: Set<Principal.Grant> = [],
                           ttl: Int64? = nil) -> (token: String, expiresIn: Int64) {
        let now = Authenticator.now()
        let ttl = ttl ?? tokenTTL
        var claims: [String: JSON] = [
            "sub": .string(subject),
            "roles": .array(roles.map(\.rawValue).sorted().map { .string($0) }),
            "iat": .int(now),
            "exp": .int(now + ttl),
            "iss": .string(Authenticator.issuer),
            "aud": .string(Authenticator.apiAudience),
            "jti": .string(UUID().uuidString.lowercased()),
        ]
        if let organizationId { claims["org"] = .string(organizationId) }
        if !grants.isEmpty { claims["grants"] = .array(grants.map(\.rawValue).sorted().map { .string($0) }) }
        return (signer.sign(.object(claims)), ttl)
    }

    /// Signs arbitrary claims with the server key (download credentials etc.);
    /// `type` is the header's `typ` (see `JWTSigner.sign`).
    public func sign(_ claims: JSON, type: String = "JWT") -> String { signer.sign(claims, type: type) }

    public func verifyClaims(_ token: String, type: String = "JWT", leeway: Int64 = 30) throws(JWTSigner.Failure) -> JSON {
        try signer.verify(token, now: Authenticator.now(), leeway: leeway, type: type)
    }

    /// The principal behind a request, or 401.
    public func authenticate(_ request: HTTPRequest, allowQueryToken: Bool = false) throws(HTTPError) -> Principal {
        if !enabled { return .anonymous }
        var token: String?
        if let h = request.headers["Authorization"] {
            let parts = h.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw unauthorized("Authorization header must be 'Bearer <token>'")
            }
            token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        } else if allowQueryToken, let q = request.query["access_token"] {
            token = q
        }
        guard let token, !token.isEmpty else { throw unauthorized("a bearer token is required") }
        let claims: JSON
        do {
            claims = try signer.verify(token, now: Authenticator.now())
        } catch {
            throw unauthorized(error.description)
        }
        guard claims["iss"]?.stringValue == Authenticator.issuer else { throw unauthorized("token was not issued by this server (iss)") }
        guard Authenticator.hasAudience(claims["aud"], Authenticator.apiAudience) else {
            throw unauthorized("token is not an API access token (aud must be '\(Authenticator.apiAudience)')")
        }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty else { throw unauthorized("token has no subject") }
        guard let roleList = claims["roles"]?.arrayValue else { throw unauthorized("token has no roles") }
        let roles = Set(roleList.compactMap { $0.stringValue.flatMap(Principal.Role.init(rawValue:)) })
        if roles.isEmpty { throw unauthorized("token has no known role") }
        let grants = Set((claims["grants"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(Principal.Grant.init(rawValue:)) })
        return Principal(subject: sub, roles: roles, organizationId: claims["org"]?.stringValue, grants: grants)
    }

    /// RFC 7519 §4.1.3: `aud` is a string or an array of strings.
    static func hasAudience(_ aud: JSON?, _ wanted: String) -> Bool {
        if let s = aud?.stringValue { return s == wanted }
        return aud?.arrayValue?.contains { $0.stringValue == wanted } ?? false
    }

    private func unauthorized(_ message: String) -> HTTPError {
        var h = HTTPHeaders()
        h.add("WWW-Authenticate", "Bearer realm=\"sfu\"")
        return HTTPError(401, "UNAUTHORIZED", message, headers: h)
    }

    /// The client-credentials grant: `POST /security/oauth/token`.
    public func tokenEndpoint(_ request: HTTPRequest) async throws -> HTTPResponse {
        func oauthError(_ status: Int, _ code: String, _ description: String) -> HTTPResponse {
            var r = HTTPResponse.bytes(status, JSON.object(["error": .string(code), "error_description": .string(description)]).bytes, contentType: "application/json")
            r.headers.add("Cache-Control", "no-store")
            if status == 401 { r.headers.add("WWW-Authenticate", "Basic realm=\"sfu\"") }
            return r
        }
        if let wait = tokenFailures.retryAfter(request.remoteAddress) {
            Metrics.shared.increment("sfu_auth_failures_total", labels: ["reason": "rate_limited"])
            var r = oauthError(429, "slow_down", "too many failed token requests from this address; retry in \(wait) s")
            r.headers.add("Retry-After", String(wait))
            return r
        }
        // Credentials travel in the Authorization header or the form body,
        // never in the URL (which proxies and logs keep): RFC 6749 §2.3.1.
        let query = request.query
        if query["client_secret"] != nil || query["client_id"] != nil {
            return oauthError(400, "invalid_request", "client credentials must not be sent in the query string; use HTTP Basic authentication or the form body")
        }
        let body = try await request.body.collect(upTo: 16 * 1024)
        let ctype = request.headers["Content-Type"]?.lowercased() ?? ""
        if !body.isEmpty && MediaType.essence(ctype) != "application/x-www-form-urlencoded" {
            return oauthError(400, "invalid_request", "body must be application/x-www-form-urlencoded")
        }
        var form = parseFormURLEncoded(String(decoding: body, as: UTF8.self))
        for (k, v) in query where form[k] == nil { form[k] = v }
        guard let grant = form["grant_type"] else { return oauthError(400, "invalid_request", "grant_type is required") }
        guard grant == "client_credentials" else { return oauthError(400, "unsupported_grant_type", "only client_credentials is supported") }
        var clientID = form["client_id"]
        var clientSecret = form["client_secret"]
        if let h = request.headers["Authorization"], h.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(h.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
                return oauthError(401, "invalid_client", "malformed Basic credentials")
            }
            clientID = percentDecode(String(text[..<colon]), plusIsSpace: true)
            clientSecret = percentDecode(String(text[text.index(after: colon)...]), plusIsSpace: true)
        }
        guard let id = clientID, let secret = clientSecret, let client = clients[id],
              constantTimeEquals(Array(secret.utf8), Array(client.secret.utf8)) else {
            Metrics.shared.increment("sfu_auth_failures_total", labels: ["reason": "invalid_client"])
            tokenFailures.recordFailure(request.remoteAddress)
            return oauthError(401, "invalid_client", "unknown client or wrong secret")
        }
        var subject = client.id
        var roles = client.roles
        if let user = form["user_id"] {
            guard client.roles.contains(Principal.Role.service) else { return oauthError(400, "invalid_request", "only SERVICE clients may request tokens for a user_id") }
            guard Identifiers.isValid(user) else { return oauthError(400, "invalid_request", "user_id must be \(Identifier.rule)") }
            subject = user
            roles = [Principal.Role.participant]
        }
        var grants = Set<Principal.Grant>()
        if let list = form["grants"] {
            guard form["user_id"] != nil else { return oauthError(400, "invalid_request", "grants are given with user_id, to a PARTICIPANT token") }
            for g in list.split(whereSeparator: { $0 == "," || $0 == " " }) {
                guard let grant = Principal.Grant(rawValue: String(g)) else {
                    return oauthError(400, "invalid_scope", "unknown grant '\(g.prefix(40))' (create, end)")
                }
                grants.insert(grant)
            }
        }
        var ttl = tokenTTL
        if let t = form["expires_in"], let v = Int64(t), v > 0 { ttl = min(v, tokenTTL) }
        let (token, expiresIn) = issueToken(subject: subject, roles: roles, organizationId: client.organizationId, grants: grants, ttl: ttl)
        Metrics.shared.increment("sfu_tokens_issued_total")
        var r = HTTPResponse.bytes(200, JSON.object([
            "access_token": .string(token), "token_type": "Bearer", "expires_in": .int(expiresIn),
        ]).bytes, contentType: "application/json")
        r.headers.add("Cache-Control", "no-store")
        return r
    }
}

func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff = UInt8(a.count == b.count ? 0 : 1)
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        diff |= x ^ y
    }
    return diff == 0
}

/// The identifier rule shared by every API (see the Identifier module).
public enum Identifiers {
    public static func isValid(_ s: String) -> Bool { Identifier.isValid(s) }
}
