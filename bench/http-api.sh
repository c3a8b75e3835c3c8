#!/usr/bin/env bash
# Benchmark of the Conference API over HTTP/1.1 keep-alive with wrk:
#   1. GET /rtc-api/conferences/{id} (a conference with 10 participants)
#   2. join/leave pairs on one conference (each request a state change + event)
# Prints one JSON line per scenario. Needs a release build (make bench).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SFU_BIN:-.build/release/sfu}
PORT=${PORT:-18089}
DUR=${DURATION:-10s}
CONNS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
"$BIN" --host 127.0.0.1 --port "$PORT" --data-dir "$tmp/data" --client bench:benchsecret:SERVICE --log-level warn 2>"$tmp/server.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -s -u bench:benchsecret -d grant_type=client_credentials "http://127.0.0.1:$PORT/security/oauth/token" | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
API="http://127.0.0.1:$PORT/rtc-api/conferences"
curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"conferenceId":"bench"}' "$API/create" >/dev/null
for i in $(seq 10); do
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"conferenceId\":\"bench\",\"userEndpointId\":\"p$i\"}" "$API/join" >/dev/null
done

# Each wrk thread joins endpoint k, and leaves the endpoint it joined LAG
# requests earlier (LAG = 2 x its connections), which has surely been answered,
# so every request is a successful state change and the conference stays small.
cat > "$tmp/joinleave.lua" <<LUA
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
local joins, leaves, turn = 0, 0, 0
local lag = 2 * math.ceil($CONNS / $THREADS)
request = function()
  local path, ep
  turn = turn + 1
  if turn % 2 == 1 or joins - leaves <= lag then
    joins = joins + 1
    path, ep = "/rtc-api/conferences/join", "t" .. tid .. "-" .. joins
  else
    leaves = leaves + 1
    path, ep = "/rtc-api/conferences/leave", "t" .. tid .. "-" .. leaves
  end
  local body = '{"conferenceId":"bench","userEndpointId":"' .. ep .. '"}'
  return wrk.format("POST", path, {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"}, body)
end
LUA

report() { # name, wrk output file
  python3 - "$1" "$2" <<'PY'
import json, re, sys
name, path = sys.argv[1], sys.argv[2]
text = open(path).read()
def dur(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s); v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p99 = dur(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
p50 = dur(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
print(json.dumps({"scenario": name, "requests_per_s": rps, "p50_ms": p50, "p99_ms": p99,
                  "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else "none"}))
PY
}
wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -H "Authorization: Bearer $TOKEN" "$API/bench" > "$tmp/get.txt"
report get_conference "$tmp/get.txt"
wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -s "$tmp/joinleave.lua" "http://127.0.0.1:$PORT" > "$tmp/jl.txt"
report join_leave "$tmp/jl.txt"
