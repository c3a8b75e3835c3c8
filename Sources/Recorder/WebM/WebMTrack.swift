// One track of a WebM/Matroska file as the writer declares it and the
// reader finds it (Matroska TrackEntry, RFC 9559 §5.1.4.1).

/// A track's codec and parameters. Track numbers are 1-based and equal the
/// position in the writer's track list plus one.
public struct WebMTrack: Sendable, Equatable {
    /// The Matroska CodecIDs the recorder writes (RFC 9559 §5.1.4.1.21, Matroska codec mappings).
    public enum Codec: String, Sendable {
        case vp8 = "V_VP8"
        case vp9 = "V_VP9"
        case h264 = "V_MPEG4/ISO/AVC"
        case opus = "A_OPUS"

        public var isVideo: Bool { self != .opus }
    }

    public var number: Int
    /// The CodecID string (the reader keeps codecs it does not know, too).
    public var codecID: String
    public var isVideo: Bool
    /// OpusHead for Opus, avcC for H.264, empty for VP8/VP9.
    public var codecPrivate: [UInt8]
    public var width: Int?
    public var height: Int?
    public var channels: Int
    public var samplingFrequency: Double
    /// CodecDelay and SeekPreRoll in nanoseconds (Opus in Matroska).
    public var codecDelayNs: UInt64
    public var seekPreRollNs: UInt64

    public init(number: Int, codecID: String, isVideo: Bool, codecPrivate: [UInt8] = [],
                width: Int? = nil, height: Int? = nil, channels: Int = 0, samplingFrequency: Double = 0,
                codecDelayNs: UInt64 = 0, seekPreRollNs: UInt64 = 0) {
        self.number = number
        self.codecID = codecID
        self.isVideo = isVideo
        self.codecPrivate = codecPrivate
        self.width = width
        self.height = height
        self.channels = channels
        self.samplingFrequency = samplingFrequency
        self.codecDelayNs = codecDelayNs
        self.seekPreRollNs = seekPreRollNs
    }

    /// A video track (VP8, VP9, or H.264 with its avcC record as `codecPrivate`).
    public static func video(_ codec: Codec, number: Int, width: Int?, height: Int?, codecPrivate: [UInt8] = []) -> WebMTrack {
        WebMTrack(number: number, codecID: codec.rawValue, isVideo: true, codecPrivate: codecPrivate,
                  width: width, height: height)
    }

    /// An Opus track: OpusHead as CodecPrivate (the Matroska Opus mapping),
    /// CodecDelay = pre-skip, SeekPreRoll 80 ms (RFC 7845 §4.6's recommendation).
    public static func opus(number: Int, channels: Int, preSkip: Int = 0) -> WebMTrack {
        WebMTrack(number: number, codecID: Codec.opus.rawValue, isVideo: false,
                  codecPrivate: OggOpusWriter<OggBufferSink>.opusHead(channels: channels, preSkip: preSkip),
                  channels: channels, samplingFrequency: 48_000,
                  codecDelayNs: UInt64(preSkip) * 1_000_000_000 / 48_000, seekPreRollNs: 80_000_000)
    }

    /// The TrackEntry element.
    func write(to b: inout EBMLBuffer) {
        b.master(MatroskaID.trackEntry) { e in
            e.uint(MatroskaID.trackNumber, UInt64(number))
            e.uint(MatroskaID.trackUID, UInt64(number))
            e.uint(MatroskaID.trackType, isVideo ? MatroskaID.trackTypeVideo : MatroskaID.trackTypeAudio)
            e.uint(MatroskaID.flagLacing, 0)
            e.string(MatroskaID.codecID, codecID)
            if !codecPrivate.isEmpty { e.binary(MatroskaID.codecPrivate, codecPrivate) }
            if isVideo {
                e.master(MatroskaID.video) { v in
                    if let width { v.uint(MatroskaID.pixelWidth, UInt64(width)) }
                    if let height { v.uint(MatroskaID.pixelHeight, UInt64(height)) }
                }
            } else {
                e.uint(MatroskaID.codecDelay, codecDelayNs)
                e.uint(MatroskaID.seekPreRoll, seekPreRollNs)
                e.master(MatroskaID.audio) { a in
                    a.float(MatroskaID.samplingFrequency, samplingFrequency)
                    a.uint(MatroskaID.channels, UInt64(channels))
                }
            }
        }
    }
}
