// Reading one track of a WebM/Matroska file block by block from disk, so
// composing a 30-minute grid holds a window of each input instead of every
// frame of every input. Tracks and Info come from `WebMReader` run on the
// file's head; clusters are then walked with the same `EBMLReader`, in the
// flat way live files need: Segment and Cluster are entered (their size may
// be unknown), every other element is skipped by its size. A file that ends
// inside an element (a crashed recording) ends the stream there.
#if canImport(Glibc)
import Glibc
#endif

/// The blocks of one track of a WebM file, in file order, read through a
/// sliding window of the file (1 MiB, or one block if larger).
final class WebMBlockStream {
    /// How much of the head `WebMReader` parses for Tracks and Info.
    static let headSize = 1 << 20
    static let windowSize = 1 << 20
    static let maxBlockSize = 64 << 20

    let path: String
    let track: WebMTrack
    let timestampScale: UInt64
    /// Info Duration in ms, when the file has one.
    let durationMs: Double?

    private let fd: Int32
    private let fileSize: Int
    private var window: [UInt8] = []
    private var windowStart = 0
    private var position = 0
    private var clusterTime: Int64?
    private var ended = false

    /// Opens `path` and picks the first track `select` accepts; nil when none does.
    init?(path: String, select: (WebMTrack) -> Bool) throws {
        self.path = path
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { throw PostInputError.unreadable(path) }
        var st = stat()
        guard fstat(file, &st) == 0 else { close(file); throw PostInputError.unreadable(path) }
        let size = Int(st.st_size)
        var bytes = [UInt8](repeating: 0, count: min(size, Self.headSize))
        let n = bytes.withUnsafeMutableBytes { pread(file, $0.baseAddress!, $0.count, 0) }
        guard n == bytes.count else { close(file); throw PostInputError.unreadable(path) }
        let head: WebMFile
        do { head = try WebMReader.read(bytes, allowTruncatedTail: true) } catch {
            close(file)
            throw PostInputError.malformed(path, "\(error)")
        }
        guard let t = head.tracks.first(where: select) else { close(file); return nil }
        fd = file
        fileSize = size
        track = t
        timestampScale = head.timestampScale
        durationMs = head.durationMs
    }

    deinit { close(fd) }

    /// The next block of the track, nil at the end. With `withData: false`
    /// the frame bytes are not read (a quick pass for timestamps).
    func next(withData: Bool = true) throws -> WebMBlock? {
        while !ended {
            guard let h = header() else { ended = true; return nil }
            let start = h.dataStart
            switch h.id {
            case MatroskaID.segment:
                position = start
            case MatroskaID.cluster:
                clusterTime = nil
                position = start
            default:
                guard let size = h.size.map({ Int(clamping: $0) }) else {
                    throw PostInputError.malformed(path, "element 0x\(String(h.id, radix: 16)) of unknown size at byte \(h.offset)")
                }
                guard start + size <= fileSize else { ended = true; return nil }  // torn tail
                position = start + size
                switch h.id {
                case MatroskaID.timestamp:
                    guard size <= 8, load(start, size) else { throw PostInputError.malformed(path, "cluster timestamp at byte \(h.offset)") }
                    clusterTime = Int64(clamping: bigEndian(start, size))
                case MatroskaID.simpleBlock:
                    if let b = try block(at: start, size: size, keyframe: nil, withData: withData) { return b }
                case MatroskaID.blockGroup:
                    if let b = try group(at: start, size: size, withData: withData) { return b }
                default:
                    break
                }
            }
        }
        return nil
    }

    /// An element header at `position`, nil at the end of the file.
    private func header() -> EBMLHeader? {
        guard position < fileSize, load(position, min(12, fileSize - position)) else { return nil }
        var r = EBMLReader(window, at: position - windowStart)
        guard let h = try? r.header() else { return nil }
        return EBMLHeader(offset: h.offset + windowStart, id: h.id, dataStart: h.dataStart + windowStart, size: h.size)
    }

    /// A SimpleBlock or Block: track VINT (1 byte), int16 relative time, flags, frame.
    private func block(at start: Int, size: Int, keyframe: Bool?, withData: Bool) throws -> WebMBlock? {
        guard size >= 4, size <= Self.maxBlockSize, load(start, 4) else { throw PostInputError.malformed(path, "block at byte \(start)") }
        let b = start - windowStart
        guard window[b] & 0x80 != 0, Int(window[b] & 0x7F) == track.number else { return nil }
        guard let clusterTime else { throw PostInputError.malformed(path, "block before a cluster timestamp at byte \(start)") }
        let relative = Int16(bitPattern: UInt16(window[b + 1]) << 8 | UInt16(window[b + 2]))
        let flags = window[b + 3]
        guard flags & 0x06 == 0 else { throw PostInputError.unsupported(path, "laced block at byte \(start)") }
        var data: [UInt8] = []
        if withData {
            guard load(start + 4, size - 4) else { return nil }
            data = Array(window[(start + 4 - windowStart)..<(start + size - windowStart)])
        }
        let ticks = clusterTime + Int64(relative)
        let ms = timestampScale == 1_000_000 ? ticks : ticks * Int64(clamping: timestampScale) / 1_000_000
        return WebMBlock(track: track.number, timestampMs: ms, keyframe: keyframe ?? (flags & 0x80 != 0), data: data)
    }

    /// A BlockGroup: its Block, a keyframe unless it has a ReferenceBlock.
    private func group(at start: Int, size: Int, withData: Bool) throws -> WebMBlock? {
        guard size <= Self.maxBlockSize + 64, load(start, size) else { throw PostInputError.malformed(path, "block group at byte \(start)") }
        var r = EBMLReader(window, at: start - windowStart)
        let end = start + size - windowStart
        var blockAt: (Int, Int)?
        var referenced = false
        while r.position < end {
            guard let g = try? r.header(), let n = g.size, g.dataStart + Int(n) <= end else {
                throw PostInputError.malformed(path, "block group at byte \(start)")
            }
            if g.id == MatroskaID.block { blockAt = (g.dataStart + windowStart, Int(n)) }
            if g.id == 0xFB { referenced = true }  // ReferenceBlock
            r.position = g.dataStart + Int(n)
        }
        guard let (s, n) = blockAt else { return nil }
        return try block(at: s, size: n, keyframe: !referenced, withData: withData)
    }

    /// Makes the window hold [offset, offset + count); false past the end of the file.
    private func load(_ offset: Int, _ count: Int) -> Bool {
        if offset >= windowStart && offset + count <= windowStart + window.count { return true }
        guard offset + count <= fileSize else { return false }
        let length = min(fileSize - offset, max(Self.windowSize, count))
        if window.count != length { window = [UInt8](repeating: 0, count: length) }
        var done = 0
        while done < length {
            let n = window.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        windowStart = offset
        return true
    }

    private func bigEndian(_ offset: Int, _ count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<count { v = v << 8 | UInt64(window[offset - windowStart + i]) }
        return v
    }
}
