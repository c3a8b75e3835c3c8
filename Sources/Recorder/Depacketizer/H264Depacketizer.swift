// RFC 6184 (packetization-mode 0 and 1): single NAL unit packets (types
// 1–23, §5.6), STAP-A aggregates (type 24: { size(16) NAL }..., §5.7.1) and
// FU-A fragments (type 28: FU indicator | S E R type | fragment, §5.8; the
// NAL header is F|NRI of the indicator with the type of the FU header).
// Each NAL unit goes into the access unit as a 4-byte big-endian length
// and the unit (the AVC sample format of ISO/IEC 14496-15 that avcC
// announces). The marker bit ends the access unit (§5.1).

/// H.264 access units from RTP payloads, with the latest SPS and PPS kept
/// for the avcC record and IDR slices marking keyframes.
public struct H264Depacketizer: RTPDepacketizer {
    /// The most recent sequence and picture parameter sets seen.
    public private(set) var sps: [UInt8]?
    public private(set) var pps: [UInt8]?
    private var frame = FrameAccumulator()
    /// An FU-A NAL unit being reassembled (its length is patched at the end).
    private var fragmentStart: Int?
    /// After a broken packet, the rest of that access unit is skipped.
    private var brokenTimestamp: UInt32?

    public init() {}

    public mutating func push(payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool) throws(DepacketizeError) -> [DepacketizedFrame] {
        guard let header = payload.first else { throw .empty }
        var out: [DepacketizedFrame] = []
        if frame.open && frame.timestamp != timestamp {
            if fragmentStart != nil { frame.open = false; fragmentStart = nil } // a cut fragment: drop the unit
            else if let f = frame.finish() { out.append(f) }
        }
        if brokenTimestamp == timestamp { return out }
        brokenTimestamp = nil
        if !frame.open { frame.start(timestamp: timestamp) }
        let type = header & 0x1F
        switch type {
        case 1...23:
            guard fragmentStart == nil else { fail(); throw .truncated }
            try addNAL(payload)
        case 24:
            guard fragmentStart == nil else { fail(); throw .truncated }
            var at = 1
            while at < payload.count {
                guard at + 2 <= payload.count else { fail(); throw .badAggregate }
                let size = Int(payload[at]) << 8 | Int(payload[at + 1])
                at += 2
                guard size > 0, at + size <= payload.count else { fail(); throw .badAggregate }
                try addNAL(UnsafeRawBufferPointer(rebasing: payload[at..<at + size]))
                at += size
            }
        case 28:
            guard payload.count >= 3 else { fail(); throw .truncated }
            let fu = payload[1]
            let isStart = fu & 0x80 != 0, isEnd = fu & 0x40 != 0
            let nalType = fu & 0x1F
            if isStart {
                guard fragmentStart == nil else { fail(); throw .truncated }
                fragmentStart = frame.data.count
                try frame.append([0, 0, 0, 0, (header & 0xE0) | nalType])
                if nalType == 5 { frame.keyframe = true }
            } else if fragmentStart == nil {
                fail()  // its start was lost
                return out
            }
            try frame.append(UnsafeRawBufferPointer(rebasing: payload[2...]))
            if isEnd, let start = fragmentStart {
                let n = frame.data.count - start - 4
                frame.data[start] = UInt8(truncatingIfNeeded: n >> 24)
                frame.data[start + 1] = UInt8(truncatingIfNeeded: n >> 16)
                frame.data[start + 2] = UInt8(truncatingIfNeeded: n >> 8)
                frame.data[start + 3] = UInt8(truncatingIfNeeded: n)
                fragmentStart = nil
                if nalType == 7 || nalType == 8 { capture(Array(frame.data[(start + 4)...])) }
            }
        default:
            fail()
            throw .unsupportedNALType(type)
        }
        if marker {
            if fragmentStart != nil { fail(); return out }
            if let f = frame.finish() { out.append(f) }
        }
        return out
    }

    private mutating func addNAL(_ nal: UnsafeRawBufferPointer) throws(DepacketizeError) {
        let n = nal.count
        try frame.append([UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16),
                          UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)])
        try frame.append(nal)
        let type = nal[0] & 0x1F
        if type == 5 { frame.keyframe = true }
        if type == 7 || type == 8 { capture(Array(nal)) }
    }

    private mutating func capture(_ nal: [UInt8]) {
        if nal[0] & 0x1F == 7 { sps = nal } else { pps = nal }
    }

    private mutating func fail() {
        if frame.open { brokenTimestamp = frame.timestamp }
        frame.open = false
        fragmentStart = nil
    }

    public mutating func lose() {
        frame.open = false
        fragmentStart = nil
        brokenTimestamp = nil
    }
}
