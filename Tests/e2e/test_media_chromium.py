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


def test_ice_restart_through_a_new_offer_keeps_media_flowing(server, browser):
    """A new offer (iceRestart) for the same streamId is an ICE restart:
    new credentials in the answer, the same DTLS/SRTP, and the viewer keeps
    decoding without a new viewStream."""
    cid = "restart-" + uuid.uuid4().hex[:8]
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
    view.eval(f"""(async () => {{
        window.client = {client_expr(server)};
        await client.join({{conferenceId: {js(cid)}, userEndpointId: 'viewer'}});
        window.sub = await client.view({{conferenceId: {js(cid)}, userEndpointId: 'viewer', streamId: {js(stream_id)}}});
        return true;
    }})()""", timeout=30)

    def frames():
        return view.eval("(async () => (await window.sub.stats()).video.framesDecoded)()", timeout=10)

    # Restart only once video flows steadily (the machine may be busy with other tests).
    deadline = time.monotonic() + 20
    while frames() < 30 and time.monotonic() < deadline:
        time.sleep(0.5)
    before_restart = frames()
    assert before_restart >= 30, before_restart
    result = pub.eval(f"""(async () => {{
        const pc = window.pub.pc;
        const ufrag = sdp => /a=ice-ufrag:(\\S+)/.exec(sdp)[1];
        const oldRemote = ufrag(pc.remoteDescription.sdp), oldLocal = ufrag(pc.localDescription.sdp);
        const offer = await pc.createOffer({{iceRestart: true}});
        await pc.setLocalDescription(offer);
        const r = await client.publishStream({{conferenceId: {js(cid)}, userEndpointId: 'publisher',
            conferenceStreamType: 'MIC_AND_CAM', sdpOffer: offer.sdp, streamId: {{id: {js(stream_id)}}}}});
        await pc.setRemoteDescription({{type: 'answer', sdp: r.sdpAnswer}});
        const t0 = Date.now();
        while (pc.iceConnectionState !== 'connected' && pc.iceConnectionState !== 'completed' && Date.now() - t0 < 10000)
            await new Promise(res => setTimeout(res, 100));
        return {{oldRemote, newRemote: ufrag(pc.remoteDescription.sdp), oldLocal, newLocal: ufrag(pc.localDescription.sdp),
                state: pc.iceConnectionState, sameStream: r.streamId.id}};
    }})()""", timeout=30)
    assert result["newLocal"] != result["oldLocal"] and result["newRemote"] != result["oldRemote"], result
    assert result["state"] in ("connected", "completed"), result
    assert result["sameStream"] == stream_id
    deadline = time.monotonic() + 10
    after = frames()
    while after <= before_restart + 20 and time.monotonic() < deadline:
        time.sleep(0.5)
        after = frames()
    if after <= before_restart + 20:
        import requests
        metrics = [l for l in requests.get(server.base + "/metrics", timeout=5).text.splitlines() if l.startswith("sfu_media")]
        pstats = pub.eval("""(async () => { const out = []; (await window.pub.pc.getStats()).forEach(r => {
            if (r.type === 'candidate-pair' && r.nominated) out.push(['pair', r.state, r.bytesSent, r.bytesReceived, r.localCandidateId]);
            if (r.type === 'outbound-rtp') out.push(['out', r.kind, r.packetsSent]); }); return out; })()""")
        raise AssertionError(f"frames {before_restart} -> {after}; publisher {pstats}; metrics {metrics}")
    conf = pub.eval(f"(async () => await client.getConference({js(cid)}))()")
    assert len(conf["participants"][0]["streams"]) == 1, conf  # still one stream: no republish


def test_simulcast_offer_is_answered_with_a_single_encoding(server, browser):
    """A publisher offering three simulcast encodings (rid h/m/l) gets an
    answer without `a=simulcast`, and a viewer decodes one full-size stream
    smoothly (layers on one payload type must not be interleaved)."""
    cid = "simulcast-" + uuid.uuid4().hex[:8]
    url = page_with_client(server)
    pub = browser.open(url)
    view = browser.open(url)
    res = pub.eval(f"""(async () => {{
        window.client = {client_expr(server)};
        await client.create({{conferenceId: {js(cid)}}});
        await client.join({{conferenceId: {js(cid)}, userEndpointId: 'publisher'}});
        const stream = await navigator.mediaDevices.getUserMedia({{video: true}});
        const pc = new RTCPeerConnection({{iceServers: []}});
        window.simPC = pc;
        pc.addTransceiver(stream.getVideoTracks()[0], {{direction: 'sendonly', sendEncodings: [
            {{rid: 'h'}}, {{rid: 'm', scaleResolutionDownBy: 2}}, {{rid: 'l', scaleResolutionDownBy: 4}}]}});
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        const r = await client.publishStream({{conferenceId: {js(cid)}, userEndpointId: 'publisher',
            conferenceStreamType: 'CAM', sdpOffer: offer.sdp}});
        await pc.setRemoteDescription({{type: 'answer', sdp: r.sdpAnswer}});
        return {{streamId: r.streamId.id, offerHadSimulcast: offer.sdp.includes('a=simulcast'),
                answerHasSimulcast: r.sdpAnswer.includes('a=simulcast')}};
    }})()""", timeout=30)
    assert res["offerHadSimulcast"] and not res["answerHasSimulcast"], res
    view.eval(f"""(async () => {{
        window.client = {client_expr(server)};
        await client.join({{conferenceId: {js(cid)}, userEndpointId: 'viewer'}});
        window.sub = await client.view({{conferenceId: {js(cid)}, userEndpointId: 'viewer', streamId: {js(res['streamId'])}}});
        return true;
    }})()""", timeout=30)

    def frames():
        return view.eval("(async () => (await window.sub.stats()).video.framesDecoded)()", timeout=10)

    deadline = time.monotonic() + 15
    while frames() < 10 and time.monotonic() < deadline:
        time.sleep(0.5)
    first = frames()
    assert first >= 10, first
    time.sleep(4)
    later = frames()
    assert later > first + 30, (first, later)
    # Whatever the browser still sends, the viewer gets one continuous stream at one size.
    size = view.eval("(async () => { let s = null; (await window.sub.pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') s = [r.frameWidth, r.frameHeight]; }); return s; })()")
    # (Chrome may adapt the resolution to its bandwidth estimate; the 'l' layer would be 160x120.)
    assert size and size[0] >= 320, size
