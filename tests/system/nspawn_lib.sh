# A booted Debian for tests: systemd-nspawn -b of a debootstrapped root of the running release
# (testbed.md §4b), in a cgroup subtree of its own inside cgroup, mount and PID namespaces;
# never systemd in the host's root cgroup (/proc/1/cgroup is checked unchanged at the end).
# ns_root PKGS...   the cached minimal root with these packages (made once, ~1 min)
# ns_copy           a private copy of it at $NS_ROOT, to install into and configure
# ns_boot / ns_ RUN... / ns_poweroff
# Commands inside run through an agent unit (ns_); the container has no CAP_SYS_TIME.
NS_CACHE_DIR=${NS_CACHE_DIR:-/var/cache/refclock-bridge-test}
NS_DIR=$T/ns
NS_ROOT=$NS_DIR/root
NS_PID=
NS_INIT=
NS_CG=
NS_CG2_MOUNT=
# The container's network: none but loopback, unless a test gives a namespace of its own
# (NS_NETWORK=--network-namespace-path=/run/netns/NAME).
NS_NETWORK=${NS_NETWORK:---private-network}
NS_PID1_CGROUP=$(cat /proc/1/cgroup)

# The cached roots (scripts/debian-root.sh): one debootstrap per release, one root per package set.
NS_DEBIAN_ROOT=$(readlink -f "$HERE/../../scripts/debian-root.sh")

# ns_root PKGS...: sets NS_CACHE to a minimal root of this release with systemd, dbus and PKGS,
# kept under $NS_CACHE_DIR by release and package list (apt's lists of the mirror kept in it).
# Its package scripts never start services.
ns_root() {
  command -v debootstrap >/dev/null || skip "debootstrap is not installed (make deps)"
  command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed (make deps)"
  local codename
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  NS_CACHE=$(DEBIAN_ROOT_CACHE=$NS_CACHE_DIR "$NS_DEBIAN_ROOT" root "$codename" \
    systemd systemd-sysv dbus "$@") || fail "no $codename root with $*"
}

# ns_make_deb: builds the package (make deb) and sets DEB to it.
ns_make_deb() {
  make -s -C "$HERE/../.." deb > "$T/deb.log" 2>&1 || fail "make deb: $(tail -n 5 "$T/deb.log")"
  DEB=$(ls -t "$HERE"/../../build/deb/refclock-bridge_*.deb | head -n 1)
}
# ns_deb_needs: what the package needs at run time, its Depends and Recommends, one a line.
ns_deb_needs() {
  local f
  for f in Depends Recommends; do
    dpkg-deb -f "$DEB" "$f" | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/ //g' | grep .
  done | sort -u
}

# ns_fake_phc PARAMS: what this kernel lacks, a PTP hardware clock, for the bridge's unit only:
# the fake-device library at /dev/ptp0 with PARAMS (tests/fake/README.md), through a drop-in.
ns_fake_phc() {
  install -D -m 644 "$FAKELIB" "$NS_ROOT/opt/rbtest/libfakedev.so"
  mkdir -p "$NS_ROOT/etc/systemd/system/refclock-bridge.service.d"
  printf '%s\n' "[Service]" "Environment=LD_PRELOAD=/opt/rbtest/libfakedev.so FAKEDEV_PTP=/dev/ptp0" \
    "Environment=FAKEDEV_PTP0=$1" > "$NS_ROOT/etc/systemd/system/refclock-bridge.service.d/50-fakedev.conf"
}

ns_copy() {
  mkdir -p "$NS_DIR"
  cp -a "$NS_CACHE" "$NS_ROOT"
}

# ns_chroot_in DIR CMD...: in a root that is not running (package installation), with its own
# /proc (package scripts need one) in a private mount namespace, CAP_SYS_TIME dropped.
ns_chroot_in() { "$NS_DEBIAN_ROOT" run "$@"; }
ns_chroot() { ns_chroot_in "$NS_ROOT" "$@"; }

# NS_CG2 (and NS_CG2_MOUNT): the cgroup2 hierarchy, lib.sh's cgroup2_root.
ns_cgroup2_root() { cgroup2_root NS; }

# ns_find_init PID: the first process below PID whose command is systemd.
ns_find_init() {
  local c
  for c in $(pgrep -P "$1"); do
    [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && { echo "$c"; return 0; }
    ns_find_init "$c" && return 0
  done
  return 1
}

# ns_boot [NSPAWN OPTIONS...]: boots $NS_ROOT and waits until its manager has finished
# starting up. Sets NS_INIT, the container's PID 1 as this host sees it.
ns_boot() {
  ns_install_agent
  ns_cgroup2_root
  NS_CG=$NS_CG2/rbtest-ns-$$
  mkdir -p "$NS_CG"
  cat > "$NS_DIR/inner.sh" <<INNER
#!/bin/bash
set -e
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/systemd/nspawn
exec $NOTIME systemd-nspawn -D "$NS_ROOT" -b -M rbtest$$ --register=no --keep-unit \
  $NS_NETWORK --console=pipe $*
INNER
  chmod 755 "$NS_DIR/inner.sh"
  # Leave the root cgroup first; then cgroup, mount and PID namespaces (nspawn reads
  # /proc/1/cgroup, which must be the namespace's own).
  bash -c "echo \$\$ > $NS_CG/cgroup.procs && exec unshare --cgroup --mount --propagation private \
    --pid --fork --mount-proc $NS_DIR/inner.sh" > "$T/nspawn.log" 2>&1 < /dev/null &
  NS_PID=$!
  # The container's init: the descendant of nspawn that runs systemd (nspawn forks helpers).
  local i
  for i in $(seq 100); do
    NS_INIT=$(ns_find_init "$NS_PID") && break
    sleep 0.1
  done
  [ -n "$NS_INIT" ] || fail "the container did not start"
  # "running" or "degraded" (a unit of the minimal image may fail): booted either way.
  local s deadline=$(( $(date +%s) + 60 ))
  until s=$(ns_ systemctl is-system-running 2>/dev/null); [ "$s" = running ] || [ "$s" = degraded ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "the container did not finish booting: $s"
    sleep 0.2
  done
}

# ns_ CMD...: runs CMD in the booted container and returns its output and exit code. An agent
# unit inside runs what the test drops into $NS_ROOT/opt/rbtest/io (the container's root is
# this directory): nsenter, entered from the Debian 13 test root (a chroot), lands in the wrong
# mount namespace. The container has no CAP_SYS_TIME, so neither has the agent.
NS_SEQ=0
ns_() {
  local io=$NS_ROOT/opt/rbtest/io n rc deadline=$(( $(date +%s) + 120 ))
  NS_SEQ=$((NS_SEQ + 1))
  n=$io/$NS_SEQ
  { printf 'exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8'
    printf ' %q' "$@"; echo; } > "$n.tmp"
  mv "$n.tmp" "$n.cmd"
  until [ -e "$n.rc" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "ns_: no answer from the container to: $*" >&2; return 124; }
    sleep 0.02
  done
  cat "$n.out"
  cat "$n.err" >&2
  rc=$(cat "$n.rc")
  rm -f "$n".*
  return "$rc"
}

# The agent (ns_), started at boot.
ns_install_agent() {
  mkdir -p -m 700 "$NS_ROOT/opt/rbtest/io"
  cat > "$NS_ROOT/opt/rbtest/agent" <<'AGENT'
#!/bin/bash
io=/opt/rbtest/io
while :; do
  for c in "$io"/*.cmd; do
    [ -e "$c" ] || continue
    n=${c%.cmd}
    mv "$c" "$n.run"
    bash "$n.run" > "$n.out" 2> "$n.err" < /dev/null
    echo $? > "$n.rc.tmp"
    mv "$n.rc.tmp" "$n.rc"
  done
  sleep 0.02
done
AGENT
  chmod 755 "$NS_ROOT/opt/rbtest/agent"
  printf '[Service]\nExecStart=/opt/rbtest/agent\n[Install]\nWantedBy=multi-user.target\n' \
    > "$NS_ROOT/etc/systemd/system/rbtest-agent.service"
  ln -sf ../rbtest-agent.service "$NS_ROOT/etc/systemd/system/multi-user.target.wants/rbtest-agent.service"
}

ns_poweroff() {
  [ -n "$NS_PID" ] || return 0
  # SIGRTMIN+4 asks the container's systemd to power off. (Not through the agent: the
  # agent may be stopped before it can answer, and ns_ would wait for its answer in vain.)
  [ -z "$NS_INIT" ] || kill -s RTMIN+4 "$NS_INIT" 2>/dev/null || true
  local i
  for i in $(seq 100); do kill -0 "$NS_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$NS_PID" 2>/dev/null || true
  wait "$NS_PID" 2>/dev/null || true
  NS_PID=
  if [ -d "$NS_CG" ]; then
    find "$NS_CG" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    sleep 0.2
    find "$NS_CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  fi
  [ -z "$NS_CG2_MOUNT" ] || umount "$NS_CG2_MOUNT"
  NS_CG2_MOUNT=
  # nspawn leaves its lock and propagation directories behind (testbed.md §4b).
  rm -rf /run/systemd/nspawn
  [ "$(cat /proc/1/cgroup)" = "$NS_PID1_CGROUP" ] || echo "FAIL: /proc/1/cgroup changed"
}
# Whatever failed, under errexit or not, the container goes.
trap 'set +e; ns_poweroff; cleanup' EXIT
