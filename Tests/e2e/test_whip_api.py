"""WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) over HTTP, without media:
the resource model (201 + Location + ETag, PATCH trickle 204, ICE restart 200
with a new fragment and ETag, DELETE 200 then 404), OPTIONS and CORS, the
error paths (415, 400 with the reason, 404, 401, 403, 412), tokens (SERVICE,
or a participant only as its own user), conferences created on first publish
only with --whip-create-conferences, and what the Conference API shows of a
WHIP/WHEP session (participant, stream, viewer, events, /metrics by face).
The offers are a captured Chromium offer (fixtures/chrome_offer.sdp); media
through these faces is proven in test_whip_media.py and test_whip_chromium.py."""
from __future__ import annotations

import re
import time

import pytest
import requests

from e2elib import Api, SfuServer, assert_error, fetch_token, load_offer, make_jwt, poll, uid
from whip_client import FRAG, WhipSession


@pytest.fixture(scope="module")
def creating():
    """A server that creates conferences on a SERVICE token's first WHIP publish,
    with a STUN and a TURN server for its clients (coturn-style shared secret)."""
    s = SfuServer("whip-create", ["--whip-create-conferences", "on", "--ice-server", "stun:127.0.0.1:3478",
                                  "--ice-server", "turn:127.0.0.1:3478?transport=udp", "--turn-secret", "whip-turn-secret"]).start()
    yield s
    s.kill()


def whip(base: str, cid: str, token: str | None) -> WhipSession:
    return WhipSession(f"{base}/whip/{cid}", token)


def ufrag_pwd(sdp: str) -> tuple[str, str]:
    return re.search(r"a=ice-ufrag:(\S+)", sdp).group(1), re.search(r"a=ice-pwd:(\S+)", sdp).group(1)


def trickle(sdp: str, port: int = 50000) -> str:
    u, p = ufrag_pwd(sdp)
    return (f"a=ice-ufrag:{u}\r\na=ice-pwd:{p}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
            f"a=candidate:1 1 udp 2130706431 127.0.0.1 {port} typ host\r\na=end-of-candidates\r\n")


def metric(base: str, line_prefix: str) -> float:
    for l in requests.get(f"{base}/metrics", timeout=5).text.splitlines():
        if l.startswith(line_prefix + " "):
            return float(l.split()[-1])
    return 0.0


def test_whip_resource_model_and_conference_view(api: Api, server, svc_token):
    cid = api.new_conference()
    v0 = api.version(cid)
    offer = load_offer("sendonly")
    s = whip(server.base, cid, svc_token)
    r = s.post(offer)
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"].startswith("application/sdp")
    assert "a=ice-lite" in r.text and "a=fingerprint:sha-256" in r.text and "a=candidate:" in r.text, r.text
    assert re.fullmatch(rf"/whip/{cid}/sessions/[0-9a-f-]{{36}}", r.headers["Location"]), r.headers["Location"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', r.headers["ETag"]), r.headers["ETag"]
    assert r.headers["Accept-Patch"] == FRAG

    # The Conference API sees a participant publishing one stream, with its events.
    conf = api.conference(cid)
    [p] = conf["participants"]
    assert p["id"].startswith("whip-") and p["metadata"] == {"face": "whip"} and len(p["streams"]) == 1, conf
    assert p["streams"][0]["type"] == "MIC_AND_CAM"
    simple = api.get(f"{cid}/simpleView").json()
    assert simple["participants"][0]["endpoints"][0]["id"] == p["id"], simple
    types = [e["type"] for e in api.events(cid, v=v0)]
    assert types == ["ConferenceParticipantJoinedEvent", "ConferenceStreamPublishedEvent"], types

    # Trickle: 204; a stale or unknown If-Match: 412; a fragment of another ICE session: 422.
    assert s.patch(trickle(offer)).status_code == 204
    assert_error(s.patch(trickle(offer), if_match='"0123456789abcdef0123456789abcdef"'), 412, "PRECONDITION_FAILED")
    u, p_ = ufrag_pwd(offer)
    assert_error(s.patch(trickle(offer).replace(u, "otherufrag")), 422, "UFRAG_MISMATCH")
    assert_error(s.patch(trickle(offer), content_type="application/sdp"), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_error(s.patch("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"), 400, "INVALID_FRAGMENT")

    # ICE restart: If-Match *, the client's new credentials, 200 with ours and a new ETag.
    old_tag = s.etag
    old_ufrag = ufrag_pwd(s.answer)[0]
    restart = "a=ice-ufrag:R3st\r\na=ice-pwd:restartpasswordrestart1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
    rr = s.patch(restart, if_match="*")
    assert rr.status_code == 200, rr.text
    assert rr.headers["Content-Type"] == FRAG
    new_tag = rr.headers["ETag"]
    assert new_tag != old_tag
    frag = rr.text
    assert "a=ice-lite" in frag and "a=end-of-candidates" in frag and "a=candidate:" in frag and "a=mid:0" in frag, frag
    new_ufrag = re.search(r"a=ice-ufrag:(\S+)", frag).group(1)
    assert new_ufrag != old_ufrag, frag
    assert not frag.startswith("v=") and "o=" not in frag, frag
    # The old ETag is stale now; the new one trickles the new ICE session.
    s.etag = old_tag
    assert_error(s.patch(trickle(offer)), 412)
    s.etag = new_tag
    assert s.patch(trickle(restart)).status_code == 204
    assert len(api.conference(cid)["participants"][0]["streams"]) == 1        # a restart, not a republish

    # DELETE unpublishes and leaves; a second DELETE is 404, so is a PATCH.
    assert s.delete().status_code == 200
    assert api.conference(cid)["participants"] == []
    types = [e["type"] for e in api.events(cid, v=v0)]
    assert types[-2:] == ["ConferenceStreamUnpublishedEvent", "ConferenceParticipantLeftEvent"], types
    assert_error(s.delete(), 404, "SESSION_NOT_FOUND")
    assert_error(s.patch(trickle(offer)), 404, "SESSION_NOT_FOUND")


def test_whep_plays_a_stream_and_the_conference_level_url_picks_one(api: Api, server, svc_token):
    cid = api.new_conference()
    pub = whip(server.base, cid, svc_token)
    assert pub.post(load_offer("sendonly")).status_code == 201
    stream = api.conference(cid)["participants"][0]["streams"][0]["id"]["id"]
    viewers = []
    for url in (f"{server.base}/whep/{cid}/{stream}", f"{server.base}/whep/{cid}"):
        v = WhipSession(url, svc_token)
        r = v.post(load_offer("recvonly"))
        assert r.status_code == 201, r.text
        assert re.fullmatch(rf"/whep/{cid}/sessions/[0-9a-f-]{{36}}", r.headers["Location"])
        assert "a=sendonly" in r.text and "a=ssrc:" in r.text, r.text
        viewers.append(v)
    conf = api.conference(cid)
    whep = [p for p in conf["participants"] if p["id"].startswith("whep-")]
    assert len(whep) == 2 and all(p["metadata"] == {"face": "whep"} and p["streams"] == [] for p in whep), conf
    # Sessions by face on /metrics (the gauge is refreshed once a second).
    poll(lambda: metric(server.base, 'sfu_media_sessions{face="whep"}') >= 2, timeout=5, what="whep sessions gauge")
    assert metric(server.base, 'sfu_media_sessions{face="whip"}') >= 1
    assert metric(server.base, 'sfu_media_sessions_total{face="whep",kind="view"}') >= 2
    assert metric(server.base, 'sfu_media_sessions_total{face="whip",kind="publish"}') >= 1
    # Trickle and DELETE on a WHEP session; the viewer's events are there.
    v0 = api.version(cid)
    assert viewers[0].patch(trickle(load_offer("recvonly"))).status_code == 204
    assert viewers[0].delete().status_code == 200
    assert_error(viewers[0].delete(), 404)
    types = [e["type"] for e in api.events(cid, v=v0)]
    assert types == ["ConferenceStreamViewStoppedEvent", "ConferenceParticipantLeftEvent"], types
    # When the publisher goes, its players' sessions end and their endpoints leave.
    assert pub.delete().status_code == 200
    poll(lambda: api.conference(cid)["participants"] == [], timeout=5, what="WHEP endpoint gone with its stream")
    assert_error(viewers[1].delete(), 404, "SESSION_NOT_FOUND")
    # A stream or conference that does not exist.
    assert_error(WhipSession(f"{server.base}/whep/{cid}/no-such-stream", svc_token).post(load_offer("recvonly")), 404, "STREAM_NOT_FOUND")
    assert_error(WhipSession(f"{server.base}/whep/{cid}", svc_token).post(load_offer("recvonly")), 404, "STREAM_NOT_FOUND")
    assert_error(WhipSession(f"{server.base}/whep/{uid('nope')}/x", svc_token).post(load_offer("recvonly")), 404, "CONFERENCE_NOT_FOUND")


def test_error_paths(api: Api, server, svc_token):
    cid = api.new_conference()
    offer = load_offer("sendonly")
    url = f"{server.base}/whip/{cid}"
    h = {"Authorization": f"Bearer {svc_token}"}
    # 415: not application/sdp (the answer says what is accepted).
    r = requests.post(url, data=offer, headers=dict(h, **{"Content-Type": "application/json"}), timeout=10)
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert r.headers["Accept-Post"] == "application/sdp"
    # 400 with the reason: malformed SDP names the line; an offer we cannot accept says why.
    r = requests.post(url, data="v=0\r\nthis is not sdp\r\n", headers=dict(h, **{"Content-Type": "application/sdp"}), timeout=10)
    body = assert_error(r, 400, "INVALID_SDP")
    assert "line 2" in body["message"], body
    r = requests.post(url, data=re.sub(r"a=fingerprint:.*\r?\n", "", offer), headers=dict(h, **{"Content-Type": "application/sdp"}), timeout=10)
    assert "fingerprint" in assert_error(r, 400, "INVALID_SDP")["message"]
    assert_error(requests.post(url, data=b"", headers=dict(h, **{"Content-Type": "application/sdp"}), timeout=10), 400, "INVALID_SDP")
    # 404: unknown conference (no creation without the option), unknown session.
    assert_error(whip(server.base, uid("nope"), svc_token).post(offer), 404, "CONFERENCE_NOT_FOUND")
    r = requests.patch(f"{url}/sessions/00000000-0000-0000-0000-000000000000", data="a=mid:0\r\n",
                       headers=dict(h, **{"Content-Type": FRAG}), timeout=10)
    assert_error(r, 404, "SESSION_NOT_FOUND")
    assert_error(requests.post(f"{server.base}/whip/{cid}/extra/parts/here", headers=h, timeout=10), 404)
    # 401: no token, a token signed with another key, an expired one.
    assert_error(whip(server.base, cid, None).post(offer), 401, "UNAUTHORIZED")
    forged = make_jwt({"alg": "HS256", "typ": "JWT"}, {"sub": "svc", "roles": ["SERVICE"], "exp": int(time.time()) + 600}, secret="wrong-secret-wrong")
    r = whip(server.base, cid, forged).post(offer)
    assert_error(r, 401, "UNAUTHORIZED")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    expired = make_jwt({"alg": "HS256", "typ": "JWT"}, {"sub": "svc", "roles": ["SERVICE"], "exp": int(time.time()) - 600})
    assert_error(whip(server.base, cid, expired).post(offer), 401)
    # 405 with Allow on the wrong method.
    r = requests.get(url, headers=h, timeout=10)
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers["Allow"] == "POST, OPTIONS"
    # Nothing was joined by any of these.
    assert api.conference(cid)["participants"] == []


def test_options_and_cors(server, svc_token, api: Api):
    cid = api.new_conference()
    r = requests.options(f"{server.base}/whip/{cid}", timeout=10)
    assert r.status_code == 204 and r.headers["Accept-Post"] == "application/sdp", r.headers
    r = requests.options(f"{server.base}/whep/{cid}/some-stream", headers={
        "Origin": "https://player.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"}, timeout=10)
    assert r.status_code == 204 and r.headers["Accept-Post"] == "application/sdp"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"] and "PATCH" in r.headers["Access-Control-Allow-Methods"]
    s = whip(server.base, cid, svc_token)
    assert s.post(load_offer("sendonly")).status_code == 201
    r = requests.options(s.location, headers={"Origin": "https://encoder.example", "Access-Control-Request-Method": "PATCH"}, timeout=10)
    assert r.status_code == 204 and r.headers["Accept-Patch"] == FRAG and "DELETE" in r.headers["Allow"], r.headers
    assert "If-Match" in r.headers["Access-Control-Allow-Headers"]
    # A cross-origin POST can read Location and ETag.
    r = requests.post(f"{server.base}/whip/{cid}", data=load_offer("sendonly"), timeout=10,
                      headers={"Origin": "https://encoder.example", "Content-Type": "application/sdp", "Authorization": f"Bearer {svc_token}"})
    assert r.status_code == 201
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"location", "etag", "link"} <= exposed, exposed
    assert s.delete().status_code == 200


def test_participant_tokens_publish_and_view_only_as_themselves(api: Api, server, token_for):
    cid = api.new_conference()
    bob, carol = token_for("bob-whip"), token_for("carol-whip")
    s = whip(server.base, cid, bob)
    assert s.post(load_offer("sendonly")).status_code == 201
    [p] = api.conference(cid)["participants"]
    assert p["userId"] == "bob-whip", p
    # Not as another user, and not someone else's session.
    r = WhipSession(f"{server.base}/whip/{cid}?userId=carol-whip", bob).post(load_offer("sendonly"))
    assert_error(r, 403, "FORBIDDEN")
    intruder = WhipSession(s.url, carol)
    intruder.location, intruder.etag = s.location, s.etag
    assert_error(intruder.delete(), 403, "FORBIDDEN")
    assert_error(intruder.patch(trickle(load_offer("sendonly"))), 403, "FORBIDDEN")
    # Carol may view Bob's stream as herself.
    stream = p["streams"][0]["id"]["id"]
    v = WhipSession(f"{server.base}/whep/{cid}/{stream}", carol)
    assert v.post(load_offer("recvonly")).status_code == 201
    users = {p["id"]: p["userId"] for p in api.conference(cid)["participants"]}
    assert sorted(users.values()) == ["bob-whip", "carol-whip"], users
    # A participant never creates a conference, even where SERVICE could.
    assert_error(whip(server.base, uid("nope"), bob).post(load_offer("sendonly")), 404, "CONFERENCE_NOT_FOUND")
    assert v.delete().status_code == 200 and s.delete().status_code == 200
    # A SERVICE token may publish for a named user.
    svc = fetch_token(server.base)
    n = WhipSession(f"{server.base}/whip/{cid}?userId=dave-whip", svc)
    assert n.post(load_offer("sendonly")).status_code == 201
    assert [p["userId"] for p in api.conference(cid)["participants"]] == ["dave-whip"]
    assert n.delete().status_code == 200


def test_first_publish_creates_the_conference_only_when_allowed(creating):
    svc = fetch_token(creating.base)
    api = Api(creating.base, svc)
    cid = uid("created")
    s = whip(creating.base, cid, svc)
    r = s.post(load_offer("sendonly"))
    assert r.status_code == 201, r.text
    conf = api.conference(cid)
    assert conf["participants"][0]["id"].startswith("whip-"), conf
    types = [e["type"] for e in api.events(cid, v=0)]
    assert types[:3] == ["ConferenceCreatedEvent", "ConferenceParticipantJoinedEvent", "ConferenceStreamPublishedEvent"], types
    # Link: rel="ice-server" (RFC 9725 §4.6): the STUN URL, and the TURN URL with this caller's credential.
    links = r.headers["Link"]
    assert '<stun:127.0.0.1:3478>; rel="ice-server"' in links, links
    m = re.search(r'<turn:127.0.0.1:3478\?transport=udp>; rel="ice-server"; username="(\d+):svc"; '
                  r'credential="([^"]+)"; credential-type="password"', links)
    assert m, links
    import base64, hashlib, hmac
    expected = base64.b64encode(hmac.new(b"whip-turn-secret", f"{m.group(1)}:svc".encode(), hashlib.sha1).digest()).decode()
    assert m.group(2) == expected and int(m.group(1)) > time.time() + 3600, links
    # A participant token cannot create one, on this server either.
    alice = fetch_token(creating.base, user_id="alice-whip")
    assert_error(whip(creating.base, uid("nope"), alice).post(load_offer("sendonly")), 404, "CONFERENCE_NOT_FOUND")
    # WHEP never creates.
    assert_error(WhipSession(f"{creating.base}/whep/{uid('nope')}", svc).post(load_offer("recvonly")), 404, "CONFERENCE_NOT_FOUND")
    assert s.delete().status_code == 200


def test_session_ends_when_its_endpoint_leaves_through_the_conference_api(api: Api, server, svc_token):
    cid = api.new_conference()
    s = whip(server.base, cid, svc_token)
    assert s.post(load_offer("sendonly")).status_code == 201
    ep = api.conference(cid)["participants"][0]["id"]
    api.leave(cid, ep)
    assert_error(s.patch(trickle(load_offer("sendonly"))), 404, "SESSION_NOT_FOUND")
    assert_error(s.delete(), 404, "SESSION_NOT_FOUND")


def test_help_lists_the_option(server):
    import subprocess
    from e2elib import sfu_binary
    out = subprocess.run([str(sfu_binary()), "--help"], capture_output=True, text=True, timeout=10).stdout
    assert "--whip-create-conferences" in out and "SFU_WHIP_CREATE_CONFERENCES" in out


def test_printable_ids_travel_percent_encoded(api: Api, server, svc_token):
    """Identifiers are any printable text: a conference id with a slash, a space
    and a non-ASCII letter is addressed percent-encoded, and so is its Location."""
    import urllib.parse
    cid = "room/1 é" + uid("")
    api.create(conferenceId=cid)
    enc = urllib.parse.quote(cid, safe="")
    s = WhipSession(f"{server.base}/whip/{enc}", svc_token)
    r = s.post(load_offer("sendonly"))
    assert r.status_code == 201, r.text
    assert r.headers["Location"].startswith(f"/whip/{enc}/sessions/"), r.headers["Location"]
    stream = api.get(urllib.parse.quote(cid, safe="")).json()["participants"][0]["streams"][0]["id"]["id"]
    v = WhipSession(f"{server.base}/whep/{enc}/{urllib.parse.quote(stream, safe='')}", svc_token)
    assert v.post(load_offer("recvonly")).status_code == 201
    assert s.patch(trickle(load_offer("sendonly"))).status_code == 204
    assert v.delete().status_code == 200 and s.delete().status_code == 200
