"""Network namespaces made by the tests themselves, shaped like field hosts.

`NetNamespace` moves the calling (main) thread into a fresh network namespace
(unshare(CLONE_NEWNET) through libc) and back on exit: every process the test
starts meanwhile (the server, browsers, pion) and every socket it opens
(aiortc) lives there, and nothing outside is touched, whether or not the
suite itself already runs in a namespace. Inside, `veth` pairs with several
addresses make a multi-homed host; `iptables` rules shape what gets through.
"""
from __future__ import annotations

import ctypes
import os
import subprocess

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def sh(*args: str) -> str:
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.returncode} {r.stderr.strip()}")
    return r.stdout


class NetNamespace:
    def __init__(self) -> None:
        self._home: int | None = None

    def __enter__(self) -> "NetNamespace":
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        if _libc.unshare(CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            os.close(self._home)
            raise OSError(e, f"unshare(CLONE_NEWNET): {os.strerror(e)} (the tests need root)")
        sh("ip", "link", "set", "lo", "up")
        return self

    def __exit__(self, *exc) -> None:
        if self._home is not None:
            if _libc.setns(self._home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the suite's namespace")
            os.close(self._home)
            self._home = None

    def veth(self, name: str, *addresses: str) -> None:
        """A veth pair `name` / `name`-p, both ends here and up; `addresses`
        (with prefix length) on `name`. IPv6 ones skip duplicate address
        detection, so they are usable at once."""
        sh("ip", "link", "add", name, "type", "veth", "peer", "name", name + "p")
        for dev in (name, name + "p"):
            sh("ip", "link", "set", dev, "up")
        for a in addresses:
            if ":" in a:
                sh("ip", "-6", "addr", "add", a, "dev", name, "nodad")
            else:
                sh("ip", "addr", "add", a, "dev", name)

    def drop_udp(self) -> None:
        """Every UDP datagram into this namespace is dropped (a UDP-blocking firewall)."""
        for tool in ("iptables", "ip6tables"):
            sh(tool, "-A", "INPUT", "-p", "udp", "-j", "DROP")
