"""The HTTP/1.1 server, checked on the wire: raw sockets for exact bytes,
plus http.client, requests, curl and wrk as real clients."""
from __future__ import annotations

import email.utils
import http.client
import json
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from datetime import datetime, timezone

import pytest
import requests

from e2elib import (
    API, RawConn, SfuServer, assert_error, fetch_token, poll, raw_exchange, uid,
)

HEALTH_OK = {"status": "ok"}


def http_req(method: str, path: str, headers: list[tuple[str, str]] | None = None,
             body: bytes = b"", host: bool = True, version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}"]
    if host:
        lines.append("Host: 127.0.0.1")
    for k, v in headers or []:
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def create_req(token: str, cid: str, extra_headers: list[tuple[str, str]] | None = None,
               body: bytes | None = None) -> bytes:
    if body is None:
        body = json.dumps({"conferenceId": cid}).encode()
    headers = [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
               ("Content-Length", str(len(body)))] + (extra_headers or [])
    return http_req("POST", f"{API}/create", headers, body)


def assert_well_formed_head(r) -> None:
    """Exact bytes: status line `HTTP/1.1 <code> <reason>`, CRLF everywhere."""
    assert re.match(rb"HTTP/1\.1 \d{3} [^\r\n]*\r\n", r.head), r.head[:80]
    assert r.head.count(b"\n") == r.head.count(b"\r\n"), f"bare LF in response head: {r.head!r}"
    assert r.head.endswith(b"\r\n\r\n")


def assert_json_health(r) -> None:
    assert r.status == 200, r.head
    assert json.loads(r.body) == HEALTH_OK


# --------------------------------------------------------------------------
# Keep-alive, pipelining, clients
# --------------------------------------------------------------------------

def test_keepalive_two_requests_one_connection(server):
    with RawConn(server.port) as c:
        c.send(http_req("GET", "/healthz"))
        r1 = c.read_response()
        assert_well_formed_head(r1)
        assert_json_health(r1)
        assert r1.header("Content-Length") == str(len(r1.body))
        assert (r1.header("Connection") or "").lower() != "close"
        c.send(http_req("GET", "/healthz"))
        r2 = c.read_response()
        assert_json_health(r2)


def test_pipelining_three_requests_in_one_write(server, svc_token):
    cid = uid("pipe")
    data = (http_req("GET", "/healthz")
            + create_req(svc_token, cid)
            + http_req("GET", "/no/such/path"))
    with RawConn(server.port) as c:
        c.send(data)
        r1 = c.read_response()
        r2 = c.read_response()
        r3 = c.read_response()
    assert_json_health(r1)
    assert r2.status == 200, r2.body
    assert r2.json()["id"] == cid
    assert r3.status == 404, r3.body
    assert set(r3.json()) >= {"error", "message"}


def test_pipelined_fast_request_does_not_overtake_slow_one(server, svc_token, api):
    """A long-poll (answered after ~1 s) pipelined before /healthz: the
    responses still come back in request order."""
    cid = api.new_conference()
    auth = [("Authorization", f"Bearer {svc_token}")]
    data = (http_req("GET", f"{API}/{cid}/events?v=1&wait=1", auth)
            + http_req("GET", "/healthz"))
    with RawConn(server.port) as c:
        t0 = time.monotonic()
        c.send(data)
        r1 = c.read_response()
        r2 = c.read_response()
        elapsed = time.monotonic() - t0
    assert r1.status == 200 and r1.json() == [], r1.body
    assert_json_health(r2)
    assert elapsed >= 0.8, elapsed


def test_absolute_form_request_target(server):
    r = raw_exchange(server.port, http_req("GET", f"http://127.0.0.1:{server.port}/healthz"))
    assert_json_health(r)


def test_http_client_keepalive(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read()) == HEALTH_OK
        sock1 = conn.sock
        assert sock1 is not None, "server asked http.client to close the connection"
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read()) == HEALTH_OK
        assert conn.sock is sock1, "http.client had to reconnect: keep-alive not honoured"
    finally:
        conn.close()


def test_requests_session_reuses_connection(server):
    s = requests.Session()
    for _ in range(3):
        r = s.get(server.base + "/healthz", timeout=5)
        assert r.status_code == 200 and r.json() == HEALTH_OK
        assert r.headers["Content-Type"].startswith("application/json")
    pm = s.get_adapter(server.base).poolmanager
    opened = sum(pm.pools[k].num_connections for k in pm.pools.keys())
    assert opened == 1, f"requests opened {opened} connections for 3 requests"
    s.close()


def test_curl_keepalive(server):
    url = server.base + "/healthz"
    p = subprocess.run(["curl", "-sS", "-v", url, url], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count('"status"') == 2, p.stdout
    assert re.search(r"Re-?using existing connection", p.stderr), p.stderr


# --------------------------------------------------------------------------
# Request bodies
# --------------------------------------------------------------------------

def test_content_length_body(server, svc_token, api):
    cid = uid("cl")
    body = json.dumps({"conferenceId": cid, "metadata": {"topic": "raw-cl"}}).encode()
    r = raw_exchange(server.port, create_req(svc_token, cid, body=body))
    assert r.status == 200, r.body
    assert r.json()["id"] == cid
    assert api.conference(cid)["metadata"]["topic"]["value"] == "raw-cl"


def chunk_body(body: bytes, sizes: list[int]) -> bytes:
    """Chunked encoding in the given (cycled) sizes, with hex in mixed case,
    chunk extensions, and a trailer section."""
    out = b""
    i = 0
    k = 0
    while i < len(body):
        n = min(sizes[k % len(sizes)], len(body) - i)
        size = format(n, "X" if k % 2 else "x")
        ext = [b"", b";foo=bar", b';name="q;uoted"', b";x"][k % 4]
        out += size.encode() + ext + b"\r\n" + body[i:i + n] + b"\r\n"
        i += n
        k += 1
    return out + b"0;last=1\r\nX-Trailer-One: a\r\nX-Trailer-Two: b\r\n\r\n"


def test_chunked_body_odd_sizes_extensions_trailers(server, svc_token, api):
    cid = uid("chunk")
    body = json.dumps({"conferenceId": cid, "metadata": {"pad": "z" * 300, "k": "v"}}).encode()
    encoded = chunk_body(body, [1, 7, 3, 26, 2, 17, 255, 5])
    head = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Transfer-Encoding", "chunked")])
    with RawConn(server.port) as c:
        c.send(head)
        # Send the chunked body in awkward segments (splitting chunk-size lines and CRLFs).
        for i in range(0, len(encoded), 13):
            c.send(encoded[i:i + 13])
        r = c.read_response()
        assert r.status == 200, r.body
        assert r.json()["id"] == cid
        # The trailers were consumed: the connection carries on.
        c.send(http_req("GET", "/healthz"))
        assert_json_health(c.read_response())
    md = api.conference(cid)["metadata"]
    assert md["pad"]["value"] == "z" * 300 and md["k"]["value"] == "v"


def test_chunked_body_with_requests_generator(api):
    cid = uid("gen")
    body = json.dumps({"conferenceId": cid}).encode()

    def gen():
        for i in range(0, len(body), 4):
            yield body[i:i + 4]
    r = api.post("create", data=gen(), headers={"Content-Type": "application/json"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 200, r.text
    assert r.json()["id"] == cid


def test_chunked_body_with_http_client(server, svc_token):
    cid = uid("hc")
    body = json.dumps({"conferenceId": cid}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("POST", f"{API}/create", body=iter([body[:5], body[5:11], body[11:]]),
                     headers={"Authorization": f"Bearer {svc_token}",
                              "Content-Type": "application/json"}, encode_chunked=True)
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, data
        assert json.loads(data)["id"] == cid
    finally:
        conn.close()


def test_curl_chunked_and_expect_continue(server, svc_token, tmp_path):
    cid1, cid2 = uid("curlc"), uid("curle")
    f1 = tmp_path / "b1.json"
    f1.write_text(json.dumps({"conferenceId": cid1}))
    f2 = tmp_path / "b2.json"
    f2.write_text(json.dumps({"conferenceId": cid2}))
    common = ["curl", "-sS", "-v", "-H", f"Authorization: Bearer {svc_token}",
              "-H", "Content-Type: application/json", server.base + f"{API}/create"]
    p = subprocess.run(common + ["-H", "Transfer-Encoding: chunked", "--data-binary", f"@{f1}"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert "< HTTP/1.1 200" in p.stderr, p.stderr
    assert json.loads(p.stdout)["id"] == cid1
    p = subprocess.run(common + ["-H", "Expect: 100-continue", "--expect100-timeout", "5",
                                 "--data-binary", f"@{f2}"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert "< HTTP/1.1 100 Continue" in p.stderr, p.stderr
    assert "< HTTP/1.1 200" in p.stderr, p.stderr
    assert json.loads(p.stdout)["id"] == cid2


def test_expect_100_continue_raw(server, svc_token):
    cid = uid("exp")
    body = json.dumps({"conferenceId": cid}).encode()
    head = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body))),
                                                ("Expect", "100-continue")])
    with RawConn(server.port) as c:
        c.send(head)
        assert c.readable(5), "no 100 Continue within 5 s"
        interim = c.read_response()
        assert interim.status == 100, interim.head
        assert interim.head.startswith(b"HTTP/1.1 100 Continue\r\n"), interim.head
        c.send(body)
        r = c.read_response()
        assert r.status == 200, r.body
        assert r.json()["id"] == cid


def test_expect_100_continue_not_sent_when_rejected_before_body(server):
    """No 100 Continue when the handler answers without reading the body
    (here: no bearer token -> 401 straight away)."""
    body = b'{"conferenceId": "never"}'
    head = http_req("POST", f"{API}/create", [("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body))),
                                                ("Expect", "100-continue")])
    with RawConn(server.port) as c:
        c.send(head)
        assert c.readable(5), "no answer within 5 s"
        r = c.read_response()
        assert r.status == 401, r.head


def test_head_healthz(server):
    get = raw_exchange(server.port, http_req("GET", "/healthz"))
    with RawConn(server.port) as c:
        c.send(http_req("HEAD", "/healthz"))
        r = c.read_response("HEAD")
        assert r.status == 200
        assert_well_formed_head(r)
        assert r.header("Content-Length") is not None, r.head
        assert r.header("Content-Length") == get.header("Content-Length")
        # No body may follow: the next bytes on the connection are the next response.
        c.send(http_req("GET", "/healthz"))
        r2 = c.read_response()
        assert_json_health(r2)


IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} GMT$")


def test_date_header_is_imf_fixdate(server):
    r = raw_exchange(server.port, http_req("GET", "/healthz"))
    date = r.header("Date")
    assert date is not None, r.head
    assert IMF_FIXDATE.match(date), date
    parsed = email.utils.parsedate_to_datetime(date)
    assert abs((parsed - datetime.now(timezone.utc)).total_seconds()) < 10
    # The weekday agrees with the date.
    assert parsed.strftime("%a") == date[:3]


def test_connection_close_is_honoured(server):
    with RawConn(server.port) as c:
        c.send(http_req("GET", "/healthz", [("Connection", "close")]))
        r = c.read_response()
        assert_json_health(r)
        assert (r.header("Connection") or "").lower() == "close", r.head
        assert c.wait_closed(3), "server did not close after Connection: close"


def test_http_1_0_request_gets_response_and_close(server):
    with RawConn(server.port) as c:
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.version in ("HTTP/1.1", "HTTP/1.0"), r.head
        assert_json_health(r)
        assert c.wait_closed(3), "server kept an HTTP/1.0 connection open"


# --------------------------------------------------------------------------
# Limits and malformed requests
# --------------------------------------------------------------------------

def test_head_under_16k_is_fine(server):
    r = raw_exchange(server.port, http_req("GET", "/healthz", [("X-Big", "a" * (15 * 1024))]))
    assert_json_health(r)


def test_head_over_16k_is_431(server):
    with RawConn(server.port) as c:
        c.send_tolerant(http_req("GET", "/healthz", [("X-Big", "a" * (17 * 1024))]))
        r = c.read_final()
        assert r.status == 431, r.head
        assert c.wait_closed(3)


def test_100_header_fields_ok_101_is_431(server):
    ok = [(f"X-H-{i}", "v") for i in range(99)]  # + Host = 100 fields
    assert_json_health(raw_exchange(server.port, http_req("GET", "/healthz", ok)))
    too_many = [(f"X-H-{i}", "v") for i in range(101)]  # + Host = 102 fields
    r = raw_exchange(server.port, http_req("GET", "/healthz", too_many))
    assert r.status == 431, r.head


def test_body_just_under_1mib_is_accepted(api):
    cid = uid("big")
    body = json.dumps({"conferenceId": cid, "padding": "p" * (1024 * 1024 - 200)})
    assert len(body) < 1024 * 1024
    r = api.post("create", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["id"] == cid


def test_body_declared_over_1mib_is_413(server, svc_token):
    n = 2 * 1024 * 1024
    head = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Content-Length", str(n))])
    with RawConn(server.port) as c:
        c.send_tolerant(head + b'{"conferenceId": "x", "pad": "' + b"p" * 1000)
        assert c.readable(5), "no answer to a 2 MiB Content-Length within 5 s"
        r = c.read_final()
    assert r.status == 413, r.head
    assert r.json()["error"] == "PAYLOAD_TOO_LARGE"


def test_body_chunked_growing_over_1mib_is_413(server, svc_token):
    head = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Transfer-Encoding", "chunked")])
    piece = b"p" * 65536
    with RawConn(server.port) as c:
        c.send(head)
        c.send_tolerant(b"1e\r\n" + b'{"conferenceId":"x","pad":"ppp' + b"\r\n")
        sent = 0
        while sent < 1536 * 1024 and not c.readable(0):
            if not c.send_tolerant(b"10000\r\n" + piece + b"\r\n"):
                break
            sent += len(piece)
        assert c.readable(5), f"no answer after {sent} chunked body bytes"
        r = c.read_final()
    assert r.status == 413, r.head
    assert r.json()["error"] == "PAYLOAD_TOO_LARGE"
    assert sent > 1024 * 1024 - 65536 * 2, f"413 after only {sent} bytes"


def _expect_400_and_close(port: int, data: bytes, status: int = 400, must_close: bool = True):
    with RawConn(port) as c:
        c.send_tolerant(data)
        r = c.read_final()
        assert r.status == status, f"expected {status}, got {r.head!r} {r.body[:200]!r}"
        if must_close:
            assert c.wait_closed(3), "server kept the connection open after a framing error"
        return r


def test_transfer_encoding_gzip_chunked_is_501(server, svc_token):
    data = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Transfer-Encoding", "gzip, chunked")]) + b"2\r\n{}\r\n0\r\n\r\n"
    _expect_400_and_close(server.port, data, status=501)


def test_content_length_and_transfer_encoding_is_400(server, svc_token):
    data = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Content-Length", "2"),
                                                ("Transfer-Encoding", "chunked")]) + b"2\r\n{}\r\n0\r\n\r\n"
    _expect_400_and_close(server.port, data)


def test_two_content_lengths_is_400(server, svc_token):
    data = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Content-Length", "2"),
                                                ("Content-Length", "3")]) + b"{} "
    _expect_400_and_close(server.port, data)


def test_missing_host_is_400(server):
    with RawConn(server.port) as c:
        c.send(http_req("GET", "/healthz", host=False))
        r = c.read_final()
        assert r.status == 400, r.head


def test_bare_lf_is_400(server):
    _expect_400_and_close(server.port, b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n")


def test_obs_fold_is_400(server):
    _expect_400_and_close(server.port,
                          b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Folded: a\r\n  b\r\n\r\n")


def test_space_before_colon_is_400(server):
    _expect_400_and_close(server.port, b"GET /healthz HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n")


def test_invalid_chunk_size_is_400(server, svc_token):
    data = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {svc_token}"),
                                                ("Content-Type", "application/json"),
                                                ("Transfer-Encoding", "chunked")]) + b"zz\r\n{}\r\n0\r\n\r\n"
    _expect_400_and_close(server.port, data)


# --------------------------------------------------------------------------
# Slow clients, connection limits
# --------------------------------------------------------------------------

def test_header_timeout_408_then_close(timeout_server):
    with RawConn(timeout_server.port, timeout=10) as c:
        t0 = time.monotonic()
        c.send(b"GET /healthz HTTP/1.1\r\nHo")
        assert c.readable(5), "no answer to a stalled request head within 5 s (--header-timeout 1)"
        r = c.read_final()
        elapsed = time.monotonic() - t0
        assert r.status == 408, r.head
        assert 0.5 <= elapsed < 5, elapsed
        assert c.wait_closed(3), "server did not close after 408"


def test_body_timeout_408(timeout_server):
    token = fetch_token(timeout_server.base)
    head = http_req("POST", f"{API}/create", [("Authorization", f"Bearer {token}"),
                                                ("Content-Type", "application/json"),
                                                ("Content-Length", "100")])
    with RawConn(timeout_server.port, timeout=10) as c:
        t0 = time.monotonic()
        c.send(head + b'{"conferen')
        assert c.readable(5), "no answer to a stalled body within 5 s (--body-timeout 1)"
        r = c.read_final()
        elapsed = time.monotonic() - t0
        assert r.status == 408, r.head
        assert 0.5 <= elapsed < 5, elapsed


def test_max_connections_sixth_gets_503(maxconn_server):
    port = maxconn_server.port
    held: list[RawConn] = []

    def open_serving() -> RawConn | None:
        c = RawConn(port)
        c.send(http_req("GET", "/healthz"))
        try:
            r = c.read_response()
        except (EOFError, ConnectionResetError):
            c.close()
            return None
        if r.status == 200:
            return c
        c.close()  # an earlier connection may not be reaped yet: retry
        return None

    try:
        for _ in range(5):
            held.append(poll(open_serving, 5, what="a served connection"))
        sixth = RawConn(port)
        try:
            sixth.send_tolerant(http_req("GET", "/healthz"))
            r = sixth.read_final()
            assert r.status == 503, r.head
            assert sixth.wait_closed(3), "503 connection was not closed"
        finally:
            sixth.close()
        # Freeing one slot lets a new connection in again.
        held.pop().close()
        held.append(poll(open_serving, 5, what="a connection after one was freed"))
    finally:
        for c in held:
            c.close()


# --------------------------------------------------------------------------
# Routing errors
# --------------------------------------------------------------------------

def test_unknown_path_is_404_json(server):
    r = requests.get(server.base + "/definitely/not/here", timeout=5)
    assert_error(r, 404)


def test_wrong_method_is_405_with_allow(server, svc_token):
    auth = {"Authorization": f"Bearer {svc_token}"}
    r = requests.post(server.base + "/healthz", headers=auth, timeout=5)
    assert_error(r, 405)
    assert "GET" in r.headers.get("Allow", ""), r.headers
    r = requests.put(server.base + f"{API}/join", json={}, headers=auth, timeout=5)
    assert_error(r, 405)
    assert "POST" in r.headers.get("Allow", ""), r.headers
    r = requests.delete(server.base + f"{API}/{uid('c')}", headers=auth, timeout=5)
    assert_error(r, 405)
    assert "GET" in r.headers.get("Allow", ""), r.headers


def test_drip_feed_one_byte_at_a_time(server, svc_token, api):
    cid = uid("drip")
    data = create_req(svc_token, cid)
    with RawConn(server.port, timeout=10) as c:
        for i in range(len(data)):
            c.send(data[i:i + 1])
            time.sleep(0.002)
        r = c.read_response()
    assert r.status == 200, r.body
    assert r.json()["id"] == cid
    assert api.conference(cid)["id"] == cid


# --------------------------------------------------------------------------
# Other routes
# --------------------------------------------------------------------------

def test_openapi_json_and_html(server, svc_token):
    auth = {"Authorization": f"Bearer {svc_token}"}
    r = requests.get(server.base + "/rtc-api/openapi.json", headers=auth, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert "openapi" in doc and "paths" in doc
    paths = " ".join(doc["paths"])
    for op in ("create", "join", "leave", "sendEvent", "publishStream"):
        assert f"/rtc-api/conferences/{op}" in paths, op
    r = requests.get(server.base + "/rtc-api/openapi", headers=auth, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "<html" in r.text.lower()


def _requests_total(text: str) -> float:
    total = 0.0
    found = False
    for line in text.splitlines():
        m = re.match(r"^sfu_http_requests_total(\{[^}]*\})?\s+([0-9.eE+]+)", line)
        if m:
            found = True
            total += float(m.group(2))
    assert found, "no sfu_http_requests_total sample in /metrics"
    return total


def test_metrics_counts_requests(server, svc_token):
    auth = {"Authorization": f"Bearer {svc_token}"}
    r = requests.get(server.base + "/metrics", headers=auth, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    before = _requests_total(r.text)
    for _ in range(5):
        requests.get(server.base + "/healthz", timeout=5)
    after = _requests_total(requests.get(server.base + "/metrics", headers=auth, timeout=5).text)
    assert after >= before + 5, (before, after)


# --------------------------------------------------------------------------
# Graceful shutdown and load
# --------------------------------------------------------------------------

def test_graceful_shutdown_completes_in_flight_request():
    grace = 8
    srv = SfuServer("shutdown", ["--shutdown-grace", str(grace)])
    srv.start()
    try:
        token = fetch_token(srv.base)
        r = requests.post(srv.base + f"{API}/create", json={}, timeout=5,
                          headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        cid, version = r.json()["id"], r.json()["version"]
        lp = RawConn(srv.port, timeout=15)
        lp.send(http_req("GET", f"{API}/{cid}/events?v={version}&wait=5",
                         [("Authorization", f"Bearer {token}")]))
        time.sleep(0.5)  # let the server pick the long-poll up (synchronisation, not an assertion)
        assert not lp.readable(0), "long-poll answered before anything happened"

        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", srv.port), timeout=1) as s:
                    s.sendall(http_req("GET", "/healthz"))
                    data = s.recv(100)
                    return not data.startswith(b"HTTP/1.1 200")
            except (ConnectionRefusedError, ConnectionResetError, socket.timeout, BrokenPipeError):
                return True
        poll(refused, 2.0, interval=0.05, what="the server to stop accepting new connections")

        r = lp.read_final()
        lp.close()
        assert r.status == 200, r.head
        assert isinstance(r.json(), list)
        try:
            code = srv.proc.wait(timeout=grace + 2)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server still running {grace + 2} s after SIGTERM (grace {grace})")
        assert code == 0, f"exit code {code}"
        assert time.monotonic() - t0 < grace + 2
    finally:
        srv.kill()


def test_wrk_keepalive_load(server):
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.fail("wrk is not installed (Debian package 'wrk'; `make` installs it)")
    p = subprocess.run([wrk, "-t2", "-c16", "-d2s", server.base + "/healthz"],
                       capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    m = re.search(r"(\d+) requests in", out)
    assert m, out
    assert int(m.group(1)) > 100, out
    assert "Socket errors" not in out, out
    assert "Non-2xx or 3xx responses" not in out, out
