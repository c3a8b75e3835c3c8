import XCTest
@testable import SDP

final class ParseTests: XCTestCase {
    func testFixturesAreThere() {
        XCTAssertGreaterThanOrEqual(Fixtures.offerNames.count, 10, "\(Fixtures.offerNames)")
    }

    /// RFC 8866 round trip: every fixture parses, serializes to the same bytes (all the
    /// implementations write canonical CRLF SDP), and re-parses to an equal value.
    func testFixturesRoundTripByteExact() throws {
        for name in Fixtures.offerNames {
            let text = try Fixtures.text(name)
            let sdp = try SessionDescription.parse(text)
            XCTAssertEqual(sdp.serialize(), text, name)
            XCTAssertEqual(try SessionDescription.parse(sdp.serialize()), sdp, name)
        }
    }

    func testLFLineEndingsParseLikeCRLF() throws {
        for name in Fixtures.offerNames {
            let text = try Fixtures.text(name)
            let lf = text.replacingOccurrences(of: "\r\n", with: "\n")
            XCTAssertEqual(try SessionDescription.parse(lf), try SessionDescription.parse(text), name)
        }
    }

    func testSerializeTerminatesEveryLineWithCRLF() throws {
        let sdp = try SessionDescription.parse(minimalOffer)
        let out = sdp.serialize()
        XCTAssertTrue(out.hasSuffix("\r\n"))
        let bytes = Array(out.utf8)
        for (i, b) in bytes.enumerated() where b == 0x0A { XCTAssertEqual(bytes[i - 1], 0x0D) }
    }

    func testNoTrailingNewlineAndBlankLines() throws {
        let a = try SessionDescription.parse(minimalOffer)
        let b = try SessionDescription.parse(minimalOffer.trimmingCharacters(in: .newlines))
        let c = try SessionDescription.parse(minimalOffer.replacingOccurrences(of: "s=-\n", with: "s=-\n\n"))
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, c)
    }

    func testChromiumSendrecvTypedAccessors() throws {
        let sdp = try Fixtures.parse("chromium156-sendrecv.sdp")
        XCTAssertEqual(sdp.origin.username, "-")
        XCTAssertEqual(sdp.origin.sessionVersion, 2)
        XCTAssertEqual(sdp.bundleGroups, [["0", "1"]])
        XCTAssertTrue(sdp.extmapAllowMixed)
        XCTAssertEqual(sdp.media.count, 2)
        let audio = sdp.media[0], video = sdp.media[1]
        XCTAssertEqual(audio.kind, .audio)
        XCTAssertEqual(audio.port, 9)
        XCTAssertEqual(audio.proto, "UDP/TLS/RTP/SAVPF")
        XCTAssertEqual(audio.payloadTypes, [111, 63, 9, 0, 8, 13, 110, 126])
        XCTAssertEqual(audio.mid, "0")
        XCTAssertEqual(audio.direction, .sendrecv)
        XCTAssertTrue(audio.rtcpMux)
        XCTAssertTrue(audio.rtcpReducedSize)
        XCTAssertEqual(audio.rtpMaps.first, RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        XCTAssertEqual(audio.formatParameters.first?.list.map(\.name), ["minptime", "useinbandfec"])
        XCTAssertEqual(audio.extensionMaps.map(\.id), [1, 2, 3, 4])
        XCTAssertEqual(audio.extensionMaps[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level")
        XCTAssertEqual(audio.setup, .actpass)
        XCTAssertEqual(audio.fingerprints.first?.normalizedHashFunction, "sha-256")
        XCTAssertEqual(audio.fingerprints.first?.bytes.count, 32)
        XCTAssertEqual(audio.iceOptions, ["trickle"])
        XCTAssertEqual(audio.ssrcAttributes.map(\.attribute), ["cname", "msid"])
        XCTAssertEqual(audio.msids.count, 1)
        XCTAssertEqual(audio.msids.first?.trackID?.isEmpty, false)
        XCTAssertEqual(audio.msids.first?.streamID, audio.ssrcAttributes[1].value.map { Text.fields($0)[0] })

        let vp8 = try XCTUnwrap(video.codecs.first)
        XCTAssertEqual(vp8.name, "VP8")
        XCTAssertEqual(vp8.feedback.map(\.kind), ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"])
        let rtx = try XCTUnwrap(video.codecs.first { $0.payloadType == 97 })
        XCTAssertEqual(rtx.associatedPayloadType, 96)
        let h264 = try XCTUnwrap(video.codecs.first { $0.payloadType == 102 })
        XCTAssertEqual(h264.parameter("packetization-mode"), "1")
        XCTAssertEqual(h264.parameter("PROFILE-LEVEL-ID"), "42001f")
        XCTAssertEqual(video.ssrcGroups.first?.semantics, "FID")
        XCTAssertEqual(video.ssrcGroups.first?.ssrcs.count, 2)
    }

    func testChromiumSimulcast() throws {
        let video = try Fixtures.parse("chromium156-simulcast.sdp").media[1]
        XCTAssertEqual(video.direction, .sendonly)
        XCTAssertEqual(video.rids, [RIDDescription(id: "h", direction: .send), RIDDescription(id: "m", direction: .send),
                                    RIDDescription(id: "l", direction: .send)])
        XCTAssertEqual(video.simulcast, Simulcast(send: [[.init(rid: "h")], [.init(rid: "m")], [.init(rid: "l")]]))
    }

    func testChromiumGatheredCandidates() throws {
        let sdp = try Fixtures.parse("chromium156-gathered.sdp")
        XCTAssertEqual(sdp.media.map(\.kind), [.audio, .video, .application])
        let cands = sdp.media[0].candidates
        XCTAssertEqual(cands.count, 2)
        XCTAssertEqual(cands[0].transportProtocol, .udp)
        XCTAssertEqual(cands[0].address, "127.0.0.1")
        XCTAssertEqual(cands[0].port, sdp.media[0].port)
        XCTAssertEqual(cands[0].type, .host)
        XCTAssertEqual(cands[0].generation, 0)
        XCTAssertEqual(cands[0].extensions.map(\.name), ["network-id", "network-cost"])
        XCTAssertEqual(cands[1].transportProtocol, .tcp)
        XCTAssertEqual(cands[1].tcpType, .active)
        XCTAssertEqual(cands[1].port, 9)
        XCTAssertEqual(sdp.media[2].formats, ["webrtc-datachannel"])
        XCTAssertEqual(sdp.media[2].proto, "UDP/DTLS/SCTP")
        XCTAssertEqual(sdp.media[2].payloadTypes, [])
    }

    /// Firefox writes transport in upper case, puts fingerprint and direction at session
    /// level, and ends candidates with a=end-of-candidates.
    func testFirefoxSessionLevelResolution() throws {
        let sdp = try Fixtures.parse("firefox153esr-gathered.sdp")
        XCTAssertTrue(sdp.media[0].fingerprints.isEmpty)
        let t = sdp.transport(forMediaAt: 0)
        XCTAssertEqual(t.fingerprints.count, 1)
        XCTAssertEqual(t.fingerprints[0].hashFunction, "sha-256")
        XCTAssertEqual(t.iceUfrag, sdp.media[0].iceUfrag)
        XCTAssertEqual(t.iceOptions, ["trickle"])  // session level only
        XCTAssertEqual(t.setup, .actpass)
        XCTAssertTrue(t.endOfCandidates)
        XCTAssertEqual(t.candidates.first?.transport, "UDP")
        XCTAssertEqual(t.candidates.first?.transportProtocol, .udp)
        XCTAssertEqual(t.candidates.first { $0.transport == "TCP" }?.transportProtocol, .tcp)
        XCTAssertTrue(t.candidates.contains { $0.address == "::1" })
        XCTAssertEqual(sdp.attributes.direction, .sendrecv)
        XCTAssertEqual(sdp.direction(ofMediaAt: 2), .sendrecv)
        XCTAssertEqual(sdp.media[0].extensionMaps[1].direction, .recvonly)
        XCTAssertEqual(sdp.media[0].extensionMaps[1].attributeValue, "2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level")
    }

    func testFirefoxSimulcastWithFIDGroups() throws {
        let video = try Fixtures.parse("firefox153esr-simulcast.sdp").media[1]
        XCTAssertEqual(video.simulcast?.send.map { $0.map(\.rid) }, [["h"], ["m"], ["l"]])
        XCTAssertEqual(video.ssrcGroups.count, 3)
        XCTAssertEqual(video.ssrcs.count, 6)
    }

    func testMediaLevelWinsOverSessionLevel() throws {
        let text = minimalOffer
            .replacingOccurrences(of: "t=0 0\n", with: "t=0 0\na=ice-ufrag:sess\na=ice-pwd:sessionpasswordsession\na=setup:active\n")
        let sdp = try SessionDescription.parse(text)
        let t = sdp.transport(forMediaAt: 0)
        XCTAssertEqual(t.iceUfrag, "abcd")
        XCTAssertEqual(t.icePwd, "abcdefghijklmnopqrstuv")
        XCTAssertEqual(t.setup, .actpass)
        var noMedia = sdp
        noMedia.media[0].attributes.removeAll { ["ice-ufrag", "ice-pwd", "setup"].contains($0.name) }
        let t2 = noMedia.transport(forMediaAt: 0)
        XCTAssertEqual(t2.iceUfrag, "sess")
        XCTAssertEqual(t2.setup, .active)
    }

    func testBundleOnlyTakesTransportFromTaggedMediaSection() throws {
        let text = minimalOffer.replacingOccurrences(of: "a=group:BUNDLE 0", with: "a=group:BUNDLE 0 1")
            + "m=video 0 UDP/TLS/RTP/SAVPF 96\na=bundle-only\na=mid:1\na=rtcp-mux\na=rtpmap:96 VP8/90000\n"
        let sdp = try SessionDescription.parse(text)
        XCTAssertFalse(sdp.media[1].isRejected)
        XCTAssertEqual(sdp.transport(forMediaAt: 1).iceUfrag, "abcd")
        XCTAssertEqual(sdp.transport(forMediaAt: 1).fingerprints.count, 1)
        XCTAssertNoThrow(try validateOffer(sdp))
    }

    func testSafariShapedOffer() throws {
        let sdp = try Fixtures.parse("safari-handwritten-sendrecv.sdp")
        XCTAssertEqual(sdp.msidSemantic, " WMS 8C5C6F4B-2E1D-4C8E-9E8F-0A1B2C3D4E5F")
        let c = try XCTUnwrap(sdp.media[0].candidates.first)
        XCTAssertTrue(c.address.hasSuffix(".local"))
        let srflx = try XCTUnwrap(sdp.media[0].candidates.last)
        XCTAssertEqual(srflx.type, .srflx)
        XCTAssertEqual(srflx.relatedAddress, "0.0.0.0")
        XCTAssertEqual(srflx.relatedPort, 0)
        XCTAssertEqual(sdp.media[1].codecs.first?.name, "H264")
    }

    func testAiortcOfferHasThreeFingerprints() throws {
        let sdp = try Fixtures.parse("aiortc1.16-sendrecv.sdp")
        XCTAssertEqual(sdp.media[0].fingerprints.map(\.normalizedHashFunction), ["sha-256", "sha-384", "sha-512"])
        XCTAssertEqual(sdp.media[0].fingerprints.map(\.bytes.count), [32, 48, 64])
        XCTAssertTrue(sdp.media[0].candidates.isEmpty)
        XCTAssertTrue(sdp.media[0].endOfCandidates)
    }

    func testUnknownAttributesSurviveRoundTrip() throws {
        let text = minimalOffer + "a=x-custom:some value: with colon\na=flag\na=empty:\n"
        let sdp = try SessionDescription.parse(text)
        let attrs = sdp.media[0].attributes.suffix(3)
        XCTAssertEqual(Array(attrs), [Attribute("x-custom", "some value: with colon"), Attribute("flag"), Attribute("empty", "")])
        XCTAssertEqual(try SessionDescription.parse(sdp.serialize()), sdp)
    }

    func testOptionalSessionLinesRoundTrip() throws {
        let text = """
        v=0
        o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
        s=Call to John Smith
        i=SDP Offer #1
        u=http://www.jdoe.example.com/home.html
        e=Jane Doe <jane@jdoe.example.com>
        p=+1 617 555-6011
        c=IN IP4 198.51.100.1
        b=CT:128
        t=0 0
        r=604800 3600 0 90000
        z=2882844526 -1h 2898848070 0
        k=clear:key
        m=audio 49170 RTP/AVP 0
        i=voice
        b=AS:64
        k=prompt
        m=video 51372/2 RTP/AVP 99 90
        a=rtpmap:99 h263-1998/90000

        """
        let sdp = try SessionDescription.parse(text)
        XCTAssertEqual(sdp.emails.count, 1)
        XCTAssertEqual(sdp.timings[0].repeats, ["604800 3600 0 90000"])
        XCTAssertEqual(sdp.media[1].numberOfPorts, 2)
        XCTAssertEqual(sdp.media[0].bandwidthAS, 64)
        XCTAssertEqual(sdp.bandwidths, [Bandwidth(type: "CT", value: 128)])
        XCTAssertEqual(sdp.serialize(), text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    /// Separators are found per Unicode scalar: a combining mark after ':' or ' ' does not
    /// glue it to the next character (in Swift ":\u{301}" is one Character).
    func testCombiningMarksAfterSeparators() throws {
        let text = minimalOffer + "a=x-note:\u{301}value \u{301}more\na=msid:s\u{301} \u{301}t\n"
        let sdp = try SessionDescription.parse(text)
        XCTAssertEqual(sdp.media[0].attributes.first { $0.name == "x-note" }?.value?.unicodeScalars.first, "\u{301}")
        XCTAssertEqual(sdp.media[0].msids.first?.trackID?.unicodeScalars.first, "\u{301}")
        XCTAssertEqual(try SessionDescription.parse(sdp.serialize()), sdp)
        XCTAssertEqual(try SessionDescription.parse(sdp.serialize()).serialize(), sdp.serialize())
    }

    func testParseBytesRejectsInvalidUTF8() {
        var bytes = Array(minimalOffer.utf8)
        bytes.insert(0xFF, at: 20)
        XCTAssertThrowsSDPError(try SessionDescription.parse(bytes: bytes), .invalidUTF8)
    }

    func testRegressionInputsDoNotCrashAndRoundTrip() throws {
        for name in Fixtures.regressionNames {
            let bytes = try Fixtures.bytes(name)
            if let sdp = try? SessionDescription.parse(bytes: bytes) {
                XCTAssertEqual(try SessionDescription.parse(sdp.serialize()), sdp, name)
            }
        }
    }
}
