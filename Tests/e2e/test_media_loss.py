"""Media under packet loss, through a seeded lossy UDP relay (lossy_relay.py;
this kernel has no netem).

A: an aiortc publisher (video + audio) -> server -> relay dropping 5 % of the
   server's RTP toward a headless Chromium viewer. The viewer NACKs what it
   misses; the server answers from its packet cache (plain retransmission,
   docs/RTCP.md). Checked: the viewer keeps decoding, `sfu_media_nack_resent_total`
   grew by at least half the video packets the relay dropped, and the
   viewer's packetsLost (after retransmission) stays well below them.
B: the relay sits between the publisher and the server and drops 5 % of the
   publisher's RTP. The server does not NACK publishers yet, so the Chromium
   viewer recovers by keyframes (its PLIs become PLIs to the publisher):
   decoding must go on.

Each test starts its own server so its /metrics counters start at zero.
Runs in a network namespace with only `lo` (scripts/test.sh).
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
import requests

from aiortc_peer import PatternVideoTrack, Peer, ToneAudioTrack, allow_loopback
from cdp import Chromium
from e2elib import Api, SfuServer, fetch_token
from lossy_relay import LossyRelay

LOSS = 0.05
SEED = int(os.environ.get("SFU_LOSS_SEED", "20240607"))   # the same drops on every run
SECONDS = 10.0
METRICS_REFRESH = 2.0     # /metrics media counters are refreshed this often


@pytest.fixture(scope="module", autouse=True)
def _loopback_candidates():
    allow_loopback()


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


# ------------------------------------------------------------------ helpers

def metrics(server: SfuServer) -> dict[str, float]:
    """The sfu_media_* counters of /metrics, summed over workers."""
    text = requests.get(server.base + "/metrics", timeout=5).text
    out: dict[str, float] = {}
    for m in re.finditer(r"^(sfu_media_\w+)(?:\{[^}]*\})? (\S+)$", text, re.M):
        out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(2))
    return out


def payload_kinds(sdp: str) -> dict[int, str]:
    """payload type -> audio / video, from the m= lines of an SDP."""
    kinds = {}
    for m in re.finditer(r"^m=(audio|video) \d+ \S+ ([\d ]+)\r?$", sdp, re.M):
        for pt in m.group(2).split():
            kinds[int(pt)] = m.group(1)
    return kinds


def by_kind(snapshot: dict, kinds: dict[int, str]) -> dict[str, dict]:
    """The relay's per-SSRC counters summed per media kind."""
    out: dict[str, dict] = {}
    for c in snapshot["ssrcs"].values():
        kind = next((kinds[pt] for pt in c["payload_types"] if pt in kinds), "other")
        acc = out.setdefault(kind, {})
        for k, v in c.items():
            if k != "payload_types":
                acc[k] = acc.get(k, 0) + v
    return out


VIEWER_PAGE = """(async () => {
    window.pc = new RTCPeerConnection({iceServers: []});
    pc.addTransceiver('audio', {direction: 'recvonly'});
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.ontrack = e => {
        if (e.track.kind !== 'video') return;
        const v = document.createElement('video');
        v.muted = true; v.autoplay = true; v.srcObject = new MediaStream([e.track]);
        document.body.appendChild(v);
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise(done => {
        if (pc.iceGatheringState === 'complete') return done();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
        setTimeout(done, 3000);
    });
    return pc.localDescription.sdp;
})()"""

VIEWER_STATS = """(async () => {
    const out = {connection: pc.connectionState};
    (await pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp') out[r.kind] = JSON.parse(JSON.stringify(r)); });
    return out;
})()"""


class ChromiumViewer:
    """A raw RTCPeerConnection in a Chromium page viewing through the REST API;
    `mangle_answer` may rewrite the server's answer (to point it at a relay)."""

    def __init__(self, browser: Chromium):
        self.browser = browser
        page_path = Path(tempfile.mkdtemp(prefix="sfu-loss-")) / "viewer.html"
        page_path.write_text('<!doctype html><meta charset="utf-8"><title>viewer</title>')
        self.page = browser.open(page_path.as_uri())

    def view(self, api: Api, cid: str, endpoint: str, stream_id: str, mangle_answer=None) -> str:
        offer = self.page.eval(VIEWER_PAGE, timeout=15)
        r = api.post("viewStream", {"conferenceId": cid, "userEndpointId": endpoint,
                                    "streamId": {"id": stream_id}, "sdpOffer": offer})
        assert r.status_code == 200, f"viewStream: {r.status_code} {r.text}"
        answer = r.json()["sdpAnswer"]
        if mangle_answer:
            answer = mangle_answer(answer)
        self.page.eval(f"pc.setRemoteDescription({{type: 'answer', sdp: {json.dumps(answer)}}})")
        return answer

    def stats(self) -> dict:
        return self.page.eval(VIEWER_STATS, timeout=10)

    def wait_decoding(self, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s.get("video", {}).get("framesDecoded", 0) > 0:
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"no video frame decoded within {timeout} s: {s}\n{self.browser.console_text()}")
            time.sleep(0.2)

    def close(self) -> None:
        try:
            self.page.eval("pc.close(), true")
        except Exception:
            pass


def video_summary(v: dict) -> str:
    keys = ("packetsReceived", "packetsLost", "retransmittedPacketsReceived", "nackCount", "pliCount", "framesDecoded", "keyFramesDecoded",
            "framesDropped", "freezeCount", "totalFreezesDuration", "jitterBufferDelay", "jitterBufferEmittedCount")
    return ", ".join(f"{k} {v.get(k)}" for k in keys if k in v)


def setup(server: SfuServer):
    api = Api(server.base, fetch_token(server.base))
    cid = api.new_conference()
    api.join(cid, "publisher")
    api.join(cid, "viewer")
    return api, cid


async def publish(api: Api, cid: str, mangle_answer=None) -> tuple[Peer, PatternVideoTrack]:
    video = PatternVideoTrack()
    pub = Peer(api, cid, "publisher")
    await pub.publish(video=video, audio=ToneAudioTrack(), mangle_answer=mangle_answer)
    await pub.wait_connected()
    return pub, video


# ------------------------------------------------------------------ tests

def test_viewer_loss_recovered_by_nack(browser):
    server = SfuServer("loss-viewer").start()
    api, cid = setup(server)
    viewer = ChromiumViewer(browser)
    relays: list[LossyRelay] = []

    def through_relay(answer: str) -> str:
        relays.append(LossyRelay(LossyRelay.server_address(answer), loss=LOSS, direction="down", seed=SEED))
        return relays[0].rewrite_sdp(answer)

    async def run():
        pub, video = await publish(api, cid)
        try:
            answer = await asyncio.to_thread(viewer.view, api.clone(), cid, "viewer", pub.stream_id, through_relay)
            first = await asyncio.to_thread(viewer.wait_decoding)
            t0 = time.monotonic()
            await asyncio.sleep(SECONDS)
            last = await asyncio.to_thread(viewer.stats)
            elapsed = time.monotonic() - t0
            # Stop dropping, let the last NACKs be answered and /metrics catch up.
            relays[0].stop_dropping()
            await asyncio.sleep(1.0)
            final = await asyncio.to_thread(viewer.stats)
            await asyncio.sleep(METRICS_REFRESH + 0.5)
            return answer, first, last, final, elapsed, video.sent
        finally:
            await pub.close()

    try:
        answer, first, last, final, elapsed, sent = asyncio.run(run())
        m = metrics(server)
        snap = relays[0].snapshot()
    finally:
        viewer.close()
        for r in relays:
            r.stop()
        server.kill()

    kinds = by_kind(snap, payload_kinds(answer))
    v, a = kinds.get("video", {}), kinds.get("audio", {})
    fv = final["video"]
    fps = (last["video"]["framesDecoded"] - first["video"]["framesDecoded"]) / elapsed
    dropped = v.get("dropped", 0)
    resent, missed = m.get("sfu_media_nack_resent_total", 0), m.get("sfu_media_nack_missed_total", 0)
    ratio = resent / dropped if dropped else float("nan")
    report = (f"\nrelay datagrams {snap['datagrams']}\nrelay video {v}\nrelay audio {a}\n"
              f"server {m}\nviewer video: {video_summary(fv)}\nviewer audio: {final.get('audio', {}).get('packetsLost')} lost")
    print(f"\n[viewer loss {LOSS:.0%}, seed {SEED}] video: {v.get('packets')} packets, {dropped} dropped by the relay "
          f"(+{v.get('repeats_dropped')} retransmissions dropped), {v.get('repeats')} retransmissions seen, "
          f"{v.get('recovered')} dropped packets recovered, {v.get('unrecovered')} never; "
          f"server: NACKed seqs {resent + missed:.0f} = resent {resent:.0f} + missed {missed:.0f} "
          f"(resent/dropped {ratio:.2f}); viewer: nackCount {fv.get('nackCount')}, packetsLost {fv.get('packetsLost')}, "
          f"{fps:.1f} fps decoded over {elapsed:.1f} s ({sent} frames sent), freezes {fv.get('freezeCount')}; "
          f"audio {a.get('packets')} packets, {a.get('dropped')} dropped, viewer packetsLost {final.get('audio', {}).get('packetsLost')}")

    assert final["connection"] == "connected", report
    assert dropped >= 10, f"the relay dropped too little to judge: {dropped}{report}"
    assert fps >= 5, f"{fps:.1f} fps decoded{report}"
    assert fv.get("nackCount", 0) > 0, f"the viewer sent no NACK{report}"
    assert resent >= 0.5 * dropped, f"resent {resent:.0f} for {dropped} video packets dropped{report}"
    # Retransmissions arrive either on the media SSRC (plain) or, when the viewer
    # negotiated RTX, on the RTX stream (RFC 4588) — which the relay cannot match
    # to the dropped packets; Chrome counts those in retransmittedPacketsReceived.
    recovered = max(v.get("recovered", 0), fv.get("retransmittedPacketsReceived", 0))
    assert recovered >= 0.5 * dropped, f"{recovered} of {dropped} dropped packets retransmitted{report}"
    if v.get("recovered", 0) >= 0.5 * dropped:
        assert fv["packetsLost"] <= 0.25 * dropped, f"viewer packetsLost {fv['packetsLost']} for {dropped} dropped{report}"


def test_publisher_loss_decoding_continues(browser):
    server = SfuServer("loss-publisher").start()
    api, cid = setup(server)
    viewer = ChromiumViewer(browser)
    relays: list[LossyRelay] = []

    def through_relay(answer: str) -> str:
        relays.append(LossyRelay(LossyRelay.server_address(answer), loss=LOSS, direction="up", seed=SEED))
        return relays[0].rewrite_sdp(answer)

    async def run():
        pub, video = await publish(api, cid, mangle_answer=through_relay)
        try:
            await asyncio.to_thread(viewer.view, api.clone(), cid, "viewer", pub.stream_id)
            first = await asyncio.to_thread(viewer.wait_decoding)
            t0 = time.monotonic()
            await asyncio.sleep(SECONDS)
            last = await asyncio.to_thread(viewer.stats)
            elapsed = time.monotonic() - t0
            await asyncio.sleep(METRICS_REFRESH + 0.5)
            return pub.answer_sdp, first, last, elapsed, video.sent
        finally:
            await pub.close()

    try:
        answer, first, last, elapsed, sent = asyncio.run(run())
        m = metrics(server)
        snap = relays[0].snapshot()
    finally:
        viewer.close()
        for r in relays:
            r.stop()
        server.kill()

    kinds = by_kind(snap, payload_kinds(answer))
    v, a = kinds.get("video", {}), kinds.get("audio", {})
    lv = last["video"]
    fps = (lv["framesDecoded"] - first["video"]["framesDecoded"]) / elapsed
    report = (f"\nrelay datagrams {snap['datagrams']}\nrelay video {v}\nrelay audio {a}\n"
              f"server {m}\nviewer video: {video_summary(lv)}")
    print(f"\n[publisher loss {LOSS:.0%}, seed {SEED}] publisher video: {v.get('packets')} packets, "
          f"{v.get('dropped')} dropped; audio {a.get('packets')} packets, {a.get('dropped')} dropped; "
          f"server: nack resent {m.get('sfu_media_nack_resent_total', 0):.0f}, missed {m.get('sfu_media_nack_missed_total', 0):.0f}; "
          f"viewer: {fps:.1f} fps decoded over {elapsed:.1f} s ({sent} frames sent), "
          f"freezes {lv.get('freezeCount')} ({lv.get('totalFreezesDuration')} s), pliCount {lv.get('pliCount')}, "
          f"keyFramesDecoded {lv.get('keyFramesDecoded')}, nackCount {lv.get('nackCount')}, packetsLost {lv.get('packetsLost')}")

    assert last["connection"] == "connected", report
    assert v.get("dropped", 0) >= 10, f"the relay dropped too little to judge{report}"
    assert fps >= 5, f"{fps:.1f} fps decoded{report}"
