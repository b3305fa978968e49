#!/usr/bin/env bash
# Makes this machine able to run Tessera's tests: a WebGPU-capable Vulkan driver for Dawn in Node
# (Mesa >= 24 lavapipe from bookworm-backports, or a real GPU's driver), Debian's Chromium for the
# Playwright tests, and Debian's Fashion-MNIST. Installs what is missing when root; otherwise prints
# the exact command to run and fails. Idempotent and quiet when everything is already there.
# The Python package's tests (tests/python) need Debian's PyTorch and NumPy for /usr/bin/python3,
# and OpenBLAS: without it Debian's torch multiplies with the reference BLAS, 3-4x slower.
set -euo pipefail

need_mesa=0; need_chromium=0; need_fmnist=0; need_torch=0

# Dawn needs Vulkan 1.1 with dynamic indexing of uniform arrays; Debian 12's own Mesa 22.3 lacks it.
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -z "$mesa_version" ] || dpkg --compare-versions "$mesa_version" lt 24; then need_mesa=1; fi
[ -x /usr/bin/chromium ] || need_chromium=1
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_fmnist=1
{ /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null && dpkg-query -W -f='${Status}' libopenblas0-openmp 2>/dev/null | grep -q 'ok installed'; } || need_torch=1

if [ $((need_mesa + need_chromium + need_fmnist + need_torch)) -eq 0 ]; then exit 0; fi

backports_cmd='uri=$(sed -n "s/^URIs: *//p" /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1); [ -n "$uri" ] || uri=$(awk '"'"'$1=="deb"{print $2; exit}'"'"' /etc/apt/sources.list); echo "deb $uri bookworm-backports main" > /etc/apt/sources.list.d/backports.list'
pkgs=""
[ $need_chromium -eq 1 ] && pkgs="$pkgs chromium"
[ $need_fmnist -eq 1 ] && pkgs="$pkgs dataset-fashion-mnist"
# The OpenMP build, so that torchrun's OMP_NUM_THREADS=1 a process also holds inside the BLAS.
[ $need_torch -eq 1 ] && pkgs="$pkgs python3-torch python3-numpy libopenblas0-openmp"

if [ "$(id -u)" -ne 0 ]; then
  echo "Tessera's tests need system packages that are missing. Run as root:" >&2
  [ $need_mesa -eq 1 ] && echo "  $backports_cmd && apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers" >&2
  [ -n "$pkgs" ] && echo "  apt-get update && apt-get install -y$pkgs" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "[ensure-test-env] installing:$([ $need_mesa -eq 1 ] && echo ' mesa-vulkan-drivers(backports)')$pkgs" >&2
if [ $need_mesa -eq 1 ] && [ ! -f /etc/apt/sources.list.d/backports.list ]; then
  bash -c "$backports_cmd"
fi
apt-get update -qq
if [ $need_mesa -eq 1 ]; then
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
fi
if [ -n "$pkgs" ]; then
  # shellcheck disable=SC2086
  apt-get install -y -qq $pkgs >/dev/null
fi
echo "[ensure-test-env] done" >&2
