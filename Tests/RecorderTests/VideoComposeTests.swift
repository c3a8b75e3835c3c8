// The grid compositor: layout arithmetic, bilinear scaling, and whole
// compositions of ffmpeg-made VP8/VP9 inputs decoded back with libvpx.
import Foundation
import XCTest
@testable import Recorder

final class GridLayoutTests: XCTestCase {
    func testCellsFollowTheParticipantCount() {
        XCTAssertEqual(GridLayout.cells(count: 1, width: 1280, height: 720), [TileRect(x: 0, y: 0, width: 1280, height: 720)])
        XCTAssertEqual(GridLayout.cells(count: 2, width: 1280, height: 720),
                       [TileRect(x: 0, y: 0, width: 640, height: 720), TileRect(x: 640, y: 0, width: 640, height: 720)])
        XCTAssertEqual(GridLayout.cells(count: 3, width: 1280, height: 720).map(\.width), [640, 640, 640])
        XCTAssertEqual(GridLayout.cells(count: 3, width: 1280, height: 720).last, TileRect(x: 0, y: 360, width: 640, height: 360))
        XCTAssertEqual(GridLayout.cells(count: 4, width: 1280, height: 720).last, TileRect(x: 640, y: 360, width: 640, height: 360))
        XCTAssertEqual(GridLayout.cells(count: 5, width: 1280, height: 720).count, 5)
        XCTAssertEqual(GridLayout.cells(count: 5, width: 1280, height: 720)[3], TileRect(x: 0, y: 360, width: 426, height: 360))
        // 3 × 3: 720 / 3 = 240 rows; 1280 / 3 = 426.67 → 426; the 2 px left over
        // would centre the grid at x = 1, rounded down to even: 0.
        let nine = GridLayout.cells(count: 9, width: 1280, height: 720)
        XCTAssertEqual(nine[8], TileRect(x: 852, y: 480, width: 426, height: 240))
        // 1000 / 3 = 333.3 → 332 (even); 4 px left over → the grid starts at x = 2.
        XCTAssertEqual(GridLayout.cells(count: 9, width: 1000, height: 720)[0].x, 2)
        XCTAssertEqual(GridLayout.cells(count: 10, width: 1280, height: 720).count, 10)  // 4 × 3
        XCTAssertEqual(GridLayout.cells(count: 0, width: 1280, height: 720), [])
    }

    func testFitKeepsAspectAndCentres() {
        let cell = TileRect(x: 640, y: 0, width: 640, height: 720)
        // 16:9 into a tall cell: letterboxed, full width.
        XCTAssertEqual(GridLayout.fit(sourceWidth: 640, sourceHeight: 360, in: cell), TileRect(x: 640, y: 180, width: 640, height: 360))
        // 3:4 portrait into a 16:9 canvas: pillarboxed, full height.
        XCTAssertEqual(GridLayout.fit(sourceWidth: 480, sourceHeight: 640, in: TileRect(x: 0, y: 0, width: 1280, height: 720)),
                       TileRect(x: 370, y: 0, width: 540, height: 720))
        // Odd source sizes still give even rectangles.
        let odd = GridLayout.fit(sourceWidth: 321, sourceHeight: 241, in: TileRect(x: 0, y: 0, width: 320, height: 180))
        XCTAssertEqual(odd.width % 2 + odd.height % 2 + odd.x % 2 + odd.y % 2, 0)
    }
}

final class I420ScalerTests: XCTestCase {
    /// A horizontal luma ramp scaled 2× stays a ramp (monotonic, same ends);
    /// scaled ½ it averages neighbours; chroma lands in the rect's half-size area.
    func testBilinearRampAndPlacement() {
        var src = I420Frame(width: 8, height: 4)
        src.storage.withUnsafeMutableBufferPointer { p in
            for y in 0..<4 { for x in 0..<8 { p[y * 8 + x] = UInt8(16 + x * 30) } }
        }
        var canvas = I420Frame(width: 32, height: 16)
        src.withView { I420Scaler.draw($0, into: &canvas, rect: TileRect(x: 8, y: 4, width: 16, height: 8)) }
        let row = Array(canvas.storage[(6 * 32 + 8)..<(6 * 32 + 24)])
        XCTAssertEqual(row.first, 16)
        XCTAssertEqual(row.last, 226)
        XCTAssertEqual(row, row.sorted(), "a ramp stays monotonic")
        // Destination x = 2 samples source x = (2 + ½)·8/16 − ½ = 0.75: 16 + 0.75·30 = 38.5 → 39.
        XCTAssertEqual(row[2], 39)
        XCTAssertEqual(canvas.storage[0], 16, "outside the rect: untouched black")
        XCTAssertEqual(canvas.storage[6 * 32 + 7], 16)
        XCTAssertEqual(canvas.storage[6 * 32 + 24], 16)

        var small = I420Frame(width: 4, height: 2)
        src.withView { I420Scaler.draw($0, into: &small, rect: TileRect(x: 0, y: 0, width: 4, height: 2)) }
        XCTAssertEqual(Array(small.storage[0..<4]), [31, 91, 151, 211], "each output pixel averages two inputs")
    }
}

final class VideoCompositorTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDirectory("compose") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A solid-colour WebM made by ffmpeg.
    func solid(_ name: String, _ colour: String, seconds: Double, size: String = "320x180", codec: String = "libvpx") throws -> String {
        let path = dir.appendingPathComponent(name).path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=\(colour):s=\(size):d=\(seconds):r=15",
                             "-c:v", codec, "-b:v", "300k", "-y", path])
        XCTAssertEqual(r.status, 0, r.err)
        return path
    }

    /// Red from 0 s for 2 s, blue (VP9, 4:3) from 1 s for 2 s: red fills the
    /// canvas, then red | blue side by side (blue pillarboxed in its
    /// half), then blue alone — decoded back from the compositor's VP8.
    func testGridFollowsWhoIsPresent() throws {
        let red = try solid("red.webm", "red", seconds: 2)
        let blue = try solid("blue.webm", "blue", seconds: 2, size: "240x180", codec: "libvpx-vp9")
        let tracks = try [MixInput(path: red, startOffsetMs: 0, label: "red"),
                          MixInput(path: blue, startOffsetMs: 1000, label: "blue")].compactMap(VideoTimelineTrack.init)
        let compositor = VideoCompositor(width: 320, height: 180, fps: 10)
        let decoder = try VPXDecoder(codec: .vp8)
        var pictures: [Int64: I420Frame] = [:]
        var keyframes: [Int64] = []
        try compositor.compose(tracks, durationNs: 3_000_000_000, emit: { data, t, key in
            if key { keyframes.append(t / 100_000_000) }
            try decoder.decode(data)
            while let img = decoder.nextFrame() {
                var copy = I420Frame(width: img.width, height: img.height)
                copy.storage.withUnsafeMutableBufferPointer { p in
                    for row in 0..<img.height { (p.baseAddress! + row * img.width).update(from: img.y + row * img.yStride, count: img.width) }
                    for row in 0..<(img.height / 2) {
                        (p.baseAddress! + img.width * img.height + row * img.width / 2).update(from: img.u + row * img.uvStride, count: img.width / 2)
                        (p.baseAddress! + img.width * img.height * 5 / 4 + row * img.width / 2).update(from: img.v + row * img.uvStride, count: img.width / 2)
                    }
                }
                pictures[t / 100_000_000] = copy
            }
        }, progress: { _ in })
        XCTAssertEqual(pictures.count, 30)
        XCTAssertEqual(keyframes.prefix(3), [0, 10, 20], "a keyframe where the layout changes")
        // BT.601 limited range: red ≈ (81, 90, 240), blue ≈ (41, 240, 110), black (16, 128, 128).
        func assertColour(_ frame: Int64, _ x: Int, _ y: Int, _ w: Int, _ h: Int, _ expected: (Double, Double, Double),
                          _ what: String, line: UInt = #line) {
            let c = pictures[frame]!.withView { $0.averageYUV(x: x, y: y, width: w, height: h) }
            XCTAssertEqual(c.y, expected.0, accuracy: 8, "\(what) Y", line: line)
            XCTAssertEqual(c.u, expected.1, accuracy: 8, "\(what) U", line: line)
            XCTAssertEqual(c.v, expected.2, accuracy: 8, "\(what) V", line: line)
        }
        let red601 = (81.0, 90.0, 240.0), blue601 = (41.0, 240.0, 110.0), black = (16.0, 128.0, 128.0)
        assertColour(5, 8, 8, 304, 164, red601, "red alone, full canvas")
        // Both: each cell 160 × 180. Red 16:9 → 160 × 90 at y 44; blue 4:3 → 160 × 120 at y 30.
        assertColour(15, 8, 56, 144, 66, red601, "left half red")
        assertColour(15, 8, 0, 144, 40, black, "red letterboxed above")
        assertColour(15, 168, 36, 144, 108, blue601, "right half blue")
        assertColour(15, 168, 156, 144, 20, black, "blue letterboxed below")
        // Blue alone, pillarboxed: 240 × 180 at x 40.
        assertColour(25, 48, 8, 224, 164, blue601, "blue alone")
        assertColour(25, 0, 0, 36, 180, black, "pillarbox left")
        XCTAssertEqual(tracks.map(\.undecodable), [0, 0])
    }
}

extension VideoCompositorTests {
    /// A corrupt inter frame (as loss could leave) is counted and skipped:
    /// the tile is black until the next keyframe, every output frame is
    /// still produced, and the colour comes back.
    func testCorruptFrameSkipsToNextKeyframe() throws {
        let path = dir.appendingPathComponent("green.webm").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=green:s=160x90:d=3:r=10",
                             "-c:v", "libvpx", "-g", "10", "-y", path])
        XCTAssertEqual(r.status, 0, r.err)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let webm = try WebMReader.read(bytes)
        let inter = try XCTUnwrap(webm.blocks.first { !$0.keyframe && $0.timestampMs >= 500 })
        // Find the frame's bytes in the file (they are stored verbatim).
        let at = try XCTUnwrap((0..<(bytes.count - inter.data.count)).first { bytes[$0..<($0 + inter.data.count)].elementsEqual(inter.data) })
        // An inter frame whose first partition claims 512 KiB: libvpx rejects it.
        bytes[at] = 0xF1
        bytes[at + 1] = 0xFF
        bytes[at + 2] = 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let track = try XCTUnwrap(try VideoTimelineTrack(MixInput(path: path, startOffsetMs: 0, label: "g")))
        let decoder = try VPXDecoder(codec: .vp8)
        var lumas: [Double] = []
        try VideoCompositor(width: 160, height: 90, fps: 10).compose([track], durationNs: 3_000_000_000, emit: { data, _, _ in
            try decoder.decode(data)
            while let img = decoder.nextFrame() { lumas.append(img.averageLuma()) }
        }, progress: { _ in })
        XCTAssertEqual(track.undecodable, 1)
        XCTAssertEqual(lumas.count, 30)
        XCTAssertEqual(lumas[29], 81, accuracy: 8)  // green ≈ Y 81 (BT.601 limited)
    }
}

final class CombinedVideoTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDirectory("combined") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func make(_ name: String, _ args: [String]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        let r = try runTool(["ffmpeg", "-v", "error"] + args + ["-y", path])
        XCTAssertEqual(r.status, 0, r.err)
        return path
    }

    /// Two participants (red VP8 + 440 Hz from 0 s for 3 s; blue VP8 + 660 Hz
    /// from 1 s for 3 s): the mix, then the grid video with it. ffprobe reads
    /// VP8 + Opus, 640×360, 4 s, 60 frames at 15 fps; ffmpeg decodes it
    /// without a word; at 2 s the left half is red and the right half blue;
    /// the muxed audio holds both tones.
    func testComposeTwoParticipantsWithMixedAudio() throws {
        let red = try make("red.webm", ["-f", "lavfi", "-i", "color=c=red:s=320x180:d=3:r=15",
                                        "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:v", "libvpx", "-c:a", "libopus"])
        let blue = try make("blue.webm", ["-f", "lavfi", "-i", "color=c=blue:s=320x180:d=3:r=15",
                                          "-f", "lavfi", "-i", "sine=frequency=660:duration=3", "-c:v", "libvpx", "-c:a", "libopus"])
        let inputs = [MixInput(path: red, startOffsetMs: 0, label: "red"), MixInput(path: blue, startOffsetMs: 1000, label: "blue")]
        let mix = dir.appendingPathComponent("mix.ogg").path
        let audio = try PostProcessor.mixAudio(inputs, to: mix) { _ in }
        XCTAssertEqual(audio.durationMs, 4000, accuracy: 30)

        let out = dir.appendingPathComponent("grid.webm").path
        var reports: [Double] = []
        let video = try PostProcessor.composeVideo(inputs, audio: mix, to: out, width: 640, height: 360, fps: 15) { reports.append($0) }
        XCTAssertEqual(video.format, "webm")
        XCTAssertEqual(video.durationMs, 4000, accuracy: 70)
        XCTAssertFalse(video.hasGaps)
        XCTAssertEqual(reports.last, 1)
        XCTAssertEqual(reports, reports.sorted())
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".part"))

        XCTAssertEqual(try probe(out, "stream=codec_name,width,height", stream: "v"), "vp8,640,360")
        XCTAssertEqual(try probe(out, "stream=codec_name,channels", stream: "a"), "opus,2")
        XCTAssertEqual(Double(try probe(out, "format=duration")) ?? 0, 4.0, accuracy: 0.1)
        let counted = try probe(out, "stream=nb_read_frames", stream: "v").replacingOccurrences(of: ",", with: "")
        let r0 = try runTool(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
                              "stream=nb_read_frames", "-of", "csv=p=0", out])
        XCTAssertEqual(r0.out.trimmingCharacters(in: .whitespacesAndNewlines), "60", counted)
        let r = try runTool(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.err, "", "ffmpeg -v error: \(r.err)")

        // The frame at 2 s as raw I420, decoded by ffmpeg.
        let raw = try runToolData(["ffmpeg", "-v", "error", "-ss", "2.0", "-i", out, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        XCTAssertEqual(raw.count, 640 * 360 * 3 / 2)
        let frame = raw.withUnsafeBytes { p -> (left: (y: Double, u: Double, v: Double), right: (y: Double, u: Double, v: Double)) in
            let b = p.bindMemory(to: UInt8.self).baseAddress!
            let view = I420View(width: 640, height: 360, y: b, u: b + 640 * 360, v: b + 640 * 360 * 5 / 4, yStride: 640, uvStride: 320)
            // Each half is 320 × 360 with a 320 × 180 picture centred at y 90.
            return (view.averageYUV(x: 16, y: 106, width: 288, height: 148), view.averageYUV(x: 336, y: 106, width: 288, height: 148))
        }
        XCTAssertEqual(frame.left.v, 240, accuracy: 10, "left is red")
        XCTAssertEqual(frame.left.u, 90, accuracy: 10)
        XCTAssertEqual(frame.right.u, 240, accuracy: 10, "right is blue")
        XCTAssertEqual(frame.right.v, 110, accuracy: 10)

        let pcmData = try runToolData(["ffmpeg", "-v", "error", "-i", out, "-vn", "-f", "f32le", "-ac", "1", "-ar", "48000", "-"])
        let pcm = pcmData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let both = pcm[Int(1.5 * 48_000)..<Int(2.5 * 48_000)]
        XCTAssertGreaterThan(goertzelPower(both, frequency: 440), goertzelPower(both, frequency: 550) * 100)
        XCTAssertGreaterThan(goertzelPower(both, frequency: 660), goertzelPower(both, frequency: 550) * 100)
    }

    func testArgumentsAreChecked() throws {
        let ogg = try make("a.ogg", ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libopus"])
        let out = dir.appendingPathComponent("x.webm").path
        XCTAssertThrowsError(try PostProcessor.composeVideo([MixInput(path: ogg, startOffsetMs: 0, label: "")], audio: nil,
                                                            to: out, width: 640, height: 360, fps: 15) { _ in }) {
            XCTAssertEqual($0 as? PostProcessingError, .noInputs, "audio-only inputs give no grid")
        }
        for (w, h, fps) in [(641, 360, 15), (640, 0, 15), (8192, 360, 15), (640, 360, 0), (640, 360, 240)] {
            XCTAssertThrowsError(try PostProcessor.composeVideo([], audio: nil, to: out, width: w, height: h, fps: fps) { _ in }) {
                guard case .invalidArgument? = $0 as? PostProcessingError else { return XCTFail("\($0)") }
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".part"))
    }
}
