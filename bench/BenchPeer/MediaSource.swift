/// The 16 bytes at the end of every benchmark RTP payload: a magic word, the
/// per-stream packet counter and the send time (`CLOCK_MONOTONIC` ns). The
/// server forwards payloads untouched, so a viewer reads exactly what the
/// publisher wrote and measures loss, duplicates, reordering and one-way
/// delay from it (publisher and viewers share one machine clock).
///
/// ```
/// ... codec payload ... | "SFBN" (4) | counter (u32 BE) | send time ns (u64 BE) |
/// ```
public enum MediaStamp {
    public static let size = 16
    public static let magic: UInt32 = 0x5346_424E   // "SFBN"

    @inline(__always)
    public static func write(_ p: UnsafeMutableRawPointer, counter: UInt32, sendTime: UInt64) {
        p.storeBytes(of: magic.bigEndian, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: counter.bigEndian, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: sendTime.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Reads the stamp at the end of `payload`; nil when too short or the magic is wrong.
    @inline(__always)
    public static func read(_ payload: UnsafeRawBufferPointer) -> (counter: UInt32, sendTime: UInt64)? {
        guard payload.count >= size, let base = payload.baseAddress else { return nil }
        let p = base + payload.count - size
        guard UInt32(bigEndian: p.loadUnaligned(as: UInt32.self)) == magic else { return nil }
        return (UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}

/// Where the payload of an RTP packet lies (RFC 3550 §5.1: CSRCs, header
/// extension and padding skipped). Nil for anything that is not RTP version 2
/// or whose lengths do not fit.
@inline(__always)
public func rtpPayloadRange(_ p: UnsafeRawPointer, _ length: Int) -> Range<Int>? {
    guard length >= 12 else { return nil }
    let b0 = p.load(as: UInt8.self)
    guard b0 >> 6 == 2 else { return nil }
    var offset = 12 + Int(b0 & 0x0f) * 4
    if b0 & 0x10 != 0 {
        guard length >= offset + 4 else { return nil }
        let words = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)))
        offset += 4 + words * 4
    }
    var end = length
    if b0 & 0x20 != 0 {
        guard length > offset else { return nil }
        let pad = Int(p.load(fromByteOffset: length - 1, as: UInt8.self))
        guard pad > 0 else { return nil }
        end -= pad
    }
    guard end >= offset else { return nil }
    return offset..<end
}

/// Writes a 12-byte RTP header (no CSRC, no extension).
@inline(__always)
func writeRTPHeader(_ p: UnsafeMutableRawPointer, payloadType: UInt8, marker: Bool, sequence: UInt16, timestamp: UInt32, ssrc: UInt32) {
    p.storeBytes(of: 0x80, as: UInt8.self)
    p.storeBytes(of: payloadType | (marker ? 0x80 : 0), toByteOffset: 1, as: UInt8.self)
    p.storeBytes(of: sequence.bigEndian, toByteOffset: 2, as: UInt16.self)
    p.storeBytes(of: timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
    p.storeBytes(of: ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
}

/// Synthetic VP8 video as RTP (RFC 7741): frames of `bitrate / 8 / fps`
/// bytes, split into packets of at most `maxPacketSize` bytes, each with a
/// payload descriptor (X=1, I=1, 15-bit picture id; S=1 on the first packet
/// of a frame) and the `MediaStamp` at its end; the first packet of a frame
/// carries a VP8 frame tag (RFC 6386 §9.1), on key frames followed by the
/// start code and a 640×360 size, so the server's keyframe detection sees a
/// real key frame every `keyframeInterval` seconds. Marker bit on a frame's
/// last packet; timestamp in 90 kHz steps of one frame. The bytes in
/// between are filler: it is not decodable video, and need not be.
public struct VP8Packetizer {
    public static let descriptorSize = 4
    public static let frameHeaderSize = 10
    /// After the frame tag of a key frame: start code 9D 01 2A, width 640 and height 360 (14 bits LE each).
    static let keyframeHeader: [UInt8] = [0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]
    public let ssrc: UInt32
    public let payloadType: UInt8
    public let fps: Int
    public let frameBytes: Int
    public let maxPacketSize: Int
    public let framesPerKeyframe: Int
    public private(set) var frameIndex = -1
    public private(set) var sequence: UInt16
    public private(set) var counter: UInt32 = 0
    public private(set) var pictureID: UInt16 = 0
    private var timestamp: UInt32
    private var packetsInFrame = 0
    private var chunk = 0
    private var keyframe = false
    private var forceKeyframe = false

    public init(ssrc: UInt32, payloadType: UInt8 = BenchCodecs.vp8PT, bitrate: Int, fps: Int, keyframeInterval: Double,
                maxPacketSize: Int = 1200, initialSequence: UInt16 = 1000, initialTimestamp: UInt32 = 90_000) {
        precondition(fps > 0 && bitrate > 0 && maxPacketSize >= 64)
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.fps = fps
        self.frameBytes = max(Self.frameHeaderSize + 1, bitrate / 8 / fps)
        self.maxPacketSize = maxPacketSize
        self.framesPerKeyframe = max(1, Int((keyframeInterval * Double(fps)).rounded()))
        self.sequence = initialSequence
        self.timestamp = initialTimestamp
    }

    /// VP8 bytes one packet can carry.
    public var dataPerPacket: Int { maxPacketSize - 12 - Self.descriptorSize - MediaStamp.size }

    /// Asks for a key frame at the next frame (a PLI or FIR arrived).
    public mutating func requestKeyframe() { forceKeyframe = true }

    /// Starts the next frame; returns how many packets it has and whether it is a key frame.
    public mutating func beginFrame() -> (packets: Int, keyframe: Bool) {
        frameIndex += 1
        if frameIndex > 0 { timestamp &+= UInt32(90_000 / fps) }
        pictureID = UInt16(frameIndex & 0x7fff)
        keyframe = frameIndex % framesPerKeyframe == 0 || forceKeyframe
        forceKeyframe = false
        packetsInFrame = (frameBytes + dataPerPacket - 1) / dataPerPacket
        chunk = (frameBytes + packetsInFrame - 1) / packetsInFrame
        return (packetsInFrame, keyframe)
    }

    /// Writes packet `index` of the current frame at `p` (capacity must be
    /// `maxPacketSize`); returns its length.
    public mutating func writePacket(_ index: Int, into p: UnsafeMutableRawPointer, sendTime: UInt64) -> Int {
        let first = index == 0
        let last = index == packetsInFrame - 1
        let dataBytes = last ? frameBytes - chunk * (packetsInFrame - 1) : chunk
        writeRTPHeader(p, payloadType: payloadType, marker: last, sequence: sequence, timestamp: timestamp, ssrc: ssrc)
        sequence &+= 1
        var o = 12
        // Descriptor: X=1, N=0, S, PID=0 | I=1 | M=1 + 15-bit picture id.
        p.storeBytes(of: first ? 0x90 : 0x80, toByteOffset: o, as: UInt8.self)
        p.storeBytes(of: 0x80, toByteOffset: o + 1, as: UInt8.self)
        p.storeBytes(of: (0x8000 | pictureID).bigEndian, toByteOffset: o + 2, as: UInt16.self)
        o += Self.descriptorSize
        var filled = 0
        if first {
            // Frame tag: P (0 = key frame), version 0, show_frame 1, first partition size.
            let partition = UInt32(min(frameBytes - 3, 0x7ffff) / 2)
            let tag = (keyframe ? 0 : 1) | 0x10 | (partition << 5)
            p.storeBytes(of: UInt8(tag & 0xff), toByteOffset: o, as: UInt8.self)
            p.storeBytes(of: UInt8((tag >> 8) & 0xff), toByteOffset: o + 1, as: UInt8.self)
            p.storeBytes(of: UInt8((tag >> 16) & 0xff), toByteOffset: o + 2, as: UInt8.self)
            if keyframe {
                for (i, b) in Self.keyframeHeader.enumerated() { p.storeBytes(of: b, toByteOffset: o + 3 + i, as: UInt8.self) }
            } else {
                for i in 3..<Self.frameHeaderSize { p.storeBytes(of: UInt8(truncatingIfNeeded: i), toByteOffset: o + i, as: UInt8.self) }
            }
            filled = Self.frameHeaderSize
        }
        if dataBytes > filled { (p + o + filled).initializeMemory(as: UInt8.self, repeating: 0x5a, count: dataBytes - filled) }
        o += max(dataBytes, filled)
        MediaStamp.write(p + o, counter: counter, sendTime: sendTime)
        counter &+= 1
        return o + MediaStamp.size
    }
}

/// Synthetic Opus audio as RTP (RFC 7587): one 20 ms packet at a time, 50
/// per second, timestamp step 960 at 48 kHz. The payload is the well-known
/// Opus silence frame (TOC 0xF8: CELT, full band, 20 ms, one frame; then
/// 0xFF 0xFE) followed by the `MediaStamp`.
public struct OpusPacketizer {
    public static let silence: [UInt8] = [0xf8, 0xff, 0xfe]
    public let ssrc: UInt32
    public let payloadType: UInt8
    public private(set) var sequence: UInt16
    public private(set) var counter: UInt32 = 0
    private var timestamp: UInt32

    public init(ssrc: UInt32, payloadType: UInt8 = BenchCodecs.opusPT, initialSequence: UInt16 = 500, initialTimestamp: UInt32 = 48_000) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.sequence = initialSequence
        self.timestamp = initialTimestamp
    }

    public mutating func writePacket(into p: UnsafeMutableRawPointer, sendTime: UInt64) -> Int {
        writeRTPHeader(p, payloadType: payloadType, marker: counter == 0, sequence: sequence, timestamp: timestamp, ssrc: ssrc)
        for (i, b) in Self.silence.enumerated() { p.storeBytes(of: b, toByteOffset: 12 + i, as: UInt8.self) }
        MediaStamp.write(p + 12 + Self.silence.count, counter: counter, sendTime: sendTime)
        sequence &+= 1
        timestamp &+= 960
        counter &+= 1
        return 12 + Self.silence.count + MediaStamp.size
    }
}
