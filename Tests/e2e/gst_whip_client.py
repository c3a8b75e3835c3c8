#!/usr/bin/python3
"""A WHIP publisher built on GStreamer's webrtcbin (Debian gstreamer1.0-plugins-bad,
gstreamer1.0-nice, python3-gst-1.0, gir1.2-nice-0.1): a WebRTC stack nobody here wrote.

Run with the system Python (GStreamer's `gi` bindings are not in the test venv):

    /usr/bin/python3 gst_whip_client.py URL [--token T] [--no-trickle]

It sends a 320x240 solid red test pattern (VP8, 30 fps) and a 440 Hz sine (Opus):
POSTs the offer as soon as it is made (no candidate in it), then trickles every
candidate libnice gathers with PATCH (If-Match: the ETag), ending with
`a=end-of-candidates`. It runs until its standard input closes, then DELETEs the
session. Everything it sees is printed as one JSON object per line:
`{"event": "post", "status": 201, "location": ..., "etag": ..., "links": [...]}`,
`{"event": "patch", "status": 204, "candidates": n}`, `{"event": "ice", "state": ...}`,
`{"event": "connection", "state": ...}`, `{"event": "delete", "status": 200}`.

libnice never gathers loopback addresses; the server announces 127.0.0.1 and the
tests run in a namespace with only `lo`, so 127.0.0.1 is added to the agent by hand.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

PIPELINE = """
webrtcbin name=w bundle-policy=max-bundle
videotestsrc is-live=true pattern=solid-color foreground-color=0xffff0000
  ! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert
  ! vp8enc deadline=1 target-bitrate=400000 keyframe-max-dist=30 ! rtpvp8pay pt=96 picture-id-mode=15-bit
  ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! w.
audiotestsrc is-live=true wave=sine freq=440 volume=0.25
  ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! opusenc bitrate=64000 ! rtpopuspay pt=111
  ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! w.
"""


def emit(**fields) -> None:
    fields["t"] = time.monotonic()
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class WhipPublisher:
    def __init__(self, url: str, token: str | None, trickle: bool):
        self.url, self.token, self.trickle = url, token, trickle
        self.location: str | None = None
        self.etag: str | None = None
        self.ufrag = self.pwd = None
        self.mids: list[str] = []
        self.pending: list[tuple[int, str]] = []
        self.gathered = False
        self.offered = False
        self.lock = threading.Lock()
        self.loop = GLib.MainLoop()
        self.pipe = Gst.parse_launch(PIPELINE)
        self.webrtc = self.pipe.get_by_name("w")
        # Kept for the whole run: PyGObject drops a reference it never took
        # when these wrappers die, which would free webrtcbin's ICE agent.
        self.ice = self.webrtc.get_property("ice-agent")
        self.agent = self.ice.get_property("agent")
        loopback = Nice.Address.new()
        loopback.set_from_string("127.0.0.1")
        self.agent.add_local_address(loopback)
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("on-ice-candidate", self.on_ice_candidate)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.connect("notify::ice-connection-state",
                            lambda w, _p: emit(event="ice", state=w.get_property("ice-connection-state").value_nick))
        self.webrtc.connect("notify::connection-state",
                            lambda w, _p: emit(event="connection", state=w.get_property("connection-state").value_nick))

    # ---------------------------------------------------------------- HTTP

    def request(self, method: str, url: str, body: bytes | None, headers: dict) -> tuple[int, dict, bytes]:
        if self.token:
            headers = dict(headers, Authorization=f"Bearer {self.token}")
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.status, {"_all": r.headers}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {"_all": e.headers}, e.read()

    # ---------------------------------------------------------------- negotiation

    def on_negotiation_needed(self, webrtc) -> None:
        if self.offered:       # fired once per linked pad; one offer covers both
            return
        self.offered = True
        for t in [webrtc.emit("get-transceiver", i) for i in range(2)]:
            if t is not None:
                t.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(self.on_offer, webrtc, None))

    def on_offer(self, promise, webrtc, _data) -> None:
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        if offer is None:
            emit(event="error", what="create-offer", reply=reply.to_string())
            GLib.idle_add(self.loop.quit)
            return
        webrtc.emit("set-local-description", offer, Gst.Promise.new())
        text = offer.sdp.as_text()
        for line in text.splitlines():
            if line.startswith("a=ice-ufrag:") and self.ufrag is None:
                self.ufrag = line.split(":", 1)[1]
            elif line.startswith("a=ice-pwd:") and self.pwd is None:
                self.pwd = line.split(":", 1)[1]
            elif line.startswith("a=mid:"):
                self.mids.append(line.split(":", 1)[1])
        # Post at once, from another thread: the offer has no candidate, they trickle.
        threading.Thread(target=self.post, args=(text,), daemon=True).start()

    def post(self, offer: str) -> None:
        t0 = time.monotonic()
        status, h, body = self.request("POST", self.url, offer.encode(), {"Content-Type": "application/sdp"})
        hdrs = h["_all"]
        location = hdrs.get("Location")
        emit(event="post", status=status, location=location and urllib.parse.urljoin(self.url, location),
             etag=hdrs.get("ETag"), links=hdrs.get_all("Link") or [], content_type=hdrs.get("Content-Type"),
             offer_candidates=offer.count("a=candidate"), seconds=time.monotonic() - t0,
             body=body.decode(errors="replace") if status != 201 else None)
        if status != 201:
            GLib.idle_add(self.loop.quit)
            return
        answer = GstSdp.SDPMessage.new_from_text(body.decode())[1]
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, answer)
        self.webrtc.emit("set-remote-description", desc, Gst.Promise.new())
        with self.lock:
            self.location, self.etag = urllib.parse.urljoin(self.url, location), hdrs.get("ETag")
        self.flush()

    def on_ice_candidate(self, _webrtc, mline: int, candidate: str) -> None:
        with self.lock:
            self.pending.append((mline, candidate))
        threading.Thread(target=self.flush, daemon=True).start()

    def on_gathering(self, webrtc, _p) -> None:
        if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            with self.lock:
                self.gathered = True
            threading.Thread(target=self.flush, daemon=True).start()

    def flush(self) -> None:
        """PATCHes what was gathered since the last PATCH (once the session exists)."""
        with self.lock:
            if not self.trickle or self.location is None or (not self.pending and not self.gathered):
                return
            batch, self.pending = self.pending, []
            done, self.gathered = self.gathered, False
            if done:
                self.trickle = False        # end-of-candidates sent: nothing more to trickle
            location, etag = self.location, self.etag
            by_mid: dict[str, list[str]] = {}
            for mline, cand in batch:
                mid = self.mids[mline] if mline < len(self.mids) else str(mline)
                by_mid.setdefault(mid, []).append(cand)
            frag = f"a=ice-ufrag:{self.ufrag}\r\na=ice-pwd:{self.pwd}\r\n"
            for mid in (by_mid or {self.mids[0]: []}):
                frag += f"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:{mid}\r\n"
                for c in by_mid.get(mid, []):
                    frag += f"a={c}\r\n"
                if done:
                    frag += "a=end-of-candidates\r\n"
            status, _h, body = self.request("PATCH", location, frag.encode(),
                                            {"Content-Type": "application/trickle-ice-sdpfrag", "If-Match": etag})
        emit(event="patch", status=status, candidates=len(batch), end=done,
             body=body.decode(errors="replace") if status >= 300 else None)

    # ---------------------------------------------------------------- life

    def run(self) -> None:
        self.pipe.set_state(Gst.State.PLAYING)
        threading.Thread(target=self.wait_stdin, daemon=True).start()
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)

    def wait_stdin(self) -> None:
        sys.stdin.read()
        with self.lock:
            location = self.location
        if location:
            status, _h, _b = self.request("DELETE", location, None, {})
            emit(event="delete", status=status)
        GLib.idle_add(self.loop.quit)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--token")
    ap.add_argument("--no-trickle", action="store_true")
    args = ap.parse_args()
    Gst.init(None)
    WhipPublisher(args.url, args.token, not args.no_trickle).run()
    emit(event="exit")


if __name__ == "__main__":
    main()
