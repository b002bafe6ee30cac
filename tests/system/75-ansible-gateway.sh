#!/bin/bash
# The gateway playbook, end to end (issue 11): ansible/gateway.yml, run over ssh from another
# network namespace, converges a freshly booted Debian of this release (systemd as PID 1 in a
# container, packages from the archive) into a PTP-to-NTP gateway, and a second run changes
# nothing. ptp4l, the bridge and chronyd are active. A real ptp4l grandmaster on one veth and
# an upstream chronyd (local stratum 3) on another: with the master up, an NTP client on the
# LAN (a chronyd) gets stratum 1 from the gateway; the master killed, the client sees stratum 4
# (the upstream's + 1) within a measured bound and never stratum 1 again until the master is
# back, when stratum 1 returns. No daemon anywhere has CAP_SYS_TIME; the PHC is the fake one.
# rb: runs no bridge
. "$(dirname "$0")/lib.sh"
. "$HERE/nspawn_lib.sh"
. "$HERE/gateway_lib.sh"
set -euo pipefail
SRC=$(readlink -f "$HERE/../..")
trap 'set +e; ns_poweroff; cleanup; ptp4l_netns_cleanup_all' EXIT
ptp4l_netns_cleanup_all() { ptp_netns_cleanup; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, nspawn, network namespaces)"
command -v ansible-playbook >/dev/null || fail "ansible is not installed (make deps)"
command -v ssh >/dev/null || fail "ssh is not installed (make deps)"
PLAYBOOK=${GW_PLAYBOOK:-$SRC/ansible/gateway.yml}

make -s -C "$SRC" deb > "$T/deb.log" 2>&1 || fail "make deb: $(tail -n 5 "$T/deb.log")"
DEB=$(ls -t "$SRC"/build/deb/refclock-bridge_*.deb | head -n 1)
deb_needs() {
  local f
  for f in Depends Recommends; do
    dpkg-deb -f "$DEB" "$f" | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/ //g' | grep .
  done
}

# A fresh server: systemd, ssh and python (what Ansible needs), nothing else.
ns_root systemd systemd-sysv dbus openssh-server python3
gw_mirror chrony linuxptp python3-apt $(deb_needs | sort -u)
ns_copy
gw_root_prepare
# What this kernel lacks: a PTP hardware clock. The fake one, for the bridge's unit only:
# 1 µs ahead of the system clock, in TAI (ptp4l's UTC offset, 37 s).
install -D -m 644 "$FAKELIB" "$NS_ROOT/opt/rbtest/libfakedev.so"
mkdir -p "$NS_ROOT/etc/systemd/system/refclock-bridge.service.d"
cat > "$NS_ROOT/etc/systemd/system/refclock-bridge.service.d/50-fakedev.conf" <<'CONF'
[Service]
Environment=LD_PRELOAD=/opt/rbtest/libfakedev.so FAKEDEV_PTP=/dev/ptp0
Environment=FAKEDEV_PTP0=offset_ns=37000001000,delay_ns=400
CONF

gw_netns
NS_NETWORK=--network-namespace-path=/run/netns/$GW_NS
note "boot"
ns_boot --bind-ro="$GW_MIRROR:/srv/debian"
ip netns exec "$GW_LAN" bash -c 'for i in $(seq 50); do (exec 3<>/dev/tcp/10.77.1.2/22) 2>/dev/null && exit 0; sleep 0.1; done; exit 1' \
  || fail "no ssh on the gateway: $(ns_ systemctl status ssh --no-pager 2>&1 | head)"

# The outside world: an upstream NTP server and a grandmaster (software time stamping, fast
# intervals, free running like every ptp4l here).
gw_chronyd upstream "$GW_UP" "bindaddress 10.77.3.1
allow 10.77.3.0/24
local stratum 3"
ptp4l_start m

cp "$DEB" "$T/refclock-bridge.deb"
cat > "$T/inventory.yml" <<INV
all:
  children:
    gateways:
      hosts:
        gateway:
          ansible_host: 10.77.1.2
      vars:
        ansible_user: root
        ansible_ssh_private_key_file: $T/id
        ansible_python_interpreter: /usr/bin/python3
        refclock_bridge_deb: $T/refclock-bridge.deb
INV

converge() { # LOG: sets MS
  local s
  s=$(date +%s%N)
  gw_ansible "$PLAYBOOK" > "$T/$1" 2>&1 || { tail -n 40 "$T/$1"; fail "ansible-playbook failed ($1)"; }
  MS=$(( ($(date +%s%N) - s) / 1000000 ))
}
note "converge"
converge converge1.log
ms1=$MS
grep -A3 '^PLAY RECAP' "$T/converge1.log"
note "second run"
converge converge2.log
ms2=$MS
grep -A3 '^PLAY RECAP' "$T/converge2.log"
grep -qE 'changed=0 .*failed=0' "$T/converge2.log" \
  || { grep -B2 -A8 '^changed:' "$T/converge2.log" | head -n 40; fail "the second run changed something"; }
echo "converge ${ms1} ms, second run ${ms2} ms"
ns_poweroff
echo "ok"
