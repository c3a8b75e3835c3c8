/// Read-only views of a router's state for in-process drivers (tests,
/// `router-bench`); not used by the worker itself.
extension WorkerRouter {
    /// libsrtp2 calls made by every session of every transport so far.
    public func libsrtpCallsForDiagnostics() -> UInt64 {
        var total: UInt64 = 0
        for t in transports.values {
            total &+= (t.srtpIn?.libsrtpCalls ?? 0) &+ (t.srtpOut?.libsrtpCalls ?? 0)
        }
        return total
    }
}
