"""Symmetric addressing on hosts shaped like the field (issue 10, part 1).

The test moves into a network namespace of its own (netns.NetNamespace) with
a veth device carrying two IPv4 addresses and two IPv6 ULA addresses, and a
second veth device with a third IPv4 address. The server binds its media
port to every address (dual stack) and announces one of them; the client
sits on another. RFC 8445 §7.2.5.2.1 requires every reply to leave from the
address the request was sent to: a server that lets the kernel choose the
source answers a request sent to 198.18.0.1 from 198.18.0.2 (the route to a
local client), and strict stacks (pion, libwebrtc) drop such responses.

- `test_stun_reply_leaves_from_the_address_it_was_sent_to`: a raw UDP socket
  sends a valid, authenticated STUN Binding request and checks the source of
  the response, for each scenario (this fails on the code before IP_PKTINFO:
  the reply came from the client's own address).
- aiortc, pion (Debian's Go package, Tests/e2e/pion) and Chromium publish and
  view through a server announcing one address while the client uses another,
  over IPv4 on one device, across two devices, over an IPv6 ULA and (aiortc)
  over ::1.
- `--media-listen` binds only the given addresses and announces exactly them.
"""
from __future__ import annotations

import asyncio
import binascii
import hashlib
import hmac
import json
import os
import re
import socket
import struct
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from aiortc import RTCPeerConnection, RTCConfiguration
from aiortc_peer import PatternVideoTrack, Peer, ToneAudioTrack, allow_loopback, gather_only
from cdp import Chromium
from e2elib import SVC_ID, SVC_SECRET, Api, SfuServer, fetch_token
from netns import NetNamespace
from pionlib import PionPeer, build_pion, media_files

# 198.18.0.0/15 is the benchmarking range (RFC 2544): it exists only inside this namespace.
A1, A2 = "198.18.0.1", "198.18.0.2"      # two addresses on device mh0
B1 = "198.19.0.1"                        # a third address, on device mh1
U1, U2 = "fd00:5f::1", "fd00:5f::2"      # IPv6 unique local addresses on mh0

# name: (the address the server announces, the address the client uses)
SCENARIOS = {
    "two-addresses-one-device": (A2, A1),   # the secondary address announced; the kernel would answer from the primary
    "second-device": (B1, A2),
    "ipv6-ula": (U1, U2),
    "ipv6-loopback": ("::1", "::1"),
}


@pytest.fixture(scope="module")
def netns():
    with NetNamespace() as ns:
        ns.veth("mh0", f"{A1}/24", f"{A2}/24", f"{U1}/64", f"{U2}/64")
        ns.veth("mh1", f"{B1}/24")
        yield ns
    allow_loopback()


@pytest.fixture(scope="module")
def pion_bin():
    return build_pion()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return media_files(tmp_path_factory.mktemp("pion-media"))


class Started:
    def __init__(self, *args: str):
        self.server = SfuServer("multihomed", args)

    def __enter__(self):
        self.server.start()
        self.api = Api(self.server.base, fetch_token(self.server.base))
        return self

    def __exit__(self, *exc):
        self.server.kill()


def media_port(answer: str) -> int:
    return int(re.search(r"a=candidate:\S+ 1 udp \d+ \S+ (\d+) typ host", answer).group(1))


def candidates(answer: str) -> list[tuple[str, str, int]]:
    return [(m.group(1).lower(), m.group(2), int(m.group(3)))
            for m in re.finditer(r"a=candidate:\S+ 1 (\w+) \d+ (\S+) (\d+) typ host", answer.split("m=", 2)[1])]


# ---------------------------------------------------------------- raw STUN

def stun_binding_request(username: str, password: str) -> tuple[bytes, bytes]:
    """An ICE connectivity check (RFC 8445 §7.1.2): USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY, FINGERPRINT."""
    txid = os.urandom(12)

    def attr(t: int, v: bytes) -> bytes:
        return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)

    body = attr(0x0006, username.encode()) + attr(0x0024, struct.pack("!I", 0x6E7F00FF)) + attr(0x802A, os.urandom(8))
    # MESSAGE-INTEGRITY covers the header with the length up to and including itself (RFC 5389 §15.4).
    head = struct.pack("!HHI", 0x0001, len(body) + 24, 0x2112A442) + txid
    mac = hmac.new(password.encode(), head + body, hashlib.sha1).digest()
    body += attr(0x0008, mac)
    head = struct.pack("!HHI", 0x0001, len(body) + 8, 0x2112A442) + txid
    crc = (binascii.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
    body += attr(0x8028, struct.pack("!I", crc))
    return head + body, txid


def publish_offer_only(api: Api, cid: str, client_ip: str) -> tuple[str, str]:
    """Publishes with an aiortc offer whose connection is never used; returns (offer, answer)."""
    gather_only(client_ip)

    async def run():
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(ToneAudioTrack())
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        await pc.close()
        return offer
    offer = asyncio.run(run())
    r = api.post("publishStream", {"conferenceId": cid, "userEndpointId": "raw", "conferenceStreamType": "MIC_AND_CAM",
                                    "sdpOffer": offer})
    assert r.status_code == 200, r.text
    return offer, r.json()["sdpAnswer"]


def stun_reply_source(server_ip: str, client_ip: str, answer: str, offer: str) -> tuple[tuple, bytes, bytes]:
    ufrag = re.search(r"a=ice-ufrag:(\S+)", answer).group(1)
    pwd = re.search(r"a=ice-pwd:(\S+)", answer).group(1)
    remote = re.search(r"a=ice-ufrag:(\S+)", offer).group(1)
    request, txid = stun_binding_request(f"{ufrag}:{remote}", pwd)
    family = socket.AF_INET6 if ":" in client_ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((client_ip, 0))
        s.settimeout(3)
        s.sendto(request, (server_ip, media_port(answer)))
        data, source = s.recvfrom(2048)
    return source, data, txid


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_stun_reply_leaves_from_the_address_it_was_sent_to(netns, scenario):
    server_ip, client_ip = SCENARIOS[scenario]
    with Started("--announce-ip", server_ip) as s:
        cid = s.api.new_conference()
        s.api.join(cid, "raw")
        offer, answer = publish_offer_only(s.api, cid, client_ip)
        assert [c[1] for c in candidates(answer) if c[0] == "udp"] == [server_ip], answer
        source, data, txid = stun_reply_source(server_ip, client_ip, answer, offer)
    msg_type, = struct.unpack("!H", data[:2])
    assert msg_type == 0x0101 and data[8:20] == txid, f"not a Binding success response to our request: {data[:20].hex()}"
    assert (source[0], source[1]) == (server_ip, media_port(answer)), \
        f"the response to a request sent to {server_ip}:{media_port(answer)} came from {source[0]}:{source[1]}"


def test_media_listen_binds_only_the_given_addresses(netns):
    with Started("--media-listen", A1, "--media-listen", U1) as s:
        cid = s.api.new_conference()
        s.api.join(cid, "raw")
        offer, answer = publish_offer_only(s.api, cid, A2)
        # Announced: exactly the listened addresses, in order.
        assert [c[1] for c in candidates(answer) if c[0] == "udp"] == [A1, U1], answer
        for server_ip, client_ip in ((A1, A2), (U1, U2)):
            source, data, _ = stun_reply_source(server_ip, client_ip, answer, offer)
            assert (source[0], source[1]) == (server_ip, media_port(answer))
        # The same port on an address not listened on: nothing answers.
        with pytest.raises((socket.timeout, ConnectionRefusedError)):
            stun_reply_source(A2, A2, answer, offer)


# ---------------------------------------------------------------- aiortc

@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_aiortc_publishes_and_views(netns, scenario):
    server_ip, client_ip = SCENARIOS[scenario]
    gather_only(client_ip)
    with Started("--announce-ip", server_ip) as s:
        cid = s.api.new_conference()
        for ep in ("publisher", "viewer"):
            s.api.join(cid, ep)

        async def run():
            pub, view = Peer(s.api, cid, "publisher"), Peer(s.api, cid, "viewer")
            try:
                await pub.publish(video=PatternVideoTrack(), audio=ToneAudioTrack())
                await pub.wait_connected()
                await view.view(pub.stream_id)
                await view.wait_connected()
                deadline = time.monotonic() + 10
                while (len(view.video_frames) < 30 or len(view.audio_frames) < 50) and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                return len(view.video_frames), len(view.audio_frames), view.describe()
            finally:
                await pub.close()
                await view.close()

        frames, audio, desc = asyncio.run(run())
    assert frames >= 30 and audio >= 50, f"{frames} video, {audio} audio frames\n{desc}"


# ---------------------------------------------------------------- pion

# Not ::1: this pion (ice v2) refuses to gather any address whose first 12 bytes are zero
# (it takes them for deprecated IPv4-compatible addresses), so it has no ::1 candidate at all.
@pytest.mark.parametrize("scenario", ["two-addresses-one-device", "second-device", "ipv6-ula"])
def test_pion_publishes_and_views(netns, pion_bin, media, scenario):
    server_ip, client_ip = SCENARIOS[scenario]
    ivf, ogg = media
    with Started("--announce-ip", server_ip) as s:
        cid = s.api.new_conference()
        for ep in ("publisher", "viewer"):
            s.api.join(cid, ep)
        pub = PionPeer(s.api, cid, "publisher", client_ip, seconds=8)
        view = PionPeer(s.api, cid, "viewer", client_ip, seconds=4)
        try:
            stream = pub.publish(ivf, ogg)
            time.sleep(1.0)
            view.view(stream)
            v = view.result()
            p = pub.result()
        finally:
            pub.kill()
            view.kill()
    report = json.dumps({k: v[k] for k in v if not k.startswith("_")}) + "\n" + v["_stderr"] + "\n" + json.dumps(p)
    assert p.get("connected") and v.get("connected"), report
    # 4 s at 30 fps of VP8 (several packets per frame) and 50 Opus packets/s.
    assert v["videoPackets"] >= 100 and v["audioPackets"] >= 100 and v["videoKeyframes"] >= 1, report


# ---------------------------------------------------------------- Chromium

def js(v) -> str:
    return json.dumps(v)


@pytest.mark.parametrize("scenario", ["two-addresses-one-device", "second-device", "ipv6-ula"])
def test_chromium_publishes_and_views(netns, scenario):
    server_ip, _ = SCENARIOS[scenario]
    with Started("--announce-ip", server_ip) as s, Chromium() as browser:
        page_path = Path(tempfile.mkdtemp(prefix="sfu-mh-")) / "page.html"
        page_path.write_text(f'<!doctype html><meta charset="utf-8"><script src="{s.server.base}/client.js"></script>')
        client = (f"new SfuClient({{baseUrl: {js(s.server.base)}, getToken: () => SfuClient.fetchToken("
                  f"{{baseUrl: {js(s.server.base)}, clientId: {js(SVC_ID)}, clientSecret: {js(SVC_SECRET)}}})}})")
        cid = "mh-" + uuid.uuid4().hex[:8]
        pub, view = browser.open(page_path.as_uri()), browser.open(page_path.as_uri())
        stream_id = pub.eval(f"""(async () => {{
            window.client = {client};
            await client.create({{conferenceId: {js(cid)}}});
            await client.join({{conferenceId: {js(cid)}, userEndpointId: 'publisher'}});
            const stream = await navigator.mediaDevices.getUserMedia({{audio: true, video: true}});
            window.pub = await client.publish({{conferenceId: {js(cid)}, userEndpointId: 'publisher', stream, type: 'MIC_AND_CAM'}});
            return window.pub.streamId;
        }})()""", timeout=30)
        view.eval(f"""(async () => {{
            window.client = {client};
            await client.join({{conferenceId: {js(cid)}, userEndpointId: 'viewer'}});
            window.sub = await client.view({{conferenceId: {js(cid)}, userEndpointId: 'viewer', streamId: {js(stream_id)}}});
            return true;
        }})()""", timeout=30)
        deadline = time.monotonic() + 20
        stats = {}
        while time.monotonic() < deadline:
            stats = view.eval("(async () => await window.sub.stats())()", timeout=10)
            if stats["video"]["framesDecoded"] >= 40 and stats["audio"]["packetsReceived"] >= 100:
                break
            time.sleep(0.5)
        pair = view.eval("""(async () => {
            const r = await window.sub.pc.getStats();
            for (const s of r.values()) if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
                const l = r.get(s.localCandidateId), rc = r.get(s.remoteCandidateId);
                return l.address + ' -> ' + rc.address + ':' + rc.port;
            }
            return null;
        })()""", timeout=10)
    assert stats["video"]["framesDecoded"] >= 40 and stats["audio"]["packetsReceived"] >= 100, (stats, browser.console_text())
    assert pair and pair.split(" -> ")[1].rsplit(":", 1)[0] == server_ip, pair
