"""Clients behind a TURN relay (issue 10 part 3), with Debian's coturn.

coturn runs with `use-auth-secret` on 127.0.0.2 (turnlib.py), the server on
127.0.0.1 with `--turn-secret` and `--ice-server turn:127.0.0.2:3478?transport=...`.
Headless Chromium, forced to `iceTransportPolicy: "relay"`, publishes and
views through client.js, which takes the ICE servers (and its time-limited
credential) from `GET /rtc-api/iceServers`. Checked from three sides:
- Chromium: frames decoded; the selected pair's local candidate is a relay
  candidate on 127.0.0.2 over the expected client transport (udp, or tcp for
  TURN over TCP), its remote candidate is the server's 127.0.0.1 port.
- The server: its log names the relay's address (127.0.0.2:<the relay port
  Chromium reports>) as the peer each transport latched: a peer-reflexive
  address, since the relayed candidate was never signalled as such.
- coturn: allocations under the `EXPIRY:USER` username the server minted.
Also: coturn's own client (turnutils_uclient) accepts the server's
credential and refuses one made with another secret.

Runs in a network namespace with only `lo` (scripts/test.sh).
"""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from cdp import Chromium
from e2elib import REPO_ROOT, SVC_ID, SVC_SECRET, SfuServer, fetch_token, uid
from turnlib import Coturn

WEB = REPO_ROOT / "Sources" / "Signaling" / "Web"
SECRET = "e2e-turn-shared-secret-0123456789"


@pytest.fixture(scope="module")
def coturn():
    with Coturn(secret=SECRET) as t:
        yield t


# Chromium's network service resolves a TURN-over-TCP server's address through
# its host resolver even when it is an IP literal: the default rules (cdp.py)
# map everything but 127.0.0.1 to NOTFOUND (ERR_NAME_NOT_RESOLVED, ICE error 701).
# The last --host-resolver-rules flag wins.
RESOLVER_RULES = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE 127.0.0.2"


@pytest.fixture(scope="module")
def browser():
    with Chromium(extra_flags=[RESOLVER_RULES]) as b:
        yield b


def turn_server(coturn: Coturn, name: str, transports: list[str], secret: str = SECRET) -> SfuServer:
    args = ["--turn-secret", secret, "--turn-credential-ttl", "600", "--ice-server", f"stun:{coturn.host}:{coturn.port}"]
    for t in transports:
        args += ["--ice-server", coturn.url(t)]
    return SfuServer(name, extra_args=args).start()


def ice_servers(server: SfuServer, token: str) -> list[dict]:
    r = requests.get(server.base + "/rtc-api/iceServers", headers={"Authorization": "Bearer " + token}, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json") and r.headers.get("Cache-Control") == "no-store"
    return r.json()["iceServers"]


def tcp_clients(coturn: Coturn) -> int:
    """TCP connections coturn accepted so far (TURN over TCP)."""
    return coturn.log_text().count("tcp or tls connected to")


def uclient(coturn: Coturn, username: str, credential: str) -> subprocess.CompletedProcess:
    """coturn's test client: allocate, relay 3 messages to a peer of its own on the relay host."""
    return subprocess.run(["turnutils_uclient", "-u", username, "-w", credential, "-e", coturn.host, "-n", "3", "-m", "1",
                           "-y", "-p", str(coturn.port), coturn.host], capture_output=True, text=True, timeout=30)


def test_ice_servers_endpoint_and_coturn_accepts_the_minted_credential(coturn):
    server = turn_server(coturn, "turn-api", ["udp", "tcp"])
    try:
        r = requests.get(server.base + "/rtc-api/iceServers", timeout=5)
        assert r.status_code == 401 and r.json()["error"] == "UNAUTHORIZED"
        svc = ice_servers(server, fetch_token(server.base))
        alice = ice_servers(server, fetch_token(server.base, "alice", "alicesecret"))
        log = server.log_text()
    finally:
        server.kill()
    assert SECRET not in log, "the TURN secret must never be logged"
    assert svc[0] == {"urls": [f"stun:{coturn.host}:{coturn.port}"]}
    turn = svc[1]
    assert turn["urls"] == [coturn.url("udp"), coturn.url("tcp")]
    expiry, user = turn["username"].split(":", 1)
    assert user == SVC_ID and abs(int(expiry) - (time.time() + 600)) < 30, turn
    assert alice[1]["username"].endswith(":alice") and alice[1]["credential"] != turn["credential"]

    refused = re.compile(r"user <" + re.escape(turn["username"]) + r">: incoming packet \w+ processed, error 401")
    ok = uclient(coturn, turn["username"], turn["credential"])
    assert ok.returncode == 0 and "Total lost packets 0" in ok.stdout + ok.stderr, ok.stdout[-2000:] + ok.stderr[-2000:]
    assert any(a["username"] == turn["username"] for a in coturn.allocations()), coturn.log_text()[-3000:]
    assert not refused.search(coturn.log_text()), coturn.log_text()[-3000:]
    bad = uclient(coturn, turn["username"], "d3Jvbmctc2VjcmV0LWNyZWRlbnRpYWw=")
    assert bad.returncode != 0 or "Total lost packets 0" not in bad.stdout + bad.stderr, bad.stdout[-2000:]
    assert refused.search(coturn.log_text()), coturn.log_text()[-3000:]


SCENARIO = """
(async () => {
  const client = new SfuClient({baseUrl: %(base)s, getToken: () => SfuClient.fetchToken(
      {baseUrl: %(base)s, clientId: %(cid)s, clientSecret: %(secret)s})});
  const conferenceId = %(conf)s;
  const r = {};
  r.iceServers = await client.getIceServers();
  await client.create({conferenceId});
  await client.join({conferenceId, userEndpointId: 'pub'});
  await client.join({conferenceId, userEndpointId: 'viewer'});
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const relay = {iceTransportPolicy: 'relay'};
  const pub = await client.publish({conferenceId, userEndpointId: 'pub', stream, rtcConfiguration: relay});
  const sub = await client.view({conferenceId, userEndpointId: 'viewer', streamId: pub.streamId, rtcConfiguration: relay});
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.srcObject = sub.stream;
  document.body.appendChild(video);
  window.turnPeers = {pub: pub.pc, sub: sub.pc};
  r.streamId = pub.streamId;
  return r;
})()
"""

STATS = """
(async () => {
  const out = {};
  for (const [name, pc] of Object.entries(window.turnPeers)) {
    const s = await pc.getStats();
    const o = {connection: pc.connectionState, candidates: []};
    s.forEach(x => {
      if (x.type === 'transport' && x.selectedCandidatePairId) {
        const p = s.get(x.selectedCandidatePairId), l = s.get(p.localCandidateId), rem = s.get(p.remoteCandidateId);
        o.local = {type: l.candidateType, address: l.address, port: l.port, protocol: l.protocol, relayProtocol: l.relayProtocol, url: l.url};
        o.remote = {type: rem.candidateType, address: rem.address, port: rem.port};
      }
      if (x.type === 'local-candidate') o.candidates.push(x.candidateType);
      if (x.type === 'inbound-rtp' && x.kind === 'video') o.framesDecoded = x.framesDecoded;
      if (x.type === 'inbound-rtp' && x.kind === 'audio') o.audioPackets = x.packetsReceived;
      if (x.type === 'outbound-rtp' && x.kind === 'video') o.framesEncoded = x.framesEncoded;
    });
    out[name] = o;
  }
  return out;
})()
"""


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_chromium_publishes_and_views_relay_only(coturn, browser, transport):
    server = turn_server(coturn, f"turn-{transport}", [transport])
    tcp_before = tcp_clients(coturn)
    page_path = Path(tempfile.mkdtemp(prefix="sfu-turn-")) / "turn.html"
    page_path.write_text('<!doctype html><meta charset="utf-8"><title>turn</title>'
                         f'<script src="{(WEB / "client.js").as_uri()}"></script>')
    page = browser.open(page_path.as_uri())
    try:
        r = page.eval(SCENARIO % {"base": json.dumps(server.base), "cid": json.dumps(SVC_ID), "secret": json.dumps(SVC_SECRET),
                                  "conf": json.dumps(uid("turn"))}, timeout=30)
        deadline = time.monotonic() + 25
        while True:
            s = page.eval(STATS, timeout=10)
            if s["sub"].get("framesDecoded", 0) >= 20 and s["sub"].get("audioPackets", 0) >= 50 and "local" in s["pub"]:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"no media through the {transport} relay: {s}\n{browser.console_text()}\n"
                                     f"--- server ---\n{server.log_tail()}\n--- coturn ---\n{coturn.log_text()[-3000:]}")
            time.sleep(0.3)
        time.sleep(0.5)
        log = server.log_text()
    finally:
        try:
            page.eval("Object.values(window.turnPeers || {}).forEach(pc => pc.close()), true")
        except Exception:
            pass
        server.kill()

    assert [u for e in r["iceServers"] for u in e["urls"]] == [f"stun:{coturn.host}:{coturn.port}", coturn.url(transport)]
    username = r["iceServers"][1]["username"]
    for name in ("pub", "sub"):
        st = s[name]
        assert st["connection"] == "connected", s
        assert set(st["candidates"]) == {"relay"}, f"{name}: relay-only must gather relay candidates alone: {st}"
        assert st["local"]["type"] == "relay" and st["local"]["address"] == coturn.host, st
        assert st["local"]["relayProtocol"] == transport, st
        assert st["remote"]["address"] == "127.0.0.1", st
        # The server latched the relay's address: the TURN allocation's port on 127.0.0.2.
        who = "publisher" if name == "pub" else "viewer"
        lines = [l for l in log.splitlines() if f"media: {who}" in l and " connected from " in l]
        assert lines, log[-3000:]
        # (An IPv4 peer on a dual-stack socket may be written as v4-mapped IPv6; "via" names our local address.)
        latched = re.escape(coturn.host)
        assert re.search(rf"connected from (?:{latched}|\[::ffff:{latched}\]):{st['local']['port']}(?: via \S+)?$", lines[-1]), (lines, st)
    assert s["pub"]["framesEncoded"] > 0
    tcp_new = tcp_clients(coturn) - tcp_before
    assert tcp_new >= 2 if transport == "tcp" else tcp_new == 0, f"{tcp_new} TCP connections to coturn over {transport}"
    allocated = [a["username"] for a in coturn.allocations()]
    assert allocated.count(username) >= 2, f"{username} not in {allocated}"


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_aiortc_publishes_and_views_relay_only(coturn, transport):
    """aiortc (aioice's own TURN client) relay-only, with the servers from /rtc-api/iceServers."""
    import asyncio

    from aiortc import RTCConfiguration, RTCIceServer
    from aiortc.rtcconfiguration import RTCIceTransportPolicy

    from aiortc_peer import PatternVideoTrack, Peer, ToneAudioTrack, allow_loopback
    from e2elib import Api

    allow_loopback()
    server = turn_server(coturn, f"turn-aiortc-{transport}", [transport])
    tcp_before = tcp_clients(coturn)
    try:
        token = fetch_token(server.base)
        servers = ice_servers(server, token)
        config = RTCConfiguration(iceServers=[RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
                                              for s in servers if any(u.startswith("turn:") for u in s["urls"])],
                                  iceTransportPolicy=RTCIceTransportPolicy.RELAY)
        api = Api(server.base, token)
        cid = api.new_conference()
        api.join(cid, "pub")
        api.join(cid, "viewer")

        async def run():
            pub = Peer(api, cid, "pub", configuration=config)
            viewer = Peer(api, cid, "viewer", configuration=config)
            try:
                await pub.publish(video=PatternVideoTrack(), audio=ToneAudioTrack())
                await pub.wait_connected(15)
                await viewer.view(pub.stream_id)
                await viewer.wait_connected(15)
                deadline = time.monotonic() + 20
                while len(viewer.video_frames) < 20 or len(viewer.audio_frames) < 50:
                    assert time.monotonic() < deadline, f"frames {len(viewer.video_frames)}, audio {len(viewer.audio_frames)}\n{viewer.describe()}"
                    await asyncio.sleep(0.2)
                pairs = []
                for p in (pub, viewer):
                    ice = p.dtls_transports()[0].transport
                    pair = ice._connection._nominated.get(1)
                    pairs.append((pair.local_candidate.type, pair.local_candidate.host, pair.local_candidate.port,
                                  pair.remote_candidate.host))
                return pairs, {c.type for p in (pub, viewer) for c in p.dtls_transports()[0].transport.iceGatherer.getLocalCandidates()}
            finally:
                await pub.close()
                await viewer.close()

        pairs, gathered = asyncio.run(run())
        time.sleep(0.3)
        log = server.log_text()
    finally:
        server.kill()
    assert gathered == {"relay"}, gathered
    tcp_new = tcp_clients(coturn) - tcp_before
    assert tcp_new >= 2 if transport == "tcp" else tcp_new == 0, f"{tcp_new} TCP connections to coturn over {transport}"
    for local_type, host, port, remote in pairs:
        assert (local_type, host, remote) == ("relay", coturn.host, "127.0.0.1"), pairs
        assert re.search(rf"connected from (?:{re.escape(host)}|\[::ffff:{re.escape(host)}\]):{port}(?: via \S+)?$", log, re.M), (pairs, log[-3000:])


@pytest.mark.parametrize("args, message", [
    (["--ice-server", "turn:127.0.0.2:3478"], "needs credentials"),
    (["--ice-server", "turn://127.0.0.2"], "without '//'"),
    (["--ice-server", "stun:127.0.0.2?transport=udp"], "takes no query"),
    (["--ice-server", "turn:127.0.0.2", "--turn-secret", "topsecret-xyz", "--ice-server-username", "u", "--ice-server-credential", "p"], "exclude each other"),
    (["--ice-server", "turn:127.0.0.2", "--turn-secret", "topsecret-xyz", "--turn-credential-ttl", "5"], "from 60 to"),
    (["--ice-server", "turn:127.0.0.2", "--ice-server-username", "u"], "must both be set"),
])
def test_bad_ice_server_configuration_stops_the_server(args, message):
    from e2elib import sfu_binary
    p = subprocess.run([str(sfu_binary()), "--media", "off", "--records", "off", "--prerecordings", "off", "--port", "0", *args],
                       capture_output=True, text=True, timeout=20, cwd=tempfile.mkdtemp(prefix="sfu-turn-cfg-"))
    assert p.returncode == 2 and message in p.stderr, (p.returncode, p.stderr)
    assert "topsecret-xyz" not in p.stderr + p.stdout, "the TURN secret must never be printed"


def test_demo_page_relay_only_publishes_and_views_through_turn(coturn, browser):
    """The demo page with "Relay only" ticked: Ada publishes, Bob views, both through coturn;
    the page logs the ICE servers it got and the server latches the relay's address."""
    import urllib.parse
    server = turn_server(coturn, "turn-demo", ["udp"])
    cid = uid("turn-demo")
    index = (WEB / "index.html").as_uri()

    def open_demo(name: str):
        q = urllib.parse.urlencode({"server": server.base, "conference": cid, "name": name})
        page = browser.open(index + "?" + q)
        page.eval(f"""(() => {{
            document.getElementById('clientId').value = {json.dumps(SVC_ID)};
            document.getElementById('clientSecret').value = {json.dumps(SVC_SECRET)};
            document.getElementById('relay').checked = true;
            document.getElementById('join').click(); return true; }})()""")
        page.wait("demo.joined && demo.log.some(l => l.startsWith('ICE servers: '))", timeout=10)
        return page

    try:
        ada = open_demo("Ada")
        bob = open_demo("Bob")
        logged = ada.eval("demo.log.find(l => l.startsWith('ICE servers: '))")
        ada.eval("document.getElementById('publish').click(), true")
        bob.wait("document.querySelectorAll('.tile:not(.local)').length === 1", timeout=15)
        bob.wait("(() => { const v = document.querySelector('.tile:not(.local) video'); return v && v.videoWidth > 0; })()", timeout=15)
        time.sleep(0.5)
        log = server.log_text()
    finally:
        server.kill()
    assert logged == f"ICE servers: stun:{coturn.host}:{coturn.port}, {coturn.url('udp')}", logged
    latched = [l for l in log.splitlines() if " connected from " in l]
    assert len(latched) >= 2 and all(re.search(rf"connected from (?:{re.escape(coturn.host)}|\[::ffff:{re.escape(coturn.host)}\]):\d+", l)
                                      for l in latched), latched
