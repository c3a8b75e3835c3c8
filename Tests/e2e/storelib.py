"""Helpers for the record-store end-to-end tests: store servers, Ogg Opus
test files, and the usage documents' curl commands."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import requests

from e2elib import FIXTURES, SfuServer, ServerStartError, free_port

EVENT = "0f339cb0-7ab4-43fe-852d-75708232f76c"
KINDS = ("records", "prerecordings")


class StoreServer(SfuServer):
    """`sfu serve` (mode="serve") or `sfu store KIND` (mode=KIND), ready once
    the stores answer /ping."""

    def __init__(self, name: str, extra_args=(), mode: str = "serve", clients: bool = True,
                 data_dir: str | None = None):
        super().__init__(name, extra_args, clients=clients)
        self.mode = mode
        # Where the tests reach the stores: the --store-listen address, if one is given and not a wildcard.
        args = list(extra_args)
        listen = args[args.index("--store-listen") + 1] if "--store-listen" in args else "127.0.0.1"
        self.store_host = "127.0.0.1" if listen in ("0.0.0.0", "::") else listen
        if data_dir:
            self.data_dir = data_dir

    def args(self) -> list[str]:
        a = super().args()
        if self.mode != "serve":
            a[1:2] = ["store", self.mode]
        return a

    def store_port(self, kind: str) -> int:
        return self.records_port if kind == "records" else self.prerecordings_port

    def store_base(self, kind: str) -> str:
        return f"http://{self.store_host}:{self.store_port(kind)}"

    def wait_ready(self, timeout: float) -> None:
        args = self.extra_args
        off = {args[i][2:] for i in range(len(args) - 1) if args[i] in ("--records", "--prerecordings") and args[i + 1] == "off"}
        kinds = [k for k in KINDS if k not in off] if self.mode == "serve" else [self.mode]
        deadline = time.monotonic() + timeout
        pending = list(kinds)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(f"exited with code {self.proc.returncode}")
            try:
                if requests.get(self.store_base(pending[0]) + "/ping", timeout=1).status_code == 204:
                    pending.pop(0)
                    if not pending:
                        return
                    continue
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise ServerStartError(f"stores {pending} not ready within {timeout} s")

    def kill9(self) -> None:
        """SIGKILL: no shutdown, no cleanup (a crash)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    def restart(self) -> "StoreServer":
        """Starts again on the same data directory and ports."""
        self.kill()
        ports = (self.port, self.records_port, self.prerecordings_port)
        self._log = open(self.log_path, "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SFU_")}
        self.port, self.records_port, self.prerecordings_port = ports
        self.proc = subprocess.Popen(self.args(), stdout=self._log, stderr=self._log,
                                     stdin=subprocess.DEVNULL, env=env, cwd=self.tmp)
        self.wait_ready(20)
        return self


def start_store_server(name: str, *args: str, mode: str = "serve", clients: bool = True,
                       data_dir: str | None = None) -> StoreServer:
    return StoreServer(name, args, mode=mode, clients=clients, data_dir=data_dir).start()


def make_ogg(path: str | Path, seconds: float = 2, freq: int = 440) -> Path:
    """A real Ogg Opus file, made by ffmpeg (libopus), as in the usage document."""
    path = Path(path)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"sine=frequency={freq}:duration={seconds}", "-c:a", "libopus", str(path)],
                   check=True, timeout=60)
    data = path.read_bytes()
    assert data[:4] == b"OggS" and b"OpusHead" in data[:64], "ffmpeg did not produce Ogg Opus"
    return path


def first_page(data: bytes) -> bytes:
    """The first Ogg page of `data` (the OpusHead page)."""
    nseg = data[26]
    return data[: 27 + nseg + sum(data[27:27 + nseg])]


def synthetic_item(header: bytes, size: int, seed: int) -> bytes:
    """A valid Ogg Opus beginning followed by pseudo-random bytes: the store
    checks the first page only, so this is a valid upload of any size."""
    rnd = (seed.to_bytes(4, "big") * ((size // 4) + 1))
    body = bytes((b * 131 + i) & 0xFF for i, b in enumerate(rnd[: max(0, size - len(header))]))
    return header + body


def usage_commands(doc: str) -> list[str]:
    """The ```sh blocks of a usage document, in order, exactly as written."""
    text = (FIXTURES / doc).read_text()
    return [m.group(1).strip() for m in re.finditer(r"```sh\n(.*?)```", text, re.S)]


def new_event() -> str:
    return str(uuid.uuid4())
