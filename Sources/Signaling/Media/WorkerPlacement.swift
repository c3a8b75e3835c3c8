/// Which media worker each PeerConnection of each conference lives on, and
/// which producers must be piped between workers (issue 6: a conference
/// whose fan-out exceeds one core continues on the others).
///
/// Publishers of a conference stay on its home worker (the least loaded at
/// its first stream), so a small conference never crosses threads. A viewer
/// joins the publisher's worker while that worker carries fewer than
/// `spillThreshold` transports; beyond, it goes to the least-loaded worker,
/// and the stream gets a pipe from the publisher's worker to that one (once).
/// Pure bookkeeping, no I/O: `RouterMedia` applies what it answers.
struct WorkerPlacement {
    let workerCount: Int
    /// Transports a worker takes before viewers spill to other workers (0: always the least loaded).
    let spillThreshold: Int
    /// Transports (publishers and viewers) per worker.
    private(set) var load: [Int]
    private var home: [String: Int] = [:]
    private var publishers: [Key: Int] = [:]
    private var viewers: [ViewerKey: Int] = [:]
    /// Streams piped to a worker.
    private var pipes: Set<PipeKey> = []

    struct Key: Hashable { var conference: String; var stream: String }
    struct ViewerKey: Hashable { var stream: Key; var viewer: String }
    struct PipeKey: Hashable { var stream: Key; var worker: Int }

    /// Where a viewer goes: its worker, the publisher's worker, and whether
    /// a pipe from `source` to `worker` must be created first.
    struct ViewerPlacement: Equatable {
        var worker: Int
        var source: Int
        var newPipe: Bool
    }

    init(workers: Int, spillThreshold: Int) {
        workerCount = max(1, workers)
        self.spillThreshold = max(0, spillThreshold)
        load = Array(repeating: 0, count: workerCount)
    }

    private func leastLoaded(preferring preferred: Int? = nil) -> Int {
        var best = preferred ?? 0
        for i in load.indices where load[i] < load[best] { best = i }
        return best
    }

    /// The worker of a conference's publishers (chosen at its first stream).
    mutating func placePublisher(conference: String, stream: String) -> Int {
        let key = Key(conference: conference, stream: stream)
        if let w = publishers[key] { return w } // ICE restart: same PeerConnection
        let w = home[conference] ?? leastLoaded()
        home[conference] = w
        publishers[key] = w
        load[w] += 1
        return w
    }

    /// The worker of a conference's publishers, once it has had a stream.
    func home(of conference: String) -> Int? { home[conference] }

    func publisherWorker(conference: String, stream: String) -> Int? {
        publishers[Key(conference: conference, stream: stream)]
    }

    /// Places a viewer of a published stream (nil: not published here).
    mutating func placeViewer(conference: String, stream: String, viewer: String) -> ViewerPlacement? {
        let key = Key(conference: conference, stream: stream)
        guard let source = publishers[key] else { return nil }
        let vk = ViewerKey(stream: key, viewer: viewer)
        if let w = viewers[vk] { return ViewerPlacement(worker: w, source: source, newPipe: false) }
        let w = spillThreshold > 0 && load[source] < spillThreshold ? source : leastLoaded(preferring: source)
        viewers[vk] = w
        load[w] += 1
        var newPipe = false
        if w != source && !pipes.contains(PipeKey(stream: key, worker: w)) {
            pipes.insert(PipeKey(stream: key, worker: w))
            newPipe = true
        }
        return ViewerPlacement(worker: w, source: source, newPipe: newPipe)
    }

    func viewerWorker(conference: String, stream: String, viewer: String) -> Int? {
        viewers[ViewerKey(stream: Key(conference: conference, stream: stream), viewer: viewer)]
    }

    /// Forgets a viewer; returns its worker.
    @discardableResult
    mutating func removeViewer(conference: String, stream: String, viewer: String) -> Int? {
        guard let w = viewers.removeValue(forKey: ViewerKey(stream: Key(conference: conference, stream: stream), viewer: viewer)) else { return nil }
        load[w] -= 1
        return w
    }

    /// Forgets a publisher and its viewers (the routers remove them too);
    /// returns the publisher's worker and the workers its stream was piped to.
    mutating func removePublisher(conference: String, stream: String) -> (worker: Int, pipedTo: [Int])? {
        let key = Key(conference: conference, stream: stream)
        guard let w = publishers.removeValue(forKey: key) else { return nil }
        load[w] -= 1
        for (vk, vw) in viewers where vk.stream == key {
            viewers[vk] = nil
            load[vw] -= 1
        }
        let piped = pipes.filter { $0.stream == key }
        pipes.subtract(piped)
        return (w, piped.map(\.worker).sorted())
    }

    /// Forgets a conference; returns every worker that held part of it.
    mutating func removeConference(_ conference: String) -> [Int] {
        var used: Set<Int> = []
        if let h = home.removeValue(forKey: conference) { used.insert(h) }
        for (k, w) in publishers where k.conference == conference {
            publishers[k] = nil
            load[w] -= 1
            used.insert(w)
        }
        for (vk, w) in viewers where vk.stream.conference == conference {
            viewers[vk] = nil
            load[w] -= 1
            used.insert(w)
        }
        pipes = pipes.filter { $0.stream.conference != conference }
        return used.sorted()
    }

    /// Every worker that holds part of a conference.
    func workers(of conference: String) -> [Int] {
        var used: Set<Int> = []
        if let h = home[conference] { used.insert(h) }
        for (k, w) in publishers where k.conference == conference { used.insert(w) }
        for (vk, w) in viewers where vk.stream.conference == conference { used.insert(w) }
        return used.sorted()
    }
}
