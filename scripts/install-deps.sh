#!/usr/bin/env bash
# Installs the Debian 12 packages Periscope needs to build and test. Idempotent: when every
# package is already present it only runs dpkg-query and exits (well under a second).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config clang libclang-rt-14-dev
  # libraries
  libfmt-dev libspdlog-dev libcli11-dev libexpected-dev libtomlplusplus-dev libpng-dev nlohmann-json3-dev libssl-dev libpugixml-dev
  # the X11 capture agent (periscope-capture-x11): Xlib, MIT-SHM, XFixes, XDamage, XInput2
  libx11-dev libxext-dev libxfixes-dev libxdamage-dev libxi-dev
  # the viewer window: SDL2 + OpenGL ES 3 (Mesa), SDL2_ttf with DejaVu for the overlay text
  libsdl2-dev libsdl2-ttf-dev libgles-dev libegl1 libgles2 libgl1-mesa-dri fonts-dejavu-core
  # audio outputs: PipeWire (native) and PulseAudio (libpulse-simple, the fallback)
  libpipewire-0.3-dev libpulse-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # setup-tool tests: iasl checks our AML; real option ROMs to parse (QEMU's iPXE and VGA BIOSes)
  acpica-tools ipxe-qemu seabios
  # generated libvirt domains are checked with virt-xml-validate (and xmllint under it)
  libvirt-clients libxml2-utils
  # the demo VM and its tests: QEMU, a Debian kernel, a static busybox, cpio for the initramfs
  qemu-system-x86 linux-image-amd64 busybox-static cpio file
  # audio sink tests start private sound servers and record their null sinks
  pipewire pipewire-bin pulseaudio pulseaudio-utils
  # window tests run on a virtual X server
  xvfb xauth xdotool
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
