"""A bounded UDP flood at one media port, for the bad-input tests (run as a
process of its own: python flood.py HOST PORT SECONDS RATE).

Four kinds of datagrams, in turn, each from its own set of source sockets:
junk (random bytes, first byte outside RFC 7983's ranges), STUN Binding
requests with unknown usernames, DTLS ClientHello records from addresses no
transport knows, and RTP from addresses no transport latched. It sends at
most RATE datagrams a second for SECONDS, then prints a JSON count per kind.
"""
from __future__ import annotations

import json
import os
import socket
import struct
import sys
import time


def junk() -> bytes:
    b = bytearray(os.urandom(200))
    b[0] = 64 + b[0] % 64          # 64..127: neither STUN, DTLS nor RTP
    return bytes(b)


def stun_unknown() -> bytes:
    user = os.urandom(6).hex() + ":" + os.urandom(4).hex()
    attr = struct.pack("!HH", 0x0006, len(user)) + user.encode() + b"\0" * (-len(user) % 4)
    return struct.pack("!HHI", 0x0001, len(attr), 0x2112A442) + os.urandom(12) + attr


def client_hello() -> bytes:
    # DTLS 1.2 record (RFC 6347 §4.1): handshake, epoch 0; a ClientHello body of random bytes.
    body = b"\x01" + struct.pack("!I", 120)[1:] + b"\x00\x00" + b"\x00\x00\x00" + struct.pack("!I", 120)[1:] + os.urandom(120)
    return b"\x16\xfe\xfd" + b"\x00\x00" + os.urandom(6) + struct.pack("!H", len(body)) + body


def rtp_unlatched() -> bytes:
    return struct.pack("!BBHII", 0x80, 96, int.from_bytes(os.urandom(2), "big"), int(time.time()), 0xDEADBEEF) + os.urandom(1000)


KINDS = {"junk": junk, "stun_unknown_username": stun_unknown, "dtls_client_hello": client_hello, "rtp_unlatched": rtp_unlatched}


def main() -> None:
    host, port, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks = {k: [socket.socket(family, socket.SOCK_DGRAM) for _ in range(8)] for k in KINDS}
    # A few prepared datagrams per kind (making them costs more than sending them).
    prepared = {k: [make() for _ in range(64)] for k, make in KINDS.items()}
    sent = {k: 0 for k in KINDS}
    start = time.monotonic()
    n = 0
    kinds = list(KINDS)
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        if n > elapsed * rate:               # stay at RATE per second
            time.sleep(0.001)
            continue
        for _ in range(32):
            k = kinds[n % 4]
            s = socks[k][(n // 4) % 8]
            try:
                s.sendto(prepared[k][n % 64], (host, port))
                sent[k] += 1
            except OSError:
                pass
            n += 1
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
