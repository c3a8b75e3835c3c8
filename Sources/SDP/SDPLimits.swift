/// The explicit bounds the parser enforces before and while reading a document, so a
/// hostile client cannot make the signalling layer spend unbounded memory or time.
/// Real offers are far smaller: Chromium's largest here is ~6.5 KB, ~200 lines, 3 m-lines.
public enum SDPLimits {
    /// Largest accepted document, in bytes.
    public static let maxBytes = 64 * 1024
    /// Most lines accepted (blank lines count).
    public static let maxLines = 1_000
    /// Most m-lines accepted.
    public static let maxMediaSections = 64
}
