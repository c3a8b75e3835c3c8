// WebMWriter → WebMReader round trips, cluster and cue placement, and the
// reader's rejection of malformed files.
import XCTest
@testable import Recorder

final class WebMRoundTripTests: XCTestCase {
    /// 3 s of VP8-like video at 30 fps (keyframe every 30 frames) and 20 ms audio.
    func writeSample(finish: Bool = true) throws -> (WebMBufferSink, [WebMBlock]) {
        let sink = WebMBufferSink()
        let w = try WebMWriter(sink: sink, tracks: [.video(.vp8, number: 1, width: 320, height: 240),
                                                    .opus(number: 2, channels: 2)])
        var written: [WebMBlock] = []
        var events: [(Int64, Int, Bool)] = []
        for i in 0..<90 { events.append((Int64(i) * 100 / 3, 1, i % 30 == 0)) }
        for i in 0..<150 { events.append((Int64(i) * 20, 2, true)) }
        events.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (n, (t, track, key)) in events.enumerated() {
            let data = (0..<(10 + n % 50)).map { UInt8(truncatingIfNeeded: $0 &+ n) }
            try w.write(track: track, timestampMs: t, keyframe: key, data: data, durationMs: track == 2 ? 20 : 33)
            written.append(WebMBlock(track: track, timestampMs: t, keyframe: key, data: data))
        }
        if finish { try w.finish() }
        return (sink, written)
    }

    func testRoundTripKeepsTracksBlocksCuesAndDuration() throws {
        let (sink, written) = try writeSample()
        XCTAssertEqual(sink.syncCount, 1)
        let file = try WebMReader.read(sink.bytes)
        XCTAssertEqual(file.docType, "webm")
        XCTAssertEqual(file.tracks.map(\.codecID), ["V_VP8", "A_OPUS"])
        XCTAssertEqual(file.tracks[0].width, 320)
        XCTAssertEqual(file.tracks[0].height, 240)
        XCTAssertEqual(file.tracks[1].channels, 2)
        XCTAssertEqual(file.tracks[1].samplingFrequency, 48_000)
        XCTAssertEqual(file.tracks[1].seekPreRollNs, 80_000_000)
        XCTAssertEqual(Array(file.tracks[1].codecPrivate.prefix(8)), Array("OpusHead".utf8))
        XCTAssertEqual(file.blocks, written)
        XCTAssertEqual(file.durationMs ?? 0, 3000, accuracy: 0.001)  // last audio block 2980 + 20
        XCTAssertEqual(file.cues.map(\.timeMs), [0, 1000, 2000])  // one per video keyframe
        XCTAssertTrue(file.cues.allSatisfy { $0.track == 1 })
        // Each cue points at a cluster whose first block is that keyframe.
        let segmentData = segmentDataStart(sink.bytes)
        for cue in file.cues {
            var r = EBMLReader(sink.bytes, at: segmentData + Int(cue.clusterPosition))
            XCTAssertEqual(try r.header().id, MatroskaID.cluster)
        }
    }

    func segmentDataStart(_ bytes: [UInt8]) -> Int {
        var r = EBMLReader(bytes)
        let h = try! r.header()
        r.position = h.dataStart + Int(h.size!)
        return try! r.header().dataStart
    }

    func testAudioOnlyClustersCloseEverySecondAndGetCues() throws {
        let sink = WebMBufferSink()
        let w = try WebMWriter(sink: sink, tracks: [.opus(number: 1, channels: 1)])
        for i in 0..<250 { try w.write(track: 1, timestampMs: Int64(i) * 20, keyframe: false, data: [0xF8, 1, 2], durationMs: 20) }
        XCTAssertEqual(w.clustersWritten, 4, "closed at 1, 2, 3 and 4 s")
        try w.finish()
        let file = try WebMReader.read(sink.bytes)
        XCTAssertEqual(file.cues.map(\.timeMs), [0, 1000, 2000, 3000, 4000])
        XCTAssertTrue(file.blocks.allSatisfy(\.keyframe), "audio blocks are all keyframes")
        XCTAssertEqual(file.durationMs ?? 0, 5000, accuracy: 0.001)
    }

    func testLongGapStartsANewClusterInsteadOfOverflowingInt16() throws {
        let sink = WebMBufferSink()
        let w = try WebMWriter(sink: sink, tracks: [.video(.vp9, number: 1, width: nil, height: nil)], maxClusterMs: 30_000)
        try w.write(track: 1, timestampMs: 0, keyframe: true, data: [1])
        try w.write(track: 1, timestampMs: 29_000, keyframe: false, data: [2])
        try w.write(track: 1, timestampMs: 40_000, keyframe: false, data: [3])  // 40 s > Int16 ms from cluster start
        try w.finish()
        let file = try WebMReader.read(sink.bytes)
        XCTAssertEqual(file.blocks.map(\.timestampMs), [0, 29_000, 40_000])
        XCTAssertEqual(w.clustersWritten, 2)
    }

    func testUnfinishedFileReadsUpToTheLastClosedCluster() throws {
        let (sink, written) = try writeSample(finish: false)
        XCTAssertThrowsError(try WebMReader.read(sink.bytes + [0x1F, 0x43])) {
            XCTAssertEqual($0 as? WebMReadError, .truncated(offset: sink.bytes.count))
        }
        let file = try WebMReader.read(sink.bytes)  // unknown-size Segment, no Duration
        XCTAssertNil(file.durationMs)
        XCTAssertEqual(file.blocks, Array(written.prefix(file.blocks.count)))
        XCTAssertEqual(file.blocks.last?.timestampMs ?? 0, 1980, "the 2 s cluster is still open")
        // A file cut in the middle of a cluster: lenient reading keeps the complete blocks.
        let (full, _) = try writeSample()
        let cut = Array(full.bytes.prefix(full.bytes.count * 2 / 3))
        XCTAssertThrowsError(try WebMReader.read(cut))
        let partial = try WebMReader.read(cut, allowTruncatedTail: true)
        XCTAssertTrue(partial.wasTruncated)
        XCTAssertGreaterThan(partial.blocks.count, 100)
    }

    func testMatroskaDocTypeForH264() throws {
        let sink = WebMBufferSink()
        let avcC = try AVCDecoderConfiguration.record(sps: [0x67, 0x42, 0xC0, 0x1E, 0xAA], pps: [0x68, 0xCE, 0x3C, 0x80])
        XCTAssertEqual(avcC, [1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, 5, 0x67, 0x42, 0xC0, 0x1E, 0xAA, 1, 0, 4, 0x68, 0xCE, 0x3C, 0x80])
        let w = try WebMWriter(sink: sink, tracks: [.video(.h264, number: 1, width: 64, height: 48, codecPrivate: avcC)])
        XCTAssertEqual(w.docType, "matroska")
        try w.finish()
        let file = try WebMReader.read(sink.bytes)
        XCTAssertEqual(file.docType, "matroska")
        XCTAssertEqual(file.tracks.first?.codecPrivate, avcC)
        XCTAssertThrowsError(try AVCDecoderConfiguration.record(sps: [0x68, 1, 2, 3], pps: [0x68])) {
            XCTAssertEqual($0 as? AVCDecoderConfiguration.BuildError, .notAnSPS(8))
        }
    }

    func testWriterRejectsBadInput() throws {
        let w = try WebMWriter(sink: WebMBufferSink(), tracks: [.opus(number: 1, channels: 1)])
        XCTAssertThrowsError(try w.write(track: 2, timestampMs: 0, keyframe: true, data: [1])) {
            XCTAssertEqual($0 as? WebMWriteError, .unknownTrack(2))
        }
        XCTAssertThrowsError(try w.write(track: 1, timestampMs: -1, keyframe: true, data: [1])) {
            XCTAssertEqual($0 as? WebMWriteError, .negativeTimestamp(-1))
        }
        try w.finish()
        XCTAssertThrowsError(try w.write(track: 1, timestampMs: 0, keyframe: true, data: [1])) {
            XCTAssertEqual($0 as? WebMWriteError, .finished)
        }
    }

    func testReaderRejectsMalformedFiles() throws {
        let (sink, _) = try writeSample()
        let good = sink.bytes
        func expect(_ bytes: [UInt8], _ error: WebMReadError, line: UInt = #line) {
            XCTAssertThrowsError(try WebMReader.read(bytes), line: line) { XCTAssertEqual($0 as? WebMReadError, error, line: line) }
        }
        expect([0x1A, 0x45, 0xDF], .notEBML)
        expect(Array("OggS and more".utf8), .notEBML)
        var doc = good
        let at = indexOf(Array("webm".utf8), in: doc)!
        doc.replaceSubrange(at..<at + 4, with: Array("mp4x".utf8))
        expect(doc, .unsupportedDocType("mp4x"))
        // A SimpleBlock with Xiph lacing (flags 0x02).
        let file = try WebMReader.read(good)
        var r = EBMLReader(good, at: segmentDataStart(good) + Int(file.cues[0].clusterPosition))
        _ = try r.header()                                  // Cluster
        let ts = try r.header()                             // its Timestamp
        r.position = ts.dataStart + Int(ts.size!)
        let blockAt = r.position
        let h = try r.header()
        XCTAssertEqual(h.id, MatroskaID.simpleBlock)
        var laced = good
        laced[h.dataStart + 3] |= 0x02
        expect(laced, .lacingUnsupported(offset: blockAt))
        var badTrack = good
        badTrack[h.dataStart] = 0x85
        expect(badTrack, .unknownTrack(5))
        // Segment declared larger than the data.
        expect(Array(good.prefix(good.count - 1)), .truncated(offset: segmentDataStart(good) - 12))
        // An Info element claiming 200 MB inside the Segment.
        var huge = EBMLBuffer()
        huge.master(MatroskaID.ebml) { $0.string(MatroskaID.docType, "webm") }
        huge.id(MatroskaID.segment); huge.unknownSize()
        let infoAt = huge.bytes.count
        huge.id(MatroskaID.info); huge.size(200_000_000)
        expect(huge.bytes, .elementTooLarge(id: MatroskaID.info, size: 200_000_000, offset: infoAt))
        var unknownInfo = EBMLBuffer()
        unknownInfo.master(MatroskaID.ebml) { $0.string(MatroskaID.docType, "webm") }
        unknownInfo.id(MatroskaID.segment); unknownInfo.unknownSize()
        let uAt = unknownInfo.bytes.count
        unknownInfo.id(MatroskaID.tracks); unknownInfo.unknownSize()
        expect(unknownInfo.bytes, .unknownSizeNotAllowed(id: MatroskaID.tracks, offset: uAt))
        var noSegment = EBMLBuffer()
        noSegment.master(MatroskaID.ebml) { $0.string(MatroskaID.docType, "webm") }
        expect(noSegment.bytes, .missingSegment)
    }

    /// Found by FuzzRecorder: a PixelWidth beyond Int.max trapped in the
    /// conversion; now it is a malformed value (input kept as fuzz/corpus/recorder/regress-webm-pixel-width-overflow).
    func testOversizedIntegerElementIsMalformedNotATrap() throws {
        var b = EBMLBuffer()
        b.master(MatroskaID.ebml) { $0.string(MatroskaID.docType, "webm") }
        b.id(MatroskaID.segment); b.unknownSize()
        b.master(MatroskaID.tracks) { tracks in
            tracks.master(MatroskaID.trackEntry) { t in
                t.uint(MatroskaID.trackNumber, 1)
                t.master(MatroskaID.video) { $0.uint(MatroskaID.pixelWidth, UInt64.max) }
            }
        }
        XCTAssertThrowsError(try WebMReader.read(b.bytes)) { error in
            guard case .badValue(let id, _)? = error as? WebMReadError else { return XCTFail("\(error)") }
            XCTAssertEqual(id, MatroskaID.pixelWidth)
        }
    }

    func testTooManyTracksIsRejected() throws {
        var limits = WebMReader.Limits()
        limits.maxTracks = 1
        let (sink, _) = try writeSample()
        XCTAssertThrowsError(try WebMReader.read(sink.bytes, limits: limits)) {
            XCTAssertEqual($0 as? WebMReadError, .tooManyTracks(2))
        }
    }

    func indexOf(_ needle: [UInt8], in hay: [UInt8], from: Int = 0) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in from...(hay.count - needle.count) where hay[i..<i + needle.count].elementsEqual(needle) { return i }
        return nil
    }
}
