/// Where a Redis server is: parsed from `redis://[:PASSWORD@]HOST[:PORT][/DB]`
/// (the `--cluster` option). IPv6 hosts go in brackets.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int
    public var password: String?

    public init(host: String, port: Int = 6379, database: Int = 0, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.password = password
    }

    /// The URL without its password (for logs and health reports).
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "redis://\(h):\(port)/\(database)"
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ url: String) throws(ParseError) -> RedisEndpoint {
        let prefix = "redis://"
        guard url.lowercased().hasPrefix(prefix) else { throw ParseError(description: "'\(url)' must start with redis://") }
        var rest = Substring(url.dropFirst(prefix.count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                password = String(userinfo[userinfo.index(after: colon)...])
            } else {
                password = String(userinfo)
            }
            if password?.isEmpty == true { password = nil }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0, n <= 1_000_000 else { throw ParseError(description: "database '\(db)' in '\(url)' must be a number >= 0") }
                database = n
            }
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ParseError(description: "unclosed '[' in '\(url)'") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ParseError(description: "unexpected '\(after)' after the host in '\(url)'") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw ParseError(description: "'\(url)' names no host") }
        var port = 6379
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw ParseError(description: "port '\(portText)' in '\(url)' must be 1-65535") }
            port = p
        }
        return RedisEndpoint(host: String(host), port: port, database: database, password: password)
    }
}
