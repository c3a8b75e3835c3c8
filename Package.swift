// swift-tools-version:6.0
// The SFU media router. No Swift package dependencies: Foundation, Glibc,
// Dispatch and Debian's C libraries only (see README.md).
import PackageDescription
import Foundation

let unchecked: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

var package = Package(
    name: "sfu",
    products: [
        .executable(name: "sfu", targets: ["sfu"]),
        .executable(name: "sfu-bench", targets: ["sfu-bench"]),
    ],
    targets: [
        // C libraries
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        // Post-processing of recordings: decode, mix, compose, encode.
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CVPX", pkgConfig: "vpx", providers: [.apt(["libvpx-dev"])]),
        .target(name: "CSystem"),
        .target(name: "CDTLSShim", dependencies: ["COpenSSL"]),
        // Test support: counts malloc calls of the calling thread (interposes malloc).
        .target(name: "CAllocCounter"),

        // Pure wire formats and protocol modules
        .target(name: "JSON"),
        .target(name: "HTTP", dependencies: ["CSystem", "Handoff"]),
        // Our own RESP2/RESP3 client (issue 13): parser, pipelining connection on its own epoll thread.
        .target(name: "Redis", dependencies: ["CSystem"]),
        // The cluster on Redis (issue 13): node registry with leases and fencing epochs; docs/CLUSTER.md.
        .target(name: "Cluster", dependencies: ["Redis", "JSON", "HTTP"]),
        .target(name: "SDP"),
        .target(name: "ICE", dependencies: ["COpenSSL"]),
        .target(name: "ICETestSupport", dependencies: ["ICE"]),
        .target(name: "DTLS", dependencies: ["COpenSSL", "CSRTP", "CDTLSShim"], swiftSettings: unchecked),
        .target(name: "RTP", swiftSettings: unchecked),
        // Hand-offs between threads: the one SPSC packet ring (worker → worker pipes, worker → recorder
        // taps), the one eventfd mailbox (HTTP, media and recorder loops), the one monotonic clock.
        .target(name: "Handoff", dependencies: ["CSystem"], swiftSettings: unchecked),
        .target(name: "RTPRouter", dependencies: ["ICE", "DTLS", "SDP", "RTP", "CSystem", "Handoff"], swiftSettings: unchecked),
        .target(name: "Recorder", dependencies: ["Handoff", "RTP", "SDP", "CSystem", "COpus", "CVPX"]),
        // In-process router driver for tests and router-bench: a publisher and N viewers on our client-role
        // ICE/DTLS/SRTP stack over loopback sockets (links CAllocCounter, so never into the server).
        .target(name: "RouterHarness", dependencies: ["RTPRouter", "Handoff", "ICE", "ICETestSupport", "DTLS", "SDP", "CAllocCounter"], swiftSettings: unchecked),
        // In-memory router driver for table tests and FuzzRouter: an Outbox sink, virtual time, peers
        // connected without a handshake (real SRTP). No CAllocCounter, so it links into sanitized fuzzers.
        .target(name: "RouterTestSupport", dependencies: ["RTPRouter", "ICE", "DTLS", "SDP", "RTP"], swiftSettings: unchecked),
        // The API's identifier rule and its file-system spelling (shared by the API and the stores).
        .target(name: "Identifier", dependencies: ["HTTP"]),
        .target(name: "RecordStore", dependencies: ["HTTP", "JSON", "CSystem", "Identifier"], exclude: ["store.openapi.json"]),
        .target(name: "Signaling", dependencies: ["HTTP", "JSON", "Identifier", "SDP", "ICE", "DTLS", "Handoff", "RTPRouter", "Recorder", "RecordStore", "COpenSSL"],
                // The files scripts/embed.py embeds (edit them, then run it).
                exclude: ["Web/index.html", "Web/client.js", "OpenAPI/conference.openapi.json"]),
        .executableTarget(name: "sfu", dependencies: ["Signaling", "RecordStore", "HTTP", "RTPRouter", "Cluster"]),
        // swift run -c release srtp-bench: SRTP cost per packet and DTLS handshake time, as JSON.
        .executableTarget(name: "srtp-bench", dependencies: ["DTLS"], path: "bench/srtp-bench"),
        // swift run -c release floor-bench: this machine's forwarding floor (recvmmsg → unprotect →
        // F × protect → sendmmsg, no SFU logic) in sent packets per CPU-second, as JSON.
        .executableTarget(name: "floor-bench", dependencies: ["DTLS", "CSystem", "CAllocCounter"], path: "bench/floor",
                          exclude: ["README.md"]),
        // The load harness (issue 6): emulated WebRTC publishers and viewers on our own
        // ICE/DTLS/SRTP stack in the client role, driving a running server. See bench/README.md.
        .target(name: "BenchPeer", dependencies: ["ICE", "ICETestSupport", "DTLS", "SDP", "RTP", "JSON", "CSystem"],
                path: "bench/BenchPeer"),
        .executableTarget(name: "sfu-bench", dependencies: ["BenchPeer", "JSON", "DTLS"], path: "bench/sfu-bench"),

        // swift run -c release post-bench [seconds]: post-processing speed (audio mix, grid video, archive)
        // in seconds per minute of a 4-participant recording, as JSON.
        .executableTarget(name: "post-bench", dependencies: ["Recorder"], path: "bench/post-bench"),
        // swift run -c release recorder-bench [streams] [seconds]: the recorder's cost per stream, as JSON.
        .executableTarget(name: "recorder-bench", dependencies: ["Recorder", "Handoff", "SDP"], path: "bench/recorder-bench"),
        // swift run -c release router-bench: the server's forwarding path (WorkerRouter, in-process, N viewers)
        // in forwarded packets per CPU-second and its ratio to floor-bench's figure, as JSON.
        .executableTarget(name: "router-bench", dependencies: ["RouterHarness", "Handoff"], path: "bench/router-bench",
                          exclude: ["README.md"], swiftSettings: unchecked),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "IdentifierTests", dependencies: ["Identifier"]),
        // RedisServer.swift starts a real redis-server (Debian redis-server) on a free loopback port.
        .testTarget(name: "RedisTests", dependencies: ["Redis", "Cluster"]),
        .testTarget(name: "RecordStoreTests", dependencies: ["RecordStore", "HTTP", "JSON"]),
        .testTarget(name: "RTPRouterTests", dependencies: ["RTPRouter", "Handoff", "RouterHarness", "RouterTestSupport", "DTLS", "RTP", "CAllocCounter"]),
        // Interop/ holds the script that produced the aiortc reference bytes.
        .testTarget(name: "RTPTests", dependencies: ["RTP", "CAllocCounter"], exclude: ["Interop"]),
        .testTarget(name: "SignalingTests", dependencies: ["Signaling", "JSON", "HTTP", "DTLS", "ICE", "SDP", "Handoff", "RTPRouter", "Recorder", "RecordStore"]),
        // Fixtures are read through #filePath, so they are not resources.
        .testTarget(name: "SDPTests", dependencies: ["SDP"], exclude: ["Fixtures", "Capture"]),
        .testTarget(name: "ICETests", dependencies: ["ICE", "ICETestSupport"]),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS"]),
        // The Ogg Opus interop tests run ffmpeg, ffprobe and opusinfo (Debian ffmpeg, opus-tools).
        .testTarget(name: "RecorderTests", dependencies: ["Recorder", "Handoff", "RTPRouter", "RTP", "SDP"]),
        .testTarget(name: "BenchPeerTests", dependencies: ["BenchPeer", "JSON", "RTP", "DTLS", "ICE"]),
    ]
)

// libFuzzer targets have no main (libFuzzer provides it), so they exist only
// when asked for: `SFU_FUZZ=1 swift build --sanitize=fuzzer ...` (see fuzz/README.md).
if ProcessInfo.processInfo.environment["SFU_FUZZ"] != nil {
    package.targets += [
        .executableTarget(name: "FuzzHTTPRequest", dependencies: ["HTTP"], path: "fuzz/FuzzHTTPRequest"),
        .executableTarget(name: "FuzzRESP", dependencies: ["Redis"], path: "fuzz/FuzzRESP"),
        .executableTarget(name: "FuzzJSON", dependencies: ["JSON"], path: "fuzz/FuzzJSON"),
        .executableTarget(name: "FuzzSDP", dependencies: ["SDP"], path: "fuzz/FuzzSDP"),
        .executableTarget(name: "FuzzSTUN", dependencies: ["ICE"], path: "fuzz/FuzzSTUN"),
        .executableTarget(name: "FuzzDTLS", dependencies: ["DTLS"], path: "fuzz/FuzzDTLS"),
        .executableTarget(name: "FuzzRTP", dependencies: ["RTP"], path: "fuzz/FuzzRTP", swiftSettings: unchecked),
        .executableTarget(name: "FuzzRTCP", dependencies: ["RTP"], path: "fuzz/FuzzRTCP", swiftSettings: unchecked),
        .executableTarget(name: "FuzzRecorder", dependencies: ["Recorder"], path: "fuzz/FuzzRecorder"),
        .executableTarget(name: "FuzzRouter", dependencies: ["RouterTestSupport", "RTPRouter", "RTP", "DTLS"], path: "fuzz/FuzzRouter",
                          swiftSettings: unchecked),
        .executableTarget(name: "FuzzHTTPConditional", dependencies: ["HTTP", "RecordStore"], path: "fuzz/FuzzHTTPConditional"),
        .executableTarget(name: "FuzzJWT", dependencies: ["Signaling", "HTTP", "JSON"], path: "fuzz/FuzzJWT"),
        .executableTarget(name: "FuzzAPI", dependencies: ["Signaling", "HTTP", "JSON"], path: "fuzz/FuzzAPI"),
        .executableTarget(name: "FuzzIdentifier", dependencies: ["Identifier"], path: "fuzz/FuzzIdentifier"),
    ]
}
