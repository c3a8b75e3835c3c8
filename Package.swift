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
    ],
    targets: [
        // C libraries
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSystem"),
        // Test support: counts malloc calls of the calling thread (interposes malloc).
        .target(name: "CAllocCounter"),

        // Pure wire formats and protocol modules
        .target(name: "JSON"),
        .target(name: "HTTP", dependencies: ["CSystem"]),
        .target(name: "SDP"),
        .target(name: "ICE"),
        .target(name: "DTLS", dependencies: ["COpenSSL"]),
        .target(name: "RTP", swiftSettings: unchecked),
        .target(name: "RTPRouter", dependencies: ["ICE", "DTLS", "SDP", "RTP", "CSystem"], swiftSettings: unchecked),
        .target(name: "Recorder", dependencies: ["RTPRouter"]),
        .target(name: "Signaling", dependencies: ["HTTP", "JSON", "SDP", "RTPRouter", "Recorder", "COpenSSL"]),
        .executableTarget(name: "sfu", dependencies: ["Signaling", "HTTP"]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "RTPRouterTests", dependencies: ["RTPRouter"]),
        // Interop/ holds the script that produced the aiortc reference bytes.
        .testTarget(name: "RTPTests", dependencies: ["RTP", "CAllocCounter"], exclude: ["Interop"]),
        .testTarget(name: "SignalingTests", dependencies: ["Signaling", "JSON", "HTTP"]),
        // Fixtures are read through #filePath, so they are not resources.
        .testTarget(name: "SDPTests", dependencies: ["SDP"], exclude: ["Fixtures", "Capture"]),
    ]
)

// libFuzzer targets have no main (libFuzzer provides it), so they exist only
// when asked for: `SFU_FUZZ=1 swift build --sanitize=fuzzer ...` (see fuzz/README.md).
if ProcessInfo.processInfo.environment["SFU_FUZZ"] != nil {
    package.targets += [
        .executableTarget(name: "FuzzHTTPRequest", dependencies: ["HTTP"], path: "fuzz/FuzzHTTPRequest"),
        .executableTarget(name: "FuzzJSON", dependencies: ["JSON"], path: "fuzz/FuzzJSON"),
        .executableTarget(name: "FuzzSDP", dependencies: ["SDP"], path: "fuzz/FuzzSDP"),
        .executableTarget(name: "FuzzRTP", dependencies: ["RTP"], path: "fuzz/FuzzRTP", swiftSettings: unchecked),
        .executableTarget(name: "FuzzRTCP", dependencies: ["RTP"], path: "fuzz/FuzzRTCP", swiftSettings: unchecked),
    ]
}
