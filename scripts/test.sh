#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs the Swift unit
# tests and the end-to-end tests against the real server binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
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
SFU_BIN="$PWD/.build/debug/sfu" "$venv/bin/python" -m pytest Tests/e2e -q -p no:cacheprovider "$@"
