import Foundation

/// The node's id: given (`--node-id`), or generated once and kept in the data
/// directory (`DATA_DIR/node-id`) so a restarted node keeps its name.
public enum NodeIdentity {
    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    /// 1-64 characters of A-Z a-z 0-9 . _ - (it becomes part of Redis keys).
    public static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46 || $0 == 95
        }
    }

    public static func load(given: String?, dataDirectory: String) throws -> String {
        if let given {
            guard isValid(given) else { throw Invalid(description: "--node-id '\(given)' must be 1-64 characters of A-Z a-z 0-9 . _ -") }
            return given
        }
        let path = (dataDirectory as NSString).appendingPathComponent("node-id")
        if let data = FileManager.default.contents(atPath: path) {
            let id = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard isValid(id) else { throw Invalid(description: "\(path) holds no valid node id; fix or delete it") }
            return id
        }
        let id = "node-" + UUID().uuidString.lowercased().prefix(8)
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data((id + "\n").utf8)), rename(tmp, path) == 0 else {
            throw Invalid(description: "cannot write \(path)")
        }
        return id
    }
}
