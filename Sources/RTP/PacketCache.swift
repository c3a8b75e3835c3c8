/// The last packets of one published source, kept to answer viewers' NACKs
/// (RFC 4585 §6.2.1) with retransmissions.
///
/// A ring of fixed-size slots allocated once (e.g. 1024 × 1500 bytes per
/// video source, about 1.5 MB); slot = sequence number mod slot count, so
/// storing overwrites the packet 1024 numbers older and lookups are one
/// index. Storing copies the packet once (the receive slot goes back to the
/// pool); nothing allocates after `init`.
///
/// Lookups return a view into the cache: copy the packet into a send slot
/// (`copy(sequenceNumber:into:capacity:)` or `RTX.encapsulate`) before
/// rewriting it for a viewer — the cache must keep the publisher's bytes.
///
/// Thread confinement: a `final class` owned by one media worker, not
/// `Sendable`; use it only on that worker's thread.
public final class PacketCache {
    public let slotCount: Int
    public let slotSize: Int
    let storage: UnsafeMutableRawPointer
    let lengths: UnsafeMutablePointer<Int32>       // 0: empty
    let sequenceNumbers: UnsafeMutablePointer<UInt16>
    let storedAt: UnsafeMutablePointer<Int64>
    let mask: Int

    /// - Parameters:
    ///   - slotCount: a power of two (1024 holds ~7 s of 1.5 Mbit/s video).
    ///   - slotSize: largest packet kept (bytes).
    public init(slotCount: Int = 1024, slotSize: Int = 1500) {
        precondition(slotCount > 0 && slotCount & (slotCount - 1) == 0 && slotCount <= 65536,
                     "slot count must be a power of two ≤ 65536")
        precondition(slotSize >= 12, "slot size too small for an RTP header")
        self.slotCount = slotCount
        self.slotSize = slotSize
        mask = slotCount - 1
        storage = .allocate(byteCount: slotCount * slotSize, alignment: 16)
        lengths = .allocate(capacity: slotCount)
        lengths.initialize(repeating: 0, count: slotCount)
        sequenceNumbers = .allocate(capacity: slotCount)
        sequenceNumbers.initialize(repeating: 0, count: slotCount)
        storedAt = .allocate(capacity: slotCount)
        storedAt.initialize(repeating: 0, count: slotCount)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        sequenceNumbers.deallocate()
        storedAt.deallocate()
    }

    /// Copies `packet` into its slot. False when it is larger than a slot
    /// (it is then not kept, and the slot's previous packet is forgotten).
    @discardableResult
    public func store(_ packet: RTPPacketView, now: Int64) -> Bool {
        let seq = packet.sequenceNumber
        let i = Int(seq) & mask
        guard packet.length <= slotSize else { lengths[i] = 0; return false }
        (storage + i * slotSize).copyMemory(from: packet.pointer, byteCount: packet.length)
        lengths[i] = Int32(packet.length)
        sequenceNumbers[i] = seq
        storedAt[i] = now
        return true
    }

    /// The cached packet with `sequenceNumber`, if it is still held and was
    /// stored no longer than `maxAge` µs before `now`.
    public func packet(sequenceNumber: UInt16, now: Int64, maxAge: Int64 = 2_000_000) -> RTPPacketView? {
        let i = Int(sequenceNumber) & mask
        let n = Int(lengths[i])
        guard n > 0, sequenceNumbers[i] == sequenceNumber, now - storedAt[i] <= maxAge else { return nil }
        return try? RTPPacketView(validating: storage + i * slotSize, length: n)
    }

    /// Copies the cached packet into `destination` (a send slot) and returns
    /// its length, or nil when absent, too old or larger than `capacity`.
    public func copy(sequenceNumber: UInt16, now: Int64, maxAge: Int64 = 2_000_000,
                     into destination: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        guard let view = packet(sequenceNumber: sequenceNumber, now: now, maxAge: maxAge),
              view.length <= capacity else { return nil }
        destination.copyMemory(from: view.pointer, byteCount: view.length)
        return view.length
    }

    /// Forgets every packet (a new source).
    public func removeAll() {
        lengths.update(repeating: 0, count: slotCount)
    }
}
