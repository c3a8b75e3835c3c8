"""The usage documents' curl commands, run verbatim (only the host and port
are pointed at the test server) against both stores, with a real Ogg Opus
file made by ffmpeg."""
from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading

import pytest
import requests

from e2elib import parse_sse
from storelib import EVENT, make_ogg, start_store_server, usage_commands

DOCS = [
    ("prerecordings", "usage_prerecordings.md", "prerecording.ogg", 10600),
    ("records", "usage_records.md", "record.ogg", 10700),
]


@pytest.fixture(scope="module")
def server():
    # Default settings (auth on, stores on loopback): the documents' commands send no
    # token and must work as written (issue 15; they got 401 before --store-listen).
    return start_store_server("store-usage")


def run(cmd: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, timeout=60)


@pytest.mark.parametrize("kind,doc,filename,default_port", DOCS)
def test_usage_document_commands_verbatim(server, tmp_path, kind, doc, filename, default_port):
    commands = usage_commands(doc)
    assert len(commands) == 7, commands
    port = server.store_port(kind)

    def local(cmd: str) -> str:
        assert f"http://localhost:{default_port}/" in cmd, cmd
        return cmd.replace(f"http://localhost:{default_port}/", f"http://127.0.0.1:{port}/")

    list_cmd, put_cmd, get_cmd, delete_cmd, ping_cmd, sse_cmd, openapi_cmd = map(local, commands)
    assert "--header \"Transfer-Encoding: chunked\"" in put_cmd and f"--upload-file {filename}" in put_cmd
    make_ogg(tmp_path / filename)
    original = (tmp_path / filename).read_bytes()
    base = server.store_base(kind)

    # Subscribe first (the SSE command), so it sees every change below.
    sse = subprocess.Popen(["bash", "-c", sse_cmd], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in iter(sse.stdout.readline, b"")], daemon=True).start()
    seen = b""
    while b": connected" not in seen:
        seen += lines.get(timeout=10)
    try:
        # List: nothing yet.
        r = run(list_cmd, tmp_path)
        assert r.returncode == 0, r.stderr
        listing = json.loads(r.stdout)
        assert listing["items"] == [] and listing["total"] == 0 and listing["event"] == EVENT

        # Upload, streamed with chunked encoding.
        r = run(put_cmd, tmp_path)
        assert r.returncode == 0, r.stderr
        created = json.loads(r.stdout)
        assert created["start"] == "2024-01-01T00:00:00Z" and created["size"] == len(original)
        listing = requests.get(f"{base}/{kind}/{EVENT}", timeout=5).json()
        assert [(i["start"], i["size"], i["contentType"]) for i in listing["items"]] == \
            [("2024-01-01T00:00:00Z", len(original), "audio/ogg")]

        # Download (overwrites the file with what the store sends back).
        (tmp_path / filename).unlink()
        r = run(get_cmd, tmp_path)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / filename).read_bytes() == original

        # Delete.
        r = run(delete_cmd, tmp_path)
        assert r.returncode == 0 and r.stdout == b"", (r.stdout, r.stderr)
        assert requests.get(f"{base}/{kind}/{EVENT}", timeout=5).json()["items"] == []
        assert requests.get(f"{base}/{kind}/{EVENT}/2024-01-01T00:00:00Z", timeout=5).status_code == 404

        # Ping.
        r = run(ping_cmd, tmp_path)
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode().startswith("HTTP/1.1 204 No Content"), r.stdout

        # OpenAPI.
        r = run(openapi_cmd, tmp_path)
        assert r.returncode == 0, r.stderr
        spec = json.loads(r.stdout)
        assert spec["openapi"] == "3.0.3"
        assert f"/{kind}/{{event}}/{{start}}" in spec["paths"] and f"/{kind[:-1]}/{{event}}/{{start}}" in spec["paths"]

        # The SSE command saw the upload and the delete, in order.
        def complete(text: bytes):
            return parse_sse(text[: text.rfind(b"\n\n") + 2].decode())
        while len(complete(seen)) < 2:
            seen += lines.get(timeout=10)
    finally:
        sse.terminate()
        sse.wait(timeout=5)
    events = complete(seen)
    assert [e.event for e in events] == ["created", "deleted"]
    assert int(events[0].id) < int(events[1].id)
    data = events[0].json()
    assert data["kind"] == kind and data["event"] == EVENT and data["start"] == "2024-01-01T00:00:00Z"
    assert data["size"] == len(original) and data["etag"] == created["etag"]


def test_openapi_page_is_scalar(server):
    for kind in ("records", "prerecordings"):
        r = requests.get(server.store_base(kind) + "/openapi", timeout=5)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        assert 'data-url="/openapi/openapi.json"' in r.text and "@scalar/api-reference" in r.text
