/// Decides whether a keyframe request may go upstream now. One per
/// producer track (shared by every viewer of it, and by pipe producers on
/// other workers, so requests are de-duplicated) and one per waiting
/// consumer (its periodic re-ask). A forced request (a new consumer or pipe
/// that cannot start without a keyframe) only has to respect the shorter
/// `forcedInterval`. Pure value; time is the router's monotonic ns.
struct KeyframeRequestThrottle {
    let interval: UInt64
    let forcedInterval: UInt64
    /// When the last request was let through; nil before the first.
    private(set) var lastRequest: UInt64?

    init(interval: UInt64 = RouterTiming.keyframeRequestInterval,
         forcedInterval: UInt64 = RouterTiming.forcedKeyframeRequestInterval) {
        self.interval = interval
        self.forcedInterval = forcedInterval
    }

    /// True (and recorded) when a request may be sent at `now`.
    mutating func allow(now: UInt64, force: Bool) -> Bool {
        if let last = lastRequest, now &- last < (force ? forcedInterval : interval) { return false }
        lastRequest = now
        return true
    }
}
