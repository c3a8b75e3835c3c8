import HTTP

/// Checks an SDP offer before any state is created; a rejected offer is a
/// 400 `INVALID_SDP` whose message gives the reason.
public enum OfferCheck {
    public static func validate(_ sdp: String) throws(HTTPError) {
        if !sdp.hasPrefix("v=0") { throw HTTPError(400, "INVALID_SDP", "SDP offer must start with v=0") }
    }
}
