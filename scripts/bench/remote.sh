#!/usr/bin/env bash
# Runs `bench -- kernels|train` from the pack that `npm run bench:pack` writes (.benchpack/) on an
# x86-64 Linux machine without Node, e.g. a GPU machine that has Python and a driver but nothing else:
# unpacks the pack's Node and dawn.node, brings the Vulkan loader where the machine has none, and
# runs each benchmark with the packed Node, its output printed and saved to OUTPUT_DIR/<bench>.log.
#
# Usage: bash scripts/bench/remote.sh [kernels] [train] [OUTPUT_DIR]
#   benchmarks: both when none is named; OUTPUT_DIR: the argument, else $OUT.
#   BENCHPACK=dir reads the pack from dir instead of .benchpack/ in this checkout.
set -euo pipefail

pack=${BENCHPACK:-$(cd "$(dirname "$0")/../.." && pwd)/.benchpack}
benches=()
out=${OUT:-}
for arg in "$@"; do
  case $arg in
    kernels | train) benches+=("$arg") ;;
    *) out=$arg ;;
  esac
done
[ ${#benches[@]} -gt 0 ] || benches=(kernels train)
[ -n "$out" ] || { echo "remote.sh: name an output directory (an argument, or \$OUT)" >&2; exit 2; }
[ -f "$pack/bench.mjs" ] || { echo "remote.sh: no pack at $pack (run npm run bench:pack where Node is)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Unpack a copy, so the pack stays as it travelled.
run=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
trap 'rm -rf "$run"' EXIT
cp -r "$pack"/. "$run"/
unxz() {
  if command -v xz >/dev/null; then
    xz -d "$1"
  else # Python's lzma, where xz is not installed
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[1][:-3], "wb"))' "$1"
    rm "$1"
  fi
}
find "$run" -name '*.xz' | while read -r f; do unxz "$f"; done
chmod +x "$run/node"
node=$run/node
echo "node: $node $("$node" --version)"

# The Vulkan loader, only where the machine has none (dpkg -x unpacks into / without apt). Not
# grep -q: quitting early could fail ldconfig with SIGPIPE, and pipefail would count that.
if ! ldconfig -p | grep 'libvulkan\.so\.1' >/dev/null; then
  debs=("$pack"/debs/*.deb)
  [ -e "${debs[0]}" ] || { echo "remote.sh: no libvulkan.so.1 here and no Vulkan loader packages in the pack" >&2; exit 1; }
  echo "installing the Vulkan loader from the pack: ${debs[*]##*/}"
  for f in "${debs[@]}"; do dpkg -x "$f" /; done
  ldconfig
fi

# Which adapter Dawn finds; none may mean the Vulkan loader cannot see the NVIDIA driver's ICD file,
# which NVIDIA's container runtime mounts under /usr/local/nvidia.
adapter() {
  (cd "$run" && "$node" --input-type=module -e "
    import { create } from 'webgpu';
    const a = await create([]).requestAdapter();
    console.log(a ? 'adapter: ' + [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' / ') : '');
    process.exit(a ? 0 : 1);")
}
if ! adapter; then
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] || { echo "remote.sh: Dawn finds no adapter, and there is no $icd to point Vulkan at" >&2; exit 1; }
  echo "no adapter: trying VK_DRIVER_FILES=$icd"
  export VK_DRIVER_FILES=$icd
  adapter || { echo "remote.sh: Dawn finds no adapter with VK_DRIVER_FILES=$icd either" >&2; exit 1; }
fi

for b in "${benches[@]}"; do
  echo "== bench $b -> $out/$b.log"
  (cd "$run" && "$node" bench.mjs "$b") 2>&1 | tee "$out/$b.log"
done
