// floor-bench: this machine's forwarding floor. A minimal forwarder with no SFU
// logic — recvmmsg → one unprotect → F × (copy, rewrite SSRC/seq, protect) →
// sendmmsg — over the same libsrtp2 sessions (SRTPSession) the server uses.
// Three threads in one process: sender → forwarder → sink, over loopback UDP.
// Prints one JSON line. See README.md.
import CAllocCounter
import CSystem
import DTLS
import Glibc
import Synchronization

// MARK: options

struct Options: Sendable {
    var profile: SRTPProfile = .aeadAES128GCM
    var fanout = 50
    var seconds = 10.0
    var warmup = 1.0
    var pps = 0            // 0: as fast as the forwarder drains (bounded in-flight window)
    var window = 512       // unpaced mode: max packets sent but not yet received by the forwarder
    var payload = 1200     // RTP packet length before protection
    var pin = true         // forwarder on CPU 0, sender and sink on CPU 1
    var verify = false     // sink unprotects every packet with the output's keys (slower sink)
}

func usage() -> Never {
    print("""
    usage: floor-bench [--profile gcm|cm80] [--fanout F] [--seconds S] [--warmup S]
                       [--pps N] [--window N] [--size BYTES] [--no-pin]
      --profile   SRTP profile: gcm (AEAD_AES_128_GCM, default) or cm80 (AES_CM_128_HMAC_SHA1_80)
      --fanout    outputs per received packet (default 50)
      --seconds   measured interval (default 10), after --warmup (default 1)
      --pps       sender rate in packets/s; 0 (default) = as fast as the forwarder drains,
                  keeping at most --window (default 512) packets in flight
      --size      RTP packet size before SRTP (default 1200)
      --no-pin    do not pin threads (default: forwarder on CPU 0, sender and sink on CPU 1)
      --verify    the sink SRTP-unprotects every forwarded packet and checks its SSRC
                  (a correctness check; the slower sink may drop packets)
      --alloc-probe  only print heap allocations per SRTP protect/unprotect, for both profiles
    Prints one JSON line; sent_packets_per_cpu_second is the floor figure.
    """)
    exit(2)
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    func value(_ name: String) -> String { guard let v = args.next() else { usage() }; return v }
    while let a = args.next() {
        switch a {
        case "--profile":
            switch value(a) {
            case "gcm": o.profile = .aeadAES128GCM
            case "cm80", "cm": o.profile = .aes128CMHmacSHA1_80
            default: usage()
            }
        case "--fanout": guard let v = Int(value(a)), (1...4096).contains(v) else { usage() }; o.fanout = v
        case "--seconds": guard let v = Double(value(a)), v > 0 else { usage() }; o.seconds = v
        case "--warmup": guard let v = Double(value(a)), v >= 0 else { usage() }; o.warmup = v
        case "--pps": guard let v = Int(value(a)), v >= 0 else { usage() }; o.pps = v
        case "--window": guard let v = Int(value(a)), v >= 32 else { usage() }; o.window = v
        case "--size": guard let v = Int(value(a)), (12...1400).contains(v) else { usage() }; o.payload = v
        case "--no-pin": o.pin = false
        case "--verify": o.verify = true
        case "-h", "--help": usage()
        default: usage()
        }
    }
    return o
}

// MARK: shared state (atomics only)

/// 0 warm-up, 1 measuring, 2 stop.
let phase = Atomic<Int>(0)
let senderSent = Atomic<Int>(0)
let forwarderReceived = Atomic<Int>(0)
let forwarderSent = Atomic<Int>(0)
let forwarderRefused = Atomic<Int>(0)
let forwarderErrors = Atomic<Int>(0)
let sinkReceived = Atomic<Int>(0)
let sinkVerifyFailures = Atomic<Int>(0)
/// Forwarder's counters and thread CPU time at the start and end of the measured interval.
let fwdStartCPU = Atomic<Int>(-1), fwdEndCPU = Atomic<Int>(-1)
let fwdStartRecv = Atomic<Int>(0), fwdEndRecv = Atomic<Int>(0)
let fwdStartSent = Atomic<Int>(0), fwdEndSent = Atomic<Int>(0)
let threadsDone = Atomic<Int>(0)
/// Heap allocations the forwarder thread made during the measured interval (CAllocCounter).
let fwdAllocations = Atomic<Int>(-1)

// MARK: helpers

func threadCPUNanos() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

func monotonicNanos() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// Pins the calling thread to one CPU (sched_setaffinity on tid 0 = this thread).
func pinThisThread(to cpu: Int) {
    var set = cpu_set_t()
    withUnsafeMutableBytes(of: &set) { raw in
        raw.storeBytes(of: UInt64(1) << UInt64(cpu), toByteOffset: 0, as: UInt64.self)
    }
    // sched_setaffinity needs _GNU_SOURCE, which Glibc's module does not define: look it up.
    typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
    guard let sym = dlsym(dlopen(nil, RTLD_NOW), "sched_setaffinity") else { return }
    _ = withUnsafePointer(to: &set) { unsafeBitCast(sym, to: SetAffinity.self)(0, MemoryLayout<cpu_set_t>.size, $0) }
}

/// A non-blocking IPv4 UDP socket on 127.0.0.1 with an ephemeral port.
func udpSocket(bufferBytes: Int32) -> (fd: Int32, address: sockaddr_storage, length: socklen_t) {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    precondition(fd >= 0, "socket failed")
    csys_set_socket_buffers(fd, bufferBytes)
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    sin.sin_port = 0
    let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    precondition(rc == 0, "bind failed")
    var ss = sockaddr_storage()
    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, ss, len)
}

/// A fixed array of csys_datagram over a preallocated buffer region.
final class Batch {
    let capacity: Int
    let slotSize: Int
    let messages: UnsafeMutablePointer<csys_datagram>
    let buffers: UnsafeMutableRawPointer
    var count = 0

    init(capacity: Int, slotSize: Int = 2048) {
        self.capacity = capacity
        self.slotSize = slotSize
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: csys_datagram(), count: capacity)
        buffers = .allocate(byteCount: capacity * slotSize, alignment: 64)
        buffers.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * slotSize)
        for i in 0..<capacity {
            messages[i].buf = buffers + i * slotSize
            messages[i].cap = UInt32(slotSize - 256)
        }
    }

    @inline(__always) func slot(_ i: Int) -> UnsafeMutableRawPointer { buffers + i * slotSize }

    /// Sends messages 0..<count with sendmmsg; returns how many the kernel refused.
    @inline(__always) func flush(fd: Int32) -> Int {
        var sent = 0, refused = 0
        while sent < count {
            let n = csys_send_batch(fd, messages + sent, Int32(count - sent))
            if n > 0 { sent += Int(n); continue }
            if n < 0 && csys_errno() == EINTR { continue }
            refused += 1
            sent += 1
        }
        count = 0
        return refused
    }
}

@inline(__always) func store32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
}
@inline(__always) func store16(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt16) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
}

/// Fixed keying material (2 × (key + salt)) so every run uses the same keys.
func keyingMaterial(_ profile: SRTPProfile) -> [UInt8] {
    (0..<profile.keyingMaterialLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
}

/// Output i's keys: the fixed material with its first byte varied (server side
/// protects, the viewer — client side — unprotects).
func outputKeys(_ profile: SRTPProfile, _ i: Int, isClient: Bool) -> SRTPKeys {
    var m = keyingMaterial(profile)
    m[0] = UInt8(truncatingIfNeeded: i)
    return SRTPKeys(profile: profile, keyingMaterial: m, isClient: isClient)!
}

func waitReadable(_ fd: Int32, timeoutMs: Int32) {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    _ = poll(&p, 1, timeoutMs)
}

// MARK: threads

/// Sender: SRTP-protects synthetic RTP packets (client keys) and sends them in
/// batches of 32 to the forwarder.
func runSender(_ o: Options, fd: Int32, to dst: sockaddr_storage, _ dstLen: socklen_t) {
    if o.pin { pinThisThread(to: 1) }
    let keys = SRTPKeys(profile: o.profile, keyingMaterial: keyingMaterial(o.profile), isClient: true)!
    let tx = try! SRTPSession(outbound: keys)
    let batch = Batch(capacity: 32)
    for i in 0..<batch.capacity { batch.messages[i].addr = dst; batch.messages[i].addrlen = dstLen }
    var seq: UInt16 = 0
    var ts: UInt32 = 0
    var sent = 0
    let start = monotonicNanos()
    while phase.load(ordering: .relaxed) < 2 {
        if o.pps > 0 {
            // Fixed rate: send what is due by now, in batches of up to 32.
            let due = Int(Double(monotonicNanos() - start) * Double(o.pps) / 1e9)
            if due - sent < 1 { usleep(200); continue }
            batch.count = min(32, due - sent)
        } else {
            // As fast as the forwarder drains: keep at most `window` packets in flight.
            let inflight = sent - forwarderReceived.load(ordering: .relaxed)
            if inflight > o.window - 32 { sched_yield(); continue }
            batch.count = 32
        }
        for i in 0..<batch.count {
            let p = batch.slot(i)
            p.storeBytes(of: 0x80, toByteOffset: 0, as: UInt8.self)
            p.storeBytes(of: 96, toByteOffset: 1, as: UInt8.self)
            store16(p, 2, seq)
            store32(p, 4, ts)
            store32(p, 8, 0x1234_5678)
            seq &+= 1
            if seq & 7 == 0 { ts &+= 3000 }
            let n = try! tx.protectRTP(p, length: o.payload, capacity: batch.slotSize)
            batch.messages[i].len = UInt32(n)
        }
        let k = batch.count
        _ = batch.flush(fd: fd)
        sent += k
        senderSent.store(sent, ordering: .relaxed)
    }
    threadsDone.add(1, ordering: .relaxed)
}

/// Forwarder: recvmmsg (32) → unprotect (server inbound) → for each of F
/// outputs copy, rewrite SSRC and sequence number, protect with that output's
/// outbound session → sendmmsg (64 per call) to F sink addresses.
func runForwarder(_ o: Options, fd: Int32, sinks: [sockaddr_storage], _ sinkLen: socklen_t) {
    if o.pin { pinThisThread(to: 0) }
    let keys = SRTPKeys(profile: o.profile, keyingMaterial: keyingMaterial(o.profile), isClient: false)!
    let rx = try! SRTPSession(inbound: keys)
    // One outbound session per output (a real SFU has one per viewer transport).
    let outbound: [SRTPSession] = (0..<o.fanout).map { i in try! SRTPSession(outbound: outputKeys(o.profile, i, isClient: false), replayWindow: 2048) }
    let F = o.fanout
    let recv = Batch(capacity: 32)
    let send = Batch(capacity: 64)
    // Per-output state, preallocated.
    let outSeq = UnsafeMutablePointer<UInt16>.allocate(capacity: F)
    outSeq.initialize(repeating: 0, count: F)
    let outSSRC = UnsafeMutablePointer<UInt32>.allocate(capacity: F)
    for i in 0..<F { outSSRC[i] = 0x5000_0000 &+ UInt32(i) }
    let sinkAddr = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: F)
    for i in 0..<F { sinkAddr[i] = sinks[i % sinks.count] }

    var received = 0, sentTotal = 0, refused = 0, errors = 0
    var seenPhase = 0
    while true {
        let ph = phase.load(ordering: .relaxed)
        if ph != seenPhase {
            seenPhase = ph
            if ph == 1 {
                fwdStartRecv.store(received, ordering: .relaxed)
                fwdStartSent.store(sentTotal, ordering: .relaxed)
                fwdStartCPU.store(threadCPUNanos(), ordering: .releasing)
                alloc_counter_start()
            } else {
                fwdAllocations.store(seenPhase == 2 && fwdStartCPU.load(ordering: .relaxed) >= 0 ? Int(alloc_counter_stop()) : -1, ordering: .relaxed)
                fwdEndRecv.store(received, ordering: .relaxed)
                fwdEndSent.store(sentTotal, ordering: .relaxed)
                fwdEndCPU.store(threadCPUNanos(), ordering: .releasing)
                break
            }
        }
        let n = Int(csys_recv_batch(fd, recv.messages, Int32(recv.capacity)))
        if n <= 0 { waitReadable(fd, timeoutMs: 20); continue }
        received += n
        forwarderReceived.store(received, ordering: .relaxed)
        for j in 0..<n {
            let src = recv.slot(j)
            guard let len = try? rx.unprotectRTP(src, length: Int(recv.messages[j].len)) else { errors += 1; continue }
            for i in 0..<F {
                let k = send.count
                let dst = send.slot(k)
                dst.copyMemory(from: src, byteCount: len)
                store16(dst, 2, outSeq[i])
                outSeq[i] &+= 1
                store32(dst, 8, outSSRC[i])
                guard let plen = try? outbound[i].protectRTP(dst, length: len, capacity: send.slotSize) else { errors += 1; continue }
                send.messages[k].len = UInt32(plen)
                send.messages[k].addr = sinkAddr[i]
                send.messages[k].addrlen = sinkLen
                send.count = k + 1
                sentTotal += 1
                if send.count == send.capacity { refused += send.flush(fd: fd) }
            }
        }
        if send.count > 0 { refused += send.flush(fd: fd) }
        forwarderSent.store(sentTotal, ordering: .relaxed)
    }
    forwarderRefused.store(refused, ordering: .relaxed)
    forwarderErrors.store(errors, ordering: .relaxed)
    threadsDone.add(1, ordering: .relaxed)
}

/// Sink: F sockets (one per output), drained with recvmmsg into 64-byte
/// buffers (the kernel truncates), counting and dropping.
func runSink(_ o: Options, fds: [Int32]) {
    if o.pin { pinThisThread(to: 1) }
    let batch = Batch(capacity: 64, slotSize: o.verify ? 2048 : 320)
    if !o.verify { for i in 0..<batch.capacity { batch.messages[i].cap = 64 } }
    let inbound: [SRTPSession] = o.verify ? (0..<fds.count).map { i in try! SRTPSession(inbound: outputKeys(o.profile, i, isClient: true), replayWindow: 0x7fff) } : []
    var failures = 0
    let pfds = UnsafeMutablePointer<pollfd>.allocate(capacity: fds.count)
    for (i, fd) in fds.enumerated() { pfds[i] = pollfd(fd: fd, events: Int16(POLLIN), revents: 0) }
    var got = 0
    while phase.load(ordering: .relaxed) < 2 {
        let r = poll(pfds, nfds_t(fds.count), 20)
        if r <= 0 { continue }
        for i in 0..<fds.count where pfds[i].revents != 0 {
            while true {
                let n = Int(csys_recv_batch(pfds[i].fd, batch.messages, Int32(batch.capacity)))
                if n <= 0 { break }
                got += n
                if o.verify {
                    for j in 0..<n {
                        let p = batch.slot(j)
                        let len = try? inbound[i].unprotectRTP(p, length: Int(batch.messages[j].len))
                        if len != o.payload || UInt32(bigEndian: p.load(fromByteOffset: 8, as: UInt32.self)) != 0x5000_0000 &+ UInt32(i) {
                            failures += 1
                        }
                    }
                    sinkVerifyFailures.store(failures, ordering: .relaxed)
                }
                if n < batch.capacity { break }
            }
        }
        sinkReceived.store(got, ordering: .relaxed)
    }
    threadsDone.add(1, ordering: .relaxed)
}

// MARK: main

final class Box: @unchecked Sendable { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }

func spawn(_ body: @escaping @Sendable () -> Void) {
    var tid = pthread_t()
    let ctx = Unmanaged.passRetained(Box(body)).toOpaque()
    let rc = pthread_create(&tid, nil, { arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        box.body()
        return nil
    }, ctx)
    precondition(rc == 0, "pthread_create failed")
    pthread_detach(tid)
}

/// --alloc-probe: heap allocations per protect, per unprotect and per copy+rewrite, 10,000 each.
func allocProbe(_ profile: SRTPProfile) {
    let m = keyingMaterial(profile)
    let tx = try! SRTPSession(outbound: SRTPKeys(profile: profile, keyingMaterial: m, isClient: true)!)
    let rx = try! SRTPSession(inbound: SRTPKeys(profile: profile, keyingMaterial: m, isClient: false)!)
    let n = 10_000
    let buf = UnsafeMutableRawPointer.allocate(byteCount: n * 2048, alignment: 64)
    buf.initializeMemory(as: UInt8.self, repeating: 0, count: n * 2048)
    var lens = [Int](repeating: 0, count: n)
    for i in 0..<n {
        let p = buf + i * 2048
        p.storeBytes(of: 0x80, as: UInt8.self)
        store16(p, 2, UInt16(i)); store32(p, 8, 0xABCD)
    }
    alloc_counter_start()
    for i in 0..<n { lens[i] = try! tx.protectRTP(buf + i * 2048, length: 1200, capacity: 2048) }
    let protectAllocs = alloc_counter_stop()
    alloc_counter_start()
    for i in 0..<n { lens[i] = try! rx.unprotectRTP(buf + i * 2048, length: lens[i]) }
    let unprotectAllocs = alloc_counter_stop()
    print("{\"profile\":\"\(profile)\",\"allocations_per_protect\":\(Double(protectAllocs) / Double(n)),\"allocations_per_unprotect\":\(Double(unprotectAllocs) / Double(n))}")
}
if CommandLine.arguments.contains("--alloc-probe") {
    allocProbe(.aeadAES128GCM); allocProbe(.aes128CMHmacSHA1_80); exit(0)
}

let o = parseOptions()
let bufferBytes: Int32 = 8 << 20
let fwd = udpSocket(bufferBytes: bufferBytes)
let senderSock = udpSocket(bufferBytes: bufferBytes)
let sinkSocks = (0..<o.fanout).map { _ in udpSocket(bufferBytes: 4 << 20) }
let sinkAddrs = sinkSocks.map(\.address)
let sinkLen = sinkSocks[0].length
let sinkFds = sinkSocks.map(\.fd)
let fwdAddr = fwd.address, fwdLen = fwd.length, fwdFd = fwd.fd, sendFd = senderSock.fd
let opts = o

spawn { runSink(opts, fds: sinkFds) }
spawn { runForwarder(opts, fd: fwdFd, sinks: sinkAddrs, sinkLen) }
spawn { runSender(opts, fd: sendFd, to: fwdAddr, fwdLen) }

usleep(UInt32(o.warmup * 1e6))
let s0 = senderSent.load(ordering: .relaxed), k0 = sinkReceived.load(ordering: .relaxed)
let t0 = monotonicNanos()
phase.store(1, ordering: .relaxed)
usleep(UInt32(o.seconds * 1e6))
let s1 = senderSent.load(ordering: .relaxed), k1 = sinkReceived.load(ordering: .relaxed)
let t1 = monotonicNanos()
phase.store(2, ordering: .relaxed)
while threadsDone.load(ordering: .relaxed) < 3 { usleep(10_000) }

let wall = Double(t1 - t0) / 1e9
let cpu = Double(fwdEndCPU.load(ordering: .acquiring) - fwdStartCPU.load(ordering: .acquiring)) / 1e9
let recvN = fwdEndRecv.load(ordering: .relaxed) - fwdStartRecv.load(ordering: .relaxed)
let sentN = fwdEndSent.load(ordering: .relaxed) - fwdStartSent.load(ordering: .relaxed)
let senderN = s1 - s0, sinkN = k1 - k0
func r(_ x: Double, _ places: Int = 1) -> String {
    var p = 1.0; for _ in 0..<places { p *= 10 }
    let v = (x * p).rounded() / p
    return places == 0 ? String(Int(v)) : String(v)
}
// Loss: what the sink did not get of what the sender sent × F (over the measured interval).
let expected = Double(senderN) * Double(o.fanout)
let loss = expected > 0 ? max(0, 1 - Double(sinkN) / expected) : 0
let ingressLoss = senderN > 0 ? max(0, 1 - Double(recvN) / Double(senderN)) : 0
print("{\"profile\":\"\(o.profile == .aeadAES128GCM ? "gcm" : "cm80")\",\"fanout\":\(o.fanout),\"size\":\(o.payload),"
    + "\"seconds\":\(r(wall, 2)),\"pps_target\":\(o.pps),"
    + "\"received_pps\":\(r(Double(recvN) / wall, 0)),\"sent_pps\":\(r(Double(sentN) / wall, 0)),"
    + "\"sink_pps\":\(r(Double(sinkN) / wall, 0)),"
    + "\"forwarder_cpu\":\(r(cpu / wall, 3)),"
    + "\"cpu_us_per_sent_packet\":\(r(cpu * 1e6 / Double(max(sentN, 1)), 3)),"
    + "\"sent_packets_per_cpu_second\":\(r(Double(sentN) / max(cpu, 1e-9), 0)),"
    + "\"loss\":\(r(loss, 5)),\"ingress_loss\":\(r(ingressLoss, 5)),"
    + "\"send_refused\":\(forwarderRefused.load(ordering: .relaxed)),\"srtp_errors\":\(forwarderErrors.load(ordering: .relaxed)),"
    + (o.verify ? "\"verify_failures\":\(sinkVerifyFailures.load(ordering: .relaxed))," : "")
    + "\"forwarder_allocations\":\(fwdAllocations.load(ordering: .relaxed))}")
