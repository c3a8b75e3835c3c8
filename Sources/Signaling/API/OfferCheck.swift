import HTTP
import SDP

/// Checks an SDP offer before any state is created; a rejected offer is a
/// 400 `INVALID_SDP` whose message gives the reason (parse errors name the line).
public enum OfferCheck {
    public static func validate(_ text: String) throws(HTTPError) {
        do {
            let sdp = try SessionDescription.parse(text)
            try validateOffer(sdp)
        } catch {
            throw HTTPError(400, "INVALID_SDP", "SDP offer rejected: \(error.description)")
        }
    }
}
