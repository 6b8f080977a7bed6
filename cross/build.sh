#!/usr/bin/env bash
# Cross-builds EdgeRT for aarch64 Linux (CPU backend, no CUDA) on a Debian 12 x86-64 host with
# cross/toolchain-aarch64-linux-gnu.cmake: the runtime, the builder and the edgert tool, the
# GStreamer plugin, the examples and the tests. `cross/build.sh --test` then runs the tests under
# qemu-aarch64. Installs what it needs (idempotent; sudo when not root): the host packages of
# .ci/install-deps (the tests make their data with the host's python3 and node), the cross g++,
# qemu-user and the arm64 versions of the libraries.
# Environment: EDGERT_BUILD_DIR (default build-aarch64), EDGERT_JOBS (default: the number of
# cores), EDGERT_AARCH64_EXTRA_ROOT (default <build dir>/arm64-extra, see below); other arguments
# go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."

run_tests=0
if [ "${1:-}" = "--test" ]; then
  run_tests=1
  shift
fi
build_dir="${EDGERT_BUILD_DIR:-build-aarch64}"
jobs="${EDGERT_JOBS:-$(nproc)}"
extra="${EDGERT_AARCH64_EXTRA_ROOT:-$PWD/$build_dir/arm64-extra}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

bash .ci/install-deps

# Host: the cross compiler, the emulator, protoc (the host's; libprotobuf is the arm64 one).
HOST_PKGS=(g++-aarch64-linux-gnu protobuf-compiler)
if ! command -v qemu-aarch64 >/dev/null 2>&1 && ! command -v qemu-aarch64-static >/dev/null 2>&1; then
  HOST_PKGS+=(qemu-user)
fi
# Target: arm64 multiarch packages (Multi-Arch: same, installed next to the amd64 ones).
# libgstreamer1.0-dev has gstreamer-check too; the plugin packages hold the elements the tests use.
ARM64_PKGS=(libprotobuf-dev libonnx1 libopencv-core-dev libopencv-imgproc-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-0 liborc-0.4-dev gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good pkg-config)
# Not co-installable in Debian 12, so unpacked into $extra instead (their other dependencies are
# installed): libgstreamer-plugins-base1.0-dev is not Multi-Arch: same (the arm64 one would remove
# the amd64 one); libonnxifi (which libonnx-dev needs) is, but both arches ship a different
# /usr/lib/libonnxifi.so; libopencv-imgcodecs406 needs libgdal32, libarmadillo11, libhdf4-0-alt
# and libogdi4.1, which are not (the arm64 ones would remove the host's OpenCV imgcodecs and
# python3-torch).
EXTRACT_LIBS=(libopencv-imgcodecs406 libgdal32 libarmadillo11 libhdf4-0-alt libogdi4.1)
EXTRACT_PKGS=(libgstreamer-plugins-base1.0-dev libonnx-dev libonnxifi libopencv-imgcodecs-dev
  "${EXTRACT_LIBS[@]}")

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

updated=0
apt_update() {
  if [ "$updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    updated=1
  fi
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "cross: adding the arm64 architecture"
  $SUDO dpkg --add-architecture arm64
  apt_update
fi

# The runtime dependencies of the unpacked packages (first alternative; virtual ones and the
# unpacked ones themselves left out: gdal-plugins and gdal-data are not needed to load libgdal).
extract_deps() {
  local p
  for p in "${EXTRACT_LIBS[@]}"; do
    apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
      --no-enhances "$p:arm64" | awk '/^ *\|?(Pre)?Depends:/ {print $2}'
  done | grep -v '^<' | sed 's/:arm64$//' | sort -u |
    grep -vxF -e gdal-plugins $(printf -- '-e %s ' "${EXTRACT_PKGS[@]}")
}

missing=()
for p in "${HOST_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
for p in "${ARM64_PKGS[@]}"; do installed "$p:arm64" || missing+=("$p:arm64"); done
if ! apt-cache show libgdal32:arm64 >/dev/null 2>&1; then apt_update; fi
for p in $(extract_deps); do installed "$p:arm64" || missing+=("$p:arm64"); done
if [ ${#missing[@]} -ne 0 ]; then
  echo "cross: installing ${missing[*]}"
  apt_update
  # --no-remove: fail rather than take an amd64 package away. Multi-Arch: same packages keep
  # the amd64 and arm64 versions equal, so this may upgrade some amd64 libraries.
  $SUDO apt-get install -y -qq --no-install-recommends --no-remove "${missing[@]}" >/dev/null
fi

# Unpack the packages above into $extra (again when their versions change), with the .pc files
# pointed at $extra and the installed libraries that its development symlinks name (e.g.
# libgstvideo-1.0.so -> libgstvideo-1.0.so.0) linked in from the multiarch directory.
want=""
for p in "${EXTRACT_PKGS[@]}"; do
  want+="$p=$(apt-cache show --no-all-versions "$p:arm64" | awk '/^Version:/ {print $2}') "
done
if [ "$(cat "$extra/.packages" 2>/dev/null)" != "$want" ]; then
  echo "cross: unpacking ${EXTRACT_PKGS[*]} (arm64) into $extra"
  rm -rf "$extra"
  mkdir -p "$extra"
  debs="$(mktemp -d)"
  # apt-get download fetches as the _apt user when run as root: the directory must be its to write.
  chmod 777 "$debs"
  (cd "$debs" && apt-get download -qq "${EXTRACT_PKGS[@]/%/:arm64}")
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$extra"; done
  rm -rf "$debs"
  libdir="$extra/usr/lib/aarch64-linux-gnu"
  sed -i "s|^prefix=/usr\$|prefix=$extra/usr|" "$libdir"/pkgconfig/*.pc
  for link in "$libdir"/*.so; do
    target="$(readlink "$link" || true)"
    if [ -n "$target" ] && [ ! -e "$link" ]; then
      ln -s "/usr/lib/aarch64-linux-gnu/$target" "$libdir/$target"
    fi
  done
  echo "$want" >"$extra/.packages"
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGERT_WERROR=ON \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cross/toolchain-aarch64-linux-gnu.cmake" \
  -DEDGERT_AARCH64_EXTRA_ROOT="$extra" -DEDGERT_CUDA=OFF -DEDGERT_GSTREAMER=ON "$@"
start=$(date +%s)
cmake --build "$build_dir" -j "$jobs"
echo "cross: build took $(($(date +%s) - start)) s"

if [ "$run_tests" -eq 1 ]; then
  start=$(date +%s)
  # Serial, as .ci/test: the model tests each use every core.
  ctest --test-dir "$build_dir" --output-on-failure
  echo "cross: tests took $(($(date +%s) - start)) s"
fi
