"""Real media through the WHIP and WHEP faces, with clients nobody here wrote:

- aiortc publishes over WHIP (candidates trickled with PATCH) and aiortc plays
  the stream over WHEP: the frame counters, colour and 440 Hz tone arrive;
- GStreamer's webrtcbin publishes a solid red test pattern (VP8) and a 440 Hz
  sine (Opus) over WHIP with an offer that has no candidate, trickles them
  with PATCH and DELETEs at the end; aiortc views it through the Conference
  API and through the conference-level WHEP URL at once; the recorder taps the
  WHIP publication (WebM with VP8 + Opus holding the tone, read by ffprobe/ffmpeg);
- a WHIP publisher whose DTLS fails turns SICK like any other endpoint.

Set-up times (POST to first decoded frame) are printed as `SETUP ...` lines
(bench/RESULTS.md records them). Runs in a namespace with only `lo`."""
from __future__ import annotations

import asyncio
import os
import re
import time

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from aiortc_peer import (
    COLOUR_YUV, HEIGHT, TONE_HZ, WIDTH, PatternVideoTrack, Peer, ToneAudioTrack,
    allow_loopback, decode_pattern, first_channel, tone_power,
)
from e2elib import Api, assert_error, poll
from test_media_errors import wrong_fingerprints
from test_recorder_tap import decode, ffprobe
from whip_client import GstPublisher, WhipSession

MEDIA_SECONDS = min(6.0, float(os.environ.get("SFU_MEDIA_SECONDS", "6")))
GST_RED_YUV = (81, 90, 240)     # 0xffff0000 in BT.601 limited range


@pytest.fixture(scope="module", autouse=True)
def _loopback_candidates():
    allow_loopback()


def player(api: Api, cid: str) -> Peer:
    """An aiortc receiver (recvonly audio + video) collecting decoded frames."""
    p = Peer(api, cid, "whep-player")
    p.pc.addTransceiver("audio", direction="recvonly")
    p.pc.addTransceiver("video", direction="recvonly")
    p.pc.on("track", p._on_track)
    return p


async def first_frame(p: Peer, timeout: float = 15) -> float:
    deadline = time.monotonic() + timeout
    while not p.video_times:
        assert time.monotonic() < deadline, f"no video frame within {timeout} s\n{p.describe()}"
        await asyncio.sleep(0.01)
    return p.video_times[0]


def assert_tone(audio_frames, what: str) -> None:
    assert len(audio_frames) >= 20 * MEDIA_SECONDS, f"{what}: {len(audio_frames)} audio frames"
    samples = [s for f in audio_frames[len(audio_frames) // 2:][:25] for s in first_channel(f)]
    on, off = tone_power(samples, TONE_HZ), max(tone_power(samples, hz) for hz in (300.0, 600.0, 1000.0))
    print(f"{what}: 440 Hz power {on:.3g}, elsewhere {off:.3g}")
    assert on > 1e4 and on > 50 * off, f"{what}: 440 Hz power {on:.3g}, elsewhere {off:.3g}"


def mean_yuv(frame) -> tuple[float, float, float]:
    f = frame.reformat(format="yuv420p") if frame.format.name != "yuv420p" else frame
    out = []
    for plane, (w, h) in zip(f.planes, ((f.width, f.height), (f.width // 2, f.height // 2), (f.width // 2, f.height // 2))):
        data = bytes(plane)
        rows = range(h // 4, 3 * h // 4)
        out.append(sum(sum(data[y * plane.line_size + w // 4: y * plane.line_size + 3 * w // 4]) for y in rows) / (len(rows) * (w // 2)))
    return tuple(out)


def test_aiortc_publishes_over_whip_and_plays_over_whep(api: Api, server, svc_token):
    cid = api.new_conference()

    async def run():
        video, audio = PatternVideoTrack(), ToneAudioTrack()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(audio)
        pc.addTrack(video)
        pub = WhipSession(f"{server.base}/whip/{cid}", svc_token, trickle=True)
        first = player(api, cid)
        late = player(api, cid)
        try:
            await pub.publish(pc)
            conf = await asyncio.to_thread(api.conference, cid)
            stream = conf["participants"][0]["streams"][0]["id"]["id"]
            # WHIP set-up: from the publisher's POST to the first frame a player decodes
            # (the player POSTs its WHEP offer as soon as the publisher has its 201).
            play = WhipSession(f"{server.base}/whep/{cid}/{stream}", svc_token)
            await play.play(first.pc)
            whip_setup = await first_frame(first) - pub.times["post"]
            await asyncio.sleep(MEDIA_SECONDS)
            # WHEP set-up: a second player joins the flowing stream.
            play2 = WhipSession(f"{server.base}/whep/{cid}/{stream}", svc_token)
            await play2.play(late.pc)
            whep_setup = await first_frame(late) - play2.times["post"]
            conf = await asyncio.to_thread(api.conference, cid)
            return (pub, play, play2, video.sent, conf, list(first.video_frames), list(first.audio_frames),
                    whip_setup, whep_setup, first.describe())
        finally:
            await pc.close()
            await first.close()
            await late.close()

    pub, play, play2, sent, conf, frames, audio_frames, whip_setup, whep_setup, desc = asyncio.run(run())
    print(f"SETUP aiortc WHIP POST→first frame at a WHEP player {whip_setup * 1000:.0f} ms; "
          f"WHEP POST→first frame {whep_setup * 1000:.0f} ms; {len(frames)} frames of {sent} sent")
    assert len(frames) >= 12 * MEDIA_SECONDS, f"{len(frames)} video frames\n{desc}"
    assert {(f.width, f.height) for f in frames} == {(WIDTH, HEIGHT)}
    decoded = [decode_pattern(f) for f in frames]
    counters = [c for c, _ in decoded]
    assert all(b > a for a, b in zip(counters, counters[1:])), f"counters not increasing: {counters}"
    assert len(counters) >= 0.9 * (counters[-1] - counters[0] + 1), counters
    y, u, v = decoded[-1][1]
    assert abs(y - COLOUR_YUV[0]) < 12 and abs(u - COLOUR_YUV[1]) < 12 and abs(v - COLOUR_YUV[2]) < 12, decoded[-1]
    assert_tone(audio_frames, "aiortc WHIP → aiortc WHEP")
    states = {p["id"]: p["state"] for p in conf["participants"]}
    assert len(states) == 3 and set(states.values()) == {"HEALTHY"}, conf
    assert whip_setup < 10 and whep_setup < 10

    # DELETE ends each session once.
    for s in (play, play2, pub):
        assert s.delete().status_code == 200
        assert_error(s.delete(), 404, "SESSION_NOT_FOUND")
    assert api.conference(cid)["participants"] == []


def test_gstreamer_publishes_over_whip_aiortc_views_through_api_and_whep(api: Api, server, svc_token):
    cid = api.new_conference()
    api.join(cid, "api-viewer")
    r = api.s.post(f"{server.base}/channels/{cid}/record", headers=api._headers(None), timeout=15)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    with GstPublisher(f"{server.base}/whip/{cid}", svc_token) as gst:
        post = gst.wait_for(lambda e: e["event"] == "post", 20, "POST answer")
        assert post["status"] == 201 and post["content_type"].startswith("application/sdp"), post
        assert post["offer_candidates"] == 0, post             # everything trickles
        gst.wait_for(lambda e: e["event"] == "connection" and e["state"] == "connected", 15, "connected")
        stream = poll(lambda: [s["id"]["id"] for p in api.conference(cid)["participants"] for s in p["streams"]],
                      timeout=5, what="the WHIP stream in the conference")[0]

        async def run():
            via_api = Peer(api, cid, "api-viewer")
            via_whep = player(api, cid)
            try:
                await via_api.view(stream)
                whep = WhipSession(f"{server.base}/whep/{cid}", svc_token)    # the conference-level URL
                await whep.play(via_whep.pc)
                whep_setup = await first_frame(via_whep) - whep.times["post"]
                await first_frame(via_api)
                await asyncio.sleep(MEDIA_SECONDS)
                conf = await asyncio.to_thread(api.conference, cid)
                return (list(via_api.video_frames), list(via_api.audio_frames), list(via_whep.video_frames),
                        list(via_whep.audio_frames), via_whep.video_times[0], whep_setup, conf, whep)
            finally:
                await via_api.close()
                await via_whep.close()

        api_frames, api_audio, whep_frames, whep_audio, first_at, whep_setup, conf, whep = asyncio.run(run())
        events = gst.stop()
    print(f"SETUP GStreamer WHIP POST→first frame at an aiortc WHEP player {(first_at - post['t']) * 1000:.0f} ms "
          f"(the player POSTs once the stream is listed); WHEP POST→first frame {whep_setup * 1000:.0f} ms")
    patches = [e for e in events if e["event"] == "patch"]
    print(f"GStreamer: {len(patches)} PATCHes, {sum(p['candidates'] for p in patches)} candidates; "
          f"API viewer {len(api_frames)} frames, WHEP player {len(whep_frames)} frames")
    assert patches and all(p["status"] == 204 for p in patches), events
    assert sum(p["candidates"] for p in patches) >= 1 and patches[-1]["end"], events
    assert [e["status"] for e in events if e["event"] == "delete"] == [200], events

    for name, frames, audio in (("Conference API viewer", api_frames, api_audio), ("WHEP player", whep_frames, whep_audio)):
        assert len(frames) >= 12 * MEDIA_SECONDS, f"{name}: {len(frames)} frames"
        assert {(f.width, f.height) for f in frames} == {(320, 240)}, name
        y, u, v = mean_yuv(frames[-1])
        assert abs(y - GST_RED_YUV[0]) < 15 and abs(u - GST_RED_YUV[1]) < 15 and abs(v - GST_RED_YUV[2]) < 15, (name, (y, u, v))
        assert_tone(audio, f"GStreamer WHIP → {name}")
    whip_ep = [p for p in conf["participants"] if p["id"].startswith("whip-")]
    assert len(whip_ep) == 1 and whip_ep[0]["state"] == "HEALTHY" and whip_ep[0]["streams"][0]["type"] == "MIC_AND_CAM", conf

    # After the client's DELETE: the endpoint left, the conference-level player with it, a second DELETE is 404.
    poll(lambda: [p["id"] for p in api.conference(cid)["participants"]] == ["api-viewer"], timeout=5, what="WHIP and WHEP endpoints gone")
    gone = WhipSession(post["location"], svc_token)
    gone.location = post["location"]
    assert_error(gone.delete(), 404, "SESSION_NOT_FOUND")
    assert_error(whep.delete(), 404, "SESSION_NOT_FOUND")

    # The recorder tapped the WHIP publication like any other.
    r = api.s.delete(f"{server.base}/channels/{cid}/record", headers=api._headers(None), timeout=30)
    assert r.status_code == 200, r.text
    assets = api.get(f"{server.base}/channels/{cid}/recordings/{rid}/assets").json()
    files = [a for a in assets if a["role"] == "individual"]
    assert len(files) == 1 and files[0]["format"] == "webm", assets
    assert os.path.basename(files[0]["relativePath"]).startswith(f"{stream}-{whip_ep[0]['id']}-1."), files
    path = os.path.join(server.data_dir, "recordings", cid, rid, files[0]["relativePath"])
    info = ffprobe(path)
    assert sorted(s["codec_name"] for s in info["streams"]) == ["opus", "vp8"], info
    assert float(info["format"]["duration"]) >= MEDIA_SECONDS, info["format"]
    errors, samples = decode(path)
    assert errors == "", errors
    middle = samples[len(samples) // 2 - 24000: len(samples) // 2 + 24000]
    on, off = tone_power(middle, 440.0), max(tone_power(middle, hz) for hz in (300.0, 600.0, 1000.0))
    assert on > 1e4 and on > 50 * off, f"recorded 440 Hz power {on:.3g}, elsewhere {off:.3g}"


def test_whip_publisher_whose_dtls_fails_turns_sick(api: Api, server, svc_token):
    cid = api.new_conference()

    async def run():
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(ToneAudioTrack())
        s = WhipSession(f"{server.base}/whip/{cid}", svc_token, trickle=False)
        await pc.setLocalDescription(await pc.createOffer())
        r = await asyncio.to_thread(s.post, wrong_fingerprints(pc.localDescription.sdp))
        assert r.status_code == 201, r.text
        from aiortc import RTCSessionDescription
        await pc.setRemoteDescription(RTCSessionDescription(sdp=s.answer, type="answer"))
        deadline = time.monotonic() + 10
        while pc.connectionState not in ("failed", "closed") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await pc.close()
        return s

    s = asyncio.run(run())

    def sick():
        ps = api.conference(cid)["participants"]
        return ps and ps[0]["state"] == "SICK" and ps
    [p] = poll(sick, timeout=10, what="WHIP endpoint SICK")
    assert p["id"].startswith("whip-") and p["streams"][0]["type"] == "MIC", p
    changed = [e for e in api.events(cid, v=0) if e["type"] == "ConferenceParticipantStateChangedEvent"]
    assert changed and changed[-1]["state"] == "SICK" and changed[-1]["userEndpointId"] == p["id"], changed
    assert s.delete().status_code == 200
    assert api.conference(cid)["participants"] == []
