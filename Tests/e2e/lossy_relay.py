"""A seeded lossy UDP relay between one WebRTC peer and the server's media port.

This kernel has no netem (shared/notes/browsers.md), so loss comes from here:

    relay = LossyRelay(server_addr, loss=0.05, direction="down", seed=1)
    answer = relay.rewrite_sdp(answer)      # the peer now talks to the relay
    ...
    relay.stop()

One socket faces the peer (`relay.port`, the port written into the SDP);
for each peer-side address the relay opens one socket facing the server and
forwards datagrams both ways, so the server sees one remote address per
peer address, as it would without the relay.

Only SRTP packets are ever dropped (first byte 128-191 and second byte not
200-206, i.e. not RTCP), and only in `direction` ("down": server -> peer,
"up": peer -> server). STUN, DTLS and SRTCP always pass, so the ICE and DTLS
handshakes go exactly as without the relay.

Delay, jitter and reordering (both directions, every datagram: a link's
delay applies to STUN and DTLS too) come from the same seed:

    LossyRelay(server, loss=0.05, direction="down", seed=1,
               delay=0.080, jitter=0.020, reorder=0.01, reorder_hold=0.030)

Datagram k of a direction is held `delay + jitter * u_k` (u_k uniform in
[-1, 1]); as with netem's jitter, a datagram may then overtake one sent just
before it. Independently, with probability `reorder` a datagram is held a
further `reorder_hold`, so the next ones overtake it. The draws depend only
on the seed, the direction and k: the same schedule on every run.

Whether a packet is dropped depends only on the seed, its sequence number
relative to the first one seen on its SSRC, and how many times that
sequence number was seen before (a retransmission is a new draw): the drop
schedule is the same on every run whatever the timing. Per-SSRC counters
record first transmissions, drops, repeats (retransmissions) and which
repeats carried a sequence number the relay had dropped (recovered).
"""
from __future__ import annotations

import hashlib
import heapq
import re
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field


def classify(data: bytes) -> str:
    """RFC 7983 demultiplexing: stun, dtls, rtp, rtcp or other."""
    if not data:
        return "other"
    b0 = data[0]
    if b0 < 4:
        return "stun"
    if 20 <= b0 <= 63:
        return "dtls"
    if 128 <= b0 <= 191 and len(data) >= 12:
        return "rtcp" if 200 <= data[1] <= 206 else "rtp"
    return "other"


@dataclass
class SsrcCounters:
    first_seq: int = -1
    payload_types: set = field(default_factory=set)
    packets: int = 0             # first transmissions seen (forwarded or dropped)
    dropped: int = 0             # first transmissions dropped
    repeats: int = 0             # packets whose sequence number was seen before
    repeats_dropped: int = 0     # repeats dropped too
    recovered: int = 0           # forwarded repeats of a sequence number dropped earlier
    seen: dict = field(default_factory=dict)      # seq -> times seen
    lost: set = field(default_factory=set)        # seqs dropped and not (yet) forwarded once


class LossyRelay:
    def __init__(self, server: tuple[str, int], loss: float = 0.05, direction: str = "down",
                 seed: int = 1, host: str = "127.0.0.1", delay: float = 0.0, jitter: float = 0.0,
                 reorder: float = 0.0, reorder_hold: float = 0.030,
                 via: tuple[str, int] | None = None, back_socket=None):
        assert direction in ("down", "up")
        assert 0 <= jitter <= delay and 0 <= reorder <= 1 and reorder_hold >= 0
        self.server, self.loss, self.direction, self.seed = server, loss, direction, seed
        # `server` is the address in the SDP; `via` the one datagrams go to (e.g. the server's
        # end of a veth link), from server-facing sockets made by `back_socket()` (e.g. in
        # another namespace: VethLink.far_socket).
        self.target = via or server
        self.back_socket = back_socket
        self.delay, self.jitter, self.reorder, self.reorder_hold = delay, jitter, reorder, reorder_hold
        self.queue: list[tuple] = []                       # (due, order, sock, data, to): delayed datagrams
        self.order = 0
        self.index = {"up": 0, "down": 0}                  # datagrams seen per direction (the delay draws' k)
        self.reordered = {"up": 0, "down": 0}
        self.dropping = True
        self.lock = threading.Lock()
        self.sel = selectors.DefaultSelector()
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((host, 0))
        self.front.setblocking(False)
        self.host, self.port = self.front.getsockname()
        self.sel.register(self.front, selectors.EVENT_READ, None)
        self.back: dict[tuple, socket.socket] = {}        # peer address -> socket facing the server
        self.datagrams = {"up": {}, "down": {}}            # direction -> class -> count
        self.ssrcs: dict[int, SsrcCounters] = {}           # counters of the lossy direction
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lossy-relay", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------- SDP

    def rewrite_sdp(self, sdp: str) -> str:
        """Points the server's UDP host candidates (and m= ports) at the relay."""
        ip, port = self.server

        def cand(m: re.Match) -> str:
            return f"{m.group(1)}{self.host} {self.port}{m.group(4)}" if m.group(2) == ip and int(m.group(3)) == port else m.group(0)
        sdp = re.sub(r"(a=candidate:\S+ \d+ (?i:udp) \d+ )(\S+) (\d+)( typ host)", cand, sdp)
        return re.sub(rf"^(m=\w+ ){port}\b", rf"\g<1>{self.port}", sdp, flags=re.M)

    @staticmethod
    def server_address(sdp: str) -> tuple[str, int]:
        """The first UDP host candidate of an SDP (the server's media port)."""
        m = re.search(r"a=candidate:\S+ \d+ (?i:udp) \d+ (\S+) (\d+) typ host", sdp)
        assert m, f"no UDP host candidate in\n{sdp}"
        return m.group(1), int(m.group(2))

    # ------------------------------------------------------------- loss

    def _draw(self, offset: int, attempt: int) -> bool:
        h = hashlib.blake2b(struct.pack("!QIH", self.seed, offset, attempt), digest_size=8).digest()
        return int.from_bytes(h, "big") < self.loss * (1 << 64)

    def _uniform(self, tag: bytes, direction: str, k: int) -> float:
        """A seeded draw in [0, 1) for datagram k of a direction."""
        h = hashlib.blake2b(tag + direction.encode() + struct.pack("!QQ", self.seed, k), digest_size=8).digest()
        return int.from_bytes(h, "big") / float(1 << 64)

    def _hold(self, direction: str) -> float:
        """How long the next datagram of `direction` is held (0 without delay)."""
        k = self.index[direction]
        self.index[direction] = k + 1
        if self.delay <= 0 and self.reorder <= 0:
            return 0.0
        hold = self.delay + self.jitter * (2 * self._uniform(b"jitter", direction, k) - 1)
        if self.reorder > 0 and self._uniform(b"reorder", direction, k) < self.reorder:
            hold += self.reorder_hold
            self.reordered[direction] += 1
        return hold

    def _lossy(self, data: bytes) -> bool:
        """Updates the counters of an RTP packet in the lossy direction; True to drop it."""
        ssrc, = struct.unpack_from("!I", data, 8)
        seq, = struct.unpack_from("!H", data, 2)
        c = self.ssrcs.setdefault(ssrc, SsrcCounters())
        c.payload_types.add(data[1] & 0x7F)
        if c.first_seq < 0:
            c.first_seq = seq
        attempt = c.seen.get(seq, 0)
        c.seen[seq] = attempt + 1
        drop = self.dropping and self._draw((seq - c.first_seq) & 0xFFFF, attempt)
        if attempt == 0:
            c.packets += 1
            if drop:
                c.dropped += 1
                c.lost.add(seq)
        else:
            c.repeats += 1
            if drop:
                c.repeats_dropped += 1
            elif seq in c.lost:
                c.lost.discard(seq)
                c.recovered += 1
        return drop

    # ------------------------------------------------------------- loop

    def _count(self, direction: str, kind: str) -> None:
        d = self.datagrams[direction]
        d[kind] = d.get(kind, 0) + 1

    def _forward(self, data: bytes, direction: str, sock: socket.socket, to: tuple) -> None:
        kind = classify(data)
        with self.lock:
            self._count(direction, kind)
            if kind == "rtp" and direction == self.direction and self._lossy(data):
                self._count(direction, "rtp_dropped")
                return
            hold = self._hold(direction)
        if hold > 0:
            self.order += 1
            heapq.heappush(self.queue, (time.monotonic() + hold, self.order, sock, data, to))
            return
        self._send(sock, data, to, direction)

    def _send(self, sock: socket.socket, data: bytes, to: tuple, direction: str) -> None:
        try:
            sock.sendto(data, to)
        except OSError:
            with self.lock:
                self._count(direction, "send_errors")

    def _release(self) -> float:
        """Sends the delayed datagrams that are due; the time until the next one (at most 0.1 s)."""
        while self.queue:
            due = self.queue[0][0]
            now = time.monotonic()
            if due > now:
                return min(0.1, due - now)
            _, _, sock, data, to = heapq.heappop(self.queue)
            self._send(sock, data, to, "up" if to == self.target else "down")
        return 0.1

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self.sel.select(timeout=self._release()):
                sock, peer = key.fileobj, key.data
                while True:
                    try:
                        data, addr = sock.recvfrom(65536)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break
                    if peer is None:          # from the peer: out through its own server-facing socket
                        back = self.back.get(addr)
                        if back is None:
                            if self.back_socket:
                                back = self.back_socket()
                            else:
                                back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                                back.bind((self.host, 0))
                            back.setblocking(False)
                            self.back[addr] = back
                            self.sel.register(back, selectors.EVENT_READ, addr)
                        self._forward(data, "up", back, self.target)
                    elif addr == self.target:  # from the server: back to that peer address
                        self._forward(data, "down", self.front, peer)
            self._release()

    def stop_dropping(self) -> None:
        with self.lock:
            self.dropping = False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for s in [self.front, *self.back.values()]:
            s.close()
        self.sel.close()

    def __enter__(self) -> "LossyRelay":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------- reports

    def snapshot(self) -> dict:
        """Copies of the counters: datagrams per direction and class, and per SSRC."""
        with self.lock:
            return {
                "datagrams": {d: dict(v) for d, v in self.datagrams.items()},
                "reordered": dict(self.reordered),
                "ssrcs": {ssrc: dict(payload_types=sorted(c.payload_types), packets=c.packets, dropped=c.dropped,
                                     repeats=c.repeats, repeats_dropped=c.repeats_dropped,
                                     recovered=c.recovered, unrecovered=len(c.lost))
                          for ssrc, c in self.ssrcs.items()},
            }
