import CSystem
import DTLS
import Foundation
import Glibc

/// The one event-loop thread that drives every emulated peer of a process:
/// epoll over one non-blocking UDP socket per peer, `recvmmsg` batches,
/// timers for ICE/DTLS/RTCP, and the publishers' frame clock. The control
/// thread (signalling over HTTP) never touches a peer: it posts closures
/// through a locked mailbox and an eventfd, and `sync` waits for their result.
///
/// State is only touched on the loop thread, which is why the class may be
/// `@unchecked Sendable`.
public final class PeerLoop: @unchecked Sendable {
    public let context: DTLSContext
    private let epfd: Int32
    private let wakeFD: Int32
    private let lock = NSLock()
    private var mailbox: [(PeerLoop) -> Void] = []
    private var running = true
    private var thread: Thread?

    private var peers: [Int: Peer] = [:]          // by id
    private var byFD: [Int32: Peer] = [:]
    private var delays: [Int: HistogramBox] = [:]   // by group (boxed: recorded in place)
    private var pendingWaits: [Int: [UInt64]] = [:]   // keyframe waits since the last collect, by group
    private var lastPublish: UInt64 = 0
    /// Longest loop iteration and longest oversleep of `epoll_wait` since the last reset (ns).
    private var loopBusyMax: UInt64 = 0
    private var loopLateMax: UInt64 = 0

    private static let batch = 32
    private static let slot = 2048
    private let recvBuffer: UnsafeMutableRawBufferPointer
    private var datagrams: [csys_datagram]
    private let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)

    public init(context: DTLSContext) throws {
        self.context = context
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard epfd >= 0, wakeFD >= 0 else { throw BenchError("epoll/eventfd: \(String(cString: strerror(errno)))") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batch * Self.slot, alignment: 16)
        recvBuffer = buffer
        datagrams = (0..<Self.batch).map { i in
            var d = csys_datagram()
            d.buf = buffer.baseAddress! + i * Self.slot
            d.cap = UInt32(Self.slot)
            return d
        }
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.fd = wakeFD
        epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, &ev)
    }

    public func start() {
        let t = Thread { [self] in self.run() }
        t.name = "peer-loop"
        t.stackSize = 1 << 22
        thread = t
        t.start()
    }

    /// Runs `body` on the loop thread and waits for its result.
    public func sync<T>(_ body: @escaping (PeerLoop) -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        post { loop in result = body(loop); done.signal() }
        done.wait()
        return result!
    }

    public func post(_ body: @escaping (PeerLoop) -> Void) {
        lock.lock()
        mailbox.append(body)
        lock.unlock()
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    public func stop() {
        post { $0.running = false }
    }

    // MARK: loop-thread API (call through post/sync)

    /// Adds a peer and starts its ICE checks.
    public func add(_ spec: PeerSpec) -> String? {
        let now = DTLSTransport.monotonicNow()
        do {
            let peer = try Peer(spec: spec, context: context, now: now)
            peers[spec.id] = peer
            byFD[spec.fd] = peer
            var ev = epoll_event()
            ev.events = EPOLLIN.rawValue
            ev.data.fd = spec.fd
            epoll_ctl(epfd, EPOLL_CTL_ADD, spec.fd, &ev)
            peer.perform(peer.ice.start(now: Peer.duration(now)), now: now)
            return nil
        } catch {
            close(spec.fd)
            return "\(error)"
        }
    }

    /// Closes a peer (DTLS close_notify, socket closed).
    public func remove(id: Int) {
        guard let p = peers.removeValue(forKey: id) else { return }
        epoll_ctl(epfd, EPOLL_CTL_DEL, p.spec.fd, nil)
        byFD[p.spec.fd] = nil
        p.close()
    }

    /// Ids of peers in a group with their state: (connected, failed reason).
    public func states(group: Int? = nil) -> [(id: Int, media: Bool, failure: String?)] {
        peers.values.filter { group == nil || $0.spec.group == group }.map { p in
            if case .failed(let why) = p.state { return (p.spec.id, false, why) }
            return (p.spec.id, p.isMedia, nil)
        }
    }

    /// Starts a new interval: every counter's baseline is now.
    public func resetInterval() {
        for p in peers.values {
            p.videoRx.baseline = p.videoRx.counter.snapshot
            p.audioRx.baseline = p.audioRx.counter.snapshot
            p.sent = 0
            p.srtpFailures = 0
            p.keyframeRequests = 0
            p.freezes = 0
            p.maxGap = 0
        }
        delays.removeAll()
        loopBusyMax = 0
        loopLateMax = 0
        // Key frame waits are kept: viewers that connected while settling report theirs in the next collect.
    }

    /// The interval's tallies by group (counters since `resetInterval`; key
    /// frame waits since the previous collect).
    public func collect() -> [Int: Tally] {
        var out: [Int: Tally] = [:]
        for p in peers.values {
            var t = out[p.spec.group] ?? Tally()
            switch p.state {
            case .media:
                if p.spec.role == .viewer { t.viewers += 1 } else { t.publishers += 1 }
                if p.profile == .aeadAES128GCM { t.gcmPeers += 1 }
            case .failed: t.failed += 1
            case .ice, .dtls: t.connecting += 1
            case .closed: break
            }
            t.sent &+= p.sent
            t.keyframeRequests &+= p.keyframeRequests
            for rx in [p.videoRx, p.audioRx] {
                let s = rx.counter.snapshot
                t.expected &+= s.expected - rx.baseline.expected
                t.received &+= s.unique - rx.baseline.unique
                t.duplicates &+= s.duplicates - rx.baseline.duplicates
                t.reordered &+= s.reordered - rx.baseline.reordered
            }
            t.srtpFailures &+= p.srtpFailures
            t.freezes &+= p.freezes
            t.maxGapNanos = max(t.maxGapNanos, p.maxGap)
            out[p.spec.group] = t
        }
        for (g, box) in delays { out[g, default: Tally()].delays = box.histogram }
        for (g, w) in pendingWaits { out[g, default: Tally()].keyframeWaitsNanos = w }
        pendingWaits.removeAll()
        if !out.isEmpty {
            let any = out.keys.min()!
            out[any]!.harnessLoopBusyMaxNanos = loopBusyMax
            out[any]!.harnessLoopLateMaxNanos = loopLateMax
        }
        return out
    }

    // MARK: the loop

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var nextTick: UInt64 = 0
        var nextPublish: UInt64 = 0
        var iterationStart = DTLSTransport.monotonicNow()
        while running {
            var now = DTLSTransport.monotonicNow()
            // Self-check: a long iteration delays reading every socket, so it would show up as "delay".
            if now - iterationStart > loopBusyMax { loopBusyMax = now - iterationStart }
            let until = min(nextTick, nextPublish)
            let timeoutMs = until <= now ? 0 : Int32(min(10, (until - now + 999_999) / 1_000_000))
            let waitStart = now
            let n = epoll_wait(epfd, &events, Int32(events.count), timeoutMs)
            now = DTLSTransport.monotonicNow()
            iterationStart = now
            // Woken later than asked (the thread was not scheduled): the harness, not the server, was late.
            let late = now - waitStart > UInt64(timeoutMs) * 1_000_000 ? now - waitStart - UInt64(timeoutMs) * 1_000_000 : 0
            if n == 0, late > loopLateMax { loopLateMax = late }
            if n > 0 {
                for i in 0..<Int(n) {
                    let fd = events[i].data.fd
                    if fd == wakeFD { drainMailbox(); continue }
                    if let p = byFD[fd] { drain(p) }
                }
            }
            now = DTLSTransport.monotonicNow()
            if now >= nextPublish {
                nextPublish = now + 10_000_000
                for p in peers.values where p.spec.role == .publisher {
                    nextPublish = min(nextPublish, p.publish(now: now, buffer: sendBuffer))
                }
            }
            if now >= nextTick {
                nextTick = now + 5_000_000
                for p in peers.values {
                    let wasMedia = p.isMedia
                    p.tick(now: now, scratch: scratch)
                    if !wasMedia && p.isMedia && p.spec.role == .publisher { nextPublish = now }
                }
            }
        }
        for id in Array(peers.keys) { remove(id: id) }
    }

    private func drainMailbox() {
        var v: UInt64 = 0
        _ = read(wakeFD, &v, 8)
        lock.lock()
        let work = mailbox
        mailbox.removeAll()
        lock.unlock()
        for w in work { w(self) }
    }

    private func drain(_ p: Peer) {
        var rounds = 0
        while rounds < 8 {
            rounds += 1
            let got = datagrams.withUnsafeMutableBufferPointer { csys_recv_batch(p.spec.fd, $0.baseAddress, Int32(Self.batch)) }
            if got <= 0 { return }
            let now = DTLSTransport.monotonicNow()
            let box: HistogramBox
            if let b = delays[p.spec.group] { box = b } else { box = HistogramBox(); delays[p.spec.group] = box }
            let hadKeyframe = p.firstKeyframeAt != 0
            let wasMedia = p.isMedia
            for i in 0..<Int(got) {
                p.receive(datagrams[i].buf, Int(datagrams[i].len), now: now, delays: &box.histogram)
            }
            if !hadKeyframe && p.firstKeyframeAt != 0 && !p.keyframeWaitReported {
                p.keyframeWaitReported = true
                pendingWaits[p.spec.group, default: []].append(p.firstKeyframeAt - p.connectedAt)
            }
            if !wasMedia && p.isMedia && p.spec.role == .publisher { _ = p.publish(now: now, buffer: sendBuffer) }
            if got < Self.batch { return }
        }
    }
}

final class HistogramBox { var histogram = DelayHistogram() }

/// A plain error with a message, for setup failures of the harness itself.
public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
