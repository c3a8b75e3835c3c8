// Reading WebM/Matroska files: tracks and frames (SimpleBlocks and Blocks in
// BlockGroups) with absolute timestamps and keyframe flags. Used by
// post-processing and by the tests of the writer.
//
// Handles live files: a Segment or Cluster of unknown size ends where an
// element that cannot be its child starts (RFC 8794 §6.2), or at the end of
// the data. `allowTruncatedTail` accepts a file cut inside its last element
// (a crashed recording) and returns what was complete.

/// A frame read from a file.
public struct WebMBlock: Sendable, Equatable {
    public var track: Int
    /// Absolute timestamp in milliseconds (cluster + relative, scaled by TimestampScale).
    public var timestampMs: Int64
    public var keyframe: Bool
    public var data: [UInt8]
}

/// What `WebMReader.read` returns.
public struct WebMFile: Sendable {
    public var docType: String
    /// Nanoseconds per timestamp tick (Matroska default 1 000 000).
    public var timestampScale: UInt64 = 1_000_000
    /// Info Duration in milliseconds, when present.
    public var durationMs: Double?
    public var tracks: [WebMTrack] = []
    public var blocks: [WebMBlock] = []
    /// Cue points (time in ms, track, cluster position relative to the Segment data).
    public var cues: [(timeMs: Int64, track: Int, clusterPosition: UInt64)] = []
    /// True when the data ended inside an element (only with `allowTruncatedTail`).
    public var wasTruncated = false
}

/// Parses a whole WebM/Matroska file held in memory, rejecting malformed
/// input with a specific `WebMReadError`.
public enum WebMReader {
    /// Limits against hostile or corrupt input.
    public struct Limits: Sendable {
        /// Largest element other than Segment and Cluster (blocks included).
        public var maxElementSize: UInt64 = 64 << 20
        public var maxTracks = 32
        public init() {}
    }

    static let segmentChildren: Set<UInt32> = [
        MatroskaID.seekHead, MatroskaID.info, MatroskaID.tracks, MatroskaID.cluster, MatroskaID.cues,
        MatroskaID.tags, MatroskaID.chapters, MatroskaID.attachments,
    ]

    public static func read(_ bytes: [UInt8], allowTruncatedTail: Bool = false, limits: Limits = .init()) throws(WebMReadError) -> WebMFile {
        var parser = Parser(bytes: bytes, limits: limits, lenient: allowTruncatedTail)
        do {
            try parser.parse()
        } catch {
            guard case .truncated = error, allowTruncatedTail, parser.sawClusterOrTracks else { throw error }
            parser.file.wasTruncated = true
        }
        return parser.file
    }

    private struct Parser {
        let bytes: [UInt8]
        let limits: Limits
        let lenient: Bool
        var file = WebMFile(docType: "")
        var sawClusterOrTracks = false

        init(bytes: [UInt8], limits: Limits, lenient: Bool) {
            self.bytes = bytes
            self.limits = limits
            self.lenient = lenient
        }

        /// Checks that a known-size element fits its limit and the data.
        func end(of h: EBMLHeader, limit: UInt64, within parentEnd: Int) throws(WebMReadError) -> Int {
            guard let size = h.size else { throw .unknownSizeNotAllowed(id: h.id, offset: h.offset) }
            guard size <= limit else { throw .elementTooLarge(id: h.id, size: size, offset: h.offset) }
            let end = h.dataStart + Int(size)
            if end > parentEnd {
                if parentEnd == bytes.count { throw .truncated(offset: h.offset) }
                throw .elementTooLarge(id: h.id, size: size, offset: h.offset)
            }
            return end
        }

        mutating func parse() throws(WebMReadError) {
            var r = EBMLReader(bytes)
            guard bytes.count >= 4, let h = try? r.header(), h.id == MatroskaID.ebml else { throw .notEBML }
            let headerEnd = try end(of: h, limit: 4096, within: bytes.count)
            r.position = h.dataStart
            while r.position < headerEnd {
                let c = try r.header()
                let cEnd = try end(of: c, limit: 4096, within: headerEnd)
                if c.id == MatroskaID.docType { file.docType = EBMLReader.string(bytes, c) }
                r.position = cEnd
            }
            guard file.docType == "webm" || file.docType == "matroska" else { throw .unsupportedDocType(file.docType) }

            // Skip Void/CRC elements before the Segment.
            var segment: EBMLHeader?
            while r.position < bytes.count {
                let s = try r.header()
                if s.id == MatroskaID.segment { segment = s; break }
                r.position = try end(of: s, limit: limits.maxElementSize, within: bytes.count)
            }
            guard let segment else { throw .missingSegment }
            var segmentEnd = bytes.count
            if let size = segment.size {
                let declared = segment.dataStart + Int(min(size, UInt64(Int.max / 2)))
                if declared > bytes.count {
                    guard lenient else { throw .truncated(offset: segment.offset) }
                    file.wasTruncated = true
                }
                segmentEnd = min(declared, bytes.count)
            }
            r.position = segment.dataStart
            while r.position < segmentEnd {
                let c = try r.header()
                switch c.id {
                case MatroskaID.cluster:
                    sawClusterOrTracks = true
                    r.position = try cluster(c, segmentEnd: segmentEnd)
                case MatroskaID.info:
                    r.position = try info(c, within: segmentEnd)
                case MatroskaID.tracks:
                    r.position = try tracks(c, within: segmentEnd)
                    sawClusterOrTracks = true
                case MatroskaID.cues:
                    r.position = try cues(c, within: segmentEnd)
                default:
                    r.position = try end(of: c, limit: limits.maxElementSize, within: segmentEnd)
                }
            }
        }

        mutating func info(_ h: EBMLHeader, within parentEnd: Int) throws(WebMReadError) -> Int {
            let e = try end(of: h, limit: 1 << 20, within: parentEnd)
            var r = EBMLReader(bytes, at: h.dataStart)
            while r.position < e {
                let c = try r.header()
                let ce = try end(of: c, limit: 1 << 20, within: e)
                switch c.id {
                case MatroskaID.timestampScale:
                    file.timestampScale = try EBMLReader.uint(bytes, c)
                    guard file.timestampScale > 0 else { throw .badTimestampScale }
                case MatroskaID.duration:
                    file.durationMs = try EBMLReader.float(bytes, c)
                default: break
                }
                r.position = ce
            }
            // Duration is in TimestampScale units.
            if let d = file.durationMs { file.durationMs = d * Double(file.timestampScale) / 1_000_000 }
            return e
        }

        mutating func tracks(_ h: EBMLHeader, within parentEnd: Int) throws(WebMReadError) -> Int {
            let e = try end(of: h, limit: 1 << 20, within: parentEnd)
            var r = EBMLReader(bytes, at: h.dataStart)
            while r.position < e {
                let c = try r.header()
                let ce = try end(of: c, limit: 1 << 20, within: e)
                if c.id == MatroskaID.trackEntry {
                    guard file.tracks.count < limits.maxTracks else { throw .tooManyTracks(file.tracks.count + 1) }
                    file.tracks.append(try trackEntry(c, end: ce))
                }
                r.position = ce
            }
            return e
        }

        func trackEntry(_ h: EBMLHeader, end e: Int) throws(WebMReadError) -> WebMTrack {
            var t = WebMTrack(number: 0, codecID: "", isVideo: false)
            var r = EBMLReader(bytes, at: h.dataStart)
            while r.position < e {
                let c = try r.header()
                let ce = try end(of: c, limit: 1 << 20, within: e)
                switch c.id {
                case MatroskaID.trackNumber: t.number = try EBMLReader.int(bytes, c)
                case MatroskaID.trackType: t.isVideo = try EBMLReader.uint(bytes, c) == MatroskaID.trackTypeVideo
                case MatroskaID.codecID: t.codecID = EBMLReader.string(bytes, c)
                case MatroskaID.codecPrivate: t.codecPrivate = EBMLReader.data(bytes, c)
                case MatroskaID.codecDelay: t.codecDelayNs = try EBMLReader.uint(bytes, c)
                case MatroskaID.seekPreRoll: t.seekPreRollNs = try EBMLReader.uint(bytes, c)
                case MatroskaID.video, MatroskaID.audio:
                    var s = EBMLReader(bytes, at: c.dataStart)
                    while s.position < ce {
                        let g = try s.header()
                        let ge = try end(of: g, limit: 64, within: ce)
                        switch g.id {
                        case MatroskaID.pixelWidth: t.width = try EBMLReader.int(bytes, g)
                        case MatroskaID.pixelHeight: t.height = try EBMLReader.int(bytes, g)
                        case MatroskaID.channels: t.channels = try EBMLReader.int(bytes, g)
                        case MatroskaID.samplingFrequency: t.samplingFrequency = try EBMLReader.float(bytes, g)
                        default: break
                        }
                        s.position = ge
                    }
                default: break
                }
                r.position = ce
            }
            return t
        }

        mutating func cues(_ h: EBMLHeader, within parentEnd: Int) throws(WebMReadError) -> Int {
            let e = try end(of: h, limit: limits.maxElementSize, within: parentEnd)
            var r = EBMLReader(bytes, at: h.dataStart)
            while r.position < e {
                let p = try r.header()
                let pe = try end(of: p, limit: 1 << 16, within: e)
                if p.id == MatroskaID.cuePoint {
                    var time: UInt64 = 0, track = 0, position: UInt64 = 0
                    var s = EBMLReader(bytes, at: p.dataStart)
                    while s.position < pe {
                        let c = try s.header()
                        let ce = try end(of: c, limit: 1 << 16, within: pe)
                        if c.id == MatroskaID.cueTime { time = try EBMLReader.uint(bytes, c) }
                        if c.id == MatroskaID.cueTrackPositions {
                            var t = EBMLReader(bytes, at: c.dataStart)
                            while t.position < ce {
                                let g = try t.header()
                                let ge = try end(of: g, limit: 64, within: ce)
                                if g.id == MatroskaID.cueTrack { track = try EBMLReader.int(bytes, g) }
                                if g.id == MatroskaID.cueClusterPosition { position = try EBMLReader.uint(bytes, g) }
                                t.position = ge
                            }
                        }
                        s.position = ce
                    }
                    file.cues.append((milliseconds(Int64(clamping: time)), track, position))
                }
                r.position = pe
            }
            return e
        }

        func milliseconds(_ ticks: Int64) -> Int64 {
            file.timestampScale == 1_000_000 ? ticks : ticks * Int64(clamping: file.timestampScale) / 1_000_000
        }

        /// Parses a cluster; returns where the next Segment child starts.
        mutating func cluster(_ h: EBMLHeader, segmentEnd: Int) throws(WebMReadError) -> Int {
            var e = segmentEnd
            if let size = h.size {
                if lenient && h.dataStart + Int(min(size, UInt64(Int.max / 2))) > bytes.count {
                    e = bytes.count  // a crashed file: read the complete blocks of the cut cluster
                } else {
                    e = try end(of: h, limit: UInt64(Int.max / 2), within: segmentEnd)
                }
            }
            var clusterTime: Int64?
            var r = EBMLReader(bytes, at: h.dataStart)
            while r.position < e {
                let before = r.position
                let c = try r.header()
                if h.size == nil && WebMReader.segmentChildren.contains(c.id) { return before }  // unknown size ends here
                let ce = try end(of: c, limit: limits.maxElementSize, within: e)
                switch c.id {
                case MatroskaID.timestamp:
                    clusterTime = Int64(clamping: try EBMLReader.uint(bytes, c))
                case MatroskaID.simpleBlock:
                    guard let clusterTime else { throw .blockWithoutClusterTimestamp(offset: c.offset) }
                    try block(c, clusterTime: clusterTime, keyframeFromFlags: nil)
                case MatroskaID.blockGroup:
                    guard let clusterTime else { throw .blockWithoutClusterTimestamp(offset: c.offset) }
                    var s = EBMLReader(bytes, at: c.dataStart)
                    var blockHeader: EBMLHeader?
                    var referenced = false
                    while s.position < ce {
                        let g = try s.header()
                        let ge = try end(of: g, limit: limits.maxElementSize, within: ce)
                        if g.id == MatroskaID.block { blockHeader = g }
                        if g.id == 0xFB { referenced = true }  // ReferenceBlock: not a keyframe
                        s.position = ge
                    }
                    if let blockHeader { try block(blockHeader, clusterTime: clusterTime, keyframeFromFlags: !referenced) }
                default: break
                }
                r.position = ce
            }
            return e
        }

        /// A SimpleBlock or Block: track VINT (1 byte), int16 relative timestamp, flags, frame.
        mutating func block(_ h: EBMLHeader, clusterTime: Int64, keyframeFromFlags: Bool?) throws(WebMReadError) {
            let size = Int(h.size ?? 0)
            guard size >= 4, bytes[h.dataStart] & 0x80 != 0 else { throw .badBlock(offset: h.offset) }
            let track = Int(bytes[h.dataStart] & 0x7F)
            guard file.tracks.contains(where: { $0.number == track }) else { throw .unknownTrack(track) }
            let relative = Int16(bitPattern: UInt16(bytes[h.dataStart + 1]) << 8 | UInt16(bytes[h.dataStart + 2]))
            let flags = bytes[h.dataStart + 3]
            guard flags & 0x06 == 0 else { throw .lacingUnsupported(offset: h.offset) }
            let keyframe = keyframeFromFlags ?? (flags & 0x80 != 0)
            file.blocks.append(WebMBlock(track: track, timestampMs: milliseconds(clusterTime + Int64(relative)),
                                         keyframe: keyframe, data: Array(bytes[h.dataStart + 4..<h.dataStart + size])))
        }
    }
}
