import Foundation
import JSON

/// The OpenAPI 3.0.3 document of a store, served at `/openapi/openapi.json`
/// and rendered by the Scalar page at `/openapi`. One template
/// (`store.openapi.json`, embedded by scripts/embed.py) serves both kinds:
/// its placeholders are filled in, and every `{{PREFIX}}/…` path is described
/// twice, under the plural prefix and under its singular alias.
enum StoreOpenAPI {
    static func document(kind: StoreKind, limits: RecordStore.Limits) -> String {
        let plural = kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
        let common: [(String, String)] = [
            ("{{KIND}}", kind.rawValue),
            ("{{PREFIX}}", kind.prefix),
            ("{{PORT}}", String(kind.defaultPort)),
            ("{{MAXSIZE}}", String(limits.maxItemSize)),
            ("{{MAXUPLOADS}}", String(limits.maxConcurrentUploads)),
            ("{{HEARTBEAT}}", String(Int(limits.sseHeartbeat))),
            ("{{KEPT}}", String(limits.keptEvents)),
        ]
        let canonical = [("{{ALIASNOTE}}", ""), ("{{OPNAME}}", plural)] + common
        let alias = [("{{ALIASNOTE}}", " (singular alias of `\(kind.prefix)`)"),
                     ("{{OPNAME}}", String(plural.dropLast()) + "Alias"),
                     ("{{PREFIX}}", kind.alias)] + common
        // The template is checked by scripts/embed.py (and StoreOpenAPITests); it always parses.
        guard case .object(var root)? = try? JSON.parse(Array(template.utf8)),
              case .object(let paths)? = root["paths"] else { return template }
        var filled: [String: JSON] = [:]
        for (path, item) in paths {
            filled[fill(path, canonical)] = substitute(item, canonical)
            if path.hasPrefix("{{PREFIX}}/") {
                filled[fill(path, alias)] = substitute(item, alias)
            }
        }
        root["paths"] = .object(filled)
        return substitute(.object(root), canonical).serialized()
    }

    static func fill(_ text: String, _ values: [(String, String)]) -> String {
        guard text.contains("{{") else { return text }
        var s = text
        for (key, value) in values { s = s.replacingOccurrences(of: key, with: value) }
        return s
    }

    /// Fills the placeholders in every string and object key.
    static func substitute(_ value: JSON, _ values: [(String, String)]) -> JSON {
        switch value {
        case .string(let s): return .string(fill(s, values))
        case .array(let a): return .array(a.map { substitute($0, values) })
        case .object(let o):
            var out: [String: JSON] = [:]
            for (k, v) in o { out[fill(k, values)] = substitute(v, values) }
            return .object(out)
        default: return value
        }
    }
}
