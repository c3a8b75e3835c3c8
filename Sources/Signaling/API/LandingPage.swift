/// The page at `/`: what this server is and where its API and docs are.
enum LandingPage {
    static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>sfu</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .25rem}</style>
    </head><body>
    <h1>sfu</h1>
    <p>A WebRTC SFU media router. This port serves the Conference API.</p>
    <ul>
    <li><a href="/rtc-api/openapi">API reference</a> (<a href="/rtc-api/openapi.json">OpenAPI JSON</a>)</li>
    <li><a href="/metrics">Prometheus metrics</a> · <a href="/healthz">health</a></li>
    </ul>
    <p>Get a token with <code>curl -u ID:SECRET -d grant_type=client_credentials /security/oauth/token</code>;
    the server prints a development client at start-up when none is configured.</p>
    </body></html>
    """
}
