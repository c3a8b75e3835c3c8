"""ICE-TCP (RFC 6544, RFC 4571 framing) with real browsers (issue 10, part 2).

In a network namespace of the test's own where **every UDP datagram is
dropped** (`iptables -A INPUT -p udp -j DROP`, as a corporate firewall
would), the only way in is the media worker's TCP port, offered as a
`tcptype passive` host candidate after the UDP one. Chromium publishes and
Firefox views, then Chromium views Chromium: frames decode, audio flows,
both endpoints are HEALTHY, the nominated pair is TCP on both sides, and
`/metrics` counts the transports as TCP.

Then one conference with a publisher on UDP and a viewer on TCP: the
viewer's Chromium runs as another user whose UDP an iptables owner match
drops, while the publisher's Chromium has UDP.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from bidi import Firefox
import cdp
from cdp import Chromium
from e2elib import SfuServer
from netns import NetNamespace, sh
from test_media_firefox import check_media_flows, diagnostics, page_with_client, publish_js, stop_all, view_js

# Loopback: the browsers here open ICE-TCP connections to loopback host
# candidates only (Chromium pairs no TCP candidate with a veth address, and
# Firefox's MOZ_DISABLE_NONLOCAL_CONNECTIONS refuses non-local TCP).
HOST_IP = "127.0.0.1"
NOBODY = 65534

PAIR_JS = """(async () => {
    const x = window[%r];
    const r = await x.pc.getStats();
    for (const s of r.values()) if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        const l = r.get(s.localCandidateId), rc = r.get(s.remoteCandidateId);
        return {local: l.protocol + ' ' + l.address + ' ' + (l.tcpType || ''), remote: rc.protocol + ' ' + rc.address + ':' + rc.port};
    }
    return null;
})()"""


def metric(server: SfuServer, name: str, **labels) -> float:
    text = requests.get(f"{server.base}/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_metric(server: SfuServer, name: str, want: float, timeout: float = 10, **labels) -> float:
    deadline = time.monotonic() + timeout
    v = metric(server, name, **labels)
    while v < want and time.monotonic() < deadline:   # published every 2 s
        time.sleep(0.5)
        v = metric(server, name, **labels)
    return v


@pytest.fixture(scope="module")
def udp_blocked():
    with NetNamespace() as ns:
        ns.drop_udp()
        srv = SfuServer("tcp-only", ["--announce-ip", HOST_IP])
        srv.start()
        try:
            yield srv
        finally:
            srv.kill()


def run_call(server, pub_browser, view_browser, tag: str, url: str | None = None) -> tuple[dict, dict]:
    cid = f"{tag}-" + uuid.uuid4().hex[:8]
    url = url or page_with_client(server)
    pub, view = pub_browser.open(url), view_browser.open(url)
    try:
        stream_id = pub.eval(publish_js(server, cid, create=True), timeout=30)
        assert stream_id, pub_browser.console_text()
        assert view.eval(view_js(server, cid, stream_id), timeout=30), view_browser.console_text()
        answer = pub.eval("window.pub.pc.remoteDescription.sdp")
        check_media_flows(server, pub, view, (pub_browser, view_browser))
        pairs = pub.eval(PAIR_JS % "pub", timeout=10), view.eval(PAIR_JS % "sub", timeout=10)
        return {"answer": answer, "diag": diagnostics(("publisher", pub), ("viewer", view))}, {"pub": pairs[0], "view": pairs[1]}
    finally:
        stop_all(pub, view)


def check_answer_candidates(answer: str, udp_port_expected: bool = True) -> None:
    lines = re.findall(r"a=candidate:(\S+) 1 (\w+) (\d+) (\S+) (\d+) typ host(.*)", answer.split("m=", 2)[1])
    kinds = [(t.lower(), rest.replace("generation 0", "").strip()) for _, t, _, _, _, rest in lines]
    # UDP first, then ICE-TCP passive with a lower priority (RFC 6544 §4.2).
    assert kinds == [("udp", ""), ("tcp", "tcptype passive")], lines
    assert int(lines[0][2]) > int(lines[1][2]), lines


def test_chromium_publishes_and_firefox_views_over_tcp(udp_blocked):
    with Chromium() as chromium, Firefox() as firefox:
        info, pairs = run_call(udp_blocked, chromium, firefox, "tcp-cr2ff")
    check_answer_candidates(info["answer"])
    assert pairs["pub"] and pairs["pub"]["local"].startswith("tcp"), pairs
    assert pairs["view"] and pairs["view"]["local"].lower().startswith("tcp"), pairs


def test_chromium_publishes_and_chromium_views_over_tcp(udp_blocked):
    with Chromium() as chromium:
        before = metric(udp_blocked, "sfu_media_tcp_accepted_total")
        info, pairs = run_call(udp_blocked, chromium, chromium, "tcp-cr2cr")
        assert all(p and p["local"].startswith("tcp") for p in pairs.values()), pairs
    assert wait_metric(udp_blocked, "sfu_media_tcp_accepted_total", before + 2) >= before + 2
    closed = metric(udp_blocked, "sfu_media_tcp_closed_total", reason="oversized_frame") \
        + metric(udp_blocked, "sfu_media_tcp_closed_total", reason="slow_frame")
    assert closed == 0, "a browser's framing was taken for bad input"


def nobody_chromium(tmp: Path) -> str:
    """A wrapper that runs Chromium as `nobody` (its profile handed over), so that
    an iptables owner match can drop exactly its UDP."""
    home = tmp / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    wrapper = tmp / "chromium-as-nobody"
    wrapper.write_text(f"""#!/bin/sh
for a in "$@"; do case "$a" in --user-data-dir=*) chown -R {NOBODY}:{NOBODY} "${{a#--user-data-dir=}}";; esac; done
export HOME={home}
exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups {cdp.CHROMIUM} "$@"
""")
    wrapper.chmod(0o755)
    return str(wrapper)


def test_udp_and_tcp_peers_in_one_conference(monkeypatch):
    """One conference: the publisher reaches the server over UDP, the viewer's
    browser (running as another user, whose UDP the firewall drops) over TCP."""
    tmp_path = Path(tempfile.mkdtemp(prefix="sfu-tcp-mixed-"))
    tmp_path.chmod(0o755)
    wrapper = nobody_chromium(tmp_path)
    with NetNamespace():
        for tool in ("iptables", "ip6tables"):
            sh(tool, "-A", "OUTPUT", "-p", "udp", "-m", "owner", "--uid-owner", str(NOBODY), "-j", "DROP")
        srv = SfuServer("tcp-mixed", [])
        srv.start()
        try:
            with Chromium() as local:
                monkeypatch.setattr(cdp, "CHROMIUM", wrapper)
                with Chromium() as remote:
                    monkeypatch.undo()
                    # Both pages from a directory the viewer's user can read.
                    page = tmp_path / "page.html"
                    page.write_text(f'<!doctype html><meta charset="utf-8"><script src="{srv.base}/client.js"></script>')
                    page.chmod(0o644)
                    info, pairs = run_call(srv, local, remote, "mixed", url=page.as_uri())
                    tcp_transports = wait_metric(srv, "sfu_media_transports_by_transport", 1, transport="tcp")
                    udp_transports = metric(srv, "sfu_media_transports_by_transport", transport="udp")
        finally:
            srv.kill()
    assert pairs["pub"]["local"].startswith("udp"), pairs
    assert pairs["view"]["local"].startswith("tcp"), pairs
    assert tcp_transports == 1 and udp_transports == 1, (tcp_transports, udp_transports)
