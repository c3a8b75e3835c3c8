"""Issue 15 item 1: the stores' curl commands (documents 000-002, no token)
work on the machine, and nobody else on the network gets write access.

- default (`--store-listen 127.0.0.1`, auth on): loopback clients need no
  token; the store cannot be reached on another address;
- `--store-listen ADDR` on a non-loopback address: every request but /ping
  and /openapi needs a bearer token, and the choice is logged.

The second address is added to `lo` of the test run's own network namespace
(scripts/test.sh runs the suite in one with only `lo`)."""
from __future__ import annotations

import socket
import subprocess

import pytest
import requests

from e2elib import assert_error, fetch_token
from storelib import make_ogg, new_event, start_store_server

SECOND = "10.213.0.1"


def second_address() -> str:
    """10.213.0.1 on `lo` of this (isolated) network namespace."""
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    if SECOND in out:
        return SECOND
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    others = {line.split(":")[1].strip().split("@")[0] for line in links.splitlines()} - {"lo"}
    if others:
        pytest.fail(f"needs the isolated network namespace of scripts/test.sh (found interfaces {sorted(others)}); "
                    "this test adds an address and must not touch a real network")
    # A second address on `lo` of this namespace: packets to it stay on the machine, but it is
    # not a loopback address, so the store sees such clients as coming from the network.
    subprocess.run(["ip", "addr", "add", SECOND + "/32", "dev", "lo"], check=True)
    return SECOND


@pytest.fixture(scope="module")
def ogg(tmp_path_factory):
    return make_ogg(tmp_path_factory.mktemp("listen") / "a.ogg").read_bytes()


def refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return False
    except OSError:
        return True


def test_default_store_serves_loopback_clients_without_a_token(ogg):
    addr = second_address()
    s = start_store_server("store-listen-default")  # auth on, --store-listen default
    try:
        for kind in ("records", "prerecordings"):
            base = s.store_base(kind)
            ev = new_event()
            url = f"{base}/{kind}/{ev}/2024-01-01T00:00:00"
            put = requests.put(url, data=ogg, headers={"Content-Type": "audio/ogg"}, timeout=10)
            assert put.status_code == 201, put.text
            assert requests.get(f"{base}/{kind}/{ev}", timeout=10).json()["total"] == 1
            assert requests.get(url, timeout=10).content == ogg
            sse = requests.get(base + "/sse", stream=True, timeout=10)
            assert sse.status_code == 200
            sse.close()
            assert requests.delete(url, timeout=10).status_code == 204
            # Only this machine can reach it.
            assert refused(addr, s.store_port(kind))
        assert "loopback only, no token asked" in s.log_text()
    finally:
        s.kill()


def test_store_exposed_on_another_address_requires_tokens(ogg):
    addr = second_address()
    s = start_store_server("store-listen-exposed", "--store-listen", addr)
    try:
        base = s.store_base("records")
        assert base.startswith(f"http://{addr}:")
        ev = new_event()
        url = f"{base}/records/{ev}/2024-01-01T00:00:00Z"
        ctype = {"Content-Type": "audio/ogg"}
        assert_error(requests.put(url, data=ogg, headers=ctype, timeout=10), 401, "UNAUTHORIZED")
        assert_error(requests.get(f"{base}/records/{ev}", timeout=10), 401, "UNAUTHORIZED")
        assert_error(requests.get(base + "/sse", timeout=10), 401, "UNAUTHORIZED")
        assert_error(requests.delete(url, timeout=10), 401, "UNAUTHORIZED")
        assert requests.head(base + "/ping", timeout=10).status_code == 204
        assert requests.get(base + "/openapi/openapi.json", timeout=10).status_code == 200
        token = {"Authorization": f"Bearer {fetch_token(s.base)}"}
        assert requests.put(url, data=ogg, headers={**ctype, **token}, timeout=10).status_code == 201
        assert requests.get(url, headers=token, timeout=10).content == ogg
        # Not on loopback any more.
        assert refused("127.0.0.1", s.store_port("records"))
        assert f"exposed on {addr} by --store-listen: every request but /ping and /openapi needs a bearer token" in s.log_text()
    finally:
        s.kill()


def test_standalone_store_defaults_to_loopback_without_a_token(ogg):
    s = start_store_server("store-listen-alone", mode="records")
    try:
        url = f"{s.store_base('records')}/records/{new_event()}/2024-01-01T00:00:00Z"
        assert requests.put(url, data=ogg, headers={"Content-Type": "audio/ogg"}, timeout=10).status_code == 201
        assert requests.get(url, timeout=10).content == ogg
    finally:
        s.kill()
