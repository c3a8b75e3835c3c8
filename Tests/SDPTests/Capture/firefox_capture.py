# Drives headless Firefox ESR over WebDriver BiDi and prints createOffer() SDPs.
import asyncio, json, os, re, subprocess, sys, threading, http.server, websockets

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.end_headers()
        self.wfile.write(b"<html><body>sdp</body></html>")
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 8766), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()

JS = open(os.path.join(os.path.dirname(__file__), "offers.js")).read()

async def main():
    env = dict(os.environ, MOZ_DISABLE_NONLOCAL_CONNECTIONS="1")
    proc = subprocess.Popen(["/usr/lib/firefox-esr/firefox-esr", "--headless", "--no-remote",
        "--profile", "/tmp/sdpcap/ffprofile", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        url = None
        while url is None:
            line = (await asyncio.to_thread(proc.stderr.readline)).decode()
            if not line: raise SystemExit("firefox exited")
            m = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if m: url = m.group(1)
        async with websockets.connect(url + "/session", origin=None, max_size=None) as ws:
            n = 0
            async def call(method, params):
                nonlocal n; n += 1
                await ws.send(json.dumps({"id": n, "method": method, "params": params}))
                while True:
                    msg = json.loads(await ws.recv())
                    if msg.get("id") == n: return msg
            await call("session.new", {"capabilities": {}})
            tree = await call("browsingContext.getTree", {})
            ctx = tree["result"]["contexts"][0]["context"]
            await call("browsingContext.navigate", {"context": ctx, "url": "http://localhost:8766/", "wait": "complete"})
            res = await call("script.evaluate", {"expression": JS, "target": {"context": ctx}, "awaitPromise": True})
            if res.get("type") == "success" and res["result"].get("type") == "success":
                print(res["result"]["result"]["value"])
            else:
                print(json.dumps(res), file=sys.stderr)
    finally:
        proc.terminate(); proc.wait()

asyncio.run(main())
