#!/usr/bin/env bash
# Installs the Debian packages the server, its tests and benchmarks need,
# only those missing. Usage: scripts/install-deps.sh [run|test]
set -euo pipefail
mode=${1:-run}
pkgs=(pkg-config libssl-dev libsrtp2-dev libopus-dev libvpx-dev curl)
if [ "$mode" = test ]; then
  pkgs+=(wrk python3 python3-venv procps chromium firefox-esr iproute2 util-linux ffmpeg opus-tools openssl redis-server)
  pkgs+=(coturn)   # the TURN relay of Tests/e2e/test_turn.py (started by the test itself)
  # GStreamer's webrtcbin as a WHIP publisher (Tests/e2e/gst_whip_client.py, system Python)
  pkgs+=(gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice python3-gst-1.0 gir1.2-gst-plugins-bad-1.0 gir1.2-nice-0.1)
  # pion (Go, built offline against Debian's sources) as a strict ICE peer; iptables to drop UDP (ICE-TCP tests)
  pkgs+=(golang-go golang-github-pion-webrtc.v3-dev iptables)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
