"""Record stores under concurrency, crashes and a full disk, and with auth on."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from e2elib import SVC_ID, SVC_SECRET, Api, RawConn, assert_error, fetch_token, poll
from storelib import first_page, make_ogg, new_event, start_store_server, synthetic_item


@pytest.fixture(scope="module")
def ogg(tmp_path_factory) -> bytes:
    return make_ogg(tmp_path_factory.mktemp("ogg") / "a.ogg").read_bytes()


@pytest.fixture(scope="module")
def srv():
    # 20 parallel uploads must all be admitted: raise the concurrent-upload limit above 20.
    return start_store_server("store-robust", "--auth", "off", "--store-max-uploads", "32")


def item_url(s, kind, event, start):
    return f"{s.store_base(kind)}/{kind}/{event}/{start}"


def test_parallel_uploads_and_downloads_of_different_keys(srv, ogg):
    ev = new_event()
    header = first_page(ogg)
    bodies = {f"2024-01-01T00:{i:02d}:00Z": synthetic_item(header, 300_000 + i * 1000, i) for i in range(20)}

    def up(start):
        return requests.put(item_url(srv, "records", ev, start), data=bodies[start],
                            headers={"Content-Type": "audio/ogg"}, timeout=60).status_code

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(up, bodies)) == [201] * 20

    def down(start):
        return requests.get(item_url(srv, "records", ev, start), timeout=60).content == bodies[start]

    with ThreadPoolExecutor(20) as pool:
        assert all(pool.map(down, list(bodies) * 2))
    listing = requests.get(f"{srv.store_base('records')}/records/{ev}", timeout=10).json()
    assert [i["start"] for i in listing["items"]] == sorted(bodies)
    assert [i["size"] for i in listing["items"]] == [len(bodies[s]) for s in sorted(bodies)]


def test_parallel_uploads_of_one_key_end_with_one_complete_winner(srv, ogg):
    ev = new_event()
    header = first_page(ogg)
    start = "2024-01-01T00:00:00Z"
    bodies = [synthetic_item(header, 400_000 + i * 7919, 100 + i) for i in range(20)]
    url = item_url(srv, "prerecordings", ev, start)
    stop = False
    torn: list[int] = []

    def reader():
        # Concurrent readers only ever see one complete upload (or nothing yet).
        while not stop:
            r = requests.get(url, timeout=30)
            if r.status_code == 200 and r.content not in bodies:
                torn.append(len(r.content))

    def up(i):
        chunks = (bodies[i][k:k + 65536] for k in range(0, len(bodies[i]), 65536))  # chunked
        return requests.put(url, data=chunks, headers={"Content-Type": "audio/ogg"}, timeout=60).status_code

    with ThreadPoolExecutor(24) as pool:
        readers = [pool.submit(reader) for _ in range(4)]
        statuses = list(pool.map(up, range(20)))
        stop = True
        for r in readers:
            r.result()
    assert statuses.count(201) == 1 and statuses.count(204) == 19, statuses
    assert torn == []
    final = requests.get(url, timeout=30).content
    assert final in bodies
    listing = requests.get(f"{srv.store_base('prerecordings')}/prerecordings/{ev}", timeout=10).json()
    assert listing["total"] == 1 and listing["items"][0]["size"] == len(final)
    assert os.listdir(os.path.join(srv.data_dir, "prerecordings", ".tmp")) == []


def test_kill_9_during_uploads_then_restart_lists_exactly_the_complete_items(ogg):
    s = start_store_server("store-crash", "--auth", "off")
    ev = new_event()
    header = first_page(ogg)
    done = {f"2024-01-01T00:00:0{i}Z": synthetic_item(header, 50_000 + i, i) for i in range(3)}
    for start, body in done.items():
        assert requests.put(item_url(s, "records", ev, start), data=body, headers={"Content-Type": "audio/ogg"}, timeout=10).status_code == 201
    # A replacement of a complete item and two new items, all half sent when the server dies.
    conns = []
    for start in ("2024-01-01T00:00:00Z", "2024-01-01T00:00:08Z", "2024-01-01T00:00:09Z"):
        c = RawConn(s.store_port("records"), timeout=10)
        body = synthetic_item(header, 2_000_000, 7)
        c.send((f"PUT /records/{ev}/{start} HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:1_000_000])
        conns.append(c)
    tmp_dir = os.path.join(s.data_dir, "records", ".tmp")
    poll(lambda: len(os.listdir(tmp_dir)) == 3, 5, what="three uploads in progress")
    s.kill9()
    for c in conns:
        c.close()
    assert len(os.listdir(tmp_dir)) == 3  # the crash left its temporary files
    s.restart()
    assert os.listdir(tmp_dir) == []  # cleaned up at start-up
    listing = requests.get(f"{s.store_base('records')}/records/{ev}", timeout=10).json()
    assert [(i["start"], i["size"]) for i in listing["items"]] == [(k, len(v)) for k, v in sorted(done.items())]
    for start, body in done.items():
        assert requests.get(item_url(s, "records", ev, start), timeout=10).content == body
    assert "removed 3 temporary file(s) left by an earlier process" in s.log_text()
    s.kill()


def test_full_disk_answers_507_and_keeps_the_previous_version(ogg):
    if os.geteuid() != 0:
        pytest.fail("this test mounts a small tmpfs and must run as root (CI does)")
    mnt = tempfile.mkdtemp(prefix="sfu-e2e-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], check=True)
    try:
        s = start_store_server("store-full", "--auth", "off", data_dir=os.path.join(mnt, "data"))
        ev = new_event()
        header = first_page(ogg)
        small = synthetic_item(header, 100_000, 1)
        url = item_url(s, "prerecordings", ev, "2024-01-01T00:00:00Z")
        assert requests.put(url, data=small, headers={"Content-Type": "audio/ogg"}, timeout=10).status_code == 201
        big = synthetic_item(header, 6_000_000, 2)
        # Declared length (space reserved up front) and chunked (found while writing).
        assert_error(requests.put(url, data=big, headers={"Content-Type": "audio/ogg"}, timeout=30), 507, "INSUFFICIENT_STORAGE")
        chunks = (big[k:k + 65536] for k in range(0, len(big), 65536))
        r = requests.put(url, data=chunks, headers={"Content-Type": "audio/ogg"}, timeout=30)
        assert_error(r, 507, "INSUFFICIENT_STORAGE")
        assert requests.get(url, timeout=10).content == small
        assert os.listdir(os.path.join(s.data_dir, "prerecordings", ".tmp")) == []
        # Space is back: uploads work again.
        assert requests.put(url, data=synthetic_item(header, 200_000, 3),
                            headers={"Content-Type": "audio/ogg"}, timeout=10).status_code == 204
        s.kill()
    finally:
        subprocess.run(["umount", "-l", mnt], check=False)
        shutil.rmtree(mnt, ignore_errors=True)


def test_auth(ogg):
    # Auth on and exposed beyond loopback: tokens are required even from this machine.
    s = start_store_server("store-auth", "--store-listen", "0.0.0.0")
    svc = fetch_token(s.base)
    alice = fetch_token(s.base, user_id="alice-user")
    bob = fetch_token(s.base, user_id="bob-user")
    ev = new_event()
    base = s.store_base("records")
    url = f"{base}/records/{ev}/2024-01-01T00:00:00Z"
    ctype = {"Content-Type": "audio/ogg"}
    # No token, bad token: 401; the open endpoints stay open.
    assert_error(requests.put(url, data=ogg, headers=ctype, timeout=5), 401, "UNAUTHORIZED")
    assert_error(requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5), 401)
    assert_error(requests.get(base + "/sse", timeout=5), 401)
    for path in ("/ping", "/openapi", "/openapi/openapi.json"):
        assert requests.get(base + path, timeout=5).status_code in (200, 204)
    # SERVICE writes and reads.
    auth = lambda t: {"Authorization": f"Bearer {t}"}  # noqa: E731
    assert requests.put(url, data=ogg, headers={**ctype, **auth(svc)}, timeout=5).status_code == 201
    assert requests.get(url, headers=auth(svc), timeout=5).content == ogg
    # A participant may read the items of its conference's event, nobody else's; never write.
    api = Api(s.base, svc)
    r = api.post("create", {"conferenceId": ev})
    assert r.status_code in (200, 201), r.text
    r = Api(s.base, alice).post("join", {"conferenceId": ev, "userEndpointId": "alice-ep"})
    assert r.status_code in (200, 201), r.text
    assert requests.get(url, headers=auth(alice), timeout=5).content == ogg
    assert requests.get(f"{base}/records/{ev}", headers=auth(alice), timeout=5).json()["total"] == 1
    assert requests.get(f"{url}?access_token={alice}", timeout=5).status_code == 200  # e.g. <audio src=...>
    assert_error(requests.get(url, headers=auth(bob), timeout=5), 403, "FORBIDDEN")
    assert_error(requests.put(url, data=ogg, headers={**ctype, **auth(alice)}, timeout=5), 403, "FORBIDDEN")
    assert_error(requests.delete(url, headers=auth(alice), timeout=5), 403)
    assert_error(requests.get(base + "/sse", headers=auth(alice), timeout=5), 403)
    sse = requests.get(base + "/sse", params={"event": ev}, headers=auth(alice), stream=True, timeout=5)
    assert sse.status_code == 200
    sse.close()
    assert requests.delete(url, headers=auth(svc), timeout=5).status_code == 204
    assert "exposed on 0.0.0.0 by --store-listen: every request but /ping and /openapi needs a bearer token" in s.log_text()
    s.kill()
