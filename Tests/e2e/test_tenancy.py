"""Roles, organizations and quotas (issue 16 items 4, 5 and 8), probed as an
attacker would: with curl-like requests and the lowest-privileged tokens.

Server under test: SERVICE clients of two organizations (orgA, orgB), the
operator's SERVICE client without an organization (svc) and a PARTICIPANT
client (alice), with small quotas so that they can be reached.
"""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from e2elib import (API, JWT_SECRET, SVC_ID, SVC_SECRET, Api, assert_error, fetch_token, jwt_parts,
                    make_jwt, uid)
from storelib import make_ogg, start_store_server

TS = "2024-05-01T10:15:30Z"
A_ID, A_SECRET = "svc-a", "secret-a"
B_ID, B_SECRET = "svc-b", "secret-b"


@pytest.fixture(scope="module")
def srv():
    # The stores exposed (--store-listen 0.0.0.0): on loopback they trust every local client.
    return start_store_server("tenancy", "--store-listen", "0.0.0.0",
                              "--client", f"{SVC_ID}:{SVC_SECRET}:SERVICE",
                              "--client", "alice:alicesecret:PARTICIPANT",
                              "--client", f"{A_ID}:{A_SECRET}:SERVICE:orgA",
                              "--client", f"{B_ID}:{B_SECRET}:SERVICE:orgB",
                              "--max-conferences-per-participant", "2",
                              "--max-conferences-per-organization", "20",
                              "--max-events-per-second", "5",
                              "--max-conference-metadata-bytes", "200",
                              clients=False)


@pytest.fixture(scope="module")
def ogg(tmp_path_factory) -> bytes:
    return make_ogg(tmp_path_factory.mktemp("ogg") / "t.ogg", seconds=1).read_bytes()


def token(srv, client=SVC_ID, secret=SVC_SECRET, user=None, grants=None) -> str:
    form = {"grant_type": "client_credentials"}
    if user:
        form["user_id"] = user
    if grants:
        form["grants"] = grants
    r = requests.post(srv.base + "/security/oauth/token", data=form, auth=(client, secret), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def api(srv, tok) -> Api:
    return Api(srv.base, tok)


def records(srv, path: str) -> str:
    return f"http://127.0.0.1:{srv.records_port}/records/{path}"


def put_record(srv, tok, event, ogg, start="2024-01-01T00:00:00Z"):
    return requests.put(records(srv, f"{event}/{start}"), data=ogg, timeout=10,
                        headers={"Content-Type": "audio/ogg", "Authorization": f"Bearer {tok}"})


def get(url, tok, **kw):
    return requests.get(url, headers={"Authorization": f"Bearer {tok}"}, timeout=10, **kw)


# --------------------------------------------------------------------------
# Who may create and end
# --------------------------------------------------------------------------

def test_participant_cannot_create_without_a_grant(srv):
    """A PARTICIPANT filled --max-conferences and squatted ids: create is
    now SERVICE's, or a participant's granted 'create' by a SERVICE."""
    for tok in (token(srv, "alice", "alicesecret"), token(srv, user="mallory")):
        assert_error(api(srv, tok).post("create", {"conferenceId": uid("squat")}), 403, "FORBIDDEN")
    granted = api(srv, token(srv, user="carol", grants="create"))
    r = granted.post("create", {"conferenceId": uid("mine")})
    assert r.status_code == 200, r.text
    # The grant is the SERVICE's to give: a participant client cannot ask for it.
    r = requests.post(srv.base + "/security/oauth/token", auth=("alice", "alicesecret"),
                      data={"grant_type": "client_credentials", "grants": "create"}, timeout=10)
    assert r.status_code == 400, r.text
    r = requests.post(srv.base + "/security/oauth/token", auth=(SVC_ID, SVC_SECRET),
                      data={"grant_type": "client_credentials", "user_id": "x", "grants": "admin"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope", r.text


def test_participant_cannot_name_a_conference_after_an_existing_event(srv, ogg):
    """The hole: a participant created a conference named after any event's
    UUID, became its member and read the event's records."""
    event = str(uuid.uuid4())
    svc_a = token(srv, A_ID, A_SECRET)
    assert put_record(srv, svc_a, event, ogg).status_code in (200, 201, 204)
    for grants_user in ("eve", "eve2"):
        mallory = api(srv, token(srv, A_ID, A_SECRET, user=grants_user, grants="create"))
        for cid in (event, event.upper()):
            assert_error(mallory.post("create", {"conferenceId": cid}), 409, "CONFERENCE_EXISTS")
        tok = mallory.token
        assert get(records(srv, event), tok).status_code in (403, 404)
        assert get(records(srv, f"{event}/2024-01-01T00:00:00Z"), tok).status_code in (403, 404)
        with requests.get(f"http://127.0.0.1:{srv.records_port}/sse", params={"event": event},
                          headers={"Authorization": f"Bearer {tok}"}, stream=True, timeout=10) as r:
            assert r.status_code in (403, 404)
    # Another organization's SERVICE cannot take the id either…
    assert_error(api(srv, token(srv, B_ID, B_SECRET)).post("create", {"conferenceId": event}), 409, "CONFERENCE_EXISTS")
    # …while the owner's SERVICE names its conference after its event.
    r = api(srv, svc_a).post("create", {"conferenceId": event})
    assert r.status_code == 200, r.text


def test_participant_ends_only_with_right(srv):
    svc_a = api(srv, token(srv, A_ID, A_SECRET))
    cid = svc_a.new_conference()
    bob = api(srv, token(srv, A_ID, A_SECRET, user="bob"))
    bob.join(cid, "bob-ep")
    assert_error(bob.post("end", {"conferenceId": cid, "userEndpointId": "bob-ep"}), 403, "FORBIDDEN")
    assert svc_a.conference(cid)["participants"], "the failed end changed nothing"
    ender = api(srv, token(srv, A_ID, A_SECRET, user="bob", grants="end"))
    assert ender.post("end", {"conferenceId": cid, "userEndpointId": "bob-ep"}).status_code == 204
    # The creator ends its own conference.
    dana = api(srv, token(srv, A_ID, A_SECRET, user="dana", grants="create"))
    own = dana.new_conference()
    dana.join(own, "dana-ep")
    assert dana.post("end", {"conferenceId": own, "userEndpointId": "dana-ep"}).status_code == 204


# --------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------

def test_organizations_do_not_see_each_other(srv):
    a, b = api(srv, token(srv, A_ID, A_SECRET)), api(srv, token(srv, B_ID, B_SECRET))
    cid = a.new_conference()
    a.join(cid, "a-ep")
    assert a.conference(cid)["organizationId"] == "orgA"
    for r in (b.get(cid), b.get(f"{cid}/simpleView"), b.get(f"{cid}/events", params={"v": 0}),
              b.get(f"{cid}/events/stream", params={"v": 0}),
              b.post("join", {"conferenceId": cid, "userEndpointId": "b-ep"}),
              b.post("end", {"conferenceId": cid, "userEndpointId": "a-ep"}),
              b.post("sendEvent", {"conferenceId": cid, "event": {"type": "HandRaisedEvent", "timestamp": TS}})):
        assert_error(r, 404, "CONFERENCE_NOT_FOUND")
    # A SERVICE of an organization cannot file a conference under another one.
    other = a.create(conferenceId=uid("c"), organizationId="orgB")["id"]
    assert a.conference(other)["organizationId"] == "orgA"
    assert_error(b.get(other), 404)
    # A participant of orgB, even granted create, cannot join orgA's conference.
    pb = api(srv, token(srv, B_ID, B_SECRET, user="pb"))
    assert_error(pb.post("join", {"conferenceId": cid, "userEndpointId": "pb-ep"}), 404, "CONFERENCE_NOT_FOUND")
    # The operator (a SERVICE without organization) sees every organization.
    op = api(srv, token(srv))
    assert op.conference(cid)["organizationId"] == "orgA"
    # Recordings API: the channel is invisible too.
    assert_error(b.get(f"{srv.base}/channels/{cid}/recordings"), 404)
    assert a.get(f"{srv.base}/channels/{cid}/recordings").status_code == 200


def test_store_events_belong_to_an_organization(srv, ogg):
    event = str(uuid.uuid4())
    ta, tb = token(srv, A_ID, A_SECRET), token(srv, B_ID, B_SECRET)
    assert put_record(srv, ta, event, ogg).status_code in (200, 201, 204)
    assert get(records(srv, event), ta).json()["total"] == 1
    assert_error(get(records(srv, event), tb), 404, "EVENT_NOT_FOUND")
    assert_error(get(records(srv, f"{event}/2024-01-01T00:00:00Z"), tb), 404, "EVENT_NOT_FOUND")
    assert_error(put_record(srv, tb, event, ogg, start="2024-01-02T00:00:00Z"), 404, "EVENT_NOT_FOUND")
    assert_error(requests.delete(records(srv, f"{event}/2024-01-01T00:00:00Z"), timeout=10,
                                 headers={"Authorization": f"Bearer {tb}"}), 404, "EVENT_NOT_FOUND")
    # An organization's SERVICE follows one event, never the whole store.
    with requests.get(f"http://127.0.0.1:{srv.records_port}/sse", headers={"Authorization": f"Bearer {tb}"},
                      stream=True, timeout=10) as r:
        assert r.status_code == 403
    # The operator sees everything.
    assert get(records(srv, event), token(srv)).json()["total"] == 1


def test_members_of_a_non_uuid_conference_read_its_records(srv, ogg):
    """The recorder stores a conference 'standup' under uuid5(URL,
    'sfu:conference:standup'); its members got 403 there (the authorizer
    looked the UUID up as a conference name)."""
    name = uid("standup")
    event = str(uuid.uuid5(uuid.NAMESPACE_URL, "sfu:conference:" + name))
    svc_a = token(srv, A_ID, A_SECRET)
    api(srv, svc_a).create(conferenceId=name)
    bob = api(srv, token(srv, A_ID, A_SECRET, user="bob-s"))
    bob.join(name, "bob-s-ep")
    assert put_record(srv, svc_a, event, ogg).status_code in (200, 201, 204)
    r = get(records(srv, event), bob.token)
    assert r.status_code == 200 and r.json()["total"] == 1, r.text
    assert get(records(srv, f"{event}/2024-01-01T00:00:00Z"), bob.token).status_code == 200
    # Not a member: refused.
    assert get(records(srv, event), token(srv, A_ID, A_SECRET, user="stranger")).status_code == 403


# --------------------------------------------------------------------------
# Quotas
# --------------------------------------------------------------------------

def test_participant_conference_quota_is_429(srv):
    p = api(srv, token(srv, A_ID, A_SECRET, user=uid("q"), grants="create"))
    p.new_conference()
    p.new_conference()
    assert_error(p.post("create", {"conferenceId": uid("c")}), 429, "QUOTA_EXCEEDED")


def test_organization_conference_quota_is_429_and_others_still_create(srv):
    b = api(srv, token(srv, B_ID, B_SECRET))
    made = 0
    while True:
        r = b.post("create", {"conferenceId": uid("orgb")})
        if r.status_code != 200:
            break
        made += 1
        assert made <= 20
    assert_error(r, 429, "QUOTA_EXCEEDED")
    # Neither the operator nor another organization is blocked (the old 503 for everyone).
    assert api(srv, token(srv, A_ID, A_SECRET)).post("create", {}).status_code == 200
    assert api(srv, token(srv)).post("create", {}).status_code == 200


def test_send_event_rate_is_429_with_retry_after(srv):
    a = api(srv, token(srv, A_ID, A_SECRET))
    cid = a.new_conference()
    codes = []
    for _ in range(30):
        r = a.post("sendEvent", {"conferenceId": cid, "event": {"type": "HandRaisedEvent", "timestamp": TS}})
        codes.append(r.status_code)
        if r.status_code == 429:
            assert r.json()["error"] == "RATE_LIMITED" and r.headers.get("Retry-After") == "1"
    assert codes.count(429) >= 10, codes
    time.sleep(1.2)
    r = a.post("sendEvent", {"conferenceId": cid, "event": {"type": "HandRaisedEvent", "timestamp": TS}})
    assert r.status_code == 200, r.text


def test_conference_metadata_size_is_bounded(srv):
    a = api(srv, token(srv, A_ID, A_SECRET))
    assert_error(a.post("create", {"metadata": {"k": "v" * 300}}), 413, "METADATA_TOO_LARGE")
    cid = a.new_conference()
    a.join(cid, "m-ep")
    for i in range(4):
        r = a.post("updateMetadata", {"conferenceId": cid, "userEndpointId": "m-ep", "key": f"k{i}",
                                      "operation": "SET", "value": "v" * 40})
        assert r.status_code == 204, r.text
    r = a.post("updateMetadata", {"conferenceId": cid, "userEndpointId": "m-ep", "key": "k9",
                                  "operation": "SET", "value": "v" * 40})
    assert_error(r, 413, "METADATA_TOO_LARGE")


# --------------------------------------------------------------------------
# Tokens and reserved event types (item 8)
# --------------------------------------------------------------------------

def test_issuer_and_audience_are_checked(srv):
    good = token(srv)
    header, payload, _ = jwt_parts(good)
    assert payload["iss"] == "sfu" and payload["aud"] == "sfu:api", payload
    assert api(srv, make_jwt(header, payload)).post("create", {}).status_code == 200, "control: re-signed claims work"
    for change in ({"aud": "sfu:recording-download"}, {"aud": ["somebody-else"]}, {"iss": "https://idp.example"}):
        forged = make_jwt(header, {**payload, **change}, secret=JWT_SECRET)
        assert_error(api(srv, forged).post("create", {}), 401, "UNAUTHORIZED")
    no_aud = {k: v for k, v in payload.items() if k != "aud"}
    assert_error(api(srv, make_jwt(header, no_aud)).post("create", {}), 401, "UNAUTHORIZED")
    assert api(srv, make_jwt(header, {**payload, "aud": ["other", "sfu:api"]})).post("create", {}).status_code == 200


@pytest.mark.parametrize("etype", ["ConferenceEndedEvent", "ConferenceParticipantLeftEvent", "ConferenceStreamPublishedEvent"])
def test_service_cannot_send_the_servers_own_event_types(srv, etype):
    a = api(srv, token(srv, A_ID, A_SECRET))
    cid = a.new_conference()
    r = a.post("sendEvent", {"conferenceId": cid, "qos": "AT_LEAST_ONCE", "event": {"type": etype, "timestamp": TS}})
    assert_error(r, 400, "INVALID_FIELD")
    assert [e["type"] for e in a.events(cid)] == ["ConferenceCreatedEvent"]
