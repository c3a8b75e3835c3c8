import Foundation
import Glibc
import HTTP
import JSON
import RecordStore
import Signaling
import RTPRouter
import Cluster

// The `sfu` executable: reads its settings, starts the HTTP faces, and
// shuts down gracefully on SIGTERM/SIGINT.


signal(SIGPIPE, SIG_IGN)

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage())
    exit(0)
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sfu: \(message)\n".utf8))
    exit(2)
}

// `sfu store records|prerecordings [options]` runs one record store alone.
var optionArguments = arguments
var storeOnly: StoreKind?
if optionArguments.first == "store" {
    guard optionArguments.count >= 2, let kind = StoreKind(name: optionArguments[1]) else {
        fail("usage: sfu store records|prerecordings [options] (see --help)")
    }
    storeOnly = kind
    optionArguments.removeFirst(2)
}

let settings: Settings
do {
    settings = try Settings.parse(optionArguments, env: ProcessInfo.processInfo.environment)
} catch {
    fail("\(error)")
}

do {
    switch settings.string("--log-level").lowercased() {
    case "debug": Log.level = .debug
    case "info": Log.level = .info
    case "warn", "warning": Log.level = .warn
    case "error": Log.level = .error
    default: throw ConfigError("--log-level must be debug, info, warn or error")
    }

    let dataDir = settings.string("--data-dir")
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)

    // Auth
    let authOn: Bool
    switch settings.string("--auth").lowercased() {
    case "on", "true", "1", "yes": authOn = true
    case "off", "false", "0", "no": authOn = false
    default: throw ConfigError("--auth must be on or off")
    }
    let secret = try loadSecret(settings.optional("--jwt-secret"), dataDir: dataDir)
    var clients = try settings.clients.map(OAuthClient.parse)
    if let file = settings.optional("--clients-file") { clients += try loadClients(file) }
    var devClient: OAuthClient?
    if clients.isEmpty && authOn {
        let c = OAuthClient(id: "dev", secret: Base64URL.encode(secureRandomBytes(18)), roles: [.service])
        clients.append(c)
        devClient = c
    }
    let auth = Authenticator(enabled: authOn, secret: secret, clients: clients, tokenTTL: Int64(try settings.int("--token-ttl", min: 1)),
                             tokenFailures: TokenFailureLimiter(burst: try settings.int("--token-failure-limit"), window: 60))

    var http = HTTPServer.Configuration()
    http.host = settings.string("--host")
    http.maxConnections = try settings.int("--max-connections", min: 1)
    http.headerTimeout = try settings.seconds("--header-timeout")
    http.keepAliveTimeout = try settings.seconds("--keepalive-timeout")
    http.bodyTimeout = try settings.seconds("--body-timeout")
    http.bodyMinRate = Double(try settings.int("--body-min-rate"))
    http.accessLog = settings.switches.contains("--access-log")
    let grace = try settings.seconds("--shutdown-grace")
    let shown = http.host == "0.0.0.0" || http.host == "::" ? "localhost" : http.host

    // Store settings are checked before anything starts listening.
    var storeLimits = RecordStore.Limits()
    storeLimits.maxItemSize = try settings.byteSize("--store-max-item-size")
    storeLimits.maxConcurrentUploads = try settings.int("--store-max-uploads", min: 1)
    storeLimits.sseHeartbeat = try settings.seconds("--store-sse-heartbeat")
    let storeEnabled = try Dictionary(uniqueKeysWithValues: StoreKind.allCases.map { kind in
        (kind, try storeOnly.map { $0 == kind } ?? settings.onOff("--\(kind.rawValue)"))
    })
    let storePorts = try Dictionary(uniqueKeysWithValues: StoreKind.allCases.map { ($0, try settings.int("--\($0.rawValue)-port", max: 65535)) })

    // Which organization each store event belongs to (shared by the API and the stores).
    let owners = try EventOwners(path: (dataDir as NSString).appendingPathComponent("event-owners.jsonl"))

    // Cluster mode is checked before anything listens.
    let clusterPlan = storeOnly == nil ? try ClusterPlan.parse(settings, dataDir: dataDir) : nil
    let clusterHolder = ClusterHolder()
    var clusterRegistry: NodeRegistry?

    // Conferences and the API face (not in `sfu store ...`).
    var conferences: ConferenceService?
    var apiServer: HTTPServer?
    var routerMedia: RouterMedia?
    var recordingService: RecordingService?
    if storeOnly == nil {
        var confConfig = ConferenceService.Configuration()
        confConfig.idleTimeout = try settings.seconds("--conference-idle-timeout")
        confConfig.endedRetention = try settings.seconds("--ended-retention")
        confConfig.maxConferences = try settings.int("--max-conferences", min: 1)
        confConfig.maxEndpointsPerConference = try settings.int("--max-participants", min: 1)
        confConfig.sickGrace = try settings.seconds("--sick-grace")
        confConfig.maxConferencesPerParticipant = try settings.int("--max-conferences-per-participant", min: 1)
        confConfig.maxConferencesPerOrganization = try settings.int("--max-conferences-per-organization", min: 1)
        confConfig.maxEventsPerSecond = Double(try settings.int("--max-events-per-second", min: 1))
        confConfig.maxMetadataBytes = Int(try settings.byteSize("--max-metadata-bytes"))
        confConfig.maxConferenceMetadataBytes = Int(try settings.byteSize("--max-conference-metadata-bytes"))
        confConfig.maxEventsKept = try settings.int("--max-events-kept", min: 1)
        confConfig.maxEventLogBytes = Int(try settings.byteSize("--max-event-log-bytes"))
        confConfig.bestEffortRetention = try settings.seconds("--best-effort-retention")
        confConfig.defaultPollWait = try settings.seconds("--events-poll-wait")
        let service = ConferenceService(configuration: confConfig, owners: owners)
        conferences = service
        let media: MediaController
        switch settings.string("--media").lowercased() {
        case "on", "true", "1", "yes":
            var mc = RouterMedia.Configuration()
            if let w = settings.optional("--media-workers") {
                guard let n = Int(w), n >= 1, n <= 256 else { throw ConfigError("--media-workers must be 1-256") }
                mc.workers = n
            }
            mc.spillThreshold = try settings.int("--worker-spill", min: 0)
            let port = try settings.int("--media-port", max: 65535)
            guard port <= 65535 - mc.workers else { throw ConfigError("--media-port leaves no room for \(mc.workers) workers") }
            mc.basePort = UInt16(port)
            for ip in settings.announce {
                guard UDPAddress(ip: ip, port: 9) != nil else { throw ConfigError("--announce-ip '\(ip)' is not an IPv4 or IPv6 address") }
            }
            mc.announcedAddresses = settings.announce
            guard settings.mediaListen.count <= 16 else { throw ConfigError("--media-listen: at most 16 addresses") }
            for ip in settings.mediaListen {
                guard UDPAddress(ip: ip, port: 9) != nil else { throw ConfigError("--media-listen '\(ip)' is not an IPv4 or IPv6 address") }
            }
            mc.listenAddresses = settings.mediaListen
            if try settings.onOff("--media-tcp") {
                var limits = MediaTCP.Limits()
                limits.maxConnections = try settings.int("--media-tcp-max-connections", min: 1)
                guard limits.maxConnections <= 65_535 else { throw ConfigError("--media-tcp-max-connections: at most 65535") }
                limits.maxPerAddress = try settings.int("--media-tcp-per-address", min: 1)
                mc.tcp = limits
            } else {
                mc.tcp = nil
            }
            let events = MediaEvents()
            let rm = try RouterMedia(configuration: mc) { e in events.forward(e) }
            events.conferences = service
            routerMedia = rm
            media = rm
            startMediaMetrics(rm)
        case "off", "false", "0", "no":
            media = UnavailableMedia(validate: OfferCheck.validate)
        default:
            throw ConfigError("--media must be on or off")
        }
        let iceServers = try settings.iceServerConfig()
        if !iceServers.isEmpty {
            let how: String
            switch iceServers.credentials {
            case .none: how = "no credentials"
            case .fixed: how = "a fixed TURN username"
            case .sharedSecret(_, let ttl): how = "time-limited TURN credentials from the shared secret (\(ttl) s)"
            }
            Log.info("ICE servers for clients: \(iceServers.urls.map(\.description).joined(separator: ", ")) with \(how)")
        }
        let corsSetting = settings.string("--cors-origin")
        let cors = CORSPolicy(allowedOrigins: corsSetting == "none" ? [] : corsSetting.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        var recConfig = RecordingService.Configuration(directory: settings.optional("--recordings-dir") ?? (dataDir as NSString).appendingPathComponent("recordings"))
        recConfig.enabled = try settings.onOff("--recorder")
        recConfig.segmentSeconds = try settings.seconds("--recording-segment")
        recConfig.emptyTimeout = try settings.seconds("--recording-empty-timeout")
        recConfig.minFreeBytes = try settings.byteSize("--recording-min-free", min: 0)
        let recorder: RecordingService
        do {
            recorder = try RecordingService(configuration: recConfig, media: media, conferences: service, processor: RecorderPostProcessing())
        } catch {
            throw ConfigError("recordings: cannot use \(recConfig.directory): \(error)")
        }
        recordingService = recorder
        var whipOptions = WHIPOptions()
        whipOptions.createConferences = try settings.onOff("--whip-create-conferences")
        var clusterHealth: (@Sendable () -> JSON)?
        var clusterAdmission: (@Sendable () -> HTTPError?)?
        if clusterPlan != nil {
            clusterHealth = { clusterHolder.healthJSON() }
            clusterAdmission = { clusterHolder.admissionError() }
        }
        let api = APIHandler(conferences: service, auth: auth, media: media, cors: cors,
                             recordings: RecordingsAPI(service: recorder, auth: auth, conferences: service),
                             iceServers: iceServers, whip: WHIPFaces(options: whipOptions),
                             clusterHealth: clusterHealth, clusterAdmission: clusterAdmission)
        api.startSessionBookkeeping()
        var apiConfig = http
        apiConfig.name = "api"
        apiConfig.port = try settings.int("--port", max: 65535)
        let server = try HTTPServer(configuration: apiConfig, handler: api)
        apiServer = server
        Metrics.shared.gauge("sfu_http_open_connections") { [(["face": "api"], Double(server.openConnections))] }
        let counts = ConferenceCounts()
        Metrics.shared.gauge("sfu_conferences_active") { [([:], Double(counts.conferences))] }
        Metrics.shared.gauge("sfu_endpoints_joined") { [([:], Double(counts.endpoints))] }
        Task.detached {
            await service.addEndedObserver { id in await media.endConference(id) }
            await service.addEndpointRemovedObserver { id, freed in
                for s in freed.streams { await media.unpublish(conferenceId: id, streamId: s) }
                for v in freed.views { await media.stopView(conferenceId: id, streamId: v.streamId, viewerId: v.viewerId) }
            }
            await service.startSweeper()
            while true {
                counts.update(await service.activeConferenceCount, await service.endpointCount)
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
        server.start()
        if let clusterPlan {
            clusterRegistry = clusterPlan.start(apiHost: http.host, apiPort: server.port, media: routerMedia, into: clusterHolder)
        }
        Log.info("sfu listening on http://\(http.host):\(server.port) (Conference API; OpenAPI at http://\(shown):\(server.port)/rtc-api/openapi)")
    }

    // Record stores.
    // Loopback (the default) asks no token, exposed asks tokens: see --store-listen and docs/STORES.md.
    let storeHost = settings.string("--store-listen")
    let storeLoopback = StoreListen.isLoopback(host: storeHost)
    let authorizer: any StoreAuthorizer
    if !authOn { authorizer = OpenAccess() } else if storeLoopback { authorizer = LoopbackAccess() } else {
        authorizer = ConferenceStoreAuthorizer(auth: auth, conferences: conferences, owners: owners)
    }
    let storeAccess = !authOn ? "auth off: open to every client that can reach it"
        : storeLoopback ? "loopback only, no token asked (--store-listen ADDR exposes it, with tokens)"
        : "exposed on \(storeHost) by --store-listen: every request but /ping and /openapi needs a bearer token"
    let storeShown = storeHost == "0.0.0.0" || storeHost == "::" ? "localhost" : storeHost
    var stores: [(store: RecordStore, server: HTTPServer)] = []
    for kind in StoreKind.allCases {
        if storeEnabled[kind] != true { continue }
        let store = try RecordStore(kind: kind, dataDirectory: dataDir, limits: storeLimits)
        var storeConfig = http
        storeConfig.host = storeHost
        storeConfig.name = kind.rawValue
        storeConfig.port = storePorts[kind]!
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: storeConfig, handler: RecordStoreHandler(store: store, authorizer: authorizer))
        } catch {
            throw ConfigError("\(kind.title): cannot listen on \(storeConfig.host):\(storeConfig.port): \(error)")
        }
        Metrics.shared.gauge("sfu_http_open_connections") { [(["face": kind.rawValue], Double(server.openConnections))] }
        server.start()
        stores.append((store, server))
        Log.info("\(kind.title) listening on http://\(storeHost):\(server.port), \(storeAccess) (\(kind.prefix)/:event/:start, data in \(store.root); OpenAPI at http://\(storeShown):\(server.port)/openapi)")
    }
    // Events with items but no owner entry (written before owners were kept) belong to no organization.
    let storeList = stores.map(\.store)
    owners.attachStores { event in storeList.contains { (try? $0.list(event: event).isEmpty == false) ?? false } }
    if let recorder = recordingService {
        // The combined audio of every recording is also put into the records store.
        let records = stores.first { $0.store.kind == .records }?.store
        Task.detached {
            await recorder.attachRecordsStore(records)
            await recorder.start()
        }
    }
    if apiServer == nil && stores.isEmpty { throw ConfigError("nothing to run: the Conference API is off and both stores are off") }

    if let rm = routerMedia {
        Log.info("media: \(rm.workers.count) worker(s) on UDP \(rm.ports.map(String.init).joined(separator: ", ")) at \(rm.listenAddresses.isEmpty ? "every address" : rm.listenAddresses.joined(separator: ", "))\(rm.tcpPorts.isEmpty ? "" : " and ICE-TCP \(rm.tcpPorts.map(String.init).joined(separator: ", "))"), announcing \(rm.announcedAddresses.joined(separator: ", "))")
    }
    if !authOn {
        Log.warn("!!! AUTH IS OFF: every caller may do anything. Never run like this where others can reach the server. !!!")
    }
    if let dev = devClient {
        let (token, ttl) = auth.issueToken(subject: dev.id, roles: dev.roles, organizationId: nil)
        let getToken = apiServer.map { "curl -s -u \(dev.id):\(dev.secret) -d grant_type=client_credentials http://\(shown):\($0.port)/security/oauth/token" }
            ?? "(no Conference API in this process: use the ready token, or the token endpoint of an sfu sharing --jwt-secret)"
        let banner = """

        ------------------------------------------------------------------------
        Development client (no --client configured):
          client id:     \(dev.id)
          client secret: \(dev.secret)
          get a token:   \(getToken)
          ready token (SERVICE, \(ttl / 60) min):
        \(token)
        ------------------------------------------------------------------------

        """
        FileHandle.standardError.write(Data(banner.utf8))
    }

    let servers: [HTTPServer] = (apiServer.map { [$0] } ?? []) + stores.map(\.server)
    let hubs = stores.map(\.store.events)
    let conferenceService = conferences
    let recorderService = recordingService
    let registry = clusterRegistry

    // Graceful shutdown on SIGTERM / SIGINT; a second signal exits at once.
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    let stopping = LockedBool()
    var sources: [DispatchSourceSignal] = []
    for sig in [SIGTERM, SIGINT] {
        let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        src.setEventHandler {
            if stopping.testAndSet() {
                Log.warn("second signal: exiting now")
                exit(1)
            }
            Log.info("signal \(sig == SIGTERM ? "SIGTERM" : "SIGINT"): shutting down (grace \(grace) s)")
            Task.detached {
                // Leave the cluster first, so the other nodes stop listing this one at once.
                await registry?.leave()
                await recorderService?.shutdown()
                for hub in hubs { hub.close() }
                await withTaskGroup(of: Void.self) { group in
                    for server in servers { group.addTask { await server.shutdown(deadline: grace) } }
                    group.addTask {
                        try? await Task.sleep(nanoseconds: 50_000_000)
                        await conferenceService?.shutdown()
                    }
                }
                Log.info("shutdown complete")
                exit(0)
            }
        }
        src.resume()
        sources.append(src)
    }
    withExtendedLifetime(sources) {
        dispatchMain()
    }
} catch {
    fail("\(error)")
}

/// The signing secret: given, or generated once and kept in the data directory.
func loadSecret(_ given: String?, dataDir: String) throws -> [UInt8] {
    if let given {
        if given.utf8.count < 16 { throw ConfigError("--jwt-secret must be at least 16 bytes") }
        return Array(given.utf8)
    }
    let path = (dataDir as NSString).appendingPathComponent("jwt-secret")
    if let existing = FileManager.default.contents(atPath: path), existing.count >= 16 {
        return Array(existing)
    }
    let fresh = Array(Base64URL.encode(secureRandomBytes(32)).utf8)
    let tmp = path + ".tmp"
    guard FileManager.default.createFile(atPath: tmp, contents: Data(fresh), attributes: [.posixPermissions: 0o600]),
          rename(tmp, path) == 0 else {
        throw ConfigError("cannot write \(path)")
    }
    return fresh
}

func loadClients(_ path: String) throws -> [OAuthClient] {
    guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError("cannot read clients file \(path)") }
    let value: JSON
    do { value = try JSON.parse(Array(data)) } catch { throw ConfigError("clients file \(path): \(error)") }
    guard let list = value.arrayValue else { throw ConfigError("clients file \(path) must hold a JSON array") }
    return try list.enumerated().map { (i, c) in
        guard let id = c["clientId"]?.stringValue, let secret = c["clientSecret"]?.stringValue,
              let roles = c["roles"]?.arrayValue?.compactMap(\.stringValue) else {
            throw ConfigError("clients file \(path): entry \(i) needs clientId, clientSecret and roles")
        }
        let spec = "\(id):\(secret):\(roles.joined(separator: ","))" + (c["organizationId"]?.stringValue.map { ":\($0)" } ?? "")
        return try OAuthClient.parse(spec)
    }
}

/// Latest conference counts for the metrics gauges.
final class ConferenceCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var c = 0, e = 0
    func update(_ conferences: Int, _ endpoints: Int) { lock.lock(); c = conferences; e = endpoints; lock.unlock() }
    var conferences: Int { lock.lock(); defer { lock.unlock() }; return c }
    var endpoints: Int { lock.lock(); defer { lock.unlock() }; return e }
}

final class LockedBool: @unchecked Sendable {
    private let lock = NSLock()
    private var v = false
    func testAndSet() -> Bool { lock.lock(); defer { lock.unlock() }; let o = v; v = true; return o }
}

/// Carries media events (transport connected/failed) to the conference service.
final class MediaEvents: @unchecked Sendable {
    var conferences: ConferenceService?
    func forward(_ e: MediaEvent) {
        guard let conferences else { return }
        switch e {
        case .transportConnected(let conf, let endpoint, let stream, let viewer, let remote):
            Log.info("media: \(viewer == nil ? "publisher" : "viewer \(viewer!)") of stream \(stream) (endpoint \(endpoint), conference \(conf)) connected from \(remote)")
            Task { await conferences.setEndpointState(conf, endpoint: endpoint, sick: false) }
        case .transportFailed(let conf, let endpoint, let stream, let viewer, let reason):
            Log.warn("media: \(viewer == nil ? "publisher" : "viewer \(viewer!)") of stream \(stream) (endpoint \(endpoint), conference \(conf)) failed: \(reason)")
            Task { await conferences.setEndpointState(conf, endpoint: endpoint, sick: true) }
        }
    }
}

/// Publishes the media workers' counters as gauges every 2 s (gathered
/// through the workers' mailboxes, never from the media threads' hot path).
func startMediaMetrics(_ rm: RouterMedia) {
    Task.detached {
        while true {
            let all = await rm.stats()
            for (i, s) in all.enumerated() {
                let l = ["worker": String(i)]
                Metrics.shared.set("sfu_media_transports", Double(s.transports), labels: l)
                for (transport, n) in [("udp", s.transports - s.tcpTransports), ("tcp", s.tcpTransports)] {
                    Metrics.shared.set("sfu_media_transports_by_transport", Double(n), labels: ["worker": String(i), "transport": transport])
                }
                Metrics.shared.set("sfu_media_producers", Double(s.producers), labels: l)
                Metrics.shared.set("sfu_media_consumers", Double(s.consumers), labels: l)
                Metrics.shared.set("sfu_media_rtp_received_total", Double(s.rtpIn), labels: l)
                Metrics.shared.set("sfu_media_rtp_forwarded_total", Double(s.rtpOut), labels: l)
                Metrics.shared.set("sfu_media_srtp_errors_total", Double(s.srtpErrors), labels: l)
                for reason in DropReason.allCases {
                    Metrics.shared.set("sfu_media_dropped_total", Double(s.dropped(reason)), labels: ["worker": String(i), "reason": reason.label])
                }
                Metrics.shared.set("sfu_media_keyframe_requests_total", Double(s.keyframeRequests), labels: l)
                Metrics.shared.set("sfu_media_nack_resent_total", Double(s.nackResent), labels: l)
                Metrics.shared.set("sfu_media_nack_missed_total", Double(s.nackMissed), labels: l)
                Metrics.shared.set("sfu_media_nack_sent_total", Double(s.nackSent), labels: l)
                Metrics.shared.set("sfu_media_nack_recovered_total", Double(s.nackRecovered), labels: l)
                Metrics.shared.set("sfu_media_rtx_received_total", Double(s.rtxReceived), labels: l)
                Metrics.shared.set("sfu_media_piped_in_total", Double(s.pipedIn), labels: l)
                Metrics.shared.set("sfu_media_pipe_dropped_total", Double(s.pipeDropped), labels: l)
            }
            for (i, w) in rm.workers.enumerated() {
                let l = ["worker": String(i)]
                let c = await w.socketCounters()
                Metrics.shared.set("sfu_media_udp_received_total", Double(c.udpReceived), labels: l)
                Metrics.shared.set("sfu_media_send_refused_total", Double(c.sendRefused), labels: l)
                guard let t = c.tcp else { continue }
                Metrics.shared.set("sfu_media_tcp_connections", Double(t.open), labels: l)
                Metrics.shared.set("sfu_media_tcp_accepted_total", Double(t.accepted), labels: l)
                Metrics.shared.set("sfu_media_tcp_frames_received_total", Double(t.framesIn), labels: l)
                Metrics.shared.set("sfu_media_tcp_frames_sent_total", Double(t.framesOut), labels: l)
                for (reason, n) in [("media_queue_full", t.mediaDropped), ("control_queue_full", t.controlDropped), ("connection_closed", t.sentToClosed)] {
                    Metrics.shared.set("sfu_media_tcp_send_dropped_total", Double(n), labels: ["worker": String(i), "reason": reason])
                }
                for reason in MediaTCP.CloseReason.allCases {
                    Metrics.shared.set("sfu_media_tcp_closed_total", Double(t.closed[reason] ?? 0), labels: ["worker": String(i), "reason": reason.rawValue])
                }
            }
            try? await Task.sleep(nanoseconds: 2_000_000_000)
        }
    }
}
