"""Debian's coturn as a TURN relay for the e2e tests.

    with Coturn(secret="...") as turn:           # listens on 127.0.0.2:3478, UDP and TCP
        server = SfuServer("x", extra_args=["--turn-secret", turn.secret,
                                            "--ice-server", turn.url("udp")]).start()

coturn runs with `use-auth-secret` (the TURN REST API convention the server
mints credentials for), on 127.0.0.2, a different address than the server's
127.0.0.1, with its relay addresses on 127.0.0.2 too: a relayed client
reaches the server from 127.0.0.2:<relay port>, never from its own host
address. Loopback peers must be allowed explicitly (coturn refuses to relay
to 127.0.0.0/8 by default). Runs inside the test namespace (scripts/test.sh),
so nothing leaves the machine.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"


class Coturn:
    def __init__(self, secret: str, host: str = "127.0.0.2", port: int = 3478,
                 min_port: int = 49160, max_port: int = 49260, realm: str = "sfu.test"):
        self.secret, self.host, self.port, self.realm = secret, host, port, realm
        self.tmp = tempfile.mkdtemp(prefix="sfu-coturn-")
        self.log_path = os.path.join(self.tmp, "turn.log")
        self.args = [TURNSERVER, "-n", f"--listening-ip={host}", f"--relay-ip={host}", f"--listening-port={port}",
                     "--use-auth-secret", f"--static-auth-secret={secret}", f"--realm={realm}",
                     "--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint",
                     f"--min-port={min_port}", f"--max-port={max_port}",
                     f"--log-file={self.log_path}", "--simple-log", "--no-stdout-log",
                     f"--pidfile={os.path.join(self.tmp, 'turnserver.pid')}", f"--db={os.path.join(self.tmp, 'turndb')}",
                     "--verbose"]
        self.proc: subprocess.Popen | None = None

    def url(self, transport: str) -> str:
        return f"turn:{self.host}:{self.port}?transport={transport}"

    def start(self, timeout: float = 10.0) -> "Coturn":
        out = open(os.path.join(self.tmp, "stdout"), "ab")
        self.proc = subprocess.Popen(self.args, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"turnserver exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"turnserver not listening on {self.host}:{self.port} within {timeout} s:\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def allocations(self) -> list[dict]:
        """Successful allocations from coturn's log: user, client transport, relay address."""
        out = []
        for m in re.finditer(r"session (\d+): new, realm=<[^>]*>, username=<([^>]*)>, lifetime=\d+", self.log_text()):
            out.append({"session": m.group(1), "username": m.group(2)})
        return out

    def __enter__(self) -> "Coturn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
