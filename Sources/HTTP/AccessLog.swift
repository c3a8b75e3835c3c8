/// What the access log may show of a request: the target with the values
/// of credential-bearing query parameters replaced by `REDACTED`. Headers
/// (`Authorization`, cookies) and bodies are never logged at all.
public enum AccessLog {
    /// Query parameter names (compared case-insensitively) whose values are secrets.
    public static let secretParameters: Set<String> = [
        "access_token", "refresh_token", "id_token", "token", "client_secret", "password", "secret", "code", "key", "signature",
    ]

    /// `target` with every secret parameter's value replaced.
    public static func redacted(_ target: String) -> String {
        guard let q = target.firstIndex(of: "?") else { return target }
        var out = String(target[...q])
        var first = true
        for pair in target[target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false) {
            if !first { out += "&" }
            first = false
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let decoded = (percentDecode(String(name), plusIsSpace: true) ?? String(name)).lowercased()
            out += secretParameters.contains(decoded) ? "\(name)=REDACTED" : String(pair)
        }
        return out
    }
}
