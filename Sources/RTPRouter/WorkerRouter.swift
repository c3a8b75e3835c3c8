import DTLS
import Handoff
import ICE
import RTP

/// The router of one media worker: a pure core that takes datagrams and a
/// virtual `now` and writes what leaves into an `Outbox`. It finds the
/// transport of each datagram (ICE ufrag, then the nominated address), runs
/// ICE/DTLS/SRTP, and fans each publisher packet out to its consumers,
/// rewritten and re-protected. Confined to the worker thread.
///
/// Where a packet goes, one file per step:
/// - `RouterDemux.swift`: first byte → STUN, DTLS or SRTP; ICE and DTLS actions.
/// - `RouterForwarder.swift`: a publisher's RTP → track → every consumer.
/// - `RouterFeedback.swift`: RTCP in (SR, NACK, PLI/FIR) and keyframe requests.
/// - `RouterReports.swift`: RTCP out on timers (NACK, RR+REMB, SR) and BYE.
/// - `RouterCommands.swift`: publishers, viewers and removals from signaling.
/// - `Pipes.swift`, `RouterTaps.swift`: other workers and the recorder.
public final class WorkerRouter: DatagramHandler {
    let dtlsContext: DTLSContext
    let events: @Sendable (MediaEvent) -> Void
    var transports: [Int: PeerTransport] = [:]
    var byAddress: [UDPAddress: Int] = [:]
    var ufrags = UfragTable()
    var nextTransportID = 1
    var producers: [String: Producer] = [:]
    var producerByTransport: [Int: Producer] = [:]
    /// Viewer transport → its consumers, with the producer track each feeds from.
    var consumersByTransport: [Int: [(Consumer, ProducerTrack, Producer)]] = [:]
    public internal(set) var stats = RouterStats()
    /// Rings this worker feeds to other workers (signalled once per batch), and
    /// the rings other workers feed to this one with the pipe producer each fills.
    var pipesOut: [PipeRing] = []
    var pipesIn: [(ring: PipeRing, producer: Producer)] = []
    /// The worker's outbox, for sends that commands cause.
    var outbox: Outbox?
    /// Our SSRC in RTCP feedback sent to publishers.
    let feedbackSSRC: UInt32 = UInt32.random(in: 1...UInt32.max)
    var lastReports: UInt64?
    var lastNACKTick: UInt64?
    /// Scratch for the sequence numbers of one NACK (worker-owned, never reallocated).
    let nackScratch = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 128)
    /// Scratch for the video SSRCs of one REMB (worker-owned, never reallocated).
    let rembScratch = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 8)

    public init(dtlsContext: DTLSContext, events: @escaping @Sendable (MediaEvent) -> Void) {
        self.dtlsContext = dtlsContext
        self.events = events
    }

    deinit {
        nackScratch.deallocate()
        rembScratch.deallocate()
    }

    public func attach(_ out: Outbox) { outbox = out }

    static func key(_ conference: String, _ stream: String) -> String { conference + "\u{0}" + stream }

    public func currentStats() -> RouterStats {
        var s = stats
        s.transports = transports.count
        s.tcpTransports = transports.values.reduce(0) { $0 + ($1.path?.isTCP == true ? 1 : 0) }
        s.producers = producers.count
        s.consumers = consumersByTransport.values.reduce(0) { $0 + $1.count }
        return s
    }

    // MARK: - Timers

    /// An idle worker (no transports, no pipes) needs no ticks.
    public var hasTimers: Bool { !transports.isEmpty || !pipesIn.isEmpty || !pipesOut.isEmpty }

    public func tick(out: Outbox, now: UInt64) {
        let d = MediaTime.duration(now)
        for t in transports.values {
            if let deadline = t.ice.nextDeadline, deadline <= d {
                handleICEActions(t, t.ice.tick(now: d), nil, out, now)
            }
            if t.dtlsStarted, let timeout = t.dtls.nextTimeout, timeout <= now {
                handleDTLSActions(t, t.dtls.handleTimeout(now: now), out, now)
            }
        }
        if Self.due(&lastNACKTick, now, RouterTiming.publisherNACKInterval) {
            sendPublisherNACKs(out, now)
        }
        if Self.due(&lastReports, now, RouterTiming.reportInterval) {
            sendSenderReports(out, now)
            sendPublisherFeedback(out, now)
        }
    }

    /// Whether a periodic job last run at `last` is due at `now` (and records it).
    @inline(__always)
    static func due(_ last: inout UInt64?, _ now: UInt64, _ interval: UInt64) -> Bool {
        if let l = last, now &- l < interval { return false }
        last = now
        return true
    }
}
