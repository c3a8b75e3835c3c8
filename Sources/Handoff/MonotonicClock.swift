import Glibc

/// The process's one clock: CLOCK_MONOTONIC in nanoseconds. Every thread
/// stamps with it (media workers, the recorder thread, the HTTP loops), so
/// times taken on one thread compare with times taken on another.
@inline(__always)
public func monotonicNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
