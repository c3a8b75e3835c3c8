#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for FUZZ_SECONDS (default 60)
# over its committed corpus. New interesting inputs are added to the corpus;
# crashes are written to fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
mkdir -p fuzz/crashes
for target in FuzzHTTPRequest:http FuzzRESP:resp FuzzJSON:json FuzzSDP:sdp FuzzSTUN:stun FuzzDTLS:dtls FuzzRTP:rtp FuzzRTCP:rtcp FuzzRecorder:recorder FuzzHTTPConditional:conditional FuzzJWT:jwt FuzzAPI:api FuzzIdentifier:identifier FuzzRouter:router; do
  name=${target%%:*}; corpus=fuzz/corpus/${target##*:}
  [ -d "fuzz/$name" ] || continue
  SFU_FUZZ=1 swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
    --product "$name" --scratch-path .build-fuzz 2>&1 | tail -n 2
  # FuzzAPI never runs event-stream bodies, whose writer releases the subscription.
  extra=(); [ "$name" = FuzzAPI ] && extra=(-detect_leaks=0)
  ".build-fuzz/release/$name" "$corpus" -max_total_time="$seconds" -max_len=65536 "${extra[@]}" \
    -artifact_prefix=fuzz/crashes/ -print_final_stats=1 > "fuzz/crashes/$name.log" 2>&1 || { echo "$name: FAILED (see fuzz/crashes/$name.log)"; failed=1; }
  grep -E 'Loaded|stat::number_of_executed_units|stat::new_units|ERROR|SUMMARY' "fuzz/crashes/$name.log" | head -n 8
done
exit ${failed:-0}
