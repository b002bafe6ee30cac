# The rule behind the fallback's phc2sys_auto, checked with the real phc2sys -a -r of linuxptp
# 3.x and 4.x (the system's and the one scripts/deps.sh unpacks), CAP_SYS_TIME dropped so that
# each clock write fails with EPERM and is logged: phc2sys steers CLOCK_REALTIME only while
# ptp4l's port is SLAVE. UNCALIBRATED: no steering. Master killed: steering goes on while the
# port is still SLAVE (before ptp4l's announce timeout) and stops once it leaves SLAVE. Master
# back: steering again.
#
# phc2sys -a ignores ports that ptp4l reports with software timestamping, and a veth has no
# PHC. So phc2sys talks to ptp4l through a relay that changes one byte, the timestamping field
# of PORT_PROPERTIES_NP (software -> hardware); the port states, pushes and everything else are
# ptp4l's own. The fake device library answers phc2sys's ethtool query for the slave's veth
# with PHC index 0 and emulates /dev/ptp0 (it refuses to be steered). linuxptp 4.x also asks
# PORT_HWCLOCK_NP, gets -1 (software) and then finds the PHC by the interface name; at each
# state change it logs "unknown clock /dev/ptp-1" and keeps /dev/ptp0.
. "$(dirname "$0")/lib.sh"

# Clock writes phc2sys logs: each measurement, a frequency or step that failed, a status write.
STEER='CLOCK_REALTIME [a-z]+ offset|failed to (adjust the clock|step clock|set (the )?clock status)'

cat > "$T/relay.py" <<'PY'
# relay.py FRONT PTP4L BACK: datagrams between one client (bound to FRONT) and ptp4l (from
# BACK); PORT_PROPERTIES_NP responses say hardware timestamping instead of software.
import os, select, socket, sys
front_path, ptp4l_path, back_path = sys.argv[1:4]
front = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
front.bind(front_path)
back = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
back.bind(back_path)
client = None

def hardware(d):
    # management (0x0d), RESPONSE (2), MANAGEMENT TLV (1), id 0xc004; byte 65 = timestamping
    if (len(d) >= 66 and d[0] & 0x0f == 0x0d and d[46] & 0x0f == 2
            and d[48:50] == b'\x00\x01' and d[52:54] == b'\xc0\x04' and d[65] == 0):
        d = d[:65] + b'\x01' + d[66:]
    return d

while True:
    ready, _, _ = select.select([front, back], [], [])
    try:
        if front in ready:
            d, client = front.recvfrom(65536)
            back.sendto(d, ptp4l_path)
        if back in ready:
            d = back.recv(65536)
            if client:
                front.sendto(hardware(d), client)
    except OSError:
        pass  # ptp4l or the client not there: a lost datagram, as without the relay
PY

# bins_for MAJOR: ptp4l (both sides), pmc and phc2sys of linuxptp MAJOR.x (4: >= 4), the
# system's or the one scripts/deps.sh unpacked; a skip if there is none.
bins_for() {
  local dir
  if linuxptp_major_is "$1" ptp4l; then
    dir=$(dirname "$(command -v ptp4l)")
  elif [ "$1" -ge 4 ]; then
    dir=$LINUXPTP4_ROOT/usr/sbin
  else
    dir=$LINUXPTP3_ROOT/usr/sbin
  fi
  [ -x "$dir/ptp4l" ] && [ -x "$dir/phc2sys" ] || skip "no linuxptp $1.x with phc2sys (run make deps)"
  PTP4L_BIN=$dir/ptp4l PMC_BIN=$dir/pmc PHC2SYS=$dir/phc2sys
  PTP4L_M_BIN=$PTP4L_BIN PMC_M_BIN=$PMC_BIN
}

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

start_phc2sys() {
  rm -f "$T/relay"
  /usr/bin/python3 "$T/relay.py" "$T/relay" "$T/ptp4l-s" "$T/relay-back" >> "$T/relay.log" 2>&1 &
  RELAY=$!
  PIDS+=("$RELAY")
  wait_for 3 test -S "$T/relay" || fail "the relay did not start"
  # phc2sys binds /var/run/phc2sys.PID for ptp4l's answers; it removes it when it stops.
  ip netns exec "$NS_S" $NOTIME env LD_PRELOAD="$FAKELIB" FAKEDEV_CTL="$T/ctl" \
    FAKEDEV_PTP=/dev/ptp0 FAKEDEV_IFACES="vs$$=0" \
    "$PHC2SYS" -a -r -m -q -R 4 -z "$T/relay" >> "$LOG" 2>&1 &
  PHC2SYS_PID=$!
  PIDS+=("$PHC2SYS_PID")
}

stop_all() {
  kill "$PHC2SYS_PID" 2>/dev/null
  wait "$PHC2SYS_PID" 2>/dev/null
  rm -f "/var/run/phc2sys.$PHC2SYS_PID"
  kill "$RELAY" 2>/dev/null
  wait "$RELAY" 2>/dev/null
  rm -f "$T/relay" "$T/relay-back"
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
