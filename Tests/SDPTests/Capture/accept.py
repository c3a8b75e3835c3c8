# Feeds our answers to real browsers: prints, per scenario, whether setRemoteDescription accepted them.
import asyncio, json, os, re, subprocess, sys, threading, time, http.server, urllib.request, websockets

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.end_headers()
        self.wfile.write(b"<html><body>sdp</body></html>")
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 8767), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
JS = open("/tmp/sdpcap/accept.js").read()
PUB = "/work/sdp/Tests/SDPTests/Fixtures/chromium156-sendrecv.sdp"

def sfu(mode, offer):
    p = subprocess.run(["/tmp/sdpcli/sdpcli", mode], input=offer.encode(), capture_output=True, env=dict(os.environ, PUBLISHER=PUB))
    if p.returncode != 0: return None, p.stderr.decode()
    return p.stdout.decode(), None

async def scenarios(evaluate, browser):
    await evaluate(JS)
    for kind, mode in [("sendrecv", "publish"), ("simulcast", "publish"), ("datachannel", "publish"), ("recvonly", "view"), ("sendrecv2", "view")]:
        jskind = "sendrecv" if kind == "sendrecv2" else kind
        offer = await evaluate(f"window.sfuMake({json.dumps(jskind)})")
        answer, err = sfu(mode, offer)
        if err: print(browser, kind, mode, "SFU ERROR", err); continue
        res = await evaluate(f"window.sfuApply({json.dumps(jskind)}, {json.dumps(answer)})")
        print(browser, kind, mode, res)

async def chromium():
    proc = subprocess.Popen(["/usr/lib/chromium/chromium", "--headless=new", "--no-sandbox", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1", "--disable-background-networking",
        "--no-first-run", "--remote-debugging-port=9334", "http://localhost:8767/"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                page = [t for t in json.load(urllib.request.urlopen("http://127.0.0.1:9334/json")) if t["type"] == "page" and "8767" in t["url"]][0]; break
            except Exception: time.sleep(0.1)
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            n = 0
            async def evaluate(expr):
                nonlocal n; n += 1
                await ws.send(json.dumps({"id": n, "method": "Runtime.evaluate", "params": {"expression": expr, "awaitPromise": True, "returnByValue": True}}))
                while True:
                    m = json.loads(await ws.recv())
                    if m.get("id") == n:
                        if "exceptionDetails" in m["result"]: raise RuntimeError(json.dumps(m["result"]["exceptionDetails"])[:500])
                        return m["result"]["result"].get("value")
            await scenarios(evaluate, "chromium")
    finally:
        proc.terminate(); proc.wait()

async def firefox():
    env = dict(os.environ, MOZ_DISABLE_NONLOCAL_CONNECTIONS="1")
    proc = subprocess.Popen(["/usr/lib/firefox-esr/firefox-esr", "--headless", "--no-remote", "--profile", "/tmp/sdpcap/ffprofile",
        "--remote-debugging-port=0", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
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
            ctx = (await call("browsingContext.getTree", {}))["result"]["contexts"][0]["context"]
            await call("browsingContext.navigate", {"context": ctx, "url": "http://localhost:8767/", "wait": "complete"})
            async def evaluate(expr):
                r = await call("script.evaluate", {"expression": expr, "target": {"context": ctx}, "awaitPromise": True})
                if r.get("type") != "success" or r["result"].get("type") != "success": raise RuntimeError(json.dumps(r)[:800])
                return r["result"]["result"].get("value")
            await scenarios(evaluate, "firefox")
    finally:
        proc.terminate(); proc.wait()

asyncio.run(chromium() if sys.argv[1] == "chromium" else firefox())
