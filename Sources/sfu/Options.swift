import Foundation
import HTTP
import Signaling

/// Every command-line option, its environment variable, default and help.
/// `--help` prints this table; README.md documents the same list.
struct Option {
    let flag: String
    let env: String
    let value: String?      // metavariable, nil for switches
    let defaultValue: String?
    let help: String
}

let allOptions: [Option] = [
    Option(flag: "--host", env: "SFU_HOST", value: "ADDR", defaultValue: "0.0.0.0", help: "Address the HTTP API listens on (IPv4 or IPv6; '::' for both)."),
    Option(flag: "--port", env: "SFU_PORT", value: "N", defaultValue: "8080", help: "Port of the HTTP API: Conference API, token endpoint, OpenAPI, /metrics."),
    Option(flag: "--data-dir", env: "SFU_DATA_DIR", value: "DIR", defaultValue: "./data", help: "Directory for everything the server keeps (JWT secret, recordings, record stores)."),
    Option(flag: "--auth", env: "SFU_AUTH", value: "on|off", defaultValue: "on", help: "Require a bearer token on every API call. 'off' lets anyone do anything (development only; logged loudly)."),
    Option(flag: "--client", env: "SFU_CLIENTS", value: "ID:SECRET:ROLES[:ORG]", defaultValue: nil, help: "An OAuth client allowed to get tokens; ROLES is SERVICE and/or PARTICIPANT, comma-separated. Repeatable; the variable takes a ';'-separated list. With no client configured, a development client is created and printed at start-up."),
    Option(flag: "--clients-file", env: "SFU_CLIENTS_FILE", value: "FILE", defaultValue: nil, help: "JSON file with clients: [{\"clientId\", \"clientSecret\", \"roles\": [..], \"organizationId\"}]."),
    Option(flag: "--jwt-secret", env: "SFU_JWT_SECRET", value: "SECRET", defaultValue: nil, help: "HS256 signing secret (at least 32 bytes recommended). Default: generated once and kept in DATA_DIR/jwt-secret."),
    Option(flag: "--token-ttl", env: "SFU_TOKEN_TTL", value: "SECONDS", defaultValue: "3600", help: "Lifetime of issued access tokens."),
    Option(flag: "--conference-idle-timeout", env: "SFU_CONFERENCE_IDLE_TIMEOUT", value: "SECONDS", defaultValue: "300", help: "A conference without participants ends by itself after this time."),
    Option(flag: "--ended-retention", env: "SFU_ENDED_RETENTION", value: "SECONDS", defaultValue: "600", help: "How long an ended conference's events stay readable."),
    Option(flag: "--sick-grace", env: "SFU_SICK_GRACE", value: "SECONDS", defaultValue: "30", help: "An endpoint whose media failed (e.g. ICE consent expired after 30 s without checks) is SICK; it is removed (ParticipantLeft, CONSENT_EXPIRED) after this further time unless it recovers."),
    Option(flag: "--max-conferences", env: "SFU_MAX_CONFERENCES", value: "N", defaultValue: "10000", help: "Conferences held at once (503 beyond)."),
    Option(flag: "--max-participants", env: "SFU_MAX_PARTICIPANTS", value: "N", defaultValue: "1000", help: "Endpoints per conference (503 beyond)."),
    Option(flag: "--max-conferences-per-participant", env: "SFU_MAX_CONFERENCES_PER_PARTICIPANT", value: "N", defaultValue: "10", help: "Live conferences one PARTICIPANT token subject (granted 'create') may have created (429 QUOTA_EXCEEDED beyond)."),
    Option(flag: "--max-conferences-per-organization", env: "SFU_MAX_CONFERENCES_PER_ORGANIZATION", value: "N", defaultValue: "1000", help: "Live conferences of one organization, whoever created them (429 QUOTA_EXCEEDED beyond). Conferences of no organization are bounded by --max-conferences only."),
    Option(flag: "--max-events-per-second", env: "SFU_MAX_EVENTS_PER_SECOND", value: "N", defaultValue: "50", help: "sendEvent calls per second per principal, with bursts of twice as many (429 RATE_LIMITED with Retry-After beyond)."),
    Option(flag: "--max-metadata-bytes", env: "SFU_MAX_METADATA_BYTES", value: "SIZE", defaultValue: "16KiB", help: "Largest metadata object of one command (participant, stream, create), as JSON (413 beyond)."),
    Option(flag: "--max-conference-metadata-bytes", env: "SFU_MAX_CONFERENCE_METADATA_BYTES", value: "SIZE", defaultValue: "64KiB", help: "Largest conference metadata, every key and value together (413 METADATA_TOO_LARGE beyond)."),
    Option(flag: "--max-events-kept", env: "SFU_MAX_EVENTS_KEPT", value: "N", defaultValue: "10000", help: "Events kept in one conference's log; the oldest go first. A reader asking for dropped events gets 410 EVENTS_EXPIRED (or an SSE reset event)."),
    Option(flag: "--max-event-log-bytes", env: "SFU_MAX_EVENT_LOG_BYTES", value: "SIZE", defaultValue: "4MiB", help: "Bytes of event JSON kept in one conference's log; the oldest go first (as --max-events-kept)."),
    Option(flag: "--best-effort-retention", env: "SFU_BEST_EFFORT_RETENTION", value: "SECONDS", defaultValue: "60", help: "How long a sendEvent with qos BEST_EFFORT stays readable in the log (AT_LEAST_ONCE events stay as long as the log keeps them)."),
    Option(flag: "--events-poll-wait", env: "SFU_EVENTS_POLL_WAIT", value: "SECONDS", defaultValue: "5", help: "GET /conferences/{id}/events?v=N without wait= blocks this long when no event is newer than N (wait=0 answers at once)."),
    Option(flag: "--max-connections", env: "SFU_MAX_CONNECTIONS", value: "N", defaultValue: "4096", help: "Open HTTP connections per port; more are answered 503 and closed."),
    Option(flag: "--header-timeout", env: "SFU_HEADER_TIMEOUT", value: "SECONDS", defaultValue: "10", help: "A request head must arrive within this time (else 408 and close)."),
    Option(flag: "--keepalive-timeout", env: "SFU_KEEPALIVE_TIMEOUT", value: "SECONDS", defaultValue: "75", help: "Idle keep-alive connections are closed after this time."),
    Option(flag: "--body-timeout", env: "SFU_BODY_TIMEOUT", value: "SECONDS", defaultValue: "30", help: "A request body that stalls this long fails with 408."),
    Option(flag: "--body-min-rate", env: "SFU_BODY_MIN_RATE", value: "BYTES", defaultValue: "1024", help: "Once a request body has been read for --body-timeout seconds it must have averaged this many bytes per second (else 408): a body trickled a byte at a time is cut off."),
    Option(flag: "--token-failure-limit", env: "SFU_TOKEN_FAILURE_LIMIT", value: "N", defaultValue: "10", help: "Failed token requests (unknown client or wrong secret) allowed per source address per minute; beyond, the token endpoint answers 429 with Retry-After. 0: no limit."),
    Option(flag: "--shutdown-grace", env: "SFU_SHUTDOWN_GRACE", value: "SECONDS", defaultValue: "10", help: "On SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to this long, then exit."),
    Option(flag: "--media", env: "SFU_MEDIA", value: "on|off", defaultValue: "on", help: "Run the media path (UDP workers). 'off' answers publishStream/viewStream with 503 (signaling-only deployments, tests)."),
    Option(flag: "--media-workers", env: "SFU_MEDIA_WORKERS", value: "N", defaultValue: "cores", help: "Media worker threads, each with its own UDP port. A conference's publishers live on one worker; its viewers spill to other workers (see --worker-spill)."),
    Option(flag: "--worker-spill", env: "SFU_WORKER_SPILL", value: "N", defaultValue: "500", help: "Transports a media worker takes before a conference's further viewers go to the least-loaded worker, which receives the stream through an in-memory pipe from the publisher's worker. 0: every viewer goes to the least-loaded worker."),
    Option(flag: "--media-port", env: "SFU_MEDIA_PORT", value: "PORT", defaultValue: "40000", help: "UDP port of the first media worker; worker i uses PORT+i (0: any free ports)."),
    Option(flag: "--media-listen", env: "SFU_MEDIA_LISTEN", value: "ADDR", defaultValue: "every address, IPv4 and IPv6", help: "Local address the media ports bind to (one socket per address and worker; '0.0.0.0' every IPv4 address, '::' every IPv6 address). Repeatable; the variable takes a comma-separated list. Replies always leave from the address a peer's packets arrived on."),
    Option(flag: "--announce-ip", env: "SFU_ANNOUNCE_IPS", value: "ADDR", defaultValue: "the --media-listen addresses, else this host's addresses", help: "Address put into ICE host candidates instead of the local ones, e.g. the public IP of a 1:1 NAT or cloud host (packets to it must reach a listened address, on the same port). Repeatable (IPv4 and IPv6); the variable takes a comma-separated list."),
    Option(flag: "--ice-server", env: "SFU_ICE_SERVERS", value: "URL", defaultValue: nil, help: "A STUN or TURN server handed to clients (GET /rtc-api/iceServers, client.js, the demo page, WHIP/WHEP Link headers): stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT][?transport=tcp]. Repeatable; the variable takes a comma-separated list. TURN URLs need --turn-secret or --ice-server-username/--ice-server-credential."),
    Option(flag: "--ice-server-username", env: "SFU_ICE_SERVER_USERNAME", value: "NAME", defaultValue: nil, help: "A fixed TURN username given to every client (with --ice-server-credential); prefer --turn-secret."),
    Option(flag: "--ice-server-credential", env: "SFU_ICE_SERVER_CREDENTIAL", value: "PASSWORD", defaultValue: nil, help: "The fixed TURN password for --ice-server-username."),
    Option(flag: "--turn-secret", env: "SFU_TURN_SECRET", value: "SECRET", defaultValue: nil, help: "coturn's static-auth-secret (use-auth-secret): each client gets its own time-limited TURN credential, username EXPIRY:USER and password base64(HMAC-SHA1(SECRET, username)). Never logged; prefer the variable to the command line."),
    Option(flag: "--turn-credential-ttl", env: "SFU_TURN_CREDENTIAL_TTL", value: "SECONDS", defaultValue: "86400", help: "Lifetime of the TURN credentials made from --turn-secret (at least 60)."),
    Option(flag: "--cors-origin", env: "SFU_CORS_ORIGINS", value: "ORIGIN", defaultValue: "*", help: "Origins whose web pages may call the API from a browser (CORS): '*' for any, a comma-separated list of exact origins, or 'none'."),
    Option(flag: "--whip-create-conferences", env: "SFU_WHIP_CREATE_CONFERENCES", value: "on|off", defaultValue: "off", help: "A WHIP publish (POST /whip/{conferenceId}) with a SERVICE token to a conference that does not exist creates it. 'off': such a publish is answered 404."),
    Option(flag: "--recorder", env: "SFU_RECORDER", value: "on|off", defaultValue: "on", help: "Allow recording conferences (POST /channels/{id}/record). 'off' keeps the Recordings API for listing and downloading existing recordings."),
    Option(flag: "--recordings-dir", env: "SFU_RECORDINGS_DIR", value: "DIR", defaultValue: "DATA_DIR/recordings", help: "Where recordings are written: DIR/<conference>/<recording id>/<segment>/ plus recording.json."),
    Option(flag: "--recording-segment", env: "SFU_RECORDING_SEGMENT", value: "SECONDS", defaultValue: "1800", help: "A recording is cut into segments of this length; each segment is a set of files, post-processed on its own."),
    Option(flag: "--recording-empty-timeout", env: "SFU_RECORDING_EMPTY_TIMEOUT", value: "SECONDS", defaultValue: "60", help: "A recording stops when its conference has had no participants for this long (it always stops when the conference ends)."),
    Option(flag: "--recording-min-free", env: "SFU_RECORDING_MIN_FREE", value: "SIZE", defaultValue: "1GiB", help: "A recording may start only while the recordings directory's file system has this much free space (statvfs)."),
    Option(flag: "--records", env: "SFU_RECORDS", value: "on|off", defaultValue: "on", help: "Run the records store (recordings of live calls) alongside the Conference API."),
    Option(flag: "--records-port", env: "SFU_RECORDS_PORT", value: "N", defaultValue: "10700", help: "Port of the records store: /records/:event/:start (alias /record), /ping, /sse, /openapi."),
    Option(flag: "--prerecordings", env: "SFU_PRERECORDINGS", value: "on|off", defaultValue: "on", help: "Run the prerecordings store (audio uploaded ahead of an event) alongside the Conference API."),
    Option(flag: "--prerecordings-port", env: "SFU_PRERECORDINGS_PORT", value: "N", defaultValue: "10600", help: "Port of the prerecordings store: /prerecordings/:event/:start (alias /prerecording), /ping, /sse, /openapi."),
    Option(flag: "--store-listen", env: "SFU_STORE_LISTEN", value: "ADDR", defaultValue: "127.0.0.1", help: "Address both record stores listen on. On a loopback address (the default) only this machine can reach them and they ask no token, so the usage documents' curl commands work as written; on any other address (e.g. 0.0.0.0) every request except /ping and /openapi needs a bearer token (with --auth on). The choice is logged at start-up; see docs/STORES.md."),
    Option(flag: "--store-max-item-size", env: "SFU_STORE_MAX_ITEM_SIZE", value: "SIZE", defaultValue: "2GiB", help: "Largest item a store accepts (413 beyond); bytes, or with a suffix K, M, G, KiB, MiB, GiB (all powers of 1024)."),
    Option(flag: "--store-max-uploads", env: "SFU_STORE_MAX_UPLOADS", value: "N", defaultValue: "16", help: "Uploads in progress at once per store (503 beyond)."),
    Option(flag: "--store-sse-heartbeat", env: "SFU_STORE_SSE_HEARTBEAT", value: "SECONDS", defaultValue: "15", help: "Interval of the heartbeat comments on a store's /sse stream."),
    Option(flag: "--cluster", env: "SFU_CLUSTER", value: "redis://HOST:PORT[/DB]", defaultValue: nil, help: "Cluster mode: register this node in Redis (lease with a fencing epoch, heartbeat with load) and list the other nodes; /healthz reports the cluster state from memory. A password goes in redis://:PASSWORD@HOST:PORT. Without it nothing touches Redis. See docs/CLUSTER.md."),
    Option(flag: "--node-id", env: "SFU_NODE_ID", value: "ID", defaultValue: "generated, kept in DATA_DIR/node-id", help: "This node's id in the cluster: 1-64 characters of A-Z a-z 0-9 . _ -."),
    Option(flag: "--cluster-lease", env: "SFU_CLUSTER_LEASE", value: "SECONDS", defaultValue: "5", help: "Lease time to live: a node that stops heartbeating (killed, cut off from Redis) loses its lease and fences itself within this time; heartbeats go every fifth of it."),
    Option(flag: "--cluster-advertise", env: "SFU_CLUSTER_ADVERTISE", value: "URL", defaultValue: "http://HOST:PORT of the API", help: "The API address the other nodes list for this node (set it when --host is 0.0.0.0 or behind NAT)."),
    Option(flag: "--log-level", env: "SFU_LOG_LEVEL", value: "LEVEL", defaultValue: "info", help: "debug, info, warn or error."),
    Option(flag: "--access-log", env: "SFU_ACCESS_LOG", value: nil, defaultValue: nil, help: "Log one line per HTTP request."),
    Option(flag: "--help", env: "", value: nil, defaultValue: nil, help: "Print this help and exit."),
]

func usage() -> String {
    var s = """
    sfu — WebRTC SFU media router: Conference API, recording and record stores.

    Usage: sfu [serve] [options]                      Conference API and both record stores
           sfu store records|prerecordings [options]  one record store alone (no Conference API)

    Every option can also be set by its environment variable; the command line wins.

    Options:

    """
    for o in allOptions {
        var left = "  " + o.flag + (o.value.map { " " + $0 } ?? "")
        if left.count < 38 { left += String(repeating: " ", count: 38 - left.count) } else { left += "\n" + String(repeating: " ", count: 38) }
        var help = o.help
        if let d = o.defaultValue { help += " [default: \(d)]" }
        if !o.env.isEmpty { help += " (env \(o.env))" }
        s += left + wrap(help, width: 80, indent: 38) + "\n"
    }
    return s
}

func wrap(_ text: String, width: Int, indent: Int) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if line.count + word.count + 1 > width - indent && !line.isEmpty {
            lines.append(line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n" + String(repeating: " ", count: indent))
}

/// Parsed settings: command line over environment over defaults.
struct Settings {
    var values: [String: String] = [:]
    var clients: [String] = []
    var announce: [String] = []
    var iceServers: [String] = []
    var mediaListen: [String] = []
    var switches: Set<String> = []

    static func parse(_ args: [String], env: [String: String]) throws -> Settings {
        var s = Settings()
        for o in allOptions where !o.env.isEmpty {
            if let v = env[o.env], !v.isEmpty {
                if o.flag == "--client" {
                    s.clients += v.split(separator: ";").map(String.init)
                } else if o.flag == "--announce-ip" {
                    s.announce += v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                } else if o.flag == "--ice-server" {
                    s.iceServers += v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                } else if o.flag == "--media-listen" {
                    s.mediaListen += v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                } else if o.value == nil {
                    if ["1", "true", "yes", "on"].contains(v.lowercased()) { s.switches.insert(o.flag) }
                } else {
                    s.values[o.flag] = v
                }
            }
        }
        var cliClients: [String] = []
        var cliAnnounce: [String] = []
        var cliIceServers: [String] = []
        var cliListen: [String] = []
        var i = 0
        var args = args
        if args.first == "serve" { args.removeFirst() }
        while i < args.count {
            var a = args[i]
            var inline: String?
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                inline = String(a[a.index(after: eq)...])
                a = String(a[..<eq])
            }
            guard let o = allOptions.first(where: { $0.flag == a }) else {
                throw ConfigError("unknown option '\(args[i])' (see --help)")
            }
            if o.value == nil {
                s.switches.insert(o.flag)
                i += 1
                continue
            }
            let v: String
            if let inline { v = inline } else {
                guard i + 1 < args.count else { throw ConfigError("option \(a) needs a value \(o.value!)") }
                v = args[i + 1]
                i += 1
            }
            switch o.flag {
            case "--client": cliClients.append(v)
            case "--announce-ip": cliAnnounce.append(v)
            case "--ice-server": cliIceServers.append(v)
            case "--media-listen": cliListen.append(v)
            default: s.values[o.flag] = v
            }
            i += 1
        }
        if !cliClients.isEmpty { s.clients = cliClients }
        if !cliAnnounce.isEmpty { s.announce = cliAnnounce }
        if !cliIceServers.isEmpty { s.iceServers = cliIceServers }
        if !cliListen.isEmpty { s.mediaListen = cliListen }
        return s
    }

    /// The ICE servers for clients and how their TURN credentials are made.
    func iceServerConfig() throws -> IceServerConfig {
        let username = optional("--ice-server-username"), credential = optional("--ice-server-credential")
        let credentials: IceServerConfig.Credentials
        if let secret = optional("--turn-secret") {
            guard username == nil && credential == nil else {
                throw ConfigError("--turn-secret and --ice-server-username/--ice-server-credential exclude each other")
            }
            credentials = .sharedSecret(Array(secret.utf8), ttl: Int64(try int("--turn-credential-ttl", min: 60)))
        } else if username != nil || credential != nil {
            credentials = .fixed(username: username ?? "", credential: credential ?? "")
        } else {
            credentials = .none
        }
        return try IceServerConfig(urls: iceServers, credentials: credentials)
    }

    func string(_ flag: String) -> String {
        values[flag] ?? allOptions.first { $0.flag == flag }!.defaultValue ?? ""
    }

    func optional(_ flag: String) -> String? { values[flag] }

    func int(_ flag: String, min: Int = 0, max: Int = Int(Int32.max)) throws -> Int {
        let v = string(flag)
        guard let n = Int(v), n >= min, n <= max else { throw ConfigError("\(flag) must be an integer from \(min) to \(max), not '\(v)'") }
        return n
    }

    /// "on"/"off" (and the usual synonyms).
    func onOff(_ flag: String) throws -> Bool {
        switch string(flag).lowercased() {
        case "on", "true", "1", "yes": return true
        case "off", "false", "0", "no": return false
        default: throw ConfigError("\(flag) must be on or off, not '\(string(flag))'")
        }
    }

    /// A byte size: digits with an optional K/M/G (or KiB/MiB/GiB, KB/MB/GB) suffix, powers of 1024.
    func byteSize(_ flag: String, min: Int64 = 1) throws -> Int64 {
        let v = string(flag)
        guard let n = parseByteSize(v), n >= min else {
            throw ConfigError("\(flag) must be a size of at least \(min) bytes such as 1048576, 512MiB or 2G, not '\(v)'")
        }
        return n
    }

    func seconds(_ flag: String) throws -> Double {
        let v = string(flag)
        // Bounded so that no timer arithmetic (seconds × 10⁹ in UInt64) can overflow.
        guard let n = Double(v), n > 0, n <= 1e9 else { throw ConfigError("\(flag) must be a positive number of seconds up to 10⁹, not '\(v)'") }
        return n
    }
}

/// Parses `2147483648`, `2G`, `2GiB`, `512M`, `64k` (powers of 1024); nil if malformed or too large.
func parseByteSize(_ text: String) -> Int64? {
    let t = text.trimmingCharacters(in: .whitespaces)
    let digits = t.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, let n = Int64(digits) else { return nil }
    let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
    let shift: Int64
    switch unit {
    case "", "b": shift = 0
    case "k", "kb", "kib": shift = 10
    case "m", "mb", "mib": shift = 20
    case "g", "gb", "gib": shift = 30
    case "t", "tb", "tib": shift = 40
    default: return nil
    }
    let (v, overflow) = n.multipliedReportingOverflow(by: Int64(1) << shift)
    return overflow ? nil : v
}
