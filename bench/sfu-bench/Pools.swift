import BenchPeer
import Foundation
import Glibc
import JSON

/// A set of viewers the scenario drives: in this process (`LocalPool`) or
/// in a child process (`RemotePool`, same commands as JSON lines over pipes).
protocol ViewerPool: AnyObject {
    func addViewer(endpoint: String?, conference: String, streams: [StreamRef], group: Int) throws
    func removeViewers(count: Int, group: Int) throws
    func waitConnected(timeout: Double) throws -> (connecting: Int, failures: [String])
    func resetInterval() throws
    /// Tallies by group since the last reset, and this pool's process CPU seconds in that time.
    func collect() throws -> (tallies: [Int: Tally], cpuSeconds: Double)
    func shutdown()
}

/// Viewers (and publishers) in this process, on its `Fleet`.
final class LocalPool: ViewerPool {
    let fleet: Fleet
    private var cpuAtReset = ServerProcess.selfSample().cpuSeconds

    init(fleet: Fleet) { self.fleet = fleet }

    func addViewer(endpoint: String?, conference: String, streams: [StreamRef], group: Int) throws {
        try fleet.addViewer(endpoint: endpoint ?? "\(fleet.prefix)-v\(fleet.makeID())", conference: conference, streams: streams, group: group)
    }
    func removeViewers(count: Int, group: Int) throws { try fleet.removeViewers(count: count, group: group) }
    func waitConnected(timeout: Double) -> (connecting: Int, failures: [String]) { fleet.waitConnected(timeout: timeout) }
    func resetInterval() {
        fleet.resetInterval()
        cpuAtReset = ServerProcess.selfSample().cpuSeconds
    }
    func collect() -> (tallies: [Int: Tally], cpuSeconds: Double) {
        (fleet.collect(), ServerProcess.selfSample().cpuSeconds - cpuAtReset)
    }
    func shutdown() { fleet.shutdown() }
}

/// Reads newline-terminated lines from a file descriptor (blocking).
final class LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    init(fd: Int32) { self.fd = fd }

    func readLine() -> String? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                return line
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}

func writeLine(_ fd: Int32, _ json: JSON) {
    let bytes = Array((json.serialized() + "\n").utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { if errno == EINTR { continue }; return }
        off += n
    }
}

func streamJSON(_ s: StreamRef) -> JSON {
    ["conference": .string(s.conference), "stream": .string(s.streamId), "kinds": .int(Int64(s.kinds.rawValue))]
}

func streamRef(_ j: JSON) throws -> StreamRef {
    guard let c = j["conference"]?.stringValue, let s = j["stream"]?.stringValue, let k = j["kinds"]?.intValue else {
        throw BenchError("bad stream in command: \(j.serialized())")
    }
    return StreamRef(conference: c, streamId: s, kinds: MediaKinds(rawValue: Int(k)))
}

/// A child process of this program (`--child`) holding a share of the viewers.
final class RemotePool: ViewerPool {
    let process: Process
    let toChild: Int32
    let reader: LineReader

    init(arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : "/proc/self/exe")
        if p.executableURL?.path == "/proc/self/exe" {
            p.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        }
        p.arguments = arguments + ["--child"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        process = p
        toChild = input.fileHandleForWriting.fileDescriptor
        reader = LineReader(fd: output.fileHandleForReading.fileDescriptor)
        _ = try command(["cmd": "hello"])
        retained = (input, output)
    }
    private var retained: (Pipe, Pipe)?

    private func command(_ c: JSON) throws -> JSON {
        writeLine(toChild, c)
        guard let line = reader.readLine() else { throw BenchError("viewer process \(process.processIdentifier) exited") }
        let reply = try JSON.parse(line)
        if let e = reply["error"]?.stringValue { throw BenchError("viewer process: \(e)") }
        return reply
    }

    func addViewer(endpoint: String?, conference: String, streams: [StreamRef], group: Int) throws {
        var c: [String: JSON] = ["cmd": "add", "conference": .string(conference), "group": .int(Int64(group)),
                                 "streams": .array(streams.map(streamJSON))]
        if let endpoint { c["endpoint"] = .string(endpoint) }
        _ = try command(.object(c))
    }
    func removeViewers(count: Int, group: Int) throws {
        _ = try command(["cmd": "remove", "count": .int(Int64(count)), "group": .int(Int64(group))])
    }
    func waitConnected(timeout: Double) throws -> (connecting: Int, failures: [String]) {
        let r = try command(["cmd": "wait", "timeout": .double(timeout)])
        return (Int(r["connecting"]?.intValue ?? 0), r["failures"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
    func resetInterval() throws { _ = try command(["cmd": "reset"]) }
    func collect() throws -> (tallies: [Int: Tally], cpuSeconds: Double) {
        let r = try command(["cmd": "collect"])
        var out: [Int: Tally] = [:]
        for (k, v) in r["groups"]?.objectValue ?? [:] { if let g = Int(k) { out[g] = try Tally(json: v) } }
        let cpu: Double
        switch r["cpu_seconds"] { case .double(let d)?: cpu = d; case .int(let i)?: cpu = Double(i); default: cpu = 0 }
        return (out, cpu)
    }
    func shutdown() {
        _ = try? command(["cmd": "quit"])
        process.waitUntilExit()
    }
}

/// `--child`: serves a `LocalPool` to the parent over stdin/stdout, one JSON command and reply per line.
func runChild(_ o: BenchOptions) -> Never {
    let reader = LineReader(fd: 0)
    var pool: LocalPool?
    do {
        pool = LocalPool(fleet: try Fleet(url: o.url, credentials: o.credentials, settings: o.settings, prefix: "b\(getpid())"))
    } catch {
        writeLine(1, ["error": .string("setup: \(error)")])
        exit(1)
    }
    while let line = reader.readLine() {
        do {
            let c = try JSON.parse(line)
            switch c["cmd"]?.stringValue {
            case "hello": writeLine(1, ["ok": true])
            case "add":
                let streams = try (c["streams"]?.arrayValue ?? []).map(streamRef)
                try pool!.addViewer(endpoint: c["endpoint"]?.stringValue, conference: c["conference"]?.stringValue ?? "",
                                    streams: streams, group: Int(c["group"]?.intValue ?? 0))
                writeLine(1, ["ok": true])
            case "remove":
                try pool!.removeViewers(count: Int(c["count"]?.intValue ?? 0), group: Int(c["group"]?.intValue ?? 0))
                writeLine(1, ["ok": true])
            case "wait":
                var timeout = 10.0
                if case .double(let d)? = c["timeout"] { timeout = d } else if let i = c["timeout"]?.intValue { timeout = Double(i) }
                let r = pool!.waitConnected(timeout: timeout)
                writeLine(1, ["connecting": .int(Int64(r.connecting)), "failures": .array(r.failures.map { .string($0) })])
            case "reset":
                pool!.resetInterval()
                writeLine(1, ["ok": true])
            case "collect":
                let r = pool!.collect()
                var groups: [String: JSON] = [:]
                for (g, t) in r.tallies { groups[String(g)] = t.json }
                writeLine(1, ["groups": .object(groups), "cpu_seconds": .double(r.cpuSeconds)])
            case "quit":
                pool!.shutdown()
                writeLine(1, ["ok": true])
                exit(0)
            default:
                writeLine(1, ["error": .string("unknown command: \(line)")])
            }
        } catch {
            writeLine(1, ["error": .string("\(error)")])
        }
    }
    pool?.shutdown()
    exit(0)
}
