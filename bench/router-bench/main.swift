// router-bench: the cost of the server's forwarding path per forwarded packet.
// One publisher and N viewers connected to a WorkerRouter in-process through
// our client-role ICE/DTLS/SRTP (RouterHarness); the steady workload of the
// allocation test (1200-byte VP8 video, Opus, RTX repairs, SR/RR/NACK/PLI,
// the 10 ms timer) is pushed through WorkerRouter.received, and the thread CPU
// time spent inside the router's calls (unprotect, rewriting, NACK cache,
// stats, protect, sendmmsg on loopback) is divided by the packets it sent.
// Prints one JSON line. See README.md.
import CAllocCounter
import Glibc
import Handoff
import RouterHarness

struct Options {
    var viewers = 50
    var pipedViewers = 0
    var packets = 20_000
    var warmup = 2_000
    var floor: Double? = nil
    var verify = false
    var countAllocations = false
    var pin = true
    var pktinfo = true
}

func usage() -> Never {
    print("""
    usage: router-bench [--viewers N] [--piped N] [--packets N] [--warmup N] [--floor PPS] [--verify] [--alloc] [--no-pin] [--no-pktinfo]
      --viewers  viewers of the one publisher (fan-out, default 50)
      --piped    of the viewers, how many sit on a second router fed through a PipeRing
                 (both routers run on this thread: the CPU figure is their sum)
      --packets  video packets measured (default 20000), after --warmup packets (default 2000)
      --floor    floor-bench's sent_packets_per_cpu_second from the same session: adds "ratio"
      --verify   viewers SRTP-unprotect and check every packet (outside the measured calls)
      --alloc    also count heap allocations inside router calls (libsrtp2's included)
      --no-pin   do not pin the thread to CPU 0
      --no-pktinfo  paths without a local address: no IP_PKTINFO source per sent datagram
                 (the cost of a socket bound per local address, which needs none)
    Prints one JSON line: ns_per_forwarded_packet, forwarded_per_cpu_second, ratio to --floor.
    """)
    exit(2)
}

func parse() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    func value() -> String { guard let v = args.next() else { usage() }; return v }
    while let a = args.next() {
        switch a {
        case "--viewers": guard let v = Int(value()), (1...2000).contains(v) else { usage() }; o.viewers = v
        case "--piped": guard let v = Int(value()), v >= 0 else { usage() }; o.pipedViewers = v
        case "--packets": guard let v = Int(value()), v > 0 else { usage() }; o.packets = v
        case "--warmup": guard let v = Int(value()), v >= 0 else { usage() }; o.warmup = v
        case "--floor": guard let v = Double(value()), v > 0 else { usage() }; o.floor = v
        case "--verify": o.verify = true
        case "--alloc": o.countAllocations = true
        case "--no-pin": o.pin = false
        case "--no-pktinfo": o.pktinfo = false
        default: usage()
        }
    }
    return o
}

/// Pins the calling thread to one CPU (sched_setaffinity needs _GNU_SOURCE: looked up).
func pinThisThread(to cpu: Int) {
    typealias SetAffinity = @convention(c) (Int32, Int, UnsafeRawPointer) -> Int32
    guard let sym = dlsym(dlopen(nil, RTLD_NOW), "sched_setaffinity") else { return }
    var mask = [UInt64](repeating: 0, count: 16)
    mask[cpu / 64] |= 1 << UInt64(cpu % 64)
    _ = mask.withUnsafeBytes { unsafeBitCast(sym, to: SetAffinity.self)(0, $0.count, $0.baseAddress!) }
}

let o = parse()
if o.pin { pinThisThread(to: 0) }
let conference = try LoopbackConference(viewers: o.viewers, pipedViewers: o.pipedViewers, sourceAddress: o.pktinfo)
try conference.connect()
var traffic = LoopbackConference.TrafficState()
conference.runTraffic(&traffic, iterations: o.warmup, verify: o.verify)
@MainActor func forwardedSoFar() -> UInt64 { conference.router.currentStats().rtpOut + (conference.downstream?.currentStats().rtpOut ?? 0) }
let forwardedBefore = forwardedSoFar()
let trafficBefore = traffic
let callsBefore = conference.routerLibsrtpCalls()
let refusedBefore = conference.outbox.dropped
conference.resetCounters()
conference.measureCPU = true
conference.countAllocations = o.countAllocations
let wall0 = monotonicNowForBench()
conference.runTraffic(&traffic, iterations: o.packets, verify: o.verify)
let wall = Double(monotonicNowForBench() - wall0) / 1e9
conference.measureCPU = false
conference.countAllocations = false
let stats = conference.router.currentStats()
let forwarded = forwardedSoFar() - forwardedBefore
let cpu = Double(conference.routerCPUNanoseconds)
let nsPerPacket = cpu / Double(max(forwarded, 1))
let perCPUSecond = Double(forwarded) / (cpu / 1e9)
var fields: [(String, String)] = [
    ("viewers", "\(o.viewers)"), ("piped_viewers", "\(min(o.pipedViewers, o.viewers))"), ("video_packets", "\(traffic.videoSent - trafficBefore.videoSent)"),
    ("audio_packets", "\(traffic.audioSent - trafficBefore.audioSent)"), ("rtx_packets", "\(traffic.rtxSent - trafficBefore.rtxSent)"),
    ("rtcp_packets", "\(traffic.rtcpSent - trafficBefore.rtcpSent)"),
    ("forwarded", "\(forwarded)"), ("router_cpu_s", fixed(cpu / 1e9, 4)), ("wall_s", fixed(wall, 3)),
    ("ns_per_forwarded_packet", fixed(nsPerPacket, 1)),
    ("forwarded_per_cpu_second", fixed(perCPUSecond, 0)),
    ("send_refused", "\(conference.outbox.dropped - refusedBefore)"),
    ("srtp_errors", "\(stats.srtpErrors)"), ("nack_resent", "\(stats.nackResent)"), ("nack_missed", "\(stats.nackMissed)"),
]
if let f = o.floor { fields.append(("floor_per_cpu_second", fixed(f, 0))); fields.append(("ratio", fixed(perCPUSecond / f, 3))) }
if o.verify { fields.append(("verify_failures", "\(conference.viewerFailures)")) }
if o.countAllocations {
    let calls = conference.routerLibsrtpCalls() - callsBefore
    fields.append(("allocations", "\(conference.routerAllocations)"))
    fields.append(("libsrtp_calls", "\(calls)"))
}
print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")

func monotonicNowForBench() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// `x` with `digits` decimals (no Foundation).
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "null" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (x * scale).rounded()
    let whole = Int64(v / scale)
    if digits == 0 { return "\(whole)" }
    var frac = String(Int64(abs(v) - abs(Double(whole)) * scale))
    while frac.count < digits { frac = "0" + frac }
    return (v < 0 && whole == 0 ? "-" : "") + "\(whole).\(frac)"
}
