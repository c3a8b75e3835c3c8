"""Issue 15: a client written from documents 003/004 works unchanged.

Each test names the rule it proves; each failed on the server before the
change (400/415 for a body-less create, 400 for a bare-string streamId, 400
for printable ids, 404 for REMOVE of an absent key, 409 for a re-join, only
ConferenceEndedEvent on `end`)."""
from __future__ import annotations

import urllib.parse

import pytest
import requests

from e2elib import assert_error, load_offer, uid


def test_create_without_body_or_content_type_makes_a_router_conference(api):
    """Document 004's curl sample for create sends no body (it is optional)."""
    for headers in ({}, {"Content-Type": "application/json"}):
        r = requests.post(api.base + "/rtc-api/conferences/create", timeout=10,
                          headers={"Authorization": f"Bearer {api.token}", **headers})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["mode"] == "ROUTER" and body["version"] == 1 and body["id"]
        assert api.conference(body["id"])["mode"] == "ROUTER"
    # A body that is there must still be JSON.
    r = requests.post(api.base + "/rtc-api/conferences/create", data=b"x=1", timeout=10,
                      headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def publish(api, cid, ep, sid=None):
    body = {"conferenceId": cid, "userEndpointId": ep, "conferenceStreamType": "CAM", "sdpOffer": load_offer()}
    if sid:
        body["streamId"] = {"id": sid}
    r = api.post("publishStream", body)
    assert r.status_code == 200, r.text
    return r.json()["streamId"]["id"]


def test_stream_id_from_an_event_is_accepted_as_a_bare_string(api):
    """ConferenceStreamPublishedEvent carries streamId as a string; feeding it back works."""
    cid = api.new_conference()
    api.join(cid, "pub")
    api.join(cid, "watcher")
    publish(api, cid, "pub")
    ev = next(e for e in api.events(cid) if e["type"] == "ConferenceStreamPublishedEvent")
    sid = ev["streamId"]
    assert isinstance(sid, str)
    r = api.post("viewStream", {"conferenceId": cid, "userEndpointId": "watcher", "streamId": sid,
                                "sdpOffer": load_offer("recvonly"), "viewerId": "v1"})
    assert r.status_code == 200, r.text
    for op, extra in (("updateStreamMetadata", {"newMetadata": {"a": "b"}}),
                      ("updatePublishedStreamBitrate", {"videoBitrate": 300_000})):
        r = api.post(op, {"conferenceId": cid, "userEndpointId": "pub", "streamId": sid, **extra})
        assert r.status_code == 204, f"{op}: {r.text}"
    r = api.post("stopViewStream", {"conferenceId": cid, "userEndpointId": "watcher", "streamId": sid, "viewerId": "v1"})
    assert r.status_code == 204, r.text
    r = api.post("unpublishStream", {"conferenceId": cid, "userEndpointId": "pub", "streamId": sid})
    assert r.status_code == 204, r.text
    # The object form still works, and anything else is named.
    assert_error(api.post("unpublishStream", {"conferenceId": cid, "userEndpointId": "pub", "streamId": {"id": sid}}),
                 404, "STREAM_NOT_FOUND")
    assert_error(api.post("unpublishStream", {"conferenceId": cid, "userEndpointId": "pub", "streamId": 5}),
                 400, "INVALID_FIELD", names="streamId")


PRINTABLE_IDS = ["alice@example.com", "user:42", "a|b", "#room", "with spaces", "a/b", "Zoë 会议", "../x", "?q=1&x", "%2F", "..."]


@pytest.mark.parametrize("ident", PRINTABLE_IDS)
def test_printable_identifiers_work_everywhere(api, ident):
    """Any printable string is an id (URL-encoded in paths, one segment each)."""
    cid = f"{ident} {uid()}"
    r = api.post("create", {"conferenceId": cid, "creatorEndpoint": ident})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == cid
    api.join(cid, ident)
    sid = publish(api, cid, ident, sid=ident)
    assert sid == ident
    quoted = urllib.parse.quote(cid, safe="")
    got = api.get(f"{api.base}/rtc-api/conferences/{quoted}")
    assert got.status_code == 200, got.text
    assert got.json()["id"] == cid and got.json()["participants"][0]["id"] == ident
    assert got.json()["participants"][0]["streams"][0]["id"] == {"id": ident}
    assert api.get(f"{api.base}/rtc-api/conferences/{quoted}/simpleView").json()["id"] == cid
    events = api.get(f"{api.base}/rtc-api/conferences/{quoted}/events", params={"v": 0, "userEndpointId": ident})
    assert events.status_code == 200, events.text
    assert [e["conferenceId"] for e in events.json()] == [cid] * len(events.json())
    # The Recordings API reads the same ids.
    possible = api.get(f"{api.base}/channels/{quoted}/record/possible")
    assert possible.status_code == 200 and possible.json()["possible"] is True, possible.text
    api.end(cid, ident)


def test_printable_conference_id_is_recorded_safely_on_disk(server, api):
    """A recording of a conference whose id holds '/' and '..' lands below the recordings
    directory under an encoded name (Identifier.fileName), never at the raw path."""
    import os
    cid = f"../../escape/{uid()}"
    api.post("create", {"conferenceId": cid})
    api.join(cid, "ep")
    quoted = urllib.parse.quote(cid, safe="")
    r = api.s.post(f"{api.base}/channels/{quoted}/record", headers=api._headers(None), timeout=10)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = api.s.delete(f"{api.base}/channels/{quoted}/record", headers=api._headers(None), timeout=10)
    assert r.status_code == 200, r.text
    root = os.path.join(server.data_dir, "recordings")
    found = [d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d, rid))]
    assert len(found) == 1 and found[0].startswith("%="), found
    assert not os.path.exists(os.path.join(server.data_dir, "escape")) and not os.path.exists(os.path.join(root, "..", "..", "escape"))
    listed = api.get(f"{api.base}/channels/{quoted}/recordings").json()
    assert [x["id"] for x in listed["results"]] == [rid] and listed["results"][0]["channel"] == cid


@pytest.mark.parametrize("bad", ["", "a\x00b", "a\nb", "x\u202e", ".", "..", "x" * 129])
def test_unprintable_identifiers_are_refused(api, bad):
    assert_error(api.post("create", {"conferenceId": bad}), 400, "INVALID_FIELD", names="conferenceId")


def test_optional_fields_of_document_004(api):
    """videoBitrate and newMetadata are not mandatory in document 004."""
    cid = api.new_conference()
    api.join(cid, "ep", metadata={"old": "x"})
    sid = publish(api, cid, "ep")
    v = api.version(cid)
    r = api.post("updatePublishedStreamBitrate", {"conferenceId": cid, "userEndpointId": "ep", "streamId": {"id": sid}})
    assert r.status_code == 204, r.text
    assert api.version(cid) == v, "no videoBitrate: nothing changes"
    assert_error(api.post("updatePublishedStreamBitrate", {"conferenceId": cid, "userEndpointId": "ep", "streamId": {"id": "nope"}}),
                 404, "STREAM_NOT_FOUND")
    r = api.post("updateParticipantMetadata", {"conferenceId": cid, "userEndpointId": "ep"})
    assert r.status_code == 204, r.text
    assert api.conference(cid)["participants"][0]["metadata"] == {}
    api.post("updateStreamMetadata", {"conferenceId": cid, "userEndpointId": "ep", "newMetadata": {"k": "v"}})
    r = api.post("updateStreamMetadata", {"conferenceId": cid, "userEndpointId": "ep", "streamId": sid, "newMetadata": None})
    assert r.status_code == 204, r.text
    assert api.conference(cid)["participants"][0]["streams"][0]["metadata"] == {}


def test_remove_of_an_absent_metadata_key_is_idempotent(api):
    cid = api.new_conference()
    api.join(cid, "ep")
    body = {"conferenceId": cid, "userEndpointId": "ep", "key": "topic", "operation": "SET", "value": "x"}
    assert api.post("updateMetadata", body).status_code == 204
    remove = {**body, "operation": "REMOVE"}
    del remove["value"]
    assert api.post("updateMetadata", remove).status_code == 204
    v = api.version(cid)
    r = api.post("updateMetadata", remove)
    assert r.status_code == 204, r.text
    assert api.version(cid) == v, "removing what is not there changes nothing"
    assert "topic" not in api.conference(cid)["metadata"]


def test_end_makes_every_participant_leave_before_the_conference_ends(api):
    """OpenAPI and docs/API.md: end → StreamUnpublished, ParticipantLeft CONFERENCE_ENDED, then Ended."""
    cid = api.new_conference()
    api.join(cid, "a")
    api.join(cid, "b")
    sid = publish(api, cid, "a")
    v = api.version(cid)
    api.end(cid, "b", reason="done")
    tail = api.events(cid, v)
    kinds = [(e["type"], e.get("userEndpointId"), e.get("reason")) for e in tail]
    assert kinds == [
        ("ConferenceStreamUnpublishedEvent", "a", "LEFT"),
        ("ConferenceParticipantLeftEvent", "a", "CONFERENCE_ENDED"),
        ("ConferenceParticipantLeftEvent", "b", "CONFERENCE_ENDED"),
        ("ConferenceEndedEvent", "b", "done"),
    ], kinds
    assert tail[0]["streamId"] == sid
    versions = [e["conferenceVersion"] for e in tail]
    assert versions == list(range(v + 1, v + 5)), versions
