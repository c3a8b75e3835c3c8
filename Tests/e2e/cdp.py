"""Headless Chromium driven over the DevTools protocol, standard library only.

    with Chromium() as browser:
        page = browser.open("file:///.../page.html")
        page.wait("window.ready === true")
        result = page.eval("(async () => { ... return {...}; })()")

One WebSocket to the browser target (handshake and framing by hand), pages
attached with flattened sessions. Console messages and uncaught exceptions
of every page are kept in `browser.console` for failure reports.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium")

# From docs in ../../shared/notes/browsers.md: fake devices, no permission
# prompts, loopback candidates, no DNS and no background traffic.
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns,Translate,MediaRouter,OptimizationHints",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--metrics-recording-only", "--disable-extensions",
    "--allow-file-access-from-files",
    # Pages opened as extra targets are background tabs: keep their timers unthrottled.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


class CDPError(Exception):
    pass


class _WebSocket:
    """A minimal RFC 6455 client: text frames out (masked), frames in."""

    def __init__(self, url: str, timeout: float = 10.0):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + (("?" + u.query) if u.query else "")
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CDPError("websocket handshake: connection closed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise CDPError("websocket handshake refused: " + head.decode(errors="replace"))
        self.sock.settimeout(None)
        self.lock = threading.Lock()

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self.lock:
            self.sock.sendall(header + mask + masked)

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            op, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            if b1 & 0x80:
                mask = self._read(4)
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(n)))
            else:
                data = self._read(n)
            if op == 0x8:
                raise EOFError
            if op in (0x9, 0xA):      # ping / pong: Chromium does not ping its clients
                continue
            message += data
            if b0 & 0x80:
                return message.decode()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Page:
    def __init__(self, browser: "Chromium", target_id: str, session: str):
        self.browser, self.target_id, self.session = browser, target_id, session

    def call(self, method: str, params: dict | None = None, timeout: float = 20.0) -> dict:
        return self.browser.call(method, params, session=self.session, timeout=timeout)

    def eval(self, expression: str, timeout: float = 20.0):
        """Evaluates (awaiting a promise) and returns the value as JSON data."""
        r = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                           "returnByValue": True, "timeout": int(timeout * 1000)},
                      timeout=timeout + 5)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            desc = d.get("exception", {}).get("description") or d.get("text")
            raise CDPError(f"page threw: {desc}")
        return r["result"].get("value")

    def wait(self, expression: str, timeout: float = 10.0, interval: float = 0.1):
        """Polls until the expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.eval(expression)
            if last:
                return last
            time.sleep(interval)
        raise CDPError(f"timed out after {timeout} s waiting for {expression!r} (last {last!r})\n"
                       + self.browser.console_text())


class Chromium:
    def __init__(self, extra_flags: list[str] | None = None):
        self.extra_flags = extra_flags or []
        self.profile = None
        self.proc = None
        self.ws = None
        self.next_id = 0
        self.pending: dict[int, dict] = {}
        self.cond = threading.Condition()
        self.console: list[str] = []
        self.reader = None

    def __enter__(self) -> "Chromium":
        if not os.path.exists(CHROMIUM):
            raise CDPError(f"{CHROMIUM} missing: scripts/install-deps.sh test installs Debian's chromium")
        self.profile = tempfile.mkdtemp(prefix="sfu-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, *self.extra_flags, f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = None
        deadline = time.monotonic() + 20
        stderr_lines = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline().decode(errors="replace")
            if not line:
                break
            stderr_lines.append(line)
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                url = m.group(1)
                break
        if not url:
            self.__exit__(None, None, None)
            raise CDPError("Chromium did not start:\n" + "".join(stderr_lines[-30:]))
        # Keep draining stderr so Chromium never blocks on a full pipe.
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.ws = _WebSocket(url)
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.ws:
            try:
                self.call("Browser.close", timeout=3)
            except Exception:
                pass
            self.ws.close()
        if self.proc:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)

    def _drain_stderr(self) -> None:
        for _ in iter(self.proc.stderr.readline, b""):
            pass

    def _read_loop(self) -> None:
        try:
            while True:
                msg = json.loads(self.ws.recv())
                if "id" in msg:
                    with self.cond:
                        self.pending[msg["id"]] = msg
                        self.cond.notify_all()
                    continue
                method, p = msg.get("method"), msg.get("params", {})
                if method == "Runtime.consoleAPICalled":
                    args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                    self.console.append(f"[{p.get('type')}] {args}")
                elif method == "Runtime.exceptionThrown":
                    d = p.get("exceptionDetails", {})
                    self.console.append("[exception] " + str(d.get("exception", {}).get("description") or d.get("text")))
        except (EOFError, OSError, ValueError):
            with self.cond:
                self.pending[-1] = {"closed": True}
                self.cond.notify_all()

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 20.0) -> dict:
        with self.cond:
            self.next_id += 1
            mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        with self.cond:
            while mid not in self.pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CDPError(f"{method}: no answer within {timeout} s")
                if -1 in self.pending:
                    raise CDPError(f"{method}: browser connection closed")
                self.cond.wait(left)
            r = self.pending.pop(mid)
        if "error" in r:
            raise CDPError(f"{method}: {r['error']}")
        return r.get("result", {})

    def open(self, url: str, wait_load: bool = True) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        page.call("Runtime.enable")
        page.call("Page.enable")
        page.call("Page.navigate", {"url": url})
        if wait_load:
            page.wait("location.href !== 'about:blank' && document.readyState === 'complete'", timeout=10)
        return page

    def console_text(self, limit: int = 60) -> str:
        return "browser console:\n" + "\n".join(self.console[-limit:])
