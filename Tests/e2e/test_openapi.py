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
