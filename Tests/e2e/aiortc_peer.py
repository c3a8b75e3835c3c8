"""aiortc (PyPI) peers for the end-to-end media tests.

- `allow_loopback()`: aioice never gathers 127.0.0.1; in a network namespace
  with only `lo` it would gather nothing. The tests need exactly that address.
- `PatternVideoTrack`: 320x240 frames whose top half spells a 16-bit frame
  counter in black and white blocks and whose bottom half is one known
  colour; `decode_pattern` reads both back from a decoded frame (the blocks
  are large enough to survive VP8 at any bitrate aiortc picks).
- `ToneAudioTrack`: a 440 Hz sine at 48 kHz; `tone_power` measures a
  frequency in decoded samples (Goertzel), so the viewer can tell the tone
  from silence or noise.
- `Peer`: one RTCPeerConnection (no ICE servers) publishing or viewing
  through the REST API (`publish` / `view`), with the frames it receives.

Only aiortc and its own dependencies (PyAV); no numpy.
"""
from __future__ import annotations

import asyncio
import fractions
import math
import struct
import time

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.rtcdtlstransport import SRTP_AES128_CM_SHA1_80
from av import AudioFrame, VideoFrame

_original_get_host_addresses = aioice.ice.get_host_addresses


def allow_loopback() -> None:
    """Makes aioice gather 127.0.0.1 (and nothing else): the server announces 127.0.0.1."""
    def loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []
    aioice.ice.get_host_addresses = loopback_only


def gather_only(*addresses: str) -> None:
    """Makes aioice gather exactly `addresses` (IPv4 and/or IPv6): a client on one address of a multi-homed host."""
    def only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in addresses if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
    aioice.ice.get_host_addresses = only


# ------------------------------------------------------------------ video

WIDTH, HEIGHT = 320, 240
BITS = 16
BLOCK_W = WIDTH // BITS                    # 20 px per counter bit
Y_ONE, Y_ZERO = 220, 30
# The bottom half: pure red in BT.601 limited range.
COLOUR_YUV = (81, 90, 240)


def pattern_frame(counter: int) -> VideoFrame:
    frame = VideoFrame(WIDTH, HEIGHT, "yuv420p")
    y_plane, u_plane, v_plane = frame.planes
    top = bytearray()
    for x in range(WIDTH):
        bit = (counter >> (BITS - 1 - x // BLOCK_W)) & 1
        top.append(Y_ONE if bit else Y_ZERO)
    top_row = bytes(top) + bytes(y_plane.line_size - WIDTH)
    bottom_row = bytes([COLOUR_YUV[0]]) * WIDTH + bytes(y_plane.line_size - WIDTH)
    y_plane.update(top_row * (HEIGHT // 2) + bottom_row * (HEIGHT // 2))
    for plane, value in ((u_plane, COLOUR_YUV[1]), (v_plane, COLOUR_YUV[2])):
        cw, ch = WIDTH // 2, HEIGHT // 2
        grey = bytes([128]) * cw + bytes(plane.line_size - cw)
        coloured = bytes([value]) * cw + bytes(plane.line_size - cw)
        plane.update(grey * (ch // 2) + coloured * (ch // 2))
    return frame


def _mean(plane, x0: int, x1: int, y0: int, y1: int) -> float:
    data = bytes(plane)
    total = 0
    for y in range(y0, y1):
        row = y * plane.line_size
        total += sum(data[row + x0:row + x1])
    return total / ((x1 - x0) * (y1 - y0))


def decode_pattern(frame: VideoFrame) -> tuple[int, tuple[float, float, float]]:
    """The counter and the mean (Y, U, V) of the bottom half's interior."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    y_plane, u_plane, v_plane = frame.planes
    counter = 0
    for i in range(BITS):
        x0 = i * BLOCK_W
        bit = _mean(y_plane, x0 + 6, x0 + BLOCK_W - 6, 30, 90) > (Y_ONE + Y_ZERO) / 2
        counter = (counter << 1) | int(bit)
    colour = (_mean(y_plane, 40, WIDTH - 40, 150, 220),
              _mean(u_plane, 20, WIDTH // 2 - 20, 75, 110),
              _mean(v_plane, 20, WIDTH // 2 - 20, 75, 110))
    return counter, colour


class PatternVideoTrack(VideoStreamTrack):
    """30 fps of `pattern_frame(n)`, n = 0, 1, 2, ...; `sent` counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = pattern_frame(self.sent & 0xFFFF)
        self.sent += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


# ------------------------------------------------------------------ audio

SAMPLE_RATE = 48000
TONE_HZ = 440.0


class ToneAudioTrack(AudioStreamTrack):
    """A continuous 440 Hz sine, 20 ms frames of 16-bit mono at 48 kHz."""

    def __init__(self, hz: float = TONE_HZ, amplitude: int = 8000) -> None:
        super().__init__()
        self.hz, self.amplitude = hz, amplitude
        self.samples_sent = 0
        self._start = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        n = SAMPLE_RATE // 50
        if self._start is None:
            self._start = time.time()
        else:
            await asyncio.sleep(self._start + self.samples_sent / SAMPLE_RATE - time.time())
        k = 2 * math.pi * self.hz / SAMPLE_RATE
        pcm = struct.pack(f"<{n}h", *(int(self.amplitude * math.sin(k * (self.samples_sent + i))) for i in range(n)))
        frame = AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(pcm)
        frame.pts = self.samples_sent
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.samples_sent += n
        return frame


def first_channel(frame: AudioFrame) -> list[int]:
    """The first channel of a decoded frame as ints (aiortc decodes Opus to packed s16)."""
    if frame.format.name != "s16":
        raise ValueError(f"unexpected sample format {frame.format.name}")
    channels = len(frame.layout.channels)
    data = bytes(frame.planes[0])[:frame.samples * channels * 2]
    return list(struct.unpack(f"<{frame.samples * channels}h", data))[::channels]


def tone_power(samples: list[int], hz: float, rate: int = SAMPLE_RATE) -> float:
    """Goertzel: the power of `hz` in `samples`, normalised by their count."""
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / max(1, len(samples)) ** 2


# ------------------------------------------------------------------ peers

class Peer:
    """One aiortc peer connection talking to the server through `api` (e2elib.Api)."""

    def __init__(self, api, conference_id: str, endpoint: str, configuration: RTCConfiguration | None = None):
        self.api, self.cid, self.endpoint = api.clone(), conference_id, endpoint   # own requests.Session
        self.pc = RTCPeerConnection(configuration or RTCConfiguration(iceServers=[]))
        self.stream_id = None
        self.viewer_id = None
        self.offer_sdp = None
        self.answer_sdp = None
        self.video_frames: list[VideoFrame] = []
        self.video_times: list[float] = []
        self.audio_frames: list[AudioFrame] = []
        self._readers: list[asyncio.Task] = []

    def dtls_transports(self):
        return list({id(t.sender.transport): t.sender.transport for t in self.pc.getTransceivers()}.values())

    def only_aes_cm_sha1_80(self) -> None:
        """Offers only AES_CM_128_HMAC_SHA1_80 in the DTLS use_srtp extension (call before the answer)."""
        for t in self.dtls_transports():
            t._srtp_profiles = [SRTP_AES128_CM_SHA1_80]

    def srtp_profiles(self) -> list[str]:
        return [t._ssl.get_selected_srtp_profile().decode() if t._ssl else None for t in self.dtls_transports()]

    async def _post(self, op: str, body: dict) -> dict:
        r = await asyncio.to_thread(self.api.post, op, body)
        assert r.status_code == 200, f"{op}: {r.status_code} {r.text}"
        return r.json()

    async def _negotiate(self, op: str, body: dict, mangle=None, before_answer=None, mangle_answer=None) -> dict:
        await self.pc.setLocalDescription(await self.pc.createOffer())   # gathers every candidate
        self.offer_sdp = self.pc.localDescription.sdp
        sent = mangle(self.offer_sdp) if mangle else self.offer_sdp
        res = await self._post(op, dict(body, sdpOffer=sent))
        self.answer_sdp = res["sdpAnswer"]
        if mangle_answer:   # e.g. LossyRelay.rewrite_sdp: the peer then talks to a relay
            self.answer_sdp = mangle_answer(self.answer_sdp)
        if before_answer:
            before_answer()
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=self.answer_sdp, type="answer"))
        return res

    async def publish(self, video=None, audio=None, stream_type="MIC_AND_CAM", mangle=None, before_answer=None,
                      mangle_answer=None) -> str:
        for track in (audio, video):
            if track is not None:
                self.pc.addTrack(track)
        res = await self._negotiate("publishStream", {
            "conferenceId": self.cid, "userEndpointId": self.endpoint,
            "conferenceStreamType": stream_type}, mangle, before_answer, mangle_answer)
        self.stream_id = res["streamId"]["id"]
        return self.stream_id

    async def view(self, stream_id: str, mangle_answer=None) -> str:
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.on("track", self._on_track)
        res = await self._negotiate("viewStream", {
            "conferenceId": self.cid, "userEndpointId": self.endpoint, "streamId": {"id": stream_id}},
            mangle_answer=mangle_answer)
        self.viewer_id = res["viewerId"]
        return self.viewer_id

    def _on_track(self, track) -> None:
        self._readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.video_frames.append(frame)
                    self.video_times.append(time.monotonic())
                else:
                    self.audio_frames.append(frame)
        except MediaStreamError:
            pass

    async def wait_connected(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if self.pc.connectionState in ("failed", "closed") or time.monotonic() > deadline:
                raise AssertionError(f"{self.endpoint}: connectionState {self.pc.connectionState}, "
                                     f"ICE {self.pc.iceConnectionState}\n{self.describe()}")
            await asyncio.sleep(0.05)

    def describe(self) -> str:
        """Both SDPs and the transport states, for failure reports."""
        dtls = [t.state for t in self.dtls_transports()]
        return (f"{self.endpoint}: connection {self.pc.connectionState}, ICE {self.pc.iceConnectionState}, "
                f"DTLS {dtls}\n--- offer ---\n{self.offer_sdp}\n--- answer ---\n{self.answer_sdp}")

    async def close(self) -> None:
        for task in self._readers:
            task.cancel()
        await self.pc.close()
