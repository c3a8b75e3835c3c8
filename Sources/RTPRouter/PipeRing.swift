import CSystem
import Glibc
import Synchronization

/// Hands a producer's decrypted RTP (and its sender reports) from the worker
/// that receives it to another worker whose viewers consume it ("pipe
/// producer", issue 6): a bounded single-producer/single-consumer ring of
/// preallocated packet slots plus an eventfd that wakes the consumer's epoll.
///
/// Why a ring and not a loopback UDP pipe: a UDP hop costs a `sendmmsg` and a
/// `recvmmsg` per packet (≈ 4 µs, more than the SRTP of the packet) and
/// kernel copies; the ring costs one memcpy per packet, no lock, no allocation,
/// and one eventfd write per batch of the producing worker. When the ring is
/// full the packet is dropped and counted (the consuming side's viewers
/// NACK it like any loss).
///
/// Exactly one thread pushes (the upstream worker) and one thread pops (the
/// downstream worker). The indices are monotonic counters published with
/// release/acquire ordering, so a slot is never read before it is written.
public final class PipeRing: @unchecked Sendable {
    /// What a slot carries.
    public enum Kind: UInt8 {
        /// An RTP packet (decrypted, as the publisher sent it; RTX already unwrapped).
        case rtp = 0
        /// A sender report of the track: `ntp` and `rtp` are its NTP and RTP times.
        case senderReport = 1
    }

    /// Slot metadata; the packet bytes follow in the slot's data area.
    public struct Header {
        public var kind: Kind
        public var trackIndex: UInt8
        public var length: UInt16
        /// Monotonic ns when the upstream worker received it (one clock for all threads).
        public var arrival: UInt64
        public var ntp: UInt64
        public var rtp: UInt32
    }

    public static let slotDataSize = 1536
    public let capacity: Int
    let mask: Int
    let headers: UnsafeMutablePointer<Header>
    let data: UnsafeMutableRawPointer
    /// Written by the consumer only (next slot to read).
    let head = Atomic<Int>(0)
    /// Written by the producer only (next slot to write).
    let tail = Atomic<Int>(0)
    /// eventfd the consumer's worker polls; the producer writes it once per batch.
    public let wakeFD: Int32
    /// Producer side: pushed since the last `signal()`.
    var unsignalled = false
    /// Packets dropped because the ring was full (producer side).
    public private(set) var dropped: UInt64 = 0
    public private(set) var pushed: UInt64 = 0

    /// - Parameter capacity: slots, rounded up to a power of two (default 512 ≈ 0.5 s of a 1.5 Mbit/s video).
    public init(capacity: Int = 512) {
        var c = 1
        while c < max(2, capacity) { c <<= 1 }
        self.capacity = c
        mask = c - 1
        headers = .allocate(capacity: c)
        headers.initialize(repeating: Header(kind: .rtp, trackIndex: 0, length: 0, arrival: 0, ntp: 0, rtp: 0), count: c)
        data = .allocate(byteCount: c * Self.slotDataSize, alignment: 64)
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit {
        headers.deinitialize(count: capacity)
        headers.deallocate()
        data.deallocate()
        close(wakeFD)
    }

    // MARK: - Producer (upstream worker)

    /// Copies a packet into the next slot; false (and counted) when the ring is full or the packet too large.
    @inline(__always)
    @discardableResult
    public func push(rtp packet: UnsafeRawPointer, length: Int, trackIndex: Int, arrival: UInt64) -> Bool {
        guard length <= Self.slotDataSize else { dropped &+= 1; return false }
        let t = tail.load(ordering: .relaxed)
        guard t &- head.load(ordering: .acquiring) < capacity else { dropped &+= 1; return false }
        let i = t & mask
        (data + i * Self.slotDataSize).copyMemory(from: packet, byteCount: length)
        headers[i] = Header(kind: .rtp, trackIndex: UInt8(truncatingIfNeeded: trackIndex), length: UInt16(length),
                            arrival: arrival, ntp: 0, rtp: 0)
        tail.store(t &+ 1, ordering: .releasing)
        unsignalled = true
        pushed &+= 1
        return true
    }

    /// Queues a sender report of track `trackIndex`.
    @discardableResult
    public func push(senderReportOf trackIndex: Int, ntp: UInt64, rtp: UInt32, arrival: UInt64) -> Bool {
        let t = tail.load(ordering: .relaxed)
        guard t &- head.load(ordering: .acquiring) < capacity else { dropped &+= 1; return false }
        headers[t & mask] = Header(kind: .senderReport, trackIndex: UInt8(truncatingIfNeeded: trackIndex), length: 0,
                                   arrival: arrival, ntp: ntp, rtp: rtp)
        tail.store(t &+ 1, ordering: .releasing)
        unsignalled = true
        return true
    }

    /// Wakes the consumer if anything was pushed since the last call (one syscall per batch).
    @inline(__always)
    public func signal() {
        guard unsignalled else { return }
        unsignalled = false
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: - Consumer (downstream worker)

    /// Resets the eventfd (call before `drain`, so a push racing the drain wakes again).
    public func acknowledgeWake() {
        var v: UInt64 = 0
        _ = read(wakeFD, &v, 8)
    }

    /// Hands every queued slot to `body` (header, packet bytes valid during
    /// the call and writable in place), then frees them. Returns the count.
    @inline(__always)
    @discardableResult
    public func drain(_ body: (Header, UnsafeMutableRawPointer) -> Void) -> Int {
        var h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        let n = t &- h
        while h != t {
            let i = h & mask
            body(headers[i], data + i * Self.slotDataSize)
            h &+= 1
        }
        head.store(h, ordering: .releasing)
        return n
    }
}
