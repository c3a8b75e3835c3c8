// libFuzzer target for the recorder's parsers (no main: libFuzzer provides it):
// the Ogg reader, the WebM/Matroska reader and the RTP depacketizers.
//
// Build and run (see Package.swift, scripts/fuzz.sh):
//   SFU_FUZZ=1 swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
//       --product FuzzRecorder --scratch-path .build-fuzz
//   .build-fuzz/release/FuzzRecorder fuzz/corpus/recorder -max_total_time=120
//
// The first input byte picks the parser; the rest is its input.
// Invariants checked (a violation crashes, so libFuzzer keeps the input):
// - no parser crashes or reads outside its input (ASan watches);
// - every Ogg packet and WebM block returned is no larger than the input;
// - a whole-file read that succeeds also succeeds when a torn tail is allowed,
//   with the same result (allowing a torn tail only ever adds leniency);
// - depacketizers never return a frame larger than their explicit limit.
import Recorder

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecorder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch selector % 3 {
    case 0: fuzzOgg(input)
    case 1: fuzzWebM(input)
    default: fuzzDepacketizers(input, codec: Int(selector / 3) % 4)
    }
    return 0
}

func fuzzOgg(_ input: [UInt8]) {
    let strict = try? OggReader.packets(input)
    let lenient = try? OggReader.packets(input, allowTruncatedTail: true)
    if let strict {
        precondition(lenient == strict, "a torn-tail read changed a whole-file result")
        for p in strict { precondition(p.bytes.count <= input.count) }
    }
}

func fuzzWebM(_ input: [UInt8]) {
    let strict = try? WebMReader.read(input)
    let lenient = try? WebMReader.read(input, allowTruncatedTail: true)
    if let strict {
        guard let lenient else { preconditionFailure("a torn-tail read rejected a whole file") }
        precondition(lenient.blocks == strict.blocks && lenient.tracks.count == strict.tracks.count)
        precondition(strict.tracks.count <= WebMReader.Limits().maxTracks)
        for b in strict.blocks { precondition(b.data.count <= input.count) }
    }
}

/// Splits the input into payloads: each chunk is [len][flags][bytes…];
/// flags bit 0 = marker, bit 1 = a loss before it, bits 2… = timestamp step.
func fuzzDepacketizers(_ input: [UInt8], codec: Int) {
    var vp8 = VP8Depacketizer(), vp9 = VP9Depacketizer(), h264 = H264Depacketizer(), opus = OpusDepacketizer()
    var i = 0
    var ts: UInt32 = 0
    while i + 2 <= input.count {
        let len = min(Int(input[i]), input.count - i - 2)
        let flags = input[i + 1]
        let payload = Array(input[(i + 2)..<(i + 2 + len)])
        i += 2 + len
        ts &+= UInt32(flags >> 2) * 3000
        let marker = flags & 1 != 0
        let frames: [DepacketizedFrame]?
        switch codec {
        case 0:
            if flags & 2 != 0 { vp8.lose() }
            frames = payload.withUnsafeBytes { try? vp8.push(payload: $0, timestamp: ts, marker: marker) }
        case 1:
            if flags & 2 != 0 { vp9.lose() }
            frames = payload.withUnsafeBytes { try? vp9.push(payload: $0, timestamp: ts, marker: marker) }
        case 2:
            if flags & 2 != 0 { h264.lose() }
            frames = payload.withUnsafeBytes { try? h264.push(payload: $0, timestamp: ts, marker: marker) }
        default:
            if flags & 2 != 0 { opus.lose() }
            frames = payload.withUnsafeBytes { try? opus.push(payload: $0, timestamp: ts, marker: marker) }
        }
        for f in frames ?? [] { precondition(f.data.count <= RTPDepacketizerLimits.maxFrameSize) }
    }
}
