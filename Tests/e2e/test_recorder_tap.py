"""The recorder tap's lifecycle end to end (issue 5, contract C): an aiortc
publisher is recorded while the recording is cut into 3 s segments and the
stream is unpublished and republished under the same stream id.

- Every file of the stream is `<streamId>-<endpointId>-<n>`, numbered in
  order over the whole recording; the first publication (video + 440 Hz
  tone) gives WebM files (VP8 + Opus), the republication (tone only) Ogg Opus.
- A segment cut loses nothing: each file of a publication starts at the cut
  that ended its predecessor (or at its first frame, a video keyframe, just
  after) and their durations add up to the publication's length within 0.5 s.
- Every file decodes with `ffmpeg -v error` silently and its audio holds the
  tone; `/metrics` counts recorded packets and no drops.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time

import pytest

from aiortc_peer import PatternVideoTrack, Peer, ToneAudioTrack, allow_loopback, tone_power
from e2elib import Api, SfuServer, fetch_token

SEGMENT_SECONDS = 3
FIRST_SECONDS = 5.0     # crosses at least one segment cut
SECOND_SECONDS = 3.0


@pytest.fixture(scope="module", autouse=True)
def _loopback_candidates():
    allow_loopback()


@pytest.fixture(scope="module")
def srv():
    s = SfuServer("rectap", ["--recording-segment", str(SEGMENT_SECONDS)]).start()
    yield s
    s.kill()


def ffprobe(path: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"ffprobe {path}: {out.stderr}"
    return json.loads(out.stdout)


def decode(path: str) -> tuple[str, list[int]]:
    """ffmpeg's error output and the first channel's 48 kHz samples."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    pcm = out.stdout
    return out.stderr.decode().strip(), [int.from_bytes(pcm[i:i + 2], "little", signed=True) for i in range(0, len(pcm) - 1, 2)]


async def publish(peer: Peer, stream_id: str, video=None, audio=None) -> None:
    for track in (audio, video):
        if track is not None:
            peer.pc.addTrack(track)
    await peer._negotiate("publishStream", {"conferenceId": peer.cid, "userEndpointId": peer.endpoint,
                                            "conferenceStreamType": "MIC_AND_CAM" if video else "MIC",
                                            "streamId": {"id": stream_id}})
    peer.stream_id = stream_id
    await peer.wait_connected()


def test_unpublish_republish_and_segment_cuts(srv):
    api = Api(srv.base, fetch_token(srv.base))
    cid = api.new_conference()
    assert api.post("join", {"conferenceId": cid, "userEndpointId": "alice-ep", "userId": "alice"}).status_code == 200
    r = api.s.post(f"{srv.base}/channels/{cid}/record", headers=api._headers(None), timeout=15)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]

    async def run() -> tuple[float, float]:
        first = Peer(api, cid, "alice-ep")
        try:
            await publish(first, "cam", video=PatternVideoTrack(), audio=ToneAudioTrack(440.0))
            t0 = time.monotonic()
            await asyncio.sleep(FIRST_SECONDS)
            r = await asyncio.to_thread(api.post, "unpublishStream", {"conferenceId": cid, "userEndpointId": "alice-ep",
                                                                       "streamId": {"id": "cam"}})
            assert r.status_code in (200, 204), r.text
            first_len = time.monotonic() - t0
        finally:
            await first.close()
        second = Peer(api, cid, "alice-ep")
        try:
            await publish(second, "cam", audio=ToneAudioTrack(440.0))
            t1 = time.monotonic()
            await asyncio.sleep(SECOND_SECONDS)
            r = await asyncio.to_thread(lambda: api.s.delete(f"{srv.base}/channels/{cid}/record", headers=api._headers(None), timeout=30))
            assert r.status_code == 200, r.text
            return first_len, time.monotonic() - t1
        finally:
            await second.close()

    first_len, second_len = asyncio.run(run())
    assets = api.get(f"{srv.base}/channels/{cid}/recordings/{rid}/assets").json()
    files = sorted((a for a in assets if a["role"] == "individual"), key=lambda a: a["startTime"])
    rdir = os.path.join(srv.data_dir, "recordings", cid, rid)
    names = [os.path.basename(a["relativePath"]) for a in files]
    report = [f"{n}: segment {a['segment']}, {a['startTime']}–{a['endTime']}, gaps {a['hasGaps']}, dropped {a['droppedPackets']}"
              for n, a in zip(names, files)]
    print("\n".join(report))
    # Numbered in order over the whole recording, the A/V publication in WebM, the audio-only one in Ogg.
    assert [n.rsplit(".", 1)[0] for n in names] == [f"cam-alice-ep-{i + 1}" for i in range(len(files))], names
    webm = [a for a in files if a["format"] == "webm"]
    ogg = [a for a in files if a["format"] == "ogg"]
    assert len(ogg) >= 1 and len(webm) + len(ogg) == len(files), names
    assert max(a["endTime"] for a in webm) <= min(a["startTime"] for a in ogg), report
    assert len(webm) >= 2, f"the first publication ({first_len:.1f} s) must cross a {SEGMENT_SECONDS} s cut: {names}"
    assert all(a["droppedPackets"] == 0 for a in files), report
    for publication, expected in ((webm, first_len), (ogg, second_len)):
        # Continued across the cuts: the next file starts at the cut, or when its first frame
        # arrived after it (a video file starts with a keyframe, asked for at the cut).
        for a, b in zip(publication, publication[1:]):
            assert b["segment"] == a["segment"] + 1, report
            assert 0 <= b["startTime"] - a["endTime"] < 1000, report
        total = 0.0
        for a in publication:
            path = os.path.join(rdir, a["relativePath"])
            info = ffprobe(path)
            codecs = sorted(s["codec_name"] for s in info["streams"])
            assert codecs == (["opus", "vp8"] if a["format"] == "webm" else ["opus"]), (path, codecs)
            total += float(info["format"]["duration"])
            errors, samples = decode(path)
            assert errors == "", f"{path}: {errors}"
            if len(samples) > 48000:
                middle = samples[len(samples) // 2 - 24000: len(samples) // 2 + 24000]
                on, off = tone_power(middle, 440.0), max(tone_power(middle, hz) for hz in (300.0, 600.0, 1000.0))
                assert on > 1e5 and on > 50 * off, f"{path}: 440 Hz power {on:.3g}, elsewhere {off:.3g}"
        print(f"{publication[0]['format']}: {len(publication)} file(s), {total:.2f} s recorded of {expected:.2f} s published")
        assert abs(total - expected) <= 0.5, (total, expected, report)
    metrics = api.get(f"{srv.base}/metrics").text
    recorded = next(float(l.split()[1]) for l in metrics.splitlines() if l.startswith("sfu_recorder_packets_total "))
    dropped = next(float(l.split()[1]) for l in metrics.splitlines() if l.startswith("sfu_recorder_dropped_total "))
    assert recorded > 50 * (first_len + second_len) * 0.8, metrics
    assert dropped == 0
