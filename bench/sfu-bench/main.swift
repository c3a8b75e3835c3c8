// sfu-bench: load benchmark of a running sfu server (issue 6). See bench/README.md.
import BenchPeer
import Foundation
import Glibc

signal(SIGPIPE, SIG_IGN)
let options = parseOptions(Array(CommandLine.arguments.dropFirst()))
if options.child { runChild(options) }

do {
    let runner = try Runner(options)
    do {
        switch options.scenario {
        case "ramp": try runner.ramp()
        case "meeting": try runner.meeting()
        case "audio-room": try runner.audioRoom()
        case "churn": try runner.churn()
        case "floor": try runner.floor()
        default: usage("unknown scenario \(options.scenario)")
        }
    } catch {
        errWrite("sfu-bench: \(error)\n")
        runner.finish()
        exit(1)
    }
    runner.finish()
} catch {
    errWrite("sfu-bench: \(error)\n")
    exit(1)
}
