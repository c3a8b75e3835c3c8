"""A small WHIP (RFC 9725) / WHEP (draft-ietf-wish-whep) client for the suite,
on aiortc: POST the offer, PATCH the candidates (trickle), DELETE the session.

`WhipSession.publish(pc)` / `.play(pc)` negotiate one RTCPeerConnection. With
`trickle=True` the candidates aiortc gathered are taken out of the offer and
sent with a PATCH after the 201 (`application/trickle-ice-sdpfrag`, If-Match:
the ETag), as a trickling encoder would; `post_to_first_frame` style timings
are recorded in `times` (monotonic seconds).
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import requests
from aiortc import RTCSessionDescription

FRAG = "application/trickle-ice-sdpfrag"


def sdp_lines(sdp: str) -> list[str]:
    return [l for l in sdp.replace("\r\n", "\n").split("\n") if l]


def candidates_by_mid(sdp: str) -> tuple[str | None, str | None, dict[str, list[str]]]:
    """The offer's ufrag, pwd and `a=candidate` lines per mid."""
    ufrag = pwd = mid = None
    out: dict[str, list[str]] = {}
    for l in sdp_lines(sdp):
        if l.startswith("a=ice-ufrag:") and ufrag is None:
            ufrag = l.split(":", 1)[1]
        elif l.startswith("a=ice-pwd:") and pwd is None:
            pwd = l.split(":", 1)[1]
        elif l.startswith("a=mid:"):
            mid = l.split(":", 1)[1]
            out.setdefault(mid, [])
        elif l.startswith("a=candidate:") and mid is not None:
            out[mid].append(l)
    return ufrag, pwd, out


def strip_candidates(sdp: str) -> str:
    return "\r\n".join(l for l in sdp_lines(sdp) if not l.startswith("a=candidate:") and l != "a=end-of-candidates") + "\r\n"


def fragment(ufrag: str, pwd: str, cands: dict[str, list[str]], end: bool = True) -> str:
    out = f"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n"
    for mid, lines in cands.items():
        out += f"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:{mid}\r\n"
        out += "".join(l + "\r\n" for l in lines)
        if end:
            out += "a=end-of-candidates\r\n"
    return out


class WhipSession:
    """One WHIP or WHEP session resource."""

    def __init__(self, url: str, token: str | None, trickle: bool = True):
        self.url, self.token, self.trickle = url, token, trickle
        self.s = requests.Session()
        self.location: str | None = None
        self.etag: str | None = None
        self.links: list[str] = []
        self.answer: str | None = None
        self.offer: str | None = None
        self.responses: list[tuple[str, int]] = []
        self.times: dict[str, float] = {}

    def headers(self, extra: dict | None = None) -> dict:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return dict(h, **(extra or {}))

    def post(self, offer: str) -> requests.Response:
        self.times["post"] = time.monotonic()
        r = self.s.post(self.url, data=offer.encode(), headers=self.headers({"Content-Type": "application/sdp"}), timeout=20)
        self.times["answer"] = time.monotonic()
        self.responses.append(("POST", r.status_code))
        if r.status_code == 201:
            self.location = urllib.parse.urljoin(self.url, r.headers["Location"])
            self.etag = r.headers.get("ETag")
            self.links = [v.strip() for v in r.headers.get("Link", "").split(",") if v.strip()]
            self.answer = r.text
        return r

    def patch(self, body: str, if_match: str | None = ..., content_type: str = FRAG) -> requests.Response:
        h = {"Content-Type": content_type}
        tag = self.etag if if_match is ... else if_match
        if tag is not None:
            h["If-Match"] = tag
        r = self.s.patch(self.location, data=body.encode(), headers=self.headers(h), timeout=20)
        self.responses.append(("PATCH", r.status_code))
        return r

    def delete(self) -> requests.Response:
        r = self.s.delete(self.location, headers=self.headers(), timeout=20)
        self.responses.append(("DELETE", r.status_code))
        return r

    async def _negotiate(self, pc) -> None:
        await pc.setLocalDescription(await pc.createOffer())     # aiortc gathers every candidate here
        self.offer = pc.localDescription.sdp
        ufrag, pwd, cands = candidates_by_mid(self.offer)
        sent = strip_candidates(self.offer) if self.trickle else self.offer
        r = await asyncio.to_thread(self.post, sent)
        assert r.status_code == 201, f"POST {self.url}: {r.status_code} {r.text}"
        assert r.headers.get("Content-Type", "").startswith("application/sdp"), r.headers
        await pc.setRemoteDescription(RTCSessionDescription(sdp=self.answer, type="answer"))
        if self.trickle:
            # BUNDLE: the first m-line's candidates are the transport's.
            first = next(iter(cands))
            p = await asyncio.to_thread(self.patch, fragment(ufrag, pwd, {first: cands[first]}))
            assert p.status_code == 204, f"PATCH: {p.status_code} {p.text}"

    async def publish(self, pc) -> None:
        await self._negotiate(pc)

    async def play(self, pc) -> None:
        await self._negotiate(pc)


class GstPublisher:
    """`gst_whip_client.py` (GStreamer webrtcbin) as a subprocess of the system
    Python, publishing to a WHIP URL until `stop()`; its JSON lines are collected
    in `events`."""

    SCRIPT = Path(__file__).resolve().parent / "gst_whip_client.py"

    def __init__(self, url: str, token: str | None, trickle: bool = True):
        args = ["/usr/bin/python3", str(self.SCRIPT), url] + (["--token", token] if token else []) + ([] if trickle else ["--no-trickle"])
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        env["PATH"] = "/usr/bin:/bin"
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env, text=True)
        self.events: list[dict] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                self.events.append(e)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.events)

    def wait_for(self, pred, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.snapshot():
                if pred(e):
                    return e
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"GStreamer WHIP client: no {what} within {timeout} s; events {self.snapshot()}\n{self.log()}")

    def log(self) -> str:
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace")
        return "\n".join(l for l in text.splitlines() if l.strip() and "CRITICAL" not in l)[-3000:]

    def stop(self, timeout: float = 20) -> list[dict]:
        """Closes its input: it DELETEs the session and exits."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        return self.snapshot()

    def __enter__(self) -> "GstPublisher":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
