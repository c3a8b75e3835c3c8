"""A second network namespace joined to the test's own by a veth pair, so a
link can be throttled with `tc ... tbf` (this kernel has tbf, not netem).

    with VethLink() as link:                      # near 198.18.0.1 <-veth-> far 198.18.0.2
        link.shape("near", rate="800kbit", burst="16kb", latency="100ms")
        sock = link.far_socket()                  # a UDP socket living in the far namespace
        sock.sendto(data, (link.near_ip, port))   # crosses the veth, shaped on the way back

The far namespace is held open by a `sleep` started with `unshare --net`;
sockets made in it (on a short-lived thread that setns()es into it and back)
keep it alive until they are closed. The addresses are from 198.18.0.0/15
(RFC 2544, for benchmark networks) and exist only inside these two
namespaces, which must themselves be a test namespace (scripts/test.sh):
nothing leaves the machine.
"""
from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import threading

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def run(*cmd: str) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


class VethLink:
    def __init__(self, near_ip: str = "198.18.0.1", far_ip: str = "198.18.0.2", name: str = "sfulnk"):
        self.near_ip, self.far_ip = near_ip, far_ip
        self.near_dev, self.far_dev = name + "0", name + "1"
        self.sleeper: subprocess.Popen | None = None

    @property
    def ns_path(self) -> str:
        return f"/proc/{self.sleeper.pid}/ns/net"

    def far(self, *cmd: str) -> str:
        """Runs a command inside the far namespace."""
        return run("nsenter", f"--net={self.ns_path}", *cmd)

    def start(self) -> "VethLink":
        self.sleeper = subprocess.Popen(["unshare", "--net", "sleep", "3600"], stdin=subprocess.DEVNULL)
        # unshare has switched namespaces once /proc/PID/ns/net differs from ours.
        own = os.readlink("/proc/self/ns/net")
        for _ in range(200):
            try:
                if os.readlink(self.ns_path) != own:
                    break
            except FileNotFoundError:
                pass
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("the far namespace did not appear")
        run("ip", "link", "add", self.near_dev, "type", "veth", "peer", "name", self.far_dev, "netns", str(self.sleeper.pid))
        run("ip", "addr", "add", f"{self.near_ip}/30", "dev", self.near_dev)
        run("ip", "link", "set", self.near_dev, "up")
        self.far("ip", "link", "set", "lo", "up")
        self.far("ip", "addr", "add", f"{self.far_ip}/30", "dev", self.far_dev)
        self.far("ip", "link", "set", self.far_dev, "up")
        return self

    def shape(self, side: str, rate: str, burst: str = "32kb", latency: str = "100ms") -> None:
        """A token-bucket limit on the egress of `side` ("near": toward far, "far": toward near)."""
        cmd = ["tc", "qdisc", "replace", "dev", self.near_dev if side == "near" else self.far_dev,
               "root", "tbf", "rate", rate, "burst", burst, "latency", latency]
        run(*cmd) if side == "near" else self.far(*cmd)

    def qdisc_stats(self, side: str) -> str:
        cmd = ["tc", "-s", "qdisc", "show", "dev", self.near_dev if side == "near" else self.far_dev]
        return run(*cmd) if side == "near" else self.far(*cmd)

    def far_socket(self, kind: int = socket.SOCK_DGRAM) -> socket.socket:
        """An IPv4 socket bound to the far address, created inside the far namespace."""
        out: dict = {}

        def make() -> None:
            own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            target = os.open(self.ns_path, os.O_RDONLY)
            try:
                if _libc.setns(target, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the far namespace")
                try:
                    s = socket.socket(socket.AF_INET, kind)
                    s.bind((self.far_ip, 0))
                    out["socket"] = s
                finally:
                    if _libc.setns(own, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns back")
            except BaseException as e:   # re-raised on the caller's thread
                out["error"] = e
            finally:
                os.close(own)
                os.close(target)

        t = threading.Thread(target=make)
        t.start()
        t.join()
        if "error" in out:
            raise out["error"]
        return out["socket"]

    def stop(self) -> None:
        if self.sleeper and self.sleeper.poll() is None:
            self.sleeper.kill()
            self.sleeper.wait()
        try:
            run("ip", "link", "del", self.near_dev)
        except RuntimeError:
            pass   # gone with the far namespace

    def __enter__(self) -> "VethLink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
