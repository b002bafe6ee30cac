#!/bin/bash
# `make check-debian13`: the whole `make check` inside a Debian 13 (trixie) root made with
# debootstrap, on a Debian 12 (or any Debian) machine. Needs root, debootstrap and git. The root
# is kept in D13_ROOT (default /var/cache/refclock-bridge-test/debian13) with the packages
# `make deps` installed into it, so later runs skip debootstrap and apt; D13_FRESH=1 makes it
# anew. Each run clones the committed HEAD of this checkout into the root, runs `make check`
# there in private mount, IPC and PID namespaces (nothing mounted leaks out; nothing
# started outlives the run), and ends with its own "debian13: N passed, N failed".
# D13_CMD replaces `make check` (e.g. D13_CMD='make deps check-build && tests/run.sh 24-phc').
set -eu
cd "$(dirname "$0")/.."
REPO=$(pwd)
ROOT=${D13_ROOT:-/var/cache/refclock-bridge-test/debian13}
SUITE=trixie

[ "$(id -u)" = 0 ] || { echo "check-debian13: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
command -v debootstrap >/dev/null || {
  echo "check-debian13: installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
}

# One run at a time per root: apt and the clone live in it.
mkdir -p "$(dirname "$ROOT")"
exec 9> "$ROOT.lock"
flock 9

mirror=$(scripts/debian-root.sh mirror)

if [ -n "${D13_FRESH:-}" ] || [ ! -e "$ROOT/.ready" ]; then
  start=$(date +%s)
  rm -rf "$ROOT" "$ROOT.new"
  echo "check-debian13: debootstrap $SUITE from $mirror into $ROOT"
  debootstrap --variant=minbase --include=make,git,ca-certificates "$SUITE" "$ROOT.new" "$mirror" \
    > "$ROOT.debootstrap.log" 2>&1 || { tail -n 20 "$ROOT.debootstrap.log"; exit 1; }
  echo "deb $mirror $SUITE main" > "$ROOT.new/etc/apt/sources.list"
  # Package scripts inside must never start a service (chronyd or gpsd would run on the host).
  printf '#!/bin/sh\nexit 101\n' > "$ROOT.new/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT.new/usr/sbin/policy-rc.d"
  touch "$ROOT.new/.ready"
  mv "$ROOT.new" "$ROOT"
  echo "check-debian13: root made in $(( $(date +%s) - start )) s"
else
  echo "check-debian13: reusing $ROOT (D13_FRESH=1 makes it anew)"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# A throw-away root: dpkg need not fsync, and nothing reads the packages' documentation.
{ echo force-unsafe-io; printf 'path-exclude=/usr/share/%s/*\n' doc man info locale; } \
  > "$ROOT/etc/dpkg/dpkg.cfg.d/refclock-bridge-ci"

# The clone: committed HEAD, as CI sees it. The peers' material next to the checkout
# (../shared/peers, e.g. statime; scripts/shared-dir.sh) is mounted read-only at ../shared
# beside the clone inside the root.
work=$ROOT/root/ci
rm -rf "$work"
mkdir -p "$work"
git clone -q --no-hardlinks "$REPO" "$work/p"
echo "check-debian13: testing $(git -C "$work/p" log -1 --format='%h %s' | cut -c1-72)"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
  echo "check-debian13: note: uncommitted changes in $REPO are not tested"
shared=$("$REPO/scripts/shared-dir.sh")
[ -n "$shared" ] && mkdir -p "$work/shared"

log=$ROOT.check.log
set +e
unshare --mount --ipc --pid --fork --propagation private bash -c '
  set -e
  R=$1 shared=$2
  # ip netns needs / to be a mount point inside the chroot.
  mount --bind "$R" "$R"
  mount -t proc proc "$R/proc"
  mount --rbind /dev "$R/dev"
  mount -t sysfs sys "$R/sys"
  mount -t tmpfs tmpfs "$R/run"
  mount -t tmpfs tmpfs "$R/tmp"
  mkdir -p "$R/run/netns"
  if [ -n "$shared" ]; then mount --bind "$shared" "$R/root/ci/shared"; mount -o remount,bind,ro "$R/root/ci/shared"; fi
  exec chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 RB_STRICT_SKIPS="$3" FUZZ_TIME="$4" ${5:+FUZZ_SEED=$5} \
    bash -c "cd /root/ci/p && $6"
' check-debian13 "$ROOT" "$shared" "${RB_STRICT_SKIPS:-0}" "${FUZZ_TIME:-120}" "${FUZZ_SEED:-}" \
  "${D13_CMD:-make check}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
rm -rf "$work"

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
echo
echo "debian13: ${summary:-0 passed, 1 failed (make check stopped before its summary; see $log)}"
[ "$rc" -eq 0 ] && [ -n "$summary" ]
