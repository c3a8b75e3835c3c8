"""Real media through the server between two different browsers: headless
Firefox ESR (WebDriver BiDi, bidi.py) publishes and headless Chromium (CDP)
views, and the other way round. Both load client.js from the server; the
viewer's getStats() must show decoded frames and audio packets rising for
SFU_MEDIA_SECONDS (default 10). Runs in a network namespace with only `lo`
(scripts/test.sh). A failure report carries both SDPs, the ICE/DTLS states
and both consoles (and, through conftest, the server log)."""
from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from bidi import Firefox
from cdp import Chromium
from e2elib import SVC_ID, SVC_SECRET

MEDIA_SECONDS = float(os.environ.get("SFU_MEDIA_SECONDS", "10"))


def js(v) -> str:
    return json.dumps(v)


def page_with_client(server) -> str:
    d = tempfile.mkdtemp(prefix="sfu-media-ff-")
    p = Path(d) / "page.html"
    p.write_text(f'<!doctype html><meta charset="utf-8"><title>media</title><script src="{server.base}/client.js"></script>')
    return p.as_uri()


def client_expr(server) -> str:
    return (f"new SfuClient({{baseUrl: {js(server.base)}, getToken: () => SfuClient.fetchToken("
            f"{{baseUrl: {js(server.base)}, clientId: {js(SVC_ID)}, clientSecret: {js(SVC_SECRET)}}})}})")


def publish_js(server, cid: str, create: bool) -> str:
    return f"""(async () => {{
        window.client = {client_expr(server)};
        {f"await client.create({{conferenceId: {js(cid)}}});" if create else ""}
        await client.join({{conferenceId: {js(cid)}, userEndpointId: 'publisher'}});
        const stream = await navigator.mediaDevices.getUserMedia({{audio: true, video: true}});
        window.pub = await client.publish({{conferenceId: {js(cid)}, userEndpointId: 'publisher', stream, type: 'MIC_AND_CAM'}});
        return window.pub.streamId;
    }})()"""


def view_js(server, cid: str, stream_id: str) -> str:
    return f"""(async () => {{
        window.client = {client_expr(server)};
        await client.join({{conferenceId: {js(cid)}, userEndpointId: 'viewer'}});
        window.sub = await client.view({{conferenceId: {js(cid)}, userEndpointId: 'viewer', streamId: {js(stream_id)}}});
        return window.sub.viewerId;
    }})()"""


# What a failure report needs to tell a server bug from a test bug.
DIAG_JS = """(async () => {
    const d = {};
    for (const name of ['pub', 'sub']) {
        const x = window[name];
        if (!x || !x.pc) continue;
        d[name] = {states: x.states(), local: x.pc.localDescription && x.pc.localDescription.sdp,
                   remote: x.pc.remoteDescription && x.pc.remoteDescription.sdp};
        try { d[name].stats = await x.stats(); } catch (e) { d[name].stats = String(e); }
    }
    return d;
})()"""


def diagnostics(*pages) -> str:
    out = []
    for label, page in pages:
        try:
            out.append(f"--- {label}: {json.dumps(page.eval(DIAG_JS), indent=1)}")
        except Exception as e:  # noqa: BLE001 - a report must not mask the failure
            out.append(f"--- {label}: diagnostics failed: {e}")
    return "\n".join(out)


@pytest.fixture(scope="module")
def chromium():
    with Chromium() as b:
        yield b


@pytest.fixture(scope="module")
def firefox():
    with Firefox() as b:
        yield b


def check_media_flows(server, pub_page, view_page, browsers) -> None:
    """The viewer decodes frames and receives audio for MEDIA_SECONDS; both endpoints stay HEALTHY."""
    def report() -> str:
        return (diagnostics(("publisher", pub_page), ("viewer", view_page)) + "\n"
                + "\n".join(b.console_text() for b in browsers))

    def stats():
        return view_page.eval("window.sub.stats()", timeout=10)

    deadline = time.monotonic() + 15
    first = stats()
    while (first["video"]["framesDecoded"] == 0 or first["audio"]["packetsReceived"] == 0) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
        first = stats()
    assert first["video"]["framesDecoded"] > 0 and first["audio"]["packetsReceived"] > 0, \
        f"no frame decoded or no audio within 15 s: {first}\n{report()}"
    time.sleep(MEDIA_SECONDS)
    later = stats()
    print(f"viewer stats over {MEDIA_SECONDS} s: video {first['video']} -> {later['video']}; "
          f"audio {first['audio']} -> {later['audio']}")
    # Both fake cameras run at 20-30 fps, both fake microphones send Opus at 50 packets/s.
    assert later["video"]["framesDecoded"] > first["video"]["framesDecoded"] + 5 * MEDIA_SECONDS, \
        f"{first}\n{later}\n{report()}"
    assert later["audio"]["packetsReceived"] > first["audio"]["packetsReceived"] + 25 * MEDIA_SECONDS, \
        f"{first}\n{later}\n{report()}"
    conf = pub_page.eval("client.getConference(window.pub.conferenceId)")
    states = {p["id"]: p["state"] for p in conf["participants"]}
    assert states == {"publisher": "HEALTHY", "viewer": "HEALTHY"}, conf


def stop_all(pub_page, view_page) -> None:
    for page, expr in ((view_page, "window.sub && window.sub.stop()"), (pub_page, "window.pub && window.pub.stop()")):
        try:
            page.eval(f"(async () => {{ await ({expr}); return true; }})()")
        except Exception:  # noqa: BLE001 - cleanup only
            pass


def test_firefox_publishes_and_chromium_views(server, chromium, firefox):
    cid = "ff2cr-" + uuid.uuid4().hex[:8]
    url = page_with_client(server)
    pub = firefox.open(url)
    view = chromium.open(url)
    try:
        try:
            stream_id = pub.eval(publish_js(server, cid, create=True), timeout=30)
        except Exception as e:
            pytest.fail(f"Firefox publish failed: {e}\n{diagnostics(('publisher', pub))}")
        assert stream_id, firefox.console_text()
        try:
            viewer_id = view.eval(view_js(server, cid, stream_id), timeout=30)
        except Exception as e:
            pytest.fail(f"Chromium view failed: {e}\n{diagnostics(('viewer', view))}\n{chromium.console_text()}")
        assert viewer_id, chromium.console_text()
        check_media_flows(server, pub, view, (firefox, chromium))
    finally:
        stop_all(pub, view)


def test_chromium_publishes_and_firefox_views(server, chromium, firefox):
    cid = "cr2ff-" + uuid.uuid4().hex[:8]
    url = page_with_client(server)
    pub = chromium.open(url)
    view = firefox.open(url)
    try:
        try:
            stream_id = pub.eval(publish_js(server, cid, create=True), timeout=30)
        except Exception as e:
            pytest.fail(f"Chromium publish failed: {e}\n{diagnostics(('publisher', pub))}")
        assert stream_id, chromium.console_text()
        try:
            viewer_id = view.eval(view_js(server, cid, stream_id), timeout=30)
        except Exception as e:
            pytest.fail(f"Firefox view failed: {e}\n{diagnostics(('viewer', view))}\n{firefox.console_text()}")
        assert viewer_id, firefox.console_text()
        check_media_flows(server, pub, view, (chromium, firefox))
    finally:
        stop_all(pub, view)
