import Handoff
import SDP

/// The recorder's commands on a worker (run through `MediaWorker.submit`/`call`).
/// The tap itself is one optional reference per `Producer`, checked once per
/// packet in `handleRTP` and per sender report in `senderReportReceived`.
extension WorkerRouter {
    /// The streams published in a conference now, with their tracks.
    public func publishedStreams(conferenceId: String) -> [TappedStream] {
        producers.values.filter { $0.transport.conferenceId == conferenceId && $0.upstream == nil }
            .map { tappedStream($0) }
            .sorted { $0.streamId < $1.streamId }
    }

    /// Attaches `tap` to the producer of `streamId`. Returns nil when the
    /// stream is not published here (a pipe producer's publisher is tapped on
    /// its own worker) or already has a tap (e.g. an ICE restart re-ran
    /// `addPublisher`: the existing tap and file continue).
    public func attachTap(_ tap: RecorderTap, conferenceId: String, streamId: String) -> TappedStream? {
        guard let p = producers[Self.key(conferenceId, streamId)], p.upstream == nil, p.recorderTap == nil else { return nil }
        p.recorderTap = tap
        return tappedStream(p)
    }

    /// Detaches and closes the tap of `streamId` if it is `tap` (a later
    /// republish may carry a newer one).
    public func detachTap(_ tap: RecorderTap, conferenceId: String, streamId: String) {
        tap.close()
        guard let p = producers[Self.key(conferenceId, streamId)], p.recorderTap === tap else { return }
        p.recorderTap = nil
    }

    /// Detaches and closes every tap of a conference (the recording stops).
    public func detachTaps(conferenceId: String) {
        for p in producers.values where p.transport.conferenceId == conferenceId { closeTap(p) }
    }

    /// A PLI for the recorder (after loss or a new segment), if `tap` still
    /// taps the stream; de-duplicated with the viewers' requests (300 ms).
    public func requestKeyframe(for tap: RecorderTap, conferenceId: String, streamId: String, track: Int, now: UInt64) {
        guard let p = producers[Self.key(conferenceId, streamId)], p.recorderTap === tap, track >= 0, track < p.tracks.count,
              p.tracks[track].kind == .video, let out = outbox else { return }
        requestKeyframe(p, p.tracks[track], out, now, force: false)
    }

    /// Closes the tap of a producer that goes away, so the recorder finishes its file.
    func closeTap(_ p: Producer) {
        p.recorderTap?.close()
        p.recorderTap = nil
    }

    func tappedStream(_ p: Producer) -> TappedStream {
        TappedStream(conferenceId: p.transport.conferenceId, streamId: p.transport.streamId, endpointId: p.transport.endpointId,
                     tracks: p.tracks.map { t in
                         let c = t.codecs.first
                         return RecordedTrack(kind: t.isVideo ? .video : .audio, codec: c?.name ?? "", clockRate: c?.clockRate ?? t.clockRate,
                                              channels: Int(c?.channels ?? 1))
                     })
    }
}
