#!/bin/bash
# The container image (`make image`, scripts/make-image.sh): built from `make deb` into a private
# podman storage under $T (vfs driver), its config has the ENTRYPOINT, CMD and OCI labels, its
# OCI archive is one, and it holds no apt lists, caches or documentation but the copyright files
# and the examples. Containers cannot run here, so the image is mounted (`podman image mount`,
# bound read-only) and its binary run from it in a chroot with CAP_SYS_TIME dropped:
# `--version` says the package's version, `--check-config` accepts the default configuration and
# the OpenShift example as installed in the image. Prints the image's size. The Debian root
# behind the image is cached (scripts/debian-root.sh, in /var/cache/refclock-bridge-test).
# rb: runs no bridge
# Mounts live in a private mount namespace: nothing outlives the test.
if [ -z "${RB73_NS:-}" ] && [ "$(id -u)" = 0 ]; then
  exec unshare --mount --propagation private env RB73_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
# After lib.sh, which is not written for errexit.
set -euo pipefail
REPO=$(cd "$HERE/../.." && pwd)
RO=$T/ro
# podman 5 (Debian 13) warns at every call on a cgroup v1 host; nothing here uses cgroups.
export PODMAN_IGNORE_CGROUPSV1_WARNING=1
P=(podman --root "$T/podman" --runroot "$T/podman.run" --storage-driver vfs
  --tmpdir "$T/podman.run/libpod" --events-backend none)
IMG=""

# The image is unmounted and the storage removed before lib.sh's cleanup removes $T.
teardown() {
  umount -R "$RO" 2>/dev/null || true
  [ -z "$IMG" ] || "${P[@]}" image unmount -a >/dev/null 2>&1 || true
  rm -rf "$T/podman" "$T/podman.run"
  cleanup
}
trap teardown EXIT

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mounts)"
for c in debootstrap dpkg-buildpackage podman setpriv; do
  command -v "$c" >/dev/null || skip "$c is not installed (make deps)"
done

# in_image CMD...: CMD from the mounted image, in a chroot, without CAP_SYS_TIME.
in_image() {
  setpriv --bounding-set -sys_time -- chroot "$RO" /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
label() { "${P[@]}" image inspect --format "{{index .Config.Labels \"org.opencontainers.image.$1\"}}" "$IMG"; }

# --- build
start=$SECONDS
make -s -C "$REPO" deb > "$T/make-deb.log" 2>&1 || { cat "$T/make-deb.log"; fail "make deb"; }
note "make deb ($((SECONDS - start)) s)"
start=$SECONDS
PODMAN_ROOT=$T/podman PODMAN_RUNROOT=$T/podman.run IMAGE_DIR=$T/image \
  "$REPO/scripts/make-image.sh" > "$T/make-image.log" 2>&1 \
  || { cat "$T/make-image.log"; fail "make-image.sh"; }
sed 's/^/    /' "$T/make-image.log"
note "make-image.sh ($((SECONDS - start)) s)"
DEB=$(ls "$REPO"/build/deb/refclock-bridge_*_"$(dpkg --print-architecture)".deb)
VERSION=$(dpkg-deb -f "$DEB" Version)
IMG=localhost/refclock-bridge:$VERSION

# --- the image's configuration and archive
[ "$("${P[@]}" image inspect --format '{{.Id}}' "$IMG")" = \
  "$("${P[@]}" image inspect --format '{{.Id}}' localhost/refclock-bridge:latest)" ] \
  || fail ":latest is not :$VERSION"
ep=$("${P[@]}" image inspect --format '{{json .Config.Entrypoint}}' "$IMG")
cmd=$("${P[@]}" image inspect --format '{{json .Config.Cmd}}' "$IMG")
[ "$ep" = '["/usr/sbin/refclock-bridge"]' ] || fail "ENTRYPOINT: $ep"
[ "$cmd" = '["-f","-c","/etc/refclock-bridge.conf"]' ] || fail "CMD: $cmd"
[ "$(label version)" = "$VERSION" ] || fail "label version: $(label version)"
[ "$(label title)" = refclock-bridge ] || fail "label title: $(label title)"
[ -n "$(label source)" ] || fail "no label source"
note "ENTRYPOINT $ep CMD $cmd; labels version=$(label version) title=$(label title) source=$(label source)"
oci=$T/image/refclock-bridge-$VERSION.oci.tar
tar -tf "$oci" > "$T/oci.list" || fail "tar -t $oci"
grep -qx oci-layout "$T/oci.list" && grep -qx index.json "$T/oci.list" \
  || fail "$oci is not an OCI archive"
note "$(basename "$oci"): oci-layout, index.json, $(stat -c %s "$oci") bytes"

# --- the mounted image
M=$("${P[@]}" image mount "$IMG")
[ -x "$M/usr/sbin/refclock-bridge" ] || fail "no /usr/sbin/refclock-bridge in the mounted image ($M)"
mkdir -p "$RO"
mount --bind "$M" "$RO"
mount -o remount,bind,ro "$RO"
mount -t proc proc "$RO/proc"

out=$(in_image refclock-bridge --version)
[ "$out" = "refclock-bridge $VERSION" ] || fail "--version: $out"
note "--version: $out"
bnd=$(in_image sed -n 's/^CapBnd:\t*//p' /proc/self/status)
(( (16#$bnd >> 25 & 1) == 0 )) || fail "CAP_SYS_TIME is in the bounding set ($bnd)"
EX=/usr/share/doc/refclock-bridge/examples/openshift-du/refclock-bridge.conf
cmp "$RO$EX" "$REPO/examples/openshift-du/refclock-bridge.conf" || fail "$EX differs from the tree's"
for conf in "$EX" /etc/refclock-bridge.conf; do
  out=$(in_image refclock-bridge --check-config -c "$conf" 2>&1) || fail "--check-config -c $conf: $out"
  note "--check-config -c $conf: ok"
done
grep -q '^_refclock-bridge:' "$RO/etc/passwd" || fail "no user _refclock-bridge in the image"

# --- trimmed
junk=$(cd "$RO" && { find var/lib/apt/lists var/cache/apt ! -type d; find usr/share/man usr/share/info \
  usr/share/locale ! -type d; find usr/share/doc ! -type d ! -name copyright \
  ! -path 'usr/share/doc/refclock-bridge/examples/*'; find var/log ! -type d; } 2>/dev/null | head -n 5)
[ -z "$junk" ] || fail "the image holds apt lists, caches, docs or logs: $junk"
note "no apt lists or caches, docs (but copyright files and the examples), man pages, locales, logs"

umount "$RO/proc" "$RO"
"${P[@]}" image unmount "$IMG" >/dev/null
size=$("${P[@]}" image inspect --format '{{.Size}}' "$IMG")
note "image $IMG: $size bytes ($((size / 1000000)) MB), OCI archive $(( $(stat -c %s "$oci") / 1000000 )) MB"
exit 0
