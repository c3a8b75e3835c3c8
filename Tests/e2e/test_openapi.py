"""The served OpenAPI document: valid OpenAPI 3, the document people edit
(Sources/Signaling/OpenAPI/conference.openapi.json, embedded by
scripts/embed.py), and every operation it lists is actually routed by the server."""
from __future__ import annotations

import json
import pathlib
import re

import requests
from openapi_spec_validator import validate

HERE = pathlib.Path(__file__).parent
SOURCE = HERE.parent.parent / "Sources" / "Signaling" / "OpenAPI" / "conference.openapi.json"


def test_served_document_is_valid_openapi(server):
    r = requests.get(server.base + "/rtc-api/openapi.json", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    validate(doc)  # raises on any violation of the OpenAPI 3 schema
    assert doc["openapi"].startswith("3.")
    assert doc == json.loads(SOURCE.read_text()), "the binary serves another document than " + str(SOURCE) + " (run scripts/embed.py and rebuild)"


def test_every_documented_operation_is_routed(server):
    doc = requests.get(server.base + "/rtc-api/openapi.json", timeout=5).json()
    for path, ops in doc["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "doc-check", path)
        for method in ops:
            if method not in ("get", "post", "put", "delete", "head"):
                continue
            r = requests.request(method.upper(), server.base + concrete, timeout=5,
                                 headers={"Accept": "application/json"}, data=b"" if method == "post" else None)
            # Unauthenticated or bad input is fine; "no such route" and server errors are not.
            assert r.status_code < 500, f"{method.upper()} {path} → {r.status_code} {r.text[:200]}"
            if r.status_code == 404:
                assert r.json().get("error") != "NOT_FOUND", f"{method.upper()} {path} is documented but not routed"
            assert r.status_code != 405, f"{method.upper()} {path} is documented but the method is not allowed"


def test_scalar_page_points_at_the_document(server):
    r = requests.get(server.base + "/rtc-api/openapi", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "/rtc-api/openapi.json" in r.text


def _schemathesis(tmp_path, name: str, user_id: str | None, checks: str, examples: str, seed: str):
    """Schemathesis against a fresh server's served document with one token
    (SERVICE, or a PARTICIPANT when `user_id` is given). The two event reads
    are left out: the stream never ends and the long-poll may wait up to 60 s."""
    import os
    import subprocess
    import sys

    from e2elib import SfuServer, fetch_token

    srv = SfuServer(name).start()
    try:
        token = fetch_token(srv.base, user_id=user_id)
        exe = pathlib.Path(sys.executable).with_name("schemathesis")
        cmd = [str(exe), "run", srv.base + "/rtc-api/openapi.json", "-H", f"Authorization: Bearer {token}",
               "--checks", checks, "--exclude-path-regex", r".*/events(/stream)?$",
               "--max-examples", examples, "--request-timeout", "15", "--workers", "2", "--seed", seed,
               "--suppress-health-check", "all"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": str(HERE)}, cwd=tmp_path)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out[-6000:]
        assert " passed" in out and "generated" in out, out[-3000:]
        assert "500 Internal" not in srv.log_text()
    finally:
        srv.kill()


def test_schemathesis_finds_no_server_error_and_no_contradiction(tmp_path):
    """With a SERVICE token: no 5xx, and every answer's status, content type
    and body are the ones the document gives (issue 15)."""
    _schemathesis(tmp_path, "schemathesis-api", None,
                  "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance", "15", "1")


def test_schemathesis_with_a_participant_token_finds_no_server_error(tmp_path):
    """Issue 16: the lowest-privileged principal (a PARTICIPANT token, with
    nothing granted) drives every documented operation with generated input;
    the server answers each one without a 5xx (refusals are 4xx) and logs no
    internal error."""
    _schemathesis(tmp_path, "schemathesis-participant", "mallory", "not_a_server_error", "10", "2")
