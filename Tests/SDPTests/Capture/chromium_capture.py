# Drives headless Chromium over the DevTools protocol and prints createOffer() SDPs.
import asyncio, json, subprocess, sys, time, urllib.request, websockets, threading, http.server, functools
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type","text/html"); self.end_headers(); self.wfile.write(b"<html><body>sdp</body></html>")
    def log_message(self,*a): pass
srv = http.server.HTTPServer(("127.0.0.1", 8765), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()


JS = r"""
(async () => {
  const out = {};
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  // 1. sendrecv audio+video
  let pc = new RTCPeerConnection();
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
  out.sendrecv = (await pc.createOffer()).sdp; pc.close();
  // 2. recvonly audio+video
  pc = new RTCPeerConnection();
  pc.addTransceiver('audio', {direction: 'recvonly'});
  pc.addTransceiver('video', {direction: 'recvonly'});
  out.recvonly = (await pc.createOffer()).sdp; pc.close();
  // 3. simulcast video (+ audio)
  pc = new RTCPeerConnection();
  pc.addTransceiver(stream.getAudioTracks()[0], {direction: 'sendonly', streams: [stream]});
  pc.addTransceiver(stream.getVideoTracks()[0], {direction: 'sendonly', streams: [stream],
    sendEncodings: [{rid: 'h'}, {rid: 'm', scaleResolutionDownBy: 2}, {rid: 'l', scaleResolutionDownBy: 4}]});
  out.simulcast = (await pc.createOffer()).sdp; pc.close();
  // 4. offer with ICE candidates gathered (sendrecv + data channel)
  pc = new RTCPeerConnection();
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
  pc.createDataChannel('chat');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(r => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; setTimeout(r, 5000); });
  out.gathered = pc.localDescription.sdp; pc.close();
  out.userAgent = navigator.userAgent;
  return JSON.stringify(out);
})()
"""

async def main():
    proc = subprocess.Popen(["/usr/lib/chromium/chromium", "--headless=new", "--no-sandbox",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
        "--disable-background-networking", "--no-first-run",
        "--remote-debugging-port=9333", "http://localhost:8765/"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                targets = json.load(urllib.request.urlopen("http://127.0.0.1:9333/json"))
                page = [t for t in targets if t["type"] == "page" and "8765" in t["url"]][0]
                break
            except Exception:
                time.sleep(0.1)
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            await ws.send(json.dumps({"id": 1, "method": "Runtime.evaluate",
                "params": {"expression": JS, "awaitPromise": True, "returnByValue": True}}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("id") == 1:
                    break
        print(msg["result"]["result"]["value"]) if "exceptionDetails" not in msg["result"] else print(json.dumps(msg), file=sys.stderr)
    finally:
        proc.terminate(); proc.wait()

asyncio.run(main())
