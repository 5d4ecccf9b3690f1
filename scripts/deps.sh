#!/bin/sh
# deps.sh - make sure the build dependencies are installed.
# Installs the missing Debian packages when run as root; otherwise says
# which ones to install and fails.
set -eu
need=""
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
if command -v pkg-config >/dev/null 2>&1; then
	pkg-config --exists libelf    || need="$need libelf-dev"
	pkg-config --exists libunwind || need="$need libunwind-dev"
	pkg-config --exists zlib      || need="$need zlib1g-dev"
	pkg-config --exists ncursesw  || need="$need libncurses-dev"
	pkg-config --exists libprotobuf-c || need="$need libprotobuf-c-dev"
else
	need="$need libelf-dev libunwind-dev zlib1g-dev libncurses-dev"
	need="$need libprotobuf-c-dev"
fi
command -v protoc-c >/dev/null 2>&1 || need="$need protobuf-c-compiler"
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "gilspy: missing build dependencies:$need" >&2
	echo "gilspy: install them with: sudo apt-get install$need" >&2
	exit 1
fi
echo "gilspy: installing build dependencies:$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $need >/dev/null
