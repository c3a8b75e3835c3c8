/// An RTCP packet value that can write itself into a caller's buffer.
///
/// Serializers never allocate for the output: the caller owns the buffer
/// (normally a send slot of the worker's pool) and learns how many bytes
/// were written.
public protocol RTCPSerializable: Sendable {
    /// Bytes `serialize(into:)` will write (a multiple of 4).
    var serializedLength: Int { get }
    /// Writes the packet at the start of `buffer`; returns its length.
    func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int
}

/// Appends RTCP packets one after another into a caller's buffer to build a
/// compound packet (RFC 3550 §6.1), or a single reduced-size one (RFC 5506).
public struct RTCPWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0

    public init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    /// The space not yet written.
    public var remaining: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer[count...])
    }

    public mutating func append<P: RTCPSerializable>(_ packet: P) throws(RTCPError) {
        count += try packet.serialize(into: remaining)
    }

    /// Records `written` bytes that a static serializer wrote into `remaining`.
    public mutating func advance(by written: Int) {
        precondition(written >= 0 && count + written <= buffer.count, "advance past the buffer")
        count += written
    }

    /// The bytes written so far.
    public var written: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
    }
}
