/// The two general-purpose header extension forms of RFC 8285 §4, told apart
/// by the 16-bit profile field. Anything else is some other profile's
/// extension, which this layer never interprets or rewrites.
public enum HeaderExtensionForm: Equatable, Sendable {
    /// No header extension (X = 0).
    case none
    /// `0xBEDE` (RFC 8285 §4.2): 4-bit id 1…14, 4-bit length − 1, ≤ 16 bytes.
    case oneByte
    /// `0x100` + 4 "appbits" (RFC 8285 §4.3): 8-bit id 1…255, 8-bit length.
    case twoByte(appBits: UInt8)
    /// A profile this layer does not know.
    case other(profile: UInt16)

    @inlinable
    public init(profile: UInt16) {
        if profile == 0xBEDE { self = .oneByte }
        else if profile & 0xFFF0 == 0x1000 { self = .twoByte(appBits: UInt8(profile & 0x0F)) }
        else { self = .other(profile: profile) }
    }
}

/// One header extension element found in a packet: its local identifier and
/// its data, in place.
public struct HeaderExtensionElement {
    public let id: UInt8
    public let data: UnsafeMutableRawBufferPointer

    @inlinable
    public init(id: UInt8, data: UnsafeMutableRawBufferPointer) {
        self.id = id
        self.data = data
    }
}

/// Walks the elements of an RFC 8285 extension block without allocating.
///
/// Padding bytes (value 0, §4.1) are skipped one at a time in both forms; in
/// the one-byte form a byte with id 0 is padding whatever its length nibble
/// (id 0 is reserved for padding, §4.2), as libwebrtc reads it. In the
/// one-byte form an id of 15 ends processing (§4.2).
/// An element whose length runs past the block ends the walk: what came
/// before it is still returned, nothing after it is trusted.
public struct HeaderExtensionIterator: IteratorProtocol {
    @usableFromInline let base: UnsafeMutableRawPointer?
    @usableFromInline let end: Int
    @usableFromInline let twoByte: Bool
    @usableFromInline var offset: Int

    @inlinable
    public init(block: UnsafeMutableRawBufferPointer, form: HeaderExtensionForm) {
        base = block.baseAddress
        offset = 0
        switch form {
        case .oneByte: twoByte = false; end = block.count
        case .twoByte: twoByte = true; end = block.count
        case .none, .other: twoByte = false; end = 0
        }
    }

    @inlinable
    public mutating func next() -> HeaderExtensionElement? {
        guard let base else { return nil }
        while offset < end {
            let b = load8(base, offset)
            // Padding: a 0 byte; in the one-byte form any id-0 byte (its
            // length nibble ignored), as libwebrtc reads it.
            if b == 0 || (!twoByte && b >> 4 == 0) { offset += 1; continue }
            let id: UInt8, size: Int, header: Int
            if twoByte {
                guard offset + 2 <= end else { offset = end; return nil }
                id = b; size = Int(load8(base, offset + 1)); header = 2
            } else {
                id = b >> 4; size = Int(b & 0x0F) + 1; header = 1
                if id == 15 { offset = end; return nil } // RFC 8285 §4.2: stop
            }
            let start = offset + header
            guard start + size <= end else { offset = end; return nil }
            offset = start + size
            return HeaderExtensionElement(id: id, data: UnsafeMutableRawBufferPointer(start: base + start, count: size))
        }
        return nil
    }
}

/// The translation of a publisher's header-extension local identifiers into
/// one viewer's (RFC 8285 §5–6: ids are negotiated per session, so the same
/// extension usually has different ids on the two legs).
///
/// `map[publisherID]` is the viewer's id for the same extension URI, or 0
/// when the viewer did not negotiate it. Built once per consumer at
/// negotiation time; 256 bytes inline, no allocation, `Sendable`.
///
/// Ids the viewer did not negotiate are **overwritten with padding** (the
/// element's header and data all become 0 bytes, which RFC 8285 §4.1 allows
/// anywhere between elements) rather than left alone. Leaving them would be
/// legal only if the viewer ignored them, but RFC 8285 only makes receivers
/// ignore ids *they* did not negotiate: a publisher id that happens to equal
/// an id the viewer negotiated for a different URI would be misread (e.g. the
/// publisher's transport-cc id landing on the viewer's abs-send-time). Padding
/// keeps the packet length, so nothing shifts and no byte is copied. An id 15
/// in the one-byte form is left as is: receivers stop there (§4.2).
public struct ExtensionIDMap: Equatable, Sendable {
    @usableFromInline var table: InlineArray<256, UInt8>

    /// Every id unmapped (every element becomes padding).
    @inlinable
    public init() { table = InlineArray(repeating: 0) }

    /// `pairs` of (publisher id, viewer id).
    @inlinable
    public init(_ pairs: [(from: UInt8, to: UInt8)]) {
        self.init()
        for (from, to) in pairs { self[from] = to }
    }

    /// The identity map (every id 1…255 kept).
    public static var identity: ExtensionIDMap {
        var m = ExtensionIDMap()
        for i in 1...255 { m.table[i] = UInt8(i) }
        return m
    }

    @inlinable
    public subscript(id: UInt8) -> UInt8 {
        @inline(__always) get { table[Int(id)] }
        @inline(__always) set { if id != 0 { table[Int(id)] = newValue } }
    }

    public static func == (a: ExtensionIDMap, b: ExtensionIDMap) -> Bool {
        for i in 0..<256 where a.table[i] != b.table[i] { return false }
        return true
    }
}

extension RTPPacketView {
    /// Rewrites every extension element's id in place through `map`; elements
    /// whose id maps to 0 (or, in the one-byte form, to an id above 14 that
    /// the form cannot carry) become padding. Stops, leaving the rest
    /// untouched, at a malformed element or a one-byte id 15. Blocks of
    /// other profiles are left alone (receivers ignore profiles they do not
    /// know). Returns the number of elements turned into padding.
    @inlinable @discardableResult
    public func rewriteExtensionIDs(_ map: borrowing ExtensionIDMap) -> Int {
        let block = extensionBlock
        guard let p = block.baseAddress else { return 0 }
        let end = block.count
        var offset = 0
        var dropped = 0
        switch extensionForm {
        case .oneByte:
            while offset < end {
                let b = load8(p, offset)
                let id = b >> 4
                if id == 0 { offset += 1; continue }          // padding (length nibble ignored)
                if id == 15 { break }
                let size = 1 + Int(b & 0x0F)
                guard offset + 1 + size <= end else { break }
                let to = map[id]
                if to >= 1 && to <= 14 {
                    store8(p, offset, to << 4 | (b & 0x0F))
                } else {
                    (p + offset).initializeMemory(as: UInt8.self, repeating: 0, count: 1 + size)
                    dropped += 1
                }
                offset += 1 + size
            }
        case .twoByte:
            while offset < end {
                let id = load8(p, offset)
                if id == 0 { offset += 1; continue }
                guard offset + 2 <= end else { break }
                let size = Int(load8(p, offset + 1))
                guard offset + 2 + size <= end else { break }
                let to = map[id]
                if to != 0 {
                    store8(p, offset, to)
                } else {
                    (p + offset).initializeMemory(as: UInt8.self, repeating: 0, count: 2 + size)
                    dropped += 1
                }
                offset += 2 + size
            }
        case .none, .other:
            break
        }
        return dropped
    }
}
