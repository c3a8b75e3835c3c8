import BenchPeer
import Glibc

/// One command-line option: flag, value placeholder, default and help text
/// (the table `--help` prints, so every option is documented once).
struct OptionSpec {
    let flag: String
    let value: String?
    let defaultValue: String?
    let help: String
}

let optionTable: [OptionSpec] = [
    OptionSpec(flag: "--url", value: "URL", defaultValue: "http://127.0.0.1:8080", help: "The server's HTTP API (http:// only)."),
    OptionSpec(flag: "--token", value: "JWT", defaultValue: nil, help: "Bearer token to use (role SERVICE)."),
    OptionSpec(flag: "--client-id", value: "ID", defaultValue: nil, help: "OAuth client id: a token is fetched from /security/oauth/token (with --client-secret)."),
    OptionSpec(flag: "--client-secret", value: "SECRET", defaultValue: nil, help: "OAuth client secret. Without --token or --client-id no Authorization is sent (server with --auth off)."),
    OptionSpec(flag: "--server-pid", value: "PID", defaultValue: "found by the URL's port when local", help: "Server process to sample (/proc/PID/stat and status); a remote server is sampled through /metrics."),
    OptionSpec(flag: "--procs", value: "N", defaultValue: "1", help: "Harness processes. With N > 1 the parent runs the publishers and N child processes (spawned copies of this program) the viewers, in equal shares."),
    OptionSpec(flag: "--json", value: nil, defaultValue: nil, help: "Print one JSON line per step (and a summary line) on stdout."),
    OptionSpec(flag: "--svg", value: "PATH", defaultValue: nil, help: "Write an SVG chart (viewers vs server CPU %, loss %, p99 delay) of the steps."),
    OptionSpec(flag: "--media", value: "video|audio|both", defaultValue: "video", help: "What each publisher sends (ramp, churn, floor)."),
    OptionSpec(flag: "--video-bitrate", value: "BPS", defaultValue: "1500000", help: "Video bitrate of each publisher."),
    OptionSpec(flag: "--fps", value: "N", defaultValue: "30", help: "Video frames per second."),
    OptionSpec(flag: "--keyframe-interval", value: "SECONDS", defaultValue: "2", help: "A VP8 key frame every this many seconds (and on PLI/FIR)."),
    OptionSpec(flag: "--publishers", value: "N", defaultValue: "1", help: "Publishers in ramp and floor; every viewer views all of them."),
    OptionSpec(flag: "--step", value: "N", defaultValue: "25", help: "ramp: viewers added per step."),
    OptionSpec(flag: "--step-seconds", value: "SECONDS", defaultValue: "10", help: "Measured time of each step (every scenario)."),
    OptionSpec(flag: "--settle", value: "SECONDS", defaultValue: "2", help: "Wait after the new peers connected before measuring."),
    OptionSpec(flag: "--max-viewers", value: "N", defaultValue: "500", help: "ramp: stop after this many viewers."),
    OptionSpec(flag: "--max-loss", value: "PERCENT", defaultValue: "0.5", help: "ramp: a step holds while loss stays at or below this."),
    OptionSpec(flag: "--max-p99", value: "MS", defaultValue: "50", help: "ramp: a step holds while the p99 one-way delay stays at or below this."),
    OptionSpec(flag: "--participants", value: "N", defaultValue: "10", help: "meeting: participants, each publishing (--media, default both here) and viewing all others."),
    OptionSpec(flag: "--speakers", value: "N", defaultValue: "4", help: "audio-room: audio publishers."),
    OptionSpec(flag: "--listeners", value: "N", defaultValue: "100", help: "audio-room: listeners, each viewing every speaker."),
    OptionSpec(flag: "--stable-viewers", value: "N", defaultValue: "20", help: "churn: viewers that stay for the whole run."),
    OptionSpec(flag: "--churn-viewers", value: "N", defaultValue: "10", help: "churn: viewers coming and going at once."),
    OptionSpec(flag: "--churn-period", value: "SECONDS", defaultValue: "0.5", help: "churn: one viewer joins (and the oldest churner leaves) this often."),
    OptionSpec(flag: "--fanout", value: "N", defaultValue: "50", help: "floor: viewers of the server step and outputs of floor-bench."),
    OptionSpec(flag: "--floor-bench", value: "PATH", defaultValue: "floor-bench next to this program", help: "floor: the floor-bench binary."),
    OptionSpec(flag: "--conference", value: "ID", defaultValue: "bench-<scenario>-<pid>", help: "Conference id to create (ended at exit)."),
    OptionSpec(flag: "--child", value: nil, defaultValue: nil, help: "(internal) run as a viewer process driven through stdin/stdout."),
    OptionSpec(flag: "--help", value: nil, defaultValue: nil, help: "Print this help."),
]

/// Parsed options of one run.
struct BenchOptions {
    var scenario = ""
    var url = "http://127.0.0.1:8080"
    var token: String?
    var clientID: String?
    var clientSecret: String?
    var serverPID: Int32?
    var procs = 1
    var json = false
    var svg: String?
    var media: MediaKinds = .video
    var mediaGiven = false
    var settings = PublisherSettings()
    var publishers = 1
    var step = 25
    var stepSeconds = 10.0
    var settle = 2.0
    var maxViewers = 500
    var maxLoss = 0.5
    var maxP99 = 50.0
    var participants = 10
    var speakers = 4
    var listeners = 100
    var stableViewers = 20
    var churnViewers = 10
    var churnPeriod = 0.5
    var fanout = 50
    var floorBench: String?
    var conference: String?
    var child = false
    /// The arguments to pass on to child processes.
    var passThrough: [String] = []

    var credentials: BenchCredentials {
        if let token { return .token(token) }
        if let clientID { return .client(id: clientID, secret: clientSecret ?? "") }
        return .none
    }
}

let scenarios = ["ramp", "meeting", "audio-room", "churn", "floor"]

func usage(_ error: String? = nil) -> Never {
    var text = """
    usage: sfu-bench ramp|meeting|audio-room|churn|floor [options]

    Load benchmark of a running sfu server through its Conference API, with
    emulated WebRTC peers on our own ICE (controlling), DTLS (client) and SRTP
    stack: publishers send VP8/Opus RTP that carries its send time, viewers
    verify SRTP and measure loss, duplicates, reordering, key frame waits and
    one-way delay. Server CPU and RSS come from /proc (local) or /metrics.

      ramp        one publisher (--publishers), viewers added in --step steps until loss > --max-loss %
                  or p99 delay > --max-p99 ms, or --max-viewers; reports the largest count that held
      meeting     --participants, each publishing and viewing every other
      audio-room  --speakers audio publishers, --listeners viewing all of them
      churn       --stable-viewers watch while --churn-viewers join and leave every --churn-period;
                  reports whether the stable viewers saw any glitch (loss, >100 ms freeze, SRTP failure)
      floor       floor-bench at --fanout (this machine's forwarding floor), then the server at the same
                  fan-out; prints the ratio of their packets per CPU-second

    A human table goes to stderr (progress while it runs); --json prints one JSON line per step.

    options:

    """
    for o in optionTable {
        var line = "  " + o.flag + (o.value.map { " " + $0 } ?? "")
        line += String(repeating: " ", count: max(1, 30 - line.count))
        line += o.help
        if let d = o.defaultValue { line += " (default: \(d))" }
        text += line + "\n"
    }
    if let error {
        errWrite("sfu-bench: \(error) (see sfu-bench --help)\n")
        exit(2)
    }
    print(text, terminator: "")
    exit(0)
}

func parseOptions(_ args: [String]) -> BenchOptions {
    var o = BenchOptions()
    var it = args.makeIterator()
    func value(_ flag: String) -> String {
        guard let v = it.next() else { usage("\(flag) needs a value") }
        return v
    }
    func int(_ flag: String, _ range: ClosedRange<Int>) -> Int {
        let v = value(flag)
        guard let n = Int(v), range.contains(n) else { usage("\(flag) must be an integer in \(range.lowerBound)...\(range.upperBound), not '\(v)'") }
        return n
    }
    func double(_ flag: String, _ range: ClosedRange<Double>) -> Double {
        let v = value(flag)
        guard let n = Double(v), range.contains(n) else { usage("\(flag) must be a number in \(range.lowerBound)...\(range.upperBound), not '\(v)'") }
        return n
    }
    while let a = it.next() {
        switch a {
        case "-h", "--help": usage()
        case "--url": o.url = value(a); o.passThrough += [a, o.url]
        case "--token": o.token = value(a); o.passThrough += [a, o.token!]
        case "--client-id": o.clientID = value(a); o.passThrough += [a, o.clientID!]
        case "--client-secret": o.clientSecret = value(a); o.passThrough += [a, o.clientSecret!]
        case "--server-pid": o.serverPID = Int32(int(a, 1...Int(Int32.max)))
        case "--procs": o.procs = int(a, 1...64)
        case "--json": o.json = true
        case "--svg": o.svg = value(a)
        case "--media":
            switch value(a) {
            case "video": o.media = .video
            case "audio": o.media = .audio
            case "both": o.media = .both
            default: usage("--media must be video, audio or both")
            }
            o.mediaGiven = true
        case "--video-bitrate": o.settings.videoBitrate = int(a, 10_000...50_000_000)
        case "--fps": o.settings.fps = int(a, 1...120)
        case "--keyframe-interval": o.settings.keyframeInterval = double(a, 0.1...600)
        case "--publishers": o.publishers = int(a, 1...100)
        case "--step": o.step = int(a, 1...10_000)
        case "--step-seconds": o.stepSeconds = double(a, 0.5...3600)
        case "--settle": o.settle = double(a, 0...600)
        case "--max-viewers": o.maxViewers = int(a, 1...100_000)
        case "--max-loss": o.maxLoss = double(a, 0...100)
        case "--max-p99": o.maxP99 = double(a, 0.1...100_000)
        case "--participants": o.participants = int(a, 2...200)
        case "--speakers": o.speakers = int(a, 1...200)
        case "--listeners": o.listeners = int(a, 0...100_000)
        case "--stable-viewers": o.stableViewers = int(a, 1...100_000)
        case "--churn-viewers": o.churnViewers = int(a, 1...10_000)
        case "--churn-period": o.churnPeriod = double(a, 0.01...60)
        case "--fanout": o.fanout = int(a, 1...10_000)
        case "--floor-bench": o.floorBench = value(a)
        case "--conference": o.conference = value(a)
        case "--child": o.child = true
        default:
            if o.scenario.isEmpty, scenarios.contains(a) { o.scenario = a } else { usage("unknown argument '\(a)'") }
        }
    }
    if o.clientSecret != nil && o.clientID == nil { usage("--client-secret needs --client-id") }
    if !o.child && o.scenario.isEmpty { usage("name a scenario") }
    if o.scenario == "meeting" && !o.mediaGiven { o.media = .both }
    return o
}
