# Every PHC ioctl, forced or probed, and a PHC found through its network interface, give the
# exact injected offset; an unsupported forced method is a clear error, not a crash.
. "$(dirname "$0")/lib.sh"
shm_unit 6
run_with() { # methods-supported, bridge-keys...
  local methods=$1
  shift
  : > "$T/bridge.log"
  printf '[source phc0]\ntype = phc\ninterval = 0.25\noutputs = s\n' > "$T/bridge.conf"
  printf '%s\n' "$@" >> "$T/bridge.conf"
  printf '[output s]\ntype = shm\nunit = 6\n' >> "$T/bridge.conf"
  ipcrm -M 0x4e545036 2>/dev/null
  start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_IFACES=fake0=0 \
    FAKEDEV_PTP0=offset_ns=37000000777,delay_ns=600,slow_every=3,methods=$methods
}
valid() { shm_read 6 | awk '{exit !($2 == 0 && $4 == 1 && $5 >= 6)}'; }
check_case() { # expected-log-fragment
  wait_for 5 valid || fail "no valid samples ($*)"
  off=$(shm_read 6 | awk '{print $1}')
  [ "$off" = 777 ] || fail "offset $off ns, expected 777 ($*)"
  bridge_log_has "$1" || { cat "$T/bridge.log"; fail "log lacks '$1'"; }
  stop_bridge
  echo "ok: $1 -> offset $off ns"
}
run_with precise+extended+basic "device = /dev/ptp0"
check_case "reads with PTP_SYS_OFFSET_PRECISE, 1 reading"
run_with extended+basic "device = /dev/ptp0" "readings = 25"
check_case "reads with PTP_SYS_OFFSET_EXTENDED, 25 readings"
run_with basic "device = /dev/ptp0" "readings = 7" "combine = min-delay"
check_case "reads with PTP_SYS_OFFSET, 7 readings"
run_with precise+extended+basic "device = /dev/ptp0" "method = basic"
check_case "reads with PTP_SYS_OFFSET, 10 readings"
run_with precise+extended+basic "interface = fake0" "method = extended"
check_case "opened /dev/ptp0"

# Forced PRECISE on a PHC without cross-timestamping: logged, leap 3, still running.
run_with extended+basic "device = /dev/ptp0" "method = precise"
sleep 1.5
kill -0 "$BRIDGE_PID" || fail "bridge died on an unsupported method"
bridge_log_has "does not support method precise" || fail "no message for the unsupported method"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
