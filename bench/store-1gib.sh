#!/usr/bin/env bash
# Record store benchmark: upload and download of one 1 GiB item, against
# plain cp/cat of the same file on the same disk, and the server's peak
# memory (VmHWM). Prints one JSON line per measurement.
# Needs a release build (swift build -c release) and curl.
#   SIZE_MIB=1024 BENCH_DIR=/some/dir bench/store-1gib.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SFU_BIN:-.build/release/sfu}
PORT=${PORT:-18707}
SIZE_MIB=${SIZE_MIB:-1024}
base=${BENCH_DIR:-$PWD/.build}
tmp=$(mktemp -d "$base/store-bench.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
mibs() { python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'{s:.3f} {$SIZE_MIB/s:.0f}')" "$1" "$2"; }
line() { # name seconds MiB/s [extra json]
  printf '{"bench":"store-1gib","case":"%s","mib":%s,"seconds":%s,"mib_per_s":%s%s}\n' "$1" "$SIZE_MIB" "$2" "$3" "${4:-}"
}
timed() { # name command...
  local name=$1; shift
  # Start each case with no dirty pages from the previous one being written back.
  sync; sleep "${SETTLE:-2}"
  local t0 t1; t0=$(now); "$@"; t1=$(now)
  read -r secs rate < <(mibs "$t0" "$t1")
  line "$name" "$secs" "$rate"
}

# The item: a real OpusHead page (ffmpeg) followed by random bytes; the store
# checks the first page only.
src="$tmp/src.ogg"
ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:duration=1 -c:a libopus "$tmp/head.ogg"
python3 - "$tmp/head.ogg" "$src" "$SIZE_MIB" <<'PY'
import os, sys
d = open(sys.argv[1], "rb").read()
n = 27 + d[26]; page = d[: n + sum(d[27:n])]
total = int(sys.argv[3]) << 20
with open(sys.argv[2], "wb") as f:
    f.write(page)
    left = total - len(page)
    block = os.urandom(1 << 20)
    while left > 0:
        k = min(left, len(block)); f.write(block[:k]); left -= k
PY
sync "$src"

"$BIN" store records --auth off --host 127.0.0.1 --records-port "$PORT" --data-dir "$tmp/data" --log-level warn 2>"$tmp/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/ping" && break; sleep 0.1; done
items="http://127.0.0.1:$PORT/records/0f339cb0-7ab4-43fe-852d-75708232f76c"
url="$items/2024-01-01T00:00:00Z"
rss() { awk '/VmRSS/{print $2}' /proc/$pid/status; }
start_rss=$(rss)

# Baselines on the same disk: cp (page cache only), cp + fsync (what an upload guarantees), cat.
timed "cp" cp "$src" "$tmp/copy1"
timed "cp+fsync" bash -c "cp '$src' '$tmp/copy2' && sync '$tmp/copy2'"
rm -f "$tmp/copy1" "$tmp/copy2"
timed "cat>/dev/null" bash -c "cat '$src' > /dev/null"

# Uploads (each is written, fsynced and renamed before the answer).
put() { # expected-status url curl-args...
  local want=$1 to=$2; shift 2
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: audio/ogg' "$@" --upload-file "$src" "$to")
  [ "$code" = "$want" ] || { echo "upload failed: $code (expected $want)" >&2; exit 1; }
}
timed "upload content-length" put 201 "$url"
timed "upload chunked" put 201 "$items/2024-01-01T01:00:00Z" -H 'Transfer-Encoding: chunked'
timed "upload replacing" put 204 "$url"

# Downloads (sendfile): to /dev/null (like cat) and to a file on the same disk (like cp).
get() { code=$(curl -s -w '%{http_code}' -o "$1" "$url"); [ "$code" = 200 ] || { echo "download failed: $code" >&2; exit 1; }; }
timed "download >/dev/null" get /dev/null
timed "download to file" get "$tmp/down.ogg"
cmp -s "$src" "$tmp/down.ogg" || { echo "downloaded bytes differ" >&2; exit 1; }
rm -f "$tmp/down.ogg"

hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
printf '{"bench":"store-1gib","case":"server memory","rss_start_kib":%s,"rss_end_kib":%s,"peak_rss_kib":%s,"peak_rss_mib":%s}\n' \
  "$start_rss" "$(rss)" "$hwm" "$((hwm / 1024))"
