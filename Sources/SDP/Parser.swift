// RFC 8866 parser: line splitting, limits, line grammar, and the syntax of every attribute
// the typed accessors understand.

extension SessionDescription {
    /// Parses an SDP document (RFC 8866). Accepts CRLF or LF line endings and ignores blank
    /// lines; refuses anything malformed or over `SDPLimits` with a specific `SDPError`.
    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        let count = text.utf8.count
        guard count <= SDPLimits.maxBytes else { throw .tooLarge(bytes: count, limit: SDPLimits.maxBytes) }
        var parser = Parser()
        return try parser.run(Array(text.utf8))
    }

    /// Parses an SDP fragment (RFC 8840 §9, `application/trickle-ice-sdpfrag`):
    /// session-level attributes and media descriptions with the same grammar
    /// and limits as a document, but no `v=`, `o=`, `s=` or `t=` lines.
    public static func parseFragment(_ text: String) throws(SDPError) -> SDPFragment {
        let count = text.utf8.count
        guard count <= SDPLimits.maxBytes else { throw .tooLarge(bytes: count, limit: SDPLimits.maxBytes) }
        var parser = Parser()
        parser.fragment = true
        let d = try parser.run(Array(text.utf8))
        return SDPFragment(attributes: d.attributes, media: d.media)
    }

    /// Parses raw bytes, refusing invalid UTF-8 before anything else.
    public static func parse<Bytes: Collection>(bytes: Bytes) throws(SDPError) -> SessionDescription where Bytes.Element == UInt8 {
        guard bytes.count <= SDPLimits.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: SDPLimits.maxBytes) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        return try parse(text)
    }
}

private struct SectionState {
    var singleLines = Set<UInt8>()
    var singleAttributes = Set<String>()
    var hasDirection = false
    var rtpmapTypes = Set<UInt8>()
    var fmtpTypes = Set<UInt8>()
}

private struct Parser {
    var origin: Origin?
    var sessionName: String?
    var information: String?
    var uri: String?
    var emails: [String] = []
    var phones: [String] = []
    var connection: Connection?
    var bandwidths: [Bandwidth] = []
    var timings: [Timing] = []
    var timeZones: String?
    var encryptionKey: String?
    var attributes: [Attribute] = []
    var media: [MediaDescription] = []
    var section = SectionState()
    /// Numeric formats of the current m-line (nil at session level).
    var currentPayloadTypes: Set<UInt8>?
    /// An RFC 8840 fragment: no `v=` first, and no session lines at all.
    var fragment = false

    mutating func run(_ bytes: [UInt8]) throws(SDPError) -> SessionDescription {
        var lineNumber = 0
        var sawVersion = false
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            guard lineNumber <= SDPLimits.maxLines else { throw .tooManyLines(limit: SDPLimits.maxLines) }
            var last = end
            if last > start, bytes[last - 1] == 0x0D { last -= 1 }
            let line = bytes[start..<last]
            start = end + 1
            for b in line where (b < 0x20 && b != 0x09) || b == 0x7F {
                throw .invalidCharacter(line: lineNumber)
            }
            if line.isEmpty { continue }
            guard line.count >= 2, line[line.startIndex + 1] == UInt8(ascii: "=") else {
                if !sawVersion { throw .missingVersion }
                throw .malformedLine(line: lineNumber)
            }
            let type = line[line.startIndex]
            let value = String(decoding: line.dropFirst(2), as: UTF8.self)
            if fragment {
                guard type == UInt8(ascii: "a") || type == UInt8(ascii: "m") || type == UInt8(ascii: "c") || type == UInt8(ascii: "b") else {
                    throw .misplacedLine(line: lineNumber, type: String(UnicodeScalar(type)))
                }
                try handle(type: type, value: value, line: lineNumber)
                continue
            }
            if !sawVersion {
                guard type == UInt8(ascii: "v") else { throw .missingVersion }
                guard value == "0" else { throw .unsupportedVersion(line: lineNumber, value: value) }
                sawVersion = true
                continue
            }
            try handle(type: type, value: value, line: lineNumber)
        }
        if fragment {
            return SessionDescription(origin: Origin(sessionID: 0, sessionVersion: 0), attributes: attributes, media: media)
        }
        guard sawVersion else { throw .missingVersion }
        guard let origin else { throw .missingOrigin }
        guard let sessionName else { throw .missingSessionName }
        guard !timings.isEmpty else { throw .missingTiming }
        return SessionDescription(origin: origin, sessionName: sessionName, information: information, uri: uri,
                                  emails: emails, phones: phones, connection: connection, bandwidths: bandwidths,
                                  timings: timings, timeZones: timeZones, encryptionKey: encryptionKey,
                                  attributes: attributes, media: media)
    }

    private var inMedia: Bool { !media.isEmpty }

    private mutating func once(_ type: UInt8, line: Int) throws(SDPError) {
        guard section.singleLines.insert(type).inserted else {
            throw .duplicateLine(line: line, type: String(UnicodeScalar(type)))
        }
    }

    private mutating func handle(type: UInt8, value: String, line: Int) throws(SDPError) {
        let letter = String(UnicodeScalar(type))
        switch type {
        case UInt8(ascii: "m"):
            guard media.count < SDPLimits.maxMediaSections else { throw .tooManyMediaSections(limit: SDPLimits.maxMediaSections) }
            let m = try parseMediaLine(value, line: line)
            media.append(m)
            section = SectionState()
            currentPayloadTypes = m.isRTP ? Set(m.payloadTypes) : []
        case UInt8(ascii: "a"):
            let attribute = try parseAttribute(value, line: line)
            if inMedia { media[media.count - 1].attributes.append(attribute) } else { attributes.append(attribute) }
        case UInt8(ascii: "c"):
            try once(type, line: line)
            let f = Text.fields(value)
            guard f.count == 3, Text.isToken(f[0]), Text.isToken(f[1]), Text.isWord(f[2]) else { throw .malformedConnection(line: line) }
            let c = Connection(networkType: f[0], addressType: f[1], address: f[2])
            if inMedia { media[media.count - 1].connection = c } else { connection = c }
        case UInt8(ascii: "b"):
            let (t, v) = Text.splitOnce(value, ":")
            guard Text.isToken(t), let v, let bw = Text.decimal(v, as: UInt64.self) else { throw .malformedBandwidth(line: line) }
            let b = Bandwidth(type: t, value: bw)
            if inMedia { media[media.count - 1].bandwidths.append(b) } else { bandwidths.append(b) }
        case UInt8(ascii: "i"):
            try once(type, line: line)
            if inMedia { media[media.count - 1].information = value } else { information = value }
        case UInt8(ascii: "k"):
            try once(type, line: line)
            if inMedia { media[media.count - 1].encryptionKey = value } else { encryptionKey = value }
        case UInt8(ascii: "o"), UInt8(ascii: "s"), UInt8(ascii: "u"), UInt8(ascii: "e"), UInt8(ascii: "p"),
             UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "z"):
            guard !inMedia else { throw .misplacedLine(line: line, type: letter) }
            try sessionLine(type: type, value: value, line: line)
        case UInt8(ascii: "v"):
            throw .misplacedLine(line: line, type: letter)
        case UInt8(ascii: "a")...UInt8(ascii: "z"):
            throw .unknownLineType(line: line, type: letter)
        default:
            throw .malformedLine(line: line)
        }
    }

    private mutating func sessionLine(type: UInt8, value: String, line: Int) throws(SDPError) {
        switch type {
        case UInt8(ascii: "o"):
            try once(type, line: line)
            let f = Text.fields(value)
            guard f.count == 6, let id = Text.decimal(f[1], as: UInt64.self), let version = Text.decimal(f[2], as: UInt64.self),
                  Text.isToken(f[3]), Text.isToken(f[4]), Text.isWord(f[5]) else { throw .malformedOrigin(line: line) }
            origin = Origin(username: f[0], sessionID: id, sessionVersion: version,
                            networkType: f[3], addressType: f[4], address: f[5])
        case UInt8(ascii: "s"):
            try once(type, line: line)
            sessionName = value
        case UInt8(ascii: "u"):
            try once(type, line: line)
            uri = value
        case UInt8(ascii: "e"):
            emails.append(value)
        case UInt8(ascii: "p"):
            phones.append(value)
        case UInt8(ascii: "t"):
            let f = Text.fields(value)
            guard f.count == 2, let start = Text.decimal(f[0], as: UInt64.self), let stop = Text.decimal(f[1], as: UInt64.self) else {
                throw .malformedTiming(line: line)
            }
            timings.append(Timing(start: start, stop: stop))
        case UInt8(ascii: "r"):
            guard !timings.isEmpty else { throw .misplacedLine(line: line, type: "r") }
            guard !Text.fields(value).isEmpty else { throw .malformedTiming(line: line) }
            timings[timings.count - 1].repeats.append(value)
        case UInt8(ascii: "z"):
            try once(type, line: line)
            timeZones = value
        default:
            throw .malformedLine(line: line)
        }
    }

    private func parseMediaLine(_ value: String, line: Int) throws(SDPError) -> MediaDescription {
        let f = Text.fields(value)
        guard f.count >= 4 else { throw .malformedMediaLine(line: line, reason: "expected <media> <port> <proto> <format>...") }
        guard Text.isToken(f[0]) else { throw .malformedMediaLine(line: line, reason: "media type is not a token") }
        let (portText, countText) = Text.splitOnce(f[1], "/")
        guard let port = Text.decimal(portText, as: UInt16.self) else { throw .invalidPort(line: line, value: f[1]) }
        var numberOfPorts: UInt16?
        if let countText {
            guard let c = Text.decimal(countText, as: UInt16.self), c >= 1 else { throw .invalidPort(line: line, value: f[1]) }
            numberOfPorts = c
        }
        guard Text.isWord(f[2]), !f[2].unicodeScalars.contains(":") else {
            throw .malformedMediaLine(line: line, reason: "bad transport protocol")
        }
        let formats = Array(f.dropFirst(3))
        if MediaDescription.isRTPProto(f[2]) {
            var seen = Set<UInt8>()
            for format in formats {
                guard let pt = Text.payloadType(format) else { throw .invalidPayloadType(line: line, value: format) }
                guard seen.insert(pt).inserted else { throw .malformedMediaLine(line: line, reason: "payload type \(pt) listed twice") }
            }
        } else {
            for format in formats where !Text.isWord(format) {
                throw .malformedMediaLine(line: line, reason: "bad format '\(format)'")
            }
        }
        return MediaDescription(kind: MediaKind(f[0]), port: port, numberOfPorts: numberOfPorts, proto: f[2], formats: formats)
    }

    private mutating func parseAttribute(_ text: String, line: Int) throws(SDPError) -> Attribute {
        let (name, value) = Text.splitOnce(text, ":")
        guard Text.isToken(name) else {
            throw .malformedAttribute(line: line, name: name, reason: "attribute name is not a token")
        }
        func typed<T: ParsedAttribute>(_ type: T.Type) throws(SDPError) -> T {
            guard let value else { throw .malformedAttribute(line: line, name: name, reason: "missing value") }
            do { return try T.parse(value) } catch { throw error.sdpError(line: line, name: name) }
        }
        func single() throws(SDPError) {
            guard section.singleAttributes.insert(name).inserted else { throw .duplicateAttribute(line: line, name: name) }
        }
        func word() throws(SDPError) {
            guard let value, Text.isWord(value) else {
                throw .malformedAttribute(line: line, name: name, reason: "value must be one non-empty word")
            }
        }
        switch name {
        case "rtpmap":
            let map = try typed(RTPMap.self)
            if let pts = currentPayloadTypes {
                guard pts.contains(map.payloadType) else { throw .rtpmapUnknownPayloadType(line: line, payloadType: map.payloadType) }
                guard section.rtpmapTypes.insert(map.payloadType).inserted else {
                    throw .duplicatePayloadType(line: line, payloadType: map.payloadType)
                }
            }
        case "fmtp":
            let fmtp = try typed(FormatParameters.self)
            if let pts = currentPayloadTypes {
                guard pts.contains(fmtp.payloadType) else { throw .fmtpUnknownPayloadType(line: line, payloadType: fmtp.payloadType) }
                guard section.fmtpTypes.insert(fmtp.payloadType).inserted else {
                    throw .duplicatePayloadType(line: line, payloadType: fmtp.payloadType)
                }
            }
        case "rtcp-fb": _ = try typed(RTCPFeedback.self)
        case "extmap": _ = try typed(ExtensionMap.self)
        case "ssrc": _ = try typed(SSRCAttribute.self)
        case "ssrc-group": _ = try typed(SSRCGroup.self)
        case "group": _ = try typed(Group.self)
        case "msid": _ = try typed(MSID.self)
        case "rid": _ = try typed(RIDDescription.self)
        case "fingerprint": _ = try typed(Fingerprint.self)
        case "candidate": _ = try typed(Candidate.self)
        case "simulcast":
            _ = try typed(Simulcast.self)
            try single()
        case "setup":
            _ = try typed(SetupRole.self)
            try single()
        case "mid", "ice-ufrag", "ice-pwd":
            try word()
            try single()
        case "sendrecv", "sendonly", "recvonly", "inactive":
            guard !section.hasDirection else { throw .duplicateAttribute(line: line, name: name) }
            section.hasDirection = true
        default:
            break
        }
        return Attribute(name, value)
    }
}
