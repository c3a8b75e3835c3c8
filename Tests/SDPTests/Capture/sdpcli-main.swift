import Foundation
// usage: sdpcli publish|view < offer.sdp   (view uses the publisher fixture given in $PUBLISHER)
let mode = CommandLine.arguments[1]
let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
let transport = LocalTransport(iceUfrag: "sfu1", icePwd: "abcdefghijklmnopqrstuvwx",
    fingerprint: Fingerprint(hashFunction: "sha-256", bytes: Array(0..<32)),
    candidates: [HostCandidate(address: "127.0.0.1", port: 10000)])
let builder = AnswerBuilder(transport: transport, maxVideoBitrate: 2_000_000)
do {
    let offer = try SessionDescription.parse(input)
    if mode == "publish" {
        print(try builder.publishAnswer(to: offer).sdp, terminator: "")
    } else {
        let pubText = try String(contentsOfFile: ProcessInfo.processInfo.environment["PUBLISHER"]!, encoding: .utf8)
        let pub = try builder.publishAnswer(to: try SessionDescription.parse(pubText))
        let tracks = pub.media.filter(\.accepted).enumerated().map { n, m in
            OutgoingTrack(kind: m.kind, codecs: m.codecs, ssrc: UInt32(1000 + n), rtxSSRC: m.kind == .video ? UInt32(2000 + n) : nil,
                          cname: "sfu", streamID: "stream1", trackID: "track\(n)")
        }
        print(try builder.viewAnswer(to: offer, tracks: tracks).sdp, terminator: "")
    }
} catch {
    FileHandle.standardError.write("ERROR: \(error)\n".data(using: .utf8)!)
    exit(1)
}
