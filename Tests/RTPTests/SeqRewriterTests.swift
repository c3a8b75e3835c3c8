import XCTest
@testable import RTP

/// The sequence rewriter as a table (mediasoup's SeqManager tests inspired
/// the shape: wrap, big jumps, drops before/after a jump, reordering,
/// duplicates, old packets after a resync).
final class SeqRewriterTests: XCTestCase {
    enum Step {
        case input(UInt16, UInt16?)      // input, expected output (nil: rejected)
        case drop(UInt16)
        case sync(UInt16)                // next input of a new source
    }

    struct Case {
        let name: String
        var bits = 16
        var initial: UInt16 = 0
        let steps: [Step]
    }

    static let table: [Case] = [
        Case(name: "first input maps to the initial output", steps: [.input(1000, 0)]),
        Case(name: "consecutive inputs stay consecutive", steps: [.input(1000, 0), .input(1001, 1), .input(1002, 2)]),
        Case(name: "random initial output", initial: 5000, steps: [.input(7, 5000), .input(8, 5001)]),
        Case(name: "input wraps", steps: [.input(65534, 0), .input(65535, 1), .input(0, 2), .input(1, 3)]),
        Case(name: "output wraps", initial: 65535, steps: [.input(10, 65535), .input(11, 0), .input(12, 1)]),
        Case(name: "loss stays a gap", steps: [.input(10, 0), .input(13, 3)]),
        Case(name: "reordered packet gets its own slot", steps: [.input(10, 0), .input(12, 2), .input(11, 1)]),
        Case(name: "duplicate of the newest", steps: [.input(10, 0), .input(10, 0)]),
        Case(name: "duplicate of an older packet", steps: [.input(10, 0), .input(11, 1), .input(10, 0)]),
        Case(name: "packet older than the first is rejected", steps: [.input(10, 0), .input(9, nil)]),
        Case(name: "big jump forward is kept", steps: [.input(10, 0), .input(20010, 20000), .input(20011, 20001)]),
        Case(name: "jump of exactly half the space counts as old", steps: [.input(0, 0), .input(32768, nil)]),
        Case(name: "far backwards jump is rejected", steps: [.input(40000, 0), .input(10000, nil)]),
        Case(name: "old packet inside the window after a jump", steps: [.input(0, 0), .input(30000, 30000), .input(1, 1)]),
        Case(name: "window is capped at half the space",
             steps: [.input(0, 0), .input(20000, 20000), .input(40000, 40000), .input(10000, 10000)]),
        Case(name: "drop of the next input closes the hole", steps: [.input(10, 0), .drop(11), .input(12, 1)]),
        Case(name: "drop run (padding burst)", steps: [.input(10, 0), .drop(11), .drop(12), .drop(13), .input(14, 1)]),
        Case(name: "drops before the first input", steps: [.drop(5), .drop(6), .input(7, 0), .input(8, 1)]),
        // 6 was never seen, so it keeps a slot (it may be a real loss).
        Case(name: "drops before the first keyframe, with a gap",
             steps: [.drop(5), .drop(7), .input(8, 1), .input(6, 0)]),
        Case(name: "a dropped input stays dropped", steps: [.input(10, 0), .drop(11), .input(11, nil), .input(12, 1)]),
        Case(name: "reordered input older than a drop keeps its slot",
             steps: [.input(10, 0), .input(12, 2), .drop(13), .input(14, 3), .input(11, 1)]),
        Case(name: "drop after a gap, then the gap fills",
             steps: [.input(10, 0), .drop(13), .input(14, 3), .input(11, 1), .input(12, 2)]),
        Case(name: "drop of an old input is ignored (its hole stays)",
             steps: [.input(10, 0), .input(12, 2), .drop(11), .input(13, 3), .input(11, 1)]),
        Case(name: "duplicate drop", steps: [.input(10, 0), .drop(11), .drop(11), .input(12, 1)]),
        Case(name: "reordered input between two drop runs",
             steps: [.input(10, 0), .drop(11), .input(13, 2), .drop(14), .input(15, 3), .input(12, 1)]),
        Case(name: "drops across the input wrap", steps: [.input(65534, 0), .drop(65535), .drop(0), .input(1, 1)]),
        Case(name: "drop after a big jump",
             steps: [.input(10, 0), .input(10010, 10000), .drop(10011), .input(10012, 10001), .input(500, 490)]),
        Case(name: "drop before a big jump",
             steps: [.input(10, 0), .drop(11), .input(10011, 10000), .input(10012, 10001)]),
        Case(name: "sync continues the output", steps: [.input(100, 0), .input(101, 1), .sync(5000), .input(5000, 2), .input(5001, 3)]),
        Case(name: "late packet of the previous source after a sync",
             steps: [.input(100, 0), .input(101, 1), .sync(5000), .input(5000, 2), .input(102, nil), .input(5001, 3)]),
        Case(name: "new source's packet from before the sync point",
             steps: [.input(100, 0), .sync(5000), .input(5000, 1), .input(4999, nil)]),
        Case(name: "reordering right after a sync",
             steps: [.input(100, 0), .sync(5000), .input(5001, 2), .input(5000, 1), .input(5002, 3)]),
        Case(name: "sync to a lower number (restart)",
             steps: [.input(60000, 0), .input(60001, 1), .sync(3), .input(3, 2), .input(4, 3)]),
        Case(name: "sync to the same numbers (republish)",
             steps: [.input(5, 0), .input(6, 1), .sync(5), .input(5, 2), .input(6, 3)]),
        Case(name: "sync forgets drops", steps: [.input(10, 0), .drop(11), .sync(100), .input(100, 1), .input(101, 2)]),
        Case(name: "sync before any input", steps: [.sync(300), .input(299, nil), .input(300, 0), .input(301, 1)]),
        Case(name: "old packet just before the sync point",
             steps: [.input(100, 0), .sync(200), .input(199, nil), .input(200, 1)]),
        Case(name: "15-bit picture id wraps", bits: 15, steps: [.input(32766, 0), .input(32767, 1), .input(0, 2)]),
        Case(name: "15-bit input is masked", bits: 15, steps: [.input(0x8005, 0), .input(6, 1)]),
        Case(name: "15-bit output wraps", bits: 15, initial: 32767, steps: [.input(5, 32767), .input(6, 0)]),
        Case(name: "15-bit drop", bits: 15, steps: [.input(100, 0), .drop(101), .input(102, 1)]),
        Case(name: "15-bit sync", bits: 15,
             steps: [.input(32000, 0), .input(32001, 1), .sync(7), .input(7, 2), .input(32002, nil)]),
        Case(name: "7-bit (VP8 short picture id) wraps", bits: 7, steps: [.input(126, 0), .input(127, 1), .input(0, 2)]),
    ]

    func testTable() {
        for c in Self.table {
            var r = SeqRewriter(bitWidth: c.bits, initialOutput: c.initial)
            for (i, step) in c.steps.enumerated() {
                switch step {
                case .input(let x, let expected):
                    XCTAssertEqual(r.input(x), expected, "\(c.name): step \(i) input(\(x))")
                case .drop(let x):
                    r.drop(x)
                case .sync(let x):
                    r.sync(nextInput: x)
                }
            }
        }
        XCTAssertGreaterThanOrEqual(Self.table.count, 40)
    }

    /// More drop runs than fit: the oldest is forgotten, and inputs at or
    /// before it are rejected instead of being given a wrong number.
    func testDropRunOverflow() {
        var r = SeqRewriter()
        XCTAssertEqual(r.input(0), 0)
        for k in 1...17 { r.drop(UInt16(2 * k)) }             // runs [2] [4] … [34], holes at the odd ones
        XCTAssertNil(r.input(1), "older than the forgotten run")
        XCTAssertEqual(r.input(3), 2)
        XCTAssertEqual(r.input(33), 17)
        XCTAssertEqual(r.input(35), 18)
    }

    /// Outputs stay continuous over a long stream with drops and reordering
    /// (a property check over 200 000 packets for each of 5 seeds). The very
    /// first packet is never held back: an input older than the first one is
    /// rejected by design (see "packet older than the first is rejected").
    func testLongStreamOutputsAreContinuous() {
        for seed in UInt64(1)...5 {
            var rng = SplitMix64(seed: seed)
            var r = SeqRewriter(initialOutput: 40000)
            var seq: UInt16 = 65000
            var expected: UInt16 = 40000
            var held: (UInt16, UInt16)? = nil                 // a reordered packet and its expected output
            var failures = 0
            for step in 0..<200_000 where failures < 5 {
                if UInt8.random(in: 0..<10, using: &rng) == 0 {
                    r.drop(seq)                               // not forwarded: no hole
                } else if held == nil, step > 0, UInt8.random(in: 0..<20, using: &rng) == 0 {
                    held = (seq, expected)                    // arrives after the next one
                    expected &+= 1
                } else {
                    if r.input(seq) != expected { failures += 1; XCTFail("seed \(seed) step \(step): seq \(seq)") }
                    expected &+= 1
                    if let (s, e) = held {
                        if r.input(s) != e { failures += 1; XCTFail("seed \(seed) step \(step): held seq \(s)") }
                        held = nil
                    }
                }
                seq &+= 1
            }
        }
    }

    func testIsNewer() {
        let table: [(UInt16, UInt16, Bool)] = [
            (1, 0, true), (0, 1, false), (0, 0, false), (0, 65535, true), (65535, 0, false),
            (32767, 0, true), (32768, 0, false), (100, 65000, true), (65000, 100, false),
        ]
        for (a, b, newer) in table {
            XCTAssertEqual(SeqRewriter.isNewer(a, than: b), newer, "\(a) vs \(b)")
            XCTAssertEqual(SerialNumber.isNewer(a, than: b), newer, "\(a) vs \(b)")
        }
        let r15 = SeqRewriter(bitWidth: 15)
        XCTAssertTrue(r15.isNewer(0, than: 32767))
        XCTAssertFalse(r15.isNewer(16384, than: 0))
        XCTAssertTrue(r15.isNewer(16383, than: 0))
        XCTAssertTrue(SerialNumber.isNewer(UInt32(5), than: UInt32.max))
        XCTAssertEqual(SerialNumber.distance(2, 65534), 4)
        XCTAssertEqual(SerialNumber.distance(65534, 2), -4)
    }
}

/// A small seeded generator, so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
