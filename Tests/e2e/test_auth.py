"""OAuth client-credentials token endpoint, bearer-token checks, and roles."""
from __future__ import annotations

import hashlib
import time

import pytest
import requests

from e2elib import (
    ALICE_ID, ALICE_SECRET, API, JWT_SECRET, SVC_ID, SVC_SECRET, Api, assert_error,
    fetch_token, jwt_parts, make_jwt, uid,
)

TOKEN_PATH = "/security/oauth/token"


def token_request(server, data=None, auth=None):
    return requests.post(server.base + TOKEN_PATH, data=data, auth=auth, timeout=5)


# --------------------------------------------------------------------------
# Token endpoint
# --------------------------------------------------------------------------

def test_token_with_basic_credentials(server):
    t0 = int(time.time())
    r = token_request(server, {"grant_type": "client_credentials"}, (SVC_ID, SVC_SECRET))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    header, payload, sig = jwt_parts(body["access_token"])
    assert header["alg"] == "HS256"
    assert payload["sub"] == SVC_ID
    assert "SERVICE" in payload["roles"]
    assert payload["iss"] == "sfu"
    assert isinstance(payload["jti"], str) and payload["jti"]
    # `org` (organization id) may be absent for a client configured without one.
    assert isinstance(payload.get("org", ""), str)
    assert abs(payload["iat"] - t0) <= 5
    assert payload["exp"] - payload["iat"] == 3600
    assert len(sig) == 32


def test_token_with_form_credentials(server):
    r = token_request(server, {"grant_type": "client_credentials",
                               "client_id": ALICE_ID, "client_secret": ALICE_SECRET})
    assert r.status_code == 200, r.text
    _, payload, _ = jwt_parts(r.json()["access_token"])
    assert payload["sub"] == ALICE_ID
    assert payload["roles"] == ["PARTICIPANT"]


def test_tokens_are_unique(server):
    a = fetch_token(server.base)
    b = fetch_token(server.base)
    assert jwt_parts(a)[1]["jti"] != jwt_parts(b)[1]["jti"]


@pytest.mark.parametrize("creds", [(SVC_ID, "wrong"), ("nobody", "nothing")], ids=["wrong-secret", "unknown-client"])
def test_bad_client_credentials_401_invalid_client(server, creds):
    r = token_request(server, {"grant_type": "client_credentials"}, creds)
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"
    r = token_request(server, {"grant_type": "client_credentials",
                               "client_id": creds[0], "client_secret": creds[1]})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"


def test_missing_grant_type_400(server):
    r = token_request(server, {"scope": "any"}, (SVC_ID, SVC_SECRET))
    assert r.status_code == 400, r.text
    assert r.json()["error"] in ("invalid_request", "unsupported_grant_type")


def test_unsupported_grant_type_400(server):
    r = token_request(server, {"grant_type": "password", "username": "u", "password": "p"},
                      (SVC_ID, SVC_SECRET))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "unsupported_grant_type"


def test_delegated_participant_token(server):
    token = fetch_token(server.base, user_id="bob")
    _, payload, _ = jwt_parts(token)
    assert payload["sub"] == "bob"
    assert payload["roles"] == ["PARTICIPANT"]


def test_participant_cannot_delegate(server):
    r = token_request(server, {"grant_type": "client_credentials", "user_id": "mallory"},
                      (ALICE_ID, ALICE_SECRET))
    # user_id is a SERVICE privilege: a participant client must not mint
    # tokens for other users.
    assert r.status_code in (400, 401, 403), f"PARTICIPANT client delegated: {r.status_code} {r.text}"


# --------------------------------------------------------------------------
# Bearer token verification
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def conf_id(api):
    return api.new_conference()


def get_conf(server, cid, token=None, headers=None):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    return requests.get(f"{server.base}{API}/{cid}", headers=h, timeout=5)


def test_no_token_401(server, conf_id):
    assert_error(get_conf(server, conf_id), 401, "UNAUTHORIZED")
    r = requests.post(f"{server.base}{API}/create", json={}, timeout=5)
    assert_error(r, 401, "UNAUTHORIZED")


def test_garbage_tokens_401(server, conf_id):
    for bad in ["garbage", "a.b.c", "", "eyJhbGciOiJIUzI1NiJ9..", "Bearer"]:
        assert_error(get_conf(server, conf_id, bad), 401, "UNAUTHORIZED")
    assert_error(get_conf(server, conf_id, headers={"Authorization": "Basic c3ZjOnN2Y3NlY3JldA=="}),
                 401, "UNAUTHORIZED")


def test_resigned_real_payload_is_accepted(server, svc_token, conf_id):
    """Control for the forgery tests below: the same claims signed with the
    server's secret pass, so each 401 below is due to the one thing changed."""
    header, payload, _ = jwt_parts(svc_token)
    token = make_jwt(header, payload)
    assert get_conf(server, conf_id, token).status_code == 200


def test_token_signed_with_other_secret_401(server, svc_token, conf_id):
    header, payload, _ = jwt_parts(svc_token)
    assert_error(get_conf(server, conf_id, make_jwt(header, payload, secret="not-the-secret")),
                 401, "UNAUTHORIZED")


def test_tampered_payload_401(server, alice_token, conf_id):
    header, payload, sig = jwt_parts(alice_token)
    payload["roles"] = ["SERVICE"]
    forged = make_jwt(header, payload, signature=sig)
    assert_error(get_conf(server, conf_id, forged), 401, "UNAUTHORIZED")


def test_alg_none_401(server, svc_token, conf_id):
    _, payload, _ = jwt_parts(svc_token)
    token = make_jwt({"alg": "none", "typ": "JWT"}, payload, secret=None)
    assert token.endswith(".")
    assert_error(get_conf(server, conf_id, token), 401, "UNAUTHORIZED")


def test_expired_token_401(server, svc_token, conf_id):
    header, payload, _ = jwt_parts(svc_token)
    now = int(time.time())
    payload.update(iat=now - 7200, exp=now - 3600)
    assert_error(get_conf(server, conf_id, make_jwt(header, payload)), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("alg,digest", [("HS512", hashlib.sha512), ("RS256", hashlib.sha256),
                                        ("HS384", hashlib.sha384)])
def test_other_algorithms_401(server, svc_token, conf_id, alg, digest):
    _, payload, _ = jwt_parts(svc_token)
    token = make_jwt({"alg": alg, "typ": "JWT"}, payload, digest=digest)
    assert_error(get_conf(server, conf_id, token), 401, "UNAUTHORIZED")


def test_access_token_query_parameter_for_events(server, svc_token, conf_id):
    r = requests.get(f"{server.base}{API}/{conf_id}/events", params={"v": 0, "access_token": svc_token},
                     timeout=5)
    assert r.status_code == 200, r.text
    assert r.json()[0]["type"] == "ConferenceCreatedEvent"
    r = requests.get(f"{server.base}{API}/{conf_id}/events", params={"v": 0, "access_token": "junk"},
                     timeout=5)
    assert_error(r, 401, "UNAUTHORIZED")


# --------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------

def test_participant_rights(server, api, token_for):
    cid = api.new_conference()
    bob = api.clone(token_for("bob"))
    carol = api.clone(token_for("carol"))

    # Not joined yet: cannot read.
    assert_error(bob.get(cid), 403, "FORBIDDEN")

    conf = bob.join(cid, "e1", {"name": "Bob"})
    part = [p for p in conf["participants"] if p["id"] == "e1"]
    assert part and part[0]["userId"] == "bob", conf

    # Bob, joined, may read; Carol may not.
    assert bob.get(cid).status_code == 200
    assert bob.get(f"{cid}/simpleView").status_code == 200
    assert bob.get(f"{cid}/events", params={"v": 0}).status_code == 200
    assert_error(carol.get(cid), 403, "FORBIDDEN")
    assert_error(carol.get(f"{cid}/simpleView"), 403, "FORBIDDEN")
    assert_error(carol.get(f"{cid}/events", params={"v": 0}), 403, "FORBIDDEN")

    # Carol cannot act on Bob's endpoint, even once she has joined herself.
    body = {"conferenceId": cid, "userEndpointId": "e1"}
    assert_error(carol.post("leave", body), 403, "FORBIDDEN")
    carol.join(cid, "e2")
    assert_error(carol.post("leave", body), 403, "FORBIDDEN")
    assert_error(carol.post("updateParticipantMetadata", {**body, "newMetadata": {"x": "y"}}), 403, "FORBIDDEN")
    assert_error(carol.post("updateMetadata", {**body, "key": "k", "operation": "SET", "value": "v"}),
                 403, "FORBIDDEN")
    assert_error(carol.post("end", body), 403, "FORBIDDEN")

    # A participant may not sendEvent.
    ev = {"conferenceId": cid, "event": {"type": "SomethingHappenedEvent",
                                         "timestamp": "2024-01-01T00:00:00Z"}}
    assert_error(bob.post("sendEvent", ev), 403, "FORBIDDEN")

    # Bob acts on his own endpoint.
    r = bob.post("updateMetadata", {**body, "key": "k", "operation": "SET", "value": "v"})
    assert r.status_code == 204, r.text
    md = api.conference(cid)["metadata"]["k"]
    assert md["userId"] == "bob" and md["userEndpointId"] == "e1"
    assert bob.post("leave", body).status_code == 204

    # Left: no longer allowed to read.
    assert_error(bob.get(cid), 403, "FORBIDDEN")
    # Still a forbidden list for carol on e1 even though e1 has gone: 403 or 404.
    r = carol.post("leave", body)
    assert r.status_code in (403, 404), r.text


def test_participant_client_binds_its_own_subject(server, api, alice_token):
    cid = api.new_conference()
    alice = api.clone(alice_token)
    conf = alice.join(cid, "alice-ep")
    part = [p for p in conf["participants"] if p["id"] == "alice-ep"]
    assert part and part[0]["userId"] == ALICE_ID


def test_service_may_act_on_any_endpoint(api, token_for):
    cid = api.new_conference()
    api.clone(token_for("dave")).join(cid, "d1")
    api.leave(cid, "d1")


def test_auth_off_needs_no_token(noauth_server):
    anon = Api(noauth_server.base, None)
    r = anon.post("create", {})
    assert r.status_code == 200, r.text
    cid = r.json()["id"]
    conf = anon.join(cid, "anon-ep")
    part = [p for p in conf["participants"] if p["id"] == "anon-ep"]
    assert part and part[0]["userId"] == "anonymous"
    assert anon.get(cid).status_code == 200
    ev = {"conferenceId": cid, "qos": "AT_LEAST_ONCE",
          "event": {"type": "SomethingHappenedEvent", "timestamp": "2024-01-01T00:00:00Z"}}
    r = anon.post("sendEvent", ev)
    assert r.status_code == 200, r.text
    assert r.json()["eventsSent"] == 1
