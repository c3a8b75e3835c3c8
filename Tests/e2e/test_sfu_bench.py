"""The load harness `sfu-bench` against the real (debug) server: a small fan-out
ramp (1 VP8 publisher, steps of 2 viewers up to 6, 3 s each) and an audio
room split over two harness processes. Every emulated peer runs our own
ICE (controlling), DTLS (client) and SRTP against the server; the test
checks what the viewers measured: no SRTP failure, loss under 1 %, each
viewer received what the publisher sent, and the JSON lines and the SVG
chart are well formed."""
from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from e2elib import SVC_ID, SVC_SECRET, SfuServer, sfu_binary


def bench_binary() -> Path:
    env = os.environ.get("SFU_BENCH_BIN")
    return Path(env) if env else sfu_binary().parent / "sfu-bench"


@pytest.fixture(scope="module")
def server():
    if not bench_binary().exists():
        pytest.skip(f"sfu-bench not built at {bench_binary()}")
    s = SfuServer("bench").start()
    yield s
    s.terminate()


def run_bench(server: SfuServer, *args: str, timeout: float = 120) -> tuple[list[dict], dict, str]:
    cmd = [str(bench_binary()), *args, "--url", server.base, "--client-id", SVC_ID,
           "--client-secret", SVC_SECRET, "--server-pid", str(server.proc.pid), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"sfu-bench failed ({p.returncode}):\n{p.stderr}\n--- server log ---\n{server.log_tail()}"
    lines = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    steps = [l for l in lines if not l.get("summary")]
    summaries = [l for l in lines if l.get("summary")]
    assert len(summaries) == 1, p.stdout
    return steps, summaries[0], p.stderr


def check_step(step: dict, viewers: int) -> None:
    assert step["viewers"] == viewers, step
    assert step["failed"] == 0 and step["connecting"] == 0, step
    assert step["srtp_failures"] == 0, step
    assert step["loss_percent"] < 1.0, step
    assert step["duplicates"] == 0, step
    # Every viewer stream got what its publisher sent (counters sampled at the
    # interval edges by different threads: allow 3 %).
    expected = step["sent_packets"] * viewers
    assert abs(step["received_packets"] - expected) <= 0.03 * expected, step
    assert step["received_packets"] == step["expected_packets"] - step["lost_packets"], step
    # DTLS negotiated GCM (the server's first choice) on every peer, publishers included.
    assert step["gcm_peers"] == step["viewers"] + step["publishers"], step
    assert step["delay_p50_ms"] <= step["delay_p99_ms"] <= step["delay_max_ms"], step
    assert step["server_cpu_percent"] > 0 and step["server_rss_mib"] > 1, step


def test_ramp_small(server, tmp_path):
    svg = tmp_path / "ramp.svg"
    steps, summary, stderr = run_bench(server, "ramp", "--step", "2", "--max-viewers", "6", "--step-seconds", "3",
                                       "--settle", "1", "--svg", str(svg))
    assert [s["viewers"] for s in steps] == [2, 4, 6], steps
    for s in steps:
        check_step(s, s["viewers"])
        assert s["publishers"] == 1
        # 1.5 Mbit/s at 30 fps: 6 packets per frame, 180 packets/s.
        assert 150 <= s["sent_packets"] / s["seconds"] <= 200, s
        assert s["server_cpu_us_per_packet"] > 0 and s["server_packets_per_cpu_second"] > 0, s
    assert summary["scenario"] == "ramp" and summary["steps"] == 3
    assert summary["stopped_by"] in ("max-viewers",) or summary["max_viewers_held"] < 6, summary
    assert "scenario    step viewers" in stderr          # the human table
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    polylines = [e for e in root.iter() if e.tag.endswith("polyline")]
    assert len(polylines) == 3                          # CPU, loss, p99 delay
    assert all(len(p.get("points").split()) == 3 for p in polylines[1:])   # one point per step


def test_audio_room_over_two_processes(server):
    steps, summary, stderr = run_bench(server, "audio-room", "--speakers", "2", "--listeners", "4", "--procs", "2",
                                       "--step-seconds", "3", "--settle", "1")
    assert len(steps) == 1
    s = steps[0]
    assert s["publishers"] == 2 and s["viewers"] == 8, s   # 4 listeners × 2 speakers
    assert s["failed"] == 0 and s["srtp_failures"] == 0 and s["loss_percent"] < 1.0, s
    # Each speaker sends 50 packets/s; each listener receives both speakers.
    assert abs(s["received_packets"] - s["sent_packets"] * 4) <= 0.03 * s["sent_packets"] * 4, s
    assert len(s["harness_cpu_percent"]) == 3, s           # parent + 2 children
    assert summary["listeners"] == 4
