"""The Recordings API (document 003, `/channels/...`) against the real server.

Recordings that need no media (listing, pagination, sorting, assets,
credentials, downloads, restart) are laid down on disk in the server's
documented `recording.json` format before it starts, with real files; the
recordings made through the recorder tap are proven in
test_recording_media.py. Every endpoint's errors are checked here: 400
naming the parameter, 401, 403, 404, 409, 416, 507.
"""
from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import requests

from e2elib import (ALICE_ID, ALICE_SECRET, JWT_SECRET, SfuServer, assert_error, b64url_decode, fetch_token, poll,
                    jwt_parts, make_jwt, uid, Api)

CHANNEL = "rec-api-conf"
SESSION_A, SESSION_B = "session-a", "session-b"
BASE_MS = 1_764_000_000_000


def asset(rid, rel, role, kind, fmt, state="ready", size=None, **extra):
    a = {"id": str(uuid.uuid5(uuid.UUID(rid), rel)), "recordingId": rid, "segment": 0, "role": role, "format": fmt,
         "kind": kind, "codecs": [], "tracks": [kind] if kind != "other" else [], "state": state, "relativePath": rel,
         "label": rel, "userId": "svc", "startTime": BASE_MS, "hasGaps": False, "droppedPackets": 0}
    if size is not None:
        a["size"] = size
    a.update(extra)
    return a


def seed(data_dir: str, channel: str, i: int, session: str, start: int, end: int | None, participants: list[str]) -> dict:
    """One finished recording with real files: an individual Ogg, an archive
    (ready) and a combined video that failed."""
    rid = str(uuid.UUID(int=0x5EED0000_0000_4000_8000_000000000000 + i))
    rdir = os.path.join(data_dir, "recordings", channel, rid)
    os.makedirs(os.path.join(rdir, "0"), exist_ok=True)
    payload = os.urandom(40_000 + i)
    with open(os.path.join(rdir, "0", "s-alice.ogg"), "wb") as f:
        f.write(payload)
    archive = os.urandom(70_000)
    with open(os.path.join(rdir, "archive.tar"), "wb") as f:
        f.write(archive)
    rec = {"id": rid, "channel": channel, "session": session, "startTime": start, "startedBy": "svc",
           "participants": participants, "lastAliveTime": end or start,
           "segments": [{"index": 0, "startTime": start, "processed": True, **({"endTime": end} if end else {})}],
           "assets": [asset(rid, "0/s-alice.ogg", "individual", "audio", "ogg", size=len(payload), streamUserId="alice",
                            group="s-alice", endpointId="e-alice"),
                      asset(rid, "0/mix/combined-video.webm", "combined_video", "video", "webm", state="failed",
                            failureReason="seeded failure"),
                      asset(rid, "archive.tar", "archive", "other", "tar", size=len(archive))]}
    if end is not None:
        rec["endTime"] = end
        rec["readyTime"] = end + 1000
        rec["stopReason"] = "seeded"
    with open(os.path.join(rdir, "recording.json"), "w") as f:
        json.dump(rec, f)
    return {"id": rid, "payload": payload, "archive": archive, "rec": rec}


@pytest.fixture(scope="module")
def seeded():
    srv = SfuServer("recapi")
    os.makedirs(srv.data_dir, exist_ok=True)
    # Started at +0..+4 min; ended in another order; #3 in session B; #4 "live" (ends on start-up).
    ends = [BASE_MS + 50_000, BASE_MS + 200_000, BASE_MS + 400_000, BASE_MS + 300_000, None]
    recs = [seed(srv.data_dir, CHANNEL, i, SESSION_B if i == 3 else SESSION_A, BASE_MS + i * 60_000, ends[i],
                 ["alice"] if i < 2 else ["bob"]) for i in range(5)]
    # A channel literally named "recording" (the token routes live under /channels/recording/…),
    # recorded by numeric user ids.
    numeric = seed(srv.data_dir, "recording", 5, SESSION_A, BASE_MS, BASE_MS + 10_000, ["42"])
    path = os.path.join(srv.data_dir, "recordings", "recording", numeric["id"], "recording.json")
    with open(path) as f:
        rec = json.load(f)
    for a in rec["assets"]:
        a["userId"] = "1234567890123"
        if a.get("streamUserId"):
            a["streamUserId"] = "42"
    rec["assets"][2]["userId"] = "0042"  # not the canonical spelling of a number: stays a string only
    with open(path, "w") as f:
        json.dump(rec, f)
    srv.numeric_recording = numeric
    srv.start()
    yield srv, recs
    srv.kill()


@pytest.fixture(scope="module")
def svc(seeded):
    return Api(seeded[0].base, fetch_token(seeded[0].base))


def ch(srv, path=""):
    return f"{srv.base}/channels/{CHANNEL}{path}"


def test_live_recording_found_at_start_up_is_ended(seeded, svc):
    srv, recs = seeded
    r = svc.get(ch(srv, f"/recordings/{recs[4]['id']}"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["endTime"] is not None and body["endTime"] >= recs[4]["rec"]["startTime"]
    assert body["stopReason"] == "the server stopped while recording"
    assert set(body) >= {"id", "channel", "session", "startTime", "endTime", "readyTime"}


def test_list_pagination_and_sorting(seeded, svc):
    srv, recs = seeded
    ids = [r["id"] for r in recs]

    def page(**params):
        r = svc.get(ch(srv, "/recordings"), params=params)
        assert r.status_code == 200, r.text
        b = r.json()
        assert set(b) == {"total", "results"}
        return b["total"], [x["id"] for x in b["results"]]

    assert page() == (5, ids[::-1])                                  # started, desc
    assert page(order="asc") == (5, ids)
    assert page(limit=2) == (5, ids[::-1][:2])
    assert page(limit=2, offset=2) == (5, ids[::-1][2:4])
    assert page(limit=2, offset=4) == (5, ids[::-1][4:])
    assert page(offset=10) == (5, [])
    # ended: 0 (+50 s), 1 (+200 s), 3 (+300 s), 2 (+400 s), 4 (ended at start-up, latest)
    assert page(sort="ended", order="asc") == (5, [ids[0], ids[1], ids[3], ids[2], ids[4]])
    assert page(sort="ended") == (5, [ids[4], ids[2], ids[3], ids[1], ids[0]])
    assert page(session=SESSION_B) == (1, [ids[3]])
    assert page(session="nope") == (0, [])
    first = svc.get(ch(srv, "/recordings"), params={"limit": 1}).json()["results"][0]
    assert set(first) >= {"id", "channel", "session", "startTime", "endTime", "readyTime"}
    assert first["channel"] == CHANNEL and isinstance(first["startTime"], int)


@pytest.mark.parametrize("params,name", [
    ({"limit": "0"}, "limit"), ({"limit": "1001"}, "limit"), ({"limit": "abc"}, "limit"),
    ({"offset": "-1"}, "offset"), ({"offset": "1.5"}, "offset"), ({"sort": "size"}, "sort"),
    ({"order": "random"}, "order"), ({"session": "a\x00b"}, "session"), ({"bogus": "1"}, "bogus"),
])
def test_list_rejects_bad_parameters(seeded, svc, params, name):
    srv, _ = seeded
    assert_error(svc.get(ch(srv, "/recordings"), params=params), 400, "INVALID_FIELD", names=f"'{name}'")


def test_recording_assets_and_asset(seeded, svc):
    srv, recs = seeded
    rid = recs[0]["id"]
    r = svc.get(ch(srv, f"/recordings/{rid}/assets"))
    assert r.status_code == 200
    assets = r.json()
    assert len(assets) == 3
    fields = {"id", "recordingId", "format", "kind", "isIndividual", "streamUserId", "group", "state", "size", "url",
              "relativePath", "label", "userId", "startTime", "endTime"}
    for a in assets:
        assert fields <= set(a), fields - set(a)
        assert a["recordingId"] == rid
    ind = next(a for a in assets if a["isIndividual"])
    # "alice" is no option[long] (document 003): null, and the id itself in streamUserIdString.
    assert (ind["kind"], ind["format"], ind["streamUserId"], ind["streamUserIdString"], ind["group"], ind["size"]) == \
        ("audio", "ogg", None, "alice", "s-alice", len(recs[0]["payload"]))
    assert (ind["userId"], ind["userIdString"]) == (None, "svc")
    one = svc.get(ch(srv, f"/recordings/{rid}/assets/{ind['id']}"))
    assert one.status_code == 200 and one.json() == ind
    assert_error(svc.get(ch(srv, f"/recordings/{rid}/assets/{uuid.uuid4()}")), 404, "ASSET_NOT_FOUND")
    assert_error(svc.get(ch(srv, f"/recordings/{uuid.uuid4()}")), 404, "RECORDING_NOT_FOUND")
    assert_error(svc.get(ch(srv, f"/recordings/{uuid.uuid4()}/assets")), 404, "RECORDING_NOT_FOUND")
    assert_error(svc.get(f"{srv.base}/channels/other-channel/recordings/{rid}"), 404, "RECORDING_NOT_FOUND")
    assert_error(svc.get(ch(srv, f"/recordings/{rid}/nothing")), 404, "NOT_FOUND")


def test_who_may_read(seeded):
    srv, recs = seeded
    anon = Api(srv.base, None)
    assert_error(anon.get(ch(srv, "/recordings")), 401)
    assert_error(anon.get(ch(srv, "/record/possible")), 401)
    alice = Api(srv.base, fetch_token(srv.base, ALICE_ID, ALICE_SECRET))
    # alice took part in #0 and #1 only (the conference itself is gone).
    r = alice.get(ch(srv, "/recordings"))
    assert r.status_code == 200
    assert {x["id"] for x in r.json()["results"]} == {recs[0]["id"], recs[1]["id"]}
    assert alice.get(ch(srv, f"/recordings/{recs[0]['id']}/credentials")).status_code == 200
    assert_error(alice.get(ch(srv, f"/recordings/{recs[2]['id']}")), 403, "FORBIDDEN")
    carol = Api(srv.base, fetch_token(srv.base, user_id="carol"))
    assert_error(carol.get(ch(srv, "/recordings")), 403, "FORBIDDEN")
    assert_error(carol.get(ch(srv, f"/recordings/{recs[0]['id']}/assets")), 403, "FORBIDDEN")
    assert_error(carol.get(ch(srv, f"/recordings/{recs[0]['id']}/download")), 403, "FORBIDDEN")


def test_credentials_list_and_download_with_range(seeded, svc):
    srv, recs = seeded
    rid = recs[1]["id"]
    r = svc.get(ch(srv, f"/recordings/{rid}/credentials"), params={"ttl": "1h"})
    assert r.status_code == 200, r.text
    jwt = r.json()["jwt"]
    header, claims, _ = jwt_parts(jwt)
    assert header["alg"] == "HS256" and header["typ"] != "JWT"
    assert 3590 <= claims["exp"] - claims["iat"] <= 3600
    listing = requests.get(f"{srv.base}/channels/recording/assets/{jwt}", timeout=5)
    assert listing.status_code == 200, listing.text
    items = listing.json()
    # Only ready assets: the individual stream and the archive (the combined video failed).
    assert sorted(i["kind"] for i in items) == ["archive", "other"]
    for i in items:
        assert {"id", "kind", "format", "size", "label", "language"} <= set(i)
    ind = next(i for i in items if i["kind"] == "other")
    got = requests.get(ind["url"], timeout=5)
    assert got.status_code == 200 and got.content == recs[1]["payload"]
    assert got.headers["Content-Type"] == "audio/ogg" and got.headers["Accept-Ranges"] == "bytes"
    part = requests.get(ind["url"], headers={"Range": "bytes=100-199"}, timeout=5)
    assert part.status_code == 206 and part.content == recs[1]["payload"][100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(recs[1]['payload'])}"
    assert_error(requests.get(ind["url"], headers={"Range": "bytes=999999-"}, timeout=5), 416, "RANGE_NOT_SATISFIABLE")
    # The credentials are not a download token, nor an API token.
    assert_error(requests.get(f"{srv.base}/channels/recording/download/{jwt}", timeout=5), 401, "INVALID_TOKEN")
    assert_error(requests.get(ch(srv, "/recordings"), headers={"Authorization": f"Bearer {jwt}"}, timeout=5), 401)


@pytest.mark.parametrize("ttl", ["", "5", "0s", "5x", "-1m", "1.5h", "8d", "1w", "5 m"])
def test_ttl_is_validated(seeded, svc, ttl):
    srv, recs = seeded
    for op in ("credentials", "download"):
        assert_error(svc.get(ch(srv, f"/recordings/{recs[0]['id']}/{op}"), params={"ttl": ttl}), 400, "INVALID_FIELD", names="'ttl'")


def test_download_url(seeded, svc):
    srv, recs = seeded
    rid = recs[2]["id"]
    r = svc.get(ch(srv, f"/recordings/{rid}/download"), headers={"Host": "files.example.test:8443"})
    assert r.status_code == 200, r.text
    url = r.json()["url"]
    assert url.startswith("http://files.example.test:8443/channels/recording/download/")
    local = srv.base + url[len("http://files.example.test:8443"):]
    whole = requests.get(local, timeout=5)
    assert whole.status_code == 200 and whole.content == recs[2]["archive"]
    assert whole.headers["Content-Type"] == "application/x-tar"
    head = requests.head(local, timeout=5)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(recs[2]["archive"]) and head.content == b""
    tail = requests.get(local, headers={"Range": "bytes=-10"}, timeout=5)
    assert tail.status_code == 206 and tail.content == recs[2]["archive"][-10:]
    # Default TTL is 5 minutes.
    _, claims, _ = jwt_parts(url.rsplit("/", 1)[1])
    assert 295 <= claims["exp"] - claims["iat"] <= 300
    # The download token is neither credentials nor an API token.
    token = url.rsplit("/", 1)[1]
    assert_error(requests.get(f"{srv.base}/channels/recording/assets/{token}", timeout=5), 401, "INVALID_TOKEN")
    assert_error(requests.get(ch(srv, "/recordings"), headers={"Authorization": f"Bearer {token}"}, timeout=5), 401)
    # One participant's stream by asset id.
    ind = next(a for a in recs[2]["rec"]["assets"] if a["role"] == "individual")
    r = svc.get(ch(srv, f"/recordings/{rid}/download"), params={"assetId": ind["id"]})
    assert requests.get(srv.base + "/channels" + r.json()["url"].split("/channels", 1)[1], timeout=5).content == recs[2]["payload"]
    # Errors.
    assert_error(svc.get(ch(srv, f"/recordings/{rid}/download"), params={"kind": "combined_video"}), 409, "ASSET_NOT_READY")
    assert_error(svc.get(ch(srv, f"/recordings/{rid}/download"), params={"kind": "combined_audio"}), 404, "ASSET_NOT_FOUND")
    assert_error(svc.get(ch(srv, f"/recordings/{rid}/download"), params={"kind": "video"}), 400, "INVALID_FIELD", names="'kind'")
    assert_error(svc.get(ch(srv, f"/recordings/{rid}/download"), params={"zzz": "1"}), 400, "INVALID_FIELD", names="'zzz'")


def test_api_token_forged_and_expired_tokens_are_refused(seeded, svc):
    srv, recs = seeded
    api_token = svc.token
    for path in ("assets", "download"):
        assert_error(requests.get(f"{srv.base}/channels/recording/{path}/{api_token}", timeout=5), 401, "INVALID_TOKEN")
    good = svc.get(ch(srv, f"/recordings/{recs[0]['id']}/download")).json()["url"].rsplit("/", 1)[1]
    header, claims, _ = jwt_parts(good)
    forged = make_jwt(header, claims, secret="not-the-server-secret-at-all")
    assert_error(requests.get(f"{srv.base}/channels/recording/download/{forged}", timeout=5), 401, "INVALID_TOKEN")
    other_asset = make_jwt(header, {**claims, "asset": str(uuid.uuid4())}, secret=JWT_SECRET)
    assert_error(requests.get(f"{srv.base}/channels/recording/download/{other_asset}", timeout=5), 404, "ASSET_NOT_FOUND")
    unsigned = make_jwt({**header, "alg": "none"}, claims, secret=None)
    assert_error(requests.get(f"{srv.base}/channels/recording/download/{unsigned}", timeout=5), 401, "INVALID_TOKEN")
    short = svc.get(ch(srv, f"/recordings/{recs[0]['id']}/download"), params={"ttl": "1s"}).json()["url"]
    cred = svc.get(ch(srv, f"/recordings/{recs[0]['id']}/credentials"), params={"ttl": "1s"}).json()["jwt"]
    time.sleep(2.2)
    local = srv.base + "/channels" + short.split("/channels", 1)[1]
    body = assert_error(requests.get(local, timeout=5), 401, "INVALID_TOKEN")
    assert "expired" in body["message"]
    assert_error(requests.get(f"{srv.base}/channels/recording/assets/{cred}", timeout=5), 401, "INVALID_TOKEN")


def test_possible_start_and_stop_errors(seeded, svc):
    srv, _ = seeded
    cid = svc.new_conference()
    r = svc.get(f"{srv.base}/channels/{cid}/record/possible")
    assert r.status_code == 200 and r.json()["possible"] is True and r.json()["reason"] is None
    r = svc.get(f"{srv.base}/channels/never-created/record/possible")
    assert r.json() == {"possible": False, "reason": "UNKNOWN_CONFERENCE", "message": r.json()["message"]}
    assert_error(svc.s.post(f"{srv.base}/channels/never-created/record", headers=svc._headers(None)), 404, "CONFERENCE_NOT_FOUND")
    assert_error(svc.s.delete(f"{srv.base}/channels/{cid}/record", headers=svc._headers(None)), 404, "NOT_RECORDING")
    bob = Api(srv.base, fetch_token(srv.base, user_id="bob"))
    assert_error(bob.get(f"{srv.base}/channels/{cid}/record/possible"), 403, "FORBIDDEN")
    assert_error(bob.s.post(f"{srv.base}/channels/{cid}/record", headers=bob._headers(None)), 403, "FORBIDDEN")
    assert_error(bob.s.delete(f"{srv.base}/channels/{cid}/record", headers=bob._headers(None)), 403, "FORBIDDEN")
    assert_error(requests.post(f"{srv.base}/channels/{cid}/record", timeout=5), 401)
    assert_error(requests.put(f"{srv.base}/channels/{cid}/record", timeout=5), 405, "METHOD_NOT_ALLOWED")
    assert_error(svc.get(f"{srv.base}/channels/bad%09id/recordings"), 400, "INVALID_FIELD")
    # A participant who joined may ask.
    svc.post("join", {"conferenceId": cid, "userEndpointId": "bob-ep", "userId": "bob"})
    assert bob.get(f"{srv.base}/channels/{cid}/record/possible").json()["possible"] is True


def test_recorder_off_and_full_disk_refuse_to_start():
    for args, reason, status in ((["--recorder", "off"], "RECORDER_DISABLED", 403),
                                 (["--recording-min-free", "1000000T"], "INSUFFICIENT_DISK", 507)):
        srv = SfuServer("recapi-refuse", args).start()
        try:
            api = Api(srv.base, fetch_token(srv.base))
            cid = api.new_conference()
            r = api.get(f"{srv.base}/channels/{cid}/record/possible")
            assert r.json()["possible"] is False and r.json()["reason"] == reason, r.text
            assert_error(api.s.post(f"{srv.base}/channels/{cid}/record", headers=api._headers(None)), status, "RECORDING_NOT_PERMITTED")
        finally:
            srv.kill()


def test_start_conflict_stop_through_the_recorder(seeded, svc):
    srv, _ = seeded
    cid = svc.new_conference()
    svc.post("join", {"conferenceId": cid, "userEndpointId": "alice-ep", "userId": "alice"})
    url = f"{srv.base}/channels/{cid}/record"
    r = svc.s.post(url, headers=svc._headers(None), timeout=10)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["channel"] == cid and rec["endTime"] is None and rec["readyTime"] is None
    uuid.UUID(rec["id"])
    assert_error(svc.s.post(url, headers=svc._headers(None), timeout=10), 409, "RECORDING_IN_PROGRESS")
    p = svc.get(f"{srv.base}/channels/{cid}/record/possible").json()
    assert (p["possible"], p["reason"]) == (False, "ALREADY_RECORDING")
    # A participant of the conference may read it while it runs.
    alice = Api(srv.base, fetch_token(srv.base, ALICE_ID, ALICE_SECRET))
    listed = alice.get(f"{srv.base}/channels/{cid}/recordings").json()
    assert listed["total"] == 1 and listed["results"][0]["id"] == rec["id"]
    # Sessions: the recording carries the conference instance's session id.
    assert svc.get(f"{srv.base}/channels/{cid}/recordings", params={"session": rec["session"]}).json()["total"] == 1
    r = svc.s.delete(url, headers=svc._headers(None), timeout=10)
    assert r.status_code == 200, r.text
    stopped = r.json()
    assert stopped["id"] == rec["id"] and stopped["endTime"] >= stopped["startTime"]
    assert_error(svc.s.delete(url, headers=svc._headers(None), timeout=10), 404, "NOT_RECORDING")
    # A second recording of the same conference is another recording of the same session.
    r2 = svc.s.post(url, headers=svc._headers(None), timeout=10).json()
    assert r2["id"] != rec["id"] and r2["session"] == rec["session"]
    # Ending the conference stops it.
    svc.end(cid, "alice-ep")
    done = poll(lambda: (lambda x: x if x.get("endTime") else None)(svc.get(f"{srv.base}/channels/{cid}/recordings/{r2['id']}").json()),
                5, what="stop on conference end")
    assert done["stopReason"] == "conference ended"
    # The conference is gone; its recordings stay listed, newest first.
    assert [x["id"] for x in svc.get(f"{srv.base}/channels/{cid}/recordings").json()["results"]] == [r2["id"], rec["id"]]


def test_recording_stops_when_the_conference_stays_empty():
    srv = SfuServer("recapi-empty", ["--recording-empty-timeout", "1"]).start()
    try:
        api = Api(srv.base, fetch_token(srv.base))
        cid = api.new_conference()
        api.join(cid, "ep")
        rec = api.s.post(f"{srv.base}/channels/{cid}/record", headers=api._headers(None), timeout=10).json()
        time.sleep(1.5)
        assert api.get(f"{srv.base}/channels/{cid}/recordings/{rec['id']}").json()["endTime"] is None   # occupied: keeps going
        left = time.monotonic()
        api.leave(cid, "ep")
        done = poll(lambda: (lambda x: x if x.get("endTime") else None)(api.get(f"{srv.base}/channels/{cid}/recordings/{rec['id']}").json()),
                    6, what="stop on emptiness")
        waited = time.monotonic() - left
        assert 0.9 <= waited <= 3.5, waited
        assert done["stopReason"] == "conference empty for 1 s"
    finally:
        srv.kill()


def test_restart_keeps_the_list(seeded, svc):
    srv, recs = seeded
    before = svc.get(ch(srv, "/recordings"), params={"sort": "ended"}).json()
    srv.kill()
    srv.start()
    fresh = Api(srv.base, fetch_token(srv.base))
    after = fresh.get(ch(srv, "/recordings"), params={"sort": "ended"}).json()
    assert after == before and after["total"] == 5


def test_numeric_user_ids_and_a_channel_named_recording(seeded, svc):
    """Document 003 types streamUserId and userId as option[long]: numbers when the user id is a
    canonical decimal integer (else null), the id itself in streamUserIdString/userIdString. The
    channel "recording" reaches its recordings although the token routes start /channels/recording/."""
    srv, _ = seeded
    rid = srv.numeric_recording["id"]
    listing = svc.get(f"{srv.base}/channels/recording/recordings")
    assert listing.status_code == 200, listing.text
    assert [r["id"] for r in listing.json()["results"]] == [rid]
    one = svc.get(f"{srv.base}/channels/recording/recordings/{rid}")
    assert one.status_code == 200 and one.json()["channel"] == "recording", one.text
    assets = svc.get(f"{srv.base}/channels/recording/recordings/{rid}/assets").json()
    ind = next(a for a in assets if a["isIndividual"])
    assert (ind["streamUserId"], ind["streamUserIdString"]) == (42, "42")
    assert (ind["userId"], ind["userIdString"]) == (1234567890123, "1234567890123")
    archive = next(a for a in assets if a["kind"] == "other")
    assert (archive["userId"], archive["userIdString"]) == (None, "0042")
    assert (archive["streamUserId"], archive["streamUserIdString"]) == (None, None)
    r = svc.get(f"{srv.base}/channels/recording/recordings/{rid}/credentials")
    assert r.status_code == 200, r.text
    jwt = r.json()["jwt"]
    # ...and the token routes still work next to it.
    r = requests.get(f"{srv.base}/channels/recording/assets/{jwt}", timeout=5)
    assert r.status_code == 200 and len(r.json()) >= 1, r.text
    assert svc.get(f"{srv.base}/channels/recording/record/possible").status_code == 200
