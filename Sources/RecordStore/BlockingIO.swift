import Foundation

/// A small fixed pool of threads for the store's blocking file-system calls
/// (write, fsync, rename, directory scans). Swift's cooperative pool has one
/// thread per core; an fsync of a large file blocking it would stall every
/// HTTP handler in the process, so blocking work is sent here instead.
final class BlockingIO: @unchecked Sendable {
    static let shared = BlockingIO(threads: 8)

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0

    init(threads: Int) {
        for i in 0..<threads {
            let t = Thread { [self] in self.work() }
            t.name = "store-io-\(i)"
            t.stackSize = 512 * 1024
            t.start()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count { jobs.removeAll(keepingCapacity: true); head = 0 }
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on an I/O thread and returns its result to the caller's task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            condition.lock()
            jobs.append { c.resume(with: Result { try body() }) }
            condition.signal()
            condition.unlock()
        }
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await shared.run(body)
    }
}

/// Counts uploads in progress and refuses more than the limit (503), so a
/// burst of uploads cannot exhaust file descriptors, threads or disk bandwidth.
final class UploadGate: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var active = 0

    init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when all are taken.
    func tryEnter() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if active >= limit { return false }
        active += 1
        return true
    }

    func leave() {
        lock.lock(); active -= 1; lock.unlock()
    }

    var inProgress: Int { lock.lock(); defer { lock.unlock() }; return active }
}
