import Glibc
import Synchronization

/// What one tap slot carries.
public enum TapEntryKind: UInt8, Sendable {
    /// A decrypted RTP packet as the publisher sent it (RTX already unwrapped).
    case rtp = 0
    /// A publisher's RTCP sender report for one track: NTP time and RTP time.
    case senderReport = 1
}

/// One entry read from a tap, valid only during the `drain` callback.
public struct TapEntry {
    public let kind: TapEntryKind
    /// Index of the producer track (its m-line order).
    public let track: Int
    /// CLOCK_MONOTONIC ns when the worker received it.
    public let arrival: UInt64
    /// Packets of this track the tap dropped (ring full) just before this one.
    public let droppedBefore: Int
    /// The RTP packet (`.rtp`) or 12 bytes NTP(8) + RTP timestamp(4) (`.senderReport`).
    public let bytes: UnsafeRawBufferPointer

    /// The sender report's NTP timestamp (`.senderReport` only).
    public var ntp: UInt64 { bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
    /// The sender report's RTP timestamp (`.senderReport` only).
    public var rtpTimestamp: UInt32 { bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }
}

/// The recorder's tap on one producer: a bounded single-producer /
/// single-consumer ring of preallocated, pre-touched slots. The media worker (the only
/// producer) copies each decrypted packet of the tapped stream into the next
/// free slot; the recorder I/O thread (the only consumer) drains it. When the
/// ring is full the worker drops the packet and counts it — it never waits,
/// so a slow disk cannot stall forwarding. No allocation and no lock per
/// packet: two atomic indices (acquire/release) order the slots.
///
/// Drops are reported in-band: the next packet of the same track that fits
/// carries how many were dropped before it (`TapEntry.droppedBefore`), so the
/// recorder learns of each gap exactly where it happened.
public final class RecorderTap: @unchecked Sendable {
    public static let slotSize = 1500
    /// Distance between slots: `slotSize` rounded up to whole cache lines.
    static let slotStride = 1536
    public static let defaultSlotCount = 1024
    /// Tracks per tapped stream (per-track drop counts are preallocated).
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
    /// Written once (eventfd) when the ring becomes half full, so the
    /// recorder drains before the next timer; -1: none.
    private let wakeFD: Int32

    // Producer-confined state (worker thread).
    private var cachedHead = 0
    private let pendingDrops: UnsafeMutablePointer<UInt32>

    /// - Parameters:
    ///   - slotCount: rounded up to a power of two (at least 2).
    ///   - wakeFD: an eventfd the recorder thread polls, or -1.
    public init(slotCount: Int = RecorderTap.defaultSlotCount, wakeFD: Int32 = -1) {
        var n = 2
        while n < slotCount { n <<= 1 }
        capacity = n
        mask = n - 1
        data = UnsafeMutableRawPointer.allocate(byteCount: n * Self.slotStride, alignment: 64)
        // Touch every page now (control plane), so the worker never takes a page fault on a first lap.
        memset(data, 0, n * Self.slotStride)
        headers = .allocate(capacity: n)
        headers.initialize(repeating: SlotHeader(), count: n)
        pendingDrops = .allocate(capacity: Self.maxTracks)
        pendingDrops.initialize(repeating: 0, count: Self.maxTracks)
        self.wakeFD = wakeFD
    }

    deinit {
        data.deallocate()
        headers.deallocate()
        pendingDrops.deallocate()
    }

    // MARK: - Producer (the media worker)

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
    /// of the same instant), for audio/video sync in the recording.
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
    private func commit(_ slot: Int, track: Int, kind: TapEntryKind, length: Int, arrival: UInt64) {
        headers[slot] = SlotHeader(length: UInt16(length), track: UInt8(track), kind: kind.rawValue,
                                   droppedBefore: pendingDrops[track], arrival: arrival)
        pendingDrops[track] = 0
        let t = tail.load(ordering: .relaxed) &+ 1
        tail.store(t, ordering: .releasing)
        pushedCount.add(1, ordering: .relaxed)
        if wakeFD >= 0 && t &- cachedHead == capacity / 2 {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    // MARK: - Consumer (the recorder thread)

    /// Hands up to `limit` queued entries to `body`, oldest first, and frees
    /// their slots. Returns how many were handed over.
    @discardableResult
    public func drain(limit: Int = .max, _ body: (TapEntry) throws -> Void) rethrows -> Int {
        var h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        var n = 0
        defer { head.store(h, ordering: .releasing) }
        while h != t && n < limit {
            let slot = h & mask
            let header = headers[slot]
            let entry = TapEntry(kind: TapEntryKind(rawValue: header.kind) ?? .rtp, track: Int(header.track), arrival: header.arrival,
                                 droppedBefore: Int(header.droppedBefore),
                                 bytes: UnsafeRawBufferPointer(start: data + slot * Self.slotStride, count: Int(header.length)))
            h &+= 1
            n += 1
            try body(entry)
        }
        return n
    }

    /// Entries queued now (approximate while the producer runs).
    public var count: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
    /// Packets dropped since the tap was made (ring full or unusable).
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
    /// Entries queued since the tap was made.
    public var pushed: Int { pushedCount.load(ordering: .relaxed) }
    /// Whether the producer has closed the tap. Read it BEFORE a final
    /// `drain`: everything pushed before `close()` is then visible.
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }
}
