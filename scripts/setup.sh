#!/usr/bin/env bash
# Installs what building and testing VMHI needs, on Debian (bookworm) or a
# derivative.  Installs only what is missing, so running it again is cheap;
# works as root or through sudo.
#
#   scripts/setup.sh            install missing packages
#   scripts/setup.sh --check    only report what is missing (exit 1 if any)
#
# The list below is what the core needs.  A component with needs of its own
# (a backend, its test peers) lists them in scripts/<component>/packages.txt,
# one package per line, '#' starting a comment; those are installed too.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

packages=(
    build-essential     # gcc, g++, make, binutils (nm, readelf)
    cmake
    pkg-config
    libxml2-dev         # config XML codec, RELAX NG validation
    libjson-c-dev       # config JSON codec, QMP
    libcurl4-openssl-dev  # ESX backend (optional; auto-detected)
    check               # unit tests
    doxygen graphviz    # API reference and its warnings test
    abigail-tools       # abidw/abidiff: the ABI baseline test
    python3             # ABI layout check
    git ca-certificates
)

shopt -s nullglob
for list in "$script_dir"/*/packages.txt; do
    while read -r pkg _; do
        [[ -n $pkg && $pkg != \#* ]] && packages+=("$pkg")
    done <"$list"
done
shopt -u nullglob

check_only=0
[[ ${1:-} == --check ]] && check_only=1

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    echo "setup.sh: this is not a Debian-like system (no dpkg/apt-get)." >&2
    echo "Install the equivalents of: ${packages[*]}" >&2
    exit 1
fi

is_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

missing=()
for pkg in $(printf '%s\n' "${packages[@]}" | sort -u); do
    is_installed "$pkg" || missing+=("$pkg")
done

if (( ${#missing[@]} == 0 )); then
    echo "setup.sh: all build and test dependencies are installed"
    exit 0
fi
echo "setup.sh: missing: ${missing[*]}"
(( check_only )) && exit 1

if (( EUID == 0 )); then
    as_root=()
elif command -v sudo >/dev/null; then
    as_root=(sudo)
else
    echo "setup.sh: run as root or install sudo to install: ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup.sh: installed ${missing[*]}"
