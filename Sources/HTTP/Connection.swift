/// The state of one client connection. Confined to its server's loop thread.
final class Connection {
    let id: UInt64
    let fd: Int32
    let remote: String

    /// Received, not yet parsed bytes live in `input[inputStart...]`.
    var input: [UInt8] = []
    var inputStart = 0
    var parser: RequestParser
    var peerClosed = false

    /// Bytes waiting to be written: `output[outputStart...]`.
    var output: [UInt8] = []
    var outputStart = 0
    /// A file region to send after `output` drains.
    var fileFD: Int32 = -1
    var fileOffset: Int64 = 0
    var fileRemaining: Int64 = 0

    var registeredEvents: UInt32 = 0
    var requestsServed = 0
    /// Monotonic time of the last byte received or sent.
    var lastActivity: UInt64
    /// Monotonic time at which the current head started arriving (0 = none).
    var headStarted: UInt64 = 0
    var closeAfterWrite = false
    var closed = false

    /// The request being handled, if any.
    var exchange: Exchange?

    init(id: UInt64, fd: Int32, remote: String, limits: RequestParser.Limits, now: UInt64) {
        self.id = id
        self.fd = fd
        self.remote = remote
        self.parser = RequestParser(limits: limits)
        self.lastActivity = now
        self.headStarted = now
    }

    var pendingOutput: Int { output.count - outputStart + Int(fileRemaining) }
    var bufferedInput: Int { input.count - inputStart }

    func consumeInput(_ n: Int) {
        inputStart += n
        if inputStart == input.count {
            input.removeAll(keepingCapacity: input.capacity <= 256 * 1024)
            inputStart = 0
        } else if inputStart > 64 * 1024 && inputStart * 2 > input.count {
            input.removeSubrange(0..<inputStart)
            inputStart = 0
        }
    }
}

/// One request/response exchange on a connection.
final class Exchange {
    let serial: UInt64
    let head: HTTPRequestHead
    let bodyLimit: Int64
    var bodyDelivered: Int64 = 0
    var bodyComplete: Bool
    var bodyWaiter: CheckedContinuation<[UInt8]?, Error>?
    var bodyError: HTTPError?
    var bodyWaitStarted: UInt64 = 0
    /// Monotonic time of the handler's first body read (0 = none yet).
    var bodyStarted: UInt64 = 0
    var continueSent = false
    /// The response head has been queued.
    var responseStarted = false
    /// The whole response has been queued (the exchange ends once it drains).
    var responseQueued = false
    var chunkedResponse = false
    var headRequest: Bool
    var writeWaiters: [CheckedContinuation<Void, Error>] = []
    /// Tasks waiting for this exchange to end (`ResponseBodyWriter.waitUntilClosed`).
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    var status = 0

    /// Wakes everyone waiting for the exchange to end.
    func resumeCloseWaiters() {
        let ws = closeWaiters
        closeWaiters.removeAll()
        for w in ws { w.resume() }
    }

    init(serial: UInt64, head: HTTPRequestHead, bodyLimit: Int64) {
        self.serial = serial
        self.head = head
        self.bodyLimit = bodyLimit
        self.bodyComplete = head.bodyFraming == .none
        self.headRequest = head.method == "HEAD"
    }
}
