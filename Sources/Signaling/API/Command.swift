import HTTP
import Identifier
import JSON

/// Reads and validates the fields of a JSON command body. Every accessor
/// throws a 400 that names the field: missing (`MISSING_FIELD`) or of the
/// wrong type / value (`INVALID_FIELD`). Unknown fields are ignored.
struct Command {
    let fields: [String: JSON]

    /// Parses a request body as a JSON object command. An empty body is the
    /// empty object (document 004 marks every body optional; `create` needs none).
    static func parse(_ bytes: [UInt8]) throws(HTTPError) -> Command {
        if bytes.isEmpty { return Command(fields: [:]) }
        let value: JSON
        do {
            value = try JSON.parse(bytes)
        } catch {
            throw HTTPError(400, "INVALID_JSON", "request body is not valid JSON: \(error)")
        }
        guard case .object(let o) = value else {
            throw HTTPError(400, "INVALID_JSON", "request body must be a JSON object, not \(value.kindName)")
        }
        return Command(fields: o)
    }

    static func missing(_ name: String) -> HTTPError { HTTPError(400, "MISSING_FIELD", "field '\(name)' is mandatory") }
    static func invalid(_ name: String, _ why: String) -> HTTPError { HTTPError(400, "INVALID_FIELD", "field '\(name)' \(why)") }

    /// A present, non-null value.
    func value(_ name: String) -> JSON? {
        guard let v = fields[name], !v.isNull else { return nil }
        return v
    }

    func string(_ name: String, maxLength: Int = 8192) throws(HTTPError) -> String? {
        guard let v = value(name) else { return nil }
        guard case .string(let s) = v else { throw Command.invalid(name, "must be a string, not \(v.kindName)") }
        if s.utf8.count > maxLength { throw Command.invalid(name, "is longer than \(maxLength) bytes") }
        return s
    }

    func requiredString(_ name: String, maxLength: Int = 8192) throws(HTTPError) -> String {
        guard let s = try string(name, maxLength: maxLength) else { throw Command.missing(name) }
        return s
    }

    /// An identifier (see `Identifier`: printable UTF-8, at most 128 bytes).
    func id(_ name: String) throws(HTTPError) -> String? {
        guard let s = try string(name, maxLength: 1024) else { return nil }
        guard Identifier.isValid(s) else { throw Command.invalid(name, "must be \(Identifier.rule)") }
        return s
    }

    func requiredID(_ name: String) throws(HTTPError) -> String {
        guard let s = try id(name) else { throw Command.missing(name) }
        return s
    }

    /// `streamId` in either form the documents use: `{"id": "..."}` (commands)
    /// or the bare string events carry (`ConferenceStreamPublishedEvent.streamId`).
    func streamID(_ name: String = "streamId") throws(HTTPError) -> String? {
        guard let v = value(name) else { return nil }
        let s: String
        let field: String
        switch v {
        case .string(let bare):
            s = bare
            field = name
        case .object(let o):
            guard let inner = o["id"], !inner.isNull else { throw Command.missing("\(name).id") }
            guard case .string(let wrapped) = inner else { throw Command.invalid("\(name).id", "must be a string, not \(inner.kindName)") }
            s = wrapped
            field = "\(name).id"
        default:
            throw Command.invalid(name, "must be a string or an object {\"id\": string}, not \(v.kindName)")
        }
        guard Identifier.isValid(s) else { throw Command.invalid(field, "must be \(Identifier.rule)") }
        return s
    }

    func requiredStreamID(_ name: String = "streamId") throws(HTTPError) -> String {
        guard let s = try streamID(name) else { throw Command.missing(name) }
        return s
    }

    func int(_ name: String, range: ClosedRange<Int64>) throws(HTTPError) -> Int64? {
        guard let v = value(name) else { return nil }
        guard let i = v.intValue else { throw Command.invalid(name, "must be an integer, not \(v.kindName)") }
        guard range.contains(i) else { throw Command.invalid(name, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return i
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws(HTTPError) -> E? where E.RawValue == String {
        guard let s = try string(name, maxLength: 64) else { return nil }
        guard let e = E(rawValue: s) else {
            throw Command.invalid(name, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), not '\(s)'")
        }
        return e
    }

    /// A free-form JSON object (metadata), bounded in size.
    func object(_ name: String, maxBytes: Int) throws(HTTPError) -> JSON? {
        guard let v = value(name) else { return nil }
        guard case .object = v else { throw Command.invalid(name, "must be an object, not \(v.kindName)") }
        if v.serialized().utf8.count > maxBytes { throw Command.invalid(name, "is larger than \(maxBytes) bytes") }
        return v
    }

    /// An object whose values are all strings (create/viewStream metadata).
    func stringMap(_ name: String, maxBytes: Int) throws(HTTPError) -> [String: String]? {
        guard let v = try object(name, maxBytes: maxBytes), case .object(let o) = v else { return nil }
        var out: [String: String] = [:]
        for (k, x) in o {
            guard case .string(let s) = x else { throw Command.invalid("\(name).\(k)", "must be a string, not \(x.kindName)") }
            out[k] = s
        }
        return out
    }

    /// `iceCandidates`: `[{candidate, sdpMid, sdpMLineIndex}]`.
    func iceCandidates(_ name: String = "iceCandidates") throws(HTTPError) -> [JSON] {
        guard let v = value(name) else { throw Command.missing(name) }
        guard case .array(let a) = v else { throw Command.invalid(name, "must be an array, not \(v.kindName)") }
        if a.count > 64 { throw Command.invalid(name, "holds more than 64 candidates") }
        for (i, c) in a.enumerated() {
            guard case .object(let o) = c else { throw Command.invalid("\(name)[\(i)]", "must be an object, not \(c.kindName)") }
            if let cand = o["candidate"], !cand.isNull {
                guard case .string(let s) = cand else { throw Command.invalid("\(name)[\(i)].candidate", "must be a string") }
                if s.utf8.count > 1024 { throw Command.invalid("\(name)[\(i)].candidate", "is longer than 1024 bytes") }
                if !s.isEmpty && !s.hasPrefix("candidate:") && !s.hasPrefix("a=candidate:") {
                    throw Command.invalid("\(name)[\(i)].candidate", "must be an ICE candidate line ('candidate:...')")
                }
            }
            if let mid = o["sdpMid"], !mid.isNull, mid.stringValue == nil { throw Command.invalid("\(name)[\(i)].sdpMid", "must be a string") }
            if let idx = o["sdpMLineIndex"], !idx.isNull {
                guard let n = idx.intValue, n >= 0, n < 64 else { throw Command.invalid("\(name)[\(i)].sdpMLineIndex", "must be an integer 0-63") }
            }
        }
        return a
    }
}
