import Glibc

/// Writes to stderr (the human table and progress) without touching C's `stderr` global.
func errWrite(_ s: String) { rawWrite(2, s) }

/// Writes one line to stdout (JSON lines), unbuffered so a pipe reader sees it at once.
func outLine(_ s: String) { rawWrite(1, s + "\n") }

func rawWrite(_ fd: Int32, _ s: String) {
    var bytes = Array(s.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { if errno == EINTR { continue }; return }
        off += n
    }
}
