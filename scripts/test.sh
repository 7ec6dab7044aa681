#!/usr/bin/env bash
# scripts/test.sh — the test command of gongkai (`make test` runs it; so does CI).
#
# On a fresh Debian 12 machine it installs what the tests need (Dovecot,
# Chromium, CJK fonts), starts a private Dovecot on 127.0.0.1, runs `go vet`,
# `gofmt -l` and `go test` (with -race where affordable), stops Dovecot and
# exits with the tests' status. Tests that need a server fail rather than skip here
# (GONGKAI_TEST_REQUIRE_SERVERS=1).
#
# Usage:
#   scripts/test.sh                      vet + test every package
#   scripts/test.sh [--only] PKG...      vet + test only these packages
#   scripts/test.sh --exec CMD [ARG...]  start the servers, run CMD with the test
#                                        environment, e.g.
#                                        scripts/test.sh --exec go test -v -run TestX ./web
#
# Environment knobs:
#   RACE_SKIP            packages tested without -race (space separated import
#                        paths, e.g. "gongkai/report"); default: none
#   GO_TEST_TIMEOUT      go test -timeout (default 20m)
#   GO_TEST_FLAGS        extra go test flags (e.g. "-v -run TestFoo")
#   GONGKAI_TEST_IMAP_PORT  first port to try for Dovecot (default 10143)
#   GONGKAI_TEST_KEEP=1  keep the Dovecot directory (config, log) after the run
#   GONGKAI_TEST_NO_INSTALL=1  never call apt-get; fail if something is missing
set -euo pipefail

RACE_SKIP=${RACE_SKIP:-}
GO_TEST_TIMEOUT=${GO_TEST_TIMEOUT:-20m}
GO_TEST_FLAGS=${GO_TEST_FLAGS:-}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
# shellcheck source=scripts/dovecot.sh
source "$here/dovecot.sh"

started=$(date +%s)
log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf '==> make test: FAIL — %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------- arguments
mode=test
pkgs=()
exec_cmd=()
while [ $# -gt 0 ]; do
	case $1 in
	--only) shift ;;
	--exec)
		shift
		mode=exec
		exec_cmd=("$@")
		[ ${#exec_cmd[@]} -gt 0 ] || die "--exec needs a command"
		break
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	-*) die "unknown option $1 (see --help)" ;;
	*)
		pkgs+=("$1")
		shift
		;;
	esac
done

# ------------------------------------------------------------- dependencies
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "need root (or sudo) to run: $*" >&2
		return 1
	fi
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt_get ARGS...: apt-get, waiting (up to ~10 minutes) for a dpkg/apt lock
# held by another install instead of failing on it.
apt_get() {
	local out tries
	out=$(mktemp)
	for ((tries = 0; tries < 120; tries++)); do
		if as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
			-o DPkg::Lock::Timeout=60 "$@" >"$out" 2>&1; then
			rm -f "$out"
			return 0
		fi
		if grep -qiE 'could not get lock|unable to lock|lock-frontend|is another process using it' "$out"; then
			[ $((tries % 6)) -eq 0 ] && log "apt/dpkg is locked by another install; waiting"
			sleep 5
			continue
		fi
		tail -n 30 "$out" >&2
		rm -f "$out"
		return 1
	done
	tail -n 30 "$out" >&2
	rm -f "$out"
	return 1
}

ensure_packages() {
	local need=() p
	command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || PATH=$PATH:/usr/local/go/bin
	command -v go >/dev/null 2>&1 || die "go is not on PATH (install Go ≥ 1.26 first)"
	if command -v dpkg-query >/dev/null 2>&1; then
		for p in dovecot-core dovecot-imapd chromium fonts-noto-cjk; do
			installed "$p" || need+=("$p")
		done
		# -race and mattn/go-sqlite3 need cgo.
		command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
	fi
	if [ ${#need[@]} -gt 0 ]; then
		[ "${GONGKAI_TEST_NO_INSTALL:-0}" != 1 ] || die "missing packages: ${need[*]}"
		command -v apt-get >/dev/null 2>&1 || die "missing packages and no apt-get: ${need[*]}"
		log "installing ${need[*]}"
		apt_get update || die "apt-get update failed"
		apt_get install --no-install-recommends "${need[@]}" || die "apt-get install failed"
	fi
	command -v dovecot >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v dovecot >/dev/null 2>&1 || die "dovecot not found after install"
}

find_chromium() {
	local c
	for c in "${GONGKAI_TEST_CHROMIUM:-}" /usr/bin/chromium "$(command -v chromium 2>/dev/null)" \
		"$(command -v chromium-browser 2>/dev/null)" "$(command -v google-chrome 2>/dev/null)"; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

# ------------------------------------------------------------------ servers
cleanup() {
	local rc=$?
	dovecot_stop
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_packages
setup_start=$(date +%s.%N)
dovecot_start || die "could not start Dovecot"
chromium=$(find_chromium) || die "chromium not found"
setup_secs=$(awk -v a="$setup_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
log "dovecot on 127.0.0.1:$DOVECOT_PORT (dir $DOVECOT_DIR), up in ${setup_secs}s; chromium $chromium"

export GONGKAI_TEST_IMAP_ADDR="127.0.0.1:$DOVECOT_PORT"
export GONGKAI_TEST_IMAP_USER="$DOVECOT_USER"
export GONGKAI_TEST_IMAP_PASSWORD="$DOVECOT_PASSWORD"
export GONGKAI_TEST_CHROMIUM="$chromium"
export GONGKAI_TEST_REQUIRE_SERVERS=1

if [ "$mode" = exec ]; then
	set +e
	"${exec_cmd[@]}"
	rc=$?
	set -e
	exit $rc
fi

# -------------------------------------------------------------------- tests
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
mapfile -t all < <(go list -e "${pkgs[@]}")
[ ${#all[@]} -gt 0 ] || die "no packages match ${pkgs[*]}"

race=()
plain=()
for p in "${all[@]}"; do
	if [[ " $RACE_SKIP " == *" $p "* ]]; then
		plain+=("$p")
	else
		race+=("$p")
	fi
done

status=0
vet=ok
tests=ok
log "go vet ${pkgs[*]}"
if ! go vet "${pkgs[@]}"; then
	vet=FAIL
	status=1
fi
# gofmt over our own files (third_party keeps its upstream formatting).
unformatted=$(git ls-files '*.go' 2>/dev/null | grep -v '^third_party/' | xargs -r gofmt -l)
if [ -n "$unformatted" ]; then
	printf 'gofmt -l: not formatted:\n%s\n' "$unformatted" >&2
	vet=FAIL
	status=1
fi

# shellcheck disable=SC2086 # GO_TEST_FLAGS is a list of flags.
if [ ${#race[@]} -gt 0 ]; then
	log "go test -race (${#race[@]} packages)"
	if ! go test -race -count=1 -timeout "$GO_TEST_TIMEOUT" $GO_TEST_FLAGS "${race[@]}"; then
		tests=FAIL
		status=1
	fi
fi
# shellcheck disable=SC2086
if [ ${#plain[@]} -gt 0 ]; then
	log "go test without -race: ${plain[*]}"
	if ! go test -count=1 -timeout "$GO_TEST_TIMEOUT" $GO_TEST_FLAGS "${plain[@]}"; then
		tests=FAIL
		status=1
	fi
fi

# The patched dependencies (third_party/PATCHES.md) are modules of their
# own, outside ./...: their tests, the patch's included, run here.
if [ -z "$GO_TEST_FLAGS" ]; then
	for m in third_party/*/go.mod; do
		d=$(dirname "$m")
		log "go test ($d)"
		if ! (cd "$d" && go vet . && go test -race -count=1 ./...); then
			tests=FAIL
			status=1
		fi
	done
fi

elapsed=$(($(date +%s) - started))
if [ $status -eq 0 ]; then
	printf '==> make test: PASS (vet %s, tests %s; %d packages, %ds)\n' "$vet" "$tests" "${#all[@]}" "$elapsed" >&2
else
	printf '==> make test: FAIL (vet %s, tests %s; %d packages, %ds)\n' "$vet" "$tests" "${#all[@]}" "$elapsed" >&2
fi
exit $status
