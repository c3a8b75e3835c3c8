/// Sender report (RFC 3550 §6.4.1, PT 200): what a sender sent, and the
/// NTP↔RTP time pair that receivers use for lip sync and RTT.
///
/// The SFU sends one per viewer track (so browsers can synchronise audio and
/// video) and reads the publishers' to translate their time.
///
/// ```
/// |V=2|P|    RC   |   PT=SR=200   |             length            |
/// |                         SSRC of sender                        |
/// |              NTP timestamp, most significant word             |
/// |             NTP timestamp, least significant word             |
/// |                         RTP timestamp                         |
/// |                     sender's packet count                     |
/// |                      sender's octet count                     |
/// |                 report blocks (RC × 24 bytes)                 |
/// |                  profile-specific extensions                  |
/// ```
public struct SenderReport: Hashable, Sendable, RTCPSerializable {
    public var ssrc: UInt32
    public var ntp: NTPTimestamp
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reports: [ReceptionReport]

    public init(ssrc: UInt32, ntp: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32,
                octetCount: UInt32, reports: [ReceptionReport] = []) {
        self.ssrc = ssrc
        self.ntp = ntp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
    }

    public init(_ view: SenderReportView) {
        self.init(ssrc: view.ssrc, ntp: view.ntp, rtpTimestamp: view.rtpTimestamp,
                  packetCount: view.packetCount, octetCount: view.octetCount,
                  reports: (0..<view.reportCount).map { view.report(at: $0) })
    }

    public var serializedLength: Int { 28 + ReceptionReport.size * reports.count }

    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard reports.count <= 31 else { throw .tooManyItems(reports.count) }
        let size = serializedLength
        let p = try reserve(buffer, size)
        writeRTCPHeader(p, count: UInt8(reports.count), type: RTCPPacketType.senderReport, size: size)
        store32(p, 4, ssrc)
        store64(p, 8, ntp.raw)
        store32(p, 16, rtpTimestamp)
        store32(p, 20, packetCount)
        store32(p, 24, octetCount)
        for (i, r) in reports.enumerated() { r.write(to: p + 28 + ReceptionReport.size * i) }
        return size
    }

    /// Writes a sender report with at most one block without allocating
    /// (the SFU's usual report to a viewer).
    @inlinable
    public static func serialize(ssrc: UInt32, ntp: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32,
                                 octetCount: UInt32, report: ReceptionReport?,
                                 into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        let size = report == nil ? 28 : 52
        let p = try reserve(buffer, size)
        writeRTCPHeader(p, count: report == nil ? 0 : 1, type: RTCPPacketType.senderReport, size: size)
        store32(p, 4, ssrc)
        store64(p, 8, ntp.raw)
        store32(p, 16, rtpTimestamp)
        store32(p, 20, packetCount)
        store32(p, 24, octetCount)
        report?.write(to: p + 28)
        return size
    }
}

/// A validated sender report in place (see `SenderReport`).
public struct SenderReportView {
    public let packet: RTCPPacketView

    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        guard packet.bodyLength >= 24 + ReceptionReport.size * Int(packet.countOrFormat) else {
            throw .tooShort(packetType: packet.packetType, format: packet.countOrFormat, length: packet.length)
        }
        self.packet = packet
    }

    @inlinable public var ssrc: UInt32 { load32(packet.pointer, 4) }
    @inlinable public var ntp: NTPTimestamp { NTPTimestamp(raw: load64(packet.pointer, 8)) }
    @inlinable public var rtpTimestamp: UInt32 { load32(packet.pointer, 16) }
    @inlinable public var packetCount: UInt32 { load32(packet.pointer, 20) }
    @inlinable public var octetCount: UInt32 { load32(packet.pointer, 24) }
    @inlinable public var reportCount: Int { Int(packet.countOrFormat) }
    @inlinable public func report(at index: Int) -> ReceptionReport {
        precondition(index >= 0 && index < reportCount, "report index out of range")
        return ReceptionReport(at: packet.pointer + 28 + ReceptionReport.size * index)
    }
}
