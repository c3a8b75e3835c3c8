#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs the Swift unit
# tests and the end-to-end tests against the real server binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
echo "== embedded files (scripts/embed.py --check)"
python3 scripts/embed.py --check
echo "== build"
swift build 2>&1 | tail -n 3
echo "== unit tests (XCTest)"
swift test
echo "== end-to-end tests (pytest)"
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
# Browsers and peers run in a network namespace with only `lo` (see
# ../shared/notes/browsers.md): no packet leaves the machine and no pair is
# nominated through another interface.
run=(env SFU_BIN="$PWD/.build/debug/sfu" "$venv/bin/python" -m pytest Tests/e2e -q -p no:cacheprovider "$@")
if unshare --net true 2>/dev/null; then
  exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh "${run[@]}"
else
  echo "warning: cannot create a network namespace (not root?); running the end-to-end tests on the host network"
  exec "${run[@]}"
fi
