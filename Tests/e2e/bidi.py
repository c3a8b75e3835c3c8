"""Headless Firefox ESR driven over WebDriver BiDi, standard library only.

    with Firefox() as browser:
        page = browser.open("file:///.../page.html")
        result = page.eval("(async () => { ... return {...}; })()")

There is no geckodriver here (see ../../shared/notes/browsers.md): Firefox
is started with `--remote-debugging-port=0`, the BiDi websocket URL is read
from its stderr, and the session websocket is opened without an `Origin`
header (Firefox answers 400 otherwise; cdp._WebSocket sends none). Values
come back as JSON: `eval` wraps the expression in `JSON.stringify` so BiDi's
own remote-value serialisation never has to be decoded. Console messages
and JavaScript errors are kept in `browser.console` for failure reports.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from cdp import _WebSocket

FIREFOX = os.environ.get("FIREFOX", "/usr/lib/firefox-esr/firefox-esr")

# Fake devices without prompts, loopback host candidates with real
# addresses, and nothing that phones home (GMP/OpenH264 download, updates,
# telemetry, captive portal, safe browsing).
FIREFOX_PREFS = {
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "permissions.default.camera": 1,
    "permissions.default.microphone": 1,
    "media.autoplay.default": 0,
    "media.gmp-manager.updateEnabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "app.update.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "extensions.update.enabled": False,
    # file:// pages may load http://127.0.0.1 scripts and call the API.
    "security.fileuri.strict_origin_policy": False,
}


class BiDiError(Exception):
    pass


def _pref_line(k: str, v) -> str:
    return f"user_pref({json.dumps(k)}, {json.dumps(v)});\n"


class Page:
    def __init__(self, browser: "Firefox", context: str):
        self.browser, self.context = browser, context

    def eval(self, expression: str, timeout: float = 20.0):
        """Evaluates `expression` (awaiting a promise) and returns its value as JSON data."""
        wrapped = f"(async () => JSON.stringify(await ({expression})))()"
        r = self.browser.call("script.evaluate", {
            "expression": wrapped, "target": {"context": self.context},
            "awaitPromise": True, "resultOwnership": "none"}, timeout=timeout)
        if r.get("type") == "exception":
            d = r.get("exceptionDetails", {})
            raise BiDiError(f"page threw: {d.get('text')}\n{self.browser.console_text()}")
        value = r.get("result", {})
        if value.get("type") != "string":
            return None
        return json.loads(value["value"])

    def wait(self, expression: str, timeout: float = 10.0, interval: float = 0.1):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.eval(expression)
            if last:
                return last
            time.sleep(interval)
        raise BiDiError(f"timed out after {timeout} s waiting for {expression!r} (last {last!r})\n"
                        + self.browser.console_text())


class Firefox:
    def __init__(self, prefs: dict | None = None):
        self.prefs = dict(FIREFOX_PREFS, **(prefs or {}))
        self.profile = None
        self.proc = None
        self.ws = None
        self.next_id = 0
        self.pending: dict[int, dict] = {}
        self.cond = threading.Condition()
        self.console: list[str] = []
        self.stderr_tail: list[str] = []

    def __enter__(self) -> "Firefox":
        if not os.path.exists(FIREFOX):
            raise BiDiError(f"{FIREFOX} missing: scripts/install-deps.sh test installs Debian's firefox-esr")
        self.profile = tempfile.mkdtemp(prefix="sfu-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            f.writelines(_pref_line(k, v) for k, v in self.prefs.items())
        env = dict(os.environ, MOZ_DISABLE_NONLOCAL_CONNECTIONS="1", MOZ_CRASHREPORTER_DISABLE="1")
        self.proc = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--profile", self.profile,
             "--remote-debugging-port=0", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        url = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline().decode(errors="replace")
            if not line:
                break
            self.stderr_tail.append(line)
            m = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if m:
                url = m.group(1)
                break
        if not url:
            self.__exit__(None, None, None)
            raise BiDiError("Firefox did not start:\n" + "".join(self.stderr_tail[-30:]))
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.ws = _WebSocket(url + "/session", timeout=10)
        threading.Thread(target=self._read_loop, daemon=True).start()
        self.call("session.new", {"capabilities": {}})
        self.call("session.subscribe", {"events": ["log.entryAdded"]})
        return self

    def __exit__(self, *exc) -> None:
        if self.ws:
            try:
                self.call("browser.close", timeout=3)
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
        for line in iter(self.proc.stderr.readline, b""):
            self.stderr_tail = (self.stderr_tail + [line.decode(errors="replace")])[-50:]

    def _read_loop(self) -> None:
        try:
            while True:
                msg = json.loads(self.ws.recv())
                if "id" in msg and msg.get("type") in ("success", "error", None):
                    with self.cond:
                        self.pending[msg["id"]] = msg
                        self.cond.notify_all()
                    continue
                if msg.get("method") == "log.entryAdded":
                    p = msg.get("params", {})
                    self.console.append(f"[{p.get('level')}] {p.get('text')}")
        except (EOFError, OSError, ValueError):
            with self.cond:
                self.pending[-1] = {"closed": True}
                self.cond.notify_all()

    def call(self, method: str, params: dict | None = None, timeout: float = 20.0) -> dict:
        with self.cond:
            self.next_id += 1
            mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout + 5
        with self.cond:
            while mid not in self.pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BiDiError(f"{method}: no answer within {timeout} s")
                if -1 in self.pending:
                    raise BiDiError(f"{method}: browser connection closed")
                self.cond.wait(left)
            r = self.pending.pop(mid)
        if r.get("type") == "error":
            raise BiDiError(f"{method}: {r.get('error')}: {r.get('message')}")
        return r.get("result", {})

    def open(self, url: str) -> Page:
        """A new tab showing `url`, loaded completely."""
        ctx = self.call("browsingContext.create", {"type": "tab"})["context"]
        self.call("browsingContext.navigate", {"context": ctx, "url": url, "wait": "complete"})
        return Page(self, ctx)

    def console_text(self, limit: int = 60) -> str:
        return "firefox console:\n" + "\n".join(self.console[-limit:])
