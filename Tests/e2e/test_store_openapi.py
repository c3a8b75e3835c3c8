"""The stores' own OpenAPI documents: valid OpenAPI 3.0, and schemathesis
finds no server error (5xx) when it fuzzes them against a live store."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate

from storelib import first_page, make_ogg, start_store_server

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def srv():
    return start_store_server("store-openapi", "--auth", "off", "--body-timeout", "2")


@pytest.mark.parametrize("kind", ["records", "prerecordings"])
def test_document_is_valid_openapi_3(srv, kind):
    r = requests.get(srv.store_base(kind) + "/openapi/openapi.json", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    spec = r.json()
    validate(spec)
    assert spec["openapi"] == "3.0.3"
    for path in ("/ping", "/sse", "/openapi", "/openapi/openapi.json", f"/{kind}/{{event}}", f"/{kind}/{{event}}/{{start}}",
                 f"/{kind[:-1]}/{{event}}", f"/{kind[:-1]}/{{event}}/{{start}}"):
        assert path in spec["paths"], path
    item = spec["paths"][f"/{kind}/{{event}}/{{start}}"]
    assert set(item) >= {"get", "head", "put", "delete"}
    for code in ("201", "204", "413", "415", "503", "507"):
        assert code in item["put"]["responses"], code


@pytest.mark.parametrize("kind", ["records", "prerecordings"])
def test_schemathesis_finds_no_server_error(srv, kind, tmp_path):
    header = first_page(make_ogg(tmp_path / "h.ogg", seconds=1).read_bytes())
    exe = Path(sys.executable).with_name("schemathesis")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": str(HERE),
           "STORE_OGG_HEADER_HEX": header.hex(), "NO_COLOR": "1"}
    cmd = [str(exe), "run", srv.store_base(kind) + "/openapi/openapi.json",
           "--checks", "not_a_server_error", "--exclude-path", "/sse",
           "--max-examples", "25", "--request-timeout", "10", "--workers", "2",
           "--seed", "1", "--suppress-health-check", "all"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    assert " passed" in out and "generated" in out, out[-3000:]
    # It really exercised uploads that were stored.
    listing_has_items = any(Path(srv.data_dir, kind).glob("*/*.ogg"))
    assert listing_has_items, "schemathesis stored nothing: the audio/ogg serializer hook did not apply"
    assert "500 Internal" not in srv.log_text()
