#!/bin/bash
# Cached Debian roots for the package, container and image tests (70, 72, 73, 75) and
# `make image`: one debootstrap per release, and from it one root per package set.
#
#   debian-root.sh mirror
#       the Debian mirror this machine's apt uses (the first non-security one).
#   debian-root.sh root CODENAME [DEP...]
#       prints the path of a cached root of CODENAME: with no DEP the base (debootstrap
#       --variant=minbase), else a copy of the base with DEPs apt-installed (without
#       recommendations). A DEP is a package name or a dependency list as in a control file
#       ("procps, libc6 (>= 2.34), systemd | systemd-sysusers"); the root is kept by release
#       and by the sorted set of DEPs, so the same set in any order or split is the same root.
#   debian-root.sh run DIR CMD...
#       CMD chrooted in DIR (a root that is not running) with a clean environment, its own /proc
#       in a private mount namespace, and no CAP_SYS_TIME.
#
# Roots are made once, aside (NAME.new) and renamed when complete, under a lock per root, so
# concurrent runs wait for each other and an interrupted run leaves nothing half made. Once
# made a root is never changed: copy it, or mount an overlay on it. In every root:
# policy-rc.d refuses to start services, dpkg runs with force-unsafe-io
# (/etc/dpkg/dpkg.cfg.d/refclock-bridge-root), apt fetches no translations, documentation
# (but copyright files), man and info pages and locales are gone, and apt's lists
# (InRelease, Packages) of the mirror are KEPT (a test may serve or reuse them). Packages
# downloaded for any root of a release are kept in one archive (apt-archives-CODENAME) that
# later roots install from.
#
# Environment: DEBIAN_ROOT_CACHE, the cache directory (default /var/cache/refclock-bridge-test);
# DEBIAN_ROOT_MIRROR, the mirror (default: `debian-root.sh mirror`). Needs root.
set -euo pipefail

CACHE=${DEBIAN_ROOT_CACHE:-/var/cache/refclock-bridge-test}
NOTIME=(setpriv --bounding-set -sys_time --)

say() { echo "debian-root: $*" >&2; }
die() { say "$*"; exit 1; }

mirror() {
  local m
  m=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -v security | head -n 1 | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//') || true
  echo "${m:-http://deb.debian.org/debian}"
}

run() {
  local dir=$1
  shift
  unshare --mount --propagation private bash -c 'mount -t proc proc "$1/proc" && exec "${@:2}"' \
    debian-root "$dir" "${NOTIME[@]}" chroot "$dir" /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# deps DEP...: one dependency a line, spaces normalised, sorted, no duplicates.
deps() {
  printf '%s,' "$@" | tr ',' '\n' | sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//; s/ ?\( ?/ (/; s/ ?\) ?/)/' \
    | grep . | LC_ALL=C sort -u
}

# strip DIR: what no test reads (copyright files stay: the image ships them).
strip() {
  local r=$1
  rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* "$r"/var/cache/apt/*.bin
  find "$r"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
  find "$r"/usr/share/doc -mindepth 1 -type d -empty -delete
}

# The settings of every root, and for the time of a build the paths dpkg must not unpack.
settings() {
  local r=$1
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"
  chmod 755 "$r/usr/sbin/policy-rc.d"
  echo force-unsafe-io > "$r/etc/dpkg/dpkg.cfg.d/refclock-bridge-root"
  echo 'Acquire::Languages "none";' > "$r/etc/apt/apt.conf.d/90refclock-bridge-root"
  cp /etc/resolv.conf "$r/etc/resolv.conf"
}
NODOC=etc/dpkg/dpkg.cfg.d/refclock-bridge-root-nodoc
nodoc() {
  { printf 'path-exclude=/usr/share/%s/*\n' doc man info locale
    echo 'path-include=/usr/share/doc/*/copyright'; } > "$1/$NODOC"
}

# lock NAME: waits for the lock of one cached root (fd 8: the base, 9: a derived root).
lock() { eval "exec $2> \"\$CACHE/\$1.lock\""; flock "$2"; }

make_base() { # CODENAME
  local name=base-$1 dir=$CACHE/base-$1 log start=$SECONDS
  log=$dir.log
  lock "$name" 8
  if [ ! -e "$dir/.ready" ]; then
    rm -rf "$dir.new"
    say "debootstrap --variant=minbase $1 from $MIRROR into $dir (once)"
    "${NOTIME[@]}" debootstrap --variant=minbase "$1" "$dir.new" "$MIRROR" > "$log" 2>&1 \
      || { tail -n 20 "$log" >&2; die "debootstrap $1 failed (log: $log)"; }
    echo "deb $MIRROR $1 main" > "$dir.new/etc/apt/sources.list"
    settings "$dir.new"
    run "$dir.new" apt-get -q update >> "$log" 2>&1 \
      || { tail -n 20 "$log" >&2; die "apt-get update in $dir.new failed (log: $log)"; }
    rm -f "$dir.new"/var/cache/apt/archives/*.deb
    strip "$dir.new"
    touch "$dir.new/.ready"
    mv "$dir.new" "$dir"
    say "base root made in $((SECONDS - start)) s"
  fi
  flock -u 8
  echo "$dir"
}

make_derived() { # CODENAME DEP...
  local codename=$1 base want key dir log names rc=0 start=$SECONDS
  shift
  base=$(make_base "$codename")
  want=$(deps "$@")
  key=$(echo "$want" | md5sum | cut -c1-10)
  dir=$CACHE/root-$codename-$key log=$CACHE/root-$codename-$key.log
  lock "root-$codename-$key" 9
  if [ ! -e "$dir/.ready" ]; then
    rm -rf "$dir.new"
    say "root of $codename with: $(echo "$want" | paste -sd, - | sed 's/,/, /g') (once, into $dir)"
    cp -a "$base" "$dir.new"
    rm -f "$dir.new/.ready"
    echo "$want" > "$dir.new/.deps"
    cp /etc/resolv.conf "$dir.new/etc/resolv.conf"
    nodoc "$dir.new"
    # The shared archive: what an earlier root downloaded is not fetched again.
    local archive=$CACHE/apt-archives-$codename
    mkdir -p "$archive/partial"
    mount --bind "$archive" "$dir.new/var/cache/apt/archives"
    # Plain names are marked manually installed (apt-get satisfy marks all automatic): a later
    # autoremove in the root must not take them.
    names=$(echo "$want" | grep -vE '[ |(]' || true)
    { run "$dir.new" apt-get -q update &&
      run "$dir.new" apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends satisfy \
        "$(echo "$want" | paste -sd, -)" &&
      { [ -z "$names" ] || run "$dir.new" apt-mark manual $names; } &&
      run "$dir.new" apt-get -q autoclean; } > "$log" 2>&1 || rc=$?
    umount "$dir.new/var/cache/apt/archives"
    [ "$rc" -eq 0 ] || { tail -n 20 "$log" >&2; die "apt-get in the $codename root failed (log: $log)"; }
    rm -f "$dir.new/$NODOC"
    strip "$dir.new"
    touch "$dir.new/.ready"
    mv "$dir.new" "$dir"
    say "root made in $((SECONDS - start)) s"
  fi
  flock -u 9
  echo "$dir"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  mirror) mirror ;;
  run)
    [ $# -ge 2 ] || die "usage: debian-root.sh run DIR CMD..."
    run "$@" ;;
  root)
    [ $# -ge 1 ] || die "usage: debian-root.sh root CODENAME [DEP...]"
    [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
    command -v debootstrap >/dev/null || die "debootstrap is not installed (make deps)"
    # The archive's bind mount lives in a private mount namespace: it never outlives this.
    if [ -z "${DEBIAN_ROOT_NS:-}" ]; then
      exec unshare --mount --propagation private env DEBIAN_ROOT_NS=1 "$0" root "$@"
    fi
    MIRROR=${DEBIAN_ROOT_MIRROR:-$(mirror)}
    mkdir -p "$CACHE"
    if [ $# -eq 1 ]; then make_base "$1"; else make_derived "$@"; fi ;;
  *) die "usage: debian-root.sh mirror | root CODENAME [DEP...] | run DIR CMD..." ;;
esac
