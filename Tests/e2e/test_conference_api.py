"""Every Conference API endpoint of docs/API.md: success shapes, validation
(missing fields, wrong types, invalid ids), not-found and ended conferences."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest

from e2elib import Api, assert_error, fetch_token, load_offer, poll, uid

OFFER = load_offer("sendonly")
VIEW_OFFER = load_offer("recvonly")
CANDIDATES = [{"candidate": "candidate:842163049 1 udp 1677729535 192.0.2.10 54400 typ srflx "
                            "raddr 0.0.0.0 rport 0 generation 0 network-cost 999",
               "sdpMid": "0", "sdpMLineIndex": 0}]

CONFERENCE_KEYS = {"id", "mode", "version", "empty", "creator", "creatorEndpoint",
                   "organizationId", "metadata", "participants"}
PARTICIPANT_KEYS = {"id", "userId", "state", "metadata", "streams"}
METADATA_ENTRY_KEYS = {"value", "lastModified", "userEndpointId", "userId"}
SIMPLE_KEYS = {"id", "mode", "version", "metadata", "participants"}
SIMPLE_PARTICIPANT_KEYS = {"id", "endpoints"}
SIMPLE_ENDPOINT_KEYS = {"id", "state", "metadata", "streams"}


def bodies(cid: str, ep: str = "ep1") -> dict[str, dict]:
    """A complete, well-formed body for every POST endpoint (but create)."""
    sid = {"id": "no-such-stream"}
    return {
        "join": {"conferenceId": cid, "userEndpointId": ep, "metadata": {"name": "n"}},
        "leave": {"conferenceId": cid, "userEndpointId": ep, "reason": "bye"},
        "end": {"conferenceId": cid, "userEndpointId": ep, "reason": "done"},
        "publishStream": {"conferenceId": cid, "userEndpointId": ep, "conferenceStreamType": "CAM",
                          "sdpOffer": OFFER, "streamId": {"id": "s1"}, "metadata": {"m": "1"},
                          "videoBitrate": 500000},
        "unpublishStream": {"conferenceId": cid, "userEndpointId": ep, "streamId": sid},
        "viewStream": {"conferenceId": cid, "userEndpointId": ep, "streamId": sid,
                       "sdpOffer": VIEW_OFFER, "viewerId": "v1"},
        "stopViewStream": {"conferenceId": cid, "userEndpointId": ep, "streamId": sid,
                           "viewerId": "no-such-viewer"},
        "addPublishStreamIceCandidates": {"conferenceId": cid, "userEndpointId": ep, "streamId": sid,
                                          "iceCandidates": CANDIDATES},
        "addViewStreamIceCandidates": {"conferenceId": cid, "userEndpointId": ep, "streamId": sid,
                                       "viewerId": "no-such-viewer", "iceCandidates": CANDIDATES},
        "updatePublishedStreamBitrate": {"conferenceId": cid, "userEndpointId": ep, "streamId": sid,
                                         "videoBitrate": 300000},
        "updateMetadata": {"conferenceId": cid, "userEndpointId": ep, "key": "k",
                           "operation": "SET", "value": "v"},
        "updateParticipantMetadata": {"conferenceId": cid, "userEndpointId": ep,
                                      "newMetadata": {"a": "b"}},
        "updateStreamMetadata": {"conferenceId": cid, "userEndpointId": ep, "streamId": sid,
                                 "newMetadata": {"a": "b"}},
        "sendEvent": {"conferenceId": cid, "qos": "AT_LEAST_ONCE",
                      "event": {"type": "SomethingHappenedEvent", "timestamp": "2024-05-01T10:15:30Z"}},
    }


MANDATORY = {
    "join": ["conferenceId", "userEndpointId"],
    "leave": ["conferenceId", "userEndpointId"],
    "end": ["conferenceId", "userEndpointId"],
    "publishStream": ["conferenceId", "userEndpointId", "conferenceStreamType", "sdpOffer"],
    "unpublishStream": ["conferenceId", "userEndpointId", "streamId"],
    "viewStream": ["conferenceId", "userEndpointId", "streamId", "sdpOffer"],
    "stopViewStream": ["conferenceId", "userEndpointId", "streamId", "viewerId"],
    "addPublishStreamIceCandidates": ["conferenceId", "userEndpointId", "streamId", "iceCandidates"],
    "addViewStreamIceCandidates": ["conferenceId", "userEndpointId", "streamId", "viewerId", "iceCandidates"],
    # streamId, videoBitrate and newMetadata are optional here (document 004): see
    # test_optional_fields_of_document_004.
    "updatePublishedStreamBitrate": ["conferenceId", "userEndpointId"],
    "updateMetadata": ["conferenceId", "userEndpointId", "key", "operation"],
    "updateParticipantMetadata": ["conferenceId", "userEndpointId"],
    "updateStreamMetadata": ["conferenceId", "userEndpointId"],
    "sendEvent": ["conferenceId", "event"],
}
MISSING_CASES = [(op, f) for op, fs in MANDATORY.items() for f in fs]


@pytest.fixture
def conf(api) -> str:
    """A fresh conference with endpoint ep1 joined."""
    cid = api.new_conference()
    api.join(cid, "ep1")
    return cid


def parse_instant(s: str) -> datetime:
    assert isinstance(s, str) and "T" in s, s
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# --------------------------------------------------------------------------
# create
# --------------------------------------------------------------------------

def test_create_generates_uuid_and_defaults_to_router(api):
    r = api.post("create", {})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"id", "mode", "version"}, body
    uuid.UUID(body["id"])  # a generated UUID
    assert body["mode"] == "ROUTER"
    assert body["version"] == 1
    assert api.conference(body["id"])["mode"] == "ROUTER"


def test_create_with_given_id_and_duplicate_409(api):
    cid = uid("given")
    r = api.post("create", {"conferenceId": cid, "mode": "ROUTER"})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": cid, "mode": "ROUTER", "version": 1}
    assert_error(api.post("create", {"conferenceId": cid}), 409, "CONFERENCE_EXISTS")


def test_create_p2p_is_400_unsupported_mode(api):
    assert_error(api.post("create", {"mode": "P2P"}), 400, "UNSUPPORTED_MODE")


@pytest.mark.parametrize("metadata", ["x", 5, ["a"], {"a": 1}, {"a": {"b": "c"}}],
                         ids=["string", "number", "list", "non-string-value", "nested"])
def test_create_metadata_wrong_type_400(api, metadata):
    assert_error(api.post("create", {"metadata": metadata}), 400, "INVALID_FIELD", names="metadata")


def test_create_mode_unknown_value_400(api):
    assert_error(api.post("create", {"mode": "MESH"}), 400, ("INVALID_FIELD", "UNSUPPORTED_MODE"))


def test_create_metadata_is_kept(api):
    cid = api.new_conference(metadata={"topic": "standup", "lang": "el"})
    md = api.conference(cid)["metadata"]
    assert set(md) == {"topic", "lang"}
    assert md["topic"]["value"] == "standup" and md["lang"]["value"] == "el"
    assert set(md["topic"]) == METADATA_ENTRY_KEYS, md


def test_malformed_json_400(api):
    r = api.post("create", data='{"conferenceId": ', headers={"Content-Type": "application/json"})
    assert_error(r, 400, "INVALID_JSON")
    r = api.post("join", data="[1, 2]", headers={"Content-Type": "application/json"})
    assert_error(r, 400, ("INVALID_JSON", "INVALID_FIELD"))


def test_non_json_content_type_415(api):
    r = api.post("create", data="conferenceId=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


# --------------------------------------------------------------------------
# GET {id} and simpleView shapes
# --------------------------------------------------------------------------

def test_conference_shape(api):
    cid = uid("shape")
    api.create(conferenceId=cid, creatorEndpoint="creator-ep", organizationId="org-1",
               metadata={"topic": "t"})
    c = api.conference(cid)
    assert set(c) == CONFERENCE_KEYS, sorted(c)
    assert c["id"] == cid and c["mode"] == "ROUTER" and c["version"] == 1
    assert c["empty"] is True and c["participants"] == []
    assert c["creator"] == "svc"
    assert c["creatorEndpoint"] == "creator-ep"
    assert c["organizationId"] == "org-1"

    joined = api.join(cid, "ep1", {"name": "Ann", "tags": ["a", "b"], "n": 2})
    assert set(joined) == CONFERENCE_KEYS
    assert joined["version"] == 2 and joined["empty"] is False

    c = api.conference(cid)
    assert c["version"] == 2 and c["empty"] is False
    assert len(c["participants"]) == 1
    p = c["participants"][0]
    assert set(p) == PARTICIPANT_KEYS, sorted(p)
    assert p["id"] == "ep1" and p["userId"] == "svc"
    assert p["state"] in ("HEALTHY", "SICK")
    assert p["metadata"] == {"name": "Ann", "tags": ["a", "b"], "n": 2}
    assert p["streams"] == []


def test_simple_view_shape(api):
    cid = api.new_conference(metadata={"topic": "t"})
    api.join(cid, "ep1", {"name": "Ann"})
    api.join(cid, "ep2")
    sv_r = api.get(f"{cid}/simpleView")
    assert sv_r.status_code == 200, sv_r.text
    sv = sv_r.json()
    assert set(sv) == SIMPLE_KEYS, sorted(sv)
    assert sv["id"] == cid and sv["mode"] == "ROUTER" and sv["version"] == 3
    assert sv["metadata"] == api.conference(cid)["metadata"]
    # Both endpoints belong to user svc: one participant with two endpoints.
    assert len(sv["participants"]) == 1, sv
    part = sv["participants"][0]
    assert set(part) == SIMPLE_PARTICIPANT_KEYS, sorted(part)
    assert part["id"] == "svc"
    eps = {e["id"]: e for e in part["endpoints"]}
    assert set(eps) == {"ep1", "ep2"}
    for e in eps.values():
        assert set(e) == SIMPLE_ENDPOINT_KEYS, sorted(e)
        assert e["state"] in ("HEALTHY", "SICK")
        assert e["streams"] == []
    assert eps["ep1"]["metadata"] == {"name": "Ann"}


def test_simple_view_groups_by_user(api, token_for):
    cid = api.new_conference()
    api.clone(token_for("u1")).join(cid, "a1")
    api.clone(token_for("u1")).join(cid, "a2")
    api.clone(token_for("u2")).join(cid, "b1")
    sv = api.get(f"{cid}/simpleView").json()
    by_user = {p["id"]: sorted(e["id"] for e in p["endpoints"]) for p in sv["participants"]}
    assert by_user == {"u1": ["a1", "a2"], "u2": ["b1"]}


def test_empty_flag_follows_participants(api):
    cid = api.new_conference()
    assert api.conference(cid)["empty"] is True
    api.join(cid, "ep1")
    assert api.conference(cid)["empty"] is False
    api.leave(cid, "ep1")
    c = api.conference(cid)
    assert c["empty"] is True and c["participants"] == []


# --------------------------------------------------------------------------
# join / leave / end
# --------------------------------------------------------------------------

def test_rejoin_own_endpoint_is_idempotent(api, conf):
    """A retried join of one's own endpoint answers 200 and changes nothing (docs/API.md
    "Where the document is silent"); new metadata replaces the old, with one event."""
    r = api.post("join", {"conferenceId": conf, "userEndpointId": "ep1"})
    assert r.status_code == 200, r.text
    assert [p["id"] for p in r.json()["participants"]] == ["ep1"]
    assert api.version(conf) == 2
    r = api.post("join", {"conferenceId": conf, "userEndpointId": "ep1", "metadata": {"name": "Ann"}})
    assert r.status_code == 200, r.text
    assert api.version(conf) == 3
    assert api.events(conf, 2)[0]["type"] == "ConferenceParticipantMetadataUpdatedEvent"
    assert api.conference(conf)["participants"][0]["metadata"] == {"name": "Ann"}


def test_join_another_users_endpoint_409(api, conf):
    """SERVICE joining ep1 for another user does not take the endpoint over."""
    assert_error(api.post("join", {"conferenceId": conf, "userEndpointId": "ep1", "userId": "someone-else"}), 409, "ENDPOINT_EXISTS")


def test_leave_unknown_endpoint_404(api, conf):
    assert_error(api.post("leave", {"conferenceId": conf, "userEndpointId": "ghost"}), 404, "ENDPOINT_NOT_FOUND")


def test_leave_returns_204_and_removes(api, conf):
    r = api.post("leave", {"conferenceId": conf, "userEndpointId": "ep1"})
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert api.conference(conf)["participants"] == []


def test_unknown_extra_fields_are_ignored(api):
    cid = api.new_conference()
    r = api.post("join", {"conferenceId": cid, "userEndpointId": "ep1", "foo": {"bar": [1, 2]},
                          "zzz": None, "another": "x"})
    assert r.status_code == 200, r.text
    r = api.post("create", {"conferenceId": uid("x"), "unknownField": 42})
    assert r.status_code == 200, r.text


def test_end_then_everything_is_conference_ended(api, conf):
    r = api.post("end", {"conferenceId": conf, "userEndpointId": "ep1", "reason": "meeting over"})
    assert r.status_code == 204, r.text
    assert_error(api.get(conf), 404, "CONFERENCE_ENDED")
    assert_error(api.get(f"{conf}/simpleView"), 404, "CONFERENCE_ENDED")
    for op, body in bodies(conf, "ep9").items():
        assert_error(api.post(op, body), 404, "CONFERENCE_ENDED")
    # The event log is kept for the ended-retention period.
    evs = api.events(conf)
    assert evs[-1]["type"] == "ConferenceEndedEvent"
    assert evs[-1]["reason"] == "meeting over"
    # And the id stays taken.
    assert api.post("create", {"conferenceId": conf}).status_code in (404, 409)


def test_idle_conference_ends_by_itself(idle_server):
    api = Api(idle_server.base, fetch_token(idle_server.base))
    idle = api.new_conference()
    busy = api.new_conference()
    api.join(busy, "ep1")
    t0 = time.monotonic()

    def ended():
        evs = api.events(idle, v=1, wait=5)
        return [e for e in evs if e["type"] == "ConferenceEndedEvent"]
    evs = poll(ended, 6, what="ConferenceEndedEvent IDLE")
    assert time.monotonic() - t0 < 5
    assert evs[0]["reason"] == "IDLE"
    assert_error(api.get(idle), 404, "CONFERENCE_ENDED")
    # A conference with a participant does not go idle.
    c = api.conference(busy)
    assert c["empty"] is False
    assert all(e["type"] != "ConferenceEndedEvent" for e in api.events(busy))
    # Once it is left empty, it ends too.
    api.leave(busy, "ep1")
    poll(lambda: [e for e in api.events(busy, v=3, wait=5) if e["type"] == "ConferenceEndedEvent"],
         6, what="busy conference to end after emptying")


# --------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------

def test_update_metadata_set_and_remove(api, conf):
    before = datetime.now(timezone.utc)
    r = api.post("updateMetadata", {"conferenceId": conf, "userEndpointId": "ep1",
                                    "key": "topic", "operation": "SET", "value": "roadmap"})
    assert r.status_code == 204, r.text
    md = api.conference(conf)["metadata"]
    entry = md["topic"]
    assert set(entry) == METADATA_ENTRY_KEYS, entry
    assert entry["value"] == "roadmap"
    assert entry["userEndpointId"] == "ep1"
    assert entry["userId"] == "svc"
    ts = parse_instant(entry["lastModified"])
    assert abs((ts - before).total_seconds()) < 30, entry
    # Overwrite, then a second key.
    for key, value in (("topic", "budget"), ("room", "A1")):
        r = api.post("updateMetadata", {"conferenceId": conf, "userEndpointId": "ep1",
                                        "key": key, "operation": "SET", "value": value})
        assert r.status_code == 204
    md = api.conference(conf)["metadata"]
    assert md["topic"]["value"] == "budget" and md["room"]["value"] == "A1"
    r = api.post("updateMetadata", {"conferenceId": conf, "userEndpointId": "ep1",
                                    "key": "topic", "operation": "REMOVE"})
    assert r.status_code == 204, r.text
    md = api.conference(conf)["metadata"]
    assert "topic" not in md and md["room"]["value"] == "A1"


def test_update_metadata_set_without_value_400(api, conf):
    r = api.post("updateMetadata", {"conferenceId": conf, "userEndpointId": "ep1",
                                    "key": "k", "operation": "SET"})
    assert_error(r, 400, "MISSING_FIELD", names="value")


def test_update_participant_metadata(api, conf):
    new = {"role": "host", "hand": {"raised": True}, "n": 1}
    r = api.post("updateParticipantMetadata", {"conferenceId": conf, "userEndpointId": "ep1",
                                               "newMetadata": new})
    assert r.status_code == 204, r.text
    p = [p for p in api.conference(conf)["participants"] if p["id"] == "ep1"][0]
    assert p["metadata"] == new


def test_update_participant_metadata_unknown_endpoint_404(api, conf):
    r = api.post("updateParticipantMetadata", {"conferenceId": conf, "userEndpointId": "ghost",
                                               "newMetadata": {}})
    assert_error(r, 404, "ENDPOINT_NOT_FOUND")


# --------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["updateStreamMetadata", "updatePublishedStreamBitrate", "unpublishStream",
                                "addPublishStreamIceCandidates", "viewStream"])
def test_unknown_stream_404(api, conf, op):
    assert_error(api.post(op, bodies(conf)[op]), 404, "STREAM_NOT_FOUND")


@pytest.mark.parametrize("op", ["stopViewStream", "addViewStreamIceCandidates"])
def test_unknown_viewer_404(api, conf, op):
    assert_error(api.post(op, bodies(conf)[op]), 404, ("VIEWER_NOT_FOUND", "STREAM_NOT_FOUND"))


def test_publish_missing_sdp_offer_400(api, conf):
    body = bodies(conf)["publishStream"]
    del body["sdpOffer"]
    assert_error(api.post("publishStream", body), 400, "MISSING_FIELD", names="sdpOffer")


def test_publish_bad_stream_type_400(api, conf):
    body = {**bodies(conf)["publishStream"], "conferenceStreamType": "FOO"}
    assert_error(api.post("publishStream", body), 400, "INVALID_FIELD", names="conferenceStreamType")


@pytest.mark.parametrize("sdp", ["hello", "v=0\r\no=bad\r\n", "v=1\r\n", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"],
                         ids=["hello", "bad-origin", "bad-version", "no-session"])
def test_publish_malformed_sdp_400_invalid_sdp(api, conf, sdp):
    body = {**bodies(conf)["publishStream"], "sdpOffer": sdp}
    assert_error(api.post("publishStream", body), 400, "INVALID_SDP")
    assert api.version(conf) == 2


def test_view_malformed_sdp_400(api, conf):
    body = {**bodies(conf)["viewStream"], "sdpOffer": "hello"}
    r = api.post("viewStream", body)
    # The stream does not exist either; both are acceptable reasons to refuse.
    assert r.status_code in (400, 404), r.text
    if r.status_code == 400:
        assert r.json()["error"] == "INVALID_SDP"


def test_publish_valid_offer(api, conf):
    body = bodies(conf)["publishStream"]
    r = api.post("publishStream", body)
    if r.status_code == 503:
        assert_error(r, 503, "MEDIA_UNAVAILABLE")
        # ... and nothing was created.
        c = api.conference(conf)
        assert c["version"] == 2
        assert all(p["streams"] == [] for p in c["participants"])
        return
    assert r.status_code == 200, r.text
    res = r.json()
    assert set(res) == {"sdpAnswer", "streamId"}
    assert res["sdpAnswer"].startswith("v=0")
    assert res["streamId"] == {"id": "s1"}
    c = api.conference(conf)
    streams = [s for p in c["participants"] for s in p["streams"]]
    assert [s["id"] for s in streams] == [{"id": "s1"}]
    assert streams[0]["type"] == "CAM"
    # The same endpoint offering again for its stream is an ICE restart: 200, no new stream, no event.
    version = c["version"]
    again = api.post("publishStream", body)
    assert again.status_code == 200, again.text
    assert api.conference(conf)["version"] == version
    # Another endpoint may not take the stream id.
    api.join(conf, "ep2")
    assert_error(api.post("publishStream", {**body, "userEndpointId": "ep2"}), 409, "STREAM_EXISTS")


@pytest.mark.parametrize("rate", [-1, 100_000_001, "300000", 1.5], ids=["negative", "too-big", "string", "float"])
def test_bitrate_out_of_range_400(api, conf, rate):
    body = {**bodies(conf)["updatePublishedStreamBitrate"], "videoBitrate": rate}
    assert_error(api.post("updatePublishedStreamBitrate", body), 400, "INVALID_FIELD", names="videoBitrate")


# --------------------------------------------------------------------------
# Validation across all endpoints
# --------------------------------------------------------------------------

@pytest.mark.parametrize("op,field", MISSING_CASES, ids=[f"{o}-{f}" for o, f in MISSING_CASES])
def test_missing_mandatory_field_400(api, conf, op, field):
    body = bodies(conf)[op]
    del body[field]
    assert_error(api.post(op, body), 400, "MISSING_FIELD", names=field)
    # Nothing happened.
    assert api.version(conf) == 2


@pytest.mark.parametrize("op,field", MISSING_CASES, ids=[f"{o}-{f}" for o, f in MISSING_CASES])
def test_null_mandatory_field_400(api, conf, op, field):
    body = {**bodies(conf)[op], field: None}
    r = api.post(op, body)
    assert_error(r, 400, ("MISSING_FIELD", "INVALID_FIELD"), names=field)


WRONG_TYPES = [
    ("join", "metadata", "not-an-object"),
    ("join", "conferenceId", 5),
    ("join", "userEndpointId", 7),
    ("leave", "reason", 5),
    ("end", "userEndpointId", {"id": "ep1"}),
    ("publishStream", "sdpOffer", 42),
    ("publishStream", "streamId", 5),
    ("publishStream", "metadata", "x"),
    ("publishStream", "videoBitrate", "fast"),
    ("unpublishStream", "streamId", ["s1"]),
    ("unpublishStream", "streamId", {"id": 5}, None),
    ("viewStream", "viewerId", 3),
    ("stopViewStream", "viewerId", ["v"]),
    ("addPublishStreamIceCandidates", "iceCandidates", "candidate:1"),
    ("addPublishStreamIceCandidates", "iceCandidates", [{"candidate": 5, "sdpMid": "0", "sdpMLineIndex": 0}], None),
    ("addViewStreamIceCandidates", "iceCandidates", {"candidate": "x"}),
    ("updatePublishedStreamBitrate", "streamId", 9),
    ("updateMetadata", "key", 3),
    ("updateMetadata", "value", 3),
    ("updateMetadata", "operation", "FOO"),
    ("updateParticipantMetadata", "newMetadata", "x"),
    ("updateParticipantMetadata", "newMetadata", [1]),
    ("updateStreamMetadata", "newMetadata", 1),
    ("sendEvent", "event", "x"),
    ("sendEvent", "qos", "FAST"),
    ("sendEvent", "masks", "$.a"),
]


WRONG_TYPE_CASES = [(c[0], c[1], c[2], c[3] if len(c) > 3 else c[1]) for c in WRONG_TYPES]


@pytest.mark.parametrize("op,field,value,names", WRONG_TYPE_CASES,
                         ids=[f"{o}-{f}-{type(v).__name__}{'-nested' if n is None else ''}"
                              for o, f, v, n in WRONG_TYPE_CASES])
def test_wrong_type_400(api, conf, op, field, value, names):
    """Wrong JSON type or enum value -> 400 INVALID_FIELD naming the field
    (for a bad value nested inside a field, the message may name the inner one)."""
    body = {**bodies(conf)[op], field: value}
    assert_error(api.post(op, body), 400, "INVALID_FIELD", names=names)
    assert api.version(conf) == 2


BAD_IDS = ["", "x" * 200, "x" * 129, "\u00e9" * 65, "a\x00b", "a\nb", "tab\t", "del\x7f", "c1\x85", "rtl\u202e", "zw\u200b", ".", ".."]


@pytest.mark.parametrize("bad", BAD_IDS, ids=["empty", "200chars", "129chars", "130bytes", "nul", "newline", "tab", "del", "c1",
                                              "bidi-override", "zero-width", "dot", "dotdot"])
def test_invalid_ids_400(api, conf, bad):
    assert_error(api.post("create", {"conferenceId": bad}), 400, "INVALID_FIELD", names="conferenceId")
    assert_error(api.post("join", {"conferenceId": conf, "userEndpointId": bad}), 400, "INVALID_FIELD",
                 names="userEndpointId")
    body = {**bodies(conf)["unpublishStream"], "streamId": {"id": bad}}
    assert_error(api.post("unpublishStream", body), 400, "INVALID_FIELD", names="streamId")
    body = {**bodies(conf)["stopViewStream"], "viewerId": bad}
    assert_error(api.post("stopViewStream", body), 400, "INVALID_FIELD", names="viewerId")


def test_valid_id_edge_cases(api):
    for cid in [(uid("m") + "x" * 128)[:128], uid("A-z_0.9~"), "Z" + uuid.uuid4().hex[:1]]:
        r = api.post("create", {"conferenceId": cid})
        assert r.status_code == 200, f"{cid!r}: {r.status_code} {r.text}"
        assert api.conference(cid)["id"] == cid
    cid = api.new_conference()
    api.join(cid, ("E.p_1~-" + "z" * 128)[:128])


# --------------------------------------------------------------------------
# Unknown conference
# --------------------------------------------------------------------------

UNKNOWN_OPS = list(bodies("x"))


@pytest.mark.parametrize("op", UNKNOWN_OPS)
def test_unknown_conference_404_post(api, op):
    assert_error(api.post(op, bodies(uid("ghost"))[op]), 404, "CONFERENCE_NOT_FOUND")


@pytest.mark.parametrize("suffix", ["", "/simpleView", "/events?v=0", "/events/stream?v=0"])
def test_unknown_conference_404_get(api, suffix):
    r = api.get(f"{uid('ghost')}{suffix}", timeout=5)
    assert_error(r, 404, "CONFERENCE_NOT_FOUND")


@pytest.mark.parametrize("op,extra", [("updateStreamMetadata", {"newMetadata": {"a": "b"}}),
                                      ("updatePublishedStreamBitrate", {"videoBitrate": 300000})])
def test_stream_updates_without_stream_id_apply_to_every_stream(api, conf, op, extra):
    """Document 004 makes streamId optional for these two: absent (or null)
    means every stream of the endpoint — with none published, nothing changes."""
    before = api.conference(conf)["version"]
    for body in ({"conferenceId": conf, "userEndpointId": "ep1", **extra},
                 {"conferenceId": conf, "userEndpointId": "ep1", "streamId": None, **extra}):
        r = api.post(op, body)
        assert r.status_code == 204, r.text
    assert api.conference(conf)["version"] == before
    # An unknown stream named explicitly is still 404.
    r = api.post(op, {"conferenceId": conf, "userEndpointId": "ep1", "streamId": {"id": "nope"}, **extra})
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "STREAM_NOT_FOUND"
