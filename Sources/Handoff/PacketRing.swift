import CSystem
import Glibc
import Synchronization

/// Hands decrypted RTP packets and sender reports from the one thread that
/// receives them (a media worker) to one other thread: the worker whose
/// viewers consume a piped producer (`PipeRing`), or the recorder's I/O
/// thread (`RecorderTap`). One type for both hand-offs.
///
/// A bounded single-producer/single-consumer ring of preallocated,
/// pre-touched slots: the producer copies each packet into the next free
/// slot, the consumer drains in order; two atomic indices (release/acquire)
/// order the slots, so nothing locks or allocates per packet. When the ring
/// is full the producer drops the packet and counts it — it never waits, so
/// a slow consumer cannot stall forwarding. Drops are reported in-band: the
/// next entry of the same track carries how many were dropped before it
/// (`Entry.droppedBefore`).
///
/// Waking the consumer (an eventfd its epoll watches) is the producer's
/// choice per use: once per batch (`signal()`, the pipe: the downstream
/// worker forwards at once) or only when the ring becomes half full
/// (`wakeWhenHalfFull`, the recorder: it drains on its own timer otherwise).
public final class PacketRing: @unchecked Sendable {
    /// What one slot carries.
    public enum Kind: UInt8, Sendable {
        /// A decrypted RTP packet as the publisher sent it (RTX already unwrapped).
        case rtp = 0
        /// A publisher's RTCP sender report for one track: NTP time and RTP time.
        case senderReport = 1
    }

    /// One entry read from the ring, valid only during the `drain` callback.
    public struct Entry {
        public let kind: Kind
        /// Index of the producer track (its m-line order).
        public let track: Int
        /// CLOCK_MONOTONIC ns (`monotonicNow`) when the producer thread received it.
        public let arrival: UInt64
        /// Packets of this track the ring dropped (full) just before this one.
        public let droppedBefore: Int
        /// The RTP packet (`.rtp`) or 12 bytes NTP(8) + RTP timestamp(4) (`.senderReport`),
        /// writable in place during the callback.
        public let packet: UnsafeMutableRawPointer
        public let length: Int

        public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: packet, count: length) }
        /// The sender report's NTP timestamp (`.senderReport` only).
        public var ntp: UInt64 { packet.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
        /// The sender report's RTP timestamp (`.senderReport` only).
        public var rtpTimestamp: UInt32 { packet.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }
    }

    /// Largest packet a slot holds.
    public static let slotSize = 1500
    /// Distance between slots: `slotSize` rounded up to whole cache lines.
    static let slotStride = 1536
    public static let defaultSlotCount = 1024
    /// Tracks per stream (per-track drop counts are preallocated).
    public static let maxTracks = 16

    struct SlotHeader {
        var length: UInt16 = 0
        var track: UInt8 = 0
        var kind: UInt8 = 0
        var droppedBefore: UInt32 = 0
        var arrival: UInt64 = 0
    }

    /// Number of slots (a power of two).
    public let capacity: Int
    private let mask: Int
    private let data: UnsafeMutableRawPointer
    private let headers: UnsafeMutablePointer<SlotHeader>
    /// Next slot the consumer reads; written by the consumer only.
    private let head = Atomic<Int>(0)
    /// Next slot the producer writes; written by the producer only.
    private let tail = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)
    private let pushedCount = Atomic<Int>(0)
    private let closedFlag = Atomic<Bool>(false)
    /// The eventfd that wakes the consumer.
    public let wakeFD: Int32
    private let ownsWakeFD: Bool
    private let wakeWhenHalfFull: Bool

    // Producer-confined state.
    private var cachedHead = 0
    private var unsignalled = false
    private let pendingDrops: UnsafeMutablePointer<UInt32>

    /// - Parameters:
    ///   - slotCount: rounded up to a power of two (at least 2).
    ///   - wakeFD: the consumer's eventfd; nil: the ring makes (and closes) its own.
    ///   - wakeWhenHalfFull: write the eventfd when the ring reaches half full
    ///     (besides any `signal()`).
    public init(slotCount: Int = PacketRing.defaultSlotCount, wakeFD: Int32? = nil, wakeWhenHalfFull: Bool = false) {
        var n = 2
        while n < slotCount { n <<= 1 }
        capacity = n
        mask = n - 1
        data = UnsafeMutableRawPointer.allocate(byteCount: n * Self.slotStride, alignment: 64)
        // Touch every page now (control plane), so the producer never takes a page fault on a first lap.
        memset(data, 0, n * Self.slotStride)
        headers = .allocate(capacity: n)
        headers.initialize(repeating: SlotHeader(), count: n)
        pendingDrops = .allocate(capacity: Self.maxTracks)
        pendingDrops.initialize(repeating: 0, count: Self.maxTracks)
        self.wakeFD = wakeFD ?? eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        ownsWakeFD = wakeFD == nil
        self.wakeWhenHalfFull = wakeWhenHalfFull
    }

    deinit {
        data.deallocate()
        headers.deallocate()
        pendingDrops.deallocate()
        if ownsWakeFD { Glibc.close(wakeFD) }
    }

    // MARK: - Producer

    /// Copies an RTP packet into the next slot. Returns false (and counts a
    /// drop) when the ring is full, the packet is larger than a slot, or the
    /// track index is out of range.
    @inline(__always)
    @discardableResult
    public func push(track: Int, rtp: UnsafeRawPointer, length: Int, arrival: UInt64) -> Bool {
        guard length > 0, length <= Self.slotSize, track >= 0, track < Self.maxTracks else {
            droppedCount.add(1, ordering: .relaxed)
            return false
        }
        guard let slot = reserve(track: track) else { return false }
        (data + slot * Self.slotStride).copyMemory(from: rtp, byteCount: length)
        commit(slot, track: track, kind: .rtp, length: length, arrival: arrival)
        return true
    }

    /// Queues a sender report of `track` (RFC 3550 §6.4.1: NTP and RTP time
    /// of the same instant).
    @discardableResult
    public func pushSenderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64) -> Bool {
        guard track >= 0, track < Self.maxTracks else { droppedCount.add(1, ordering: .relaxed); return false }
        guard let slot = reserve(track: track) else { return false }
        let p = data + slot * Self.slotStride
        p.storeBytes(of: ntp, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: rtpTimestamp, toByteOffset: 8, as: UInt32.self)
        commit(slot, track: track, kind: .senderReport, length: 12, arrival: arrival)
        return true
    }

    /// Wakes the consumer if anything was pushed since the last call (one
    /// syscall per batch of the producing thread).
    @inline(__always)
    public func signal() {
        guard unsignalled else { return }
        unsignalled = false
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// The producer is gone (unpublish, transport removed, tap detached):
    /// nothing more will be pushed. The consumer drains what is left.
    public func close() { closedFlag.store(true, ordering: .releasing) }

    @inline(__always)
    private func reserve(track: Int) -> Int? {
        let t = tail.load(ordering: .relaxed)
        if t &- cachedHead >= capacity {
            cachedHead = head.load(ordering: .acquiring)
            if t &- cachedHead >= capacity {
                pendingDrops[track] &+= 1
                droppedCount.add(1, ordering: .relaxed)
                return nil
            }
        }
        return t & mask
    }

    @inline(__always)
    private func commit(_ slot: Int, track: Int, kind: Kind, length: Int, arrival: UInt64) {
        headers[slot] = SlotHeader(length: UInt16(length), track: UInt8(track), kind: kind.rawValue,
                                   droppedBefore: pendingDrops[track], arrival: arrival)
        pendingDrops[track] = 0
        let t = tail.load(ordering: .relaxed) &+ 1
        tail.store(t, ordering: .releasing)
        pushedCount.add(1, ordering: .relaxed)
        unsignalled = true
        if wakeWhenHalfFull && t &- cachedHead == capacity / 2 {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    // MARK: - Consumer

    /// Resets the eventfd (call before `drain`, so a push racing the drain wakes again).
    public func acknowledgeWake() {
        var v: UInt64 = 0
        _ = Glibc.read(wakeFD, &v, 8)
    }

    /// Hands up to `limit` queued entries to `body`, oldest first, and frees
    /// their slots. Returns how many were handed over.
    @discardableResult
    public func drain(limit: Int = .max, _ body: (Entry) throws -> Void) rethrows -> Int {
        var h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        var n = 0
        defer { head.store(h, ordering: .releasing) }
        while h != t && n < limit {
            let slot = h & mask
            let header = headers[slot]
            let entry = Entry(kind: Kind(rawValue: header.kind) ?? .rtp, track: Int(header.track), arrival: header.arrival,
                              droppedBefore: Int(header.droppedBefore), packet: data + slot * Self.slotStride, length: Int(header.length))
            h &+= 1
            n += 1
            try body(entry)
        }
        return n
    }

    /// Entries queued now (approximate while the producer runs).
    public var count: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
    /// Packets dropped since the ring was made (full, oversized or bad track).
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
    /// Entries queued since the ring was made.
    public var pushed: Int { pushedCount.load(ordering: .relaxed) }
    /// Whether the producer has closed the ring. Read it BEFORE a final
    /// `drain`: everything pushed before `close()` is then visible.
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }
}

/// The recorder's tap on one producer (half-full wake-ups on the recorder's eventfd).
public typealias RecorderTap = PacketRing
/// What one tap entry carries.
public typealias TapEntryKind = PacketRing.Kind
/// One entry read from a tap.
public typealias TapEntry = PacketRing.Entry
