/// The Scalar API-reference page for an OpenAPI document URL, shared by
/// every HTTP face (Conference API, record stores).
public enum ScalarPage {
    public static func html(title: String, specURL: String) -> String {
        let t = escape(title)
        let u = escape(specURL)
        // The fallback paragraph is visible until the Scalar script has loaded, so the
        // plain link to the JSON also works with JavaScript off or the CDN unreachable.
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(t)</title>
        </head>
        <body>
        <script id="api-reference" data-url="\(u)"></script>
        <p id="api-reference-fallback">\(t): the OpenAPI document is at <a href="\(u)">\(u)</a>.</p>
        <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference" onload="document.getElementById('api-reference-fallback').hidden = true"></script>
        </body>
        </html>

        """
    }

    /// Escapes `s` for an HTML attribute value (double- or single-quoted) or element text.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
