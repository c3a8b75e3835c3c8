/// Receiver report (RFC 3550 §6.4.2, PT 201): a receiver that sends no media
/// reports loss, jitter and LSR/DLSR for the sources it receives.
///
/// The SFU sends them to publishers (their congestion control and RTT need
/// them) and reads the viewers' to learn each viewer leg's loss and RTT.
///
/// ```
/// |V=2|P|    RC   |   PT=RR=201   |             length            |
/// |                     SSRC of packet sender                     |
/// |                 report blocks (RC × 24 bytes)                 |
/// |                  profile-specific extensions                  |
/// ```
public struct ReceiverReport: Hashable, Sendable, RTCPSerializable {
    public var ssrc: UInt32
    public var reports: [ReceptionReport]

    public init(ssrc: UInt32, reports: [ReceptionReport] = []) {
        self.ssrc = ssrc
        self.reports = reports
    }

    public init(_ view: ReceiverReportView) {
        self.init(ssrc: view.ssrc, reports: (0..<view.reportCount).map { view.report(at: $0) })
    }

    public var serializedLength: Int { 8 + ReceptionReport.size * reports.count }

    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard reports.count <= 31 else { throw .tooManyItems(reports.count) }
        let size = serializedLength
        let p = try reserve(buffer, size)
        writeRTCPHeader(p, count: UInt8(reports.count), type: RTCPPacketType.receiverReport, size: size)
        store32(p, 4, ssrc)
        for (i, r) in reports.enumerated() { r.write(to: p + 8 + ReceptionReport.size * i) }
        return size
    }

    /// Writes a receiver report with at most one block without allocating
    /// (the SFU's usual report to a publisher: one block per media source).
    @inlinable
    public static func serialize(ssrc: UInt32, report: ReceptionReport?,
                                 into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        let size = report == nil ? 8 : 32
        let p = try reserve(buffer, size)
        writeRTCPHeader(p, count: report == nil ? 0 : 1, type: RTCPPacketType.receiverReport, size: size)
        store32(p, 4, ssrc)
        report?.write(to: p + 8)
        return size
    }
}

/// A validated receiver report in place (see `ReceiverReport`).
public struct ReceiverReportView {
    public let packet: RTCPPacketView

    @inlinable
    public init(_ packet: RTCPPacketView) throws(RTCPError) {
        guard packet.bodyLength >= 4 + ReceptionReport.size * Int(packet.countOrFormat) else {
            throw .tooShort(packetType: packet.packetType, format: packet.countOrFormat, length: packet.length)
        }
        self.packet = packet
    }

    @inlinable public var ssrc: UInt32 { load32(packet.pointer, 4) }
    @inlinable public var reportCount: Int { Int(packet.countOrFormat) }
    @inlinable public func report(at index: Int) -> ReceptionReport {
        precondition(index >= 0 && index < reportCount, "report index out of range")
        return ReceptionReport(at: packet.pointer + 8 + ReceptionReport.size * index)
    }
}
