"""Conference versions and events: the log, long-polls, Server-Sent Events,
sendEvent (qos, masks) and concurrent changes."""
from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests

from e2elib import API, SseReader, assert_error, parse_sse, poll, uid

TS = "2024-05-01T10:15:30Z"


def parse_instant(s: str) -> datetime:
    assert isinstance(s, str) and "T" in s, f"not an ISO-8601 instant: {s!r}"
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check_base(ev: dict, cid: str, org: str | None = None) -> None:
    for k in ("id", "conferenceId", "conferenceVersion", "organizationId", "timestamp", "type"):
        assert k in ev, f"event lacks {k!r}: {ev}"
    assert isinstance(ev["id"], str) and ev["id"]
    assert ev["conferenceId"] == cid
    assert isinstance(ev["conferenceVersion"], int)
    if org is not None:
        assert ev["organizationId"] == org, ev
    parse_instant(ev["timestamp"])


def send_event(api, cid, event, qos=None, masks=None):
    body = {"conferenceId": cid, "event": event}
    if qos is not None:
        body["qos"] = qos
    if masks is not None:
        body["masks"] = masks
    return api.post("sendEvent", body)


# --------------------------------------------------------------------------
# The log
# --------------------------------------------------------------------------

def test_versions_and_event_log(api):
    cid = uid("ev")
    org = "org-ev"
    assert api.create(conferenceId=cid, creatorEndpoint="c-ep", organizationId=org,
                      metadata={"t": "1"})["version"] == 1
    steps = [
        ("join", {"userEndpointId": "e1", "metadata": {"n": "1"}}, "ConferenceParticipantJoinedEvent"),
        ("join", {"userEndpointId": "e2"}, "ConferenceParticipantJoinedEvent"),
        ("updateMetadata", {"userEndpointId": "e1", "key": "k", "operation": "SET", "value": "v"},
         "ConferenceMetadataUpdatedEvent"),
        ("updateParticipantMetadata", {"userEndpointId": "e2", "newMetadata": {"mood": "ok"}},
         "ConferenceParticipantMetadataUpdatedEvent"),
        ("updateMetadata", {"userEndpointId": "e1", "key": "k", "operation": "REMOVE"},
         "ConferenceMetadataUpdatedEvent"),
        ("leave", {"userEndpointId": "e2", "reason": "gone"}, "ConferenceParticipantLeftEvent"),
        ("sendEvent", {"qos": "AT_LEAST_ONCE",
                       "event": {"type": "RecordingStartedEvent", "timestamp": TS, "rec": "r1"}},
         "RecordingStartedEvent"),
        ("leave", {"userEndpointId": "e1"}, "ConferenceParticipantLeftEvent"),
        ("join", {"userEndpointId": "e3"}, "ConferenceParticipantJoinedEvent"),
    ]
    for i, (op, body, _) in enumerate(steps):
        r = api.post(op, {"conferenceId": cid, **body})
        assert r.status_code in (200, 204), f"{op}: {r.status_code} {r.text}"
        assert api.version(cid) == i + 2, f"version after {op}"
    api.end(cid, "e3")

    evs = api.events(cid, v=0)
    versions = [e["conferenceVersion"] for e in evs]
    assert versions == list(range(1, len(evs) + 1)), versions
    types = [e["type"] for e in evs]
    assert types[:len(steps) + 1] == ["ConferenceCreatedEvent"] + [t for _, _, t in steps], types
    assert types[-1] == "ConferenceEndedEvent"
    # Ending may first make the remaining endpoint leave.
    for e in evs[len(steps) + 1:-1]:
        assert e["type"] == "ConferenceParticipantLeftEvent" and e["reason"] == "CONFERENCE_ENDED", e
    assert len({e["id"] for e in evs}) == len(evs), "event ids are not unique"
    stamps = [parse_instant(e["timestamp"]) for e in evs if e["type"] != "RecordingStartedEvent"]
    assert stamps == sorted(stamps), "timestamps go backwards"
    for e in evs:
        check_base(e, cid, org)

    created, j1, j2, set_, pmeta, remove, left2, custom, left1, j3 = evs[:10]
    ended = evs[-1]
    assert created["creator"] == "svc" and created["creatorEndpoint"] == "c-ep"
    assert created["mode"] == "ROUTER" and "t" in created["metadata"]
    assert (j1["userEndpointId"], j1["userId"], j1["metadata"]) == ("e1", "svc", {"n": "1"})
    assert (j2["userEndpointId"], j2["userId"]) == ("e2", "svc")
    assert (set_["userEndpointId"], set_["userId"], set_["key"], set_["operation"], set_["value"]) == \
        ("e1", "svc", "k", "SET", "v")
    assert (pmeta["userEndpointId"], pmeta["userId"], pmeta["metadata"]) == ("e2", "svc", {"mood": "ok"})
    assert (remove["key"], remove["operation"], remove["userEndpointId"]) == ("k", "REMOVE", "e1")
    assert "value" in remove
    assert (left2["userEndpointId"], left2["userId"], left2["reason"]) == ("e2", "svc", "gone")
    assert (custom["timestamp"], custom["rec"]) == (TS, "r1")
    assert (left1["userEndpointId"], left1["reason"]) == ("e1", "LEFT")
    assert j3["userEndpointId"] == "e3"
    assert (ended["reason"], ended["userEndpointId"]) == ("ENDED", "e3")

    # events?v=N is exactly the suffix after N, in order.
    for n in range(0, len(evs) + 2):
        assert api.events(cid, v=n) == evs[n:], f"v={n}"


def test_events_bad_version_parameter(api):
    cid = api.new_conference()
    for v in ("abc",):
        r = api.get(f"{cid}/events", params={"v": v})
        assert_error(r, 400)


# --------------------------------------------------------------------------
# Long-poll
# --------------------------------------------------------------------------

def test_long_poll_returns_on_change(api):
    cid = api.new_conference()
    v = api.version(cid)
    other = api.clone()
    errors = []

    def change():
        time.sleep(0.5)
        try:
            other.join(cid, "late")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
    t = threading.Thread(target=change)
    t0 = time.monotonic()
    t.start()
    evs = api.events(cid, v=v, wait=5)
    elapsed = time.monotonic() - t0
    t.join()
    assert not errors, errors
    assert 0.3 <= elapsed < 3, f"long-poll returned after {elapsed:.2f} s"
    assert [e["type"] for e in evs] == ["ConferenceParticipantJoinedEvent"], evs
    assert evs[0]["userEndpointId"] == "late" and evs[0]["conferenceVersion"] == v + 1


def test_long_poll_times_out_with_empty_list(api):
    cid = api.new_conference()
    t0 = time.monotonic()
    evs = api.events(cid, v=api.version(cid), wait=1)
    elapsed = time.monotonic() - t0
    assert evs == []
    assert 0.8 <= elapsed < 3, elapsed


def test_long_poll_with_older_version_answers_at_once(api):
    cid = api.new_conference()
    t0 = time.monotonic()
    evs = api.events(cid, v=0, wait=5)
    assert time.monotonic() - t0 < 1
    assert [e["type"] for e in evs] == ["ConferenceCreatedEvent"]


# --------------------------------------------------------------------------
# Server-Sent Events
# --------------------------------------------------------------------------

def _stream_url(server, cid, token, v=0, **extra):
    q = "&".join([f"v={v}", f"access_token={token}"] + [f"{k}={val}" for k, val in extra.items()])
    return f"{server.base}{API}/{cid}/events/stream?{q}"


def test_sse_with_curl_until_conference_ends(server, api, svc_token):
    cid = api.new_conference()
    api.join(cid, "e1")
    r = api.post("updateMetadata", {"conferenceId": cid, "userEndpointId": "e1", "key": "k",
                                    "operation": "SET", "value": "v"})
    assert r.status_code == 204
    proc = subprocess.Popen(["curl", "-sS", "-i", "--no-buffer", "-N", "--max-time", "20",
                             "-H", "Accept: text/event-stream", _stream_url(server, cid, svc_token)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = bytearray()

    def reader():
        while True:
            b = proc.stdout.read1(4096)
            if not b:
                break
            out.extend(b)
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        poll(lambda: b"id: 3" in out or b"id:3" in out, 5, what="SSE backlog through id 3")
        api.join(cid, "e2")
        api.leave(cid, "e2")
        api.end(cid, "e1", reason="done")
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("SSE stream did not end after ConferenceEndedEvent: " + out.decode(errors="replace")[-800:])
        t.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.decode("utf-8")
    head, sep, body = text.replace("\r\n", "\n").partition("\n\n")
    assert sep, text
    assert code == 0, f"curl exit {code}: {proc.stderr.read().decode()}\n{text[-500:]}"
    assert head.startswith("HTTP/1.1 200"), head
    assert "content-type: text/event-stream" in head.lower(), head
    events = parse_sse(body)
    ids = [int(e.id) for e in events]
    assert ids == list(range(1, len(events) + 1)), ids
    for e in events:
        data = e.json()
        assert e.event == data["type"]
        assert data["conferenceVersion"] == int(e.id)
    assert events[-1].event == "ConferenceEndedEvent" and events[-1].json()["reason"] == "done"
    assert [e.json() for e in events] == api.events(cid, v=0)


def test_sse_via_accept_header_on_events(server, api, svc_token):
    cid = api.new_conference()
    api.join(cid, "e1")
    api.end(cid, "e1")
    r = requests.get(f"{server.base}{API}/{cid}/events", params={"v": 0},
                     headers={"Accept": "text/event-stream", "Authorization": f"Bearer {svc_token}"},
                     timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert [e.event for e in events][0] == "ConferenceCreatedEvent"
    assert events[-1].event == "ConferenceEndedEvent"
    assert [int(e.id) for e in events] == list(range(1, len(events) + 1))


def test_sse_resume_with_last_event_id(server, api, svc_token):
    # Ended conference: the stream replays what is after Last-Event-ID, then ends.
    cid = api.new_conference()
    for ep in ("a", "b", "c"):
        api.join(cid, ep)
    api.end(cid, "a")
    all_ids = [e["conferenceVersion"] for e in api.events(cid)]
    r = requests.get(_stream_url(server, cid, svc_token, v=0), headers={"Last-Event-ID": "3"}, timeout=10)
    assert r.status_code == 200
    got = [int(e.id) for e in parse_sse(r.text)]
    assert got == [i for i in all_ids if i > 3], got

    # Live conference: resume, then receive a new event.
    cid = api.new_conference()
    api.join(cid, "a")
    api.join(cid, "b")
    sse = SseReader(_stream_url(server, cid, svc_token, v=0), headers={"Last-Event-ID": "2"})
    try:
        assert sse.status == 200
        sse.wait_for(lambda e: e.id == "3", 5, "id 3")
        api.leave(cid, "b")
        sse.wait_for(lambda e: e.id == "4", 5, "id 4")
        assert [e.id for e in sse.snapshot()] == ["3", "4"]
    finally:
        sse.close()


# --------------------------------------------------------------------------
# sendEvent
# --------------------------------------------------------------------------

@pytest.mark.parametrize("etype", ["lowercaseEvent", "Foo", "RecordingStarted", "Recording StartedEvent",
                                   "Recording_StartedEvent", "", 5, None, "MISSING"],
                         ids=["lowercase", "Foo", "no-suffix", "space", "underscore", "empty", "number",
                              "null", "missing"])
def test_send_event_invalid_type_400(api, etype):
    cid = api.new_conference()
    event = {"timestamp": TS}
    if etype != "MISSING":
        event["type"] = etype
    r = send_event(api, cid, event, qos="AT_LEAST_ONCE")
    assert_error(r, 400, ("MISSING_FIELD", "INVALID_FIELD"), names="type")
    assert api.version(cid) == 1


@pytest.mark.parametrize("ts", ["yesterday", "2024-13-01T00:00:00Z", "2024-05-01", 1714558530, "", "MISSING"],
                         ids=["word", "month-13", "date-only", "number", "empty", "missing"])
def test_send_event_invalid_timestamp_400(api, ts):
    cid = api.new_conference()
    event = {"type": "RecordingStartedEvent"}
    if ts != "MISSING":
        event["timestamp"] = ts
    r = send_event(api, cid, event, qos="AT_LEAST_ONCE")
    assert_error(r, 400, ("MISSING_FIELD", "INVALID_FIELD"), names="timestamp")
    assert api.version(cid) == 1


def test_send_event_at_least_once_is_stored(api):
    cid = api.new_conference(organizationId="org-s")
    api.join(cid, "e1")
    api.join(cid, "e2")
    event = {"type": "RecordingStartedEvent", "timestamp": TS, "recordingId": "r1",
             "details": {"parts": [1, 2], "ok": True}}
    r = send_event(api, cid, event, qos="AT_LEAST_ONCE")
    assert r.status_code == 200, r.text
    assert r.json() == {"eventsSent": 2}
    assert api.version(cid) == 4
    [ev] = api.events(cid, v=3)
    check_base(ev, cid, "org-s")
    assert ev["conferenceVersion"] == 4
    assert ev["type"] == "RecordingStartedEvent" and ev["timestamp"] == TS
    assert ev["recordingId"] == "r1" and ev["details"] == {"parts": [1, 2], "ok": True}
    api.leave(cid, "e2")
    r = send_event(api, cid, {"type": "RecordingStoppedEvent", "timestamp": TS}, qos="AT_LEAST_ONCE")
    assert r.json() == {"eventsSent": 1}
    assert [e["conferenceVersion"] for e in api.events(cid)] == [1, 2, 3, 4, 5, 6]


def test_send_event_best_effort_reaches_streams_and_pollers(server, api, svc_token):
    """BEST_EFFORT (the default qos) reaches every endpoint joined at send
    time: open streams at once, pollers on their next poll, each event with a
    conferenceVersion of its own (issue 15 item 3)."""
    cid = api.new_conference()
    api.join(cid, "e1")
    api.join(cid, "e2")
    sse = SseReader(_stream_url(server, cid, svc_token, v=0, userEndpointId="e1"))
    try:
        assert sse.status == 200
        sse.wait_for(lambda e: e.id == "3", 5, "backlog through id 3")
        r = send_event(api, cid, {"type": "PingSentEvent", "timestamp": TS, "n": 1}, qos="BEST_EFFORT")
        assert r.status_code == 200, r.text
        assert r.json() == {"eventsSent": 2}, "every joined endpoint counts, connected or not"
        got = sse.wait_for(lambda e: e.event == "PingSentEvent", 5, "the BEST_EFFORT event")
        assert got.json()["n"] == 1 and got.json()["type"] == "PingSentEvent"
        assert got.id == "4" and got.json()["conferenceVersion"] == 4
        # qos defaults to BEST_EFFORT.
        r = send_event(api, cid, {"type": "PongSentEvent", "timestamp": TS})
        assert r.json() == {"eventsSent": 2}
        sse.wait_for(lambda e: e.event == "PongSentEvent" and e.id == "5", 5, "the default-qos event")
    finally:
        sse.close()
    # A poller (e2, never connected) reads both on its next poll, each with its own version.
    evs = api.get(f"{cid}/events", params={"v": 3, "userEndpointId": "e2", "wait": 0}).json()
    assert [(e["type"], e["conferenceVersion"]) for e in evs] == [("PingSentEvent", 4), ("PongSentEvent", 5)], evs
    assert api.version(cid) == 5

    # A waiting long-poll gets the event when it is sent.
    result: dict = {}
    lp = api.clone()

    def long_poll():
        r = lp.get(f"{cid}/events", params={"v": 5, "wait": 10, "userEndpointId": "e2"}, timeout=20)
        result["status"], result["body"] = r.status_code, r.json()
    t = threading.Thread(target=long_poll)
    t.start()
    time.sleep(0.5)
    assert send_event(api, cid, {"type": "NudgeSentEvent", "timestamp": TS}).json() == {"eventsSent": 2}
    t.join(15)
    assert result.get("status") == 200, result
    assert [(e["type"], e["conferenceVersion"]) for e in result["body"]] == [("NudgeSentEvent", 6)], result


def test_send_event_masks(server, api, svc_token):
    cid = api.new_conference()
    api.join(cid, "e1")
    sse = SseReader(_stream_url(server, cid, svc_token, v=0, userEndpointId="e1"))
    event = {"type": "ProfileUpdatedEvent", "timestamp": TS,
             "user": {"name": "Alice Smith", "id": "u-1"},
             "secret": "hunter2-e2e",
             "nested": {"secret": "abc", "keep": "visible"},
             "list": [{"secret": "x1"}, {"secret": "yy2"}],
             "count": 5}
    try:
        sse.wait_for(lambda e: e.id == "2", 5, "backlog through id 2")
        r = send_event(api, cid, event, qos="AT_LEAST_ONCE", masks=["$.user.name", "$..secret"])
        assert r.status_code == 200, r.text
        assert r.json() == {"eventsSent": 1}
        live = sse.wait_for(lambda e: '"ProfileUpdatedEvent"' in e.data, 5, "the masked event").json()
    finally:
        sse.close()
    [stored] = api.events(cid, v=2)
    assert stored["user"] == {"name": "*" * 11, "id": "u-1"}
    assert stored["secret"] == "*" * len("hunter2-e2e")
    assert stored["nested"] == {"secret": "***", "keep": "visible"}
    assert stored["list"] == [{"secret": "**"}, {"secret": "***"}]
    assert stored["count"] == 5 and stored["timestamp"] == TS
    # The endpoint connected at send time got the event as sent.
    for k, v in event.items():
        assert live[k] == v, (k, live)
    assert "hunter2-e2e" not in server.log_text(), "a masked value reached the server log"


def test_send_event_mask_path_forms(api):
    cid = api.new_conference()
    event = {"type": "FormSubmittedEvent", "timestamp": TS, "a": "aaaa", "list": ["l0", "l1"],
             "items": [{"x": "xx", "y": "yy"}, {"x": "xxx"}]}
    r = send_event(api, cid, event, qos="AT_LEAST_ONCE", masks=["$['a']", "$.list[0]", "$.items[*].x"])
    assert r.status_code == 200, r.text
    [stored] = api.events(cid, v=1)
    assert stored["a"] == "****"
    assert stored["list"] == ["**", "l1"]
    assert stored["items"] == [{"x": "**", "y": "yy"}, {"x": "***"}]


# --------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------

def test_concurrent_joins_and_leaves(api):
    cid = api.new_conference()
    n = 200
    local = threading.local()

    def client():
        if not hasattr(local, "api"):
            local.api = api.clone()
        return local.api

    def join(i):
        return client().post("join", {"conferenceId": cid, "userEndpointId": f"c{i}"}).status_code

    def leave(i):
        return client().post("leave", {"conferenceId": cid, "userEndpointId": f"c{i}"}).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        joins = list(pool.map(join, range(n)))
        assert joins == [200] * n, {s: joins.count(s) for s in set(joins)}
        assert len(api.conference(cid)["participants"]) == n
        leaves = list(pool.map(leave, range(n)))
        assert leaves == [204] * n, {s: leaves.count(s) for s in set(leaves)}

    c = api.conference(cid)
    assert c["version"] == 1 + 2 * n
    assert c["participants"] == [] and c["empty"] is True
    evs = api.events(cid, v=1)
    assert len(evs) == 2 * n
    assert [e["conferenceVersion"] for e in evs] == list(range(2, 2 * n + 2))
    joined, left = evs[:n], evs[n:]
    assert {e["type"] for e in joined} == {"ConferenceParticipantJoinedEvent"}
    assert {e["type"] for e in left} == {"ConferenceParticipantLeftEvent"}
    expected = {f"c{i}" for i in range(n)}
    assert {e["userEndpointId"] for e in joined} == expected
    assert {e["userEndpointId"] for e in left} == expected
