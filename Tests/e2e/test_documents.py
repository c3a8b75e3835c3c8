"""Every request example of the API documents 000-004 (copies in
fixtures/documents/), replayed against a real server with real ids, each
answer checked against the status and shape the document gives.

- 000-002 (the stores' usage pages): every `curl` command as written, only
  `localhost:PORT` pointed at the test server's store, with default settings
  (auth on, stores on loopback: the commands send no token). A status and a
  body check per command.
- 003 (Recordings): every endpoint with its documented query parameters on a
  seeded recording; the "Response JSON Object" fields with their types
  (`long` an integer, `option[long]` an integer or null, ...).
- 004 (Conference): every operation, its sample request body with the
  placeholders (`"string"`, `0`, `{}`) replaced by real ids, a real SDP offer
  and ICE candidate, and the `Authorization: Bearer {access-token}` of the
  samples by a real token; the status must be one the document lists and the
  answer must have the shape of the document's "200 Response" example.
"""
from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from e2elib import FIXTURES, SfuServer, fetch_token, load_offer
from storelib import make_ogg
from test_recordings_api import BASE_MS, seed

DOCS = FIXTURES / "documents"
STORE_PORTS = {10600: "prerecordings", 10700: "records"}


@pytest.fixture(scope="module")
def srv():
    s = SfuServer("documents")
    Path(s.data_dir).mkdir(parents=True, exist_ok=True)
    s.seeded = seed(s.data_dir, "documents-channel", 7, "session-doc", BASE_MS, BASE_MS + 60_000, ["alice"])
    s.start()
    yield s
    s.kill()


@pytest.fixture(scope="module")
def token(srv) -> str:
    return fetch_token(srv.base)


# --------------------------------------------------------------------------
# 000-002: the stores' curl commands
# --------------------------------------------------------------------------

def curl_commands(path: Path) -> list[str]:
    """The curl commands of a usage page: its ```sh blocks (Markdown), or the
    lines starting with `curl` and their `\\` continuations (plain text)."""
    text = path.read_text()
    if "```sh" in text:
        return [m.group(1).strip() for m in re.finditer(r"```sh\n(.*?)```", text, re.S)]
    out, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("curl"):
            cmd = lines[i]
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd += "\n" + lines[i]
            out.append(cmd)
        i += 1
    return out


def run_curl(cmd: str, cwd: Path, max_time: float | None = None) -> tuple[int, bytes]:
    """Runs a document's command; appends only what it takes to read the status."""
    extra = " --silent --show-error --write-out '\\n%{http_code}'"
    if max_time:
        extra += f" --max-time {max_time}"
    r = subprocess.run(["bash", "-c", cmd + extra], cwd=cwd, capture_output=True, timeout=60)
    out = r.stdout
    body, _, status = out.rpartition(b"\n")
    assert status.isdigit(), (cmd, r.stdout[-300:], r.stderr[-300:])
    return int(status), body


@pytest.mark.parametrize("doc", ["000_prerecordings_usage.txt", "001_prerecordings_usage.md", "002_records_usage.md"])
def test_store_documents_curl_commands(srv, tmp_path, doc):
    commands = curl_commands(DOCS / doc)
    assert len(commands) == 7, commands
    ports = {int(p) for c in commands for p in re.findall(r"http://localhost:(\d+)/", c)}
    assert len(ports) == 1 and ports <= set(STORE_PORTS), ports
    kind = STORE_PORTS[ports.pop()]
    port = srv.records_port if kind == "records" else srv.prerecordings_port
    default = 10700 if kind == "records" else 10600
    local = [c.replace(f"http://localhost:{default}/", f"http://127.0.0.1:{port}/") for c in commands]
    upload = re.search(r"--upload-file (\S+)", "\n".join(local)).group(1)
    audio = make_ogg(tmp_path / upload).read_bytes()
    event = "0f339cb0-7ab4-43fe-852d-75708232f76c"
    for cmd in local:
        method = re.search(r"--request (\w+)", cmd).group(1)
        if "/sse" in cmd:
            status, body = run_curl(cmd, tmp_path, max_time=1.5)
            assert status == 200 and b": connected" in body, body[:200]
        elif "/openapi/openapi.json" in cmd:
            status, body = run_curl(cmd, tmp_path)
            assert status == 200 and json.loads(body)["openapi"].startswith("3."), body[:200]
        elif "/ping" in cmd:
            status, body = run_curl(cmd, tmp_path)
            assert status == 204, body  # "should respond with a 204 No Content status code"
        elif method == "PUT":
            status, body = run_curl(cmd, tmp_path)
            assert status in (201, 204), body
            if status == 201:
                item = json.loads(body)
                assert item["event"] == event and item["size"] == len(audio) and item["start"] == "2024-01-01T00:00:00Z"
        elif method == "GET" and "--output" in cmd:
            out = tmp_path / re.search(r"--output (\S+)", cmd).group(1)
            out.unlink(missing_ok=True)
            status, _ = run_curl(cmd, tmp_path)
            assert status == 200 and out.read_bytes() == audio
        elif method == "GET":
            status, body = run_curl(cmd, tmp_path)
            listing = json.loads(body)
            assert status == 200 and listing["event"] == event and isinstance(listing["items"], list), body[:200]
        elif method == "DELETE":
            status, body = run_curl(cmd, tmp_path)
            assert status == 204, body
        else:
            pytest.fail(f"unexpected command in {doc}: {cmd}")
    # After the document's DELETE the item is gone.
    r = requests.get(f"http://127.0.0.1:{port}/{kind}/{event}", timeout=5)
    assert r.status_code == 200 and r.json()["items"] == []


# --------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------

def check_type(value, doc_type: str, where: str):
    """Document 003's types: string, long, boolean, option[...], ...value enums."""
    optional = doc_type.startswith("option[")
    inner = doc_type[7:-1] if optional else doc_type
    if value is None:
        assert optional, f"{where}: null but the document types it {doc_type}"
        return
    if inner == "long":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not a long"
    elif inner == "boolean":
        assert isinstance(value, bool), f"{where}: {value!r} is not a boolean"
    else:  # string and the enums (recordingassetstate.value, ...)
        assert isinstance(value, str), f"{where}: {value!r} is not a string"


def doc_fields(section: str) -> dict[str, str]:
    """`name (type) – text` lines of the "Response JSON" block of a section of document 003."""
    response = section.split("- Response JSON", 1)[1]
    return dict(re.findall(r"^(\w+) \(([\w\[\].]+)\)", response, re.M))


def conforms(actual, example, where: str = "$"):
    """The answer has the shape of the document's example: every key, with
    the example's JSON type (null allowed: the document marks every field
    optional); lists element by element; `property1`/`property2` keys stand
    for a map's values; `{}` is any object."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        if set(example) == {"property1", "property2"}:
            for k, v in actual.items():
                conforms(v, example["property1"], f"{where}.{k}")
            return
        for k, ex in example.items():
            assert k in actual, f"{where}: missing {k!r} (has {sorted(actual)})"
            if actual[k] is not None:
                conforms(actual[k], ex, f"{where}.{k}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not a list"
        for i, a in enumerate(actual):
            conforms(a, example[0], f"{where}[{i}]")
    elif isinstance(example, bool):
        assert isinstance(actual, bool), f"{where}: {actual!r} is not a boolean"
    elif isinstance(example, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), f"{where}: {actual!r} is not an integer"
    elif isinstance(example, str):
        assert isinstance(actual, str), f"{where}: {actual!r} is not a string"


# --------------------------------------------------------------------------
# 003: Recordings
# --------------------------------------------------------------------------

def test_recordings_document_endpoints(srv, token):
    text = (DOCS / "003_recordings.txt").read_text()
    asset_fields = doc_fields(text.split("Get recording asset details")[1].split("Get recording details")[0])
    recording_fields = doc_fields(text.split("Get recording details")[1].split("Get recording download credentials")[0])
    token_asset_fields = doc_fields(text.split("List available recording assets")[1].split("List recording assets")[0])
    assert {"streamUserId", "userId", "size", "startTime"} <= set(asset_fields) and "readyTime" in recording_fields
    # Every documented endpoint, in the document's order of paths.
    paths = re.findall(r"^- (GET|POST) (/channels/.+)$", text, re.M)
    assert len(paths) == 9, paths
    auth = {"Authorization": f"Bearer {token}"}
    rec = srv.seeded["rec"]
    channel, rid = rec["channel"], rec["id"]
    asset_id = next(a["id"] for a in rec["assets"] if a["role"] == "individual")
    live = requests.post(f"{srv.base}/rtc-api/conferences/create", headers=auth, timeout=10).json()["id"]
    jwt = None
    replayed = set()

    def get(path, **params):
        r = requests.get(srv.base + path, headers=auth, params=params, timeout=10)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
        return r.json()

    for method, path in paths:
        replayed.add(path)
        if path == "/channels/(string: uuid)/record/possible":
            body = get(f"/channels/{live}/record/possible")
            assert body["possible"] is True
        elif path == "/channels/(string: uuid)/record":
            r = requests.post(f"{srv.base}/channels/{live}/record", headers=auth, timeout=10)
            assert r.status_code == 201, r.text
            for k, t in recording_fields.items():
                check_type(r.json().get(k), t, f"POST record .{k}")
            assert requests.delete(f"{srv.base}/channels/{live}/record", headers=auth, timeout=10).status_code == 200
        elif path == "/channels/(string: channelId)/recordings":
            body = get(f"/channels/{channel}/recordings", session="session-doc", limit="10", offset="0", sort="started", order="desc")
            assert isinstance(body["total"], int) and body["total"] == len(body["results"]) == 1
            for k, t in recording_fields.items():
                check_type(body["results"][0].get(k), t, f"results[0].{k}")
        elif path == "/channels/(string: channelId)/recordings/(string: recordingId)":
            body = get(f"/channels/{channel}/recordings/{rid}")
            for k, t in recording_fields.items():
                check_type(body.get(k), t, f"recording.{k}")
            assert body["id"] == rid and body["channel"] == channel
        elif path == "/channels/(string: channelId)/recordings/(string: recordingId)/assets":
            assets = get(f"/channels/{channel}/recordings/{rid}/assets")
            assert len(assets) == len(rec["assets"])
            for a in assets:
                for k, t in asset_fields.items():
                    check_type(a.get(k), t, f"asset {a['id']}.{k}")
        elif path == "/channels/(string: channelId)/recordings/(string: recordingId)/assets/(string: assetId)":
            a = get(f"/channels/{channel}/recordings/{rid}/assets/{asset_id}")
            for k, t in asset_fields.items():
                check_type(a.get(k), t, f"asset.{k}")
            assert a["id"] == asset_id and a["isIndividual"] is True
        elif path == "/channels/(string: channelId)/recordings/(string: recordingId)/credentials":
            jwt = get(f"/channels/{channel}/recordings/{rid}/credentials", ttl="1m")["jwt"]
            assert isinstance(jwt, str) and jwt.count(".") == 2
        elif path == "/channels/(string: channelId)/recordings/(string: recordingId)/download":
            url = get(f"/channels/{channel}/recordings/{rid}/download", ttl="1m", kind="archive")["url"]
            got = requests.get(url, timeout=10)
            assert got.status_code == 200 and got.content == srv.seeded["archive"]
        elif path == "/channels/recording/assets/(string: jwtToken)":
            if jwt is None:
                jwt = get(f"/channels/{channel}/recordings/{rid}/credentials")["jwt"]
            listing = requests.get(f"{srv.base}/channels/recording/assets/{jwt}", timeout=10)
            assert listing.status_code == 200, listing.text
            for a in listing.json():
                for k, t in token_asset_fields.items():
                    check_type(a.get(k), t, f"token asset.{k}")
                assert a["kind"] in ("archive", "combined_video", "captions", "other")
        else:
            pytest.fail(f"document 003 path not replayed: {method} {path}")
    assert len(replayed) == 9


# --------------------------------------------------------------------------
# 004: Conference
# --------------------------------------------------------------------------

def conference_operations() -> dict[str, dict]:
    text = (DOCS / "004_conference.txt").read_text()
    text = text[:text.index("\nSchemas\n")]
    heads = list(re.finditer(r"^(GET|POST) https://auvious\.video:443(/rtc-api/\S+) HTTP/1\.1$", text, re.M))
    ops = {}
    for i, m in enumerate(heads):
        block = text[m.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        body = re.search(r"Request body\n(.*?)\nParameters", block, re.S)
        example = re.search(r"200 Response\n(.*?)\nTo perform", block, re.S)
        curl = re.search(r"^curl -X (\w+) https://auvious\.video:443(\S+) \\\n(.*?)$", block, re.M)
        path = m.group(2)
        name = path.rsplit("/", 1)[-1] if "{id}" not in path else path.split("{id}", 1)[1] or "get"
        ops[name] = {
            "method": m.group(1), "path": path,
            "body": json.loads(body.group(1)) if body else None,
            "statuses": {int(s) for s in re.findall(r"^(\d{3}) \| ", block, re.M)},
            "example": json.loads(example.group(1)) if example else None,
            "headers": dict(re.findall(r"-H '([^:]+): ([^']*)'", curl.group(3))) if curl else {},
        }
        assert curl and curl.group(1) == m.group(1), f"{path}: no curl sample"
    return ops


def fill(sample, real: dict):
    """The document's sample body with its placeholders replaced by real values."""
    if isinstance(sample, dict):
        return {k: (real[k] if k in real else fill(v, real)) for k, v in sample.items()}
    if isinstance(sample, list):
        return [fill(v, real) for v in sample]
    return sample


def test_conference_document_operations(srv, token):
    ops = conference_operations()
    assert len(ops) == 18, sorted(ops)
    cid = f"doc-{uuid.uuid4().hex[:8]}"
    candidate = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMLineIndex": 0, "sdpMid": "0"}
    base = {"conferenceId": cid, "userEndpointId": "alice-ep"}
    # Per operation: the real values for the sample's placeholders, in an order that makes each valid.
    plan = [
        ("create", {"conferenceId": cid, "creatorEndpoint": "alice-ep", "mode": "ROUTER", "organizationId": "acme"}),
        ("join", base),
        ("join", {"conferenceId": cid, "userEndpointId": "bob-ep"}),
        ("publishStream", {**base, "streamId": {"id": "cam-1"}, "sdpOffer": load_offer(), "videoBitrate": 500_000}),
        ("addPublishStreamIceCandidates", {**base, "streamId": {"id": "cam-1"}, "iceCandidates": [candidate]}),
        ("viewStream", {"conferenceId": cid, "userEndpointId": "bob-ep", "streamId": {"id": "cam-1"},
                        "sdpOffer": load_offer("recvonly"), "viewerId": "bob-view-1"}),
        ("addViewStreamIceCandidates", {"conferenceId": cid, "userEndpointId": "bob-ep", "streamId": {"id": "cam-1"},
                                        "viewerId": "bob-view-1", "iceCandidates": [candidate]}),
        ("updatePublishedStreamBitrate", {**base, "streamId": {"id": "cam-1"}, "videoBitrate": 300_000}),
        ("updateStreamMetadata", {**base, "streamId": {"id": "cam-1"}, "newMetadata": {"label": "camera"}}),
        ("updateParticipantMetadata", {**base, "newMetadata": {"name": "Alice"}}),
        ("updateMetadata", {**base, "key": "topic", "operation": "SET", "value": "standup"}),
        ("updateMetadata", {**base, "key": "topic"}),  # the sample as it is: REMOVE (its value is ignored)
        ("sendEvent", {"conferenceId": cid, "event": {"type": "HandRaisedEvent", "timestamp": "2024-05-01T09:30:00Z"},
                       "masks": ["$.secret"]}),
        ("get", None), ("/simpleView", None), ("/events?v=0", None),
        ("stopViewStream", {"conferenceId": cid, "userEndpointId": "bob-ep", "streamId": {"id": "cam-1"}, "viewerId": "bob-view-1"}),
        ("unpublishStream", {**base, "streamId": {"id": "cam-1"}}),
        ("leave", {"conferenceId": cid, "userEndpointId": "bob-ep", "reason": "done"}),
        ("end", {**base, "reason": "finished"}),
    ]
    replayed = set()
    for name, real in plan:
        op = ops[name]
        headers = {k: v.replace("{access-token}", token) for k, v in op["headers"].items()}
        assert headers["Authorization"] == f"Bearer {token}"
        url = srv.base + op["path"].replace("{id}", cid)
        if op["method"] == "POST":
            body = fill(op["body"], real)
            r = requests.post(url, data=json.dumps(body), headers=headers, timeout=15)
        else:
            r = requests.get(url, headers=headers, timeout=15)
        assert r.status_code in op["statuses"], f"{name}: {r.status_code} not in {sorted(op['statuses'])}: {r.text[:300]}"
        assert r.status_code < 300, f"{name}: {r.status_code} {r.text[:300]}"
        if op["example"] is not None:
            conforms(r.json(), op["example"], name)
        else:
            assert r.status_code == 204 and r.content == b"", f"{name}: {r.status_code} {r.text[:200]}"
        replayed.add(name)
    assert replayed == set(ops), set(ops) - replayed
    # The samples did what they say.
    events = requests.get(f"{srv.base}/rtc-api/conferences/{cid}/events", params={"v": 0},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    types = [e["type"] for e in events]
    assert types[0] == "ConferenceCreatedEvent" and types[-1] == "ConferenceEndedEvent", types
    assert "HandRaisedEvent" in types and "ConferenceStreamViewStartedEvent" in types
    meta = [(e["operation"], e["key"]) for e in events if e["type"] == "ConferenceMetadataUpdatedEvent"]
    assert meta == [("SET", "topic"), ("REMOVE", "topic")], meta
