import JSON
import XCTest
@testable import Signaling

final class IceServersTests: XCTestCase {
    let alice = Principal(subject: "alice", roles: [.participant], organizationId: nil)

    func testParsesTheUrlFormsOfRFC7064And7065() throws {
        let cases: [(String, IceServerURL.Scheme, String, UInt16?, String?, String)] = [
            ("stun:stun.example.net", .stun, "stun.example.net", nil, nil, "stun:stun.example.net"),
            ("STUN:10.0.0.1:3478", .stun, "10.0.0.1", 3478, nil, "stun:10.0.0.1:3478"),
            ("turn:turn.example.net?transport=UDP", .turn, "turn.example.net", nil, "udp", "turn:turn.example.net?transport=udp"),
            ("turn:127.0.0.2:3478?transport=tcp", .turn, "127.0.0.2", 3478, "tcp", "turn:127.0.0.2:3478?transport=tcp"),
            ("turns:[2001:db8::1]:5349?transport=tcp", .turns, "2001:db8::1", 5349, "tcp", "turns:[2001:db8::1]:5349?transport=tcp"),
            ("turn:[::1]", .turn, "::1", nil, nil, "turn:[::1]"),
        ]
        for (text, scheme, host, port, transport, normalized) in cases {
            let u = try IceServerURL(parsing: text)
            XCTAssertEqual(u.scheme, scheme, text)
            XCTAssertEqual(u.host, host, text)
            XCTAssertEqual(u.port, port, text)
            XCTAssertEqual(u.transport, transport, text)
            XCTAssertEqual(u.description, normalized, text)
        }
    }

    func testRejectsMalformedUrlsWithASpecificMessage() {
        let bad: [(String, String)] = [
            ("http://turn.example.net", "must start with"),
            ("turn://turn.example.net", "without '//'"),
            ("stun:stun.example.net?transport=udp", "takes no query"),
            ("turn:turn.example.net?transport=sctp", "?transport=udp or ?transport=tcp"),
            ("turn:turn.example.net:0", "port must be"),
            ("turn:turn.example.net:70000", "port must be"),
            ("turn:2001:db8::1", "IPv6 address in brackets"),
            ("turn:[2001:db8::1", "unclosed"),
            ("turn:[not-v6]:3478", "is not an IPv6 address"),
            ("turn:", "is not a host"),
            ("turn:bad host", "is not a host"),
        ]
        for (text, fragment) in bad {
            XCTAssertThrowsError(try IceServerURL(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text): \(error)")
            }
        }
    }

    /// The credential coturn derives under use-auth-secret: base64(HMAC-SHA1(secret, username)),
    /// the reference value computed with Python's hmac module.
    func testRestCredentialIsBase64HmacSha1OfTheUsername() {
        XCTAssertEqual(IceServerConfig.restCredential(secret: Array("north-sea-secret".utf8), username: "1765100000:alice"),
                       "b8Hu1LGJaHekXUQSb+3J6AzFtYY=")
    }

    func testSharedSecretGivesEachCallerATimeLimitedCredential() throws {
        let config = try IceServerConfig(urls: ["stun:127.0.0.2:3478", "turn:127.0.0.2:3478?transport=udp", "turn:127.0.0.2:3478?transport=tcp"],
                                         credentials: .sharedSecret(Array("north-sea-secret".utf8), ttl: 600))
        let servers = config.iceServers(for: alice, now: 1_765_099_400)
        XCTAssertEqual(servers, [
            IceServer(urls: ["stun:127.0.0.2:3478"]),
            IceServer(urls: ["turn:127.0.0.2:3478?transport=udp", "turn:127.0.0.2:3478?transport=tcp"],
                      username: "1765100000:alice", credential: "b8Hu1LGJaHekXUQSb+3J6AzFtYY="),
        ])
        let bob = config.iceServers(for: Principal(subject: "b:o:b", roles: [.participant], organizationId: nil), now: 1_765_099_400)
        XCTAssertEqual(bob[1].username, "1765100000:b_o_b", "colons in the subject would split coturn's username")
        XCTAssertNotEqual(bob[1].credential, servers[1].credential)
        XCTAssertEqual(config.json(for: alice, now: 1_765_099_400)["iceServers"]?.arrayValue?.count, 2)
        XCTAssertEqual(config.linkHeaderValues(for: alice, now: 1_765_099_400), [
            "<stun:127.0.0.2:3478>; rel=\"ice-server\"",
            "<turn:127.0.0.2:3478?transport=udp>; rel=\"ice-server\"; username=\"1765100000:alice\"; credential=\"b8Hu1LGJaHekXUQSb+3J6AzFtYY=\"; credential-type=\"password\"",
            "<turn:127.0.0.2:3478?transport=tcp>; rel=\"ice-server\"; username=\"1765100000:alice\"; credential=\"b8Hu1LGJaHekXUQSb+3J6AzFtYY=\"; credential-type=\"password\"",
        ])
    }

    func testFixedCredentialsAndConfigurationErrors() throws {
        let fixed = try IceServerConfig(urls: ["turns:turn.example.net:5349"], credentials: .fixed(username: "u", credential: "p\"w"))
        let s = fixed.iceServers(for: alice)
        XCTAssertEqual(s, [IceServer(urls: ["turns:turn.example.net:5349"], username: "u", credential: "p\"w")])
        XCTAssertEqual(s[0].linkHeaderValues,
                       ["<turns:turn.example.net:5349>; rel=\"ice-server\"; username=\"u\"; credential=\"p\\\"w\"; credential-type=\"password\""])
        XCTAssertEqual(try IceServerConfig(urls: ["stun:stun.example.net"], credentials: .none).iceServers(for: alice)[0].linkHeaderValues,
                       ["<stun:stun.example.net>; rel=\"ice-server\""])
        XCTAssertThrowsError(try IceServerConfig(urls: ["turn:t.example.net"], credentials: .none))
        XCTAssertThrowsError(try IceServerConfig(urls: ["turn:t.example.net"], credentials: .sharedSecret([], ttl: 600)))
        XCTAssertThrowsError(try IceServerConfig(urls: ["turn:t.example.net"], credentials: .sharedSecret([1], ttl: 10)))
        XCTAssertTrue(IceServerConfig.none.iceServers(for: alice).isEmpty)
        XCTAssertEqual(IceServerConfig.none.json(for: alice), .object(["iceServers": .array([])]))
    }
}
