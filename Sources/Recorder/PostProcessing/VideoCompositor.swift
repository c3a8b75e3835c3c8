// The combined video: every VP8/VP9 input decoded with libvpx, the
// participants present at each output frame laid out in a grid, encoded
// as VP8 at a fixed frame rate.

/// One input's video on the output timeline: decodes lazily up to the
/// output time and keeps the last picture (a view into its decoder).
final class VideoTimelineTrack {
    let label: String
    let startNs: Int64
    let endNs: Int64
    let width: Int
    let height: Int
    private let track: VideoInputTrack
    private let decoder: VPXDecoder
    private var waitingForKeyframe = true
    /// The picture to show; valid until the decoder's next `decode`.
    private(set) var current: I420View?
    /// Frames libvpx refused (corrupt or missing references); skipped to the next keyframe.
    private(set) var undecodable = 0

    /// Nil when the input has no video track (an audio-only stream).
    init?(_ input: MixInput) throws {
        guard let track = try VideoInputTrack(path: input.path) else { return nil }
        self.track = track
        decoder = try VPXDecoder(codec: track.codec)
        label = input.label
        startNs = max(0, input.startOffsetMs) * 1_000_000
        endNs = startNs + track.durationNs
        width = track.width
        height = track.height
    }

    func isPresent(at t: Int64) -> Bool { t >= startNs && t < endNs }

    /// Decodes every frame due by timeline time `t`.
    /// A read error (a corrupt stretch of the file) ends this input's frames.
    func advance(to t: Int64) {
        while let due = try? track.nextTime(), startNs + due <= t, let p = try? track.take() {
            if waitingForKeyframe && !p.keyframe { continue }
            do {
                try p.data.withUnsafeBytes { try decoder.decode($0) }
                waitingForKeyframe = false
                while let img = decoder.nextFrame() { current = img }
            } catch {
                undecodable += 1
                waitingForKeyframe = true
                current = nil  // the decoder's buffers are in an unknown state
            }
        }
    }
}

/// Lays out, encodes and hands on the combined video frame by frame.
struct VideoCompositor {
    let width: Int
    let height: Int
    let fps: Int

    /// Composes `tracks` for `durationNs`, calling `emit` with each VP8
    /// frame (data, presentation time in ns, keyframe) and `progress` with 0…1.
    func compose(_ tracks: [VideoTimelineTrack], durationNs: Int64,
                 emit: (UnsafeRawBufferPointer, Int64, Bool) throws -> Void, progress: (Double) -> Void) throws {
        // Rounded to the nearest frame: millisecond rounding in the inputs must
        // not add a frame.
        let frames = Int((durationNs * Int64(fps) + 500_000_000) / 1_000_000_000)
        let encoder = try VP8Encoder(config: .init(width: width, height: height, fps: fps,
                                                   bitrateKbps: max(150, width * height * fps / 13_000),
                                                   keyframeInterval: 2 * fps, deadline: .realtime))
        var canvas = I420Frame(width: width, height: height)
        var layout: [Int] = []   // indices of the tracks shown, in grid order
        var rects: [TileRect] = []
        let full = TileRect(x: 0, y: 0, width: width, height: height)
        var present: [Int] = []
        present.reserveCapacity(tracks.count)
        for k in 0..<frames {
            let t = Int64(k) * 1_000_000_000 / Int64(fps)
            var changed = false
            present.removeAll(keepingCapacity: true)
            for (i, track) in tracks.enumerated() where track.isPresent(at: t) { present.append(i) }
            if present != layout {
                layout = present
                rects = GridLayout.cells(count: present.count, width: width, height: height)
                I420Scaler.fill(&canvas, rect: full)
                changed = true
            }
            for (slot, i) in layout.enumerated() {
                let track = tracks[i]
                track.advance(to: t)
                let cell = rects[slot]
                if let picture = track.current {
                    let fitted = GridLayout.fit(sourceWidth: picture.width, sourceHeight: picture.height, in: cell)
                    if fitted != cell { I420Scaler.fill(&canvas, rect: cell) }  // resolution changes leave no trace
                    I420Scaler.draw(picture, into: &canvas, rect: fitted)
                } else {
                    I420Scaler.fill(&canvas, rect: cell)
                }
            }
            try encoder.encode(canvas, pts: Int64(k), forceKeyframe: changed) { packet in
                try emit(packet.data, packet.pts * 1_000_000_000 / Int64(fps), packet.isKeyframe)
            }
            if k % fps == fps - 1 { progress(Double(k + 1) / Double(frames)) }
        }
        try encoder.flush { packet in
            try emit(packet.data, packet.pts * 1_000_000_000 / Int64(fps), packet.isKeyframe)
        }
    }
}
