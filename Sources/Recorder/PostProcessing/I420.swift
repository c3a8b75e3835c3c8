// Planar YUV 4:2:0 (I420) pictures: what libvpx decodes to and encodes from.
// Luma is full size; each chroma plane is ceil(w/2) × ceil(h/2).

/// A borrowed I420 picture (a decoder's output or a frame's storage). Valid
/// only while its owner is unchanged; the compositor reads through it so
/// decoded pictures are never copied.
public struct I420View {
    public var width: Int
    public var height: Int
    public var y: UnsafePointer<UInt8>
    public var u: UnsafePointer<UInt8>
    public var v: UnsafePointer<UInt8>
    public var yStride: Int
    public var uvStride: Int

    public init(width: Int, height: Int, y: UnsafePointer<UInt8>, u: UnsafePointer<UInt8>, v: UnsafePointer<UInt8>,
                yStride: Int, uvStride: Int) {
        self.width = width; self.height = height
        self.y = y; self.u = u; self.v = v
        self.yStride = yStride; self.uvStride = uvStride
    }

    /// The mean of the luma plane (0…255), for tests and diagnostics.
    public func averageLuma() -> Double {
        var sum = 0
        for row in 0..<height {
            let line = y + row * yStride
            for x in 0..<width { sum += Int(line[x]) }
        }
        return Double(sum) / Double(max(1, width * height))
    }

    /// The mean (Y, U, V) of a rectangle in luma coordinates.
    public func averageYUV(x: Int, y top: Int, width w: Int, height h: Int) -> (y: Double, u: Double, v: Double) {
        var sy = 0, su = 0, sv = 0
        for row in top..<(top + h) {
            for col in x..<(x + w) {
                sy += Int(y[row * yStride + col])
                su += Int(u[(row / 2) * uvStride + col / 2])
                sv += Int(v[(row / 2) * uvStride + col / 2])
            }
        }
        let n = Double(max(1, w * h))
        return (Double(sy) / n, Double(su) / n, Double(sv) / n)
    }
}

/// An owned I420 picture in one contiguous buffer [Y | U | V] with tight
/// strides (the layout `vpx_img_wrap` expects). Exists as the compositor's
/// canvas and the encoder's input. Width and height must be even.
public struct I420Frame {
    public let width: Int
    public let height: Int
    public var chromaWidth: Int { width / 2 }
    public var chromaHeight: Int { height / 2 }
    /// Y, then U, then V.
    public var storage: [UInt8]

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0, "I420Frame needs even sizes")
        self.width = width
        self.height = height
        storage = [UInt8](repeating: 0, count: width * height * 3 / 2)
        fill(y: 16, u: 128, v: 128)
    }

    /// Paints the whole picture one colour (black is Y 16, U = V = 128).
    public mutating func fill(y: UInt8, u: UInt8, v: UInt8) {
        let luma = width * height, chroma = luma / 4
        storage.withUnsafeMutableBufferPointer { p in
            p.baseAddress!.update(repeating: y, count: luma)
            (p.baseAddress! + luma).update(repeating: u, count: chroma)
            (p.baseAddress! + luma + chroma).update(repeating: v, count: chroma)
        }
    }

    /// A view of this frame for the duration of `body`.
    public func withView<R>(_ body: (I420View) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            let luma = width * height
            return try body(I420View(width: width, height: height, y: base, u: base + luma, v: base + luma + luma / 4,
                                     yStride: width, uvStride: width / 2))
        }
    }
}
