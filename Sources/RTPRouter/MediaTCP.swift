import CSystem
import Glibc
import Handoff

/// ICE-TCP for one media worker (RFC 6544, passive candidates only): a TCP
/// listening port next to the worker's UDP port, and the connections
/// clients open to it, each carrying STUN, DTLS and SRTP as RFC 4571 frames
/// (a 16-bit length, then one datagram). Every complete frame is handed to
/// the worker's `DatagramHandler` exactly like a UDP datagram, with a path
/// (`UDPAddress.connection`) that names the connection, so replies sent
/// `to:` it are framed onto the same connection.
///
/// A slow or stalled peer never blocks the worker: sockets are non-blocking,
/// each connection has a bounded output queue in which media (RTP) is
/// dropped first (above half full) and control (STUN, DTLS, RTCP) only when
/// it is full, and a connection whose queue stays full is closed. Half-open,
/// unanswered, idle and slowly-framing connections time out, frames larger
/// than a datagram close the connection, and connections are limited per
/// worker and per source address; every close is counted by reason.
/// Confined to the worker thread.
public final class MediaTCP {
    /// Limits of one worker's ICE-TCP port.
    public struct Limits: Sendable {
        /// Open connections per worker; more are accepted and closed at once.
        public var maxConnections = 1000
        /// Open connections per remote IP address.
        public var maxPerAddress = 64
        /// Bytes queued per connection towards a peer that does not read.
        public var outputBytes = 256 * 1024
        /// A connection must deliver a frame the router answers within this (ns).
        public var handshakeTimeout: UInt64 = 10_000_000_000
        /// A connection with no frame for this long is closed (consent checks come every ~5 s).
        public var idleTimeout: UInt64 = 30_000_000_000
        /// A frame whose first byte arrived must be complete within this.
        public var frameTimeout: UInt64 = 5_000_000_000
        /// A connection whose output queue stays full this long is closed.
        public var fullTimeout: UInt64 = 2_000_000_000
        public init() {}
    }

    /// Why a connection was closed (or refused), as counted in `/metrics`.
    public enum CloseReason: String, CaseIterable, Sendable {
        case peerClosed = "peer_closed"
        case socketError = "socket_error"
        case handshakeTimeout = "handshake_timeout"
        case idle
        case slowFrame = "slow_frame"
        case oversizedFrame = "oversized_frame"
        case outputFull = "output_full"
        case workerLimit = "worker_limit"
        case addressLimit = "address_limit"
    }

    /// Counters of one worker's ICE-TCP port.
    public struct Counters: Sendable {
        public var accepted: UInt64 = 0
        public var open = 0
        public var framesIn: UInt64 = 0
        public var framesOut: UInt64 = 0
        /// RTP dropped on a connection's queue above half full, control packets dropped on a full one,
        /// and datagrams sent to a connection that was already closed.
        public var mediaDropped: UInt64 = 0
        public var controlDropped: UInt64 = 0
        public var sentToClosed: UInt64 = 0
        public var closed: [CloseReason: UInt64] = [:]
    }

    /// The largest frame accepted: a datagram that fits a packet pool slot with headroom.
    public static let maxFrame = PacketPool.slotSize - 256
    public let port: UInt16
    public private(set) var counters = Counters()
    let limits: Limits
    private let epfd: Int32
    private var listeners: [Int32] = []
    private var slots: [TCPConnection?]
    private var freeSlots: [Int]
    private var generation: UInt32 = 0
    private var bySocket: [Int32: Int] = [:]
    private var perAddress: [RemoteIP: Int] = [:]
    private var dirty: [Int] = []
    private let readScratch: UnsafeMutableRawPointer
    private static let readScratchSize = 64 * 1024
    private let frameScratch: UnsafeMutableRawPointer
    private var lastSweep: UInt64 = 0

    /// Listens on `port` (the worker's UDP port number; 0 or taken: any free
    /// port) on every address (dual stack) or on each of `listen`.
    public init(port: UInt16, listen: [String], limits: Limits, epoll: Int32) throws {
        self.limits = limits
        self.epfd = epoll
        slots = Array(repeating: nil, count: max(1, min(limits.maxConnections, 65_535)))
        freeSlots = Array((0..<slots.count).reversed())
        readScratch = .allocate(byteCount: MediaTCP.readScratchSize, alignment: 16)
        frameScratch = .allocate(byteCount: PacketPool.slotSize, alignment: 16)
        var bound: UInt16 = port
        var fds: [Int32] = []
        do {
            for address in listen.isEmpty ? [nil] : listen.map(Optional.some) {
                let (fd, p) = try MediaTCP.listen(address: address, port: bound)
                fds.append(fd)
                bound = p
            }
        } catch {
            for fd in fds { Glibc.close(fd) }
            readScratch.deallocate()
            frameScratch.deallocate()
            throw error
        }
        self.port = bound
        listeners = fds
        for fd in fds { watch(fd, events: UInt32(EPOLLIN.rawValue)) }
    }

    deinit {
        for case let c? in slots { Glibc.close(c.fd) }
        for fd in listeners { Glibc.close(fd) }
        readScratch.deallocate()
        frameScratch.deallocate()
    }

    private static func listen(address: String?, port: UInt16) throws -> (Int32, UInt16) {
        let remote = address.flatMap { UDPAddress(ip: $0, port: port) } ?? UDPAddress(ip: "::", port: port)!
        if let address, UDPAddress(ip: address, port: port) == nil {
            throw UDPSocket.Failure(description: "'\(address)' is not an IPv4 or IPv6 address")
        }
        var ss = remote.storage
        let family = Int32(ss.ss_family)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw UDPSocket.Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        var v6only: Int32 = address == nil ? 0 : 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family == AF_INET6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size)) }
        func bindTo(_ p: UInt16) -> Int32 {
            withUnsafeMutableBytes(of: &ss) { $0.storeBytes(of: p.bigEndian, toByteOffset: 2, as: UInt16.self) }
            return withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, remote.length) } }
        }
        // The UDP port's number when it is free for TCP too (one number to open per worker), else any.
        if bindTo(port) != 0 && (port == 0 || bindTo(0) != 0) {
            let e = errno
            Glibc.close(fd)
            throw UDPSocket.Failure(description: "bind TCP \(address ?? "port") \(port): \(String(cString: strerror(e)))")
        }
        guard Glibc.listen(fd, 256) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw UDPSocket.Failure(description: "listen TCP \(port): \(String(cString: strerror(e)))")
        }
        var bound = sockaddr_storage()
        var blen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &blen) } }
        return (fd, UDPAddress(storage: bound, length: blen).port)
    }

    private func watch(_ fd: Int32, events: UInt32, modify: Bool = false) {
        var ev = epoll_event()
        ev.events = events
        ev.data.fd = fd
        epoll_ctl(epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev)
    }

    /// True for the listening sockets and every open connection's socket.
    @inline(__always)
    public func owns(_ fd: Int32) -> Bool { bySocket[fd] != nil || listeners.contains(fd) }

    /// Connections are open: the worker must tick (timeouts) even without transports.
    public var needsTicks: Bool { counters.open > 0 }

    // MARK: - Events

    /// An epoll event on one of our sockets.
    public func handle(fd: Int32, events: UInt32, handler: DatagramHandler, out: Outbox, now: UInt64) {
        if listeners.contains(fd) { accept(fd, now); return }
        guard let slot = bySocket[fd], let c = slots[slot] else { return }
        if events & UInt32(EPOLLOUT.rawValue) != 0 { write(c, slot) }
        if events & UInt32(EPOLLIN.rawValue) != 0 {
            read(c, slot, handler, out, now)
        } else if events & (UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)) != 0 {
            close(slot, .socketError)
        }
    }

    private func accept(_ listener: Int32, _ now: UInt64) {
        for _ in 0..<64 {
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { csys_accept_nonblock(listener, $0, &len) } }
            if fd < 0 { return }
            counters.accepted &+= 1
            let ip = RemoteIP(ss)
            guard let slot = freeSlots.popLast() else {
                Glibc.close(fd)
                counters.closed[.workerLimit, default: 0] &+= 1
                continue
            }
            guard perAddress[ip, default: 0] < limits.maxPerAddress else {
                freeSlots.append(slot)
                Glibc.close(fd)
                counters.closed[.addressLimit, default: 0] &+= 1
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var local = sockaddr_storage()
            var llen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &llen) } }
            generation = generation &+ 1
            let id = (generation & 0xFFFF) << 16 | UInt32(slot + 1)
            let path = UDPAddress(storage: ss, length: len, local: MediaTCP.localPart(local), socketIndex: 0, connection: id)
            slots[slot] = TCPConnection(fd: fd, id: id, path: path, ip: ip, outputBytes: limits.outputBytes, now: now)
            bySocket[fd] = slot
            perAddress[ip, default: 0] += 1
            counters.open += 1
            watch(fd, events: UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue))
        }
    }

    private static func localPart(_ ss: sockaddr_storage) -> csys_local {
        var l = csys_local()
        var copy = ss
        withUnsafeBytes(of: &copy) { raw in
            if Int32(ss.ss_family) == AF_INET6 {
                l.family = UInt32(AF_INET6)
                withUnsafeMutableBytes(of: &l.addr) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[8..<24])) }
            } else if Int32(ss.ss_family) == AF_INET {
                l.family = UInt32(AF_INET)
                withUnsafeMutableBytes(of: &l.addr) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[4..<8])) }
            }
        }
        return l
    }

    /// Reads what is there (bounded per event, so one fast peer cannot starve
    /// the others) and delivers every complete frame.
    private func read(_ c: TCPConnection, _ slot: Int, _ handler: DatagramHandler, _ out: Outbox, _ now: UInt64) {
        for _ in 0..<4 {
            let n = Glibc.read(c.fd, readScratch, MediaTCP.readScratchSize)
            if n == 0 { close(slot, .peerClosed); return }
            if n < 0 {
                let e = errno
                if e == EAGAIN || e == EWOULDBLOCK || e == EINTR { return }
                close(slot, .socketError)
                return
            }
            var i = 0
            while i < n {
                if c.inputCount == 0 { c.frameStarted = now }
                if c.inputCount < 2 {
                    c[headerByte: c.inputCount] = readScratch.load(fromByteOffset: i, as: UInt8.self)
                    c.inputCount += 1
                    i += 1
                    if c.inputCount == 2 {
                        c.frameLength = Int(c.header.0) << 8 | Int(c.header.1)
                        if c.frameLength > MediaTCP.maxFrame { close(slot, .oversizedFrame); return }
                        if c.frameLength == 0 { c.inputCount = 0 } // an empty frame carries nothing
                    }
                    continue
                }
                let have = c.inputCount - 2
                let take = min(c.frameLength - have, n - i)
                (frameScratch + have).copyMemory(from: readScratch + i, byteCount: take)
                c.inputCount += take
                i += take
                if c.inputCount - 2 == c.frameLength {
                    c.inputCount = 0
                    c.lastFrame = now
                    counters.framesIn &+= 1
                    handler.received(frameScratch, length: c.frameLength, from: c.path, out: out, now: now)
                    // A send from the handler may have closed it (socket error).
                    guard slots[slot] === c else { return }
                }
            }
            if n < MediaTCP.readScratchSize { return }
        }
    }

    // MARK: - Output

    /// Frames `length` bytes onto the path's connection (called by `Outbox`).
    public func send(_ bytes: UnsafeRawPointer, length: Int, to path: UDPAddress) {
        let slot = Int(path.connection & 0xFFFF) - 1
        guard slot >= 0, slot < slots.count, let c = slots[slot], c.id == path.connection else {
            counters.sentToClosed &+= 1
            return
        }
        guard length > 0, length <= 0xFFFF else { counters.controlDropped &+= 1; return }
        let first = bytes.load(as: UInt8.self)
        let second = length > 1 ? bytes.load(fromByteOffset: 1, as: UInt8.self) : 0
        // RFC 7983: 128–191 is RTP or RTCP; RTCP packet types are 192–223 (RFC 5761).
        let isMedia = first >= 128 && first <= 191 && !(second >= 192 && second <= 223)
        let limit = isMedia ? c.capacity / 2 : c.capacity
        guard c.queued + 2 + length <= limit else {
            if isMedia { counters.mediaDropped &+= 1 } else { counters.controlDropped &+= 1 }
            if c.fullSince == 0 { c.fullSince = monotonicNow() }
            return
        }
        var header = UInt16(length).bigEndian
        withUnsafeBytes(of: &header) { c.enqueue($0.baseAddress!, 2) }
        c.enqueue(bytes, length)
        c.framesQueued &+= 1
        counters.framesOut &+= 1
        if !c.dirty {
            c.dirty = true
            dirty.append(slot)
        }
    }

    /// Writes every connection's queue (once per batch, from `Outbox.flush`).
    public func flush() {
        guard !dirty.isEmpty else { return }
        for slot in dirty {
            guard let c = slots[slot] else { continue }
            c.dirty = false
            write(c, slot)
        }
        dirty.removeAll(keepingCapacity: true)
    }

    private func write(_ c: TCPConnection, _ slot: Int) {
        while c.queued > 0 {
            let n = c.writeSome()
            if n > 0 { continue }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                if e != EAGAIN && e != EWOULDBLOCK { close(slot, .socketError); return }
            }
            break
        }
        if c.queued < c.capacity / 2 { c.fullSince = 0 }
        let wants = c.queued > 0
        if wants != c.waitingForWrite {
            c.waitingForWrite = wants
            watch(c.fd, events: UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue) | (wants ? UInt32(EPOLLOUT.rawValue) : 0), modify: true)
        }
    }

    // MARK: - Timers

    /// Closes connections that broke a timeout (swept twice a second).
    public func tick(now: UInt64) {
        guard counters.open > 0, now &- lastSweep >= 500_000_000 else { return }
        lastSweep = now
        for slot in slots.indices {
            guard let c = slots[slot] else { continue }
            if c.inputCount > 0 && now &- c.frameStarted > limits.frameTimeout {
                close(slot, .slowFrame)
            } else if c.fullSince != 0 && now &- c.fullSince > limits.fullTimeout {
                close(slot, .outputFull)
            } else if c.framesQueued == 0 && now &- c.accepted > limits.handshakeTimeout {
                // Nothing it sent was ever answered: no valid STUN check for one of our transports.
                close(slot, .handshakeTimeout)
            } else if now &- max(c.lastFrame, c.accepted) > limits.idleTimeout {
                close(slot, .idle)
            }
        }
    }

    private func close(_ slot: Int, _ reason: CloseReason) {
        guard let c = slots[slot] else { return }
        epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nil)
        Glibc.close(c.fd)
        bySocket[c.fd] = nil
        slots[slot] = nil
        freeSlots.append(slot)
        if let n = perAddress[c.ip] { perAddress[c.ip] = n > 1 ? n - 1 : nil }
        counters.open -= 1
        counters.closed[reason, default: 0] &+= 1
    }
}

/// A remote IP address without the port (IPv4 peers of a dual-stack socket
/// are v4-mapped, so one peer has one key), for per-address limits.
struct RemoteIP: Hashable {
    let high: UInt64
    let low: UInt64

    init(_ ss: sockaddr_storage) {
        var copy = ss
        (high, low) = withUnsafeBytes(of: &copy) { raw -> (UInt64, UInt64) in
            if Int32(ss.ss_family) == AF_INET6 {
                return (raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            }
            // As ::ffff:a.b.c.d would read.
            let v4 = UInt64(raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            return (0, UInt64(0xFFFF_0000).bigEndian | v4 << 32)
        }
    }
}

/// One ICE-TCP connection: its socket, its path, the frame being read, and
/// a bounded ring of framed output. Confined to the worker thread.
final class TCPConnection {
    let fd: Int32
    let id: UInt32
    let path: UDPAddress
    let ip: RemoteIP
    let accepted: UInt64
    var lastFrame: UInt64 = 0
    var frameStarted: UInt64 = 0
    /// Bytes of the current frame so far, its 2-byte length included.
    var inputCount = 0
    var frameLength = 0
    var header: (UInt8, UInt8) = (0, 0)
    // Output ring.
    let capacity: Int
    private let output: UnsafeMutableRawPointer
    private var head = 0
    private(set) var queued = 0
    var fullSince: UInt64 = 0
    var dirty = false
    var waitingForWrite = false
    /// Frames queued towards the peer (0: the router never answered it).
    var framesQueued: UInt64 = 0

    init(fd: Int32, id: UInt32, path: UDPAddress, ip: RemoteIP, outputBytes: Int, now: UInt64) {
        self.fd = fd
        self.id = id
        self.path = path
        self.ip = ip
        self.accepted = now
        capacity = outputBytes
        output = .allocate(byteCount: outputBytes, alignment: 16)
    }

    deinit { output.deallocate() }

    func enqueue(_ bytes: UnsafeRawPointer, _ n: Int) {
        var tail = (head + queued) % capacity
        var done = 0
        while done < n {
            let chunk = min(n - done, capacity - tail)
            (output + tail).copyMemory(from: bytes + done, byteCount: chunk)
            done += chunk
            tail = (tail + chunk) % capacity
        }
        queued += n
    }

    /// One `sendmsg` of the queued bytes (two iovecs when the ring wraps); returns its result.
    func writeSome() -> Int {
        let first = min(queued, capacity - head)
        var iov = (iovec(iov_base: output + head, iov_len: first), iovec(iov_base: output, iov_len: queued - first))
        return withUnsafeMutablePointer(to: &iov) { p -> Int in
            p.withMemoryRebound(to: iovec.self, capacity: 2) { v in
                var msg = msghdr()
                msg.msg_iov = v
                msg.msg_iovlen = queued > first ? 2 : 1
                let n = Glibc.sendmsg(fd, &msg, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                if n > 0 {
                    head = (head + n) % capacity
                    queued -= n
                }
                return n
            }
        }
    }
}

extension TCPConnection {
    subscript(headerByte i: Int) -> UInt8 {
        get { i == 0 ? header.0 : header.1 }
        set { if i == 0 { header.0 = newValue } else { header.1 = newValue } }
    }
}
