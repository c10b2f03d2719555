#!/usr/bin/env bash
# Create, once, the Debian forky root in which scripts/bazel runs Bazel 7.7.1.
#
# Bazel 7.7.1 (Debian's bazel-bootstrap) needs a newer glibc/libstdc++ than this
# machine's Debian bookworm has, so it lives in a debootstrapped forky root that
# scripts/bazel enters with bubblewrap (see shared/notes/bazel-env.md).
#
# Usage: scripts/bazel-env.sh          # create the root if it is not there yet
#
# Environment:
#   WHEELHOUSE_BAZEL_ROOT     where the root lives
#                             (default: $HOME/.cache/rules_wheelhouse/forky-root)
#   WHEELHOUSE_DEBIAN_MIRROR  Debian mirror URI (default: the first URI of this
#                             machine's apt sources that serves the main archive)
#   WHEELHOUSE_BAZEL_KEEP_FAILED=1  keep the temporary root of a failed run (debugging)
#
# Idempotent and cached: a root that is complete (its stamp file lists the same
# packages) is left alone and the script exits at once. Atomic: the root is built
# in a temporary sibling directory and renamed into place only when complete, so
# an interrupted run leaves no half root behind. Concurrent runs serialise on a
# lock file next to the root. Needs root privileges (debootstrap, bwrap mounts).
set -Eeuo pipefail

ROOT=${WHEELHOUSE_BAZEL_ROOT:-$HOME/.cache/rules_wheelhouse/forky-root}
SUITE=forky
# Bumping STAMP_VERSION or changing PACKAGES makes an existing root pick up the
# difference (packages are added in place with apt-get; nothing is removed).
STAMP_VERSION=2
PACKAGES=(
  bazel-bootstrap # Bazel 7.7.1 (+ OpenJDK) from Debian
  bubblewrap      # the core's build sandbox, nested inside Bazel's
  python3 python3-venv
  python3-dev # headers for the C extensions the e2e builds
  libyaml-dev # pyyaml's C extension
  patch       # py_wheel_dep(patches = ...)
  faketime    # wheel_repro_test: the second build runs on a shifted clock
  binutils gcc g++ make
  util-linux # unshare, for namespaces inside actions
  nginx      # HTTP remote cache (dav_methods PUT)
  ca-certificates
  zip unzip  # Bazel's zipper/unzip fallbacks for some rules
  buildbox   # buildbox-worker + buildbox-run-hosttools: the remote-execution bot (scripts/buildgrid)
)
STAMP_FILE=.wheelhouse-bazel-root

STEP="start"
START_TIME=$(date +%s)
log() { printf 'bazel-env: %s\n' "$*" >&2; }
step() {
  STEP=$1
  log "[$(($(date +%s) - START_TIME))s] $1"
}
die() {
  printf 'bazel-env: error: %s\n' "$*" >&2
  exit 1
}
on_err() {
  local rc=$?
  # With errtrace a failing $(...) runs this in the subshell too: report once.
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc"
  printf 'bazel-env: error: step "%s" failed (exit %d)\n' "$STEP" "$rc" >&2
  exit "$rc"
}
trap on_err ERR

stamp_text() {
  printf 'version=%s\nsuite=%s\npackages=%s\n' "$STAMP_VERSION" "$SUITE" "${PACKAGES[*]}"
}

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and bwrap mounts need it)"

# Fast path: nothing to do (no lock, no apt).
if [ -f "$ROOT/$STAMP_FILE" ] && [ "$(cat "$ROOT/$STAMP_FILE")" = "$(stamp_text)" ]; then
  exit 0
fi

# --- host tools -------------------------------------------------------------
step "host tools: debootstrap, bubblewrap"
need=()
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v flock >/dev/null 2>&1 || need+=(util-linux)
if ((${#need[@]})); then
  log "installing on the host: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
SID_SCRIPT=/usr/share/debootstrap/scripts/sid
[ -f "$SID_SCRIPT" ] || die "debootstrap script $SID_SCRIPT not found"

# --- mirror -----------------------------------------------------------------
step "mirror: read from apt sources"
find_mirror() {
  local f uri
  # deb822 sources: the first "URIs:" of a stanza whose Suites are not -security.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '
      BEGIN { IGNORECASE = 1 }
      /^[[:space:]]*$/ { if (u != "" && s !~ /-security/) { print u; exit } u = ""; s = ""; next }
      /^URIs:/   { u = $2 }
      /^Suites:/ { $1 = ""; s = $0 }
      END { if (u != "" && s !~ /-security/) print u }
    ' "$f" | head -n1)
    if [ -n "$uri" ]; then
      printf '%s\n' "$uri"
      return 0
    fi
  done
  # one-line sources: "deb [opts] URI suite components".
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1 == "deb" {
      for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) break
      if ($(i + 1) !~ /-security/) { print $i; exit }
    }' "$f")
    if [ -n "$uri" ]; then
      printf '%s\n' "$uri"
      return 0
    fi
  done
  return 1
}
MIRROR=${WHEELHOUSE_DEBIAN_MIRROR:-}
if [ -z "$MIRROR" ]; then
  MIRROR=$(find_mirror) || die "no Debian mirror URI found in /etc/apt/sources*; set WHEELHOUSE_DEBIAN_MIRROR"
fi
log "mirror: $MIRROR"

# --- lock -------------------------------------------------------------------
step "lock: $ROOT.lock"
PARENT=$(dirname "$ROOT")
mkdir -p "$PARENT"
exec 9>"$ROOT.lock"
flock 9
# Another run may have finished while we waited.
if [ -f "$ROOT/$STAMP_FILE" ] && [ "$(cat "$ROOT/$STAMP_FILE")" = "$(stamp_text)" ]; then
  log "root ready (built by a concurrent run): $ROOT"
  exit 0
fi

# Run a command inside a root, as the notes say: pivot_root via bwrap (not
# chroot), host /proc bound (bwrap's own --proc fails here), fixed environment.
in_root() {
  local r=$1 home
  shift
  # HOME inside the root: uid 0's home in the root's own passwd file.
  home=$(awk -F: '$3 == 0 { print $6; exit }' "$r/etc/passwd")
  bwrap --bind "$r" / --bind /proc /proc --dev-bind /dev /dev --ro-bind /sys /sys \
    --ro-bind /etc/resolv.conf /etc/resolv.conf --chdir / \
    /usr/bin/env -i "HOME=${home:-/}" PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

configure_root() {
  local r=$1
  # No service may start inside the root while packages are installed (nginx!).
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
  chmod 0755 "$r/usr/sbin/policy-rc.d"
  # The mirror's testing-suite Release file is past its Valid-Until date.
  printf 'Acquire::Check-Valid-Until "false";\n' >"$r/etc/apt/apt.conf.d/99wheelhouse-no-valid-until"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$r/etc/apt/apt.conf.d/99wheelhouse-no-recommends"
}

install_packages() {
  local r=$1
  step "apt-get update in the root"
  in_root "$r" apt-get -q -o Acquire::Check-Valid-Until=false update >/dev/null
  step "apt-get install in the root: ${PACKAGES[*]}"
  in_root "$r" apt-get install -y -q -o Acquire::Check-Valid-Until=false \
    -o Dpkg::Use-Pty=0 "${PACKAGES[@]}" >"$r/var/log/wheelhouse-apt-install.log" 2>&1 ||
    {
      tail -n 20 "$r/var/log/wheelhouse-apt-install.log" >&2
      false
    }
  step "apt-get clean in the root"
  in_root "$r" apt-get clean
}

verify_root() {
  local r=$1 v
  step "verify: bazel --version in the root"
  # (`bazel version` says "Version information not available" in Debian's build;
  # the client's --version has it.)
  v=$(in_root "$r" bazel --version 2>&1) || {
    printf '%s\n' "$v" >&2
    false
  }
  case $v in
  "bazel 7."*) log "$v" ;;
  *) die "step \"$STEP\": expected bazel 7.x in the root, got: $v" ;;
  esac
}

if [ -d "$ROOT" ]; then
  # A root from an earlier run with another package list: top it up in place.
  [ -f "$ROOT/$STAMP_FILE" ] ||
    die "$ROOT exists but is not a root made by this script (no $STAMP_FILE); remove it and re-run"
  log "updating existing root: $ROOT"
  configure_root "$ROOT"
  install_packages "$ROOT"
  verify_root "$ROOT"
  stamp_text >"$ROOT/$STAMP_FILE"
  log "root ready in $(($(date +%s) - START_TIME))s: $ROOT"
  exit 0
fi

# --- build a fresh root in a temp dir, then rename ---------------------------
TMP_ROOT=$(mktemp -d "$ROOT.tmp.XXXXXX")
cleanup() {
  [ -n "${TMP_ROOT:-}" ] && [ -d "$TMP_ROOT" ] || return 0
  if [ "${WHEELHOUSE_BAZEL_KEEP_FAILED:-}" = 1 ]; then
    log "kept the unfinished root for debugging: $TMP_ROOT"
    return 0
  fi
  # debootstrap mounts proc/sys inside its target; unmount before deleting.
  local m
  { awk '{print $2}' /proc/mounts | grep -F "$TMP_ROOT/" || true; } | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$TMP_ROOT"
  rm -f "$ROOT.debootstrap.log"
}
interrupted() {
  printf 'bazel-env: error: interrupted during step "%s"; removing the unfinished root\n' "$STEP" >&2
  exit "$1"
}
trap cleanup EXIT
trap 'interrupted 130' INT
trap 'interrupted 143' TERM
# Earlier interrupted runs (killed hard) may have left temp dirs: remove them
# (we hold the lock, so none of them is in use).
for old in "$ROOT".tmp.*; do
  [ "$old" = "$TMP_ROOT" ] || [ ! -d "$old" ] || TMP_ROOT=$old cleanup
done
chmod 0755 "$TMP_ROOT"

step "debootstrap $SUITE (minbase) into $TMP_ROOT"
debootstrap --variant=minbase "$SUITE" "$TMP_ROOT" "$MIRROR" "$SID_SCRIPT" \
  >"$ROOT.debootstrap.log" 2>&1 || {
  tail -n 20 "$ROOT.debootstrap.log" >&2
  rm -f "$ROOT.debootstrap.log"
  false
}
rm -f "$ROOT.debootstrap.log"

step "configure the root (policy-rc.d, apt options)"
configure_root "$TMP_ROOT"
install_packages "$TMP_ROOT"
verify_root "$TMP_ROOT"
stamp_text >"$TMP_ROOT/$STAMP_FILE"

step "rename $TMP_ROOT -> $ROOT"
mv -T "$TMP_ROOT" "$ROOT"
TMP_ROOT=
log "root ready in $(($(date +%s) - START_TIME))s: $ROOT ($(du -sh --one-file-system "$ROOT" | cut -f1))"
