/// Local ICE credentials: the username fragment and password we announce in
/// `a=ice-ufrag` / `a=ice-pwd` (RFC 8839 §5.4).
///
/// It exists to generate them correctly: characters from the ice-char set
/// (`ALPHA / DIGIT / "+" / "/"`), a ufrag of at least 4 characters (we use
/// 8) and a password of at least 22 (we use 24), drawn from a CSPRNG so that
/// the 128-bit password entropy RFC 8445 §5.3 asks for is met (24 × 6 bits).
public struct IceCredentials: Sendable, Hashable, CustomStringConvertible {
    public var ufrag: String
    public var password: String

    public init(ufrag: String, password: String) {
        self.ufrag = ufrag
        self.password = password
    }

    /// The 64 ice-chars (RFC 8839 §5.4).
    public static let iceChars: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static let ufragLength = 8
    public static let passwordLength = 24

    /// Fresh credentials from the system CSPRNG.
    public static func random() -> IceCredentials {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    /// Fresh credentials from `generator` (tests pass a seeded one).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> IceCredentials {
        IceCredentials(ufrag: randomIceString(length: ufragLength, using: &generator),
                       password: randomIceString(length: passwordLength, using: &generator))
    }

    public static func randomIceString<G: RandomNumberGenerator>(length: Int, using generator: inout G) -> String {
        String(decoding: (0..<length).map { _ in iceChars[Int(generator.next() & 63)] }, as: UTF8.self)
    }

    /// A valid `ice-ufrag`: 4...256 ice-chars.
    public static func isValidUfrag(_ s: String) -> Bool { isIceString(s, min: 4) }

    /// A valid `ice-pwd`: 22...256 ice-chars.
    public static func isValidPassword(_ s: String) -> Bool { isIceString(s, min: 22) }

    private static func isIceString(_ s: String, min: Int) -> Bool {
        let u = s.utf8
        return u.count >= min && u.count <= 256 && u.allSatisfy { iceChars.contains($0) }
    }

    /// Never prints the password.
    public var description: String { "IceCredentials(ufrag: \(ufrag))" }
}
