// Placing one track's frames on the file's timeline (milliseconds from 0).

/// Maps a track's continuous RTP timeline (extended timestamps from its
/// jitter buffer) to file milliseconds: linear from an anchor set at the
/// track's first written frame. The recording picks the anchor from sender
/// reports (NTP wall clock of the publisher, shared by its audio and video)
/// or, before any report, from arrival time.
struct TrackTimeline {
    let clockRate: UInt32
    /// The first written frame: extended timestamp, its file time, its RTP timestamp.
    private(set) var anchor: (ext: Int64, ms: Double, rtp: UInt32)?
    /// Timestamp of the last block written (blocks never go backwards within a track).
    var lastMs: Int64 = -1
    /// Where the last frame ends (audio: timestamp + duration).
    var endMs: Int64 = 0

    init(clockRate: UInt32) { self.clockRate = max(1, clockRate) }

    mutating func setAnchor(ext: Int64, ms: Double, rtp: UInt32) { anchor = (ext, max(0, ms), rtp) }

    /// File milliseconds of an extended timestamp (the anchor must be set).
    func milliseconds(_ ext: Int64) -> Double {
        guard let a = anchor else { return 0 }
        return a.ms + Double(ext - a.ext) * 1000 / Double(clockRate)
    }

    func ticksToMs(_ ticks: Int64) -> Double { Double(ticks) * 1000 / Double(clockRate) }

    /// Publisher wall clock (µs, NTP-based) of an RTP timestamp, given a sender report of this track.
    func wallclockUs(rtp: UInt32, report: (ntpUs: Int64, rtp: UInt32)) -> Int64 {
        report.ntpUs + Int64(Int32(bitPattern: rtp &- report.rtp)) * 1_000_000 / Int64(clockRate)
    }
}
