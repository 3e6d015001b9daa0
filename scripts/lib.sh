# shellcheck shell=bash
# Shared helpers for scripts/test and scripts/check. Source it; it defines functions only.

# log prints a tagged line on stderr so that go test's own output stays clean on stdout.
log() {
	printf 'scripts/%s: %s\n' "${0##*/}" "$*" >&2
}

# die logs a message and exits non-zero.
die() {
	log "error: $*"
	exit 1
}

# as_root runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# apt_install installs Debian packages noninteractively. It runs `apt-get update` once per
# script run, and only when it is called at all, so a ready machine never touches the network.
APT_UPDATED=""
apt_install() {
	[ "$#" -gt 0 ] || return 0
	command -v apt-get >/dev/null 2>&1 ||
		die "missing $*; this is not a Debian-like system, install them by hand"
	log "installing with apt-get: $*"
	if [ -z "$APT_UPDATED" ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
		APT_UPDATED=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "$@" </dev/null
}

# repo_root prints the repository root (the parent of this scripts/ folder).
repo_root() {
	cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd
}
