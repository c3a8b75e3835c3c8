// libFuzzer target for the SDP parser (no main: libFuzzer provides it).
//
// Build and run (see Package.swift):
//   SFU_FUZZ=1 swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
//       --product FuzzSDP --scratch-path .build-fuzz
//   .build-fuzz/release/FuzzSDP fuzz/corpus/sdp -max_total_time=180 -max_len=65536
//
// Invariants checked (a violation crashes, so libFuzzer keeps the input):
// - parsing never crashes, whatever the bytes;
// - a document that parses serializes to text that parses to an equal value, and
//   serializing that gives the same text;
// - typed accessors, offer validation and both answer builders never crash on a parsed
//   document, and any answer they build parses back to itself.
import SDP

private let transport = LocalTransport(
    iceUfrag: "fuzz", icePwd: "fuzzfuzzfuzzfuzzfuzzfuzz",
    fingerprint: Fingerprint(hashFunction: "sha-256", bytes: Array(repeating: 0xAB, count: 32)),
    candidates: [HostCandidate(address: "127.0.0.1", port: 4000)])
private let builder = AnswerBuilder(transport: transport, sessionID: 1, maxVideoBitrate: 1_000_000)

private func checkAnswer(_ answer: Answer) {
    let text = answer.sdp
    guard let back = try? SessionDescription.parse(text) else { fatalError("answer does not parse:\n\(text)") }
    guard back == answer.session else { fatalError("answer does not round-trip:\n\(text)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let sdp = try? SessionDescription.parse(bytes: bytes) else { return 0 }

    let text = sdp.serialize()
    let again: SessionDescription
    do {
        again = try SessionDescription.parse(text)
    } catch {
        fatalError("serialized SDP does not parse: \(error)\n\(text)")
    }
    guard again == sdp else { fatalError("round trip changed the value:\n\(text)") }
    guard again.serialize() == text else { fatalError("second serialization differs:\n\(text)") }

    // Exercise the typed views.
    _ = sdp.bundleGroups
    for (i, m) in sdp.media.enumerated() {
        _ = sdp.transport(forMediaAt: i)
        _ = sdp.direction(ofMediaAt: i)
        _ = m.codecs.map { ($0.associatedPayloadType, $0.parameterList) }
        _ = (m.extensionMaps, m.ssrcAttributes, m.ssrcGroups, m.msids, m.rids.map(\.payloadTypes), m.simulcast)
        _ = (m.candidates.map(\.transportProtocol), m.fingerprints, m.setup, m.payloadTypes)
    }

    if (try? validateOffer(sdp)) != nil {
        guard let published = try? builder.publishAnswer(to: sdp) else { fatalError("valid offer without publish answer") }
        checkAnswer(published)
        let tracks = published.media.filter(\.accepted).enumerated().map { n, m in
            OutgoingTrack(kind: m.kind, codecs: m.codecs, ssrc: UInt32(10 + n), rtxSSRC: UInt32(20 + n),
                          cname: "c", streamID: "s", trackID: "t\(n)")
        }
        if let viewed = try? builder.viewAnswer(to: sdp, tracks: tracks) { checkAnswer(viewed) }
    }
    return 0
}
