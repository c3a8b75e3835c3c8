"""The pion peer (Tests/e2e/pion/main.go) built offline and driven through the API.

pion comes from Debian (golang-github-pion-webrtc.v3-dev, under
/usr/share/gocode). Its modules have major-version paths (webrtc/v3,
dtls/v2, ...) that Debian installs without the suffix, so the build runs in
GOPATH mode over a temporary GOPATH whose `src/github.com/pion/X/vN`
entries are symlinks to Debian's trees: no network, no module proxy.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

GOCODE = Path("/usr/share/gocode/src")
SOURCE = Path(__file__).resolve().parent / "pion" / "main.go"
_built: dict[str, Path] = {}


def build_pion(workdir: Path | None = None) -> Path:
    """Builds pionpeer into a temp dir (once per process) and returns the binary."""
    if "bin" in _built:
        return _built["bin"]
    root = Path(workdir or tempfile.mkdtemp(prefix="sfu-pion-"))
    gopath = root / "gopath"
    pion = gopath / "src" / "github.com" / "pion"
    for d in sorted((GOCODE / "github.com" / "pion").iterdir()):
        mod = d / "go.mod"
        if not mod.exists():
            continue
        first = next((l for l in mod.read_text().splitlines() if l.startswith("module ")), "")
        path = first.split()[1] if first else ""
        if path.count("/") == 3:   # github.com/pion/NAME/vN
            link = gopath / "src" / path
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(d)
    pkg = gopath / "src" / "pionpeer"
    pkg.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOURCE, pkg / "main.go")
    out = root / "pionpeer"
    env = dict(os.environ, GOPATH=f"{gopath}:/usr/share/gocode", GO111MODULE="off", GOFLAGS="",
               GOCACHE=str(Path(os.environ.get("SFU_GOCACHE", root / "gocache"))), GOPROXY="off")
    r = subprocess.run(["go", "build", "-o", str(out), "."], cwd=pkg, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"go build of the pion peer failed:\n{r.stderr}"
    _built["bin"] = out
    return out


def media_files(workdir: Path) -> tuple[Path, Path]:
    """5 s of VP8 (IVF, 320x240, 30 fps, keyframe every second) and Opus (Ogg, one packet per page) made by ffmpeg."""
    ivf, ogg = workdir / "video.ivf", workdir / "audio.ogg"
    if not ivf.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
                        "-t", "5", "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "400k", "-g", "30", str(ivf)],
                       check=True, timeout=120)
    if not ogg.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=5",
                        "-c:a", "libopus", "-page_duration", "20000", str(ogg)], check=True, timeout=60)
    return ivf, ogg


class PionPeer:
    """One pionpeer process: `start` returns after the answer was handed over; `result` waits for its report."""

    def __init__(self, api, conference_id: str, endpoint: str, local: str, seconds: float = 4.0, tcp: bool = False):
        self.api, self.cid, self.endpoint, self.local, self.seconds, self.tcp = api.clone(), conference_id, endpoint, local, seconds, tcp
        self.proc: subprocess.Popen | None = None
        self.stream_id = None
        self.offer = self.answer = ""

    def _spawn(self, mode: str, extra: list[str]) -> None:
        args = [str(build_pion()), "-mode", mode, "-seconds", str(self.seconds)] + extra
        if self.local:
            args += ["-local", self.local]
        if self.tcp:
            args += ["-tcp"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line, f"pionpeer printed no offer: {self.proc.stderr.read()}"
        self.offer = json.loads(line)["sdp"]

    def _answer(self, sdp: str) -> None:
        self.answer = sdp
        self.proc.stdin.write(json.dumps({"sdp": sdp}) + "\n")
        self.proc.stdin.flush()

    def publish(self, ivf: Path, ogg: Path) -> str:
        self._spawn("publish", ["-ivf", str(ivf), "-ogg", str(ogg)])
        r = self.api.post("publishStream", {"conferenceId": self.cid, "userEndpointId": self.endpoint,
                                             "conferenceStreamType": "MIC_AND_CAM", "sdpOffer": self.offer})
        assert r.status_code == 200, f"publishStream: {r.status_code} {r.text}"
        self.stream_id = r.json()["streamId"]["id"]
        self._answer(r.json()["sdpAnswer"])
        return self.stream_id

    def view(self, stream_id: str) -> None:
        self._spawn("view", [])
        r = self.api.post("viewStream", {"conferenceId": self.cid, "userEndpointId": self.endpoint,
                                          "streamId": {"id": stream_id}, "sdpOffer": self.offer})
        assert r.status_code == 200, f"viewStream: {r.status_code} {r.text}"
        self._answer(r.json()["sdpAnswer"])

    def result(self, timeout: float = 40) -> dict:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        lines = [l for l in out.splitlines() if l.startswith("{")]
        res = json.loads(lines[-1]) if lines else {"error": "no result"}
        res["_stderr"] = err[-3000:]
        res["_answer"] = self.answer
        return res

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
