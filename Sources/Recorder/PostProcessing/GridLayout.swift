// Where each present participant goes on the combined video's canvas.

/// A rectangle on the canvas in luma pixels; x, y, width and height are even
/// so the chroma planes (half size) line up exactly.
public struct TileRect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
}

/// The grid of the combined video: 1 participant fills the canvas, 2 sit
/// side by side, 3–4 in 2×2, 5–6 in 3×2, 7–9 in 3×3, and so on (columns =
/// ⌈√n⌉, rows = ⌈n / columns⌉). Each picture keeps its aspect ratio and is
/// centred in its cell on black (letterbox or pillarbox).
public enum GridLayout {
    /// The cell of each of `count` participants, row by row.
    public static func cells(count: Int, width: Int, height: Int) -> [TileRect] {
        guard count > 0 else { return [] }
        var columns = 1
        while columns * columns < count { columns += 1 }
        let rows = (count + columns - 1) / columns
        let cellW = width / columns & ~1, cellH = height / rows & ~1
        // Centre the whole grid when the cells do not divide the canvas evenly.
        let x0 = ((width - cellW * columns) / 2) & ~1, y0 = ((height - cellH * rows) / 2) & ~1
        return (0..<count).map { i in
            TileRect(x: x0 + (i % columns) * cellW, y: y0 + (i / columns) * cellH, width: cellW, height: cellH)
        }
    }

    /// The largest rectangle of the source's aspect ratio centred in `cell`.
    public static func fit(sourceWidth: Int, sourceHeight: Int, in cell: TileRect) -> TileRect {
        guard sourceWidth > 0, sourceHeight > 0 else { return cell }
        var w = cell.width, h = cell.height
        if sourceWidth * cell.height > cell.width * sourceHeight {
            h = cell.width * sourceHeight / sourceWidth
        } else {
            w = cell.height * sourceWidth / sourceHeight
        }
        w = max(2, w & ~1)
        h = max(2, h & ~1)
        return TileRect(x: cell.x + ((cell.width - w) / 2 & ~1), y: cell.y + ((cell.height - h) / 2 & ~1), width: w, height: h)
    }
}
