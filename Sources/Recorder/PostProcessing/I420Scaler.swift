// Bilinear scaling of an I420 picture into a rectangle of a canvas, in
// 8-bit fixed point, without allocating: sample centres are aligned
// ((d + ½)·src/dst − ½) and clamped at the edges.

/// Scales pictures into canvas tiles for the compositor.
enum I420Scaler {
    /// Draws `src` scaled to fill `rect` of `canvas` (rect even-aligned, inside the canvas).
    static func draw(_ src: I420View, into canvas: inout I420Frame, rect: TileRect) {
        precondition(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= canvas.width && rect.y + rect.height <= canvas.height)
        let cw = canvas.width
        let lumaSize = canvas.width * canvas.height
        canvas.storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            plane(src.y, src.yStride, src.width, src.height,
                  base + rect.y * cw + rect.x, cw, rect.width, rect.height)
            let cx = rect.x / 2, cy = rect.y / 2, cStride = cw / 2
            let sw = (src.width + 1) / 2, sh = (src.height + 1) / 2
            plane(src.u, src.uvStride, sw, sh, base + lumaSize + cy * cStride + cx, cStride, rect.width / 2, rect.height / 2)
            plane(src.v, src.uvStride, sw, sh, base + lumaSize * 5 / 4 + cy * cStride + cx, cStride, rect.width / 2, rect.height / 2)
        }
    }

    /// Fills `rect` of `canvas` with one colour (black: 16, 128, 128).
    static func fill(_ canvas: inout I420Frame, rect: TileRect, y: UInt8 = 16, u: UInt8 = 128, v: UInt8 = 128) {
        let cw = canvas.width, lumaSize = canvas.width * canvas.height
        canvas.storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            for row in 0..<rect.height { (base + (rect.y + row) * cw + rect.x).update(repeating: y, count: rect.width) }
            for row in 0..<(rect.height / 2) {
                let off = (rect.y / 2 + row) * (cw / 2) + rect.x / 2
                (base + lumaSize + off).update(repeating: u, count: rect.width / 2)
                (base + lumaSize * 5 / 4 + off).update(repeating: v, count: rect.width / 2)
            }
        }
    }

    /// One plane: src (sw × sh, stride ss) → dst (dw × dh, stride ds).
    static func plane(_ src: UnsafePointer<UInt8>, _ ss: Int, _ sw: Int, _ sh: Int,
                      _ dst: UnsafeMutablePointer<UInt8>, _ ds: Int, _ dw: Int, _ dh: Int) {
        guard dw > 0, dh > 0, sw > 0, sh > 0 else { return }
        if sw == dw && sh == dh {  // same size: copy rows
            for row in 0..<dh { (dst + row * ds).update(from: src + row * ss, count: dw) }
            return
        }
        // Source position in 16.16 fixed point of destination pixel d:
        // (d + ½)·s/d − ½ = d·step + (step − 1)/2.
        let stepX = (sw << 16) / dw, stepY = (sh << 16) / dh
        let startX = (stepX - 65536) / 2, startY = (stepY - 65536) / 2
        let maxX = sw - 1, maxY = sh - 1
        var fyPos = startY
        for row in 0..<dh {
            let syFixed = max(0, fyPos)
            let y0 = min(maxY, syFixed >> 16), y1 = min(maxY, y0 + 1)
            let wy = (syFixed >> 8) & 0xFF
            let r0 = src + y0 * ss, r1 = src + y1 * ss
            let out = dst + row * ds
            var fx = startX
            for col in 0..<dw {
                let sx = max(0, fx)
                let x0 = min(maxX, sx >> 16), x1 = min(maxX, x0 + 1)
                let wx = (sx >> 8) & 0xFF
                let top = Int(r0[x0]) * (256 - wx) + Int(r0[x1]) * wx
                let bottom = Int(r1[x0]) * (256 - wx) + Int(r1[x1]) * wx
                out[col] = UInt8(truncatingIfNeeded: (top * (256 - wy) + bottom * wy + 32768) >> 16)
                fx += stepX
            }
            fyPos += stepY
        }
    }
}
