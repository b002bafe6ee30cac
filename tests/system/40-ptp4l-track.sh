# A real ptp4l pair in network namespaces (software timestamping, free_running) drives the
# tracker: UNKNOWN/FREERUN -> LOCKED; the PHC gate opens only then (SHM leap 3 before);
# TAI-UTC and leap61 come from ptp4l's TIME_PROPERTIES; the master killed: HOLDOVER at once
# (port-state push), FREERUN after the configured holdover; the master back: LOCKED again.
# The system's linuxptp (3.1.1 on Debian 12, 4.2 on Debian 13; the -otherptp variant the other).
. "$(dirname "$0")/lib.sh"
# A free-running linuxptp >= 4.0 grandmaster drops a pending leap second at once: the leap
# flags then come from a 3.x grandmaster, through the tracked 4.x slave (which passes its
# parent's flags on as they are).
[ "$(linuxptp_major "$PTP4L_BIN")" -ge 4 ] && master_linuxptp3
note "slave: $PTP4L_BIN $("$PTP4L_BIN" -v); master: $PTP4L_M_BIN $("$PTP4L_M_BIN" -v)"
ptp_netns_setup
shm_unit 30
start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1"
# The slave first, alone: the tracker sees it FREERUN and the gate must be closed; the master
# comes after that check (linuxptp 4.x locks within about a second).
ptp4l_start s
cat > "$T/bridge.conf" <<CONF
$(ptp4l_tracker_conf ptp "holdover = 2")
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
tracker = ptp
tai_offset = 30             ; deliberately wrong: ptp4l's currentUtcOffset must win
outputs = chrony, ntpd
[output chrony]
type = sock
path = $T/chrony/phc0.sock
[output ntpd]
type = shm
unit = 30
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456
field() { shm_read 30 | awk -v f="$1" '{print $f}'; }
wait_for 5 bridge_log_has "tracker ptp: .* -> FREERUN" || fail "the tracker did not see the lone slave FREERUN"
wait_for 2 bash -c "python3 $HERE/shmread.py 30 | awk '{exit !(\$2 == 3)}'" || fail "gate open before LOCKED"
ptp4l_start m
ptp4l_certain
wait_for 20 bridge_log_has "tracker ptp: .* -> LOCKED" || fail "never LOCKED"
grep -E "tracker ptp|gate" "$T/bridge.log"
# ptp4l says currentUtcOffset 37 but not valid yet: the static 30 applies (offset 7.000123456 s).
wait_for 3 bash -c "[ \"\$(python3 $HERE/shmread.py 30 | awk '{print \$1}')\" = 7000123456 ]" \
  || fail "without a valid UTC offset from ptp4l, tai_offset was not used ($(field 1))"
# The grandmaster announces a valid UTC offset of 37 and a leap second at the end of the day
# (ptpTimescale stays 0: with software timestamping a PTP timescale would shift the slave by 37 s).
pmc_ m 'SET GRANDMASTER_SETTINGS_NP clockClass 248 clockAccuracy 0xfe offsetScaledLogVariance 0xffff currentUtcOffset 37 leap61 1 leap59 0 currentUtcOffsetValid 1 ptpTimescale 0 timeTraceable 1 frequencyTraceable 0 timeSource 0xa0' > /dev/null
wait_for 10 bash -c "[ \"\$(python3 $HERE/shmread.py 30 | awk '{print \$1, \$2}')\" = '123456 1' ]" \
  || fail "TAI-UTC/leap61 from ptp4l not applied: $(shm_read 30)"
echo "ptp4l's currentUtcOffset 37 and leap61 reach SHM: $(shm_read 30)"
wait_for 5 bash -c "awk '\$3 == \"PHC0\" && \$4 != \"-\" && \$5 == \"+\"' $T/chrony/refclocks.log | grep -q ." \
  || { tail -3 "$T/chrony/refclocks.log"; fail "chronyd did not get the leap-insert flag"; }

t0=$(date +%s%N)
ptp4l_stop m
wait_for 5 bridge_log_has "LOCKED -> HOLDOVER" || fail "no HOLDOVER after the master died"
t1=$(date +%s%N)
wait_for 2 bash -c "python3 $HERE/shmread.py 30 | awk '{exit !(\$2 == 3)}'" || fail "gate did not close"
wait_for 5 bridge_log_has "HOLDOVER -> FREERUN: holdover of 2 s expired" || fail "no FREERUN after holdover"
h=$(grep "LOCKED -> HOLDOVER" "$T/bridge.log" | tail -1 | cut -c12-23)
f=$(grep "HOLDOVER -> FREERUN" "$T/bridge.log" | tail -1 | cut -c12-23)
held=$(awk -v a="$h" -v b="$f" 'BEGIN{split(a,x,":"); split(b,y,":"); printf "%.3f", (y[1]*3600+y[2]*60+y[3])-(x[1]*3600+x[2]*60+x[3])}')
echo "master killed: HOLDOVER after $(( (t1 - t0) / 1000000 )) ms; FREERUN $held s later (holdover 2 s)"
awk -v h="$held" 'BEGIN{exit !(h >= 1.95 && h <= 2.2)}' || fail "holdover lasted $held s"

ptp4l_start m
wait_for 20 bash -c "grep -c -- '-> LOCKED' $T/bridge.log | grep -qx 2" || fail "not LOCKED again after the master came back"
wait_for 3 bash -c "python3 $HERE/shmread.py 30 | awk '{exit !(\$2 != 3)}'" || fail "gate did not reopen"
echo ok
