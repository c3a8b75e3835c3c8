"""Tearing down frees everything: 1,000 publish/view/stopView/unpublish
cycles (real SDP offers captured from Chromium; each cycle creates and
frees a publisher and a viewer PeerConnection with their DTLS state on the
media worker) leave the server with no more file descriptors and no more
than a few MB more memory than after the first cycles."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from e2elib import Api, SfuServer, fetch_token, SVC_ID, SVC_SECRET

FIXTURES = Path(__file__).resolve().parents[1] / "SDPTests" / "Fixtures"
CYCLES = int(os.environ.get("SFU_TEARDOWN_CYCLES", "1000"))


def proc_usage(pid: int) -> tuple[int, int]:
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss_kb = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    return fds, rss_kb


def test_publish_view_stop_cycles_free_everything():
    srv = SfuServer("teardown").start()
    try:
        api = Api(srv.base, fetch_token(srv.base, SVC_ID, SVC_SECRET))
        publish_offer = (FIXTURES / "chromium156-sendrecv.sdp").read_text()
        view_offer = (FIXTURES / "chromium156-recvonly.sdp").read_text()
        cid = api.new_conference()
        api.join(cid, "pub")
        api.join(cid, "viewer")

        def cycle(i: int):
            sid = f"s{i}"
            r = api.post("publishStream", {"conferenceId": cid, "userEndpointId": "pub", "conferenceStreamType": "MIC_AND_CAM",
                                           "sdpOffer": publish_offer, "streamId": {"id": sid}})
            assert r.status_code == 200, r.text
            assert r.json()["sdpAnswer"].startswith("v=0")
            r = api.post("viewStream", {"conferenceId": cid, "userEndpointId": "viewer", "streamId": {"id": sid},
                                        "sdpOffer": view_offer, "viewerId": f"v{i}"})
            assert r.status_code == 200, r.text
            r = api.post("stopViewStream", {"conferenceId": cid, "userEndpointId": "viewer", "streamId": {"id": sid}, "viewerId": f"v{i}"})
            assert r.status_code == 204, r.text
            r = api.post("unpublishStream", {"conferenceId": cid, "userEndpointId": "pub", "streamId": {"id": sid}})
            assert r.status_code == 204, r.text

        warmup = min(50, CYCLES)
        for i in range(warmup):
            cycle(i)
        fds0, rss0 = proc_usage(srv.proc.pid)
        for i in range(warmup, CYCLES):
            cycle(i)
        fds1, rss1 = proc_usage(srv.proc.pid)
        assert fds1 <= fds0, f"file descriptors grew from {fds0} to {fds1} over {CYCLES} cycles"
        # The conference keeps its event log (4 events, ~1.6 kB per cycle), so RSS may grow by that much.
        print(f"teardown: fds {fds0} -> {fds1}, RSS {rss0} -> {rss1} kB")
        assert rss1 - rss0 < 8 * 1024, f"RSS grew by {(rss1 - rss0) / 1024:.1f} MB over {CYCLES - warmup} cycles ({rss0} → {rss1} kB)"
        # Nothing is left in the conference either.
        conf = api.conference(cid)
        assert all(p["streams"] == [] for p in conf["participants"])
    finally:
        srv.kill()
