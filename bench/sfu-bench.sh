#!/usr/bin/env bash
# Runs the load harness sfu-bench against a fresh release server on this
# machine and appends a dated run to bench/RESULTS.md:
#   1. floor: floor-bench at fan-out 50 (this machine's forwarding floor), then the
#      server at fan-out 50 with one 1.5 Mbit/s VP8 publisher → the ratio
#   2. ramp: one 1.5 Mbit/s publisher, viewers in steps until loss > 0.5 % or p99 > 50 ms
#   3. meeting (10 × 10), audio-room (4 speakers, 100 listeners), churn (20 stable, 10 churning)
# Results (JSON lines, SVG, server log) go to bench/results/<timestamp>/.
# Knobs (environment): STEP (50), STEP_SECONDS (5), MAX_VIEWERS (600), PROCS (1),
# WORKERS (2), SCENARIOS ("floor ramp meeting audio-room churn"), NO_BUILD=1, NO_RESULTS_MD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${STEP:-50}
STEP_SECONDS=${STEP_SECONDS:-5}
MAX_VIEWERS=${MAX_VIEWERS:-600}
PROCS=${PROCS:-1}
WORKERS=${WORKERS:-2}
SCENARIOS=${SCENARIOS:-"floor ramp meeting audio-room churn"}
if [ -z "${NO_BUILD:-}" ]; then
  for p in sfu sfu-bench floor-bench; do
    flock /tmp/swift-build.lock swift build -c release --product "$p" 2>&1 | tail -n 1
  done
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/$stamp
mkdir -p "$out"
tmp=$(mktemp -d)
port=$(free_port)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
./.build/release/sfu serve --host 127.0.0.1 --port "$port" --data-dir "$tmp/data" \
  --records-port "$(free_port)" --prerecordings-port "$(free_port)" \
  --media-port 0 --media-workers "$WORKERS" --announce-ip 127.0.0.1 \
  --client bench:benchsecret:SERVICE --log-level warn >"$out/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
common=(--url "http://127.0.0.1:$port" --client-id bench --client-secret benchsecret --server-pid "$pid"
        --json --procs "$PROCS" --step-seconds "$STEP_SECONDS")
for s in $SCENARIOS; do
  case $s in
    floor) args=(floor --fanout 50 --step-seconds 10) ;;
    ramp) args=(ramp --step "$STEP" --max-viewers "$MAX_VIEWERS" --svg "$out/ramp.svg") ;;
    meeting) args=(meeting --participants 10) ;;
    audio-room) args=(audio-room --speakers 4 --listeners 100) ;;
    churn) args=(churn --stable-viewers 20 --churn-viewers 10 --churn-period 0.5 --step-seconds 10) ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
  echo "== sfu-bench ${args[*]}" >&2
  ./.build/release/sfu-bench "${common[@]}" "${args[@]}" > "$out/$s.jsonl"
done
echo "results in $out" >&2
[ -n "${NO_RESULTS_MD:-}" ] && exit 0

# Append a dated section to bench/RESULTS.md from the JSON lines.
python3 - "$out" "$SCENARIOS" "$WORKERS" "$PROCS" "$STEP" "$STEP_SECONDS" "$MAX_VIEWERS" <<'PY'
import json, subprocess, sys, datetime, pathlib
out, scenarios, workers, procs, step, step_s, maxv = sys.argv[1:8]
def lines(name):
    p = pathlib.Path(out) / f"{name}.jsonl"
    return [json.loads(l) for l in p.read_text().splitlines() if l.strip()] if p.exists() else []
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
cpus = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("CPU(s)")), "?")
f = lambda v, d=1: "-" if v is None else f"{v:.{d}f}"
md = [f"\n### sfu-bench run {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}{'+' if dirty else ''}\n",
      f"Machine: {model}, {cpus} CPU(s); server `--media-workers {workers}`, harness `--procs {procs}`, release build, loopback.",
      f"Command: `STEP={step} STEP_SECONDS={step_s} MAX_VIEWERS={maxv} PROCS={procs} WORKERS={workers} SCENARIOS=\"{scenarios}\" bench/sfu-bench.sh` (results in `{out}`).\n",
      "| scenario | step | viewers | pubs | loss % | p50 ms | p99 ms | max ms | server CPU % | µs / fwd pkt | fwd pkts / CPU-s | server RSS MiB | harness CPU % | harness loop busy / late max ms |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
summaries = {}
for name in scenarios.split():
    for r in lines(name):
        if r.get("summary"):
            summaries[name] = r
            continue
        md.append(f"| {name}{' (' + r['group'] + ')' if 'group' in r else ''} | {r['step']} | {r['viewers']} | {r['publishers']} | {f(r['loss_percent'], 3)} | "
                  f"{f(r.get('delay_p50_ms'), 2)} | {f(r.get('delay_p99_ms'), 2)} | {f(r.get('delay_max_ms'), 1)} | {f(r.get('server_cpu_percent'))} | "
                  f"{f(r.get('server_cpu_us_per_packet'), 2)} | {r.get('server_packets_per_cpu_second', '-')} | {f(r.get('server_rss_mib'))} | "
                  f"{'+'.join(str(round(x)) for x in r['harness_cpu_percent'])} | "
                  f"{f(r.get('harness_loop_busy_max_ms'))} / {f(r.get('harness_loop_late_max_ms'))} |")
md.append("")
if "floor" in summaries:
    s = summaries["floor"]
    md.append(f"- **floor ratio** (fan-out {s['fanout']}): server {s['server_packets_per_cpu_second']} forwarded packets per CPU-second "
              f"vs floor-bench {s['floor_saturated_packets_per_cpu_second']} saturated → **ratio {s['ratio']}**; "
              f"vs floor-bench at the same input rate {s['floor_same_rate_packets_per_cpu_second']} → ratio {s['ratio_same_rate']}.")
if "ramp" in summaries:
    s = summaries["ramp"]
    md.append(f"- **ramp**: largest viewer count that held (loss ≤ {s['limit_loss_percent']} %, p99 ≤ {s['limit_p99_ms']} ms): "
              f"**{s['max_viewers_held']}** (stopped by {s['stopped_by']}); server CPU at that step {s.get('server_cpu_percent_at_max', '-')} % "
              f"→ {s.get('viewers_per_server_core', '-')} viewers per server core; RSS growth {s.get('server_rss_per_viewer_kib', '-')} KiB per viewer.")
for name in ("meeting", "audio-room"):
    if name in summaries:
        s = summaries[name]
        md.append(f"- **{name}**: server RSS grew {s.get('server_rss_growth_mib', '-')} MiB for the whole conference "
                  f"(from before the run to the measured step).")
if "churn" in summaries:
    s = summaries["churn"]
    md.append(f"- **churn**: {s['churn_joins']} joins/leaves while {s['stable_viewers']} viewers watched: stable viewers glitched: "
              f"**{'yes' if s['stable_glitch'] else 'no'}** (lost {s['stable_lost']}, freezes {s['stable_freezes']}, max gap {s['stable_max_gap_ms']} ms); "
              f"joiners' longest key frame wait {s['churner_keyframe_wait_max_ms']} ms.")
with open("bench/RESULTS.md", "a") as fh:
    fh.write("\n".join(md) + "\n")
print("\n".join(md))
PY
