#!/bin/bash
# `make image`: an OCI image of refclock-bridge, for hosts that run it with podman rather than
# from a package (OpenShift nodes: systemd/openshift/make-machineconfig --image). A minimal
# Debian root of the running release (debootstrap --variant=minbase with the package's
# dependencies from the mirror, cached by scripts/debian-root.sh), the .deb from `make deb`
# installed with apt into a copy of it,
# trimmed, then `podman import`ed as localhost/refclock-bridge:VERSION and :latest and saved as
# build/image/refclock-bridge-VERSION.oci.tar. It prints the image's size. Needs root.
#
# Environment:
#   DEB             the .deb (default: the one DEB_DIR holds for this architecture)
#   DEB_DIR         where `make deb` put it (default build/deb)
#   IMAGE_DIR       where the OCI archive goes (default build/image)
#   IMAGE_NAME      the repository name (default localhost/refclock-bridge)
#   IMAGE_SOURCE    org.opencontainers.image.source (default: git's remote origin, if any)
#   DEBIAN_ROOT_CACHE  where the cached roots are (default /var/cache/refclock-bridge-test)
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
DEBIAN_ROOT=$REPO/scripts/debian-root.sh
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

# in_root ROOT CMD...: a command in the root with a clean environment, its own /proc (in a
# private mount namespace) and no CAP_SYS_TIME.
in_root() { "$DEBIAN_ROOT" run "$@"; }
apt_() { local r=$1; shift; in_root "$r" apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }

# The packages installed beside the .deb: the smallest provider of sysusers (the postinst
# creates _refclock-bridge with it; full systemd is 10 MB that never runs in a container) and
# the libgps the bridge dlopens for gpsd sources (its recommendation; polkitd is not wanted).
extra_packages() {
  local r=$1 p libgps
  for p in systemd-standalone-sysusers systemd-sysusers systemd; do
    # (writing no cache file: the cached root stays as it was made)
    in_root "$r" apt-cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= show "$p" \
      >/dev/null 2>&1 && { echo "$p"; break; }
  done
  libgps=$(dpkg-deb -f "$DEB" Recommends | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//' | grep '^libgps' || true)
  [ -z "$libgps" ] || echo "$libgps"
}

# cached_root: the cached root with the .deb's dependencies and the extra packages (the base,
# minbase with apt's lists, tells which extra packages this release has).
cached_root() {
  local base extra
  base=$("$DEBIAN_ROOT" root "$CODENAME") || die "no $CODENAME root"
  extra=$(extra_packages "$base" | paste -sd, -)
  "$DEBIAN_ROOT" root "$CODENAME" "$(dpkg-deb -f "$DEB" Depends)${extra:+, $extra}" \
    || die "no $CODENAME root with the package's dependencies"
}

# install_deb ROOT: the .deb with apt (its dependencies are there already), no service started.
install_deb() {
  local r=$1 log=$IMAGE_DIR/apt.log
  cp "$DEB" "$r/tmp/"
  # shellcheck disable=SC2046
  if ! apt_ "$r" install --no-install-recommends "/tmp/$(basename "$DEB")" \
      $(extra_packages "$r") > "$log" 2>&1; then
    tail -n 30 "$log"; die "apt-get install (log: $log)"
  fi
  grep -q "^Setting up refclock-bridge ($VERSION)" "$log" || die "refclock-bridge was not set up"
  # The cached root's settings (scripts/debian-root.sh) do not go into the image.
  rm -f "$r/tmp/$(basename "$DEB")" "$r/usr/sbin/policy-rc.d" "$r/etc/dpkg/dpkg.cfg.d/refclock-bridge-root" \
    "$r/etc/apt/apt.conf.d/90refclock-bridge-root"
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
mkdir -p "$IMAGE_DIR"
BASE=$(cached_root)
ROOT=$IMAGE_DIR/root
rm -rf "$ROOT"
# A made root never changes: copied without a lock.
cp -a "$BASE" "$ROOT"
trap 'rm -rf "$ROOT" "$IMAGE_DIR/rootfs.tar"' EXIT
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
