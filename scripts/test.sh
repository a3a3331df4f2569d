#!/usr/bin/env bash
# Runs the relay's whole test suite the way CI does: installs redis-server
# when it is missing (the store and end-to-end tests start their own), then
# checks gofmt, runs go vet and the race-enabled tests, end-to-end suites
# included.
#
# Usage: bash scripts/test.sh [go test flags] [./package/...]
# Arguments that start with "./" replace the default package pattern ./...;
# every other argument is passed to go test (for example -run, -v, -timeout).
# Benchmarks and fuzzing stay out: neither -bench nor -fuzz is set here.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly apt_attempts=3
readonly apt_pause_seconds=10

log() {
	printf 'test.sh: %s\n' "$*" >&2
}

# as_root runs a command as root, through sudo only when this shell is not root.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "need root to run '$*' but sudo is not installed; install redis-server yourself and run again"
		return 1
	fi
}

# retry runs a command up to apt_attempts times, pausing between attempts,
# because package mirrors fail transiently.
retry() {
	local attempt
	for attempt in $(seq 1 "$apt_attempts"); do
		if "$@"; then
			return 0
		fi
		if [ "$attempt" -lt "$apt_attempts" ]; then
			log "'$*' failed (attempt $attempt of $apt_attempts), retrying in ${apt_pause_seconds}s"
			sleep "$apt_pause_seconds"
		fi
	done
	log "'$*' failed $apt_attempts times"
	return 1
}

install_redis() {
	if command -v redis-server >/dev/null 2>&1; then
		log "redis-server found at $(command -v redis-server)"
		return 0
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		log "redis-server is missing and apt-get is not available; install redis-server (version 6 or later) and run again"
		return 1
	fi

	log "redis-server is missing, installing it with apt-get"
	retry as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	retry as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server

	if ! command -v redis-server >/dev/null 2>&1; then
		log "apt-get reported success but redis-server is still not on PATH ($PATH)"
		return 1
	fi
	log "installed $(redis-server --version)"
}

check_go() {
	if ! command -v go >/dev/null 2>&1; then
		if [ -x /usr/local/go/bin/go ]; then
			PATH="/usr/local/go/bin:$PATH"
			export PATH
		else
			log "go is not on PATH; install Go $(sed -n 's/^go //p' go.mod) or later (https://go.dev/doc/install) and run again"
			return 1
		fi
	fi
	log "using $(go version)"
}

main() {
	local packages=()
	local flags=()
	local arg
	for arg in "$@"; do
		case "$arg" in
		./*) packages+=("$arg") ;;
		*) flags+=("$arg") ;;
		esac
	done
	if [ "${#packages[@]}" -eq 0 ]; then
		packages=(./...)
	fi

	install_redis
	check_go

	log "gofmt -l ."
	unformatted=$(gofmt -l .)
	if [[ -n "$unformatted" ]]; then
		echo "test.sh: these files need gofmt -w:" >&2
		echo "$unformatted" >&2
		exit 1
	fi

	log "go vet ${packages[*]}"
	go vet "${packages[@]}"

	# The timeout applies to each test binary and replaces go test's default of
	# 10 minutes. NOTE: 20 minutes is an estimate of what the end-to-end suites
	# need under -race on a two-core machine, not a measurement.
	log "go test -race -count=1 ${packages[*]} ${flags[*]:-}"
	go test -race -count=1 -timeout 20m "${packages[@]}" "${flags[@]}"
}

main "$@"
