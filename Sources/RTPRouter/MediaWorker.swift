import CSystem
import Foundation
import Glibc
import Handoff

/// What a media worker runs: it is handed every received datagram and a
/// periodic tick, on the worker's own thread, and sends through `out`.
/// Implementations are confined to that thread (not Sendable).
public protocol DatagramHandler: AnyObject {
    /// A datagram from `from`; `packet` is valid only during the call, but
    /// may be modified in place (SRTP unprotect, header rewriting).
    func received(_ packet: UnsafeMutableRawPointer, length: Int, from: UDPAddress, out: Outbox, now: UInt64)
    /// Called every `tickInterval` (timers: RTCP, NACK, DTLS retransmits, consent).
    func tick(out: Outbox, now: UInt64)
    /// Hands over the outbox once, before any other call, so that mailbox
    /// commands can send too (e.g. RTCP BYE on unpublish).
    func attach(_ out: Outbox)
    /// Called after each received batch has been handled and flushed (wake other workers once per batch).
    func endOfBatch()
    /// A watched eventfd (`MediaWorker.watch`) fired: drain what other workers queued.
    func pipesReadable(out: Outbox, now: UInt64)
    /// False while there is nothing a tick could do (no transports, no
    /// pipes): the worker then sleeps until a datagram or a command arrives
    /// instead of waking 100 times a second.
    var hasTimers: Bool { get }
}

extension DatagramHandler {
    public func endOfBatch() {}
    public func pipesReadable(out: Outbox, now: UInt64) {}
    public var hasTimers: Bool { true }
}

/// Queues datagrams to send at the end of the current batch (one
/// `sendmmsg` per batch). Copies into pool slots, so callers may reuse
/// their buffer at once. Confined to the worker thread.
public final class Outbox {
    let pool: PacketPool
    let firstSlot: Int
    /// One batch per worker socket (`UDPAddress.socketIndex`).
    let batches: [DatagramBatch]
    let fds: [Int32]
    /// The worker's ICE-TCP connections: paths with a `connection` are framed onto them.
    var tcp: MediaTCP?
    var used = 0
    public private(set) var sent = 0
    public private(set) var dropped = 0

    init(pool: PacketPool, firstSlot: Int, capacity: Int, fds: [Int32]) {
        self.pool = pool
        self.firstSlot = firstSlot
        self.capacity = capacity
        self.batches = fds.map { _ in DatagramBatch(capacity: capacity) }
        self.fds = fds
    }
    let capacity: Int

    /// An outbox with its own packet pool that sends on `fd`: for drivers
    /// that call a `DatagramHandler` in-process (tests, `router-bench`).
    public convenience init(sendingOn fd: Int32, capacity: Int = 32) {
        self.init(pool: PacketPool(count: capacity), firstSlot: 0, capacity: capacity, fds: [fd])
    }

    /// An outbox that sends nothing: every committed datagram is handed to
    /// `sink` at once (bytes valid during the call), for drivers that assert
    /// what a `DatagramHandler` sends (table tests, fuzzers).
    public convenience init(capacity: Int = 32, sink: @escaping (UnsafeRawBufferPointer, UDPAddress) -> Void) {
        self.init(pool: PacketPool(count: capacity), firstSlot: 0, capacity: capacity, fds: [])
        memorySink = sink
    }

    /// Set for an in-memory outbox (see `init(capacity:sink:)`).
    private var memorySink: ((UnsafeRawBufferPointer, UDPAddress) -> Void)?

    /// A slot to build an outgoing packet in; `commit` it or leave it unused.
    @inline(__always)
    public func reserve() -> UnsafeMutableRawPointer {
        if used == capacity { flush() }
        return pool.slot(firstSlot + used)
    }

    /// Sends the packet built in the slot returned by the last `reserve()`.
    @inline(__always)
    public func commit(length: Int, to address: UDPAddress) {
        if let memorySink {
            memorySink(UnsafeRawBufferPointer(start: pool.slot(firstSlot + used), count: length), address)
            sent += 1
            return
        }
        if address.connection != 0 {
            // ICE-TCP: copied into the connection's queue; the slot stays free.
            if let tcp { tcp.send(pool.slot(firstSlot + used), length: length, to: address) } else { dropped += 1 }
            return
        }
        let socket = Int(address.socketIndex)
        guard socket < batches.count else { dropped += 1; return }
        _ = batches[socket].append(pool.slot(firstSlot + used), length: length, to: address)
        used += 1
        if used == capacity { flush() }
    }

    /// Copies `length` bytes from `bytes` and queues them.
    public func send(_ bytes: UnsafeRawPointer, length: Int, to address: UDPAddress) {
        guard length <= PacketPool.slotSize else { dropped += 1; return }
        let slot = reserve()
        slot.copyMemory(from: bytes, byteCount: length)
        commit(length: length, to: address)
    }

    public func send(_ bytes: [UInt8], to address: UDPAddress) {
        bytes.withUnsafeBytes { send($0.baseAddress!, length: $0.count, to: address) }
    }

    public func flush() {
        // An index loop: `for in` over the array mallocs per element in unoptimized builds.
        var i = 0
        while i < batches.count {
            let batch = batches[i]
            if batch.count > 0 {
                let n = batch.count
                let refused = batch.flush(fd: fds[i])
                sent += n - refused
                dropped += refused
            }
            i += 1
        }
        tcp?.flush()
        used = 0
    }
}

/// One media worker: a thread, a UDP port (one socket on every address, or
/// one per `--media-listen` address), an epoll loop, a packet pool.
/// Signaling reaches it only through `submit`/`call` (a mailbox drained on
/// the worker thread), so nothing in the media path locks or hops threads.
/// Generic over its handler, so commands are typed (no casts).
public final class MediaWorker<Handler: DatagramHandler>: @unchecked Sendable {
    public let index: Int
    public let port: UInt16
    public let tickInterval: UInt64 = 10_000_000 // 10 ms

    private let sockets: [UDPSocket]
    private let tcp: MediaTCP?
    /// The ICE-TCP listening port (RFC 6544 passive candidates), nil when off.
    public let tcpPort: UInt16?
    private let epfd: Int32
    /// Commands from signaling (Handoff's one mailbox type).
    private let mailbox = Mailbox<Handler>()
    private var wakeFD: Int32 { mailbox.fd }
    private var stopping = false
    private var thread: Thread?

    // Worker-confined state.
    private var handler: Handler!
    private let pool: PacketPool
    private let receive: DatagramBatch
    private let outbox: Outbox
    private static var batchSize: Int { 32 }

    /// Counters read (approximately) by metrics.
    public private(set) var packetsReceived: UInt64 = 0
    public private(set) var batchesReceived: UInt64 = 0
    /// Times the loop came back from `epoll_wait` (≈ 100/s with timers, ≈ 0 idle).
    public private(set) var loopWakeups: UInt64 = 0

    /// `listen`: the local addresses to bind (empty: every address, IPv4 and
    /// IPv6 on one dual-stack socket). All sockets share one port number.
    /// `tcp`: limits of the worker's ICE-TCP port (nil: no ICE-TCP).
    public init(index: Int, port: UInt16, listen: [String] = [], tcp tcpLimits: MediaTCP.Limits? = nil) throws {
        self.index = index
        var sockets: [UDPSocket] = []
        for address in listen.isEmpty ? [nil] : listen.map(Optional.some) {
            sockets.append(try UDPSocket(port: sockets.first?.port ?? port, address: address))
        }
        self.sockets = sockets
        self.port = sockets[0].port
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        pool = PacketPool(count: MediaWorker.batchSize * 2)
        receive = DatagramBatch(capacity: MediaWorker.batchSize)
        outbox = Outbox(pool: pool, firstSlot: MediaWorker.batchSize, capacity: MediaWorker.batchSize, fds: sockets.map(\.fd))
        let epoll = epfd, udpPort = sockets[0].port
        let tcp = try tcpLimits.map { try MediaTCP(port: udpPort, listen: listen, limits: $0, epoll: epoll) }
        self.tcp = tcp
        tcpPort = tcp?.port
        outbox.tcp = tcp
        for fd in sockets.map(\.fd) + [wakeFD] {
            var ev = epoll_event()
            ev.events = UInt32(EPOLLIN.rawValue)
            ev.data.fd = fd
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
        }
    }

    /// Starts the thread with the handler it will own from now on.
    public func start(_ makeHandler: @escaping @Sendable () -> Handler) {
        let t = Thread { [self] in
            self.handler = makeHandler()
            self.handler.attach(self.outbox)
            self.run()
        }
        t.name = "media-\(index)"
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Adds an eventfd of another worker's pipe to this worker's epoll: when
    /// it fires, the worker resets it and calls `pipesReadable` on its handler.
    /// Callable from any thread (epoll_ctl is thread-safe).
    public func watch(wakeFD fd: Int32) {
        var ev = epoll_event()
        ev.events = UInt32(EPOLLIN.rawValue)
        ev.data.fd = fd
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
    }

    /// Runs `work` on the worker thread with its handler.
    public func submit(_ work: @escaping @Sendable (Handler) -> Void) {
        mailbox.post(work)
    }

    /// Runs `work` on the worker thread and returns its result.
    public func call<T: Sendable>(_ work: @escaping @Sendable (Handler) -> T) async -> T {
        await withCheckedContinuation { cont in
            submit { h in cont.resume(returning: work(h)) }
        }
    }

    /// The socket layer's counters, read on the worker thread: UDP datagrams
    /// received, sends refused (kernel buffer full, or no such socket), and
    /// the ICE-TCP port's counters (nil without ICE-TCP).
    public func socketCounters() async -> (udpReceived: UInt64, sendRefused: UInt64, tcp: MediaTCP.Counters?) {
        await call { _ in (self.packetsReceived, UInt64(self.outbox.dropped), self.tcp?.counters) }
    }

    public func stop() {
        submit { [self] _ in self.stopping = true }
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 16)
        var nextTick = monotonicNow() + tickInterval
        while !stopping {
            let now0 = monotonicNow()
            // Rounded up: truncating would turn the last millisecond before
            // each tick into a busy loop of zero-timeout epoll_waits.
            let timers = handler.hasTimers || tcp?.needsTicks == true
            if !timers { nextTick = now0 + tickInterval }
            let waitMs: Int32 = !timers ? -1 : nextTick > now0 ? Int32((nextTick - now0 + 999_999) / 1_000_000) : 0
            let n = epoll_wait(epfd, &events, Int32(events.count), waitMs)
            loopWakeups &+= 1
            var readable: UInt64 = 0 // bit i: socket i
            var piped = false
            var mail = false
            if n > 0 {
                for i in 0..<Int(n) {
                    let fd = events[i].data.fd
                    if let si = sockets.firstIndex(where: { $0.fd == fd }) {
                        readable |= 1 << UInt64(si & 63)
                    } else if let tcp, tcp.owns(fd) {
                        tcp.handle(fd: fd, events: events[i].events, handler: handler, out: outbox, now: monotonicNow())
                    } else {
                        // The mailbox's eventfd or a pipe's: reset it before draining.
                        var v: UInt64 = 0
                        _ = Glibc.read(fd, &v, 8)
                        if fd == wakeFD { mail = true } else { piped = true }
                    }
                }
            }
            // The mailbox is looked at only when its eventfd fired: no lock
            // per media batch (submit writes the eventfd after appending).
            if mail { drainMailbox() }
            if piped { handler.pipesReadable(out: outbox, now: monotonicNow()) }
            if readable != 0 {
                for si in sockets.indices where readable & (1 << UInt64(si & 63)) != 0 { receiveAll(si) }
            }
            let now = monotonicNow()
            if now >= nextTick && timers {
                if handler.hasTimers { handler.tick(out: outbox, now: now) }
                tcp?.tick(now: now)
                nextTick = now + tickInterval
            }
            outbox.flush()
            handler.endOfBatch()
        }
    }

    /// Reads batches until the socket is empty (bounded, so the mailbox and
    /// timers are not starved under load).
    private func receiveAll(_ socketIndex: Int) {
        let fd = sockets[socketIndex].fd
        let si = UInt16(truncatingIfNeeded: socketIndex)
        for _ in 0..<64 {
            let n = receive.receive(fd: fd, pool: pool, firstSlot: 0)
            if n == 0 { return }
            batchesReceived &+= 1
            packetsReceived &+= UInt64(n)
            let now = monotonicNow()
            for i in 0..<n {
                handler.received(pool.slot(i), length: receive.length(i), from: receive.address(i, socket: si), out: outbox, now: now)
            }
            outbox.flush()
            handler.endOfBatch()
            if n < receive.capacity { return }
        }
    }

    private func drainMailbox() { mailbox.drain(handler) }
}
