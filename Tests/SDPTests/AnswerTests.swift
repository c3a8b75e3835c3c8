import XCTest
@testable import SDP

final class AnswerTests: XCTestCase {
    /// Checks every answer must pass: parses back equal, one m-line per offered one in the
    /// same order with the same mids, ICE-lite/passive/fingerprint/BUNDLE on accepted ones.
    func checkAnswer(_ answer: Answer, offer: SessionDescription, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let text = answer.sdp
        let reparsed = try SessionDescription.parse(text)
        XCTAssertEqual(reparsed, answer.session, name, file: file, line: line)
        XCTAssertEqual(try SessionDescription.parse(reparsed.serialize()), reparsed, name, file: file, line: line)
        XCTAssertEqual(reparsed.media.count, offer.media.count, name, file: file, line: line)
        XCTAssertEqual(reparsed.media.map(\.kind), offer.media.map(\.kind), name, file: file, line: line)
        XCTAssertEqual(reparsed.media.map(\.mid), offer.media.map(\.mid), name, file: file, line: line)
        XCTAssertTrue(reparsed.iceLite, name, file: file, line: line)
        let acceptedMids = answer.media.filter(\.accepted).compactMap(\.mid)
        XCTAssertEqual(reparsed.bundleGroups, acceptedMids.isEmpty ? [] : [acceptedMids], name, file: file, line: line)
        for (i, m) in reparsed.media.enumerated() {
            if answer.media[i].accepted {
                XCTAssertEqual(m.port, 10000, name, file: file, line: line)
                XCTAssertEqual(m.setup, .passive, name, file: file, line: line)
                XCTAssertEqual(m.iceUfrag, "sfu1", name, file: file, line: line)
                XCTAssertEqual(m.fingerprints, [testTransport.fingerprint], name, file: file, line: line)
                XCTAssertEqual(m.candidates.map(\.address), ["127.0.0.1", "::1"], name, file: file, line: line)
                XCTAssertTrue(m.rtcpMux, name, file: file, line: line)
                XCTAssertEqual(m.rtcpReducedSize, offer.media[i].rtcpReducedSize, name, file: file, line: line)
                XCTAssertFalse(m.formats.isEmpty, name, file: file, line: line)
                for pt in m.payloadTypes { XCTAssertTrue(offer.media[i].payloadTypes.contains(pt), name, file: file, line: line) }
                for fb in m.rtcpFeedback { XCTAssertTrue(CodecPolicy.defaultRTCPFeedback.contains(fb.kind), name, file: file, line: line) }
                for e in m.extensionMaps {
                    XCTAssertTrue(CodecPolicy.defaultHeaderExtensions.contains(e.uri), name, file: file, line: line)
                    XCTAssertTrue(offer.media[i].extensionMaps.contains { $0.id == e.id && $0.uri == e.uri }, name, file: file, line: line)
                }
            } else {
                XCTAssertEqual(m.port, 0, name, file: file, line: line)
                XCTAssertEqual(m.direction, .inactive, name, file: file, line: line)
            }
        }
        // Our answer is itself an acceptable SDP for our parser and not "valid" as an offer
        // only because it is passive.
        if !acceptedMids.isEmpty {
            XCTAssertThrowsSDPError(try validateOffer(reparsed), .setupPassive(mid: acceptedMids[0]), name, file: file, line: line)
        }
    }

    func testPublishAnswerForEveryFixture() throws {
        for name in Fixtures.offerNames {
            let offer = try Fixtures.parse(name)
            let answer = try testBuilder.publishAnswer(to: offer)
            try checkAnswer(answer, offer: offer, name)
            for (i, d) in answer.media.enumerated() {
                let offered = offer.direction(ofMediaAt: i)
                let av = offer.media[i].kind == .audio || offer.media[i].kind == .video
                XCTAssertEqual(d.accepted, av && offered.sends, "\(name) m-line \(i)")
                if d.accepted { XCTAssertEqual(answer.session.media[i].direction, .recvonly, name) }
            }
        }
    }

    func testChromiumPublishAnswerContents() throws {
        let offer = try Fixtures.parse("chromium156-sendrecv.sdp")
        let answer = try testBuilder.publishAnswer(to: offer)
        let audio = answer.session.media[0], video = answer.session.media[1]
        XCTAssertEqual(audio.formats, ["111"])
        XCTAssertEqual(audio.rtpMaps, [RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2)])
        XCTAssertEqual(audio.formatParameters.first?.parameters, "minptime=10;useinbandfec=1")
        XCTAssertEqual(audio.rtcpFeedback.map(\.kind), ["transport-cc"])
        XCTAssertEqual(audio.extensionMaps.map(\.id), [1, 2, 3, 4])
        // VP8+rtx, H264 pm=1 (three profiles)+rtx, AV1+rtx, VP9 profile 0 and 2 +rtx; no
        // pm=0 H264, no red/ulpfec, no rtx of dropped codecs.
        XCTAssertEqual(video.formats, ["96", "97", "102", "103", "108", "109", "116", "117", "45", "46", "98", "99", "100", "101"])
        XCTAssertEqual(video.rtcpFeedback.filter { $0.payloadType == 96 }.map(\.kind), ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"])
        XCTAssertEqual(video.extensionMaps.map(\.uri), [
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "urn:3gpp:video-orientation",
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
            "urn:ietf:params:rtp-hdrext:sdes:mid",
            "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        ])
        XCTAssertEqual(video.extensionMaps.map(\.id), [2, 13, 3, 5, 4, 10, 11])
        // Chromium offers the dependency descriptor only with simulcast here; it is kept there.
        let simulcast = try testBuilder.publishAnswer(to: try Fixtures.parse("chromium156-simulcast.sdp"))
        XCTAssertTrue(simulcast.session.media[1].extensionMaps.contains { $0.id == 12 && $0.uri.hasSuffix("#dependency-descriptor-rtp-header-extension") })
        XCTAssertTrue(answer.session.extmapAllowMixed)
        XCTAssertEqual(video.connection, Connection(address: "127.0.0.1"))
        XCTAssertTrue(video.endOfCandidates)
        let d = answer.media[1]
        XCTAssertEqual(d.codecs.map(\.payloadType), [96, 102, 108, 116, 45, 98, 100])
        XCTAssertEqual(d.codecs.map(\.rtxPayloadType), [97, 103, 109, 117, 46, 99, 101])
        XCTAssertEqual(d.remoteSSRCs.count, 2)
        XCTAssertEqual(d.remoteSSRCGroups.first?.semantics, "FID")
        XCTAssertNotNil(d.remoteMSID)
        XCTAssertTrue(video.bandwidths.isEmpty)
    }

    func testPublishSimulcastIsAnsweredRecv() throws {
        for name in ["chromium156-simulcast.sdp", "firefox153esr-simulcast.sdp"] {
            let offer = try Fixtures.parse(name)
            let answer = try testBuilder.publishAnswer(to: offer)
            let video = answer.session.media[1]
            XCTAssertEqual(video.rids, [RIDDescription(id: "h", direction: .recv), RIDDescription(id: "m", direction: .recv),
                                        RIDDescription(id: "l", direction: .recv)], name)
            XCTAssertEqual(video.simulcast, Simulcast(recv: [[.init(rid: "h")], [.init(rid: "m")], [.init(rid: "l")]]), name)
            XCTAssertEqual(video.attributes.first { $0.name == "simulcast" }?.value, "recv h;m;l", name)
            XCTAssertEqual(answer.media[1].rids, ["h", "m", "l"], name)
            XCTAssertEqual(video.direction, .recvonly)
        }
    }

    func testSimulcastRIDRestrictionsLoseDroppedPayloadTypes() throws {
        let text = minimalOffer.replacingOccurrences(of: "a=sendrecv", with: "a=sendonly")
            + "a=rid:a send pt=111,0;max-br=64000\na=rid:b send\na=simulcast:send a;~b\n"
        let answer = try testBuilder.publishAnswer(to: try SessionDescription.parse(text))
        let m = answer.session.media[0]
        XCTAssertEqual(m.rids, [RIDDescription(id: "a", direction: .recv, restrictions: "pt=111;max-br=64000"),
                                RIDDescription(id: "b", direction: .recv)])
        XCTAssertEqual(m.simulcast, Simulcast(recv: [[.init(rid: "a")], [.init(rid: "b", paused: true)]]))
    }

    func testDataChannelAndUnsupportedMediaAreRejected() throws {
        let offer = try Fixtures.parse("chromium156-gathered.sdp")
        let answer = try testBuilder.publishAnswer(to: offer)
        let dc = answer.session.media[2]
        XCTAssertEqual(dc.kind, .application)
        XCTAssertEqual(dc.port, 0)
        XCTAssertEqual(dc.formats, ["webrtc-datachannel"])
        XCTAssertEqual(dc.mid, "2")
        XCTAssertEqual(dc.direction, .inactive)
        XCTAssertTrue(dc.candidates.isEmpty)
        XCTAssertEqual(answer.session.bundleGroups, [["0", "1"]])

        // An audio m-line with only G722/PCMU next to a supported video one.
        let text = minimalOffer.replacingOccurrences(of: "a=group:BUNDLE 0", with: "a=group:BUNDLE 0 1")
            + "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:1\na=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\n"
            + "a=fingerprint:sha-256 \(sha256Text)\na=rtcp-mux\na=rtpmap:96 VP8/90000\n"
        var two = try SessionDescription.parse(text)
        two.media[0].attributes = two.media[0].attributes.map { $0.name == "rtpmap" ? Attribute("rtpmap", "111 G722/8000") : $0 }
        let a2 = try testBuilder.publishAnswer(to: two)
        XCTAssertEqual(a2.media.map(\.accepted), [false, true])
        XCTAssertEqual(a2.session.media[0].port, 0)
        XCTAssertEqual(a2.session.bundleGroups, [["1"]])
        try checkAnswer(a2, offer: two, "two")
    }

    func testMaxBitrateOnVideoOnly() throws {
        var builder = testBuilder
        builder.maxVideoBitrate = 1_500_500
        let answer = try builder.publishAnswer(to: try Fixtures.parse("chromium156-sendrecv.sdp"))
        XCTAssertEqual(answer.session.media[0].bandwidths, [])
        XCTAssertEqual(answer.session.media[1].bandwidthAS, 1501)
        XCTAssertEqual(answer.session.media[1].bandwidthTIAS, 1_500_500)
        XCTAssertTrue(answer.sdp.contains("\r\nb=AS:1501\r\nb=TIAS:1500500\r\n"))
    }

    func testLocalParametersAreChecked() throws {
        var builder = testBuilder
        builder.transport.fingerprint = Fingerprint(hashFunction: "sha-1", bytes: Array(repeating: 0, count: 20))
        XCTAssertThrowsSDPError(try builder.publishAnswer(to: try SessionDescription.parse(minimalOffer)),
                                .invalidLocalParameters(reason: "fingerprint must be sha-256 with 32 bytes"))
        builder = testBuilder
        builder.transport.icePwd = "x"
        XCTAssertThrowsSDPError(try builder.publishAnswer(to: try SessionDescription.parse(minimalOffer)),
                                .invalidLocalParameters(reason: "ice-pwd must be 22 to 256 characters, not 1"))
    }

    func testPublishAnswerValidatesTheOffer() throws {
        let offer = mutateAttributes(try SessionDescription.parse(minimalOffer)) { $0.name == "setup" ? Attribute(SetupRole.passive) : $0 }
        XCTAssertThrowsSDPError(try testBuilder.publishAnswer(to: offer), .setupPassive(mid: "0"))
    }

    func testExtensionDirectionIsReversed() throws {
        let offer = try Fixtures.parse("firefox153esr-sendrecv.sdp")
        let answer = try testBuilder.publishAnswer(to: offer)
        let playout = answer.session.media[1].extensionMaps.first { $0.uri.hasSuffix("playout-delay") }
        XCTAssertEqual(playout?.direction, .sendonly)
        XCTAssertFalse(answer.session.media[0].extensionMaps.contains { $0.uri.hasSuffix("csrc-audio-level") })
    }

    // MARK: View

    /// Tracks as the signalling layer would build them from a publisher's publish answer.
    func tracks(publishedBy publisher: String) throws -> [OutgoingTrack] {
        let answer = try testBuilder.publishAnswer(to: try Fixtures.parse(publisher))
        return answer.media.filter(\.accepted).enumerated().map { n, m in
            OutgoingTrack(kind: m.kind, codecs: m.codecs, ssrc: 1000 + UInt32(n), rtxSSRC: m.kind == .video ? 2000 + UInt32(n) : nil,
                          cname: "sfu-cname", streamID: "stream-1", trackID: "track-\(n)")
        }
    }

    func testViewAnswerForEveryRecvonlyFixtureFromEveryPublisher() throws {
        let viewers = Fixtures.offerNames.filter { $0.contains("recvonly") }
        XCTAssertEqual(viewers.count, 2)
        let publishers = Fixtures.offerNames.filter { !$0.contains("recvonly") }
        for viewer in viewers {
            let offer = try Fixtures.parse(viewer)
            for publisher in publishers {
                let name = "\(publisher) → \(viewer)"
                let tracks = try tracks(publishedBy: publisher)
                let answer = try testBuilder.viewAnswer(to: offer, tracks: tracks)
                try checkAnswer(answer, offer: offer, name)
                XCTAssertEqual(answer.unplacedTracks, [], name)
                for (i, d) in answer.media.enumerated() where d.accepted {
                    let m = answer.session.media[i]
                    XCTAssertEqual(m.direction, .sendonly, name)
                    let track = tracks[try XCTUnwrap(d.trackIndex)]
                    XCTAssertEqual(m.msids, [MSID(streamID: "stream-1", trackID: track.trackID)], name)
                    XCTAssertTrue(m.ssrcAttributes.contains(SSRCAttribute(ssrc: track.ssrc, attribute: "cname", value: "sfu-cname")), name)
                    XCTAssertTrue(m.ssrcAttributes.contains(SSRCAttribute(ssrc: track.ssrc, attribute: "msid", value: "stream-1 \(track.trackID)")), name)
                    // Every answered payload type is the viewer's, and maps back to a publisher codec.
                    for map in d.codecMap {
                        let viewerCodec = try XCTUnwrap(offer.media[i].codecs.first { $0.payloadType == map.viewerPayloadType }, name)
                        XCTAssertTrue(map.publisher.isCompatible(with: viewerCodec), name)
                        XCTAssertTrue(track.codecs.contains(map.publisher), name)
                        if let rtx = map.viewerRTXPayloadType {
                            XCTAssertEqual(offer.media[i].codecs.first { $0.payloadType == rtx }?.associatedPayloadType, map.viewerPayloadType, name)
                        }
                    }
                    if d.codecMap.contains(where: { $0.viewerRTXPayloadType != nil }) {
                        XCTAssertEqual(m.ssrcGroups, [SSRCGroup(semantics: "FID", ssrcs: [track.ssrc, try XCTUnwrap(track.rtxSSRC)])], name)
                    } else {
                        XCTAssertEqual(m.ssrcGroups, [], name)
                    }
                }
                XCTAssertEqual(answer.media.filter(\.accepted).count, 2, name)
            }
        }
    }

    func testViewMappingChromiumToFirefox() throws {
        let tracks = try tracks(publishedBy: "chromium156-sendrecv.sdp")
        let offer = try Fixtures.parse("firefox153esr-recvonly.sdp")
        let answer = try testBuilder.viewAnswer(to: offer, tracks: tracks)
        let video = answer.media[1]
        // Firefox ESR offers VP8 120 (rtx 124), VP9 121 (rtx 125), AV1 99 (rtx 100), no H264.
        let byName = Dictionary(grouping: video.codecMap, by: { $0.publisher.name })
        XCTAssertEqual(byName["VP8"]?.first?.publisher.payloadType, 96)
        XCTAssertEqual(byName["VP8"]?.first?.viewerPayloadType, 120)
        XCTAssertEqual(byName["VP8"]?.first?.viewerRTXPayloadType, 124)
        XCTAssertNil(byName["H264"])
        XCTAssertEqual(byName["VP9"]?.count, 1, "only profile-id 0 matches")
        XCTAssertEqual(video.codecMap.first?.publisher.name, "VP8", "publisher order")
        let audio = answer.media[0]
        XCTAssertEqual(audio.codecMap.map(\.viewerPayloadType), [109])
        XCTAssertNil(audio.codecMap.first?.viewerRTXPayloadType)
        XCTAssertTrue(answer.session.media[0].ssrcGroups.isEmpty)
        // Extension ids are the viewer's.
        XCTAssertEqual(answer.session.media[1].extensionMaps.first { $0.uri == "urn:ietf:params:rtp-hdrext:sdes:mid" }?.id, 3)
        XCTAssertEqual(video.headerExtensions, answer.session.media[1].extensionMaps)
    }

    func testViewH264ProfileAndPacketizationMustMatch() throws {
        let offer = try Fixtures.parse("chromium156-recvonly.sdp")
        func track(_ fmtp: String) -> OutgoingTrack {
            OutgoingTrack(kind: .video, codecs: [NegotiatedCodec(payloadType: 100, name: "H264", clockRate: 90000, parameters: fmtp, rtxPayloadType: 101)],
                          ssrc: 5, rtxSSRC: 6, cname: "c", streamID: "s", trackID: "t")
        }
        let a = try testBuilder.viewAnswer(to: offer, tracks: [track("packetization-mode=1;profile-level-id=42e01f")])
        XCTAssertEqual(a.media[1].codecMap.map(\.viewerPayloadType), [108], "constrained baseline pm=1 is Chromium's 108")
        XCTAssertEqual(a.session.media[1].formatParameters.first { $0.payloadType == 108 }?.parameters, "packetization-mode=1;profile-level-id=42e01f")
        XCTAssertEqual(a.session.media[1].formatParameters.first { $0.payloadType == 109 }?.parameters, "apt=108")
        // No audio track: the audio m-line is accepted `inactive` (JSEP §5.3.1), not rejected —
        // rejecting the offerer's BUNDLE-tagged m-line breaks Chrome's transport.
        XCTAssertTrue(a.media[0].accepted)
        XCTAssertEqual(a.media[0].direction, .inactive)
        XCTAssertNil(a.media[0].trackIndex)
        XCTAssertNotEqual(a.session.media[0].port, 0)

        let high = track("packetization-mode=1;profile-level-id=640c1f")
        XCTAssertThrowsSDPError(try testBuilder.viewAnswer(to: offer, tracks: [high]), .noCommonCodec, "High profile is not offered by this viewer")
        let opus = OutgoingTrack(kind: .audio, codecs: [NegotiatedCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2)],
                                 ssrc: 7, cname: "c", streamID: "s", trackID: "a")
        let b = try testBuilder.viewAnswer(to: offer, tracks: [high, opus])
        XCTAssertEqual(b.media.map(\.direction), [.sendonly, .inactive])
        XCTAssertNil(b.media[1].trackIndex)
        XCTAssertEqual(b.media[0].trackIndex, 1)
        XCTAssertEqual(b.unplacedTracks, [0])
        let pm0 = track("packetization-mode=0;profile-level-id=42e01f")
        XCTAssertThrowsSDPError(try testBuilder.viewAnswer(to: offer, tracks: [pm0]), .noCommonCodec, "packetization-mode 0 is not routed")
    }

    func testViewWithoutCommonCodecThrows() throws {
        let offer = try Fixtures.parse("firefox153esr-recvonly.sdp")
        let h264 = OutgoingTrack(kind: .video, codecs: [NegotiatedCodec(payloadType: 102, name: "H264", clockRate: 90000,
                                                                        parameters: "packetization-mode=1;profile-level-id=42e01f")],
                                 ssrc: 5, cname: "c", streamID: "s", trackID: "t")
        XCTAssertThrowsSDPError(try testBuilder.viewAnswer(to: offer, tracks: [h264]), .noCommonCodec)
        XCTAssertThrowsSDPError(try testBuilder.viewAnswer(to: offer, tracks: []), .noCommonCodec)
    }

    func testViewWithoutRTXSSRCSendsNoRTX() throws {
        var tracks = try tracks(publishedBy: "chromium156-sendrecv.sdp")
        tracks[1].rtxSSRC = nil
        let answer = try testBuilder.viewAnswer(to: try Fixtures.parse("chromium156-recvonly.sdp"), tracks: tracks)
        XCTAssertTrue(answer.media[1].codecMap.allSatisfy { $0.viewerRTXPayloadType == nil })
        XCTAssertFalse(answer.session.media[1].rtpMaps.contains { $0.encodingName == "rtx" })
        XCTAssertEqual(answer.session.media[1].ssrcs, [tracks[1].ssrc])
    }

    func testViewTrackPlacedByMid() throws {
        let offer = try Fixtures.parse("chromium156-recvonly.sdp")
        var tracks = try tracks(publishedBy: "chromium156-sendrecv.sdp")
        tracks[1].mid = "0"   // video track aimed at the audio m-line: cannot go there
        let answer = try testBuilder.viewAnswer(to: offer, tracks: tracks)
        XCTAssertEqual(answer.unplacedTracks, [1])
        XCTAssertEqual(answer.media.map(\.direction), [.sendonly, .inactive])
        XCTAssertNil(answer.media[1].trackIndex)
    }

    func testViewTrackNamesAreChecked() throws {
        var tracks = try tracks(publishedBy: "chromium156-sendrecv.sdp")
        tracks[0].streamID = "two words"
        XCTAssertThrowsSDPError(try testBuilder.viewAnswer(to: try Fixtures.parse("chromium156-recvonly.sdp"), tracks: tracks),
                                .invalidLocalParameters(reason: "stream id 'two words' must be one word without spaces or control characters"))
    }

    func testViewAnswerMaxBitrate() throws {
        var builder = testBuilder
        builder.maxVideoBitrate = 800_000
        let answer = try builder.viewAnswer(to: try Fixtures.parse("chromium156-recvonly.sdp"), tracks: try tracks(publishedBy: "aiortc1.16-sendrecv.sdp"))
        XCTAssertEqual(answer.session.media[1].bandwidthAS, 800)
        XCTAssertEqual(answer.session.media[1].bandwidthTIAS, 800_000)
        XCTAssertNil(answer.session.media[0].bandwidthAS)
    }
}
