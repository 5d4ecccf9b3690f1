#!/bin/bash
# setup-pychroot.sh - a Debian chroot holding the CPython builds the host
# lacks (3.13, 3.14, 3.15 and their debug builds), so the test suite can
# profile them from the host.  Idempotent; needs root, debootstrap and
# network access to the Debian archive this machine already uses.
#
#   scripts/setup-pychroot.sh            (PYCHROOT=/opt/pychroot by default)
#   PYCHROOT_SUITE=sid PYCHROOT_PYTHONS="3.13 3.14 3.15"
#
# The archive address comes from this machine's apt configuration
# (apt-get indextargets, which covers both sources.list formats); no host is
# written here.
set -euo pipefail

root=${PYCHROOT:-/opt/pychroot}
suite=${PYCHROOT_SUITE:-sid}
pythons=${PYCHROOT_PYTHONS:-"3.13 3.14 3.15"}
stamp=$root/.gilspy-bootstrapped

say() { echo "setup-pychroot: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
case $root in /|/usr|/etc|/opt|/var|/home|/root|"") die "refusing PYCHROOT=$root" ;; esac

archive_url() {
	# Each line of indextargets output names a URI: field of a Packages
	# index; take the first that is not a security or updates archive.
	apt-get indextargets --format '$(URI)' 'Created-By: Packages' 2>/dev/null |
		grep -v -e security -e updates | sed -n 's#/dists/.*##p' | head -n1
}

url=${PYCHROOT_MIRROR:-$(archive_url)}
if [ -z "$url" ]; then
	# indextargets needs `apt-get update` to have run once.
	apt-get update -qq >/dev/null 2>&1 || true
	url=$(archive_url)
fi
[ -n "$url" ] || die "no Debian archive found in the apt configuration"
say "archive $url, suite $suite, into $root"

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	apt-get install -y -qq debootstrap >/dev/null
fi

mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null || true
	done
}
trap cleanup EXIT

# A chroot made earlier (by this script or the team's shared tool) is reused.
if [ ! -e "$stamp" ] && [ -e "$root/.pychroot-bootstrap-done" ]; then
	cp "$root/.pychroot-bootstrap-done" "$stamp"
fi
if [ ! -e "$stamp" ]; then
	rm -rf --one-file-system "$root"
	mkdir -p "$root"
	say "debootstrap (a minute or two)"
	debootstrap --variant=minbase "$suite" "$root" "$url" >/dev/null
	date -u +%FT%TZ >"$stamp"
fi

echo "deb $url $suite main" >"$root/etc/apt/sources.list"
# Follow the host if its archive is a snapshot with expired Release files.
if [ "$(apt-config dump Acquire::Check-Valid-Until | grep -ci false)" != 0 ]; then
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/90gilspy"
fi
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
if ! mountpoint -q "$root/proc"; then
	mount -t proc proc "$root/proc" && mounted+=("$root/proc")
fi

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive "$@"; }

in_root apt-get update -qq
pkgs=()
for v in $pythons; do
	for p in "python$v" "python$v-dbg"; do
		if in_root apt-cache show "$p" >/dev/null 2>&1; then
			pkgs+=("$p")
		else
			say "$p is not in $suite; skipped"
		fi
	done
done
[ ${#pkgs[@]} -gt 0 ] || die "none of python $pythons is in $suite"
in_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
in_root apt-get clean
for b in "$root"/usr/bin/python3.1[0-9]*; do
	[[ $b =~ python3\.[0-9]+d?$ ]] || continue
	say "$(basename "$b"): $(chroot "$root" "${b#"$root"}" -c 'import sys; print(sys.version.split()[0])')"
done
