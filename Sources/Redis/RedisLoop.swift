import Foundation
import Glibc
import CSystem

/// The I/O side of `RedisClient`: one thread that owns the socket, the output
/// buffer, the parser and the queue of calls awaiting replies.
///
/// Thread confinement: every `var` below except `statusSnapshot` (behind
/// `statusLock`) is touched only on the loop thread; the mailbox is the only
/// way in. That is why it is `@unchecked Sendable`.
final class RedisLoop: @unchecked Sendable {
    typealias Reply = @Sendable ([Result<RESPValue, RedisError>]) -> Void

    struct Submission: Sendable {
        let bytes: [UInt8]
        let expected: Int
        let timeout: Double
        let reply: Reply
    }

    enum Message: Sendable {
        case submit(Submission)
        case stop
    }

    /// A call (or a whole pipeline) waiting for `expected` replies.
    final class Pending {
        let expected: Int
        var results: [Result<RESPValue, RedisError>] = []
        let started: UInt64
        let deadline: UInt64
        let timeout: Double
        let reply: Reply?      // nil: a handshake command of our own
        var answered = false    // the caller already got its answer (timed out); replies are discarded
        init(expected: Int, started: UInt64, timeout: Double, reply: Reply?) {
            self.expected = expected
            self.started = started
            self.timeout = timeout
            deadline = started &+ UInt64(max(0, timeout) * 1e9)
            self.reply = reply
        }
    }

    private enum State {
        case connecting(fd: Int32, tcpDone: Bool, deadline: UInt64)
        case connected(fd: Int32)
        case disconnected(retryAt: UInt64)
        case closed
    }

    let configuration: RedisClient.Configuration
    let mailbox = Mailbox<Message>()
    private let statusLock = NSLock()
    private var statusSnapshot = RedisClient.Status()

    // Loop-confined.
    private let epfd: Int32
    private var state: State = .disconnected(retryAt: 0)
    private var backoff: Backoff
    private var parser: RESPParser
    private var pending: [Pending] = []
    private var head = 0
    private var handshakeLeft = 0
    private var output: [UInt8] = []
    private var outputStart = 0
    private var inbound: [UInt8] = []
    private var wantWrite = false
    private var nextScan: UInt64 = .max
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private var stopped = false

    init(configuration: RedisClient.Configuration) {
        self.configuration = configuration
        backoff = configuration.backoff
        parser = RESPParser(limits: configuration.parserLimits)
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        var ev = epoll_event()
        ev.events = UInt32(EPOLLIN.rawValue)
        ev.data.fd = mailbox.fd
        epoll_ctl(epfd, EPOLL_CTL_ADD, mailbox.fd, &ev)
    }

    deinit {
        readBuffer.deallocate()
        Glibc.close(epfd)
    }

    func start() {
        let t = Thread { [self] in self.run() }
        t.name = configuration.name
        t.stackSize = 1 << 20
        t.start()
    }

    func stop() { _ = mailbox.post(.stop) }

    var status: RedisClient.Status {
        statusLock.lock(); defer { statusLock.unlock() }
        return statusSnapshot
    }

    private func updateStatus(_ f: (inout RedisClient.Status) -> Void) {
        statusLock.lock(); f(&statusSnapshot); statusLock.unlock()
    }

    private var pendingCount: Int { pending.count - head }

    // MARK: - Loop

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 8)
        startConnect(now: monotonicNanos())
        while !stopped {
            let n = epoll_wait(epfd, &events, Int32(events.count), waitMilliseconds(now: monotonicNanos()))
            if n < 0 && csys_errno() != EINTR { break }
            for i in 0..<max(0, Int(n)) {
                let fd = events[i].data.fd
                let ev = events[i].events
                if fd == mailbox.fd {
                    for m in mailbox.take() { handle(m) }
                } else {
                    socketEvent(fd: fd, events: ev)
                }
                if stopped { break }
            }
            if !stopped { checkTimers(now: monotonicNanos()) }
        }
        shutDown()
    }

    private func handle(_ m: Message) {
        switch m {
        case .stop: stopped = true
        case .submit(let s): submit(s)
        }
    }

    private func submit(_ s: Submission) {
        let now = monotonicNanos()
        updateStatus { $0.calls += s.expected }
        switch state {
        case .disconnected, .closed:
            updateStatus { $0.failedFast += s.expected }
            s.reply(Array(repeating: .failure(.unavailable(unavailableReason(now: now))), count: s.expected))
            return
        case .connecting, .connected:
            break
        }
        if pendingCount + s.expected > configuration.maxPendingCalls {
            s.reply(Array(repeating: .failure(.overloaded("\(pendingCount) calls awaiting replies (limit \(configuration.maxPendingCalls))")), count: s.expected))
            return
        }
        if output.count - outputStart + s.bytes.count > configuration.maxOutputBytes {
            s.reply(Array(repeating: .failure(.overloaded("\(output.count - outputStart) bytes not yet sent (limit \(configuration.maxOutputBytes))")), count: s.expected))
            return
        }
        let p = Pending(expected: s.expected, started: now, timeout: s.timeout, reply: s.reply)
        pending.append(p)
        nextScan = min(nextScan, p.deadline)
        output += s.bytes
        if let fd = currentFD() { flush(fd) }
    }

    private func unavailableReason(now: UInt64) -> String {
        let last = status.lastError ?? "not connected"
        if case .disconnected(let retryAt) = state, retryAt > now {
            let s = Double(retryAt - now) / 1e9
            return "\(configuration.endpoint): \(last); next attempt in \(String(format: "%.2f", s)) s"
        }
        return "\(configuration.endpoint): \(last)"
    }

    private func waitMilliseconds(now: UInt64) -> Int32 {
        var next = nextScan
        switch state {
        case .connecting(_, _, let deadline): next = min(next, deadline)
        case .disconnected(let retryAt): next = min(next, retryAt)
        default: break
        }
        if next == .max { return -1 }
        if next <= now { return 0 }
        return Int32(min(60_000, (next - now + 999_999) / 1_000_000))
    }

    // MARK: - Connecting

    private func startConnect(now: UInt64) {
        let ep = configuration.endpoint
        do {
            let (fd, done) = try RedisSocket.start(host: ep.host, port: ep.port)
            state = .connecting(fd: fd, tcpDone: done, deadline: now &+ UInt64(configuration.connectTimeout * 1e9))
            updateStatus { $0.state = .connecting }
            var ev = epoll_event()
            ev.events = UInt32(EPOLLIN.rawValue) | UInt32(EPOLLOUT.rawValue) | UInt32(EPOLLRDHUP.rawValue)
            ev.data.fd = fd
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
            wantWrite = true
            queueHandshake(now: now)
            if done { tcpConnected(fd: fd, now: now) }
        } catch {
            disconnected(reason: error.description, now: now)
        }
    }

    /// HELLO / AUTH / SELECT go first, ahead of any call queued while connecting.
    private func queueHandshake(now: UInt64) {
        let ep = configuration.endpoint
        var commands: [[RedisArgument]] = []
        if configuration.protocolVersion == 3 {
            var hello: [RedisArgument] = ["HELLO", "3"]
            if let pw = ep.password { hello += ["AUTH", "default", .text(pw)] }
            commands.append(hello)
        } else if let pw = ep.password {
            commands.append(["AUTH", .text(pw)])
        }
        if ep.database != 0 { commands.append(["SELECT", .int(Int64(ep.database))]) }
        handshakeLeft = commands.count
        for c in commands {
            RESPEncoder.command(c, into: &output)
            pending.append(Pending(expected: 1, started: now, timeout: configuration.connectTimeout, reply: nil))
        }
    }

    private func tcpConnected(fd: Int32, now: UInt64) {
        guard case .connecting(_, _, let deadline) = state else { return }
        if handshakeLeft == 0 {
            becameConnected(fd: fd)
        } else {
            state = .connecting(fd: fd, tcpDone: true, deadline: deadline)
        }
        flush(fd)
    }

    private func becameConnected(fd: Int32) {
        state = .connected(fd: fd)
        backoff.reset()
        updateStatus { $0.state = .connected; $0.connects += 1 }
        if status.connects > 1 { configuration.log("\(configuration.name): reconnected to \(configuration.endpoint)") }
    }

    /// Drops the connection: every call in flight fails with `connectionLost`.
    private func disconnected(reason: String, now: UInt64) {
        var wasConnected = false
        // Calls queued before TCP connected were never sent: they did not run.
        var neverSent = true
        switch state {
        case .connected(let fd), .connecting(let fd, _, _):
            if case .connected = state { wasConnected = true }
            if case .connecting(_, false, _) = state {} else { neverSent = false }
            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
            Glibc.close(fd)
        default: break
        }
        let delay = backoff.next(random: Double.random(in: 0..<1))
        state = .disconnected(retryAt: now &+ UInt64(delay * 1e9))
        updateStatus {
            if wasConnected { $0.disconnects += 1 }
            $0.state = .disconnected
            $0.lastError = reason
        }
        if wasConnected { configuration.log("\(configuration.name): lost \(configuration.endpoint): \(reason); reconnecting") }
        failAll(neverSent ? .unavailable("\(configuration.endpoint): \(reason)") : .connectionLost(reason))
    }

    private func failAll(_ error: RedisError) {
        let list = pending[head...]
        pending = []
        head = 0
        handshakeLeft = 0
        output = []
        outputStart = 0
        inbound = []
        parser.reset()
        nextScan = .max
        wantWrite = false
        for p in list where !p.answered {
            p.answered = true
            var r = p.results
            while r.count < p.expected { r.append(.failure(error)) }
            p.reply?(r)
        }
    }

    private func shutDown() {
        switch state {
        case .connected(let fd), .connecting(let fd, _, _): Glibc.close(fd)
        default: break
        }
        state = .closed
        updateStatus { $0.state = .closed }
        failAll(.closed)
        for m in mailbox.close() {
            if case .submit(let s) = m { s.reply(Array(repeating: .failure(.closed), count: s.expected)) }
        }
    }

    // MARK: - Socket I/O

    private func socketEvent(fd: Int32, events: UInt32) {
        let now = monotonicNanos()
        switch state {
        case .connecting(let cfd, let tcpDone, _) where cfd == fd:
            if !tcpDone {
                if events & (UInt32(EPOLLOUT.rawValue) | UInt32(EPOLLERR.rawValue) | UInt32(EPOLLHUP.rawValue)) == 0 { return }
                if let why = RedisSocket.finish(fd) { disconnected(reason: "connect \(configuration.endpoint): \(why)", now: now); return }
                tcpConnected(fd: fd, now: now)
                return
            }
        case .connected(let cfd) where cfd == fd:
            break
        default:
            return
        }
        if events & UInt32(EPOLLIN.rawValue) != 0 || events & (UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLRDHUP.rawValue) | UInt32(EPOLLERR.rawValue)) != 0 {
            if !readAll(fd, now: now) { return }
        }
        if events & UInt32(EPOLLOUT.rawValue) != 0 { flush(fd) }
    }

    private func currentFD() -> Int32? {
        switch state {
        case .connected(let fd): return fd
        case .connecting(let fd, true, _): return fd
        default: return nil
        }
    }

    /// Writes what it can; watches EPOLLOUT only while bytes remain.
    private func flush(_ fd: Int32) {
        while outputStart < output.count {
            let n = output.withUnsafeBytes { p in
                Glibc.send(fd, p.baseAddress! + outputStart, output.count - outputStart, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { outputStart += n; continue }
            let e = csys_errno()
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            disconnected(reason: "send: \(String(cString: strerror(e)))", now: monotonicNanos())
            return
        }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: output.count < 1 << 20)
            outputStart = 0
        } else if outputStart > 1 << 20 {
            output.removeFirst(outputStart)
            outputStart = 0
        }
        setWriteInterest(fd, outputStart < output.count)
    }

    private func setWriteInterest(_ fd: Int32, _ want: Bool) {
        if want == wantWrite { return }
        wantWrite = want
        var ev = epoll_event()
        ev.events = UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue) | (want ? UInt32(EPOLLOUT.rawValue) : 0)
        ev.data.fd = fd
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    /// Reads until EAGAIN (bounded per wake-up); false if the connection was dropped.
    private func readAll(_ fd: Int32, now: UInt64) -> Bool {
        for _ in 0..<64 {
            let n = Glibc.recv(fd, readBuffer.baseAddress!, readBuffer.count, 0)
            if n > 0 {
                inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
                if !parseInbound(now: now) { return false }
                if n < readBuffer.count { return true }
                continue
            }
            if n == 0 { disconnected(reason: "server closed the connection", now: now); return false }
            let e = csys_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return true }
            disconnected(reason: "recv: \(String(cString: strerror(e)))", now: now)
            return false
        }
        return true
    }

    private func parseInbound(now: UInt64) -> Bool {
        var offset = 0
        var values: [RESPValue] = []
        do {
            while true {
                let step = try inbound.withUnsafeBytes { try parser.next(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
                switch step {
                case .value(let v, let consumed):
                    offset += consumed
                    values.append(v)
                case .needMore(let consumed):
                    offset += consumed
                    inbound.removeFirst(offset)
                    for v in values { if !deliver(v, now: now) { return false } }
                    return true
                }
            }
        } catch {
            // Replies parsed before the bad bytes are still good.
            for v in values { if !deliver(v, now: now) { return false } }
            disconnected(reason: "protocol error: \(error)", now: now)
            return false
        }
    }

    /// Hands one reply to the oldest call; false if the connection was dropped.
    private func deliver(_ v: RESPValue, now: UInt64) -> Bool {
        if case .push = v { return true } // out-of-band (RESP3): not a reply
        guard head < pending.count else {
            disconnected(reason: "reply without a command (stream out of step)", now: now)
            return false
        }
        let p = pending[head]
        if case .error(let m) = v { p.results.append(.failure(.server(m))) } else { p.results.append(.success(v)) }
        guard p.results.count == p.expected else { return true }
        head += 1
        if head > 4096 && head * 2 > pending.count { pending.removeFirst(head); head = 0 }
        if p.reply == nil {
            // Our own handshake command.
            if case .failure(let e) = p.results[0] {
                disconnected(reason: "handshake: \(e)", now: now)
                return false
            }
            handshakeLeft -= 1
            if handshakeLeft == 0, case .connecting(let fd, true, _) = state { becameConnected(fd: fd) }
            return true
        }
        if !p.answered {
            p.answered = true
            let latency = Double(now &- p.started) / 1e9
            updateStatus { $0.lastLatency = latency }
            p.reply?(p.results)
        }
        return true
    }

    // MARK: - Timers

    private func checkTimers(now: UInt64) {
        switch state {
        case .connecting(_, _, let deadline) where now >= deadline:
            disconnected(reason: "connect to \(configuration.endpoint) timed out after \(configuration.connectTimeout) s", now: now)
            return
        case .disconnected(let retryAt) where now >= retryAt:
            startConnect(now: now)
            return
        default: break
        }
        guard now >= nextScan else { return }
        // The oldest call overdue: nothing behind it can be answered either
        // (replies come in order), so the connection is declared stalled.
        if head < pending.count, now >= pending[head].deadline {
            let p = pending[head]
            if !p.answered && p.reply != nil {
                p.answered = true
                updateStatus { $0.timeouts += 1 }
                var r = p.results
                while r.count < p.expected { r.append(.failure(.timeout(p.timeout))) }
                p.reply?(r)
            }
            disconnected(reason: "no reply within \(p.timeout) s (connection stalled)", now: now)
            return
        }
        // Later calls with shorter timeouts: answer them, discard their replies when they come.
        var next: UInt64 = .max
        for i in head..<pending.count {
            let p = pending[i]
            if p.answered { continue }
            if now >= p.deadline {
                p.answered = true
                updateStatus { $0.timeouts += 1 }
                var r = p.results
                while r.count < p.expected { r.append(.failure(.timeout(p.timeout))) }
                p.reply?(r)
            } else {
                next = min(next, p.deadline)
            }
        }
        nextScan = next
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
