"""Links that lose, delay, reorder and throttle (issue 10 part 4), measured
with Chromium's own getStats() on both ends (publisher and viewer are
headless Chromium pages with the fake camera and microphone).

- viewer behind 5 % loss (server -> viewer RTP) + 80 +- 20 ms delay with
  reordering, both directions (lossy_relay.py, seeded): video keeps
  decoding, the viewer NACKs and the server answers from its packet cache
  (RTX); audio concealment stays near the audio loss.
- publisher behind 3 % loss (publisher -> server RTP) + the same delay and
  reordering: the server NACKs the publisher, which retransmits; the
  viewer keeps decoding.
- a viewer behind a throttled link: its relay reaches the server over a
  veth pair into a second namespace (veth_link.py) whose server-side egress
  is shaped by `tc qdisc ... tbf`; a second viewer of the same stream on a
  clean link is not affected.

Issue 10's targets (freezes under 2 % of the time, concealment under 5 %)
are printed as met / NOT met per run; the asserted bounds are looser (see
the note above the tests and bench/RESULTS.md).
Each test prints one line of figures (recorded in bench/RESULTS.md).
Runs in a network namespace with only `lo` (scripts/test.sh).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

import pytest

from cdp import Chromium
from e2elib import Api, SfuServer, fetch_token
from lossy_relay import LossyRelay
from test_media_loss import metrics
from veth_link import VethLink

SEED = int(os.environ.get("SFU_LOSS_SEED", "20240607"))
WARMUP = 4.0          # s after the first decoded frame: jitter buffers settle, bitrate ramps
SECONDS = 20.0        # measured window
DELAY, JITTER, REORDER = 0.080, 0.020, 0.01
# Diagnosis only: a viewer-side RTCRtpReceiver.jitterBufferTarget in ms (0: Chromium's default),
# to tell a too-short playout delay from a recovery failure (bench/RESULTS.md).
JITTER_TARGET_MS = int(os.environ.get("SFU_LINKS_JITTER_TARGET_MS", "0"))


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


PUBLISH_OFFER = """(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 480}});
    window.pc = new RTCPeerConnection({iceServers: []});
    for (const t of stream.getAudioTracks().concat(stream.getVideoTracks())) pc.addTransceiver(t, {direction: 'sendonly', streams: [stream]});
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise(done => {
        if (pc.iceGatheringState === 'complete') return done();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
        setTimeout(done, 3000);
    });
    return pc.localDescription.sdp;
})()"""

VIEW_OFFER = """(async () => {
    window.pc = new RTCPeerConnection({iceServers: []});
    pc.addTransceiver('audio', {direction: 'recvonly'});
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.ontrack = e => {
        if (%(jitter_target)d) e.receiver.jitterBufferTarget = %(jitter_target)d;
        // Both tracks are played: audio is pulled from the jitter buffer only while it plays.
        const el = document.createElement(e.track.kind);
        el.autoplay = true; el.srcObject = new MediaStream([e.track]);
        document.body.appendChild(el);
        el.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise(done => {
        if (pc.iceGatheringState === 'complete') return done();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
        setTimeout(done, 3000);
    });
    return pc.localDescription.sdp;
})()"""

STATS = """(async () => {
    const out = {connection: pc.connectionState, t: performance.now()};
    (await pc.getStats()).forEach(r => {
        if (r.type === 'inbound-rtp' || r.type === 'outbound-rtp') out[r.type + ':' + r.kind] = JSON.parse(JSON.stringify(r));
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') out.rtt = r.currentRoundTripTime;
    });
    return out;
})()"""


class BrowserPeer:
    """A raw RTCPeerConnection in a Chromium page, negotiated through the REST API."""

    def __init__(self, browser: Chromium, name: str):
        self.browser = browser
        path = Path(tempfile.mkdtemp(prefix="sfu-links-")) / f"{name}.html"
        path.write_text(f'<!doctype html><meta charset="utf-8"><title>{name}</title>')
        self.page = browser.open(path.as_uri())

    def _negotiate(self, script: str, op: str, api: Api, body: dict, mangle_answer=None) -> dict:
        offer = self.page.eval(script, timeout=20)
        r = api.post(op, dict(body, sdpOffer=offer))
        assert r.status_code == 200, f"{op}: {r.status_code} {r.text}"
        res = r.json()
        answer = mangle_answer(res["sdpAnswer"]) if mangle_answer else res["sdpAnswer"]
        self.page.eval(f"pc.setRemoteDescription({{type: 'answer', sdp: {json.dumps(answer)}}})")
        return res

    def publish(self, api: Api, cid: str, endpoint: str, mangle_answer=None) -> str:
        res = self._negotiate(PUBLISH_OFFER, "publishStream", api, {"conferenceId": cid, "userEndpointId": endpoint,
                                                                    "conferenceStreamType": "MIC_AND_CAM"}, mangle_answer)
        return res["streamId"]["id"]

    def view(self, api: Api, cid: str, endpoint: str, stream_id: str, mangle_answer=None) -> None:
        self._negotiate(VIEW_OFFER % {"jitter_target": JITTER_TARGET_MS}, "viewStream", api, {"conferenceId": cid, "userEndpointId": endpoint,
                                                        "streamId": {"id": stream_id}}, mangle_answer)

    def stats(self) -> dict:
        return self.page.eval(STATS, timeout=10)

    def wait_decoding(self, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s.get("inbound-rtp:video", {}).get("framesDecoded", 0) > 0 and s.get("inbound-rtp:audio", {}).get("totalSamplesReceived", 0) > 0:
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing decoded within {timeout} s: {s}\n{self.browser.console_text()}")
            time.sleep(0.2)

    def close(self) -> None:
        try:
            self.page.eval("pc.close(), true")
        except Exception:
            pass


def measure(viewer: BrowserPeer, publisher: BrowserPeer, other: BrowserPeer | None = None):
    """Viewer (and publisher) figures over SECONDS after WARMUP, from getStats deltas;
    with `other`, that viewer's figures over the same window too."""
    viewer.wait_decoding()
    time.sleep(WARMUP)
    v0, p0, o0 = viewer.stats(), publisher.stats(), other.stats() if other else None
    time.sleep(SECONDS)
    v1, p1, o1 = viewer.stats(), publisher.stats(), other.stats() if other else None
    m = figures(v0, v1, p0, p1)
    return (m, figures(o0, o1, p0, p1)) if other else m


def figures(v0: dict, v1: dict, p0: dict, p1: dict) -> dict:
    elapsed = (v1["t"] - v0["t"]) / 1000

    def d(a, b, kind, key):
        return (b.get(kind, {}).get(key) or 0) - (a.get(kind, {}).get(key) or 0)
    vid, aud = "inbound-rtp:video", "inbound-rtp:audio"
    samples = d(v0, v1, aud, "totalSamplesReceived")
    return {
        "connection": v1["connection"], "publisher_connection": p1["connection"], "elapsed": elapsed,
        "fps": d(v0, v1, vid, "framesDecoded") / elapsed,
        "freezes": d(v0, v1, vid, "freezeCount"),
        "freeze_fraction": d(v0, v1, vid, "totalFreezesDuration") / elapsed,
        "concealment": d(v0, v1, aud, "concealedSamples") / samples if samples else float("nan"),
        "audio_samples": samples,
        "video_kbps": d(v0, v1, vid, "bytesReceived") * 8 / elapsed / 1000,
        "packets": d(v0, v1, vid, "packetsReceived"), "lost": d(v0, v1, vid, "packetsLost"),
        "nacks": d(v0, v1, vid, "nackCount"), "retransmitted": d(v0, v1, vid, "retransmittedPacketsReceived"),
        "plis": d(v0, v1, vid, "pliCount"), "keyframes": d(v0, v1, vid, "keyFramesDecoded"),
        "audio_lost": d(v0, v1, aud, "packetsLost"), "audio_packets": d(v0, v1, aud, "packetsReceived"),
        "jitter_buffer_ms": 1000 * d(v0, v1, vid, "jitterBufferDelay") / max(1, d(v0, v1, vid, "jitterBufferEmittedCount")),
        "pub_nacks": d(p0, p1, "outbound-rtp:video", "nackCount"),
        "pub_retransmitted": d(p0, p1, "outbound-rtp:video", "retransmittedPacketsSent"),
        "pub_kbps": d(p0, p1, "outbound-rtp:video", "bytesSent") * 8 / elapsed / 1000,
        "frame_height": v1.get(vid, {}).get("frameHeight"),
        "rtt_ms": 1000 * (v1.get("rtt") or 0),
    }


def report(label: str, m: dict, relay: LossyRelay | None, server: dict) -> str:
    snap = relay.snapshot() if relay else None
    drops = f", relay dropped {snap['datagrams'].get(relay.direction, {}).get('rtp_dropped', 0)} RTP, reordered {snap['reordered']}" if snap else ""
    return (f"\n[{label}, seed {SEED}] {m['fps']:.1f} fps decoded over {m['elapsed']:.1f} s, "
            f"freezes {m['freezes']} ({100 * m['freeze_fraction']:.2f} % of the time), "
            f"audio concealed {100 * m['concealment']:.2f} % ({m['audio_lost']} of {m['audio_packets'] + m['audio_lost']} audio packets lost), "
            f"video {m['video_kbps']:.0f} kbit/s {m['frame_height']}p, jitter buffer {m['jitter_buffer_ms']:.0f} ms, rtt {m['rtt_ms']:.0f} ms; "
            f"viewer: nacks {m['nacks']}, retransmitted {m['retransmitted']}, lost {m['lost']} of {m['packets'] + m['lost']}, "
            f"plis {m['plis']}, keyframes {m['keyframes']}; publisher: nacks {m['pub_nacks']}, retransmitted {m['pub_retransmitted']}, "
            f"{m['pub_kbps']:.0f} kbit/s; server: nack resent {server.get('sfu_media_nack_resent_total', 0):.0f}, "
            f"missed {server.get('sfu_media_nack_missed_total', 0):.0f}, sent to publisher {server.get('sfu_media_nack_sent_total', 0):.0f}, "
            f"recovered {server.get('sfu_media_nack_recovered_total', 0):.0f}{drops}")


def run_case(browser: Chromium, name: str, relay_side: str, loss: float):
    """Publisher and viewer in Chromium; the one on `relay_side` talks to the server
    through a LossyRelay with `loss` on its RTP and DELAY +- JITTER, REORDER both ways."""
    server = SfuServer(name).start()
    api = Api(server.base, fetch_token(server.base))
    cid = api.new_conference()
    api.join(cid, "publisher")
    api.join(cid, "viewer")
    publisher, viewer = BrowserPeer(browser, "publisher"), BrowserPeer(browser, "viewer")
    relays: list[LossyRelay] = []

    def through_relay(answer: str) -> str:
        relays.append(LossyRelay(LossyRelay.server_address(answer), loss=loss, direction="down" if relay_side == "viewer" else "up",
                                 seed=SEED, delay=DELAY, jitter=JITTER, reorder=REORDER))
        return relays[0].rewrite_sdp(answer)

    try:
        sid = publisher.publish(api, cid, "publisher", through_relay if relay_side == "publisher" else None)
        viewer.view(api, cid, "viewer", sid, through_relay if relay_side == "viewer" else None)
        m = measure(viewer, publisher)
        time.sleep(2.5)   # /metrics media counters refresh every 2 s
        return m, relays[0], metrics(server)
    finally:
        viewer.close()
        publisher.close()
        for r in relays:
            r.stop()
        server.kill()


def target(m: dict) -> str:
    """Whether issue 10's targets hold in this run (freezes < 2 % of the time, concealment < 5 %)."""
    return (f"\n  issue targets: freezes < 2 %: {'met' if m['freeze_fraction'] < 0.02 else 'NOT met'}; "
            f"audio concealment < 5 %: {'met' if m['concealment'] < 0.05 else 'NOT met'}")


# The bounds asserted below are what this server holds today with a margin
# for a loaded machine; issue 10's tighter targets are printed per run and
# discussed in bench/RESULTS.md (a receive-only Chromium plays video ~100 ms
# behind, less than one NACK round trip over this link, and audio is not
# retransmitted: Chromium does not NACK Opus and the server does not
# negotiate RED). Without NACK/RTX the viewer would stall on every lost
# packet until a keyframe.

def test_viewer_behind_lossy_delayed_reordering_link(browser):
    m, relay, srv = run_case(browser, "links-viewer", "viewer", 0.05)
    text = report("viewer: 5 % loss, 80 +- 20 ms, 1 % reordered", m, relay, srv) + target(m)
    print(text)
    dropped = relay.snapshot()["datagrams"]["down"].get("rtp_dropped", 0)
    assert m["connection"] == "connected", text
    assert dropped >= 50, f"the relay dropped too little to judge{text}"
    assert m["fps"] >= 10, text
    assert m["freeze_fraction"] < 0.25, text
    assert m["concealment"] < 0.08, text
    # Recovery: the viewer NACKs and the server answers from its cache (RTX).
    assert m["nacks"] > 0 and m["retransmitted"] >= 0.5 * dropped, text
    assert srv.get("sfu_media_nack_resent_total", 0) >= 0.5 * dropped and srv.get("sfu_media_nack_missed_total", 0) <= 0.1 * dropped, text


def test_publisher_behind_lossy_delayed_reordering_link(browser):
    m, relay, srv = run_case(browser, "links-publisher", "publisher", 0.03)
    text = report("publisher: 3 % loss, 80 +- 20 ms, 1 % reordered", m, relay, srv) + target(m)
    print(text)
    dropped = relay.snapshot()["datagrams"]["up"].get("rtp_dropped", 0)
    assert m["connection"] == "connected" and m["publisher_connection"] == "connected", text
    assert dropped >= 30, f"the relay dropped too little to judge{text}"
    assert m["fps"] >= 10, text
    assert m["freeze_fraction"] < 0.35, text
    assert m["concealment"] < 0.05, text
    # Recovery: the server NACKs the publisher, which retransmits.
    assert srv.get("sfu_media_nack_sent_total", 0) > 0 and m["pub_retransmitted"] > 0, text
    assert srv.get("sfu_media_nack_recovered_total", 0) >= 0.5 * dropped, text


def test_throttled_viewer_does_not_hurt_a_clean_one(browser):
    """Viewer A reaches the server through a veth link shaped to 300 kbit/s
    (tbf on the server side's egress), below the publisher's ~470 kbit/s;
    viewer B of the same stream has a clean link. The server does not yet
    adapt to a viewer's bandwidth (viewer REMB/TWCC are terminated,
    docs/RTCP.md; no simulcast layer to fall back to), so A's figures are
    recorded, not judged; B must keep decoding as if A were not there."""
    with VethLink() as link:
        link.shape("near", rate="300kbit", burst="16kb", latency="300ms")
        server = SfuServer("links-tbf").start()
        api = Api(server.base, fetch_token(server.base))
        cid = api.new_conference()
        for ep in ("publisher", "a", "b"):
            api.join(cid, ep)
        publisher, a, b = BrowserPeer(browser, "publisher"), BrowserPeer(browser, "a"), BrowserPeer(browser, "b")
        relays: list[LossyRelay] = []

        def through_link(answer: str) -> str:
            addr = LossyRelay.server_address(answer)
            relays.append(LossyRelay(addr, loss=0.0, direction="down", seed=SEED, via=(link.near_ip, addr[1]),
                                     back_socket=link.far_socket))
            return relays[0].rewrite_sdp(answer)

        try:
            sid = publisher.publish(api, cid, "publisher")
            a.view(api, cid, "a", sid, through_link)
            b.view(api, cid, "b", sid)
            a.wait_decoding()
            mb, ma = measure(b, publisher, other=a)
            time.sleep(2.5)
            srv = metrics(server)
            qdisc = link.qdisc_stats("near")
        finally:
            for p in (a, b, publisher):
                p.close()
            for r in relays:
                r.stop()
            server.kill()
    dropped = int(re.search(r"dropped (\d+)", qdisc).group(1))
    text = (report("viewer A behind tbf 300 kbit/s", ma, None, srv) + report("viewer B, clean link, same stream", mb, None, srv)
            + f"\ntbf: {qdisc}")
    print(text)
    assert ma["connection"] == "connected", text
    assert dropped > 0 and ma["video_kbps"] < 300, f"the link did not throttle{text}"
    assert mb["connection"] == "connected", text
    assert mb["fps"] >= 15, text
    assert mb["freeze_fraction"] < 0.02, text
    assert mb["concealment"] < 0.02, text
