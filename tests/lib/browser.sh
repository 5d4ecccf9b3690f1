# browser.sh - what the headless-Chromium tests need (sourced after
# common.sh): chromium, nodejs/npm and tests/browser/node_modules (from
# package-lock.json), installed on a fresh Debian machine when run as root.
# A missing piece that cannot be installed skips the test; a failed npm ci
# fails it.
#
#   browser_setup FILE...   FILEs (under node_modules/) that must exist
#                           after npm ci

browser_need_apt() {
	if [ "$(id -u)" != 0 ]; then
		skip "$1 is missing and installing it needs root"
		done_testing
		exit 0
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; }
}

browser_setup() {
	local dir=$TOP/tests/browser f
	[ -x /usr/bin/chromium ] || browser_need_apt chromium
	command -v node >/dev/null && command -v npm >/dev/null ||
		browser_need_apt nodejs npm
	for f in "$@"; do
		[ -e "$dir/node_modules/$f" ] && continue
		(cd "$dir" && npm ci --no-audit --no-fund >&2) ||
			{ ok 1 "npm ci in tests/browser"; done_testing; exit 1; }
		break
	done
}
