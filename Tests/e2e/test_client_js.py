"""The browser client library (`Sources/Signaling/Web/client.js`) and the demo
page (`index.html`) in headless Chromium against a real server.

The pages are loaded from file:// (the server answers cross-origin requests
with CORS `*`), so these tests do not depend on the server's `/` and
`/client.js` routes. Chromium is driven over the DevTools protocol (cdp.py).
"""
from __future__ import annotations

import json
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from cdp import Chromium
from e2elib import REPO_ROOT, SVC_ID, SVC_SECRET, uid

WEB = REPO_ROOT / "Sources" / "Signaling" / "Web"


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


@pytest.fixture(scope="module")
def lib_page(browser):
    """A blank page with client.js loaded as a classic script."""
    d = tempfile.mkdtemp(prefix="sfu-clientjs-")
    page = Path(d) / "lib.html"
    page.write_text('<!doctype html><meta charset="utf-8"><title>lib</title>'
                    f'<script src="{(WEB / "client.js").as_uri()}"></script>')
    p = browser.open(page.as_uri())
    assert p.eval("typeof SfuClient === 'function' && typeof SfuError === 'function'"), browser.console_text()
    return p


def js(value) -> str:
    return json.dumps(value)


def make_client(server) -> str:
    return (f"new SfuClient({{baseUrl: {js(server.base)}, getToken: () => SfuClient.fetchToken("
            f"{{baseUrl: {js(server.base)}, clientId: {js(SVC_ID)}, clientSecret: {js(SVC_SECRET)}}})}})")


EVENTS_SCENARIO = """
(async () => {
  const client = %(client)s;
  const cid = %(cid)s, transport = %(transport)s;
  const err = e => ({isSfuError: e instanceof SfuError, status: e.status, code: e.code, message: e.message});
  const r = {};
  r.created = await client.create({conferenceId: cid, metadata: {topic: 'standup'}});
  try { await client.create({conferenceId: cid}); r.duplicate = 'no error'; } catch (e) { r.duplicate = err(e); }
  try { await client.join({conferenceId: cid + '-missing', userEndpointId: 'a'}); } catch (e) { r.missing = err(e); }
  try { await new SfuClient({baseUrl: client.baseUrl, token: 'not-a-jwt'}).getConference(cid); } catch (e) { r.badToken = err(e); }
  try { await client.join({conferenceId: cid, userEndpointId: 'bad\u0000id'}); } catch (e) { r.badId = err(e); }
  const joined = await client.join({conferenceId: cid, userEndpointId: 'ep-a', metadata: {displayName: 'A'}});
  r.joinedVersion = joined.version;

  const got = [];
  let opened = false;
  const closed = new Promise(resolve => {
    r.sub = client.events(cid, {fromVersion: 0, userEndpointId: 'ep-a', transport,
      onOpen: () => { opened = true; },
      onEvent: e => got.push([e.conferenceVersion, e.type]),
      onClose: reason => resolve(reason)});
  });
  r.transport = r.sub.transport;
  await client.updateMetadata({conferenceId: cid, userEndpointId: 'ep-a', key: 'k1', operation: 'SET', value: 'v1'});
  await client.updateParticipantMetadata({conferenceId: cid, userEndpointId: 'ep-a', newMetadata: {displayName: 'A2'}});
  // A custom event type EventSource is not listening for: the library fills the gap.
  r.sent = await client.sendEvent({conferenceId: cid, event: {type: 'HandRaisedEvent', timestamp: new Date().toISOString(), by: 'ep-a'}, qos: 'AT_LEAST_ONCE'});
  await client.join({conferenceId: cid, userEndpointId: 'ep-b'});
  await client.updateMetadata({conferenceId: cid, userEndpointId: 'ep-b', key: 'k1', operation: 'REMOVE'});
  await client.leave({conferenceId: cid, userEndpointId: 'ep-b'});
  const conf = await client.getConference(cid);
  r.conference = {version: conf.version, participants: conf.participants.map(p => p.id), metadata: Object.keys(conf.metadata)};
  const simple = await client.simpleView(cid);
  r.simple = {participants: simple.participants.length, endpoint: simple.participants[0].endpoints[0].id};
  r.log = (await client.getEvents(cid, {v: 0})).map(e => [e.conferenceVersion, e.type]);
  await client.end({conferenceId: cid, userEndpointId: 'ep-a', reason: 'done'});
  const t0 = performance.now();
  r.closeReason = await Promise.race([closed, new Promise(res => setTimeout(() => res('timeout'), 8000))]);
  r.closeMs = performance.now() - t0;
  r.opened = opened;
  r.got = got;
  r.version = r.sub.version;
  delete r.sub;
  return r;
})()
"""


@pytest.mark.parametrize("transport", ["sse", "poll"])
def test_rest_calls_errors_and_ordered_events(server, lib_page, transport):
    cid = uid("js")
    r = lib_page.eval(EVENTS_SCENARIO % {"client": make_client(server), "cid": js(cid), "transport": js(transport)},
                      timeout=25)
    assert r["created"]["id"] == cid and r["created"]["version"] == 1
    assert r["duplicate"] == {**r["duplicate"], "isSfuError": True, "status": 409, "code": "CONFERENCE_EXISTS"}
    assert r["missing"]["isSfuError"] and r["missing"]["status"] == 404 and r["missing"]["code"] == "CONFERENCE_NOT_FOUND"
    assert r["badToken"]["status"] == 401 and r["badToken"]["code"] == "UNAUTHORIZED"
    assert r["badId"]["status"] == 400 and r["badId"]["code"] == "INVALID_FIELD" and r["badId"]["message"]
    assert r["transport"] == transport and r["opened"]
    assert r["conference"]["participants"] == ["ep-a"] and r["conference"]["metadata"] == ["topic"]
    assert r["simple"] == {"participants": 1, "endpoint": "ep-a"}

    expected_types = ["ConferenceCreatedEvent", "ConferenceParticipantJoinedEvent", "ConferenceMetadataUpdatedEvent",
                      "ConferenceParticipantMetadataUpdatedEvent", "HandRaisedEvent", "ConferenceParticipantJoinedEvent",
                      "ConferenceMetadataUpdatedEvent", "ConferenceParticipantLeftEvent",
                      # end: the remaining endpoint leaves (CONFERENCE_ENDED), then the end.
                      "ConferenceParticipantLeftEvent", "ConferenceEndedEvent"]
    got = [tuple(x) for x in r["got"]]
    # Every event exactly once, in version order, versions gap-free from 1.
    assert [v for v, _ in got] == list(range(1, len(got) + 1)), got
    assert [t for _, t in got] == expected_types, got
    assert [tuple(x) for x in r["log"]] == got[:-2]     # the REST log agrees (read before the end)
    # The subscription closes itself after ConferenceEndedEvent.
    assert r["closeReason"] == "ended" and r["closeMs"] < 5000, r
    assert r["version"] == len(expected_types)


PUBLISH_SCENARIO = """
(async () => {
  const client = %(client)s;
  const cid = %(cid)s;
  const pcs = [];
  const Native = window.__NativePC || (window.__NativePC = RTCPeerConnection);
  window.RTCPeerConnection = function (cfg) { const pc = new Native(cfg); pcs.push({pc, cfg}); return pc; };
  window.RTCPeerConnection.prototype = Native.prototype;
  const r = {};
  const offers = [];
  for (const m of ['publishStream', 'viewStream']) {
    const orig = client[m].bind(client);
    client[m] = body => { offers.push(body.sdpOffer); return orig(body); };
  }
  await client.create({conferenceId: cid});
  await client.join({conferenceId: cid, userEndpointId: 'pub'});
  const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  r.tracks = stream.getTracks().map(t => t.kind).sort();
  const t0 = performance.now();
  try {
    const pub = await client.publish({conferenceId: cid, userEndpointId: 'pub', stream, metadata: {n: 1}, videoBitrate: 500000});
    r.published = {streamId: pub.streamId, sdpAnswer: pub.sdpAnswer, type: pub.type};
    r.stats = await pub.stats();
    await pub.stop();
    r.afterStop = (await client.getConference(cid)).participants[0].streams.length;
  } catch (e) {
    r.error = {isSfuError: e instanceof SfuError, status: e.status, code: e.code, message: e.message};
  }
  r.ms = performance.now() - t0;
  r.pcs = pcs.map(({pc, cfg}) => ({signalingState: pc.signalingState, iceServers: cfg.iceServers,
      directions: pc.getTransceivers().map(t => t.direction)}));
  // Viewing a stream that does not exist: the API's 404, and the peer connection closed.
  try {
    await client.view({conferenceId: cid, userEndpointId: 'pub', streamId: 'no-such-stream'});
    r.view = 'no error';
  } catch (e) {
    r.view = {isSfuError: e instanceof SfuError, status: e.status, code: e.code};
  }
  r.viewPc = pcs.length > 1 ? {signalingState: pcs[pcs.length - 1].pc.signalingState,
      directions: pcs[pcs.length - 1].pc.getTransceivers().map(t => t.direction),
      kinds: pcs[pcs.length - 1].pc.getTransceivers().map(t => t.receiver.track.kind)} : null;
  r.offers = offers.map(sdp => ({media: sdp.split('\\r\\n').filter(l => l.startsWith('m=')).map(l => l.split(' ')[0]),
      directions: sdp.split('\\r\\n').filter(l => /^a=(sendonly|recvonly|sendrecv|inactive)$/.test(l)),
      candidates: sdp.split('\\r\\n').filter(l => l.startsWith('a=candidate')).length}));
  stream.getTracks().forEach(t => t.stop());
  window.RTCPeerConnection = Native;
  await client.end({conferenceId: cid, userEndpointId: 'pub'});
  return r;
})()
"""


def test_publish_surfaces_media_unavailable_or_succeeds(server, lib_page):
    r = lib_page.eval(PUBLISH_SCENARIO % {"client": make_client(server), "cid": js(uid("jspub"))}, timeout=25)
    assert r["tracks"] == ["audio", "video"]
    assert r["pcs"] and r["pcs"][0]["iceServers"] == []
    # The offers: audio then video, sendonly to publish and recvonly to view; candidates are trickled, not in the SDP.
    pub_offer, view_offer = r["offers"]
    assert pub_offer == {"media": ["m=audio", "m=video"], "directions": ["a=sendonly", "a=sendonly"], "candidates": 0}, r
    assert view_offer == {"media": ["m=audio", "m=video"], "directions": ["a=recvonly", "a=recvonly"], "candidates": 0}, r
    if "error" in r:
        # The media path is not there yet: the 503 comes back as an SfuError, fast, and nothing is left open.
        assert r["error"] == {**r["error"], "isSfuError": True, "status": 503, "code": "MEDIA_UNAVAILABLE"}, r
        assert r["error"]["message"]
        assert r["pcs"][0]["signalingState"] == "closed"
    else:
        assert r["published"]["sdpAnswer"].startswith("v=0") and r["published"]["streamId"], r
        assert r["published"]["type"] == "MIC_AND_CAM"
        assert r["afterStop"] == 0
    assert r["ms"] < 5000, r
    assert r["view"] == {"isSfuError": True, "status": 404, "code": "STREAM_NOT_FOUND"}, r
    assert r["viewPc"]["signalingState"] == "closed"
    assert r["viewPc"]["kinds"] == ["audio", "video"]


STATS_SCENARIO = """
(async () => {
  // Two peer connections in the page (no server): stats() reads real numbers.
  const a = new RTCPeerConnection({iceServers: []}), b = new RTCPeerConnection({iceServers: []});
  a.onicecandidate = e => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = e => e.candidate && a.addIceCandidate(e.candidate);
  const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  stream.getTracks().forEach(t => a.addTrack(t, stream));
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  const client = new SfuClient({baseUrl: 'http://127.0.0.1:9'});
  await client.stats(b);
  await new Promise(r => setTimeout(r, 2500));
  const rx = await client.stats(b), tx = await client.stats(a);
  stream.getTracks().forEach(t => t.stop());
  a.close(); b.close();
  return {rx, tx};
})()
"""


def test_stats_summary(lib_page):
    r = lib_page.eval(STATS_SCENARIO, timeout=20)
    rx, tx = r["rx"], r["tx"]
    assert rx["connectionState"] == "connected" and rx["dtlsState"] == "connected", rx
    assert rx["framesDecoded"] > 10 and rx["framesPerSecond"] > 0, rx
    assert rx["audio"]["packetsReceived"] > 20 and rx["video"]["packetsReceived"] > 20, rx
    assert rx["bytesReceived"] > 0 and rx["bitrateIn"] > 0, rx
    assert rx["packetsLost"] >= 0 and 0 <= rx["lossRate"] <= 1 and rx["jitter"] >= 0
    assert rx["frameWidth"] > 0
    assert tx["bytesSent"] > 0 and tx["framesEncoded"] > 0 and tx["packetsSent"] > 0, tx


def test_demo_page_join_publish_and_see_others(server, browser):
    cid = uid("demo")
    index = (WEB / "index.html").as_uri()

    def open_demo(name: str):
        q = urllib.parse.urlencode({"server": server.base, "conference": cid, "name": name})
        page = browser.open(index + "?" + q)
        assert page.eval("!!window.SfuClient && !!window.demo"), browser.console_text()
        assert page.eval("document.getElementById('server').value") == server.base
        page.eval(f"""(() => {{
            document.getElementById('clientId').value = {js(SVC_ID)};
            document.getElementById('clientSecret').value = {js(SVC_SECRET)};
            document.getElementById('join').click(); return true; }})()""")
        page.wait("demo.joined && demo.events !== null", timeout=10)
        return page

    ada = open_demo("Ada")
    assert ada.eval("demo.conferenceId") == cid
    assert ada.eval("demo.userEndpointId").startswith("Ada-")
    assert ada.eval("document.getElementById('publish').disabled") is False
    bob = open_demo("Bob Smith")
    assert bob.eval("demo.userEndpointId").startswith("Bob-Smith-")
    assert bob.eval("demo.participants.size") == 2
    # Ada learns of Bob through the event stream.
    ada.wait("demo.participants.size === 2 && demo.log.some(l => l === 'Bob Smith joined')", timeout=5)
    assert "Bob Smith" in ada.eval("document.getElementById('participants').textContent")

    ada.eval("document.getElementById('publish').click(), true")
    outcome = ada.wait("""(() => { const s = document.getElementById('status').textContent;
        return /MEDIA_UNAVAILABLE|^Publishing MIC_AND_CAM\\.$/.test(s) ? s : null; })()""", timeout=8)
    if "MEDIA_UNAVAILABLE" in outcome:
        assert ada.eval("document.getElementById('status').className") == "error"
        assert ada.eval("demo.publications.size") == 0 and ada.eval("document.querySelectorAll('.tile').length") == 0
    else:
        # The media path exists: Ada sees her own tile and Bob gets a tile of hers.
        assert ada.eval("document.querySelectorAll('.tile.local').length") == 1
        bob.wait("document.querySelectorAll('.tile:not(.local)').length === 1", timeout=8)

    bob.eval("document.getElementById('leave').click(), true")
    bob.wait("!demo.joined && document.getElementById('join').disabled === false", timeout=5)
    ada.wait("demo.participants.size === 1 && demo.log.some(l => l.startsWith('Bob Smith left'))", timeout=5)
    assert ada.eval("document.querySelectorAll('.tile:not(.local)').length") == 0
    ada.eval("document.getElementById('leave').click(), true")
    ada.wait("!demo.joined", timeout=5)


TRICKLE_SCENARIO = """
(async () => {
  // Real candidates of a real peer connection through the library's batcher.
  const calls = [];
  const t = new SfuClient.Trickler(batch => { calls.push({at: performance.now(), batch}); return Promise.resolve(); });
  const pc = new RTCPeerConnection({iceServers: []});
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  pc.addTransceiver(stream.getAudioTracks()[0], {direction: 'sendonly'});
  const gathered = new Promise(res => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && res()));
  let count = 0;
  pc.addEventListener('icecandidate', e => { if (e.candidate && e.candidate.candidate) count++; t.add(e.candidate); });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered;
  await new Promise(r => setTimeout(r, 300));
  const beforeStart = calls.length;
  const started = performance.now();
  t.start();
  t.add({candidate: 'candidate:late 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0});  // after the end: dropped
  await new Promise(r => setTimeout(r, 400));
  // More than 64 at once are split into several calls.
  const big = new SfuClient.Trickler(batch => { calls.push({big: true, n: batch.length}); return Promise.resolve(); });
  for (let i = 0; i < 150; i++) big.add({candidate: 'candidate:' + i + ' 1 udp 1 127.0.0.1 ' + (1000 + i) + ' typ host', sdpMid: '0', sdpMLineIndex: 0});
  big.start();
  await big.drain();
  pc.close(); stream.getTracks().forEach(x => x.stop());
  const first = calls.filter(c => !c.big);
  return {count, beforeStart, calls: first.map(c => ({delay: c.at - started, batch: c.batch})),
          big: calls.filter(c => c.big).map(c => c.n)};
})()
"""


def test_trickle_batches_real_candidates(lib_page):
    r = lib_page.eval(TRICKLE_SCENARIO, timeout=20)
    assert r["count"] >= 1, "Chromium gathered no candidates (needs --allow-loopback-in-peer-connection)"
    assert r["beforeStart"] == 0          # nothing is sent before the answer names the stream
    assert len(r["calls"]) == 1, r        # everything gathered so far goes in one batch ~100 ms after start
    assert 50 <= r["calls"][0]["delay"] < 350, r
    batch = r["calls"][0]["batch"]
    assert len(batch) == r["count"] + 1
    assert all(c["candidate"].startswith("candidate:") and c["sdpMid"] == "0" and c["sdpMLineIndex"] == 0 for c in batch[:-1])
    assert batch[-1] == {"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0}    # end-of-candidates, once
    assert r["big"] == [64, 64, 22]
