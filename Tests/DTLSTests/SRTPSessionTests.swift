import XCTest
@testable import DTLS

/// A pooled-style packet buffer: RTP/RTCP bytes plus headroom, protected in place.
private struct PacketBuffer {
    var storage: [UInt8]
    var length: Int

    init(_ bytes: [UInt8], capacity: Int = 1500) {
        storage = bytes + [UInt8](repeating: 0, count: capacity - bytes.count)
        length = bytes.count
    }

    var bytes: [UInt8] { Array(storage[0..<length]) }

    mutating func run(_ body: (UnsafeMutableRawBufferPointer, Int) throws -> Int) throws {
        let len = length
        length = try storage.withUnsafeMutableBytes { raw in try body(raw, len) }
    }
}

/// V=2, PT=111, the given sequence number, timestamp 0x01020304, SSRC 0xCAFEBABE, then a payload.
private func rtpPacket(seq: UInt16, payloadLength: Int = 1188) -> [UInt8] {
    var p: [UInt8] = [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xff), 1, 2, 3, 4, 0xCA, 0xFE, 0xBA, 0xBE]
    p += (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    return p
}

/// A receiver report: V=2, RC=0, PT=201, length=1 (8 bytes), SSRC 0x11223344.
private let rtcpReceiverReport: [UInt8] = [0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44]

final class SRTPSessionTests: XCTestCase {
    /// Sessions for both directions from one real handshake.
    private func sessions(_ profile: SRTPProfile) throws -> (sender: SRTPSession, receiver: SRTPSession) {
        let cctx = try DTLSContext(certificate: Fixtures.clientCertificate, srtpProfiles: [profile])
        let link = try makePair(clientContext: cctx)
        XCTAssertTrue(link.run())
        let serverKeys = try XCTUnwrap(link.serverLog.keys), clientKeys = try XCTUnwrap(link.clientLog.keys)
        XCTAssertEqual(serverKeys.profile, profile)
        // The client (a browser) sends; we (the server) receive.
        return (try SRTPSession(outbound: clientKeys), try SRTPSession(inbound: serverKeys))
    }

    func testRTPRoundTripBothProfiles() throws {
        for profile in SRTPProfile.allCases {
            let (tx, rx) = try sessions(profile)
            for seq: UInt16 in [1, 2, 3, 65535, 0] {
                let plain = rtpPacket(seq: seq)
                var packet = PacketBuffer(plain)
                try packet.run { try tx.protectRTP($0, length: $1) }
                XCTAssertEqual(packet.length, plain.count + profile.rtpOverhead, "\(profile)")
                XCTAssertEqual(Array(packet.bytes[0..<12]), Array(plain[0..<12]), "header stays clear")
                XCTAssertNotEqual(Array(packet.bytes[12..<plain.count]), Array(plain[12...]), "payload is encrypted")
                try packet.run { try rx.unprotectRTP($0, length: $1) }
                XCTAssertEqual(packet.bytes, plain, "\(profile) seq \(seq)")
            }
        }
    }

    func testRTCPRoundTripBothProfiles() throws {
        for profile in SRTPProfile.allCases {
            let (tx, rx) = try sessions(profile)
            for _ in 0..<3 {
                var packet = PacketBuffer(rtcpReceiverReport)
                try packet.run { try tx.protectRTCP($0, length: $1) }
                XCTAssertEqual(packet.length, 8 + 4 + profile.rtpOverhead, "SRTCP index + tag (\(profile))")
                try packet.run { try rx.unprotectRTCP($0, length: $1) }
                XCTAssertEqual(packet.bytes, rtcpReceiverReport)
            }
        }
    }

    func testTamperingFailsAuthentication() throws {
        for profile in SRTPProfile.allCases {
            let (tx, rx) = try sessions(profile)
            for offset in [5, 20, -1] {   // header, payload, tag
                var packet = PacketBuffer(rtpPacket(seq: UInt16(100 + offset + 1)))
                try packet.run { try tx.protectRTP($0, length: $1) }
                let index = offset >= 0 ? offset : packet.length - 1
                packet.storage[index] ^= 0x01
                XCTAssertThrowsError(try packet.run { try rx.unprotectRTP($0, length: $1) }) {
                    XCTAssertEqual($0 as? SRTPError, .authFail, "\(profile) byte \(index)")
                }
            }
            var rtcp = PacketBuffer(rtcpReceiverReport)
            try rtcp.run { try tx.protectRTCP($0, length: $1) }
            rtcp.storage[9] ^= 0x80
            XCTAssertThrowsError(try rtcp.run { try rx.unprotectRTCP($0, length: $1) }) {
                XCTAssertEqual($0 as? SRTPError, .authFail)
            }
        }
    }

    func testReplayIsRejected() throws {
        for profile in SRTPProfile.allCases {
            let (tx, rx) = try sessions(profile)
            var packet = PacketBuffer(rtpPacket(seq: 5000))
            try packet.run { try tx.protectRTP($0, length: $1) }
            let protected = packet
            try packet.run { try rx.unprotectRTP($0, length: $1) }
            var replay = protected
            XCTAssertThrowsError(try replay.run { try rx.unprotectRTP($0, length: $1) }) {
                XCTAssertEqual($0 as? SRTPError, .replayFail, "\(profile)")
            }
            // Protected in order, delivered out of order.
            var old = PacketBuffer(rtpPacket(seq: 5500)), late = PacketBuffer(rtpPacket(seq: 6500)), last = PacketBuffer(rtpPacket(seq: 7000))
            try old.run { try tx.protectRTP($0, length: $1) }
            try late.run { try tx.protectRTP($0, length: $1) }
            try last.run { try tx.protectRTP($0, length: $1) }
            try last.run { try rx.unprotectRTP($0, length: $1) }
            // 1,500 behind the newest: older than the 1,024-packet window.
            XCTAssertThrowsError(try old.run { try rx.unprotectRTP($0, length: $1) }) {
                XCTAssertEqual($0 as? SRTPError, .replayOld, "\(profile)")
            }
            // 500 behind: late but inside the window, accepted.
            try late.run { try rx.unprotectRTP($0, length: $1) }
            XCTAssertEqual(late.bytes, rtpPacket(seq: 6500))
        }
    }

    func testNACKResendOfTheSameSequenceNumberCanBeProtectedAgain() throws {
        for profile in SRTPProfile.allCases {
            let (tx, rx) = try sessions(profile)
            let plain = rtpPacket(seq: 42)
            var first = PacketBuffer(plain)
            try first.run { try tx.protectRTP($0, length: $1) }
            for seq: UInt16 in 43...50 {
                var p = PacketBuffer(rtpPacket(seq: seq))
                try p.run { try tx.protectRTP($0, length: $1) }
            }
            var resend = PacketBuffer(plain)
            try resend.run { try tx.protectRTP($0, length: $1) }   // allow_repeat_tx
            XCTAssertEqual(resend.bytes, first.bytes, "same key, index and payload give the same packet")
            // The receiver lost the first copy: the resend is accepted once.
            try resend.run { try rx.unprotectRTP($0, length: $1) }
            XCTAssertEqual(resend.bytes, plain)
        }
    }

    func testNACKResendFarBehindTheNewestPacketStillProtects() throws {
        let (tx, rx) = try sessions(.aeadAES128GCM)
        for seq in UInt16(1)...UInt16(5001) {
            var p = PacketBuffer(rtpPacket(seq: seq, payloadLength: 20))
            try p.run { try tx.protectRTP($0, length: $1) }
        }
        // 5,000 packets back (≈ 20 s of audio, 3 s of video): the outbound window is 32,767.
        var resend = PacketBuffer(rtpPacket(seq: 1, payloadLength: 20))
        try resend.run { try tx.protectRTP($0, length: $1) }
        try resend.run { try rx.unprotectRTP($0, length: $1) }
        XCTAssertEqual(resend.bytes, rtpPacket(seq: 1, payloadLength: 20))
    }

    func testArgumentChecks() throws {
        let (tx, rx) = try sessions(.aeadAES128GCM)
        let plain = rtpPacket(seq: 1, payloadLength: 100)
        var tight = PacketBuffer(plain, capacity: plain.count + 100)
        XCTAssertThrowsError(try tight.run { try tx.protectRTP($0, length: $1) }) {
            XCTAssertEqual($0 as? SRTPError, .insufficientCapacity)
        }
        var ok = PacketBuffer(plain, capacity: plain.count + SRTPSession.rtpHeadroom)
        XCTAssertNoThrow(try ok.run { try tx.protectRTP($0, length: $1) })
        var wrong = PacketBuffer(plain)
        XCTAssertThrowsError(try wrong.run { try rx.protectRTP($0, length: $1) }) {
            XCTAssertEqual($0 as? SRTPError, .wrongDirection)
        }
        XCTAssertThrowsError(try wrong.run { try tx.unprotectRTP($0, length: $1) }) {
            XCTAssertEqual($0 as? SRTPError, .wrongDirection)
        }
        var short = PacketBuffer([0x80, 0, 0])
        XCTAssertThrowsError(try short.run { try rx.unprotectRTP($0, length: $1) }) {
            XCTAssertEqual($0 as? SRTPError, .badParam)
        }
        XCTAssertThrowsError(try SRTPSession(profile: .aeadAES128GCM, masterKey: [UInt8](repeating: 1, count: 30), direction: .inbound)) {
            XCTAssertEqual($0 as? SRTPError, .badParam, "GCM takes 28 bytes")
        }
        XCTAssertThrowsError(try SRTPSession(profile: .aes128CMHmacSHA1_80, masterKey: [UInt8](repeating: 1, count: 30), direction: .inbound, replayWindow: 10))
    }

    func testKeysFromBothEndsInteroperateInBothDirections() throws {
        let link = try makePair()
        XCTAssertTrue(link.run())
        let s = try XCTUnwrap(link.serverLog.keys), c = try XCTUnwrap(link.clientLog.keys)
        let serverOut = try SRTPSession(outbound: s), clientIn = try SRTPSession(inbound: c)
        var packet = PacketBuffer(rtpPacket(seq: 9))
        try packet.run { try serverOut.protectRTP($0, length: $1) }
        try packet.run { try clientIn.unprotectRTP($0, length: $1) }
        XCTAssertEqual(packet.bytes, rtpPacket(seq: 9))
        // Our outbound key does not open our own inbound direction.
        let serverIn = try SRTPSession(inbound: s)
        var mine = PacketBuffer(rtpPacket(seq: 10))
        try mine.run { try serverOut.protectRTP($0, length: $1) }
        XCTAssertThrowsError(try mine.run { try serverIn.unprotectRTP($0, length: $1) })
    }
}
