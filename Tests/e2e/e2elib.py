"""Helpers shared by the end-to-end tests: the server process, raw HTTP over
sockets, a small Conference API client, JWT crafting and an SSE parser.

Only the standard library and `requests` are used.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

JWT_SECRET = "e2e-jwt-secret-7f3a9c1d5b"
SVC_ID, SVC_SECRET = "svc", "svcsecret"
ALICE_ID, ALICE_SECRET = "alice", "alicesecret"

API = "/rtc-api/conferences"


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------

def sfu_binary() -> Path:
    env = os.environ.get("SFU_BIN")
    if env:
        return Path(env)
    release = REPO_ROOT / ".build" / "release" / "sfu"
    if release.exists():
        return release
    return REPO_ROOT / ".build" / "debug" / "sfu"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ALL_SERVERS: list["SfuServer"] = []
_ALL_LOCK = threading.Lock()


class ServerStartError(Exception):
    pass


class SfuServer:
    """One `sfu serve` process on 127.0.0.1:<free port> with its own data dir.

    stdout and stderr go to a temp file (`log_path`); `log_text()` reads it.
    """

    def __init__(self, name: str, extra_args: Iterable[str] = (), clients: bool = True):
        self.name = name
        self.extra_args = list(extra_args)
        self.clients = clients
        self.port = 0
        # The record stores start with every `sfu serve`; each server gets
        # its own free ports so that servers started side by side never clash.
        self.records_port = 0
        self.prerecordings_port = 0
        self.proc: subprocess.Popen | None = None
        self.tmp = tempfile.mkdtemp(prefix=f"sfu-e2e-{name}-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "server.log")
        self._log = None
        with _ALL_LOCK:
            ALL_SERVERS.append(self)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def args(self) -> list[str]:
        a = [str(sfu_binary()), "serve",
             "--host", "127.0.0.1",
             "--port", str(self.port),
             "--data-dir", self.data_dir,
             "--jwt-secret", JWT_SECRET,
             "--media-port", "0", "--media-workers", "1",
             "--records-port", str(self.records_port),
             "--prerecordings-port", str(self.prerecordings_port)]
        # Candidates on 127.0.0.1 unless the test announces (or listens on) addresses of its own.
        if "--announce-ip" not in self.extra_args and "--media-listen" not in self.extra_args:
            a += ["--announce-ip", "127.0.0.1"]
        if self.clients:
            a += ["--client", f"{SVC_ID}:{SVC_SECRET}:SERVICE",
                  "--client", f"{ALICE_ID}:{ALICE_SECRET}:PARTICIPANT"]
        return a + self.extra_args

    def start(self, ready_timeout: float = 20.0) -> "SfuServer":
        binary = sfu_binary()
        if not binary.exists():
            raise ServerStartError(
                f"sfu binary not found at {binary} (build it, or set SFU_BIN)")
        last_err = ""
        for _attempt in range(3):
            self.port = free_port()
            self.records_port = free_port()
            self.prerecordings_port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("SFU_")}
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(self.args(), stdout=self._log, stderr=self._log,
                                         stdin=subprocess.DEVNULL, env=env, cwd=self.tmp)
            try:
                self.wait_ready(ready_timeout)
                return self
            except ServerStartError as e:
                last_err = str(e)
                self.kill()
                if "in use" not in self.log_text().lower():
                    break
        raise ServerStartError(f"server {self.name} did not start: {last_err}\n--- log ---\n{self.log_tail()}")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(f"exited with code {self.proc.returncode}")
            # A raw request with Connection: close, closed right away, so no
            # pooled connection lingers (tests count connections).
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    data = b""
                    while b"\r\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if data.startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise ServerStartError(f"/healthz not ready within {timeout} s")

    def log_text(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self) -> int:
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset: int, limit: int = 6000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            return ""
        text = data.decode("utf-8", "replace")
        return text if len(text) <= limit else "...\n" + text[-limit:]

    def log_tail(self, limit: int = 6000) -> str:
        return self.log_since(0, limit)

    def terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._log:
            self._log.close()
            self._log = None


def kill_all_servers() -> None:
    with _ALL_LOCK:
        servers = list(ALL_SERVERS)
    for s in servers:
        try:
            s.kill()
        except Exception:
            pass


# --------------------------------------------------------------------------
# Tokens and JWTs
# --------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(token: str) -> tuple[dict, dict, bytes]:
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), b64url_decode(s)


def make_jwt(header: dict, payload: dict, secret: str | None = JWT_SECRET,
             digest=hashlib.sha256, signature: bytes | None = None) -> str:
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(payload, separators=(",", ":")).encode()))
    if signature is None:
        signature = hmac.new(secret.encode(), signing_input.encode(), digest).digest() if secret else b""
    return signing_input + "." + b64url(signature)


def fetch_token(base: str, client_id: str = SVC_ID, secret: str = SVC_SECRET,
                user_id: str | None = None) -> str:
    form = {"grant_type": "client_credentials"}
    if user_id is not None:
        form["user_id"] = user_id
    r = requests.post(base + "/security/oauth/token", data=form, auth=(client_id, secret), timeout=10)
    assert r.status_code == 200, f"token request failed: {r.status_code} {r.text}"
    return r.json()["access_token"]


# --------------------------------------------------------------------------
# Conference API client
# --------------------------------------------------------------------------

def uid(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Api:
    """A tiny Conference API client on a requests.Session (not thread-safe:
    use `clone()` per thread)."""

    def __init__(self, base: str, token: str | None):
        self.base = base
        self.token = token
        self.s = requests.Session()

    def clone(self, token: str | None | type(...) = ...) -> "Api":
        return Api(self.base, self.token if token is ... else token)

    def _headers(self, extra: dict | None) -> dict:
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if extra:
            h.update(extra)
        return h

    def post(self, op: str, body: Any = None, headers: dict | None = None, timeout: float = 15,
             **kw) -> requests.Response:
        if "data" in kw:
            return self.s.post(f"{self.base}{API}/{op}", headers=self._headers(headers),
                               timeout=timeout, **kw)
        return self.s.post(f"{self.base}{API}/{op}", json=body, headers=self._headers(headers),
                           timeout=timeout, **kw)

    def get(self, path: str, headers: dict | None = None, timeout: float = 15, **kw) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base}{API}/{path}"
        return self.s.get(url, headers=self._headers(headers), timeout=timeout, **kw)

    # Convenience wrappers that assert success.
    def create(self, **body) -> dict:
        r = self.post("create", body)
        assert r.status_code == 200, f"create {body}: {r.status_code} {r.text}"
        return r.json()

    def new_conference(self, **body) -> str:
        body.setdefault("conferenceId", uid("conf"))
        return self.create(**body)["id"]

    def join(self, cid: str, ep: str, metadata: dict | None = None) -> dict:
        body = {"conferenceId": cid, "userEndpointId": ep}
        if metadata is not None:
            body["metadata"] = metadata
        r = self.post("join", body)
        assert r.status_code == 200, f"join {cid}/{ep}: {r.status_code} {r.text}"
        return r.json()

    def leave(self, cid: str, ep: str, reason: str | None = None) -> None:
        body = {"conferenceId": cid, "userEndpointId": ep}
        if reason is not None:
            body["reason"] = reason
        r = self.post("leave", body)
        assert r.status_code == 204, f"leave {cid}/{ep}: {r.status_code} {r.text}"

    def end(self, cid: str, ep: str, reason: str | None = None) -> None:
        body = {"conferenceId": cid, "userEndpointId": ep}
        if reason is not None:
            body["reason"] = reason
        r = self.post("end", body)
        assert r.status_code == 204, f"end {cid}: {r.status_code} {r.text}"

    def conference(self, cid: str) -> dict:
        r = self.get(cid)
        assert r.status_code == 200, f"GET {cid}: {r.status_code} {r.text}"
        return r.json()

    def version(self, cid: str) -> int:
        return self.conference(cid)["version"]

    def events(self, cid: str, v: int = 0, wait: float | None = 0) -> list:
        """One page of the log after v; wait=0 (the default here) answers at
        once, None uses the server's default blocking poll."""
        params = {"v": v}
        if wait is not None:
            params["wait"] = wait
        r = self.get(f"{cid}/events", params=params, timeout=(wait or 0) + 15)
        assert r.status_code == 200, f"events {cid}: {r.status_code} {r.text}"
        body = r.json()
        assert isinstance(body, list), body
        return body


def assert_error(r: requests.Response, status: int, code: str | Iterable[str] | None = None,
                 names: str | None = None) -> dict:
    """The response is the documented error shape `{"error", "message"}`."""
    assert r.status_code == status, (
        f"{r.request.method} {r.request.url}: expected {status}, got {r.status_code}: {r.text[:500]}")
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("application/json"), f"error Content-Type {ctype!r}"
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("message"), str), body
    if code is not None:
        codes = {code} if isinstance(code, str) else set(code)
        assert body["error"] in codes, f"error code {body['error']!r}, expected {codes}: {body}"
    if names is not None:
        assert names in body["message"], f"message does not name {names!r}: {body['message']!r}"
    return body


def poll(fn: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "condition") -> Any:
    """Calls fn until it returns a truthy value, or fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def load_offer(direction: str = "sendonly") -> str:
    """The Chrome offer fixture with CRLF line endings; `recvonly` turns it
    into a viewer's offer (no local sources)."""
    lines = (FIXTURES / "chrome_offer.sdp").read_text().splitlines()
    out = []
    for ln in lines:
        if not ln.strip():
            continue
        if direction == "recvonly":
            if ln.startswith(("a=ssrc", "a=msid:")):
                continue
            if ln == "a=sendonly":
                ln = "a=recvonly"
        out.append(ln)
    return "\r\n".join(out) + "\r\n"


# --------------------------------------------------------------------------
# Raw HTTP over a socket
# --------------------------------------------------------------------------

@dataclass
class RawResponse:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    head: bytes  # status line + header section exactly as received, incl. final CRLFCRLF

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


class RawConn:
    def __init__(self, port: int, timeout: float = 5.0, host: str = "127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_tolerant(self, data: bytes) -> bool:
        """sendall that tolerates the server closing early (it may answer
        before reading everything). Returns False if the send failed."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by server")
        self.buf += chunk

    def readable(self, timeout: float) -> bool:
        if self.buf:
            return True
        r, _, _ = select.select([self.sock], [], [], timeout)
        return bool(r)

    def _read_until(self, delim: bytes) -> bytes:
        while delim not in self.buf:
            self._fill()
        i = self.buf.index(delim) + len(delim)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self) -> RawResponse:
        head = self._read_until(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        assert len(parts) >= 2 and parts[0].startswith("HTTP/"), f"bad status line {status_line!r}"
        headers = []
        for ln in lines[1:]:
            k, sep, v = ln.decode("latin-1").partition(":")
            assert sep, f"bad header line {ln!r}"
            headers.append((k, v.strip()))
        return RawResponse(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers, b"", head)

    def read_response(self, method: str = "GET") -> RawResponse:
        """Reads one response (a 1xx interim response is returned as is)."""
        r = self.read_head()
        if 100 <= r.status < 200 or r.status in (204, 304) or method == "HEAD":
            return r
        te = (r.header("Transfer-Encoding") or "").lower()
        cl = r.header("Content-Length")
        if "chunked" in te:
            body = b""
            while True:
                size_line = self._read_until(b"\r\n")
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    # trailers until empty line
                    while self._read_until(b"\r\n") != b"\r\n":
                        pass
                    break
                body += self._read_exact(size)
                assert self._read_exact(2) == b"\r\n"
            r.body = body
        elif cl is not None:
            r.body = self._read_exact(int(cl))
        else:
            # read until close
            try:
                while True:
                    self._fill()
            except (EOFError, ConnectionResetError):
                pass
            r.body, self.buf = self.buf, b""
        return r

    def read_final(self, method: str = "GET") -> RawResponse:
        while True:
            r = self.read_response(method)
            if r.status >= 200:
                return r

    def wait_closed(self, timeout: float = 3.0) -> bool:
        """True if the server closes the connection (EOF or reset) within
        `timeout` with no further bytes; raises if it sends data instead."""
        deadline = time.monotonic() + timeout
        if self.buf:
            raise AssertionError(f"unexpected extra bytes from server: {self.buf[:200]!r}")
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.sock], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                continue
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return True
            if not data:
                return True
            raise AssertionError(f"unexpected extra bytes from server: {data[:200]!r}")
        return False


def raw_exchange(port: int, data: bytes, method: str = "GET", timeout: float = 5.0) -> RawResponse:
    with RawConn(port, timeout=timeout) as c:
        c.send_tolerant(data)
        return c.read_final(method)


# --------------------------------------------------------------------------
# Server-Sent Events
# --------------------------------------------------------------------------

@dataclass
class SseEvent:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(text: str) -> list[SseEvent]:
    """Parses an SSE body (text/event-stream) into events (comment-only
    blocks are dropped)."""
    events = []
    cur = SseEvent()
    has = False
    datas: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line == "":
            if has:
                cur.data = "\n".join(datas)
                events.append(cur)
            cur, has, datas = SseEvent(), False, []
            continue
        if line.startswith(":"):
            cur.comments.append(line)
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "id":
            cur.id = value
            has = True
        elif name == "event":
            cur.event = value
            has = True
        elif name == "data":
            datas.append(value)
            has = True
    return events


class SseReader:
    """Reads an SSE stream in a background thread over a raw socket (so that
    `close()` can cut it at once, and each event is seen as it arrives)."""

    def __init__(self, url: str, headers: dict | None = None, params: dict | None = None):
        self.events: list[SseEvent] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error: BaseException | None = None
        u = urllib.parse.urlsplit(url)
        target = u.path + ("?" + u.query if u.query else "")
        if params:
            target += ("&" if "?" in target else "?") + urllib.parse.urlencode(params)
        h = {"Accept": "text/event-stream"}
        h.update(headers or {})
        req = f"GET {target} HTTP/1.1\r\nHost: {u.netloc}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        self.conn = RawConn(u.port, timeout=30, host=u.hostname)
        self.conn.send(req.encode("latin-1"))
        self.head = self.conn.read_head()
        self.status = self.head.status
        self.content_type = self.head.header("Content-Type")
        self.chunked = "chunked" in (self.head.header("Transfer-Encoding") or "").lower()
        if self.status != 200:
            self.done.set()
            return
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _body_pieces(self):
        c = self.conn
        if self.chunked:
            while True:
                size = int(c._read_until(b"\r\n").split(b";")[0].strip(), 16)
                if size == 0:
                    return
                yield c._read_exact(size)
                if c._read_exact(2) != b"\r\n":
                    raise AssertionError("bad chunk framing in SSE stream")
        else:
            if c.buf:
                yield c.buf
                c.buf = b""
            while True:
                data = c.sock.recv(65536)
                if not data:
                    return
                yield data

    def _lines(self):
        buf = b""
        for piece in self._body_pieces():
            buf += piece
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                yield line.rstrip(b"\r").decode("utf-8")

    def _run(self) -> None:
        try:
            cur, has, datas = SseEvent(), False, []
            for line in self._lines():
                if line == "":
                    if has:
                        cur.data = "\n".join(datas)
                        with self.lock:
                            self.events.append(cur)
                    cur, has, datas = SseEvent(), False, []
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if name == "id":
                    cur.id, has = value, True
                elif name == "event":
                    cur.event, has = value, True
                elif name == "data":
                    datas.append(value)
                    has = True
        except (EOFError, OSError) as e:
            if not self.closing:
                self.error = e
        except BaseException as e:  # noqa: BLE001 - reported to the test
            self.error = e
        finally:
            self.done.set()

    closing = False

    def snapshot(self) -> list[SseEvent]:
        with self.lock:
            return list(self.events)

    def wait_for(self, pred: Callable[[SseEvent], bool], timeout: float, what: str = "event") -> SseEvent:
        def check():
            for e in self.snapshot():
                if pred(e):
                    return e
            return None
        deadline = time.monotonic() + timeout
        while True:
            e = check()
            if e is not None:
                return e
            if self.done.is_set():
                e = check()
                if e is not None:
                    return e
                raise AssertionError(f"SSE stream ended (error={self.error!r}) before {what}; got "
                                     f"{[(x.id, x.event) for x in self.snapshot()]}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"no SSE {what} within {timeout} s; got "
                                     f"{[(x.id, x.event) for x in self.snapshot()]}")
            time.sleep(0.02)

    def close(self) -> None:
        self.closing = True
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
