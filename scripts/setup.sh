#!/usr/bin/env bash
# Installs every Debian package Einfuse needs to build and test. Idempotent: installs only
# what is missing. Runs as root, or through sudo when available.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ clang ccache pkg-config
  libeigen3-dev libboost-graph-dev catch2
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libbenchmark-dev
  libclang-rt-14-dev parallel python3 verilator
  # the SystemC level (sim/): Debian's SystemC 2.3.4, built as C++17 (docs/sim.md)
  libsystemc-dev
  # synthesis (rtl/synth, docs/rtl.md): yosys 0.23, OpenSTA (binary `sta`; Debian 12 package
  # opensta), the OSU 0.18 um standard cells (/usr/share/qflow/tech/osu018/osu018_stdcells.lib)
  yosys opensta qflow-tech-osu018
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
