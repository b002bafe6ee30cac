# The rule behind the fallback's phc2sys_auto, checked with the real phc2sys -a -r of linuxptp
# 3.x and 4.x (the system's and the one scripts/deps.sh unpacks), CAP_SYS_TIME dropped so that
# each clock write fails with EPERM and is logged: phc2sys steers CLOCK_REALTIME only while
# ptp4l's port is SLAVE. UNCALIBRATED: no steering. Master killed: steering goes on while the
# port is still SLAVE (before ptp4l's announce timeout) and stops once it leaves SLAVE. Master
# back: steering again. How phc2sys runs here: phc2sys_lib.sh. linuxptp 4.x also asks
# PORT_HWCLOCK_NP, gets -1 (software) and then finds the PHC by the interface name; at each
# state change it logs "unknown clock /dev/ptp-1" and keeps /dev/ptp0.
# rb: runs no bridge
. "$(dirname "$0")/lib.sh"
. "$HERE/phc2sys_lib.sh"

# steer_after LINE: how many clock writes phc2sys logged after that line of its log.
steer_after() { tail -n +"$(($1 + 1))" "$LOG" | grep -c -E "$STEER"; }
lines() { wc -l < "$LOG"; }
# last_line PATTERN: the number of the last log line matching it (0: none).
last_line() { grep -n -E "$1" "$LOG" | tail -n 1 | cut -d: -f1 | grep . || echo 0; }
# wait_log_after SECONDS LINE PATTERN: waits for a log line matching PATTERN after LINE.
wait_log_after() { wait_for "$1" bash -c "tail -n +$(($2 + 1)) '$LOG' | grep -q -E '$3'"; }
port_state() { pmc_ s 'GET PORT_DATA_SET' | awk '$1 == "portState" {print $2}'; }
wait_state() { wait_for "$1" bash -c "$(declare -f pmc_ port_state); NS_S=$NS_S T=$T PMC_BIN=$PMC_BIN \
  port_state | grep -qx '$2'"; }

stop_all() {
  stop_phc2sys
  ptp4l_stop m
  ptp4l_stop s
}

# check_version MAJOR: the whole sequence with linuxptp MAJOR.x on both sides and phc2sys.
check_version() {
  local major=$1 mark n l
  bins_for "$major"
  LOG=$T/phc2sys-$major.log
  note "linuxptp $("$PHC2SYS" -v 2>&1): $PHC2SYS"

  # The slave alone (LISTENING): its port is a sink, CLOCK_REALTIME is not selected. Its
  # announce timeout is 6 x 250 ms, so that a silent master leaves a window worth seeing.
  ptp4l_start s "announceReceiptTimeout 6"
  start_phc2sys
  wait_log_after 10 0 'reconfiguring after port state change' || fail "phc2sys never configured itself"
  mark=$(last_line 'reconfiguring after port state change')

  # The master: the slave is UNCALIBRATED (free_running and not yet certain).
  ptp4l_start m
  wait_state 10 UNCALIBRATED || fail "the slave never became UNCALIBRATED"
  wait_log_after 3 "$mark" 'clock not ready, waiting' || fail "phc2sys did not see UNCALIBRATED"
  sleep 1.5
  [ "$(port_state)" = UNCALIBRATED ] || fail "the slave left UNCALIBRATED by itself"
  n=$(steer_after "$mark")
  echo "LISTENING, then UNCALIBRATED: $n clock writes"
  [ "$n" -eq 0 ] || fail "phc2sys wrote to CLOCK_REALTIME before its port was SLAVE"

  # SLAVE: CLOCK_REALTIME is selected and steered.
  mark=$(lines)
  ptp4l_certain
  wait_state 5 SLAVE || fail "the slave never became SLAVE"
  wait_log_after 3 "$mark" 'selecting CLOCK_REALTIME for synchronization' \
    || fail "phc2sys did not select CLOCK_REALTIME with its port SLAVE"
  wait_for 5 bash -c "[ \$(tail -n +$((mark + 1)) '$LOG' | grep -c -E '$STEER') -ge 6 ]" \
    || fail "phc2sys did not steer CLOCK_REALTIME with its port SLAVE"
  grep -m 2 -E 'CLOCK_REALTIME [a-z]+ offset|failed to adjust' <(tail -n +"$((mark + 1))" "$LOG")

  # Master killed: steering goes on while the port is SLAVE, stops once it has left SLAVE.
  mark=$(lines)
  ptp4l_stop m
  wait_state 5 LISTENING || fail "the slave did not leave SLAVE after the master died"
  wait_log_after 3 "$mark" 'reconfiguring after port state change' \
    || fail "phc2sys did not reconfigure after the port left SLAVE"
  l=$(last_line 'reconfiguring after port state change')
  n=$(tail -n +"$((mark + 1))" "$LOG" | head -n "$((l - mark))" | grep -c -E "$STEER")
  echo "master killed: $n clock writes while the port was still SLAVE"
  [ "$n" -ge 1 ] || fail "no steering while the port was still SLAVE after the master died"
  sleep 3
  n=$(steer_after "$l")
  echo "port LISTENING for 3 s: $n clock writes"
  [ "$n" -eq 0 ] || { tail -n +"$((l + 1))" "$LOG" | head; fail "phc2sys still steers after its port left SLAVE"; }

  # Master back: SLAVE again (the slave stays certain), steering again.
  mark=$(lines)
  ptp4l_start m
  wait_state 20 SLAVE || fail "the slave did not become SLAVE again"
  wait_log_after 3 "$mark" 'selecting CLOCK_REALTIME for synchronization' \
    || fail "phc2sys did not select CLOCK_REALTIME again"
  wait_for 5 bash -c "[ \$(tail -n +$((mark + 1)) '$LOG' | grep -c -E '$STEER') -ge 6 ]" \
    || fail "phc2sys did not steer again after the master came back"
  echo "master back: SLAVE, steering again"
  stop_all
}

ptp_netns_setup
check_version 3
check_version 4
echo ok
