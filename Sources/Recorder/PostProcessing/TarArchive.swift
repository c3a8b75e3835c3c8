// The recording archive: one POSIX ustar file (POSIX.1-2001 "pax" base
// format, without extended headers) holding manifest.json and every asset.
//
// Each member is a 512-byte header followed by its bytes padded to 512; two
// zero blocks end the archive. Header fields are NUL-terminated octal ASCII:
//   0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]
//   136 mtime[12]  148 chksum[8]  156 typeflag  157 linkname[100]
//   257 magic "ustar\0"  263 version "00"  265 uname[32]  297 gname[32]
//   329 devmajor[8]  337 devminor[8]  345 prefix[155]
// The checksum is the byte sum of the header with the chksum field as spaces.
#if canImport(Glibc)
import Glibc
#endif

/// Writes ustar archives member by member, streaming file contents (never
/// holding a whole asset in memory).
struct TarWriter {
    /// 11 octal digits: members must be smaller than 8 GiB.
    static let maxMemberSize: Int64 = 0o77777777777
    let file: PartFile
    let mtime: Int64
    private var names = Set<String>()

    init(file: PartFile, mtime: Int64) {
        self.file = file
        self.mtime = mtime
    }

    /// Adds a member from memory.
    mutating func add(name: String, bytes: [UInt8]) throws {
        try writeHeader(name: name, size: Int64(bytes.count))
        try bytes.withUnsafeBytes { try file.write($0) }
        try pad(Int64(bytes.count))
    }

    /// Adds a member copied from the file at `path`.
    mutating func add(name: String, path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PostProcessingError.io(path, errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw PostProcessingError.io(path, errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw PostProcessingError.invalidArgument("\(path) is not a regular file") }
        let size = Int64(st.st_size)
        try writeHeader(name: name, size: size)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var left = size
        while left > 0 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, Int(min(Int64($0.count), left))) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw PostProcessingError.io(path, n == 0 ? EIO : errno) }  // shrank while copying
            try buffer.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= Int64(n)
        }
        try pad(size)
    }

    /// The end-of-archive marker: two zero blocks.
    func finish() throws {
        try [UInt8](repeating: 0, count: 1024).withUnsafeBytes { try file.write($0) }
    }

    private func pad(_ size: Int64) throws {
        let rest = Int((512 - size % 512) % 512)
        if rest > 0 { try [UInt8](repeating: 0, count: rest).withUnsafeBytes { try file.write($0) } }
    }

    private mutating func writeHeader(name: String, size: Int64) throws {
        guard size <= Self.maxMemberSize else { throw PostProcessingError.invalidArgument("\(name): larger than 8 GiB") }
        let (prefix, base) = try Self.split(name)
        guard names.insert(name).inserted else { throw PostProcessingError.invalidArgument("\(name): twice in the archive") }
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: [UInt8], _ at: Int) { for (i, b) in s.enumerated() { h[at + i] = b } }
        func octal(_ v: Int64, _ at: Int, _ width: Int) {
            let digits = Array(String(v, radix: 8).utf8)
            put([UInt8](repeating: 0x30, count: width - 1 - digits.count) + digits, at)  // zero-padded, NUL-terminated
        }
        put(base, 0)
        octal(0o644, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(mtime, 136, 12)
        h[156] = 0x30  // '0': regular file
        put(Array("ustar".utf8) + [0], 257)
        put(Array("00".utf8), 263)
        put(Array("sfu".utf8), 265)
        put(Array("sfu".utf8), 297)
        put(prefix, 345)
        put([UInt8](repeating: 0x20, count: 8), 148)
        let sum = h.reduce(0) { $0 + Int64($1) }
        octal(sum, 148, 7)  // six digits, NUL, then the space left in place
        try h.withUnsafeBytes { try file.write($0) }
    }

    /// Splits a member name into ustar prefix and name (≤ 155 and ≤ 100
    /// bytes, split at a '/'), rejecting names that could escape the
    /// extraction directory.
    static func split(_ name: String) throws -> (prefix: [UInt8], name: [UInt8]) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }),
              !name.utf8.contains(0) else {
            throw PostProcessingError.invalidArgument("\(name): not a relative path inside the archive")
        }
        let bytes = Array(name.utf8)
        if bytes.count <= 100 { return ([], bytes) }
        for i in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[i] == 0x2F {
            if bytes.count - i - 1 <= 100 { return (Array(bytes[0..<i]), Array(bytes[(i + 1)...])) }
        }
        throw PostProcessingError.invalidArgument("\(name): too long for a ustar header")
    }
}
