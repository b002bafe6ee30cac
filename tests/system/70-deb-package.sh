#!/bin/bash
# The Debian package: `make deb` builds it, lintian finds no error or warning, and it installs
# with apt into a clean Debian root of the running release (debootstrap minbase plus the
# package's dependencies and recommendations from the mirror; cached, overlay-mounted per run):
# `--version` says the changelog's version, `--check-config` accepts the installed
# /etc/refclock-bridge.conf and every shipped example bridge configuration, the user and group
# _refclock-bridge exist, the unit is enabled and names /usr/sbin/refclock-bridge, and the
# sysusers, tmpfiles, udev and polkit files are in place. An upgrade keeps an edited
# /etc/refclock-bridge.conf. Purge removes the package's files, the conffile and what the service
# wrote, keeps the user (Debian practice), and leaves every other path of the root as it was.
# rb: runs no bridge
# Mounts (the overlay, /proc) live in a private mount namespace: nothing outlives the test.
if [ -z "${RB70_NS:-}" ] && [ "$(id -u)" = 0 ]; then
  exec unshare --mount --propagation private env RB70_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
# After lib.sh, which is not written for errexit.
set -euo pipefail
REPO=$(cd "$HERE/../.." && pwd)
R=$T/root
# The root's mounts go before lib.sh's cleanup removes $T.
trap 'umount -R "$R" 2>/dev/null || true; cleanup' EXIT

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mounts)"
for c in debootstrap dpkg-buildpackage lintian; do
  command -v "$c" >/dev/null || skip "$c is not installed (make deps)"
done

CODENAME=$(. /etc/os-release && echo "$VERSION_CODENAME")

# Package scripts run without CAP_SYS_TIME.
in_root() { $NOTIME chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
apt_() { in_root apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }

# mount_root: the cached root (scripts/debian-root.sh: minbase of the running release with the
# package's dependencies from the mirror, made once) under a throw-away overlay at $R, with /proc.
mount_root() {
  mkdir -p "$T/upper" "$T/work" "$R"
  mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$T/upper,workdir=$T/work" "$R"
  mount -t proc proc "$R/proc"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
}

# snapshot FILE: every path of the root (type and owner too), and the contents of /etc, but
# the bookkeeping of dpkg and apt, logs and caches, which every install changes; the account
# files, which keep the system user; /proc.
snapshot() {
  (cd "$R" && find . -xdev \( -path ./proc -o -path ./var/lib/dpkg -o -path ./var/lib/apt \
      -o -path ./var/cache -o -path ./var/log -o -path ./tmp -o -path ./run/lock \) -prune \
      -o -printf '%y %U:%G %m %p\n' \
    | grep -vE ' \./etc/(passwd|group|shadow|gshadow)-?$' | LC_ALL=C sort
   find etc -xdev -type f ! -regex 'etc/\(passwd\|group\|shadow\|gshadow\)-?' ! -name resolv.conf \
     ! -name ld.so.cache -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$1"
}

# --- the package
start=$SECONDS
make -s -C "$REPO" deb > "$T/make-deb.log" 2>&1 || { cat "$T/make-deb.log"; fail "make deb"; }
debs=("$REPO"/build/deb/refclock-bridge_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb in build/deb: ${debs[*]}"
DEB=${debs[0]}
VERSION=$(dpkg-deb -f "$DEB" Version)
note "make deb: $(basename "$DEB"), $(stat -c %s "$DEB") bytes ($((SECONDS - start)) s)"

start=$SECONDS
lintian --fail-on error,warning "$REPO"/build/deb/refclock-bridge_"${VERSION}"_*.changes > "$T/lintian.log" 2>&1 \
  || { cat "$T/lintian.log"; fail "lintian"; }
note "lintian: no errors or warnings ($((SECONDS - start)) s)"
sed 's/^/    /' "$T/lintian.log"

# The libgps the binary dlopens is the one the package recommends.
soname=$(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/sbin/refclock-bridge \
  | strings | grep -oE 'libgps\.so\.[0-9]+' | sort -u) || fail "no libgps soname in the binary"
recommends=$(dpkg-deb -f "$DEB" Recommends)
libpkg=$(dpkg-query -S "$(pkg-config --variable=libdir libgps)/$soname" | sed 's/[:,].*//')
[[ ", $recommends," == *", $libpkg "* ]] || fail "dlopens $soname ($libpkg), recommends: $recommends"
note "dlopens $soname: Recommends $recommends"

# --- the clean root
start=$SECONDS
deps="$(dpkg-deb -f "$DEB" Depends), $recommends"
BASE=$("$REPO/scripts/debian-root.sh" root "$CODENAME" "$deps") || fail "no $CODENAME root with $deps"
mount_root
note "root ready ($((SECONDS - start)) s)"
snapshot "$T/before"

start=$SECONDS
cp "$DEB" "$R/tmp/"
if ! apt_ install "/tmp/$(basename "$DEB")" > "$T/apt.log" 2>&1; then
  # The cached lists may be older than the mirror.
  apt_ update >> "$T/apt.log" 2>&1
  apt_ install "/tmp/$(basename "$DEB")" >> "$T/apt.log" 2>&1 || { tail -n 30 "$T/apt.log"; fail "apt-get install"; }
fi
grep -E '^(Setting up|Unpacking|Get:)' "$T/apt.log" | sed 's/^/    /'
grep -q "^Setting up refclock-bridge ($VERSION)" "$T/apt.log" || fail "refclock-bridge was not set up"
note "apt-get install ./$(basename "$DEB") ($((SECONDS - start)) s)"

# --- the installed package
out=$(in_root refclock-bridge --version)
[ "$out" = "refclock-bridge $VERSION" ] || fail "--version: $out"
note "$out"
in_root refclock-bridge --check-config -c /etc/refclock-bridge.conf || fail "default configuration rejected"
cmp -s "$R/etc/refclock-bridge.conf" "$REPO/examples/refclock-bridge.default.conf" \
  || fail "/etc/refclock-bridge.conf is not examples/refclock-bridge.default.conf"
EX=/usr/share/doc/refclock-bridge/examples
n=0
while read -r f; do
  in_root refclock-bridge --check-config -c "$f" || fail "shipped example $f rejected"
  n=$((n + 1))
done < <(cd "$R" && find ".$EX" -type f \( -name 'refclock-bridge*.conf' -o -path '*/*/refclock-bridge.conf' \) \
  | sed 's|^\.||' | LC_ALL=C sort)
# Every example that is in the tree is shipped.
n_tree=$(cd "$REPO/examples" && find . -type f \( -name 'refclock-bridge*.conf' -o -path '*/*/refclock-bridge.conf' \) | wc -l)
[ "$n" -ge 2 ] && [ "$n" -eq "$n_tree" ] || fail "$n example configurations checked, $n_tree in examples/"
note "--check-config accepts /etc/refclock-bridge.conf and all $n example configurations"

in_root getent passwd _refclock-bridge > /dev/null || fail "no user _refclock-bridge"
in_root getent group _refclock-bridge > /dev/null || fail "no group _refclock-bridge"
note "user: $(in_root getent passwd _refclock-bridge); group: $(in_root getent group _refclock-bridge)"
for f in /usr/sbin/refclock-bridge /usr/lib/systemd/system/refclock-bridge.service \
    /usr/lib/sysusers.d/refclock-bridge.conf /usr/lib/tmpfiles.d/refclock-bridge.conf \
    /usr/lib/udev/rules.d/60-refclock-bridge.rules /usr/share/polkit-1/rules.d/60-refclock-bridge.rules \
    /usr/share/refclock-bridge/grafana/refclock-bridge.json \
    /usr/share/man/man8/refclock-bridge.8.gz /usr/share/man/man5/refclock-bridge.conf.5.gz; do
  [ -f "$R$f" ] || fail "$f is not installed"
done
grep -q '^ExecStart=/usr/sbin/refclock-bridge ' "$R/usr/lib/systemd/system/refclock-bridge.service" \
  || fail "the unit does not run /usr/sbin/refclock-bridge"
[ -L "$R/etc/systemd/system/multi-user.target.wants/refclock-bridge.service" ] || fail "the unit is not enabled"
[ "$(in_root dpkg-query -W -f='${Conffiles}' refclock-bridge | awk '{print $1}')" = /etc/refclock-bridge.conf ] \
  || fail "/etc/refclock-bridge.conf is not the conffile"
note "binary, unit (enabled), sysusers, tmpfiles, udev, polkit, dashboard and man pages in place"

# --- upgrade: the same package at a higher version (repacked: dpkg's conffile handling is
# what is tested, not the compiler) keeps an edited configuration.
sed -i 's/^log_level = info/log_level = debug ; edited by the admin/' "$R/etc/refclock-bridge.conf"
dpkg-deb -R "$DEB" "$T/repack"
sed -i "s/^Version: .*/Version: $VERSION+1/" "$T/repack/DEBIAN/control"
dpkg-deb -b "$T/repack" "$R/tmp/refclock-bridge_$VERSION+1.deb" > /dev/null
apt_ install "/tmp/refclock-bridge_$VERSION+1.deb" > "$T/apt-upgrade.log" 2>&1 \
  || { tail -n 30 "$T/apt-upgrade.log"; fail "upgrade"; }
grep -q "^Unpacking refclock-bridge ($VERSION+1) over ($VERSION)" "$T/apt-upgrade.log" || fail "no upgrade"
grep -q '^log_level = debug ; edited by the admin' "$R/etc/refclock-bridge.conf" \
  || fail "the upgrade lost the edited configuration"
[ -z "$(find "$R/etc" -name 'refclock-bridge.conf.dpkg-*')" ] || fail "the upgrade left .dpkg-* files"
note "upgrade to $VERSION+1 kept the edited /etc/refclock-bridge.conf"

# --- purge: what the service wrote goes too (state, runtime directory, metrics), and with the
# package's files nothing else changes; the system user stays.
mkdir -p "$R/var/lib/refclock-bridge" "$R/run/refclock-bridge" "$R/var/lib/prometheus/node-exporter"
touch "$R/var/lib/refclock-bridge/state" "$R/run/refclock-bridge/status.sock" \
  "$R/var/lib/prometheus/node-exporter/refclock-bridge.prom"
in_root chown -R _refclock-bridge:_refclock-bridge /var/lib/refclock-bridge /run/refclock-bridge
apt_ purge refclock-bridge > "$T/apt-purge.log" 2>&1 || { tail -n 30 "$T/apt-purge.log"; fail "purge"; }
for f in /etc/refclock-bridge.conf /var/lib/refclock-bridge /run/refclock-bridge \
    /var/lib/prometheus/node-exporter/refclock-bridge.prom /usr/sbin/refclock-bridge; do
  [ ! -e "$R$f" ] || fail "$f is still there after purge"
done
in_root getent passwd _refclock-bridge > /dev/null || fail "purge removed the system user"
[ -z "$(ls "$R"/var/lib/dpkg/info/refclock-bridge.* 2>/dev/null)" ] || fail "dpkg still knows the package"
# The node_exporter directory was made by this test, not the package.
rmdir "$R/var/lib/prometheus/node-exporter" "$R/var/lib/prometheus"
snapshot "$T/after"
diff -u "$T/before" "$T/after" > "$T/purge.diff" \
  || { cat "$T/purge.diff"; fail "purge left the root different from before the install (- before, + after)"; }
note "purge: conffile, state and runtime files gone, user kept, the rest of the root as before"
echo "PASS"
