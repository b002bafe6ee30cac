# Several ptp4l instances tracked at once (the master's and the slave's), one tracker with a
# wrong domainNumber (a clear diagnostic instead of a quiet hang), one polling slower than the
# Syncs come (it still locks: linuxptp 3.x pushes no TIME_SYNC), port states pushed through
# SUBSCRIBE_EVENTS_NP, a datagram forged by an unprivileged user to the default (abstract)
# address dropped, and the slave's ptp4l restarted: UNKNOWN, then resubscribed and LOCKED.
. "$(dirname "$0")/lib.sh"
ptp_netns_setup
ptp4l_start m
ptp4l_start s
ptp4l_certain
cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
[tracker slave]
type = ptp4l
socket = $T/ptp4l-s
client_address = $T/bridge-s.sock
max_offset = 100000
[tracker master]
type = ptp4l
socket = $T/ptp4l-m
client_address = $T/bridge-m.sock
[tracker forged]
type = ptp4l
socket = $T/no-ptp4l-here
[tracker slowpoll]
type = ptp4l
socket = $T/ptp4l-s
client_address = $T/bridge-p.sock
poll_interval = 1
stale_syncs = 1
max_offset = 100000
[tracker wrongdomain]
type = ptp4l
socket = $T/ptp4l-s
client_address = $T/bridge-w.sock
domain = 24
CONF
start_bridge "$T/bridge.conf"
wait_for 20 bridge_log_has "tracker slave: .* -> LOCKED" || fail "slave tracker never LOCKED"
wait_for 5 bridge_log_has "tracker master: UNKNOWN -> FREERUN: no port in SLAVE" \
  || fail "master tracker is not FREERUN"
# linuxptp 4.x may be MASTER before the tracker's first answer: then FREERUN names it.
master_seen() {
  bridge_log_has "tracker master: port 1 LISTENING -> MASTER" ||
    bridge_log_has "tracker master: UNKNOWN -> FREERUN: no port in SLAVE (MASTER)"
}
wait_for 5 master_seen || fail "master tracker did not see its port become MASTER"
wait_for 5 bridge_log_has "tracker wrongdomain: ptp4l at .* does not answer (8 requests).*domain 24" \
  || fail "no wrong-domain diagnostic"
grep -E "does not answer" "$T/bridge.log" | sed 's/.*warning: //'
bridge_log_has "tracker slave: push of management id 0x2004" \
  || fail "no port-state push arrived (subscription)"
wait_for 10 bridge_log_has "tracker slowpoll: .* -> LOCKED" \
  || fail "a tracker polling every 1 s never locked to 250 ms Syncs"
# Anyone in the network namespace can reach an abstract address: only root's datagrams count.
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(bytes([0x0d, 0x02, 0, 54]) + bytes(50), "\0refclock-bridge/%s/forged" % sys.argv[1])' "$BRIDGE_PID" \
  || fail "could not send as nobody"
wait_for 3 bridge_log_has "tracker forged: management message dropped: not sent by root" \
  || fail "a datagram from an unprivileged user was not dropped"

# The slave's ptp4l restarts: UNKNOWN, then it is found again, subscribed again, LOCKED again.
ptp4l_stop s
wait_for 3 bridge_log_has "tracker slave: LOCKED -> UNKNOWN" || fail "slave ptp4l gone but not UNKNOWN"
sleep 1
ptp4l_start s
ptp4l_certain
wait_for 20 bash -c "grep -c 'tracker slave: .* -> LOCKED' $T/bridge.log | grep -qx 2" \
  || fail "not LOCKED again after ptp4l restarted"
grep -E "tracker slave: .* -> |answers" "$T/bridge.log" | sed 's/.*: tracker/tracker/'
# Pushes arrive again after the restart: the subscription was renewed.
tail -n +$(grep -n "tracker slave: LOCKED -> UNKNOWN" "$T/bridge.log" | cut -d: -f1) "$T/bridge.log" \
  | grep -q "tracker slave: push of management id 0x2004" || fail "no pushes after ptp4l restarted"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
