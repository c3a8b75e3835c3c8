import CSystem
import Glibc
import Synchronization

/// Work for a loop thread posted from any thread: a locked queue of closures
/// plus an eventfd the loop's epoll watches. One type for the three loops
/// (HTTP server, media worker, recorder thread), each handing its own
/// loop-confined `Target` to the work it runs.
///
/// `post` writes the eventfd only when the queue was empty, so a burst of
/// commands costs one wake-up; the loop calls `drain` when the eventfd fired
/// (never per I/O batch, so the lock is off the hot path).
public final class Mailbox<Target>: Sendable {
    /// Watched by the loop's epoll (EPOLLIN).
    public let fd: Int32
    private let queue = Mutex<[@Sendable (Target) -> Void]>([])

    public init() {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit { close(fd) }

    /// Queues `work` to run on the loop thread with its target.
    public func post(_ work: @escaping @Sendable (Target) -> Void) {
        let first = queue.withLock { q in
            q.append(work)
            return q.count == 1
        }
        if first {
            var one: UInt64 = 1
            _ = write(fd, &one, 8)
        }
    }

    /// On the loop thread: resets the eventfd and runs everything queued,
    /// including work posted while draining.
    public func drain(_ target: Target) {
        var v: UInt64 = 0
        _ = read(fd, &v, 8)
        while true {
            let work = queue.withLock { q -> [@Sendable (Target) -> Void] in
                let w = q
                q.removeAll(keepingCapacity: true)
                return w
            }
            if work.isEmpty { return }
            for w in work { w(target) }
        }
    }
}
