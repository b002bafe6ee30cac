# A real phc2sys -a -r (CAP_SYS_TIME dropped: each clock write fails with EPERM and is logged)
# in the slave's network namespace. phc2sys -a ignores ports that ptp4l reports with software
# timestamping, and a veth has no PHC: so it talks to ptp4l through ptp4l_hwts_relay.py, which
# changes one byte, the timestamping field of PORT_PROPERTIES_NP (software -> hardware); the
# port states, pushes and everything else are ptp4l's own. The fake device library answers
# phc2sys's ethtool query for the slave's veth with PHC index 0 and emulates /dev/ptp0 (it
# refuses to be steered). Its log goes to $LOG.
# Clock writes phc2sys logs: each measurement, a frequency or step that failed, a status write.
STEER='CLOCK_REALTIME [a-z]+ offset|failed to (adjust the clock|step clock|set (the )?clock status)'

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

start_phc2sys() {
  rm -f "$T/relay"
  /usr/bin/python3 "$HERE/ptp4l_hwts_relay.py" "$T/relay" "$T/ptp4l-s" "$T/relay-back" >> "$T/relay.log" 2>&1 &
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

stop_phc2sys() {
  kill "$PHC2SYS_PID" 2>/dev/null
  wait "$PHC2SYS_PID" 2>/dev/null
  rm -f "/var/run/phc2sys.$PHC2SYS_PID"
  kill "$RELAY" 2>/dev/null
  wait "$RELAY" 2>/dev/null
  rm -f "$T/relay" "$T/relay-back"
}
