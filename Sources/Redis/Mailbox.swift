import Foundation
import Glibc
import CSystem

/// A lock-protected queue of `Sendable` messages plus an eventfd that wakes
/// the epoll loop owning the receiving side. Written against the smallest
/// interface (`post`, `take`, `close`, `fd`) so it can be swapped for the
/// project's shared mailbox type once that exists.
final class Mailbox<Message: Sendable>: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var queue: [Message] = []
    private var closed = false

    init() {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit { Glibc.close(fd) }

    /// Queues `message` and wakes the loop; false once closed (nobody will read it).
    func post(_ message: Message) -> Bool {
        lock.lock()
        if closed { lock.unlock(); return false }
        queue.append(message)
        let first = queue.count == 1
        lock.unlock()
        if first {
            var one: UInt64 = 1
            _ = Glibc.write(fd, &one, 8)
        }
        return true
    }

    /// Resets the eventfd and takes every queued message (loop thread).
    func take() -> [Message] {
        var v: UInt64 = 0
        _ = Glibc.read(fd, &v, 8)
        lock.lock()
        defer { lock.unlock() }
        let out = queue
        queue.removeAll(keepingCapacity: true)
        return out
    }

    /// Refuses further posts; returns what was still queued.
    func close() -> [Message] {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        let out = queue
        queue = []
        return out
    }
}
