#!/bin/bash
# `refclock-bridge grant-sockets` (the consumer's ExecStartPost=+): a real chronyd 4.3 binds its
# SOCK socket as root 0755 and a bridge running as nobody gets EACCES; after grant-sockets
# (root, --group nogroup) samples arrive, exact. A symlink is never followed, a regular file is
# left alone, a missing path only warns after --wait, a directory the group cannot search is
# named. Config error: 78, unknown group: 1, a failed chown: 1. The shipped drop-ins verify.
. "$(dirname "$0")/lib.sh"
set -euo pipefail
# lib.sh's cleanup kills PIDs that may be gone already: never under set -e.
trap 'set +e; cleanup; ptp_netns_cleanup' EXIT
SRC=$(readlink -f "$HERE/../..")
id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null || fail "no nobody/nogroup (Debian has both)"

# mode_of PATH: "owner:group octal", never following a symlink.
mode_of() { stat -c '%U:%G %a' "$1"; }
# grant ARGS...: runs grant-sockets as root; rc in GRANT_RC, stderr in $T/grant.out, time in GRANT_MS.
grant() {
  local t0=$(date +%s%N)
  GRANT_RC=0
  "$RB_BIN" grant-sockets "$@" > "$T/grant.out" 2>&1 || GRANT_RC=$?
  GRANT_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  sed 's/^/    /' "$T/grant.out"
}
said() { grep -qF -- "$1" "$T/grant.out" || fail "grant-sockets did not say: $1"; }

note "the drop-ins: systemd-analyze verify against stub units"
U=$T/units
mkdir -p "$U"
for unit in chrony ntpd-rs; do
  printf '[Service]\nExecStart=/bin/true\n' > "$U/$unit.service"
  cp -r "$SRC/systemd/$unit.service.d" "$U/"
  line=$(grep '^ExecStartPost=' "$U/$unit.service.d/refclock-bridge.conf")
  [ "$line" = "ExecStartPost=-+/usr/local/sbin/refclock-bridge grant-sockets -c /etc/refclock-bridge.conf" ] \
    || fail "$unit drop-in: unexpected '$line'"
done
(cd "$U" && SYSTEMD_UNIT_PATH=$U: timeout 30 systemd-analyze verify --man=no chrony.service ntpd-rs.service) \
  > "$T/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify.log")"
[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify is not clean: $(cat "$T/verify.log")"

note "a chronyd that binds as root with umask 022"
umask 022
nobody_binaries
# phc0 right in $T (0711, searchable); phc1 under $T/chrony (0700 root), which nobody cannot enter.
start_chronyd "refclock SOCK $T/chrony.phc0.sock refid PHC0 poll 0 filter 1
refclock SOCK $T/chrony/phc1.sock refid PHC1 poll 0 filter 1"
wait_for 5 test -S "$T/chrony.phc0.sock" || fail "chronyd did not bind $T/chrony.phc0.sock"
[ "$(mode_of "$T/chrony.phc0.sock")" = "root:root 755" ] || fail "socket is $(mode_of "$T/chrony.phc0.sock")"

# Another output's path is a symlink to a root socket; another a regular file; one is missing.
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' "$T/target.sock"
ln -s "$T/target.sock" "$T/link.sock"
echo data > "$T/plain.sock"
chmod 644 "$T/plain.sock"
target_before=$(mode_of "$T/target.sock") plain_before=$(mode_of "$T/plain.sock")

cat > "$T/bridge.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.5
timescale = tai
tai_offset = 37
outputs = chrony, hidden, link, plain, missing
[output chrony]
type = sock
path = $T/chrony.phc0.sock
[output hidden]
type = sock
path = $T/chrony/phc1.sock
[output link]
type = sock
path = $T/link.sock
[output plain]
type = sock
path = $T/plain.sock
[output missing]
type = sock
path = $T/missing.sock
CONF
chmod 644 "$T/bridge.conf"
private_paths "$T/bridge.conf"

note "a config error is 78, an unknown group 1, and neither changes anything"
printf '[output x]\ntype = sock\n' > "$T/bad.conf"
grant -c "$T/bad.conf" --group nogroup
[ "$GRANT_RC" = 78 ] || fail "config error: rc $GRANT_RC, want 78"
[ "$(wc -l < "$T/grant.out")" = 1 ] || fail "config error: not one message"
grant -c "$T/bridge.conf" --group no-such-group-rb --wait 0
[ "$GRANT_RC" = 1 ] || fail "unknown group: rc $GRANT_RC, want 1"
said "unknown group 'no-such-group-rb'"
[ "$(mode_of "$T/chrony.phc0.sock")" = "root:root 755" ] || fail "unknown group changed the socket"

note "the bridge as nobody: permission denied, chronyd gets nothing"
env LD_PRELOAD="$NOBODY_FAKELIB" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456,delay_ns=400 \
  FAKEDEV_CTL="$T/ctl" setpriv --reuid=nobody --regid=nogroup --clear-groups \
  "$NOBODY_BIN" -f -c "$T/bridge.conf" >> "$T/bridge.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=("$BRIDGE_PID")
wait_for 5 bridge_log_has "permission denied sending to $T/chrony.phc0.sock" || fail "no permission message"
sleep 1.5
chronyc_ -n sources
! awk '$3 == "PHC0" && $7 != "-"' "$T/chrony/refclocks.log" 2>/dev/null | grep -q . \
  || fail "chronyd got samples before the grant"

note "a non-root grant-sockets cannot chown: 1"
GRANT_RC=0
setpriv --reuid=nobody --regid=nogroup --clear-groups "$NOBODY_BIN" grant-sockets \
  -c "$T/bridge.conf" --group nogroup --wait 0 > "$T/grant.out" 2>&1 || GRANT_RC=$?
sed 's/^/    /' "$T/grant.out"
[ "$GRANT_RC" = 1 ] || fail "failed chown: rc $GRANT_RC, want 1"
said "cannot change the group of $T/chrony.phc0.sock to nogroup: Operation not permitted"

note "grant-sockets --group nogroup --wait 1 (as root)"
grant -c "$T/bridge.conf" --group nogroup --wait 1
[ "$GRANT_RC" = 0 ] || fail "grant-sockets: rc $GRANT_RC, want 0"
echo "took ${GRANT_MS} ms"
[ "$GRANT_MS" -ge 900 ] && [ "$GRANT_MS" -lt 2000 ] || fail "--wait 1 with a missing path took $GRANT_MS ms"
said "output chrony: $T/chrony.phc0.sock: group nogroup, mode 0755 -> 0775"
[ "$(mode_of "$T/chrony.phc0.sock")" = "root:nogroup 775" ] || fail "socket is $(mode_of "$T/chrony.phc0.sock")"
said "output hidden: $T/chrony/phc1.sock: group nogroup, mode 0755 -> 0775"
said "output hidden: warning: directory $T/chrony (0700 root:root) does not let group nogroup search it"
said "output link: warning: $T/link.sock is a symbolic link, not a socket; left alone"
[ "$(mode_of "$T/target.sock")" = "$target_before" ] || fail "the symlink was followed: $(mode_of "$T/target.sock")"
said "output plain: warning: $T/plain.sock is a regular file, not a socket; left alone"
[ "$(mode_of "$T/plain.sock")" = "$plain_before" ] || fail "the regular file changed: $(mode_of "$T/plain.sock")"
said "output missing: warning: $T/missing.sock does not exist"
[ "$(grep -c . "$T/grant.out")" = 6 ] || fail "not one line per socket (plus one directory warning)"

note "samples arrive, exact"
wait_for 5 bridge_log_has "connected to $T/chrony.phc0.sock" || fail "the bridge did not connect after the grant"
selected() { chronyc_ -n sources | grep -q '^#\* PHC0'; }
wait_for 20 selected || fail "chronyd did not select PHC0"
chronyc_ -n sources
sleep 2
st=$(chrony_system_time)
d=$(diff_ns "$st" 0.000123456)
echo "chronyd tracking: System time $st s (injected 0.000123456), error $d ns"
awk -v d="$d" 'BEGIN{exit !(d <= 10)}' || fail "offset error $d ns > 10 ns"

note "again with --wait 0: at once, nothing left to change"
grant -c "$T/bridge.conf" --group nogroup --wait 0
[ "$GRANT_RC" = 0 ] && [ "$GRANT_MS" -lt 800 ] || fail "--wait 0: rc $GRANT_RC in $GRANT_MS ms"
said "output chrony: $T/chrony.phc0.sock: group nogroup, mode 0775 -> 0775"
kill -0 "$BRIDGE_PID" || fail "bridge exited"
echo ok
