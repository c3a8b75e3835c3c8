import Glibc
import CSystem
import Foundation
import Handoff

/// An HTTP/1.1 server on one epoll thread, shared by every HTTP face of the
/// SFU (API, record stores). Handlers run as Swift tasks; the loop thread
/// owns every socket and buffer and is reached only through `execute`.
///
/// Thread confinement: every `var` of this class except the mailbox is
/// touched only on the loop thread; that is why it is `@unchecked Sendable`.
public final class HTTPServer: @unchecked Sendable {
    /// Limits and timeouts; each has an explicit answer.
    public struct Configuration: Sendable {
        public var host = "0.0.0.0"
        public var port = 8080
        public var name = "http"
        public var parserLimits = RequestParser.Limits()
        /// Open connections beyond this are answered 503 and closed.
        public var maxConnections = 4096
        /// A request head must arrive within this time (408 then close).
        public var headerTimeout: Double = 10
        /// An idle keep-alive connection is closed after this time.
        public var keepAliveTimeout: Double = 75
        /// A body read that sees no byte for this long fails with 408.
        public var bodyTimeout: Double = 30
        /// Once a body has been read for `bodyTimeout` seconds, it must have
        /// averaged at least this many bytes per second since its first read
        /// (else 408): a body trickled a byte at a time is cut off, however
        /// often the byte comes.
        public var bodyMinRate: Double = 1024
        /// A response that cannot be written for this long is abandoned.
        public var writeTimeout: Double = 60
        /// Unparsed input kept per connection before reading pauses.
        public var inputHighWater = 1 << 20
        /// Pending output above which stream writers wait.
        public var outputHighWater = 512 * 1024
        public var accessLog = false
        /// Most threads that run this face's handlers at once (`HandlerThreads`).
        public var maxHandlerThreads = 64
        public init() {}
    }

    public let configuration: Configuration
    public private(set) var port: Int = 0
    private let handler: HTTPHandler
    /// This face's handler threads: a slow handler never holds a thread
    /// that another face, or another request of this face, needs.
    public let handlerThreads: HandlerThreads

    // Mailbox (any thread).
    private let mailbox = Mailbox<Void>()
    private var wakeFD: Int32 { mailbox.fd }
    private let epfd: Int32

    // Loop-confined state.
    private var listenFD: Int32 = -1
    private var connections: [UInt64: Connection] = [:]
    private var byFD: [Int32: UInt64] = [:]
    private var nextID: UInt64 = 1
    private var nextSerial: UInt64 = 1
    private var date = HTTPDate()
    private var shuttingDown = false
    private var stopped = false
    private var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    private var lastTimerCheck: UInt64 = 0
    private var thread: Thread?
    private let readBuffer: UnsafeMutableRawBufferPointer

    /// Connections currently open (for metrics; read from the loop or approximately).
    public private(set) var openConnections = 0
    public private(set) var requestsTotal = 0

    public init(configuration: Configuration, handler: HTTPHandler) throws {
        self.configuration = configuration
        self.handler = handler
        handlerThreads = HandlerThreads(name: configuration.name, maxThreads: configuration.maxHandlerThreads)
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        readBuffer = .allocate(byteCount: 256 * 1024, alignment: 16)
        let (fd, port) = try Socket.listen(host: configuration.host, port: configuration.port)
        listenFD = fd
        self.port = port
        addToEpoll(fd: wakeFD, events: UInt32(EPOLLIN.rawValue))
        addToEpoll(fd: listenFD, events: UInt32(EPOLLIN.rawValue))
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts the loop thread.
    public func start() {
        let t = Thread { [self] in self.runLoop() }
        t.name = "http-\(configuration.name)"
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Runs `work` on the loop thread.
    func execute(_ work: @escaping @Sendable () -> Void) {
        mailbox.post { _ in work() }
    }

    /// Stops accepting, lets in-flight exchanges finish for up to `deadline`
    /// seconds, then closes every connection and stops the loop.
    public func shutdown(deadline: Double) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            execute { [self] in
                if stopped { c.resume(); return }
                shutdownWaiters.append(c)
                beginShutdown(deadline: deadline)
            }
        }
    }

    // MARK: - Loop

    private var shutdownDeadline: UInt64 = 0

    private func runLoop() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopped {
            let n = epoll_wait(epfd, &events, Int32(events.count), 250)
            if n < 0 && csys_errno() != EINTR { break }
            if n > 0 {
                for i in 0..<Int(n) {
                    let ev = events[i]
                    let fd = ev.data.fd
                    if fd == wakeFD {
                        var v: UInt64 = 0
                        _ = Glibc.read(wakeFD, &v, 8)
                        drainMailbox()
                    } else if fd == listenFD {
                        acceptAll()
                    } else if let id = byFD[fd], let c = connections[id] {
                        if ev.events & (UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)) != 0 {
                            // Both directions are gone (reset or full close): nothing more can be sent.
                            closeConnection(c)
                            continue
                        }
                        if ev.events & UInt32(EPOLLIN.rawValue) != 0 {
                            onReadable(c)
                        }
                        if !c.closed && ev.events & UInt32(EPOLLOUT.rawValue) != 0 {
                            flush(c)
                        }
                    }
                }
            }
            drainMailbox()
            let now = monotonicNanos()
            if now &- lastTimerCheck > 250_000_000 {
                lastTimerCheck = now
                checkTimers(now: now)
            }
        }
        for c in Array(connections.values) { closeConnection(c) }
        if listenFD >= 0 { Glibc.close(listenFD); listenFD = -1 }
        Glibc.close(epfd)
        for w in shutdownWaiters { w.resume() }
        shutdownWaiters.removeAll()
    }

    private func drainMailbox() { mailbox.drain(()) }

    private func addToEpoll(fd: Int32, events: UInt32) {
        var ev = epoll_event()
        ev.events = events
        ev.data.fd = fd
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
    }

    private func setInterest(_ c: Connection) {
        if c.closed { return }
        var want: UInt32 = 0
        if !c.peerClosed && c.bufferedInput < configuration.inputHighWater { want |= UInt32(EPOLLIN.rawValue) }
        if c.pendingOutput > 0 { want |= UInt32(EPOLLOUT.rawValue) }
        if want == c.registeredEvents { return }
        var ev = epoll_event()
        ev.events = want
        ev.data.fd = c.fd
        epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev)
        c.registeredEvents = want
    }

    private func acceptAll() {
        while listenFD >= 0 {
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &ss) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    csys_accept_nonblock(listenFD, $0, &len)
                }
            }
            if fd < 0 {
                let e = csys_errno()
                if e == EINTR || e == ECONNABORTED { continue }
                if e == EMFILE || e == ENFILE { Log.warn("\(configuration.name): out of file descriptors, cannot accept") }
                return
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if connections.count >= configuration.maxConnections || shuttingDown {
                let body = errorJSON(code: "TOO_MANY_CONNECTIONS", message: shuttingDown ? "server is shutting down" : "connection limit reached")
                let msg = "HTTP/1.1 503 Service Unavailable\r\nDate: \(date.now())\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n\(body)"
                _ = msg.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                Glibc.close(fd)
                continue
            }
            let id = nextID
            nextID += 1
            let c = Connection(id: id, fd: fd, remote: Socket.describe(ss), limits: configuration.parserLimits, now: monotonicNanos())
            connections[id] = c
            byFD[fd] = id
            openConnections = connections.count
            var ev = epoll_event()
            ev.events = UInt32(EPOLLIN.rawValue)
            ev.data.fd = fd
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
            c.registeredEvents = ev.events
        }
    }

    private func onReadable(_ c: Connection) {
        while !c.peerClosed && c.bufferedInput < configuration.inputHighWater {
            let n = recv(c.fd, readBuffer.baseAddress, readBuffer.count, 0)
            if n > 0 {
                c.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
                c.lastActivity = monotonicNanos()
                if n < readBuffer.count { break }
            } else if n == 0 {
                c.peerClosed = true
            } else {
                let e = csys_errno()
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { break }
                c.peerClosed = true
                c.closeAfterWrite = true
            }
        }
        process(c)
    }

    // MARK: - Request processing

    /// Advances the connection: parse heads, feed a waiting body reader,
    /// discard unread bodies, and close when the peer is gone.
    private func process(_ c: Connection) {
        while !c.closed {
            if let ex = c.exchange {
                if ex.bodyWaiter != nil {
                    if !feedBody(c, ex) { break }
                    continue
                }
                if ex.responseQueued && c.pendingOutput == 0 {
                    finishExchange(c)
                    continue
                }
                if c.peerClosed && !ex.responseQueued && ex.responseStarted {
                    // A streaming response to a client that left: abort it.
                    closeConnection(c)
                    return
                }
                break
            }
            // Between requests: parse the next head.
            if c.bufferedInput == 0 {
                if c.peerClosed { closeConnection(c); return }
                break
            }
            if shuttingDown && c.requestsServed > 0 { closeConnection(c); return }
            if c.headStarted == 0 { c.headStarted = monotonicNanos() }
            let step: RequestParser.Step
            do {
                step = try c.input.withUnsafeBytes { try c.parser.next(UnsafeRawBufferPointer(rebasing: $0[c.inputStart...])) }
            } catch {
                respondAndClose(c, error)
                return
            }
            switch step {
            case .needMore(let consumed):
                c.consumeInput(consumed)
                if consumed == 0 {
                    if c.peerClosed { closeConnection(c); return }
                    setInterest(c)
                    return
                }
            case .head(let box, let consumed):
                c.consumeInput(consumed)
                c.headStarted = 0
                startExchange(c, box.head)
            case .end(let consumed):
                // The (empty) body of the previous request ends here.
                c.consumeInput(consumed)
            case .body:
                // A body is only ever read through feedBody or discardBody.
                respondAndClose(c, HTTPError(500, "INTERNAL", "parser out of sync"))
                return
            }
        }
        if !c.closed { setInterest(c) }
    }

    private func startExchange(_ c: Connection, _ head: HTTPRequestHead) {
        let serial = nextSerial
        nextSerial += 1
        requestsTotal += 1
        let limit = handler.maxBodySize(for: head)
        let ex = Exchange(serial: serial, head: head, bodyLimit: limit)
        c.exchange = ex
        if head.bodyFraming == .none {
            // Move the parser past the empty body so it is ready for the next head.
            _ = try? c.parser.next(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        if case .length(let n) = head.bodyFraming, n > limit {
            ex.bodyComplete = false
            c.closeAfterWrite = true
            queueResponse(c, ex, HTTPResponse.error(HTTPError(413, "PAYLOAD_TOO_LARGE", "request body of \(n) bytes exceeds the limit of \(limit) bytes for this resource")))
            return
        }
        let request = HTTPRequest(head: head, body: RequestBody(server: self, connection: c.id, serial: serial), remoteAddress: c.remote)
        let handler = self.handler
        let connID = c.id
        let started = monotonicNanos()
        let log = configuration.accessLog
        let name = configuration.name
        Task(executorPreference: handlerThreads) { [self] in
            var response: HTTPResponse
            do {
                response = try await handler.handle(request)
            } catch let e as HTTPError {
                response = .error(e)
            } catch {
                response = .error(HTTPError(500, "INTERNAL", "\(error)"))
            }
            let status = response.status
            await self.sendResponse(response, connection: connID, serial: serial)
            if log {
                let ms = Double(monotonicNanos() - started) / 1e6
                Log.info("\(name) \(request.remoteAddress) \"\(head.method) \(AccessLog.redacted(head.target))\" \(status) \(String(format: "%.1f", ms))ms")
            }
        }
    }

    /// Feeds the waiting body reader from buffered input. Returns false when
    /// more bytes are needed from the socket.
    private func feedBody(_ c: Connection, _ ex: Exchange) -> Bool {
        guard let waiter = ex.bodyWaiter else { return true }
        if let err = ex.bodyError {
            ex.bodyWaiter = nil
            waiter.resume(throwing: err)
            return true
        }
        if ex.bodyComplete {
            ex.bodyWaiter = nil
            waiter.resume(returning: nil)
            return true
        }
        while true {
            if c.bufferedInput == 0 && !(c.parser.state == .fixedBody(remaining: 0)) {
                if c.peerClosed {
                    ex.bodyWaiter = nil
                    ex.bodyError = HTTPError(400, "INCOMPLETE_BODY", "client closed the connection before the body was complete")
                    c.closeAfterWrite = true
                    waiter.resume(throwing: ex.bodyError!)
                    return true
                }
                if ex.bodyWaitStarted == 0 { ex.bodyWaitStarted = monotonicNanos() }
                setInterest(c)
                return false
            }
            let step: RequestParser.Step
            do {
                step = try c.input.withUnsafeBytes { try c.parser.next(UnsafeRawBufferPointer(rebasing: $0[c.inputStart...])) }
            } catch {
                ex.bodyWaiter = nil
                ex.bodyError = (error as? HTTPError) ?? HTTPError(400, "BAD_BODY", "\(error)")
                c.closeAfterWrite = true
                waiter.resume(throwing: error)
                return true
            }
            switch step {
            case .needMore(let consumed):
                c.consumeInput(consumed)
                if consumed == 0 {
                    if c.peerClosed {
                        ex.bodyWaiter = nil
                        ex.bodyError = HTTPError(400, "INCOMPLETE_BODY", "client closed the connection before the body was complete")
                        c.closeAfterWrite = true
                        waiter.resume(throwing: ex.bodyError!)
                        return true
                    }
                    if ex.bodyWaitStarted == 0 { ex.bodyWaitStarted = monotonicNanos() }
                    setInterest(c)
                    return false
                }
            case .body(let range, let consumed):
                let piece = Array(c.input[(c.inputStart + range.lowerBound)..<(c.inputStart + range.upperBound)])
                c.consumeInput(consumed)
                ex.bodyDelivered += Int64(piece.count)
                ex.bodyWaiter = nil
                ex.bodyWaitStarted = 0
                if ex.bodyDelivered > ex.bodyLimit {
                    ex.bodyError = HTTPError(413, "PAYLOAD_TOO_LARGE", "request body exceeds the limit of \(ex.bodyLimit) bytes for this resource")
                    c.closeAfterWrite = true
                    waiter.resume(throwing: ex.bodyError!)
                } else {
                    waiter.resume(returning: piece)
                }
                setInterest(c)
                return true
            case .end(let consumed):
                c.consumeInput(consumed)
                ex.bodyComplete = true
                ex.bodyWaiter = nil
                ex.bodyWaitStarted = 0
                waiter.resume(returning: nil)
                return true
            case .head:
                ex.bodyWaiter = nil
                waiter.resume(throwing: HTTPError(500, "INTERNAL", "parser out of sync"))
                return true
            }
        }
    }

    /// Called on the loop when the response is fully written.
    private func finishExchange(_ c: Connection) {
        guard let ex = c.exchange else { return }
        c.requestsServed += 1
        // A client that half-closed after pipelining still gets an answer to
        // every request it sent; the connection closes once they are served.
        let reusable = !c.closeAfterWrite && ex.head.keepAlive && !shuttingDown && !(c.peerClosed && c.bufferedInput == 0)
        c.exchange = nil
        ex.resumeCloseWaiters()
        if !reusable { closeConnection(c); return }
        if !ex.bodyComplete {
            // The handler answered without reading the whole body. Discard a
            // small remainder to keep the connection; otherwise close.
            if ex.head.expectContinue && !ex.continueSent { closeConnection(c); return }
            if !discardBody(c, budget: 256 * 1024) { closeConnection(c); return }
        }
        c.headStarted = monotonicNanos()
        c.lastActivity = c.headStarted
    }

    /// Discards the unread body from buffered input; false if it cannot be done now.
    private func discardBody(_ c: Connection, budget: Int) -> Bool {
        var left = budget
        while true {
            let step: RequestParser.Step
            do {
                step = try c.input.withUnsafeBytes { try c.parser.next(UnsafeRawBufferPointer(rebasing: $0[c.inputStart...])) }
            } catch { return false }
            switch step {
            case .needMore(let consumed):
                if consumed == 0 { return false }
                c.consumeInput(consumed)
            case .body(_, let consumed):
                left -= consumed
                if left < 0 { return false }
                c.consumeInput(consumed)
            case .end(let consumed):
                c.consumeInput(consumed)
                return true
            case .head:
                return false
            }
        }
    }

    // MARK: - Responses

    private func respondAndClose(_ c: Connection, _ error: Error) {
        let e = (error as? HTTPError) ?? HTTPError(400, "BAD_REQUEST", "\(error)")
        c.closeAfterWrite = true
        let ex = c.exchange ?? Exchange(serial: 0, head: HTTPRequestHead(method: "GET", target: "/", path: "/", query: nil, versionMinor: 1, headers: HTTPHeaders(), bodyFraming: .none, keepAlive: false, expectContinue: false), bodyLimit: 0)
        c.exchange = ex
        if ex.responseStarted {
            closeConnection(c)
            return
        }
        queueResponse(c, ex, .error(e))
    }

    /// Builds the status line and headers; returns whether the body is chunked.
    private func serializeHead(_ c: Connection, _ ex: Exchange, _ r: HTTPResponse, contentLength: Int64?) -> [UInt8] {
        var h = "HTTP/1.1 \(r.status) \(HTTPStatus.reason(r.status))\r\n"
        h += "Date: \(date.now())\r\n"
        let noBody = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200)
        var hasLength = false
        for f in r.headers.fields {
            if f.name.caseInsensitiveEquals("Connection") || f.name.caseInsensitiveEquals("Transfer-Encoding") { continue }
            if f.name.caseInsensitiveEquals("Content-Length") {
                if noBody && r.status != 304 { continue }
                hasLength = true
            }
            h += "\(f.name): \(f.value)\r\n"
        }
        ex.chunkedResponse = false
        if !noBody && !hasLength {
            if let contentLength {
                h += "Content-Length: \(contentLength)\r\n"
            } else if ex.head.versionMinor >= 1 {
                h += "Transfer-Encoding: chunked\r\n"
                ex.chunkedResponse = !ex.headRequest
            } else {
                c.closeAfterWrite = true
            }
        }
        if shuttingDown { c.closeAfterWrite = true }
        let keep = ex.head.keepAlive && !c.closeAfterWrite
        if !keep {
            h += "Connection: close\r\n"
            c.closeAfterWrite = true
        } else if ex.head.versionMinor == 0 {
            h += "Connection: keep-alive\r\n"
        }
        h += "\r\n"
        return Array(h.utf8)
    }

    /// Queues a complete (non-stream) response on the loop.
    private func queueResponse(_ c: Connection, _ ex: Exchange, _ r: HTTPResponse) {
        ex.status = r.status
        ex.responseStarted = true
        switch r.body {
        case .empty:
            c.output.append(contentsOf: serializeHead(c, ex, r, contentLength: 0))
        case .bytes(let b):
            c.output.append(contentsOf: serializeHead(c, ex, r, contentLength: Int64(b.count)))
            if !ex.headRequest && r.status != 204 && r.status != 304 { c.output.append(contentsOf: b) }
        case .file, .openFile:
            let fd: Int32, offset: Int64, length: Int64
            if case .file(let path, let o, let l) = r.body {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                offset = o
                length = l
            } else if case .openFile(let f, let o, let l) = r.body {
                fd = f.take()
                offset = o
                length = l
            } else {
                fd = -1; offset = 0; length = 0
            }
            if fd < 0 {
                let e = HTTPError(404, "NOT_FOUND", "file vanished")
                c.output.append(contentsOf: serializeHead(c, ex, .error(e), contentLength: Int64(errorJSON(code: e.code, message: e.message).utf8.count)))
                c.output.append(contentsOf: Array(errorJSON(code: e.code, message: e.message).utf8))
            } else {
                c.output.append(contentsOf: serializeHead(c, ex, r, contentLength: length))
                if ex.headRequest || length == 0 {
                    Glibc.close(fd)
                } else {
                    c.fileFD = fd
                    c.fileOffset = offset
                    c.fileRemaining = length
                }
            }
        case .stream:
            break // handled by sendResponse
        }
        ex.responseQueued = true
        flush(c)
    }

    /// Sends a handler's response (from the handler's task).
    func sendResponse(_ response: HTTPResponse, connection: UInt64, serial: UInt64) async {
        guard case .stream(let produce) = response.body else {
            execute { [self] in
                guard let c = connections[connection], let ex = c.exchange, ex.serial == serial, !ex.responseStarted else { return }
                if ex.bodyError != nil { c.closeAfterWrite = true }
                queueResponse(c, ex, response)
            }
            return
        }
        let started: Bool = await withCheckedContinuation { cont in
            execute { [self] in
                guard let c = connections[connection], let ex = c.exchange, ex.serial == serial, !ex.responseStarted else {
                    cont.resume(returning: false); return
                }
                ex.status = response.status
                ex.responseStarted = true
                let length = response.headers["Content-Length"].flatMap { Int64($0) }
                c.output.append(contentsOf: serializeHead(c, ex, response, contentLength: length))
                flush(c)
                cont.resume(returning: !ex.headRequest)
            }
        }
        guard started else {
            execute { [self] in
                if let c = connections[connection], let ex = c.exchange, ex.serial == serial, ex.responseStarted, !ex.responseQueued {
                    ex.responseQueued = true
                    flush(c)
                }
            }
            return
        }
        let writer = ResponseBodyWriter(server: self, connection: connection, serial: serial)
        let failed: Bool
        do {
            try await produce(writer)
            failed = false
        } catch {
            failed = true
        }
        execute { [self] in
            guard let c = connections[connection], let ex = c.exchange, ex.serial == serial else { return }
            if failed {
                // A stream cannot report an error once its head is out: cut it.
                closeConnection(c)
                return
            }
            if ex.chunkedResponse { c.output.append(contentsOf: Array("0\r\n\r\n".utf8)) }
            ex.responseQueued = true
            flush(c)
        }
    }

    func writeBody(connection: UInt64, serial: UInt64, bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
            execute { [self] in
                guard let c = connections[connection], !c.closed, let ex = c.exchange, ex.serial == serial, !c.peerClosed else {
                    cont.resume(throwing: HTTPError.connectionClosed); return
                }
                if ex.chunkedResponse {
                    c.output.append(contentsOf: Array((String(bytes.count, radix: 16) + "\r\n").utf8))
                    c.output.append(contentsOf: bytes)
                    c.output.append(13); c.output.append(10)
                } else {
                    c.output.append(contentsOf: bytes)
                }
                flush(c)
                if c.closed {
                    cont.resume(throwing: HTTPError.connectionClosed)
                } else if c.pendingOutput < configuration.outputHighWater {
                    cont.resume()
                } else {
                    ex.writeWaiters.append(cont)
                }
            }
        }
    }

    /// Returns once the exchange `serial` on `connection` has ended: the
    /// client closed the connection (seen at once, by its EOF or reset) or
    /// the response was sent.
    func waitUntilClosed(connection: UInt64, serial: UInt64) async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            execute { [self] in
                guard let c = connections[connection], !c.closed, let ex = c.exchange, ex.serial == serial, !c.peerClosed else {
                    cont.resume(); return
                }
                ex.closeWaiters.append(cont)
            }
        }
    }

    func readBody(connection: UInt64, serial: UInt64) async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<[UInt8]?, Error>) in
            execute { [self] in
                guard let c = connections[connection], !c.closed, let ex = c.exchange, ex.serial == serial else {
                    cont.resume(throwing: HTTPError.connectionClosed); return
                }
                if ex.bodyWaiter != nil {
                    cont.resume(throwing: HTTPError(500, "INTERNAL", "concurrent body reads")); return
                }
                if ex.head.expectContinue && !ex.continueSent && !ex.bodyComplete && !ex.responseStarted {
                    ex.continueSent = true
                    c.output.append(contentsOf: Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                    flush(c)
                }
                ex.bodyWaiter = cont
                if ex.bodyStarted == 0 { ex.bodyStarted = monotonicNanos() }
                process(c)
            }
        }
    }


    // MARK: - Writing

    private func flush(_ c: Connection) {
        if c.closed { return }
        while c.outputStart < c.output.count {
            let n = c.output.withUnsafeBytes { p in
                Glibc.send(c.fd, p.baseAddress! + c.outputStart, p.count - c.outputStart, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                c.outputStart += n
                c.lastActivity = monotonicNanos()
            } else {
                let e = csys_errno()
                if n < 0 && e == EINTR { continue }
                if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { setInterest(c); return }
                closeConnection(c)
                return
            }
        }
        c.output.removeAll(keepingCapacity: c.output.capacity <= 1 << 20)
        c.outputStart = 0
        while c.fileRemaining > 0 {
            var off = off_t(c.fileOffset)
            let n = sendfile(c.fd, c.fileFD, &off, Int(min(c.fileRemaining, 1 << 30)))
            if n > 0 {
                c.fileOffset += Int64(n)
                c.fileRemaining -= Int64(n)
                c.lastActivity = monotonicNanos()
            } else if n == 0 {
                // The file shrank underneath us: the length promised cannot be met.
                closeConnection(c)
                return
            } else {
                let e = csys_errno()
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { setInterest(c); return }
                closeConnection(c)
                return
            }
        }
        if c.fileFD >= 0 { Glibc.close(c.fileFD); c.fileFD = -1 }
        if let ex = c.exchange, !ex.writeWaiters.isEmpty {
            let waiters = ex.writeWaiters
            ex.writeWaiters.removeAll()
            for w in waiters { w.resume() }
        }
        if let ex = c.exchange, ex.responseQueued {
            finishExchange(c)
            if !c.closed { process(c) }
            return
        }
        setInterest(c)
    }

    private func closeConnection(_ c: Connection) {
        if c.closed { return }
        c.closed = true
        epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nil)
        Glibc.close(c.fd)
        if c.fileFD >= 0 { Glibc.close(c.fileFD); c.fileFD = -1 }
        connections[c.id] = nil
        byFD[c.fd] = nil
        openConnections = connections.count
        if let ex = c.exchange {
            if let w = ex.bodyWaiter { ex.bodyWaiter = nil; w.resume(throwing: HTTPError.connectionClosed) }
            for w in ex.writeWaiters { w.resume(throwing: HTTPError.connectionClosed) }
            ex.writeWaiters.removeAll()
            ex.resumeCloseWaiters()
        }
        if shuttingDown && connections.isEmpty { stopped = true }
    }

    // MARK: - Timers and shutdown

    private func checkTimers(now: UInt64) {
        let cfg = configuration
        for c in Array(connections.values) {
            if let ex = c.exchange {
                if let w = ex.bodyWaiter, let error = bodyTimeoutError(ex, now: now) {
                    ex.bodyWaiter = nil
                    ex.bodyError = error
                    c.closeAfterWrite = true
                    w.resume(throwing: error)
                } else if c.pendingOutput > 0 && Double(now - c.lastActivity) / 1e9 > cfg.writeTimeout {
                    closeConnection(c)
                }
                continue
            }
            if c.bufferedInput > 0 || c.requestsServed == 0 {
                if c.headStarted != 0 && Double(now - c.headStarted) / 1e9 > cfg.headerTimeout {
                    respondAndClose(c, HTTPError(408, "REQUEST_TIMEOUT", "request head not received within \(Int(cfg.headerTimeout)) s"))
                }
            } else if Double(now - c.lastActivity) / 1e9 > cfg.keepAliveTimeout {
                closeConnection(c)
            }
        }
        if shuttingDown {
            if connections.isEmpty || now >= shutdownDeadline {
                stopped = true
            }
        }
    }

    /// Why a body read that waits for the client has lasted too long, if it has.
    private func bodyTimeoutError(_ ex: Exchange, now: UInt64) -> HTTPError? {
        let cfg = configuration
        if ex.bodyWaitStarted != 0 && Double(now &- ex.bodyWaitStarted) / 1e9 > cfg.bodyTimeout {
            return HTTPError(408, "REQUEST_TIMEOUT", "no request body data for \(Int(cfg.bodyTimeout)) s")
        }
        let reading = Double(now &- ex.bodyStarted) / 1e9
        if ex.bodyWaitStarted != 0 && ex.bodyStarted != 0 && reading > cfg.bodyTimeout && Double(ex.bodyDelivered) < cfg.bodyMinRate * reading {
            return HTTPError(408, "REQUEST_TIMEOUT", "request body arrives slower than \(Int(cfg.bodyMinRate)) bytes/s (\(ex.bodyDelivered) bytes in \(Int(reading)) s)")
        }
        return nil
    }

    private func beginShutdown(deadline: Double) {
        if !shuttingDown {
            shuttingDown = true
            shutdownDeadline = monotonicNanos() + UInt64(deadline * 1e9)
            if listenFD >= 0 {
                epoll_ctl(epfd, EPOLL_CTL_DEL, listenFD, nil)
                Glibc.close(listenFD)
                listenFD = -1
            }
            for c in Array(connections.values) where c.exchange == nil && c.bufferedInput == 0 {
                closeConnection(c)
            }
        }
        if connections.isEmpty { stopped = true }
    }
}
