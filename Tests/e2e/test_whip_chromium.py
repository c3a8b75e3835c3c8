"""Headless Chromium plays a stream that GStreamer's webrtcbin publishes over
WHIP, two ways at once: through the Conference API (client.js viewStream) and
through WHEP in a page with nothing but fetch and RTCPeerConnection
(fixtures/whep_player.html, loaded from file://, so every request is
cross-origin and reads Location/ETag through CORS). Both decode frames of the
320x240 pattern and hear the 440 Hz tone (WebAudio FFT peak). The WHEP page
then restarts ICE through the session (PATCH If-Match: *) and keeps decoding,
and DELETEs (200, then 404). Runs in a namespace with only `lo`."""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from cdp import Chromium
from e2elib import FIXTURES, SVC_ID, SVC_SECRET, Api, poll
from whip_client import GstPublisher


def js(v) -> str:
    return json.dumps(v)


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


def test_chromium_plays_gstreamer_whip_through_conference_api_and_whep(api: Api, server, svc_token, browser):
    cid = api.new_conference()
    d = Path(tempfile.mkdtemp(prefix="sfu-whep-"))
    shutil.copy(FIXTURES / "whep_player.html", d / "whep_player.html")
    (d / "api.html").write_text(f'<!doctype html><meta charset="utf-8"><script src="{server.base}/client.js"></script>')
    with GstPublisher(f"{server.base}/whip/{cid}", svc_token) as gst:
        gst.wait_for(lambda e: e["event"] == "connection" and e["state"] == "connected", 20, "connected")
        stream = poll(lambda: [s["id"]["id"] for p in api.conference(cid)["participants"] for s in p["streams"]],
                      timeout=5, what="the WHIP stream")[0]

        # Through the Conference API, with client.js.
        via_api = browser.open((d / "api.html").as_uri())
        assert via_api.eval(f"""(async () => {{
            window.client = new SfuClient({{baseUrl: {js(server.base)}, getToken: () => SfuClient.fetchToken(
                {{baseUrl: {js(server.base)}, clientId: {js(SVC_ID)}, clientSecret: {js(SVC_SECRET)}}})}});
            await client.join({{conferenceId: {js(cid)}, userEndpointId: 'chromium-api'}});
            window.sub = await client.view({{conferenceId: {js(cid)}, userEndpointId: 'chromium-api', streamId: {js(stream)}}});
            return !!window.sub.viewerId;
        }})()""", timeout=30), browser.console_text()

        # Through WHEP, with fetch and RTCPeerConnection only.
        page = browser.open((d / "whep_player.html").as_uri())
        posted = page.eval(f"whepPlay({js(server.base + '/whep/' + cid + '/' + stream)}, {js(svc_token)})", timeout=30)
        assert posted["status"] == 201 and posted["location"].startswith(f"{server.base}/whep/{cid}/sessions/") and posted["etag"], posted
        assert posted["offerCandidates"] == 0, posted       # Chromium gathers after the POST: all of them trickle
        setup_ms = page.eval("firstFrame(15000)", timeout=20)
        print(f"SETUP Chromium WHEP POST→first decoded frame {setup_ms:.0f} ms (GStreamer publisher, keyframe every 1 s)")

        def api_stats():
            return via_api.eval("(async () => { const s = await window.sub.stats(); return [s.video.framesDecoded, s.audio.packetsReceived, s.frameWidth, s.frameHeight]; })()")

        poll(lambda: api_stats()[0] > 0, timeout=15, what="frames through the Conference API")
        a0, w0 = api_stats(), page.eval("videoStats()")
        time.sleep(4)
        a1, w1 = api_stats(), page.eval("videoStats()")
        print(f"Conference API viewer {a0} → {a1}; WHEP player {w0} → {w1}")
        assert a1[0] > a0[0] + 40 and a1[1] > a0[1] + 100, (a0, a1)
        assert w1["framesDecoded"] > w0["framesDecoded"] + 40 and w1["audioPackets"] > w0["audioPackets"] + 100, (w0, w1)
        assert (w1["width"], w1["height"]) == (320, 240) and tuple(a1[2:]) == (320, 240), (a1, w1)

        # The tone: the FFT peak of what each page receives.
        api_peak = via_api.eval("peak = async (stream) => { const a = new Audio(); a.muted = true; a.srcObject = stream; await a.play().catch(() => {});"
                                " const ctx = new AudioContext(); await ctx.resume(); const an = ctx.createAnalyser(); an.fftSize = 16384;"
                                " ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(an);"
                                " await new Promise(r => setTimeout(r, 1500)); const b = new Float32Array(an.frequencyBinCount); an.getFloatFrequencyData(b);"
                                " let k = 1; for (let i = 2; i < b.length; i++) if (b[i] > b[k]) k = i; return {hz: k * ctx.sampleRate / an.fftSize, db: b[k]}; },"
                                " peak(window.sub.stream)", timeout=20)
        whep_peak = page.eval("peakFrequency(player.stream)", timeout=20)
        print(f"FFT peak: Conference API {api_peak}, WHEP {whep_peak}")
        for name, peak in (("Conference API", api_peak), ("WHEP", whep_peak)):
            assert abs(peak["hz"] - 440) < 10 and peak["db"] > -60, (name, peak)

        # ICE restart through the WHEP session; media keeps flowing on the new credentials.
        restart = page.eval("restartIce()", timeout=30)
        assert restart["status"] == 200 and restart["contentType"] == "application/trickle-ice-sdpfrag", restart
        assert restart["etagChanged"] and restart["newUfrag"] != restart["oldUfrag"], restart
        assert restart["iceState"] in ("connected", "completed"), restart
        r0 = page.eval("videoStats()")
        time.sleep(3)
        r1 = page.eval("videoStats()")
        assert r1["framesDecoded"] > r0["framesDecoded"] + 30, (r0, r1)
        patches = page.eval("player.patches")
        assert patches and all(p["status"] == 204 for p in patches), patches
        assert sum(p["candidates"] for p in patches) >= 1, patches

        # DELETE: 200, then 404; the WHEP endpoint leaves, the Conference API viewer stays.
        assert page.eval("stopPlayback()", timeout=20) == [200, 404]
        ids = [p["id"] for p in api.conference(cid)["participants"]]
        assert "chromium-api" in ids and not any(i.startswith("whep-") for i in ids), ids
        via_api.eval("window.sub.stop()")
        events = gst.stop()
    assert [e["status"] for e in events if e["event"] == "delete"] == [200], events


def test_demo_page_shows_the_conference_whip_and_whep_urls(api: Api, server, svc_token, browser):
    """The served demo page lists the joined conference's WHIP URL, its WHEP URL
    and one WHEP URL per stream (a WHIP publisher's included); the URLs work."""
    import urllib.parse

    import requests

    from e2elib import load_offer, uid
    cid = uid("demo-whip")
    q = urllib.parse.urlencode({"server": server.base, "conference": cid, "name": "Ada"})
    page = browser.open(f"{server.base}/?{q}")
    page.eval(f"""(() => {{
        document.getElementById('clientId').value = {js(SVC_ID)};
        document.getElementById('clientSecret').value = {js(SVC_SECRET)};
        document.getElementById('join').click(); return true; }})()""")
    page.wait("demo.joined && demo.events !== null", timeout=10)
    urls = lambda: page.eval("[...document.querySelectorAll('#wish dd code')].map(c => c.textContent)")
    assert urls() == [f"{server.base}/whip/{cid}", f"{server.base}/whep/{cid}"], urls()
    # Publish with the URL the page shows; the page then lists the stream's WHEP URL.
    r = requests.post(urls()[0], data=load_offer("sendonly"), timeout=10,
                      headers={"Authorization": f"Bearer {svc_token}", "Content-Type": "application/sdp"})
    assert r.status_code == 201, r.text
    stream = poll(lambda: [s["id"]["id"] for p in api.conference(cid)["participants"] for s in p["streams"]], timeout=5, what="stream")[0]
    page.wait(f"[...document.querySelectorAll('#wish dd code')].some(c => c.textContent.endsWith({js('/' + stream)}))", timeout=5)
    terms = page.eval("[...document.querySelectorAll('#wish dt')].map(t => t.textContent)")
    assert terms[:2] == ["WHIP (publish)", "WHEP (first stream)"] and terms[2].startswith("WHEP · whip-"), terms
    assert urls()[2] == f"{server.base}/whep/{cid}/{stream}"
    v = requests.post(urls()[2], data=load_offer("recvonly"), timeout=10,
                      headers={"Authorization": f"Bearer {svc_token}", "Content-Type": "application/sdp"})
    assert v.status_code == 201, v.text
    for loc in (r.headers["Location"], v.headers["Location"]):
        assert requests.delete(server.base + loc, headers={"Authorization": f"Bearer {svc_token}"}, timeout=10).status_code == 200
    page.wait(f"![...document.querySelectorAll('#wish dd code')].some(c => c.textContent.endsWith({js('/' + stream)}))", timeout=5)
