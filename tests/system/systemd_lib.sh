# A real systemd for tests: a user manager (`systemd --user`, root's), in a cgroup subtree of
# its own inside a cgroup namespace, with a private /run/systemd (testbed.md §4a). It is never
# started in the root cgroup; /proc/1/cgroup is checked unchanged when it stops.
# start_user_systemd; user_unit NAME <<UNIT; sd_ start|stop|... NAME; unit_state NAME.
# The bridge reaches it as its "system bus" through DBUS_SYSTEM_BUS_ADDRESS=$SD_BUS.
SD_DIR=$T/sd
SD_BUS=unix:path=$SD_DIR/xdg/bus
SD_PID=
SD_CG=
SD_CG2_MOUNT=
PID1_CGROUP=$(cat /proc/1/cgroup)

start_user_systemd() {
  command -v systemd >/dev/null || [ -x /lib/systemd/systemd ] || skip "no systemd"
  [ -x /usr/bin/dbus-daemon ] || skip "no dbus-daemon (dbus-user-session)"
  mkdir -p -m 700 "$SD_DIR/xdg/systemd/user"
  cgroup2_root SD # sets SD_CG2, and SD_CG2_MOUNT for stop_user_systemd
  SD_CG=$SD_CG2/rbtest-$$
  mkdir -p "$SD_CG"
  cat > "$SD_DIR/inner.sh" <<INNER
#!/bin/bash
set -e
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/systemd
mount -t tmpfs -o mode=755 tmpfs /run/systemd
mkdir -p /run/systemd/system
export XDG_RUNTIME_DIR=$SD_DIR/xdg DBUS_SESSION_BUS_ADDRESS=$SD_BUS
exec $NOTIME /lib/systemd/systemd --user
INNER
  chmod 755 "$SD_DIR/inner.sh"
  printf '#!/usr/bin/python3\nimport sys, time\nopen("%s", "a").write("%%d %%s\\n" %% (time.monotonic_ns() // 1000, sys.argv[1]))\n' \
    "$SD_DIR/stops" > "$SD_DIR/stamp"
  chmod 755 "$SD_DIR/stamp"
  : > "$SD_DIR/stops"
  # Leave the root cgroup first, then a cgroup and mount namespace of our own.
  bash -c "echo \$\$ > $SD_CG/cgroup.procs && exec unshare --cgroup --mount --propagation private $SD_DIR/inner.sh" \
    > "$T/systemd.log" 2>&1 &
  SD_PID=$!
  wait_for 10 sd_ show-environment || fail "the user manager did not come up"
}

# sd_ ARGS...: systemctl against it.
sd_() {
  XDG_RUNTIME_DIR=$SD_DIR/xdg DBUS_SESSION_BUS_ADDRESS=$SD_BUS systemctl --user --no-pager "$@"
}

# user_unit NAME: the unit file from stdin, then daemon-reload.
user_unit() {
  cat > "$SD_DIR/xdg/systemd/user/$1"
  sd_ daemon-reload
}

# chronyd_user_unit: chronyd.service, a real chronyd (-x, CAP_SYS_TIME dropped) of its own
# under $T/fbchrony that says when it stopped.
chronyd_user_unit() {
  mkdir -p "$T/fbchrony"
  printf 'pidfile %s\ndriftfile %s\ncmdport 0\nport 0\n' "$T/fbchrony/chronyd.pid" \
    "$T/fbchrony/drift" > "$T/fbchrony/chrony.conf"
  user_unit chronyd.service <<UNIT
[Service]
ExecStart=/usr/sbin/chronyd -x -d -u root -f $T/fbchrony/chrony.conf
CapabilityBoundingSet=~CAP_SYS_TIME
$(stop_stamp chronyd)
UNIT
}

unit_state() { sd_ show -P ActiveState "$1" 2>/dev/null; }
# systemd unloads an inactive unit nobody refers to, and its timestamps with it: a unit that
# must say when it stopped gets "$(stop_stamp NAME)" in [Service], and stopped_us NAME reads
# the CLOCK_MONOTONIC µs of its last stop (after its process has exited).
stop_stamp() { echo "ExecStopPost=$SD_DIR/stamp $1"; }
stopped_us() { awk -v u="$1" '$2 == u {t = $1} END {printf "%.0f\n", t}' "$SD_DIR/stops"; }
unit_is() { [ "$(unit_state "$1")" = "$2" ]; }

stop_user_systemd() {
  [ -n "$SD_PID" ] || return 0
  sd_ stop '*.service' >/dev/null 2>&1
  kill "$SD_PID" 2>/dev/null
  local i
  for i in $(seq 50); do kill -0 "$SD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SD_PID" 2>/dev/null
  wait "$SD_PID" 2>/dev/null
  SD_PID=
  # Whatever is left in the subtree (nothing, normally) goes, then the subtree.
  if [ -d "$SD_CG" ]; then
    find "$SD_CG" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
    sleep 0.1
    find "$SD_CG" -depth -type d -exec rmdir {} \; 2>/dev/null
  fi
  [ -n "$SD_CG2_MOUNT" ] && umount "$SD_CG2_MOUNT"
  [ "$(cat /proc/1/cgroup)" = "$PID1_CGROUP" ] || echo "FAIL: /proc/1/cgroup changed"
}
trap 'stop_user_systemd; cleanup; ptp_netns_cleanup' EXIT
