#!/bin/bash
# The package on a booted Debian (systemd-nspawn -b of this release, testbed.md §4b): installed
# with dpkg, the unit starts at boot as _refclock-bridge with an empty capability set, reaches
# READY, and feeds the container's own chronyd (Debian's chrony.service, as _chrony) through
# its SOCK socket, exact to 10 ns. An admin in group _refclock-bridge reads
# `refclock-bridge status`; another user cannot. The fallback stops and starts a unit over
# D-Bus as that unprivileged user (the package's polkit rule). Reload applies a good file
# and refuses a bad one without stopping; stop runs safe-state, which starts NTP again.
# The fake /dev/ptp0 comes in through a drop-in that sets LD_PRELOAD.
# rb: runs no bridge
. "$(dirname "$0")/lib.sh"
. "$HERE/nspawn_lib.sh"
set -euo pipefail

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, nspawn)"

# The package, and what it needs at run time.
ns_make_deb
PKGS="chrony polkitd procps $(ns_deb_needs | tr '\n' ' ')"
ns_root $PKGS
ns_copy
R=$NS_ROOT

note "install $(basename "$DEB")"
cp "$DEB" "$R/tmp/rb.deb"
ns_chroot dpkg -i /tmp/rb.deb > "$T/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -n 10 "$T/dpkg.log")"
ns_chroot getent passwd _refclock-bridge > /dev/null || fail "no user _refclock-bridge"

# chronyd as Debian runs it (as _chrony, seccomp on), but never steering: -x, and a container
# without CAP_SYS_TIME needs its ConditionCapability= lifted.
mkdir -p "$R/etc/systemd/system/chrony.service.d"
printf '[Unit]\nConditionCapability=\n' > "$R/etc/systemd/system/chrony.service.d/10-test.conf"
echo 'DAEMON_OPTS="-F 1 -x"' > "$R/etc/default/chrony"
SOCK=/run/chrony.phc0.sock
cat > "$R/etc/chrony/chrony.conf" <<CONF
driftfile /var/lib/chrony/chrony.drift
logdir /var/log/chrony
log refclocks
port 0
refclock SOCK $SOCK refid PHC0 poll 0 filter 1
CONF
# The NTP daemon the fallback hands over to: a stand-in unit by a name the polkit rule knows.
printf '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' \
  > "$R/etc/systemd/system/ntpsec.service"
ln -sf ../ntpsec.service "$R/etc/systemd/system/multi-user.target.wants/ntpsec.service"

# The bridge: a simulated PHC 37.000123456 s ahead (TAI).
ns_fake_phc offset_ns=37000123456,delay_ns=400
bridge_conf() { # INTERVAL
  cat <<CONF
[bridge]
log_level = info
[source phc0]
type = phc
device = /dev/ptp0
interval = $1
timescale = tai
tai_offset = 37
outputs = chrony
[output chrony]
type = sock
path = $SOCK
[fallback ntp]
sources = phc0
unit = ntpsec.service
exit_after = 2
min_interval = 1
CONF
}
bridge_conf 0.5 > "$R/etc/refclock-bridge.conf"
# An admin in the bridge's group, and a user who is not.
ns_chroot useradd -M -G _refclock-bridge alice
ns_chroot useradd -M bob

note "boot"
ns_boot
jr() { ns_ journalctl --no-pager -o cat -u refclock-bridge.service; }
failj() { echo "==== journal of refclock-bridge.service"; jr | tail -n 30; fail "$@"; }
active() { [ "$(ns_ systemctl is-active "$1")" = "$2" ]; }
wait_for 20 active refclock-bridge.service active || failj "the unit is not active: $(ns_ systemctl status refclock-bridge.service --no-pager 2>&1 | head -n 20)"

note "identity: _refclock-bridge, no capabilities"
pid=$(ns_ systemctl show -P MainPID refclock-bridge.service)
uid=$(ns_ id -u _refclock-bridge)
st=$(ns_ cat "/proc/$pid/status")
echo "$st" | grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs|Seccomp):'
echo "$st" | grep -qE "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" || fail "the daemon does not run as uid $uid"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
  echo "$st" | grep -qE "^$c:\s+0+$" || fail "$c is not empty: $(echo "$st" | grep "^$c")"
done
echo "$st" | grep -qE '^NoNewPrivs:\s+1$' || fail "NoNewPrivs is not set"
[ "$(ns_ systemctl show -P SubState refclock-bridge.service)" = running ] || fail "not READY"

# tmpfiles.d at boot: PTP's runtime directory, setgid to the bridge's group (ptp4l's socket).
ptpdir=$(ns_ stat -c '%a %U:%G' /run/ptp)
[ "$ptpdir" = "2770 root:_refclock-bridge" ] || fail "/run/ptp is $ptpdir, not 2770 root:_refclock-bridge"

note "samples in chronyd"
selected() { ns_ chronyc -n sources | grep -q '^#\* PHC0'; }
wait_for 30 selected || failj "chronyd did not select PHC0: $(ns_ chronyc -n sources 2>&1)"
ns_ chronyc -n sources
sleep 2
raw=$(ns_ cat /var/log/chrony/refclocks.log | awk '$3 == "PHC0" && $7 != "-" {print $7}' | tail -n 5)
[ -n "$raw" ] || fail "no PHC0 samples in chronyd's refclocks.log"
for r in $raw; do
  d=$(diff_ns "$r" 0.000123456)
  awk -v d="$d" 'BEGIN{exit !(d <= 10)}' || fail "chronyd's sample $r is $d ns from the injected offset"
done
echo "chronyd's last samples: $raw (injected 0.000123456)"

note "status for the group, not for others"
ns_ runuser -u alice -- refclock-bridge status > "$T/status.out" 2>&1 \
  || fail "alice (in _refclock-bridge) cannot read the status: $(cat "$T/status.out")"
grep -q phc0 "$T/status.out" || fail "the status does not show phc0: $(cat "$T/status.out")"
if ns_ runuser -u bob -- refclock-bridge status > "$T/status-bob.out" 2>&1; then
  fail "bob (not in the group) read the status"
fi
echo "bob: $(head -n 1 "$T/status-bob.out")"

note "fallback: PTP good, so the NTP unit is stopped over D-Bus (polkit)"
wait_for 20 active ntpsec.service inactive \
  || failj "ntpsec.service was not stopped: $(ns_ systemctl is-active ntpsec.service)"

note "reload: a good file applies, a bad one is refused, the daemon stays"
bridge_conf 1 > "$R/etc/refclock-bridge.conf"
ns_ systemctl reload refclock-bridge.service || failj "reload of a good file failed"
jr_has() { jr | grep -qi -- "$1"; }
wait_for 10 jr_has reload || failj "the daemon logged no reload"
bridge_conf fast > "$R/etc/refclock-bridge.conf"
if ns_ systemctl reload refclock-bridge.service 2> "$T/reload-bad.out"; then
  fail "reload of a bad file succeeded"
fi
active refclock-bridge.service active || failj "a bad reload stopped the daemon"
[ "$(ns_ systemctl show -P MainPID refclock-bridge.service)" = "$pid" ] \
  || fail "the daemon was restarted by reload"
jr_has 'phc0\] interval' || failj "the bad file's key is not named in the journal"
bridge_conf 1 > "$R/etc/refclock-bridge.conf"

note "stop: safe-state starts NTP again"
ns_ systemctl stop refclock-bridge.service
active refclock-bridge.service inactive || failj "the unit did not stop cleanly: $(ns_ systemctl is-active refclock-bridge.service)"
[ "$(ns_ systemctl show -P Result refclock-bridge.service)" = success ] \
  || failj "stop result: $(ns_ systemctl show -P Result refclock-bridge.service)"
wait_for 10 active ntpsec.service active || failj "safe-state did not start ntpsec.service"
ns_poweroff
echo "ok"
