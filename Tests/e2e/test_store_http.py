"""Record stores over HTTP: downloads with ranges and conditional requests,
validation, listing, limits, SSE, and the ways to start the stores."""
from __future__ import annotations

import json
import os
import socket
import time

import pytest
import requests

from e2elib import RawConn, SseReader, assert_error, parse_sse, poll
from storelib import first_page, make_ogg, new_event, start_store_server, synthetic_item


@pytest.fixture(scope="module")
def srv():
    return start_store_server("store-http", "--auth", "off", "--body-timeout", "1", "--store-sse-heartbeat", "1")


@pytest.fixture(scope="module")
def ogg(tmp_path_factory) -> bytes:
    return make_ogg(tmp_path_factory.mktemp("ogg") / "a.ogg", seconds=3).read_bytes()


def url(srv, kind, event, start=None):
    u = f"{srv.store_base(kind)}/{kind}/{event}"
    return u if start is None else f"{u}/{start}"


def put(srv, kind, event, start, body, ctype="audio/ogg", **kw):
    return requests.put(url(srv, kind, event, start), data=body, headers={"Content-Type": ctype, **kw.pop("headers", {})}, timeout=30, **kw)


# ---------------------------------------------------------------- downloads

def test_get_headers_and_body(srv, ogg):
    ev = new_event()
    r = put(srv, "records", ev, "2024-01-01T00:00:00Z", ogg)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/records/{ev}/2024-01-01T00:00:00Z"
    g = requests.get(url(srv, "records", ev, "2024-01-01T00:00:00Z"), timeout=5)
    assert g.status_code == 200 and g.content == ogg
    assert g.headers["Content-Type"] == "audio/ogg"
    assert g.headers["Content-Length"] == str(len(ogg))
    assert g.headers["Accept-Ranges"] == "bytes"
    assert g.headers["ETag"] == r.headers["ETag"] and g.headers["ETag"].startswith('"')
    assert g.headers["Last-Modified"].endswith(" GMT")
    h = requests.head(url(srv, "records", ev, "2024-01-01T00:00:00Z"), timeout=5)
    assert h.status_code == 200 and h.content == b"" and h.headers["Content-Length"] == str(len(ogg))
    assert h.headers["ETag"] == g.headers["ETag"]


def test_ranges(srv, ogg):
    ev = new_event()
    assert put(srv, "prerecordings", ev, "2024-01-01T00:00:00Z", ogg).status_code == 201
    u = url(srv, "prerecordings", ev, "2024-01-01T00:00:00Z")
    n = len(ogg)
    cases = {
        "bytes=0-99": (0, 99), "bytes=100-": (100, n - 1), "bytes=-50": (n - 50, n - 1),
        f"bytes=10-{n + 1000}": (10, n - 1), f"bytes={n - 1}-{n - 1}": (n - 1, n - 1),
    }
    for header, (a, b) in cases.items():
        r = requests.get(u, headers={"Range": header}, timeout=5)
        assert r.status_code == 206, header
        assert r.headers["Content-Range"] == f"bytes {a}-{b}/{n}", header
        assert r.content == ogg[a:b + 1], header
        assert r.headers["Content-Length"] == str(b - a + 1)
    for header in (f"bytes={n}-", f"bytes={n + 5}-{n + 10}", "bytes=-0"):
        r = requests.get(u, headers={"Range": header}, timeout=5)
        assert_error(r, 416, "RANGE_NOT_SATISFIABLE")
        assert r.headers["Content-Range"] == f"bytes */{n}"
    # Several ranges and malformed ranges: the whole item.
    for header in ("bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=abc"):
        r = requests.get(u, headers={"Range": header}, timeout=5)
        assert r.status_code == 200 and r.content == ogg, header
    # HEAD ignores Range.
    assert requests.head(u, headers={"Range": "bytes=0-1"}, timeout=5).status_code == 200


def test_conditional_requests(srv, ogg):
    ev = new_event()
    r = put(srv, "records", ev, "2024-01-01T00:00:00Z", ogg)
    u = url(srv, "records", ev, "2024-01-01T00:00:00Z")
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"x", {etag}'}, {"If-None-Match": "*"},
                    {"If-None-Match": "W/" + etag}, {"If-Modified-Since": lm}):
        nm = requests.get(u, headers=headers, timeout=5)
        assert nm.status_code == 304, headers
        assert nm.content == b"" and nm.headers["ETag"] == etag
        assert requests.head(u, headers=headers, timeout=5).status_code == 304
    assert requests.get(u, headers={"If-None-Match": '"other"'}, timeout=5).status_code == 200
    assert requests.get(u, headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, timeout=5).status_code == 200
    # If-Range: the range only while the tag still matches.
    assert requests.get(u, headers={"Range": "bytes=0-3", "If-Range": etag}, timeout=5).status_code == 206
    old = requests.get(u, headers={"Range": "bytes=0-3", "If-Range": '"stale"'}, timeout=5)
    assert old.status_code == 200 and old.content == ogg
    # If-Match / create-only uploads / conditional delete.
    assert_error(requests.get(u, headers={"If-Match": '"stale"'}, timeout=5), 412, "PRECONDITION_FAILED")
    assert_error(put(srv, "records", ev, "2024-01-01T00:00:00Z", ogg, headers={"If-None-Match": "*"}), 412)
    assert_error(put(srv, "records", ev, "2024-01-01T00:00:00Z", ogg, headers={"If-Match": '"stale"'}), 412)
    r2 = put(srv, "records", ev, "2024-01-01T00:00:00Z", ogg, headers={"If-Match": etag})
    assert r2.status_code == 204 and r2.headers["ETag"] != etag
    assert requests.get(u, headers={"If-None-Match": etag}, timeout=5).status_code == 200
    assert_error(requests.delete(u, headers={"If-Match": etag}, timeout=5), 412)
    assert requests.delete(u, headers={"If-Match": r2.headers["ETag"]}, timeout=5).status_code == 204
    assert put(srv, "records", ev, "2024-01-01T00:00:00Z", ogg, headers={"If-None-Match": "*"}).status_code == 201


# ---------------------------------------------------------------- uploads

def test_replace_is_atomic_and_reported(srv, ogg):
    ev = new_event()
    first = put(srv, "prerecordings", ev, "2024-05-01T10:00:00+02:00", ogg)
    assert first.status_code == 201
    other = make_ogg(os.path.join(srv.tmp, "b.ogg"), seconds=1, freq=880).read_bytes()
    second = put(srv, "prerecordings", ev, "2024-05-01T08:00:00Z", other)  # the same instant
    assert second.status_code == 204 and second.content == b""
    g = requests.get(url(srv, "prerecordings", ev, "2024-05-01T08:00:00.000Z"), timeout=5)
    assert g.content == other
    items = requests.get(url(srv, "prerecordings", ev), timeout=5).json()["items"]
    assert len(items) == 1 and items[0]["start"] == "2024-05-01T08:00:00Z" and items[0]["size"] == len(other)
    assert items[0]["created"] <= items[0]["modified"]


def test_not_ogg_opus_is_415_and_nothing_is_stored(srv, ogg):
    ev = new_event()
    vorbis_like = b"OggS" + ogg[4:28] + b"\x01vorbis" + ogg[35:]  # CRC no longer matches either
    cases = [
        (b"ID3\x04" + os.urandom(5000), "audio/ogg", "NOT_OGG_OPUS"),
        (b"", "audio/ogg", "NOT_OGG_OPUS"),
        (ogg[:30], "audio/ogg", "NOT_OGG_OPUS"),
        (vorbis_like, "audio/ogg", "NOT_OGG_OPUS"),
        (ogg, "audio/mpeg", "UNSUPPORTED_MEDIA_TYPE"),
        (ogg, "application/octet-stream", "UNSUPPORTED_MEDIA_TYPE"),
    ]
    for body, ctype, code in cases:
        assert_error(put(srv, "records", ev, "2024-01-01T00:00:00Z", body, ctype=ctype), 415, code)
    r = requests.put(url(srv, "records", ev, "2024-01-01T00:00:00Z"), data=ogg, timeout=5)  # no Content-Type
    assert r.status_code == 415
    # A chunked upload of a large non-Ogg body is refused from its first bytes.
    def gen():
        for _ in range(64):
            yield b"\x00" * 65536
    assert_error(requests.put(url(srv, "records", ev, "2024-01-01T00:00:00Z"), data=gen(),
                              headers={"Content-Type": "audio/ogg"}, timeout=10), 415, "NOT_OGG_OPUS")
    assert requests.get(url(srv, "records", ev), timeout=5).json()["total"] == 0
    assert os.listdir(os.path.join(srv.data_dir, "records", ".tmp")) == []
    # With parameters the media type is still audio/ogg.
    assert put(srv, "records", ev, "2024-01-01T00:00:00Z", ogg, ctype="audio/ogg; codecs=opus").status_code == 201


def test_path_validation(srv, ogg):
    base = srv.store_base("records")
    ev = new_event()
    for path, code in [
        (f"/records/not-a-uuid/2024-01-01T00:00:00Z", "INVALID_EVENT"),
        (f"/records/{ev}/2024-13-01T00:00:00Z", "INVALID_START"),
        (f"/records/{ev}/yesterday", "INVALID_START"),
        (f"/records/{ev}/2024-01-01T00:00:00.0001Z", "INVALID_START"),
        (f"/records/{ev}/2024-12-31T23:59:60Z", "INVALID_START"),
        (f"/records/%2e%2e", "INVALID_EVENT"),
        (f"/records/{ev}/%2e%2e", "INVALID_START"),
    ]:
        assert_error(requests.get(base + path, timeout=5), 400, code)
    # Encoded slashes decode into more path segments: no such resource.
    for path in (f"/records/..%2f..%2f..%2fetc/passwd", f"/records/{ev}/..%2F..%2F..%2Fjwt-secret",
                 f"/records/{ev}%2f..%2f..%2f..%2fjwt-secret"):
        r = requests.get(base + path, timeout=5)
        assert r.status_code in (400, 404) and r.headers["Content-Type"] == "application/json", (path, r.status_code)
    assert_error(requests.put(base + f"/records/{ev.upper()}x/2024-01-01T00:00:00Z", data=ogg,
                              headers={"Content-Type": "audio/ogg"}, timeout=5), 400, "INVALID_EVENT")
    for path in ("/records", "/records/a/b/c", "/elsewhere", "/prerecordings/" + ev):
        assert_error(requests.get(base + path, timeout=5), 404, "NOT_FOUND")
    with RawConn(srv.store_port("records")) as c:  # a raw '..' path, not normalised by a client
        c.send(f"GET /records/{ev}/../../../jwt-secret HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert c.read_response().status in (400, 404)
    r = requests.post(base + f"/records/{ev}/2024-01-01T00:00:00Z", timeout=5)
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    assert "PUT" in r.headers["Allow"]
    assert_error(requests.delete(base + "/ping", timeout=5), 405)
    # Upper-case event ids name the same items as lower-case ones.
    assert put(srv, "records", ev.upper(), "2024-01-01T00:00:00", ogg).status_code == 201
    assert requests.get(url(srv, "records", ev, "2024-01-01T00:00:00Z"), timeout=5).status_code == 200
    assert os.listdir(os.path.join(srv.data_dir, "records", ev)) == ["2024-01-01T00:00:00Z.ogg"]


def test_singular_alias(srv, ogg):
    ev = new_event()
    for kind in ("records", "prerecordings"):
        alias = kind[:-1]
        base = srv.store_base(kind)
        assert requests.put(f"{base}/{alias}/{ev}/2024-01-01T00:00:00Z", data=ogg, headers={"Content-Type": "audio/ogg"}, timeout=5).status_code == 201
        assert requests.get(f"{base}/{kind}/{ev}/2024-01-01T00:00:00Z", timeout=5).content == ogg
        assert requests.get(f"{base}/{alias}/{ev}", timeout=5).json()["total"] == 1
        assert requests.delete(f"{base}/{alias}/{ev}/2024-01-01T00:00:00Z", timeout=5).status_code == 204
        assert_error(requests.delete(f"{base}/{kind}/{ev}/2024-01-01T00:00:00Z", timeout=5), 404, "ITEM_NOT_FOUND")


def test_listing_filters_and_pagination(srv, ogg):
    ev = new_event()
    header = first_page(ogg)
    starts = [f"2024-03-0{d}T12:00:00Z" for d in (5, 1, 3, 2, 4)]
    for i, s in enumerate(starts):
        assert put(srv, "records", ev, s, synthetic_item(header, 100 + i, i)).status_code == 201
    u = url(srv, "records", ev)
    full = requests.get(u, timeout=5).json()
    assert [i["start"] for i in full["items"]] == sorted(starts) and full["total"] == 5
    item = full["items"][0]
    assert set(item) == {"event", "start", "size", "contentType", "etag", "created", "modified", "url"}
    page = requests.get(u, params={"limit": 2, "offset": 1}, timeout=5).json()
    assert [i["start"] for i in page["items"]] == sorted(starts)[1:3] and page["total"] == 5
    assert (page["limit"], page["offset"]) == (2, 1)
    rng = requests.get(u, params={"from": "2024-03-02T12:00:00Z", "to": "2024-03-04T12:00:00"}, timeout=5).json()
    assert [i["start"] for i in rng["items"]] == ["2024-03-02T12:00:00Z", "2024-03-03T12:00:00Z"] and rng["total"] == 2
    assert requests.get(u, params={"from": "2024-03-05T13:00:00+01:00"}, timeout=5).json()["total"] == 1
    for params, code in [({"from": "x"}, "INVALID_FROM"), ({"to": "2024-02-30T00:00:00Z"}, "INVALID_TO"),
                         ({"limit": "0"}, "INVALID_LIMIT"), ({"limit": "5000"}, "INVALID_LIMIT"),
                         ({"offset": "-3"}, "INVALID_OFFSET"),
                         ({"from": "2024-03-05T00:00:00Z", "to": "2024-03-01T00:00:00Z"}, "INVALID_TO")]:
        assert_error(requests.get(u, params=params, timeout=5), 400, code)


def test_empty_event_lists_nothing(srv):
    ev = new_event()
    assert requests.get(url(srv, "prerecordings", ev), timeout=5).json() == {
        "kind": "prerecordings", "event": ev, "total": 0, "offset": 0, "limit": 100, "items": []}


def test_ping(srv):
    for kind in ("records", "prerecordings"):
        for method in ("GET", "HEAD"):
            r = requests.request(method, srv.store_base(kind) + "/ping", timeout=5)
            assert r.status_code == 204 and r.content == b""


def test_slow_upload_times_out_and_leaves_nothing(srv, ogg):
    ev = new_event()
    with RawConn(srv.store_port("records"), timeout=10) as c:
        c.send((f"PUT /records/{ev}/2024-01-01T00:00:00Z HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\n"
                f"Content-Length: {len(ogg)}\r\n\r\n").encode() + ogg[:1000])
        r = c.read_final()
        assert r.status == 408, r
    assert requests.get(url(srv, "records", ev), timeout=5).json()["total"] == 0
    assert poll(lambda: os.listdir(os.path.join(srv.data_dir, "records", ".tmp")) == [], 3, what="temp file removed")


def test_client_disconnect_mid_upload_leaves_nothing(srv, ogg):
    ev = new_event()
    with RawConn(srv.store_port("records"), timeout=10) as c:
        c.send((f"PUT /records/{ev}/2024-01-01T00:00:00Z HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\n"
                f"Transfer-Encoding: chunked\r\n\r\n{len(ogg):x}\r\n").encode() + ogg + b"\r\n")
        time.sleep(0.3)
    assert poll(lambda: os.listdir(os.path.join(srv.data_dir, "records", ".tmp")) == [], 3, what="temp file removed")
    assert requests.get(url(srv, "records", ev), timeout=5).json()["total"] == 0


# ---------------------------------------------------------------- SSE

def test_sse_delivers_every_change_in_order_and_resumes(srv, ogg):
    ev = new_event()
    reader = SseReader(srv.store_base("prerecordings") + "/sse", params={"event": ev})
    assert reader.status == 200 and reader.content_type.startswith("text/event-stream")
    time.sleep(0.3)  # the subscription is registered before the first comment is written
    header = first_page(ogg)
    expected = []
    for i in range(10):
        start = f"2024-01-01T00:00:{i % 4:02d}Z"
        r = put(srv, "prerecordings", ev, start, synthetic_item(header, 200 + i, i))
        expected.append(("created" if r.status_code == 201 else "replaced", start, 200 + i))
    assert requests.delete(url(srv, "prerecordings", ev, "2024-01-01T00:00:01Z"), timeout=5).status_code == 204
    expected.append(("deleted", "2024-01-01T00:00:01Z", 209))
    put(srv, "prerecordings", new_event(), "2024-01-01T00:00:00Z", ogg)  # another event: filtered out
    events = poll(lambda: reader.events if len(reader.events) >= len(expected) else None, 10, what="events")
    got = [(e.event, e.json()["start"], e.json()["size"]) for e in events]
    assert got == expected
    ids = [int(e.id) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for e in events:
        d = e.json()
        assert d["kind"] == "prerecordings" and d["event"] == ev and d["type"] == e.event and d["etag"].startswith('"')
    # Resume after the 4th event: exactly the rest.
    resumed = SseReader(srv.store_base("prerecordings") + "/sse", params={"event": ev},
                        headers={"Last-Event-ID": events[3].id})
    rest = poll(lambda: resumed.events if len(resumed.events) >= len(events) - 4 else None, 10, what="resumed events")
    assert [e.id for e in rest] == [e.id for e in events[4:]]
    # An id from before anything kept (e.g. an earlier process): a reset event, then the backlog.
    old = SseReader(srv.store_base("prerecordings") + "/sse", params={"event": ev}, headers={"Last-Event-ID": "1"})
    got_old = poll(lambda: old.events if len(old.events) >= 1 + len(events) else None, 10, what="reset + backlog")
    assert got_old[0].event == "reset" and got_old[0].id is None
    assert [e.id for e in got_old[1:]] == [e.id for e in events]
    assert_error(requests.get(srv.store_base("prerecordings") + "/sse", headers={"Last-Event-ID": "abc"}, timeout=5),
                 400, "INVALID_LAST_EVENT_ID")
    assert_error(requests.get(srv.store_base("prerecordings") + "/sse", params={"event": "x"}, timeout=5), 400, "INVALID_EVENT")


def test_sse_heartbeat(srv):
    with RawConn(srv.store_port("records"), timeout=5) as c:
        c.send(b"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
        head = c.read_head()
        assert head.status == 200 and head.header("Transfer-Encoding") == "chunked"
        deadline = time.monotonic() + 4
        while b": heartbeat" not in c.buf and time.monotonic() < deadline:
            c._fill()
        assert b": heartbeat" in c.buf


# ---------------------------------------------------------------- limits and modes

def test_item_size_limit(tmp_path, ogg):
    s = start_store_server("store-small", "--auth", "off", "--store-max-item-size", "20KiB", "--prerecordings", "off")
    ev = new_event()
    big = synthetic_item(first_page(ogg), 30 * 1024, 1)
    assert_error(put(s, "records", ev, "2024-01-01T00:00:00Z", big), 413, "PAYLOAD_TOO_LARGE")
    r = requests.put(url(s, "records", ev, "2024-01-01T00:00:00Z"), data=iter([big[:10000], big[10000:]]),
                     headers={"Content-Type": "audio/ogg"}, timeout=10)  # chunked: found while streaming
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert put(s, "records", ev, "2024-01-01T00:00:00Z", big[:20 * 1024]).status_code == 201
    assert requests.get(url(s, "records", ev), timeout=5).json()["total"] == 1
    assert os.listdir(os.path.join(s.data_dir, "records", ".tmp")) == []
    with pytest.raises(requests.ConnectionError):  # --prerecordings off
        requests.get(f"http://127.0.0.1:{s.prerecordings_port}/ping", timeout=2)
    s.kill()


def test_concurrent_upload_limit(ogg):
    s = start_store_server("store-one-upload", "--auth", "off", "--store-max-uploads", "1")
    ev = new_event()
    with RawConn(s.store_port("records"), timeout=10) as c:
        c.send((f"PUT /records/{ev}/2024-01-01T00:00:00Z HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\n"
                f"Content-Length: {len(ogg)}\r\n\r\n").encode() + ogg[:100])
        time.sleep(0.3)
        r = put(s, "records", ev, "2024-01-01T00:00:01Z", ogg)
        assert_error(r, 503, "TOO_MANY_UPLOADS")
        assert r.headers["Retry-After"] == "1"
        c.send(ogg[100:])
        assert c.read_final().status == 201
    assert put(s, "records", ev, "2024-01-01T00:00:01Z", ogg).status_code == 201
    s.kill()


def test_store_alone(ogg):
    s = start_store_server("store-alone", "--auth", "off", mode="records")
    ev = new_event()
    assert put(s, "records", ev, "2024-01-01T00:00:00Z", ogg).status_code == 201
    for port in (s.port, s.prerecordings_port):  # no Conference API, no other store
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    s.kill()


def test_help_lists_the_store_options():
    import subprocess
    from e2elib import sfu_binary
    out = subprocess.run([str(sfu_binary()), "--help"], capture_output=True, text=True, timeout=10).stdout
    for flag in ("--records-port", "--prerecordings-port", "--records on|off", "--prerecordings on|off",
                 "--store-max-item-size", "--store-max-uploads", "sfu store records|prerecordings"):
        assert flag in out, flag
    bad = subprocess.run([str(sfu_binary()), "store", "videos"], capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "usage: sfu store records|prerecordings" in bad.stderr
