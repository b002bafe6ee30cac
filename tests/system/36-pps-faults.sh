# Kernel PPS faults: no CAP_SYS_TIME to set the capture mode (EPERM: warned once, the device's
# mode kept), missed pulses (counted, the rest still exact), and the device vanishing and
# coming back (leap 3 at once, then samples again without a restart).
. "$(dirname "$0")/lib.sh"
shm_unit 23
cat > "$T/bridge.conf" <<CONF
[source pps]
type = pps
device = /dev/pps0
edge = clear
trust_system_clock = yes
outputs = s
[output s]
type = shm
unit = 23
CONF
# The device's mode captures both edges already; setting it is refused, as without CAP_SYS_TIME.
start_bridge "$T/bridge.conf" FAKEDEV_PPS=/dev/pps0 \
  FAKEDEV_PPS0=offset_ns=2000,width_ns=200000000,miss_every=3,setparams=eperm,mode=0x1003
field() { shm_read 23 | awk -v f="$1" '{print $f}'; }
leap_is() { [ "$(field 2)" = "$1" ] && [ "$(field 4)" = 1 ]; }
wait_for 5 leap_is 0 || fail "no samples from clear edges"
# clear edges are 200 ms after the assert edge: true minus system = 2000 ns - 200 ms
[ "$(field 1)" = "-199998000" ] || fail "clear-edge offset $(field 1)"
wait_for 6 bridge_log_has "edge(s) missed on /dev/pps0" || fail "missed pulses not reported"
bridge_log_has "cannot select clear edges" && fail "warned about EPERM although the mode was right"

touch "$T/ctl/pps0.gone"
wait_for 3 bash -c "python3 $HERE/shmread.py 23 | awk '{exit !(\$2 == 3)}'" || fail "no leap 3 when the device vanished"
rm "$T/ctl/pps0.gone"
wait_for 10 leap_is 0 || fail "samples did not resume after the device came back"
bridge_log_has "/dev/pps0 is back" || fail "no recovery message"
stop_bridge

# Now the device captures assert only and refuses SETPARAMS: one warning, then no clear edges.
: > "$T/bridge.log"
start_bridge "$T/bridge.conf" FAKEDEV_PPS=/dev/pps0 FAKEDEV_PPS0=setparams=eperm,mode=0x1001
wait_for 3 bridge_log_has "cannot select clear edges on /dev/pps0" || fail "no EPERM warning"
grep "cannot select" "$T/bridge.log"
sleep 2
[ "$(grep -c 'cannot select' "$T/bridge.log")" -eq 1 ] || fail "EPERM warned more than once"
kill -0 "$BRIDGE_PID" || fail "bridge exited"
echo ok
