#!/usr/bin/env bash
# Debian packages the Python runtimes use (there is no PyPI: Debian's builds of the libraries).
# bubblewrap (bwrap) sandboxes the processes that load model pickles; FastAPI + uvicorn are the bench's competitor, wrk its HTTP load generator.
# python3-pil is Pillow, whose resize the image-classification tests compare with.
# chromium runs the web UI's browser tests (driven by playwright-core, which downloads no browser of its own).
# Installs only what is missing; needs root (or sudo) and Debian's package index.
set -euo pipefail
PACKAGES=(python3 python3-numpy python3-sklearn python3-xgboost python3-torch python3-pandas python3-onnx python3-pil unzip bubblewrap python3-fastapi python3-uvicorn wrk chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
