// Big-endian (network order) loads and stores at byte offsets of raw memory.
//
// Every wire field of RTP and RTCP is big-endian and may sit at any byte
// offset, so these use unaligned loads. They are `@inline(__always)` and
// `@usableFromInline` so that the public `@inlinable` accessors of the views
// compile down to a single load + byte swap in the caller's module.
//
// They do no bounds checking: callers check lengths first.

@usableFromInline @inline(__always)
func load8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
    p.load(fromByteOffset: offset, as: UInt8.self)
}

@usableFromInline @inline(__always)
func load16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
    UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

@usableFromInline @inline(__always)
func load24(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(load8(p, offset)) << 16 | UInt32(load8(p, offset + 1)) << 8 | UInt32(load8(p, offset + 2))
}

@usableFromInline @inline(__always)
func load32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

@usableFromInline @inline(__always)
func load64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

@usableFromInline @inline(__always)
func store8(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt8) {
    p.storeBytes(of: v, toByteOffset: offset, as: UInt8.self)
}

@usableFromInline @inline(__always)
func store16(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt16) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
}

@usableFromInline @inline(__always)
func store24(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
    store8(p, offset, UInt8(truncatingIfNeeded: v >> 16))
    store8(p, offset + 1, UInt8(truncatingIfNeeded: v >> 8))
    store8(p, offset + 2, UInt8(truncatingIfNeeded: v))
}

@usableFromInline @inline(__always)
func store32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
}

@usableFromInline @inline(__always)
func store64(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt64) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self)
}
