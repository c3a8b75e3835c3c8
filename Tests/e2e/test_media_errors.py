"""Media-path errors that need a real peer or real packets (issue 3 §8):

- a DTLS client whose certificate does not match the offer's
  `a=fingerprint` fails the transport, and the API reports it (the
  publisher's endpoint turns SICK, with a ConferenceParticipantStateChangedEvent);
- a STUN Binding request with a bad MESSAGE-INTEGRITY, sent with a raw UDP
  socket to the server's media port, gets no answer, while the same request
  with the right key (ICE ufrag/pwd of the SDP answer) gets a Binding
  Success response (checked for integrity, fingerprint and
  XOR-MAPPED-ADDRESS).

(Malformed SDP → 400 is covered by test_conference_api.py.) Runs in a
network namespace with only `lo` (scripts/test.sh)."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import socket
import struct
import time
import zlib

from aiortc_peer import PatternVideoTrack, Peer, ToneAudioTrack, allow_loopback
from e2elib import Api, load_offer, poll


# ------------------------------------------------------------------ DTLS

def wrong_fingerprints(sdp: str) -> str:
    """Every `a=fingerprint` with its first byte changed: the server will expect another certificate."""
    def flip(m: re.Match) -> str:
        first = int(m.group(2), 16) ^ 0xFF
        return f"{m.group(1)}{first:02X}"
    out, n = re.subn(r"(a=fingerprint:\S+ )([0-9A-Fa-f]{2})", flip, sdp)
    assert n > 0, sdp
    return out


def test_dtls_with_wrong_fingerprint_fails_transport_and_endpoint_turns_sick(api: Api, server):
    allow_loopback()
    cid = api.new_conference()
    api.join(cid, "publisher")
    v0 = api.version(cid)

    async def run():
        pub = Peer(api, cid, "publisher")
        try:
            await pub.publish(video=PatternVideoTrack(), audio=ToneAudioTrack(), mangle=wrong_fingerprints)
            # ICE works (the credentials are right); the DTLS handshake must not.
            deadline = time.monotonic() + 10
            while pub.pc.connectionState not in ("failed", "closed") and time.monotonic() < deadline:
                if pub.pc.connectionState == "connected":
                    raise AssertionError(f"DTLS connected despite the wrong fingerprint\n{pub.describe()}")
                await asyncio.sleep(0.1)
            return pub.pc.connectionState, pub.pc.iceConnectionState, [t.state for t in pub.dtls_transports()]
        finally:
            await pub.close()

    conn, ice, dtls = asyncio.run(run())
    # The server's side: the endpoint is reported SICK, with its event.
    def sick():
        conf = api.conference(cid)
        state = {p["id"]: p["state"] for p in conf["participants"]}.get("publisher")
        return state == "SICK" and conf
    poll(sick, timeout=10, what="publisher SICK in GET conference")
    events = api.events(cid, v=v0)
    changed = [e for e in events if e["type"] == "ConferenceParticipantStateChangedEvent"]
    assert changed and changed[-1]["userEndpointId"] == "publisher" and changed[-1]["state"] == "SICK", events
    # Never HEALTHY in between: the transport never carried media.
    assert all(e["state"] == "SICK" for e in changed), changed
    # aiortc's own view of the failed handshake (for the record).
    assert dtls and all(s in ("failed", "closed", "connecting") for s in dtls), (conn, ice, dtls)


# ------------------------------------------------------------------ STUN

MAGIC = 0x2112A442
BINDING_REQUEST, BINDING_SUCCESS = 0x0001, 0x0101
USERNAME, MESSAGE_INTEGRITY, XOR_MAPPED_ADDRESS = 0x0006, 0x0008, 0x0020
PRIORITY, ICE_CONTROLLING, FINGERPRINT = 0x0024, 0x802A, 0x8028


def _attr(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + bytes(-len(value) % 4)


def stun_request(username: str, key: bytes, txid: bytes) -> bytes:
    """A Binding request as a controlling ICE agent sends it (RFC 8445 §7.2.2), MESSAGE-INTEGRITY + FINGERPRINT."""
    body = (_attr(USERNAME, username.encode()) + _attr(PRIORITY, struct.pack("!I", 0x6E7F1EFF))
            + _attr(ICE_CONTROLLING, os.urandom(8)))
    return _seal(BINDING_REQUEST, body, key, txid)


def _seal(msg_type: int, body: bytes, key: bytes, txid: bytes) -> bytes:
    # MESSAGE-INTEGRITY: HMAC-SHA1 over the message with the length counting it (RFC 8489 §14.5).
    head = struct.pack("!HHI", msg_type, len(body) + 24, MAGIC) + txid
    mac = hmac.new(key, head + body, hashlib.sha1).digest()
    body += _attr(MESSAGE_INTEGRITY, mac)
    # FINGERPRINT: CRC-32 XOR 0x5354554E with the length counting it (§14.7).
    head = struct.pack("!HHI", msg_type, len(body) + 8, MAGIC) + txid
    crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
    return head + body + _attr(FINGERPRINT, struct.pack("!I", crc))


def parse_stun(data: bytes) -> tuple[int, bytes, list[tuple[int, bytes, int]]]:
    """(type, transaction id, [(attribute, value, offset of the attribute)])."""
    msg_type, length, magic = struct.unpack("!HHI", data[:8])
    assert magic == MAGIC and length + 20 == len(data), data.hex()
    attrs, off = [], 20
    while off < len(data):
        kind, n = struct.unpack("!HH", data[off:off + 4])
        attrs.append((kind, data[off + 4:off + 4 + n], off))
        off += 4 + n + (-n % 4)
    return msg_type, data[8:20], attrs


def verify_response(data: bytes, key: bytes) -> dict:
    msg_type, txid, attrs = parse_stun(data)
    found = {k: (v, off) for k, v, off in attrs}
    fp, fp_off = found[FINGERPRINT]
    head = data[:2] + struct.pack("!H", fp_off + 8 - 20) + data[4:fp_off]
    assert struct.unpack("!I", fp)[0] == (zlib.crc32(head) ^ 0x5354554E) & 0xFFFFFFFF, "bad FINGERPRINT"
    mi, mi_off = found[MESSAGE_INTEGRITY]
    head = data[:2] + struct.pack("!H", mi_off + 24 - 20) + data[4:mi_off]
    assert hmac.compare_digest(mi, hmac.new(key, head, hashlib.sha1).digest()), "bad MESSAGE-INTEGRITY"
    xma = found[XOR_MAPPED_ADDRESS][0]
    family, xport = struct.unpack("!xBH", xma[:4])
    assert family == 1, xma.hex()
    ip = socket.inet_ntoa(struct.pack("!I", struct.unpack("!I", xma[4:8])[0] ^ MAGIC))
    return {"type": msg_type, "txid": txid, "mapped": (ip, xport ^ (MAGIC >> 16))}


def sdp_attr(sdp: str, name: str) -> str:
    m = re.search(rf"^a={name}:(\S+)", sdp, re.M)
    assert m, f"no a={name} in\n{sdp}"
    return m.group(1)


def media_port(server) -> int:
    m = re.search(r"media: \d+ worker\(s\) on UDP (\d+)", server.log_text())
    assert m, server.log_tail()
    return int(m.group(1))


def recv_or_none(sock: socket.socket, timeout: float) -> bytes | None:
    sock.settimeout(timeout)
    try:
        return sock.recv(2048)
    except socket.timeout:
        return None


def test_stun_with_bad_integrity_is_ignored_and_good_one_answered(api: Api, server):
    cid = api.new_conference()
    api.join(cid, "publisher")
    offer = load_offer()
    r = api.post("publishStream", {"conferenceId": cid, "userEndpointId": "publisher",
                                   "conferenceStreamType": "MIC_AND_CAM", "sdpOffer": offer})
    assert r.status_code == 200, r.text
    answer = r.json()["sdpAnswer"]
    local_ufrag, local_pwd = sdp_attr(answer, "ice-ufrag"), sdp_attr(answer, "ice-pwd")
    username = f"{local_ufrag}:{sdp_attr(offer, 'ice-ufrag')}"
    port = media_port(server)
    assert f"127.0.0.1 {port} typ host" in answer, answer

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.connect(("127.0.0.1", port))
        # Bad integrity: the right USERNAME, a MESSAGE-INTEGRITY keyed with another password.
        for key in (b"not-the-password-at-all", local_pwd.encode()[:-1] + b"x"):
            s.send(stun_request(username, key, os.urandom(12)))
        # Sanity: a well-formed request with a FINGERPRINT that does not match is not answered either.
        broken = bytearray(stun_request(username, local_pwd.encode(), os.urandom(12)))
        broken[-1] ^= 0x01
        s.send(bytes(broken))
        got = recv_or_none(s, 1.5)
        assert got is None, f"answered a request with bad integrity: {got.hex()}"
        # The right key: a Binding success response for our transaction, signed with the same key.
        txid = os.urandom(12)
        s.send(stun_request(username, local_pwd.encode(), txid))
        got = recv_or_none(s, 3.0)
        assert got is not None, f"no answer to a valid Binding request\n{server.log_tail()}"
        res = verify_response(got, local_pwd.encode())
        assert res["type"] == BINDING_SUCCESS and res["txid"] == txid, res
        assert res["mapped"] == s.getsockname(), res
