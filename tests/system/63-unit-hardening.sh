#!/bin/bash
# The shipped unit as installed (make install into a private prefix, so its paths are real):
# systemd-analyze verify is clean, and its exposure (systemd-analyze security --offline) is 1.5
# or less. The unit runs as the dedicated user with no capabilities at all, and keeps the
# settings the daemon relies on (Type=notify, watchdog, reload, exit 78, safe-state).
# rb: runs no bridge
. "$(dirname "$0")/lib.sh"
set -euo pipefail
SRC=$(readlink -f "$HERE/../..")

command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (make deps)"
P=$T/prefix
make -s -C "$SRC" install PREFIX="$P" BUILD="$(readlink -f "$RB_BUILD")" > "$T/install.log" 2>&1 \
  || fail "make install PREFIX=$P: $(tail -n 3 "$T/install.log")"
U=$P/lib/systemd/system/refclock-bridge.service
[ -f "$U" ] || fail "make install put no unit at $U"

note "systemd-analyze verify"
# With man available, verify also checks that Documentation='s pages resolve (in the prefix).
man_opt=(--man=no)
command -v man >/dev/null && man_opt=()
MANPATH=$P/share/man timeout 30 systemd-analyze verify "${man_opt[@]}" "$U" > "$T/verify.log" 2>&1 \
  || fail "systemd-analyze verify: $(cat "$T/verify.log")"
# verify warns about unknown keys with exit 0: any output at all is a finding.
[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify is not clean: $(cat "$T/verify.log")"

note "systemd-analyze security --offline: exposure 1.5 or less"
# --threshold counts tenths (systemd 252 rejects "1.5"): 15 is an exposure of 1.5.
timeout 30 systemd-analyze security --offline=true --threshold=15 "$U" > "$T/security.log" 2>&1 \
  || fail "exposure above 1.5: $(grep -E '✗|Overall' "$T/security.log")"
grep 'Overall exposure' "$T/security.log"

note "identity, capabilities and the daemon's own settings"
key() { sed -n "s/^$1=//p" "$U"; }
[ "$(key User)" = _refclock-bridge ] && [ "$(key Group)" = _refclock-bridge ] \
  || fail "the unit does not run as _refclock-bridge"
grep -qx 'CapabilityBoundingSet=' "$U" && grep -qx 'AmbientCapabilities=' "$U" \
  || fail "the unit keeps capabilities"
grep -qx 'NoNewPrivileges=yes' "$U" || fail "NoNewPrivileges is not set"
[ "$(key Type)" = notify ] && [ -n "$(key WatchdogSec)" ] || fail "Type=notify or the watchdog is missing"
[ "$(key RestartPreventExitStatus)" = 78 ] || fail "RestartPreventExitStatus=78 is missing"
grep -qx "ExecStart=$P/sbin/refclock-bridge -c /etc/refclock-bridge.conf" "$U" \
  || fail "ExecStart does not name the installed binary: $(key ExecStart)"
grep -qx "ExecReload=$P/sbin/refclock-bridge --check-config -c /etc/refclock-bridge.conf" "$U" \
  || fail "ExecReload does not check the configuration first"
grep -qx "ExecStopPost=$P/sbin/refclock-bridge safe-state -c /etc/refclock-bridge.conf" "$U" \
  || fail "ExecStopPost does not put the fallback into its safe state"
# Device ACLs: PTP clocks and PPS, read-only, nothing else (ProtectClock adds the RTC).
[ "$(grep -c '^DeviceAllow=' "$U")" = 2 ] && grep -qx 'DeviceAllow=char-ptp r' "$U" \
  && grep -qx 'DeviceAllow=char-pps r' "$U" && grep -qx 'DevicePolicy=closed' "$U" \
  || fail "the device ACL is not char-ptp and char-pps, read-only"
echo "ok"
