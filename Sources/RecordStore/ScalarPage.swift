/// The Scalar API-reference page served at `/openapi`: it loads the store's
/// own OpenAPI document, and links to it plainly while Scalar loads (or when
/// the CDN is unreachable).
enum StoreScalarPage {
    static func html(title: String, specURL: String) -> String {
        let t = escape(title)
        let u = escape(specURL)
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

    /// Escapes `s` for HTML text and quoted attribute values.
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
