import Foundation

/// The threads that run one HTTP face's handlers (a Swift `TaskExecutor`).
///
/// Why: Swift's cooperative pool has one thread per core (two here). A
/// handler that computes for a long time (serialising a 30 MB event log) or
/// blocks in a system call holds a pool thread; two of them held every
/// thread, and every other request of every face waited behind them
/// (issue 16: `/healthz` at p99 ≈ 3.5 s). Each face's handlers therefore
/// run here: a thread per job that is running, started when every thread
/// is busy (up to `maxThreads`), so a slow handler holds only its own thread
/// and the kernel time-slices it against the quick ones; a handler that
/// awaits holds no thread at all. Threads idle for `idleSeconds` exit.
public final class HandlerThreads: TaskExecutor, @unchecked Sendable {
    public let name: String
    public let maxThreads: Int
    private let idleSeconds: Double
    private let lock = NSCondition()
    // Guarded by `lock`: the FIFO of runnable jobs (`queue[head...]`), and
    // how many threads exist and how many wait for a job.
    private var queue: [UnownedJob] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    /// Most threads alive at once (for tests and metrics).
    public private(set) var peakThreads = 0

    public init(name: String, maxThreads: Int = 64, idleSeconds: Double = 10) {
        precondition(maxThreads >= 1)
        self.name = name
        self.maxThreads = maxThreads
        self.idleSeconds = idleSeconds
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.lock()
        queue.append(job)
        // Every queued job needs a waiting thread; start one if there is none.
        if queue.count - head > idle && threads < maxThreads {
            threads += 1
            peakThreads = max(peakThreads, threads)
            let t = Thread { [self] in self.work() }
            t.name = "\(name)-handler"
            t.start()
        } else {
            lock.signal()
        }
        lock.unlock()
    }

    private func work() {
        lock.lock()
        while true {
            while head == queue.count {
                idle += 1
                let signalled = lock.wait(until: Date(timeIntervalSinceNow: idleSeconds))
                idle -= 1
                if !signalled && head == queue.count {
                    threads -= 1
                    lock.unlock()
                    return
                }
            }
            let job = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 1024 && head * 2 > queue.count {
                queue.removeSubrange(0..<head)
                head = 0
            }
            lock.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            lock.lock()
        }
    }
}
