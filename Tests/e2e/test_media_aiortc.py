"""Real media through the server with aiortc (PyPI) peers, through the REST
API: an aiortc publisher sends frames that carry a frame counter and a known
colour plus a 440 Hz tone; an aiortc viewer must decode the publisher's own
frames (counters rising, colour matching) and hear the tone. The publisher
offers only AES_CM_128_HMAC_SHA1_80 for SRTP, the viewer aiortc's default
list (AEAD GCM first), so both SRTP paths of the server carry media. Also an
aiortc viewer of a headless Chromium publisher. Runs in a network namespace
with only `lo` (scripts/test.sh)."""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import pytest

from aiortc_peer import (
    COLOUR_YUV, HEIGHT, TONE_HZ, WIDTH, PatternVideoTrack, Peer, ToneAudioTrack,
    allow_loopback, decode_pattern, first_channel, tone_power,
)
from cdp import Chromium
from e2elib import SVC_ID, SVC_SECRET, Api

MEDIA_SECONDS = min(10.0, float(os.environ.get("SFU_MEDIA_SECONDS", "10")))
# Capped at 10 s: the viewer keeps every decoded frame to check it.
MIN_VIDEO_FRAMES = int(15 * MEDIA_SECONDS)   # half of the 30 fps sent
MIN_AUDIO_FRAMES = int(25 * MEDIA_SECONDS)   # half of the 50 frames/s sent
CHROMIUM_SECONDS = min(MEDIA_SECONDS, 5.0)   # 640x480 frames: kept short


@pytest.fixture(scope="module", autouse=True)
def _loopback_candidates():
    allow_loopback()


def setup_conference(api: Api, *endpoints: str) -> str:
    cid = api.new_conference()
    for ep in endpoints:
        api.join(cid, ep)
    return cid


async def receive(viewer: Peer, seconds: float) -> None:
    """Lets the viewer receive for `seconds` after its first video frame (waiting at most 10 s for it)."""
    deadline = time.monotonic() + 10
    while not viewer.video_frames and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert viewer.video_frames, f"no video frame within 10 s\n{viewer.describe()}"
    await asyncio.sleep(seconds)


def test_aiortc_publishes_and_aiortc_views(api, server):
    cid = setup_conference(api, "publisher", "viewer")

    async def run():
        video, audio = PatternVideoTrack(), ToneAudioTrack()
        pub, view = Peer(api, cid, "publisher"), Peer(api, cid, "viewer")
        try:
            await pub.publish(video=video, audio=audio, before_answer=pub.only_aes_cm_sha1_80)
            await pub.wait_connected()
            await view.view(pub.stream_id)
            await view.wait_connected()
            await receive(view, MEDIA_SECONDS)
            conf = await asyncio.to_thread(api.conference, cid)
            return pub.srtp_profiles(), view.srtp_profiles(), video.sent, conf, \
                list(view.video_frames), list(view.audio_frames), pub.describe(), view.describe()
        finally:
            await pub.close()
            await view.close()

    pub_profiles, view_profiles, sent, conf, frames, audio_frames, pub_desc, view_desc = asyncio.run(run())
    report = f"\n{pub_desc}\n{view_desc}"
    print(f"SRTP publisher {pub_profiles}, viewer {view_profiles}; {len(frames)} video frames of {sent} sent, "
          f"{len(audio_frames)} audio frames")
    # The SRTP profiles the server agreed to: the publisher could only offer AES_CM_128_HMAC_SHA1_80.
    assert set(pub_profiles) == {"SRTP_AES128_CM_SHA1_80"}, pub_profiles
    assert len(set(view_profiles)) == 1 and view_profiles[0] in ("SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80"), view_profiles

    # Video: enough frames, the publisher's size, its counters in order, its colour.
    assert len(frames) >= MIN_VIDEO_FRAMES, f"{len(frames)} video frames in {MEDIA_SECONDS} s{report}"
    assert {(f.width, f.height) for f in frames} == {(WIDTH, HEIGHT)}
    decoded = [decode_pattern(f) for f in frames]
    counters = [c for c, _ in decoded]
    assert all(0 <= c < sent for c in counters), f"counters beyond the {sent} frames sent: {counters}"
    assert all(b > a for a, b in zip(counters, counters[1:])), f"counters not increasing: {counters}"
    # At most a few frames skipped (the first ones before the keyframe don't count).
    span = counters[-1] - counters[0] + 1
    assert len(counters) >= 0.9 * span, f"{len(counters)} frames decoded of {span} sent meanwhile: {counters}"
    for _, (y, u, v) in decoded[len(decoded) // 2:]:
        assert abs(y - COLOUR_YUV[0]) < 12 and abs(u - COLOUR_YUV[1]) < 12 and abs(v - COLOUR_YUV[2]) < 12, \
            f"bottom half is (Y,U,V)=({y:.0f},{u:.0f},{v:.0f}), sent {COLOUR_YUV}"

    # Audio: enough 20 ms frames, and the tone is there (not silence, not noise).
    assert len(audio_frames) >= MIN_AUDIO_FRAMES, f"{len(audio_frames)} audio frames{report}"
    samples = [s for f in audio_frames[len(audio_frames) // 2:][:25] for s in first_channel(f)]
    on, off = tone_power(samples, TONE_HZ), max(tone_power(samples, hz) for hz in (300.0, 600.0, 1000.0))
    print(f"decoded counters {counters[0]}..{counters[-1]}, colour {decoded[-1][1]}; 440 Hz power {on:.3g}, elsewhere {off:.3g}")
    assert on > 1e5 and on > 50 * off, f"440 Hz power {on:.3g}, elsewhere {off:.3g}"

    states = {p["id"]: p["state"] for p in conf["participants"]}
    assert states == {"publisher": "HEALTHY", "viewer": "HEALTHY"}, conf


def test_chromium_publishes_and_aiortc_views(api, server):
    cid = setup_conference(api, "viewer")
    with Chromium() as browser:
        page_path = Path(tempfile.mkdtemp(prefix="sfu-aiortc-")) / "page.html"
        page_path.write_text(f'<!doctype html><meta charset="utf-8"><script src="{server.base}/client.js"></script>')
        page = browser.open(page_path.as_uri())
        base, j = server.base, json.dumps
        stream_id = page.eval(f"""(async () => {{
            window.client = new SfuClient({{baseUrl: {j(base)}, getToken: () => SfuClient.fetchToken(
                {{baseUrl: {j(base)}, clientId: {j(SVC_ID)}, clientSecret: {j(SVC_SECRET)}}})}});
            await client.join({{conferenceId: {j(cid)}, userEndpointId: 'publisher'}});
            const stream = await navigator.mediaDevices.getUserMedia({{audio: true, video: true}});
            window.pub = await client.publish({{conferenceId: {j(cid)}, userEndpointId: 'publisher', stream, type: 'MIC_AND_CAM'}});
            return window.pub.streamId;
        }})()""", timeout=30)
        assert stream_id, browser.console_text()

        async def run():
            view = Peer(api, cid, "viewer")
            try:
                await view.view(stream_id)
                await view.wait_connected()
                await receive(view, CHROMIUM_SECONDS)
                return list(view.video_frames), list(view.audio_frames), view.describe()
            finally:
                await view.close()

        frames, audio_frames, desc = asyncio.run(run())
        page.eval("window.pub.stop()")
    print(f"from Chromium: {len(frames)} video frames {sorted({(f.width, f.height) for f in frames})}, {len(audio_frames)} audio frames")
    # Chromium's fake camera: 640x480 at 20 fps (it may adapt the size down, never up).
    assert len(frames) >= 8 * CHROMIUM_SECONDS, f"{len(frames)} video frames\n{desc}"
    sizes = {(f.width, f.height) for f in frames}
    assert all(w <= 640 and h <= 480 and w * 3 == h * 4 for w, h in sizes), sizes
    assert len(audio_frames) >= 25 * CHROMIUM_SECONDS, f"{len(audio_frames)} audio frames\n{desc}"
    # Chromium's fake microphone beeps: some decoded audio is not silence.
    assert any(any(abs(s) > 1000 for s in first_channel(f)) for f in audio_frames), "audio is silent"
