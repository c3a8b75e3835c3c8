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

    def child(self, link: str, address: str, peer_address: str) -> "ChildNamespace":
        """A second namespace joined to this one by a veth pair `link` (this
        side `address`, the child's side `peer_address`, both with prefix
        length), with a default route back here: a client network."""
        return ChildNamespace(self, link, address, peer_address)

    def drop_udp(self) -> None:
        """Every UDP datagram into this namespace is dropped (a UDP-blocking firewall)."""
        for tool in ("iptables", "ip6tables"):
            sh(tool, "-A", "INPUT", "-p", "udp", "-j", "DROP")


class ChildNamespace:
    """A namespace behind a veth link from its parent (see NetNamespace.child).
    `inside()` runs a block in it: processes started and sockets opened there
    stay there (browsers, their DevTools connections)."""

    def __init__(self, parent: NetNamespace, link: str, address: str, peer_address: str) -> None:
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            if _libc.unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
            self.fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            sh("ip", "link", "set", "lo", "up")
            # A process that keeps the namespace addressable by pid for `ip link set ... netns`.
            self.anchor = subprocess.Popen(["sleep", "infinity"])
        finally:
            if _libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the parent namespace")
            os.close(home)
        sh("ip", "link", "add", link, "type", "veth", "peer", "name", link + "p")
        sh("ip", "link", "set", link + "p", "netns", str(self.anchor.pid))
        sh("ip", "link", "set", link, "up")
        sh("ip", "-6" if ":" in address else "-4", "addr", "add", address, "dev", link, *(["nodad"] if ":" in address else []))
        gateway = address.split("/")[0]
        with self.inside():
            sh("ip", "link", "set", link + "p", "up")
            sh("ip", "-6" if ":" in peer_address else "-4", "addr", "add", peer_address, "dev", link + "p",
               *(["nodad"] if ":" in peer_address else []))
            sh("ip", "route", "add", "default", "via", gateway)

    def inside(self):
        child = self

        class _Inside:
            def __enter__(self):
                self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
                if _libc.setns(child.fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the child namespace")

            def __exit__(self, *exc):
                _libc.setns(self.home, CLONE_NEWNET)
                os.close(self.home)
        return _Inside()

    def drop_udp(self) -> None:
        with self.inside():
            for tool in ("iptables", "ip6tables"):
                sh(tool, "-A", "INPUT", "-p", "udp", "-j", "DROP")
                sh(tool, "-A", "OUTPUT", "-p", "udp", "-j", "DROP")

    def close(self) -> None:
        self.anchor.kill()
        self.anchor.wait()
        os.close(self.fd)
