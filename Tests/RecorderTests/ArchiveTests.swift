// PostProcessor's ustar archive, read back by GNU tar.
import Foundation
import XCTest
@testable import Recorder

final class ArchiveTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDirectory("tar") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// manifest.json first, then the assets with their sizes; tar lists and
    /// extracts them byte for byte, including a name that needs the prefix field.
    func testTarListsAndExtractsEveryMember() throws {
        let a = try write("a.ogg", (0..<1000).map { UInt8($0 % 251) })
        let b = try write("b.webm", [UInt8](repeating: 7, count: 512))  // exactly one block: no padding
        let empty = try write("empty.txt", [])
        let longName = String(repeating: "d", count: 90) + "/" + String(repeating: "f", count: 60) + ".webm"
        let manifest = Array(#"{"recording":"r1","assets":3}"#.utf8)
        let out = dir.appendingPathComponent("archive.tar").path
        let result = try PostProcessor.archive([("segment-0/a.ogg", a), ("b.webm", b), ("empty.txt", empty), (longName, a)],
                                                    manifest: manifest, to: out)
        // Headers and 512-byte padded bodies: manifest 512+512, a 512+1024, b 512+512,
        // empty 512, long name 512+1024, end marker 1024.
        XCTAssertEqual(result.size, 6656)
        XCTAssertEqual(result.format, "tar")
        let r = try runTool(["tar", "-tvf", out])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "")
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.map { String($0.split(separator: " ").last!) }, ["manifest.json", "segment-0/a.ogg", "b.webm", "empty.txt", longName])
        XCTAssertTrue(lines[1].contains(" 1000 "), String(lines[1]))
        XCTAssertTrue(lines[0].hasPrefix("-rw-r--r-- sfu/sfu"), String(lines[0]))

        let x = dir.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: x, withIntermediateDirectories: true)
        let e = try runTool(["tar", "-xf", out, "-C", x.path])
        XCTAssertEqual(e.status, 0, e.err)
        XCTAssertEqual(try Data(contentsOf: x.appendingPathComponent("manifest.json")), Data(manifest))
        XCTAssertEqual(try Data(contentsOf: x.appendingPathComponent(longName)), try Data(contentsOf: URL(fileURLWithPath: a)))
        XCTAssertEqual(try Data(contentsOf: x.appendingPathComponent("b.webm")).count, 512)
    }

    func testUnsafeOrDuplicateNamesAreRejected() throws {
        let a = try write("a.ogg", [1, 2, 3])
        let out = dir.appendingPathComponent("bad.tar").path
        for name in ["../a.ogg", "/etc/a", "x//y", "", "a/./b", String(repeating: "n", count: 101)] {
            XCTAssertThrowsError(try PostProcessor.archive([(name, a)], manifest: [], to: out), name) {
                guard case .invalidArgument? = $0 as? PostProcessingError else { return XCTFail("\($0)") }
            }
        }
        XCTAssertThrowsError(try PostProcessor.archive([("a", a), ("a", a)], manifest: [], to: out))
        XCTAssertThrowsError(try PostProcessor.archive([("manifest.json", a)], manifest: [], to: out))
        XCTAssertThrowsError(try PostProcessor.archive([("d", dir.path)], manifest: [], to: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed archive leaves nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".part"))
    }
}
