#!/bin/bash
# `make image`: an OCI image of refclock-bridge, for hosts that run it with podman rather than
# from a package (OpenShift nodes: systemd/openshift/make-machineconfig --image). A minimal
# Debian root of the running release (debootstrap --variant=minbase, cached with the package's
# dependencies from the mirror), the .deb from `make deb` installed with apt into a copy of it,
# trimmed, then `podman import`ed as localhost/refclock-bridge:VERSION and :latest and saved as
# build/image/refclock-bridge-VERSION.oci.tar. It prints the image's size. Needs root.
#
# Environment:
#   DEB             the .deb (default: the one DEB_DIR holds for this architecture)
#   DEB_DIR         where `make deb` put it (default build/deb)
#   IMAGE_DIR       where the OCI archive goes (default build/image)
#   IMAGE_NAME      the repository name (default localhost/refclock-bridge)
#   IMAGE_SOURCE    org.opencontainers.image.source (default: git's remote origin, if any)
#   IMAGE_BASE      the cached root (default /var/cache/refclock-bridge-test/image-base-CODENAME)
#   PODMAN_ROOT, PODMAN_RUNROOT  a private podman storage (--root, --runroot); with them the
#                   driver is vfs unless PODMAN_STORAGE_DRIVER says otherwise
#   IMAGE_NO_SAVE=1 skip the OCI archive (the test needs only the stored image)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

die() { echo "make-image: $*" >&2; exit 1; }
note() { echo "make-image: $*"; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
for c in debootstrap podman dpkg-deb; do
  command -v "$c" >/dev/null || die "$c is not installed (make deps)"
done

# /proc is mounted inside the root while apt runs: in a private mount namespace, so that no
# mount outlives this script whatever stops it.
if [ -z "${RB_IMAGE_NS:-}" ]; then
  exec unshare --mount --propagation private env RB_IMAGE_NS=1 "$0" "$@"
fi

ARCH=$(dpkg --print-architecture)
if [ -z "${DEB:-}" ]; then
  debs=("${DEB_DIR:-$REPO/build/deb}"/refclock-bridge_*_"$ARCH".deb)
  [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || die "expected one .deb in ${DEB_DIR:-build/deb} (make deb)"
  DEB=${debs[0]}
fi
[ -f "$DEB" ] || die "no such .deb: $DEB"
VERSION=$(dpkg-deb -f "$DEB" Version)
IMAGE_DIR=${IMAGE_DIR:-$REPO/build/image}
IMAGE_NAME=${IMAGE_NAME:-localhost/refclock-bridge}
CODENAME=$(. /etc/os-release && echo "$VERSION_CODENAME")
BASE=${IMAGE_BASE:-/var/cache/refclock-bridge-test/image-base-$CODENAME}
MIRROR=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -E '^(URIs:|deb )' | grep -v security | head -n 1 \
  | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//') || true
MIRROR=${MIRROR:-http://deb.debian.org/debian}
if [ -z "${IMAGE_SOURCE:-}" ]; then
  # git's remote, when it is a network address (a clone's origin may be a local path).
  IMAGE_SOURCE=$(git config --get remote.origin.url 2>/dev/null | grep -E '^[a-z+]+://[^/]|^[^/]+@[^/]+:' || true)
  # No public address yet: name the package the image was built from.
  IMAGE_SOURCE=${IMAGE_SOURCE:-refclock-bridge $VERSION (Debian source package)}
fi

# podman 5 (Debian 13) warns at every call on a cgroup v1 host; nothing here uses cgroups.
export PODMAN_IGNORE_CGROUPSV1_WARNING=1
PODMAN=(podman)
if [ -n "${PODMAN_ROOT:-}" ]; then
  # A private storage (the test's): vfs works anywhere, also in a chroot on tmpfs, and costs
  # nothing more than overlay for an image of one layer.
  PODMAN+=(--root "$PODMAN_ROOT" --runroot "${PODMAN_RUNROOT:-$PODMAN_ROOT.run}"
    --storage-driver "${PODMAN_STORAGE_DRIVER:-vfs}" --tmpdir "${PODMAN_RUNROOT:-$PODMAN_ROOT.run}/libpod"
    --events-backend none)
fi

# in_root ROOT CMD...: a command in the root with a clean environment.
in_root() {
  local r=$1; shift
  chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}
apt_() { local r=$1; shift; in_root "$r" apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }

# The packages installed beside the .deb: the smallest provider of sysusers (the postinst
# creates _refclock-bridge with it; full systemd is 10 MB that never runs in a container) and
# the libgps the bridge dlopens for gpsd sources (its recommendation; polkitd is not wanted).
extra_packages() {
  local r=$1 p libgps
  for p in systemd-standalone-sysusers systemd-sysusers systemd; do
    in_root "$r" apt-cache show "$p" >/dev/null 2>&1 && { echo "$p"; break; }
  done
  libgps=$(dpkg-deb -f "$DEB" Recommends | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//' | grep '^libgps' || true)
  [ -z "$libgps" ] || echo "$libgps"
}

# make_base: debootstrap minbase of this release into $BASE, once (locked; made aside and
# renamed, so an interrupted run leaves nothing half made). Its apt lists are kept.
make_base() {
  [ -e "$BASE/.ready" ] && return 0
  local start=$SECONDS
  rm -rf "$BASE.new"
  note "debootstrap --variant=minbase $CODENAME from $MIRROR into $BASE"
  debootstrap --variant=minbase "$CODENAME" "$BASE.new" "$MIRROR" > "$BASE.debootstrap.log" 2>&1 \
    || { tail -n 20 "$BASE.debootstrap.log"; die "debootstrap failed"; }
  echo "deb $MIRROR $CODENAME main" > "$BASE.new/etc/apt/sources.list"
  cp /etc/resolv.conf "$BASE.new/etc/resolv.conf"
  mount -t proc proc "$BASE.new/proc"
  apt_ "$BASE.new" update > "$BASE.apt.log" 2>&1 || { tail -n 20 "$BASE.apt.log"; die "apt-get update"; }
  umount "$BASE.new/proc"
  touch "$BASE.new/.ready"
  mv "$BASE.new" "$BASE"
  note "base root made in $((SECONDS - start)) s"
}

# deps_into_base: the .deb's dependencies and the extra packages, from the mirror into the
# cached root (once per set), so that a warm build needs no network.
deps_into_base() {
  local extra want stamp=$BASE/.deps rc=0
  extra=$(extra_packages "$BASE" | paste -sd, -)
  want="$(dpkg-deb -f "$DEB" Depends)${extra:+, $extra}"
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  note "installing into the cached root: $want"
  mount -t proc proc "$BASE/proc"
  cp /etc/resolv.conf "$BASE/etc/resolv.conf"
  apt_ "$BASE" update > "$BASE.apt.log" 2>&1 \
    && apt_ "$BASE" --no-install-recommends satisfy "$want" >> "$BASE.apt.log" 2>&1 \
    && apt_ "$BASE" clean >> "$BASE.apt.log" 2>&1 || rc=$?
  umount "$BASE/proc"
  [ "$rc" -eq 0 ] || { tail -n 20 "$BASE.apt.log"; die "apt-get satisfy in $BASE"; }
  echo "$want" > "$stamp"
}

# install_deb ROOT: the .deb with apt (its dependencies are there already), no service started.
install_deb() {
  local r=$1 log=$IMAGE_DIR/apt.log
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"
  chmod 755 "$r/usr/sbin/policy-rc.d"
  echo force-unsafe-io > "$r/etc/dpkg/dpkg.cfg.d/refclock-bridge-image"
  mount -t proc proc "$r/proc"
  cp "$DEB" "$r/tmp/"
  # shellcheck disable=SC2046
  if ! apt_ "$r" install --no-install-recommends "/tmp/$(basename "$DEB")" \
      $(extra_packages "$r") > "$log" 2>&1; then
    umount "$r/proc"
    tail -n 30 "$log"; die "apt-get install (log: $log)"
  fi
  umount "$r/proc"
  grep -q "^Setting up refclock-bridge ($VERSION)" "$log" || die "refclock-bridge was not set up"
  rm -f "$r/tmp/$(basename "$DEB")" "$r/usr/sbin/policy-rc.d" "$r/etc/dpkg/dpkg.cfg.d/refclock-bridge-image"
}

# trim ROOT: what a container never reads. Kept: every package's copyright file (licences) and
# the bridge's examples (/usr/share/doc/refclock-bridge/examples: the configurations to start
# from). Gone: apt's lists and caches, documentation, man and info pages, translations, logs,
# dpkg's and debconf's backups, and the build host's resolv.conf and hostname (podman
# provides both).
trim() {
  local r=$1
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old \
    "$r"/var/lib/dpkg/*-old "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
    "$r"/usr/share/lintian "$r"/usr/share/linda "$r"/tmp/* "$r"/var/tmp/* "$r"/.ready "$r"/.deps
  mkdir -p "$r"/var/lib/apt/lists/partial "$r"/var/cache/apt/archives/partial
  find "$r"/usr/share/doc -mindepth 1 \( -path "$r/usr/share/doc/refclock-bridge/examples" -prune \) \
    -o \( ! -type d ! -name copyright -print0 \) | xargs -0r rm -f
  find "$r"/usr/share/doc -mindepth 1 -type d -empty -delete
  find "$r"/var/log -type f -delete
  rm -f "$r"/etc/resolv.conf "$r"/etc/hostname
  : > "$r"/etc/machine-id
}

# --- the root
start=$SECONDS
mkdir -p "$(dirname "$BASE")" "$IMAGE_DIR"
exec 8> "$BASE.lock"
flock 8
make_base
deps_into_base
ROOT=$IMAGE_DIR/root
rm -rf "$ROOT"
cp -a "$BASE" "$ROOT"
flock -u 8
trap 'umount "$ROOT/proc" 2>/dev/null || true; rm -rf "$ROOT" "$IMAGE_DIR/rootfs.tar"' EXIT
install_deb "$ROOT"
trim "$ROOT"
got=$(in_root "$ROOT" /usr/sbin/refclock-bridge --version) || die "the installed binary does not run"
note "root: $got, $(du -sh --apparent-size "$ROOT" | cut -f1) ($((SECONDS - start)) s)"

# --- the image
start=$SECONDS
TAG=$IMAGE_NAME:$VERSION
revision=$(git rev-parse HEAD 2>/dev/null || true)
old=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)
tar --numeric-owner --xattrs --sort=name -C "$ROOT" -cf "$IMAGE_DIR/rootfs.tar" .
rm -rf "$ROOT"
id=$("${PODMAN[@]}" import -q \
  --change 'ENTRYPOINT ["/usr/sbin/refclock-bridge"]' \
  --change 'CMD ["-f", "-c", "/etc/refclock-bridge.conf"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL org.opencontainers.image.title=refclock-bridge" \
  --change "LABEL org.opencontainers.image.version=$VERSION" \
  --change "LABEL org.opencontainers.image.source=\"$IMAGE_SOURCE\"" \
  ${revision:+--change "LABEL org.opencontainers.image.revision=$revision"} \
  --change "LABEL org.opencontainers.image.base.name=debian:$CODENAME" \
  --message "refclock-bridge $VERSION on Debian $CODENAME (minbase)" \
  "$IMAGE_DIR/rootfs.tar" "$TAG")
rm -f "$IMAGE_DIR/rootfs.tar"
"${PODMAN[@]}" tag "$TAG" "$IMAGE_NAME:latest"
id=${id#sha256:}
# The previous build of this version, now untagged, would linger in the storage.
if [ -n "$old" ] && [ "$old" != "$id" ]; then "${PODMAN[@]}" rmi "$old" >/dev/null 2>&1 || true; fi
note "imported $TAG and :latest (${id:0:12}, $((SECONDS - start)) s)"
if [ -z "${IMAGE_NO_SAVE:-}" ]; then
  out=$IMAGE_DIR/refclock-bridge-$VERSION.oci.tar
  rm -f "$out"
  "${PODMAN[@]}" save -q --format oci-archive -o "$out" "$TAG"
  note "saved $out ($(du -h --apparent-size "$out" | cut -f1))"
fi
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG")
note "image $TAG: $size bytes ($((size / 1000000)) MB)"
