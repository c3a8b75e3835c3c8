import CSystem
import DTLS
import Foundation
import Glibc
import ICE

/// Media settings of the emulated publishers.
public struct PublisherSettings: Sendable {
    public var videoBitrate = 1_500_000
    public var fps = 30
    public var keyframeInterval = 2.0
    public init() {}
}

/// A stream this process publishes or views.
public struct StreamRef: Sendable, Hashable {
    public var conference: String
    public var streamId: String
    public var kinds: MediaKinds
    public init(conference: String, streamId: String, kinds: MediaKinds) {
        self.conference = conference
        self.streamId = streamId
        self.kinds = kinds
    }
}

/// One emulated participant that views: its endpoint and one peer per viewed stream.
public struct ViewerHandle: Sendable {
    public var conference: String
    public var endpoint: String
    public var views: [(peer: Int, streamId: String, viewerId: String)]
}

/// The control side of one process's peers: signalling through the
/// Conference API (join, publishStream / viewStream with our offers), a UDP
/// socket per peer, then the peer handed to the `PeerLoop`. Blocking; used
/// from one control thread.
public final class Fleet {
    public let loop: PeerLoop
    public let api: ConferenceClient
    public let settings: PublisherSettings
    public let fingerprint: DTLSFingerprint
    /// Unique prefix for this process's endpoint, stream and viewer ids.
    public let prefix: String
    private var nextID = 1
    public private(set) var viewers: [Int: [ViewerHandle]] = [:]   // by group
    public private(set) var joined: Set<String> = []

    public init(url: String, credentials: BenchCredentials, settings: PublisherSettings, prefix: String) throws {
        let certificate = try DTLSCertificate(commonName: "sfu-bench")
        let context = try DTLSContext(certificate: certificate)
        fingerprint = certificate.fingerprint
        loop = try PeerLoop(context: context)
        api = try ConferenceClient(url: url, credentials: credentials)
        self.settings = settings
        self.prefix = prefix
        loop.start()
    }

    /// A fresh id for a peer (and the names derived from it).
    public func makeID() -> Int { defer { nextID += 1 }; return nextID }

    /// Joins `endpoint` unless this fleet already did.
    public func ensureJoined(conference: String, endpoint: String) throws {
        let key = conference + "/" + endpoint
        guard !joined.contains(key) else { return }
        do {
            try api.join(conferenceId: conference, endpoint: endpoint)
        } catch let e as ConferenceAPIError where e.code == "ENDPOINT_EXISTS" {
            // Joined by another process of this run (a meeting participant's viewing side).
        }
        joined.insert(key)
    }

    /// A non-blocking UDP socket with large buffers.
    static func makeSocket() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        csys_set_socket_buffers(fd, 4 << 20)
        return fd
    }

    /// Connects the socket to the server's candidate; returns our address as the server sees it.
    static func connect(_ fd: Int32, to address: SocketAddress) throws -> SocketAddress {
        var (storage, length) = address.sockaddrStorage
        let rc = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        guard rc == 0 else { throw BenchError("connect \(address): \(String(cString: strerror(errno)))") }
        var local = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard let a = SocketAddress(local) else { throw BenchError("getsockname failed") }
        return a
    }

    /// Publishes a stream from `endpoint` (joined first); returns the peer id.
    public func publish(_ stream: StreamRef, endpoint: String, group: Int = 0) throws -> Int {
        try ensureJoined(conference: stream.conference, endpoint: endpoint)
        let id = makeID()
        let ice = IceCredentials.random()
        let audioSSRC = UInt32.random(in: 1...UInt32.max), videoSSRC = UInt32.random(in: 1...UInt32.max)
        let offer = OfferWriter.offer(kinds: stream.kinds, sending: true, ice: ice, fingerprint: fingerprint,
                                      audioSSRC: audioSSRC, videoSSRC: videoSSRC, sessionID: UInt64(id))
        let answerText = try api.publish(conferenceId: stream.conference, endpoint: endpoint, streamId: stream.streamId,
                                         type: stream.kinds.streamType, offer: offer)
        let answer = try AnswerInfo(parsing: answerText)
        let fd = try Self.makeSocket()
        let local: SocketAddress
        do { local = try Self.connect(fd, to: answer.address) } catch { close(fd); throw error }
        var spec = PeerSpec(id: id, fd: fd, role: .publisher, kinds: stream.kinds, group: group, local: local, localICE: ice, answer: answer)
        spec.audioSSRC = audioSSRC
        spec.videoSSRC = videoSSRC
        spec.videoBitrate = settings.videoBitrate
        spec.fps = settings.fps
        spec.keyframeInterval = settings.keyframeInterval
        let s = spec
        if let failure = loop.sync({ $0.add(s) }) { throw BenchError("publisher \(id): \(failure)") }
        return id
    }

    /// One participant that joins as `endpoint` and views each of `streams` (one peer each).
    @discardableResult
    public func addViewer(endpoint: String, conference: String, streams: [StreamRef], group: Int) throws -> ViewerHandle {
        try ensureJoined(conference: conference, endpoint: endpoint)
        var handle = ViewerHandle(conference: conference, endpoint: endpoint, views: [])
        for stream in streams {
            let id = makeID()
            let viewerId = "\(prefix)-w\(id)"
            let ice = IceCredentials.random()
            let offer = OfferWriter.offer(kinds: stream.kinds, sending: false, ice: ice, fingerprint: fingerprint, sessionID: UInt64(id))
            let answerText = try api.view(conferenceId: conference, endpoint: endpoint, streamId: stream.streamId,
                                          viewerId: viewerId, offer: offer)
            let answer = try AnswerInfo(parsing: answerText)
            let fd = try Self.makeSocket()
            let local: SocketAddress
            do { local = try Self.connect(fd, to: answer.address) } catch { close(fd); throw error }
            let spec = PeerSpec(id: id, fd: fd, role: .viewer, kinds: stream.kinds, group: group, local: local, localICE: ice, answer: answer)
            if let failure = loop.sync({ $0.add(spec) }) { throw BenchError("viewer \(id): \(failure)") }
            handle.views.append((id, stream.streamId, viewerId))
        }
        viewers[group, default: []].append(handle)
        return handle
    }

    /// Adds `count` participants in `group`, each viewing all `streams`.
    public func addViewers(count: Int, conference: String, streams: [StreamRef], group: Int) throws {
        for _ in 0..<count {
            try addViewer(endpoint: "\(prefix)-v\(makeID())", conference: conference, streams: streams, group: group)
        }
    }

    /// Stops the oldest `count` viewers of `group`: stopViewStream, leave, peers closed.
    public func removeViewers(count: Int, group: Int) throws {
        for _ in 0..<count {
            guard var list = viewers[group], !list.isEmpty else { return }
            let h = list.removeFirst()
            viewers[group] = list
            for v in h.views {
                try? api.stopView(conferenceId: h.conference, endpoint: h.endpoint, streamId: v.streamId, viewerId: v.viewerId)
                loop.post { $0.remove(id: v.peer) }
            }
            try api.leave(conferenceId: h.conference, endpoint: h.endpoint)
            joined.remove(h.conference + "/" + h.endpoint)
        }
    }

    /// Waits until no peer is still connecting (or `timeout` passes);
    /// returns the failures seen (peer id and reason).
    public func waitConnected(timeout: Double) -> (connecting: Int, failures: [String]) {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let states = loop.sync { $0.states() }
            let connecting = states.filter { !$0.media && $0.failure == nil }.count
            if connecting == 0 || Date() >= deadline {
                return (connecting, states.compactMap { s in s.failure.map { "peer \(s.id): \($0)" } })
            }
            usleep(20_000)
        }
    }

    public func resetInterval() { loop.sync { $0.resetInterval() } }
    public func collect() -> [Int: Tally] { loop.sync { $0.collect() } }

    /// Leaves every endpoint this fleet joined and stops the loop.
    public func shutdown() {
        for key in joined {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            try? api.leave(conferenceId: parts[0], endpoint: parts[1])
        }
        joined.removeAll()
        loop.stop()
    }
}
