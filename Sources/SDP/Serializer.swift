// Writes a SessionDescription back as RFC 8866 text, lines in the grammar's order.

extension SessionDescription {
    /// The document as SDP text, every line CRLF-terminated. Parsing the result gives a
    /// value equal to `self` for any parsed document.
    public func serialize() -> String {
        var out = ""
        out.reserveCapacity(4096)
        func line(_ type: String, _ value: String) {
            out += type
            out += "="
            out += value
            out += "\r\n"
        }
        func writeAttributes(_ list: [Attribute]) {
            for a in list { line("a", a.value.map { a.name + ":" + $0 } ?? a.name) }
        }
        func writeConnection(_ c: Connection?) {
            if let c { line("c", "\(c.networkType) \(c.addressType) \(c.address)") }
        }
        func writeBandwidths(_ list: [Bandwidth]) {
            for b in list { line("b", "\(b.type):\(b.value)") }
        }
        line("v", "0")
        line("o", "\(origin.username) \(origin.sessionID) \(origin.sessionVersion) \(origin.networkType) \(origin.addressType) \(origin.address)")
        line("s", sessionName)
        if let information { line("i", information) }
        if let uri { line("u", uri) }
        for e in emails { line("e", e) }
        for p in phones { line("p", p) }
        writeConnection(connection)
        writeBandwidths(bandwidths)
        for t in timings {
            line("t", "\(t.start) \(t.stop)")
            for r in t.repeats { line("r", r) }
        }
        if let timeZones { line("z", timeZones) }
        if let encryptionKey { line("k", encryptionKey) }
        writeAttributes(attributes)
        for m in media { m.serialize(into: &out) }
        return out
    }
}

extension MediaDescription {
    /// Appends this m-section (its `m=` line and everything under it), CRLF-terminated.
    func serialize(into out: inout String) {
        func line(_ type: String, _ value: String) {
            out += type
            out += "="
            out += value
            out += "\r\n"
        }
        let port = numberOfPorts.map { "\(self.port)/\($0)" } ?? "\(self.port)"
        line("m", ([kind.description, port, proto] + formats).joined(separator: " "))
        if let i = information { line("i", i) }
        if let c = connection { line("c", "\(c.networkType) \(c.addressType) \(c.address)") }
        for b in bandwidths { line("b", "\(b.type):\(b.value)") }
        if let k = encryptionKey { line("k", k) }
        for a in attributes { line("a", a.value.map { a.name + ":" + $0 } ?? a.name) }
    }
}
