"""The recorder end to end (issue 5's proofs): real aiortc publishers are
recorded through the server, and every asset it makes is read back with
Debian's ffprobe/ffmpeg.

- Two publishers: alice sends video (frames carrying a counter) and a 440 Hz
  tone, bob a 660 Hz tone only. About 10 s are recorded. Each asset has the
  right codecs, a duration within 0.5 s of the time it was recorded, and
  decodes with `ffmpeg -v error` without a message; each individual audio
  holds its own tone, the combined audio holds both, and the combined video
  has the configured size and 25 frames per second of recording. The
  combined audio is also in the records store under the conference's event.
- 5 % loss on the publisher's path (lossy_relay.py, upstream): still decodes.
- kill -9 during a recording: the files on disk read up to the last second,
  and the restarted server lists the recording as ended.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid

import numpy as np
import pytest
import requests

from aiortc_peer import PatternVideoTrack, Peer, ToneAudioTrack, allow_loopback
from e2elib import Api, SfuServer, fetch_token, poll
from lossy_relay import LossyRelay

SECONDS = 10.0
VIDEO_W, VIDEO_H, VIDEO_FPS = 1280, 720, 25


@pytest.fixture(scope="module", autouse=True)
def _loopback_candidates():
    allow_loopback()


@pytest.fixture(scope="module")
def srv():
    s = SfuServer("recmedia").start()
    yield s
    s.kill()


def ffprobe(path: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-count_frames", "-of", "json", path],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"ffprobe {path}: {out.stderr}"
    return json.loads(out.stdout)


def decode_errors(path: str) -> str:
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stderr.strip()


def pcm(path: str) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    return np.frombuffer(out.stdout, dtype="<i2").astype(np.float64)


def band_power(samples: np.ndarray, hz: float, rate: int = 48000) -> float:
    """Spectrum power within ±5 Hz of `hz`, relative to the whole spectrum."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[(freqs > hz - 5) & (freqs < hz + 5)].sum() / spectrum.sum())


def channel_api(s: SfuServer) -> Api:
    return Api(s.base, fetch_token(s.base))


def start_recording(api: Api, s: SfuServer, cid: str) -> dict:
    r = api.s.post(f"{s.base}/channels/{cid}/record", headers=api._headers(None), timeout=15)
    assert r.status_code == 201, r.text
    return r.json()


def stop_recording(api: Api, s: SfuServer, cid: str) -> dict:
    r = api.s.delete(f"{s.base}/channels/{cid}/record", headers=api._headers(None), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def wait_ready(api: Api, s: SfuServer, cid: str, rid: str, timeout: float = 240) -> tuple[dict, list]:
    def ready():
        rec = api.get(f"{s.base}/channels/{cid}/recordings/{rid}").json()
        return rec if rec.get("readyTime") else None
    rec = poll(ready, timeout, interval=0.5, what="readyTime")
    return rec, api.get(f"{s.base}/channels/{cid}/recordings/{rid}/assets").json()


def join(api: Api, cid: str, ep: str, user: str) -> None:
    r = api.post("join", {"conferenceId": cid, "userEndpointId": ep, "userId": user})
    assert r.status_code == 200, r.text


def test_segments_cut_a_running_recording():
    s = SfuServer("recsegments", ["--recording-segment", "3"]).start()
    try:
        api = channel_api(s)
        cid = api.new_conference()
        join(api, cid, "bob-ep", "bob")
        rec = start_recording(api, s, cid)

        async def run():
            bob = Peer(api, cid, "bob-ep")
            try:
                await bob.publish(audio=ToneAudioTrack(660.0), stream_type="MIC")
                await bob.wait_connected()
                t0 = time.monotonic()
                await asyncio.sleep(7.5)
                await asyncio.to_thread(stop_recording, api, s, cid)
                return time.monotonic() - t0
            finally:
                await bob.close()

        sent = asyncio.run(run())
        rec, assets = wait_ready(api, s, cid, rec["id"])
        assert rec["segments"] == 3, rec
        rdir = os.path.join(s.data_dir, "recordings", cid, rec["id"])
        files = sorted((a for a in assets if a["isIndividual"]), key=lambda a: a["segment"])
        assert [a["segment"] for a in files] == [0, 1, 2], [(a["segment"], a["relativePath"]) for a in files]
        total = 0.0
        for a in files:
            assert a["relativePath"].startswith(f"{a['segment']}/") and a["state"] == "ready"
            path = os.path.join(rdir, a["relativePath"])
            assert decode_errors(path) == ""
            total += float(ffprobe(path)["format"]["duration"])
            assert band_power(pcm(path), 660.0) > 0.5
        # The segments together hold the whole stream.
        print(f"3 segments: {total:.2f} s of {sent:.2f} s sent")
        assert abs(total - sent) <= 0.5
    finally:
        s.kill()
