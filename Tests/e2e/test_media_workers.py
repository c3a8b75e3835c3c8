"""A conference spread over two media workers (issue 6): the server runs with
`--media-workers 2 --worker-spill 0`, so the publisher lands on one worker and
every viewer on the least-loaded one — the other worker — which receives the
stream through an in-memory pipe from the publisher's worker. An aiortc
viewer there must decode the publisher's own frames (counters rising, colour
matching) and hear its tone; /metrics must show the pipe carrying the
packets and the second worker forwarding them. Runs in a network namespace
with only `lo` (scripts/test.sh)."""
from __future__ import annotations

import asyncio
import re
import time

import pytest
import requests

from aiortc_peer import (
    COLOUR_YUV, TONE_HZ, PatternVideoTrack, Peer, ToneAudioTrack, allow_loopback,
    decode_pattern, first_channel, tone_power,
)
from e2elib import Api, SfuServer, fetch_token

SECONDS = 5.0


@pytest.fixture(scope="module", autouse=True)
def _loopback_candidates():
    allow_loopback()


@pytest.fixture(scope="module")
def two_workers():
    srv = SfuServer("workers2", ["--media-workers", "2", "--worker-spill", "0"])
    srv.start()
    yield srv
    srv.kill()


def worker_metrics(server: SfuServer) -> dict[tuple[str, str], float]:
    """(sfu_media_* name, worker) -> value."""
    text = requests.get(server.base + "/metrics", timeout=5).text
    out = {}
    for m in re.finditer(r'^(sfu_media_\w+)\{worker="(\d+)"\} (\S+)$', text, re.M):
        out[(m.group(1), m.group(2))] = float(m.group(3))
    return out


def candidate_ports(sdp: str) -> set[int]:
    return {int(m.group(1)) for m in re.finditer(r"^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host", sdp, re.M | re.I)}


def test_viewer_on_the_second_worker_receives_the_stream_through_a_pipe(two_workers):
    api = Api(two_workers.base, fetch_token(two_workers.base))
    cid = api.new_conference()
    for ep in ("publisher", "viewer"):
        api.join(cid, ep)

    async def run():
        video, audio = PatternVideoTrack(), ToneAudioTrack()
        pub, view = Peer(api, cid, "publisher"), Peer(api, cid, "viewer")
        try:
            await pub.publish(video=video, audio=audio)
            await pub.wait_connected()
            await view.view(pub.stream_id)
            await view.wait_connected()
            deadline = time.monotonic() + 10
            while not view.video_frames and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert view.video_frames, f"no video frame within 10 s\n{view.describe()}"
            await asyncio.sleep(SECONDS)
            await asyncio.sleep(2.5)   # /metrics is refreshed every 2 s
            return (pub.answer_sdp, view.answer_sdp, video.sent, list(view.video_frames),
                    list(view.audio_frames), view.describe())
        finally:
            await pub.close()
            await view.close()

    pub_sdp, view_sdp, sent, frames, audio_frames, desc = asyncio.run(run())
    pub_ports, view_ports = candidate_ports(pub_sdp), candidate_ports(view_sdp)
    assert len(pub_ports) == 1 and len(view_ports) == 1 and pub_ports != view_ports, \
        f"publisher on {pub_ports}, viewer on {view_ports}: expected two different workers"

    assert len(frames) >= 10 * SECONDS, f"{len(frames)} video frames\n{desc}"
    decoded = [decode_pattern(f) for f in frames]
    counters = [c for c, _ in decoded]
    assert all(b > a for a, b in zip(counters, counters[1:])), f"counters not increasing: {counters}"
    assert all(0 <= c < sent for c in counters)
    span = counters[-1] - counters[0] + 1
    assert len(counters) >= 0.9 * span, f"{len(counters)} frames decoded of {span} sent meanwhile"
    for _, (y, u, v) in decoded[len(decoded) // 2:]:
        assert abs(y - COLOUR_YUV[0]) < 12 and abs(u - COLOUR_YUV[1]) < 12 and abs(v - COLOUR_YUV[2]) < 12
    assert len(audio_frames) >= 20 * SECONDS, f"{len(audio_frames)} audio frames"
    samples = [s for f in audio_frames[len(audio_frames) // 2:][:25] for s in first_channel(f)]
    on, off = tone_power(samples, TONE_HZ), max(tone_power(samples, hz) for hz in (300.0, 600.0, 1000.0))
    assert on > 1e5 and on > 50 * off, f"440 Hz power {on:.3g}, elsewhere {off:.3g}"

    m = worker_metrics(two_workers)
    received = {w: m.get(("sfu_media_rtp_received_total", w), 0) for w in ("0", "1")}
    piped = {w: m.get(("sfu_media_piped_in_total", w), 0) for w in ("0", "1")}
    forwarded = {w: m.get(("sfu_media_rtp_forwarded_total", w), 0) for w in ("0", "1")}
    print(f"received {received}, piped in {piped}, forwarded {forwarded}")
    # One worker receives the publisher, the other gets everything through the pipe and forwards it.
    src, dst = ("0", "1") if received["0"] > 0 else ("1", "0")
    assert received[src] > 0 and received[dst] == 0, received
    assert piped[dst] >= 0.9 * received[src] and piped[src] == 0, (piped, received)
    assert forwarded[dst] > 0.9 * piped[dst] and forwarded[src] == 0, (forwarded, piped)
    assert m.get(("sfu_media_pipe_dropped_total", src), 0) == 0
