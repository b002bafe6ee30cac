# A real ntpd-rs (1.4.0 on Debian 13) with one `sock` source fed by the bridge's sock output: a
# PHC 37.000123456 s ahead (TAI, tai_offset 37) reaches ntpd-rs as 0.000123456 s, which it
# keeps in 32.32 fixed point (within 2^-32 s); ntpd-rs restarted (it deletes and re-creates its
# socket) twice: samples arrive again within 2 s, same bridge process.
#
# ntpd-rs never steers here: CAP_SYS_TIME is dropped, its clock writes are turned into reads by
# build/tests/libnoclockwrite.so (it exits when its first ntp_adjtime fails), and one source
# with minimum-agreeing-sources = 2 is never enough to steer on. Where ntpd-rs shows the offset:
# 1.4.0 lists no sock source in `ntp-ctl status` or its observation socket, so it is read from
# its debug log, where every sample's update carries the source's filter state ("updating
# source ... KalmanState { state: Matrix { data: [[OFFSET_S], [FREQ]] }"); from 1.5 on
# `ntp-ctl status -f prometheus` has it as ntp_source_offset_seconds, which is used when present.
# NTPD_RS_BIN may name another ntp-daemon (its ntp-ctl beside it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ntpd_rs_lib.sh"
NOCLOCKWRITE=$(readlink -f "$RB_BUILD/tests/libnoclockwrite.so")
[ -f "$NOCLOCKWRITE" ] || fail "$RB_BUILD/tests/libnoclockwrite.so missing (make tests)"

# The shim itself, wherever this runs: without CAP_SYS_TIME a write that reached the kernel
# would fail with EPERM, so success from every writing call shows each became a read.
note "libnoclockwrite.so: every clock write becomes a read"
cat > "$T/shimcheck.py" <<'PY'
import ctypes, os, platform, sys
libc = ctypes.CDLL(None, use_errno=True)
class Timex(ctypes.Structure):  # struct timex: modes, then the rest (208 bytes on LP64)
    _fields_ = [("modes", ctypes.c_uint), ("_pad", ctypes.c_int), ("offset", ctypes.c_long),
                ("freq", ctypes.c_long), ("_rest", ctypes.c_byte * 184)]
class Timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
def tx(modes):
    t = Timex(); t.modes = modes; t.freq = 100 << 16; return ctypes.byref(t)
now = Timespec(); libc.clock_gettime(0, ctypes.byref(now))
calls = [("ntp_adjtime(ADJ_STATUS)", lambda: libc.ntp_adjtime(tx(0x10))),
         ("adjtimex(ADJ_FREQUENCY)", lambda: libc.adjtimex(tx(0x2))),
         ("clock_adjtime(REALTIME, ADJ_SETOFFSET)", lambda: libc.clock_adjtime(0, tx(0x100))),
         ("clock_settime(REALTIME)", lambda: libc.clock_settime(0, ctypes.byref(now))),
         ("settimeofday", lambda: libc.settimeofday(ctypes.byref(Timespec(now.sec, 0)), None)),
         ("adjtime", lambda: libc.adjtime(ctypes.byref(Timespec(0, 1000)), None))]
if platform.machine() == "x86_64":
    calls += [("syscall(clock_adjtime)", lambda: libc.syscall(305, 0, tx(0x2))),
              ("syscall(adjtimex)", lambda: libc.syscall(159, tx(0x2))),
              ("syscall(clock_settime)", lambda: libc.syscall(227, 0, ctypes.byref(now))),
              ("syscall(settimeofday)", lambda: libc.syscall(164, ctypes.byref(now), None)),
              ("syscall(getpid) passed on", lambda: libc.syscall(39) - os.getpid())]
bad = 0
for name, call in calls:
    rc = call()
    err = os.strerror(ctypes.get_errno()) if rc < 0 else "ok"
    print(f"{name}: {rc} {err}")
    bad += rc < 0
sys.exit(bad)
PY
$NOTIME env LD_PRELOAD="$NOCLOCKWRITE" /usr/bin/python3 "$T/shimcheck.py" 2> "$T/shimcheck.err" \
  || { cat "$T/shimcheck.err"; fail "a clock write went past libnoclockwrite.so (EPERM above)"; }
grep -q "noclockwrite: ntp_adjtime(modes 0x10) turned into a read" "$T/shimcheck.err" \
  || fail "the shim did not report the write it turned"

NTPD_RS=${NTPD_RS_BIN:-$(command -v ntp-daemon || true)}
if [ -z "$NTPD_RS" ]; then
  skip_before_debian 13 "ntpd-rs is packaged from Debian 13 on (the Debian 13 suite runs this test)"
  skip "ntpd-rs is not installed (ntp-daemon not found; Debian 13: apt install ntpd-rs)"
fi
NTP_CTL=$(dirname "$NTPD_RS")/ntp-ctl
[ -x "$NTP_CTL" ] || NTP_CTL=ntp-ctl
version=$("$NTPD_RS" --version 2>&1 | awk '{print $2; exit}')
note "ntpd-rs $version ($NTPD_RS)"
noise=$(ntpd_rs_noise "$version")

INJECT=0.000123456
# ntpd-rs 1.x keeps durations as 32.32 fixed point, converting with u32::MAX: what it can hold
# of the injected offset is floor(0.000123456 * (2^32 - 1)) / (2^32 - 1).
FIXED=$(awk -v s="$INJECT" 'BEGIN{m=4294967295; printf "%.19f", int(s*m)/m}')

ntpd_rs_config "$noise" "observation-path = \"$T/ntpd-rs.observe\""
# The README's config as a user would run it (ntp-ctl validate refuses the test's own, which
# has fewer sources than it asks to agree).
cat > "$T/readme.toml" <<CONF
[synchronization]
minimum-agreeing-sources = 1
[[source]]
mode = "sock"
path = "/run/ntpd-rs/phc0.sock"
$noise
CONF
out=$("$NTP_CTL" validate -c "$T/readme.toml" 2>&1)
rc=$?
echo "$out" | sed 's/\x1b\[[0-9;]*m//g'
[ "$rc" -eq 0 ] || fail "ntp-ctl validate rejects the README's variant for $version"

has_samples() { [ "$(samples)" -ge "$1" ]; }
# ISO time of a log line -> ns since the epoch
line_ns() { date -d "$(echo "$1" | awk '{print $1}')" +%s%N; }

start_ntpd_rs
wait_for 5 test -S "$T/phc0.sock" || fail "ntpd-rs did not create $T/phc0.sock"
bridge_phc_sock_config "$T/bridge.conf"
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456,delay_ns=400

# 12 samples: past ntpd-rs's 8-sample start-up filter, so its stable filter has run too.
wait_for 15 has_samples 12 || fail "ntpd-rs received $(samples) samples in 15 s, wanted 12"
kill -0 "$NTPD_RS_PID" || fail "ntpd-rs exited"
grep -m1 'noclockwrite:' "$NTPD_RS_LOG"
grep -m1 'Daemon will not change system time' "$NTPD_RS_LOG" \
  || fail "ntpd-rs did not say it will not change the system time"
if grep -E 'Jumped offset|Slewing by|Changed frequency' "$NTPD_RS_LOG"; then
  fail "ntpd-rs tried to steer"
fi

# Every datagram as ntpd-rs decoded it (its f64, before fixed point): the bridge's exactly.
raw=$(sed -n 's/.*received SockSample { offset: \([^,]*\), pulse: \([0-9-]*\), leap: \([0-9-]*\).*/\1 \2 \3/p' "$NTPD_RS_LOG" | sort | uniq -c)
echo "samples ntpd-rs received (count, offset s, pulse, leap):"
echo "$raw"
[ "$(echo "$raw" | wc -l)" -eq 1 ] && [ "$(echo "$raw" | awk '{print $2, $3, $4}')" = "$INJECT 0 0" ] \
  || fail "ntpd-rs received other samples than offset $INJECT pulse 0 leap 0"

# The offset ntpd-rs holds for the source.
reported=$("$NTP_CTL" -c "$T/ntp.toml" status -f prometheus 2>/dev/null \
  | awk '/^ntp_source_offset_seconds/ {print $NF; exit}')
where="ntp-ctl status: ntp_source_offset_seconds"
if [ -z "$reported" ]; then
  reported=$(grep 'updating source msg=OneWaySourceUpdate' "$NTPD_RS_LOG" | tail -n 1 \
    | sed -n 's/.*KalmanState { state: Matrix { data: \[\[\([^]]*\)\].*/\1/p')
  where="debug log: source filter state (ntp-ctl status lists no sock source in $version)"
fi
[ -n "$reported" ] || fail "found no source offset in ntp-ctl status or the debug log"
err=$(awk -v a="$reported" -v b="$INJECT" 'BEGIN{d=(a-b)*1e9; if(d<0)d=-d; printf "%.3f", d}')
echo "ntpd-rs $version reports $reported s ($where)"
echo "injected $INJECT s; 32.32 value $FIXED s; error $err ns"
awk -v r="$reported" -v f="$FIXED" -v i="$INJECT" 'BEGIN{
  d = r - i; if (d < 0) d = -d; q = 2^-32;
  e = r - f; if (e < 0) e = -e;
  exit !(d <= 1e-9 && d < q && e < 1e-15)}' \
  || fail "reported $reported s is not the injected $INJECT s to 32.32 resolution ($FIXED s)"
grep 'source offset' "$NTPD_RS_LOG" | tail -n 1 | sed 's/.*kalman::source: //'

# Restarts: ntpd-rs deletes and re-creates the socket; the bridge must find the new one.
for round in 1 2; do
  stop_ntpd_rs
  note "round $round: ntpd-rs stopped"
  sleep 1
  kill -0 "$BRIDGE_PID" || fail "bridge died while ntpd-rs was down"
  start_ntpd_rs
  wait_for 3 has_samples 1 || fail "round $round: no sample within 3 s of ntpd-rs's restart"
  first=$(grep -m1 'received SockSample' "$NTPD_RS_LOG")
  made=$(grep -m1 'Creating socket at' "$NTPD_RS_LOG")
  t1=$(line_ns "$first")
  tsock=$(line_ns "$made")
  took=$(( (t1 - NTPD_RS_T0) / 1000000 ))
  echo "round $round: first sample $took ms after ntpd-rs started ($(( (t1 - tsock) / 1000000 )) ms after its socket was made)"
  [ "$took" -le 2000 ] || fail "round $round: first sample $took ms after ntpd-rs started (> 2 s)"
  wait_for 3 has_samples 3 || fail "round $round: samples did not keep coming"
done
grep -E "cannot send to|connected to .* after" "$T/bridge.log"
kill -0 "$NTPD_RS_PID" || fail "ntpd-rs exited"
stop_ntpd_rs
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "bridge exit code $BRIDGE_RC"
echo ok
