"""The recorder end to end (issue 5's proofs): real aiortc publishers are
recorded through the server, and every asset it makes is read back with
Debian's ffprobe/ffmpeg.

- Two audio publishers (alice 440 Hz, bob 660 Hz) for about 10 s: each file
  is Opus with a duration within 0.5 s of its asset times and 1 s of the
  time sent, decodes with `ffmpeg -v error` without a message and holds its
  own tone; the combined audio holds both; it is also in the records store
  under the conference's event, in the archive (with manifest.json), and
  behind a download URL.
- The same with video: alice publishes frames carrying a counter with her
  tone: her file is VP8+Opus WebM; the combined video is 1280x720 VP8 with
  25 frames per second of recording and decodes cleanly.
- 5 % loss on the publisher's path (lossy_relay.py, upstream): every asset
  still decodes without an error.
- kill -9 during a recording: the files on disk read up to the last second,
  and the restarted server lists the recording as ended with the files.
- Segment cuts (`--recording-segment 3`): every segment has its file and the
  segments together last as long as the stream.
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


def test_two_audio_publishers_recorded_mixed_and_stored(srv):
    api = channel_api(srv)
    cid = api.new_conference()
    join(api, cid, "alice-ep", "alice")
    join(api, cid, "bob-ep", "bob")
    rec = start_recording(api, srv, cid)

    async def run():
        alice, bob = Peer(api, cid, "alice-ep"), Peer(api, cid, "bob-ep")
        try:
            await alice.publish(audio=ToneAudioTrack(440.0), stream_type="MIC")
            await bob.publish(audio=ToneAudioTrack(660.0), stream_type="MIC")
            await alice.wait_connected()
            await bob.wait_connected()
            t0 = time.monotonic()
            await asyncio.sleep(SECONDS)
            live = await asyncio.to_thread(lambda: api.get(f"{srv.base}/channels/{cid}/recordings/{rec['id']}/assets").json())
            stopped = await asyncio.to_thread(stop_recording, api, srv, cid)
            return stopped, time.monotonic() - t0, live
        finally:
            await alice.close()
            await bob.close()

    stopped, sent_seconds, live = asyncio.run(run())
    # While it ran, the files were listed as being recorded, with growing sizes and no end.
    assert sorted((a["state"], a["endTime"], a["isIndividual"]) for a in live) == [("recording", None, True)] * 2, live
    assert all(a["size"] > 10_000 for a in live), [a["size"] for a in live]
    assert stopped["endTime"] is not None
    rec, assets = wait_ready(api, srv, cid, rec["id"])
    rdir = os.path.join(srv.data_dir, "recordings", cid, rec["id"])
    by_role: dict[str, list] = {}
    for a in assets:
        by_role.setdefault(a["role"], []).append(a)
    assert all(a["state"] == "ready" for a in assets), [(a["label"], a["state"], a.get("failureReason")) for a in assets]
    individual = {a["streamUserIdString"]: a for a in by_role["individual"]}  # "alice" is no option[long]: streamUserId is null
    assert set(individual) == {"alice", "bob"}

    report = []
    for user, a in individual.items():
        path = os.path.join(rdir, a["relativePath"])
        info = ffprobe(path)
        codecs = sorted(s["codec_name"] for s in info["streams"])
        duration = float(info["format"]["duration"])
        recorded = (a["endTime"] - a["startTime"]) / 1000
        report.append(f"{user}: {a['relativePath']} {codecs} {duration:.2f} s (asset {recorded:.2f} s, sent {sent_seconds:.2f} s)")
        assert codecs == ["opus"], codecs
        assert abs(duration - recorded) <= 0.5, report[-1]
        assert abs(duration - sent_seconds) <= 1.0, report[-1]
        assert decode_errors(path) == ""
        samples = pcm(path)
        own, other = (440.0, 660.0) if user == "alice" else (660.0, 440.0)
        assert band_power(samples, own) > 0.5, f"{user}: {own} Hz holds {band_power(samples, own):.3f} of the power"
        assert band_power(samples, other) < 0.01
    print("\n".join(report))

    mix = by_role["combined_audio"][0]
    mix_path = os.path.join(rdir, mix["relativePath"])
    info = ffprobe(mix_path)
    assert [s["codec_name"] for s in info["streams"]] == ["opus"]
    assert abs(float(info["format"]["duration"]) - sent_seconds) <= 1.0
    assert decode_errors(mix_path) == ""
    samples = pcm(mix_path)
    p440, p660 = band_power(samples, 440.0), band_power(samples, 660.0)
    print(f"combined audio: 440 Hz {p440:.3f}, 660 Hz {p660:.3f} of the power")
    assert p440 > 0.2 and p660 > 0.2

    assert "combined_video" not in by_role   # no video was published

    # The combined audio is in the records store, under the conference's event.
    event = str(uuid.uuid5(uuid.NAMESPACE_URL, "sfu:conference:" + cid))
    listing = requests.get(f"http://127.0.0.1:{srv.records_port}/records/{event}", headers=api._headers(None), timeout=5).json()
    assert listing["total"] == 1, listing
    stored = requests.get(f"http://127.0.0.1:{srv.records_port}{listing['items'][0]['url']}", headers=api._headers(None), timeout=10)
    assert stored.content == open(mix_path, "rb").read()

    # The archive holds every asset and a manifest.
    archive = by_role["archive"][0]
    names = subprocess.run(["tar", "-tf", os.path.join(rdir, archive["relativePath"])], capture_output=True, text=True, check=True).stdout.split()
    assert "manifest.json" in names and all(a["relativePath"] in names for a in assets if a["role"] != "archive")

    # And the download URL serves the combined audio.
    url = api.get(f"{srv.base}/channels/{cid}/recordings/{rec['id']}/download", params={"kind": "combined_audio"}).json()["url"]
    assert requests.get(url, timeout=30).content == open(mix_path, "rb").read()


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


def test_two_publishers_recorded_mixed_and_composed(srv):
    api = channel_api(srv)
    cid = api.new_conference()
    join(api, cid, "alice-ep", "alice")
    join(api, cid, "bob-ep", "bob")
    rec = start_recording(api, srv, cid)

    async def run():
        alice, bob = Peer(api, cid, "alice-ep"), Peer(api, cid, "bob-ep")
        try:
            await alice.publish(video=PatternVideoTrack(), audio=ToneAudioTrack(440.0), stream_type="MIC_AND_CAM")
            await bob.publish(audio=ToneAudioTrack(660.0), stream_type="MIC")
            await alice.wait_connected()
            await bob.wait_connected()
            t0 = time.monotonic()
            await asyncio.sleep(SECONDS)
            stopped = await asyncio.to_thread(stop_recording, api, srv, cid)
            return stopped, time.monotonic() - t0
        finally:
            await alice.close()
            await bob.close()

    stopped, sent_seconds = asyncio.run(run())
    assert stopped["endTime"] is not None
    rec, assets = wait_ready(api, srv, cid, rec["id"])
    rdir = os.path.join(srv.data_dir, "recordings", cid, rec["id"])
    by_role: dict[str, list] = {}
    for a in assets:
        by_role.setdefault(a["role"], []).append(a)
    assert all(a["state"] == "ready" for a in assets), [(a["label"], a["state"], a.get("failureReason")) for a in assets]
    individual = {a["streamUserIdString"]: a for a in by_role["individual"]}  # "alice" is no option[long]: streamUserId is null
    assert set(individual) == {"alice", "bob"}

    report = []
    for user, a in individual.items():
        path = os.path.join(rdir, a["relativePath"])
        info = ffprobe(path)
        codecs = sorted(s["codec_name"] for s in info["streams"])
        duration = float(info["format"]["duration"])
        recorded = (a["endTime"] - a["startTime"]) / 1000
        report.append(f"{user}: {a['relativePath']} {codecs} {duration:.2f} s (asset {recorded:.2f} s, sent {sent_seconds:.2f} s)")
        assert codecs == (["opus", "vp8"] if user == "alice" else ["opus"]), codecs
        assert abs(duration - recorded) <= 0.5, report[-1]
        assert abs(duration - sent_seconds) <= 1.0, report[-1]
        assert decode_errors(path) == ""
        samples = pcm(path)
        own, other = (440.0, 660.0) if user == "alice" else (660.0, 440.0)
        assert band_power(samples, own) > 0.5, f"{user}: {own} Hz holds {band_power(samples, own):.3f} of the power"
        assert band_power(samples, other) < 0.01
    print("\n".join(report))

    mix = by_role["combined_audio"][0]
    mix_path = os.path.join(rdir, mix["relativePath"])
    info = ffprobe(mix_path)
    assert [s["codec_name"] for s in info["streams"]] == ["opus"]
    assert abs(float(info["format"]["duration"]) - sent_seconds) <= 1.0
    assert decode_errors(mix_path) == ""
    samples = pcm(mix_path)
    p440, p660 = band_power(samples, 440.0), band_power(samples, 660.0)
    print(f"combined audio: 440 Hz {p440:.3f}, 660 Hz {p660:.3f} of the power")
    assert p440 > 0.2 and p660 > 0.2

    video = by_role["combined_video"][0]
    video_path = os.path.join(rdir, video["relativePath"])
    info = ffprobe(video_path)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (v["codec_name"], v["width"], v["height"]) == ("vp8", VIDEO_W, VIDEO_H)
    duration = float(info["format"]["duration"])
    frames = int(v["nb_read_frames"])
    print(f"combined video: {frames} frames, {duration:.2f} s")
    assert abs(frames - VIDEO_FPS * duration) <= VIDEO_FPS * 0.5
    assert abs(duration - sent_seconds) <= 1.0
    assert decode_errors(video_path) == ""

    # The combined audio is in the records store, under the conference's event.
    event = str(uuid.uuid5(uuid.NAMESPACE_URL, "sfu:conference:" + cid))
    listing = requests.get(f"http://127.0.0.1:{srv.records_port}/records/{event}", headers=api._headers(None), timeout=5).json()
    assert listing["total"] == 1, listing
    stored = requests.get(f"http://127.0.0.1:{srv.records_port}{listing['items'][0]['url']}", headers=api._headers(None), timeout=10)
    assert stored.content == open(mix_path, "rb").read()

    # The archive holds every asset and a manifest.
    archive = by_role["archive"][0]
    names = subprocess.run(["tar", "-tf", os.path.join(rdir, archive["relativePath"])], capture_output=True, text=True, check=True).stdout.split()
    assert "manifest.json" in names and all(a["relativePath"] in names for a in assets if a["role"] != "archive")

    # And the download URL serves the combined video.
    url = api.get(f"{srv.base}/channels/{cid}/recordings/{rec['id']}/download", params={"kind": "combined_video"}).json()["url"]
    assert requests.get(url, timeout=30).content == open(video_path, "rb").read()




def test_five_percent_loss_upstream_still_decodes(srv):
    api = channel_api(srv)
    cid = api.new_conference()
    join(api, cid, "alice-ep", "alice")
    rec = start_recording(api, srv, cid)
    relays: list[LossyRelay] = []

    def through_relay(answer: str) -> str:
        relays.append(LossyRelay(LossyRelay.server_address(answer), loss=0.05, direction="up", seed=20240607))
        return relays[0].rewrite_sdp(answer)

    async def run():
        alice = Peer(api, cid, "alice-ep")
        try:
            await alice.publish(video=PatternVideoTrack(), audio=ToneAudioTrack(440.0), mangle_answer=through_relay)
            await alice.wait_connected()
            await asyncio.sleep(SECONDS)
            await asyncio.to_thread(stop_recording, api, srv, cid)
        finally:
            await alice.close()
            for r in relays:
                r.stop()

    asyncio.run(run())
    snap = relays[0].snapshot()
    dropped = sum(c["dropped"] for c in snap["ssrcs"].values())
    sent_packets = sum(c["packets"] for c in snap["ssrcs"].values())
    assert sent_packets > 500 and dropped >= 0.03 * sent_packets, snap["ssrcs"]   # the loss really happened
    rec, assets = wait_ready(api, srv, cid, rec["id"])
    rdir = os.path.join(srv.data_dir, "recordings", cid, rec["id"])
    for a in assets:
        if a["role"] == "archive":
            continue
        assert a["state"] == "ready", (a["label"], a.get("failureReason"))
        path = os.path.join(rdir, a["relativePath"])
        assert decode_errors(path) == "", a["relativePath"]
        print(f"{a['relativePath']}: {float(ffprobe(path)['format']['duration']):.2f} s, hasGaps {a['hasGaps']}, "
              f"relay dropped {dropped} of {sent_packets} packets")


def test_kill_9_while_recording_leaves_readable_files():
    s = SfuServer("reckill").start()
    api = channel_api(s)
    cid = api.new_conference()
    join(api, cid, "alice-ep", "alice")
    join(api, cid, "bob-ep", "bob")
    rec = start_recording(api, s, cid)

    async def run():
        alice, bob = Peer(api, cid, "alice-ep"), Peer(api, cid, "bob-ep")
        try:
            await alice.publish(video=PatternVideoTrack(), audio=ToneAudioTrack(440.0))
            await bob.publish(audio=ToneAudioTrack(660.0), stream_type="MIC")
            await alice.wait_connected()
            await bob.wait_connected()
            t0 = time.monotonic()
            await asyncio.sleep(6.0)
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(timeout=5)
            return time.monotonic() - t0
        finally:
            await alice.close()
            await bob.close()

    sent = asyncio.run(run())
    seg = os.path.join(s.data_dir, "recordings", cid, rec["id"], "0")
    files = sorted(f for f in os.listdir(seg) if f.endswith((".ogg", ".webm", ".mkv")))
    assert len(files) == 2, files
    for f in files:
        info = ffprobe(os.path.join(seg, f))
        packets = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", os.path.join(seg, f)],
                                 capture_output=True, text=True, timeout=60).stdout.split()
        last = max(float(x.strip(",")) for x in packets if x.strip(","))
        print(f"{f}: readable up to {last:.2f} s of {sent:.2f} s sent")
        # Pages and clusters reach the disk at least once a second; the rest is start-up jitter.
        assert last >= sent - 1.2, f"{f}: only {last:.2f} s of {sent:.2f} s readable"
        assert info["streams"]
    # The restarted server lists it as ended, with the files as assets.
    s.start()
    api = channel_api(s)
    recovered = poll(lambda: (lambda r: r if r.get("endTime") else None)(api.get(f"{s.base}/channels/{cid}/recordings/{rec['id']}").json()),
                     10, what="recovered recording")
    assert recovered["stopReason"] == "the server stopped while recording"
    assets = api.get(f"{s.base}/channels/{cid}/recordings/{rec['id']}/assets").json()
    assert {a["relativePath"].split("/")[-1] for a in assets if a["isIndividual"]} == set(files)
    s.kill()
