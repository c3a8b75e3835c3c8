"""Cluster mode (issue 13, foundation): `sfu` processes on separate loopback
addresses register in one real redis-server, see each other, lose a killed
node within the lease TTL, keep answering /healthz while Redis is down,
fence themselves after the TTL, and re-register when Redis comes back.

Every 127.x address works on lo inside the test namespace (scripts/test.sh).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from e2elib import API, SfuServer, ServerStartError, fetch_token, free_port

LEASE = 2.0  # --cluster-lease for these tests (the default is 5 s)


class RedisProcess:
    """redis-server on 127.0.0.1:<free port>, append-only file fsynced on every write."""

    def __init__(self) -> None:
        if not shutil.which("redis-server"):
            pytest.fail("redis-server is not installed (scripts/install-deps.sh test installs it)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sfu-e2e-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisProcess":
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return self
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        try:
            return self.cmd("PING") == "PONG"
        except OSError:
            return False

    def cmd(self, *args: str) -> str:
        out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
                             capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            raise OSError(out.stderr)
        return out.stdout.strip()

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"


class ClusterNode(SfuServer):
    """An `sfu serve` on its own loopback address, in cluster mode."""

    def __init__(self, name: str, host: str, redis: RedisProcess, extra=(), node_id: str | None = None):
        args = ["--cluster", redis.url, "--cluster-lease", str(LEASE)]
        if node_id:
            args += ["--node-id", node_id]
        super().__init__(name, args + list(extra))
        self.host = host

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def args(self) -> list[str]:
        a = super().args()
        for flag in ("--host", "--announce-ip"):
            a[a.index(flag) + 1] = self.host
        return a

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(f"exited with code {self.proc.returncode}")
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise ServerStartError(f"/healthz not ready within {timeout} s")

    def cluster(self) -> dict:
        r = requests.get(self.base + "/healthz", timeout=2)
        assert r.status_code == 200, r.text
        return r.json()["cluster"]

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=5)


def wait_until(what: str, timeout: float, check, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (requests.RequestException, KeyError, AssertionError) as e:
            last = e
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def metric(node: SfuServer, name: str) -> float:
    for line in requests.get(node.base + "/metrics", timeout=2).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


def node_ids(node: ClusterNode) -> set[str]:
    return {n["id"] for n in node.cluster()["nodes"]}


@pytest.fixture(scope="module")
def redis():
    r = RedisProcess().start()
    yield r
    r.kill9()
    shutil.rmtree(r.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def nodes(redis):
    started = []
    try:
        for name, host in (("a", "127.0.0.2"), ("b", "127.0.0.3"), ("c", "127.0.0.4")):
            started.append(ClusterNode(f"cluster-{name}", host, redis, node_id=f"node-{name}").start())
    except ServerStartError as e:
        pytest.fail(str(e), pytrace=False)
    yield {n.name[-1]: n for n in started}
    for n in started:
        n.kill()


def test_three_nodes_register_and_see_each_other(nodes, redis):
    everyone = {"node-a", "node-b", "node-c"}
    for n in nodes.values():
        wait_until(f"{n.name} lists all three nodes", 15, lambda n=n: node_ids(n) == everyone)
    a = nodes["a"].cluster()
    assert a["state"] == "active" and a["acceptingWork"] is True
    assert a["nodeId"] == "node-a"
    assert a["leaseTtlSeconds"] == LEASE
    assert a["redis"]["state"] == "connected"
    listed = {n["id"]: n for n in a["nodes"]}
    assert listed["node-b"]["api"] == nodes["b"].base, "each node advertises its own address"
    assert listed["node-c"]["api"] == nodes["c"].base
    epochs = {n["epoch"] for n in listed.values()}
    assert len(epochs) == 3, f"each lease has its own fencing epoch: {listed}"
    assert all(0 < n["leaseRemainingSeconds"] <= LEASE for n in listed.values())
    assert all(n["transports"] == 0 and n["cpuCores"] >= 0 for n in listed.values())
    # What Redis holds: one lease per node carrying its epoch, the node set.
    assert redis.cmd("GET", "sfu:lease:node-b") == str(listed["node-b"]["epoch"])
    assert set(redis.cmd("ZRANGE", "sfu:nodes", "0", "-1").split()) == everyone
    metrics = requests.get(nodes["a"].base + "/metrics", timeout=2).text
    assert "sfu_cluster_lease_active 1" in metrics
    assert "sfu_cluster_nodes 3" in metrics
    assert "sfu_cluster_redis_latency_seconds" in metrics and "sfu_cluster_lease_age_seconds" in metrics


def test_killed_node_lease_expires_within_ttl(nodes, redis):
    c = nodes["c"]
    c.kill9()
    t0 = time.monotonic()
    for n in (nodes["a"], nodes["b"]):
        wait_until(f"{n.name} drops node-c", LEASE + 4, lambda n=n: node_ids(n) == {"node-a", "node-b"})
    gone = time.monotonic() - t0
    assert gone < LEASE + 3.0, f"node-c still listed {gone:.1f} s after kill -9 (TTL {LEASE} s)"
    assert redis.cmd("EXISTS", "sfu:lease:node-c") == "0"
    print(f"cluster: node-c dropped {gone:.2f} s after kill -9 (lease TTL {LEASE} s, heartbeat {LEASE / 5} s)")


def create(node: ClusterNode, token: str, conference: str) -> requests.Response:
    return requests.post(node.base + API + "/create", json={"conferenceId": conference},
                         headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_health_answers_while_redis_is_down_then_nodes_fence_and_rejoin(nodes, redis):
    a, b = nodes["a"], nodes["b"]
    before = {n.name: n.cluster()["epoch"] for n in (a, b)}
    token = fetch_token(a.base)
    assert create(a, token, "before-outage").status_code == 200
    redis.kill9()
    t0 = time.monotonic()
    # /healthz never waits for Redis.
    for _ in range(20):
        t = time.monotonic()
        r = requests.get(a.base + "/healthz", timeout=2)
        assert r.status_code == 200
        assert time.monotonic() - t < 0.5, "health must not depend on Redis"
        time.sleep(0.05)
    for n in (a, b):
        wait_until(f"{n.name} sees Redis down", 5, lambda n=n: n.cluster()["redis"]["state"] != "connected")
        fenced = wait_until(f"{n.name} fenced", LEASE + 3, lambda n=n: (lambda c: c if c["state"] == "fenced" else None)(n.cluster()))
        assert fenced["acceptingWork"] is False
        assert fenced["leaseRemainingSeconds"] == 0
    fenced_after = time.monotonic() - t0
    assert fenced_after < LEASE + 3.0
    # A fenced node takes no new work: 503 at once with a message that says why.
    t = time.monotonic()
    refused = create(a, token, "during-outage")
    assert time.monotonic() - t < 0.5
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == "CLUSTER_UNAVAILABLE"
    assert "node-a is fenced" in refused.json()["message"] and "redis://127.0.0.1" in refused.json()["message"]
    assert refused.headers.get("Retry-After") == "1"
    # Reads of what the node already has still work.
    assert requests.get(a.base + API + "/before-outage", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200
    redis.start()  # the same append-only file
    t1 = time.monotonic()
    for n in (a, b):
        wait_until(f"{n.name} active again", 15, lambda n=n: n.cluster()["state"] == "active")
        wait_until(f"{n.name} lists both again", 10, lambda n=n: node_ids(n) == {"node-a", "node-b"})
    rejoined = time.monotonic() - t1
    assert create(a, token, "after-outage").status_code == 200
    for n in (a, b):
        h = n.cluster()
        assert h["redis"]["reconnects"] >= 1
        assert h["fencings"] >= 1
        assert h["epoch"] > before[n.name], "a new lease has a higher epoch"
    assert metric(a, "sfu_cluster_redis_reconnects_total") >= 1
    assert metric(a, "sfu_cluster_lease_active") == 1
    print(f"cluster: fenced {fenced_after:.2f} s after Redis died; both nodes active again {rejoined:.2f} s after it restarted")


def test_second_process_with_a_live_node_id_waits(nodes, redis):
    twin = ClusterNode("cluster-twin", "127.0.0.6", redis, node_id="node-a").start()
    try:
        h = wait_until("the twin reports why it cannot join", 10,
                       lambda: (lambda c: c if c["lastError"] and "LEASE_HELD" in c["lastError"] else None)(twin.cluster()))
        assert h["state"] == "joining" and h["acceptingWork"] is False
        token = fetch_token(twin.base)
        refused = create(twin, token, "twin-work")
        assert refused.status_code == 503 and refused.json()["error"] == "CLUSTER_UNAVAILABLE"
        # The live node-a keeps its lease; the twin's address is never listed.
        listed = {n["id"]: n for n in nodes["a"].cluster()["nodes"]}
        assert listed["node-a"]["api"] == nodes["a"].base
        assert nodes["a"].cluster()["state"] == "active"
    finally:
        twin.kill()


def test_graceful_stop_leaves_at_once_and_node_id_is_kept(nodes, redis):
    d = ClusterNode("cluster-d", "127.0.0.5", redis).start()  # no --node-id: generated
    try:
        d_id = wait_until("node d active", 10, lambda: (lambda c: c["nodeId"] if c["state"] == "active" else None)(d.cluster()))
        assert d_id.startswith("node-")
        with open(os.path.join(d.data_dir, "node-id")) as f:
            assert f.read().strip() == d_id
        wait_until("a lists d", 10, lambda: d_id in node_ids(nodes["a"]))
        d.terminate()
        d.proc.wait(timeout=15)
        t0 = time.monotonic()
        wait_until("a drops d", LEASE + 2, lambda: d_id not in node_ids(nodes["a"]))
        assert redis.cmd("EXISTS", f"sfu:lease:{d_id}") == "0", "the lease was given up, not left to expire"
        # Restarted on the same data directory: the same id.
        d.start()
        again = wait_until("d active again", 10, lambda: (lambda c: c if c["state"] == "active" else None)(d.cluster()))
        assert again["nodeId"] == d_id
    finally:
        d.kill()


def connections_received(redis: RedisProcess) -> int:
    stats = redis.cmd("INFO", "stats")
    return int(next(l for l in stats.splitlines() if l.startswith("total_connections_received:")).split(":")[1])


def test_without_cluster_option_nothing_changes(redis):
    before = connections_received(redis)
    plain = SfuServer("plain").start()
    try:
        body = requests.get(plain.base + "/healthz", timeout=2).json()
        assert body == {"status": "ok"}
        assert "sfu_cluster_" not in requests.get(plain.base + "/metrics", timeout=2).text
        assert not os.path.exists(os.path.join(plain.data_dir, "node-id"))
        time.sleep(1.0)
        # Only our own INFO call connected meanwhile (the cluster nodes keep their connections).
        assert connections_received(redis) == before + 1, "a server without --cluster must not touch Redis"
    finally:
        plain.kill()


def test_bad_cluster_url_is_refused_at_start(tmp_path):
    binary = SfuServer("bad").args()[0]
    out = subprocess.run([binary, "--cluster", "http://127.0.0.1:1", "--data-dir", str(tmp_path), "--port", "0"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 2
    assert "--cluster" in out.stderr and "redis://" in out.stderr
