"""Real media through the server: headless Chromium publishes its fake
camera and microphone with client.js, a second Chromium page views the
stream, and the viewer's getStats() shows decoded frames and audio packets
rising. Runs in a network namespace with only `lo` (scripts/test.sh)."""
from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from cdp import Chromium
from e2elib import SVC_ID, SVC_SECRET

MEDIA_SECONDS = float(__import__("os").environ.get("SFU_MEDIA_SECONDS", "10"))


def js(v) -> str:
    return json.dumps(v)


def page_with_client(server) -> str:
    d = tempfile.mkdtemp(prefix="sfu-media-")
    p = Path(d) / "page.html"
    # client.js as the server serves it (so the served asset is tested too).
    p.write_text(f'<!doctype html><meta charset="utf-8"><title>media</title><script src="{server.base}/client.js"></script>')
    return p.as_uri()


def client_expr(server) -> str:
    return (f"new SfuClient({{baseUrl: {js(server.base)}, getToken: () => SfuClient.fetchToken("
            f"{{baseUrl: {js(server.base)}, clientId: {js(SVC_ID)}, clientSecret: {js(SVC_SECRET)}}})}})")


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


def test_chromium_publishes_and_chromium_views(server, browser):
    cid = "media-" + uuid.uuid4().hex[:8]
    url = page_with_client(server)
    pub = browser.open(url)
    view = browser.open(url)
    stream_id = pub.eval(f"""(async () => {{
        window.client = {client_expr(server)};
        await client.create({{conferenceId: {js(cid)}}});
        await client.join({{conferenceId: {js(cid)}, userEndpointId: 'publisher'}});
        const stream = await navigator.mediaDevices.getUserMedia({{audio: true, video: true}});
        window.pub = await client.publish({{conferenceId: {js(cid)}, userEndpointId: 'publisher', stream, type: 'MIC_AND_CAM'}});
        return window.pub.streamId;
    }})()""", timeout=30)
    assert stream_id, browser.console_text()
    viewer_id = view.eval(f"""(async () => {{
        window.client = {client_expr(server)};
        await client.join({{conferenceId: {js(cid)}, userEndpointId: 'viewer'}});
        window.sub = await client.view({{conferenceId: {js(cid)}, userEndpointId: 'viewer', streamId: {js(stream_id)}}});
        return window.sub.viewerId;
    }})()""", timeout=30)
    assert viewer_id, browser.console_text()

    def stats():
        return view.eval("(async () => await window.sub.stats())()", timeout=10)

    deadline = time.monotonic() + 15
    first = stats()
    while first["video"]["framesDecoded"] == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        first = stats()
    assert first["video"]["framesDecoded"] > 0, f"no frame decoded within 15 s: {first}\n{browser.console_text()}\n{server.log_tail()}"
    time.sleep(MEDIA_SECONDS)
    later = stats()
    assert later["video"]["framesDecoded"] > first["video"]["framesDecoded"] + 5 * MEDIA_SECONDS, (first, later)
    assert later["audio"]["packetsReceived"] > first["audio"]["packetsReceived"] + 25 * MEDIA_SECONDS, (first, later)
    # The conference reports both endpoints healthy and the stream published.
    conf = pub.eval(f"(async () => await client.getConference({js(cid)}))()")
    states = {p["id"]: p["state"] for p in conf["participants"]}
    assert states == {"publisher": "HEALTHY", "viewer": "HEALTHY"}, conf
    pub.eval("(async () => { await window.sub?.stop?.(); await window.pub.stop(); return true; })()")
