/// What the recorder thread drives for each tapped stream: contract A's
/// `StreamRecording` interface as a protocol, so that the thread can be
/// tested with a stalling writer ("slow disk") and so that the writer is
/// chosen by a factory. Used on the recorder thread only.
public protocol TapRecording: AnyObject {
    var path: String { get }
    /// CLOCK_MONOTONIC arrival (ns) of the media at file time 0; nil until the first frame is written.
    var originArrivalNs: UInt64? { get }
    /// A decrypted RTP packet of `track` (RTX already unwrapped).
    func packet(track: Int, rtp: UnsafeRawBufferPointer, arrival: UInt64) -> [RecorderAction]
    func senderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64)
    /// The tap's queue overflowed: `count` packets of `track` are missing here.
    func noteDropped(track: Int, count: Int)
    func tick(now: UInt64) -> [RecorderAction]
    func finish() throws -> RecordedFileSummary
}

extension StreamRecording: TapRecording {}
