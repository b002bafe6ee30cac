#!/usr/bin/env bash
# ntpd-rs as the consumer of the bridge's sock output: offset error over N samples and restart
# recovery over several restarts. Prints figures, never pass/fail.
#
# One fake PHC (build/tests/libfakedev.so) 37.000123456 s ahead, TAI with tai_offset 37, so the
# bridge sends 0.000123456 s four times a second to a real ntpd-rs `mode = "sock"` source.
#   - offset error: for each sample, what ntpd-rs decoded from the datagram (an f64) and what it
#     then holds for the source (its filter state, 32.32 fixed point), minus the injected
#     offset; read from ntpd-rs's debug log, since 1.4.0 lists no sock source in `ntp-ctl
#     status`. Also the time from the bridge's measurement to ntpd-rs's receipt: ntpd-rs
#     ignores the datagram's timestamp and stamps it on receipt, so that latency times the
#     PHC/system frequency offset is an error no log shows (1 ms x 1 ppm = 1 ns).
#   - restart recovery: ntpd-rs stopped (SIGTERM), 1 s later started again (it deletes and
#     re-creates its socket); the time from its start, and from its socket's creation, to its
#     first sample, from ntpd-rs's own log timestamps.
#
# ntpd-rs is packaged from Debian 13 on (1.4.0: `apt install ntpd-rs`); where there is none
# (Debian 12) this prints a note and exits 0. NTPD_RS_BIN names another ntp-daemon.
# Never touches this machine's clock: ntpd-rs runs without CAP_SYS_TIME, with
# build/tests/libnoclockwrite.so turning its clock writes into reads, and with one source
# against minimum-agreeing-sources = 2, so it never tries to steer. Only Unix sockets in a
# private 0700 directory. Tunables: BENCH_NTPDRS_SAMPLES=100 BENCH_NTPDRS_RESTARTS=10.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
N=${BENCH_NTPDRS_SAMPLES:-100}
RESTARTS=${BENCH_NTPDRS_RESTARTS:-10}
INJECT_NS=37000123456
INJECT=0.000123456

NTPD_RS=${NTPD_RS_BIN:-$(command -v ntp-daemon || true)}
if [ -z "$NTPD_RS" ]; then
  echo "ntpd-rs: SKIP: no ntp-daemon here (ntpd-rs is packaged from Debian 13 on: apt install ntpd-rs; run this in a Debian 13 root)"
  exit 0
fi
RB_BIN=$(readlink -f "$BUILD/refclock-bridge")
FAKELIB=$(readlink -f "$BUILD/tests/libfakedev.so")
NOCLOCKWRITE=$(readlink -f "$BUILD/tests/libnoclockwrite.so")
for f in "$RB_BIN" "$FAKELIB" "$NOCLOCKWRITE"; do
  [ -e "$f" ] || { echo "bench: $f missing; run 'make tests'" >&2; exit 1; }
done
command -v setpriv >/dev/null || { echo "bench: setpriv missing; refusing to run time daemons" >&2; exit 1; }
VERSION=$("$NTPD_RS" --version 2>&1 | awk '{print $2; exit}')

T=$(mktemp -d /tmp/rbbench-ntpdrs.XXXXXX)
chmod 700 "$T"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
# shellcheck source=../tests/system/ntpd_rs_lib.sh
. tests/system/ntpd_rs_lib.sh
trap 'exit 130' INT TERM

noise=$(ntpd_rs_noise "$VERSION")
ntpd_rs_config "$noise"
bridge_phc_sock_config "$T/bridge.conf" "[bridge]
log_level = debug
status_socket = $T/status.sock
metrics_dir = $T"

wait_samples() { # COUNT SECONDS
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    [ "$(samples)" -ge "$1" ] && return 0
    kill -0 "$NTPD_RS_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
iso_ns() { date -d "$1" +%s%N; }
# stats: reads numbers, prints "min / median / max (n)" with FORMAT
stats() {
  sort -g | awk -v f="$1" '{v[NR] = $1} END {
    if (NR == 0) {print "no values"; exit}
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf f " / " f " / " f "  (n = %d)\n", v[1], m, v[NR], NR}'
}

start_ntpd_rs
for ((i = 0; i < 100; i++)); do [ -S "$T/phc0.sock" ] && break; sleep 0.05; done
env LD_PRELOAD="$FAKELIB" FAKEDEV_CTL="$T" FAKEDEV_PTP=/dev/ptp0 \
  FAKEDEV_PTP0="offset_ns=$INJECT_NS,delay_ns=400" "$RB_BIN" -f -c "$T/bridge.conf" \
  > "$T/bridge.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=("$BRIDGE_PID")
wait_samples "$N" $((N / 4 + 15)) || echo "bench: ntpd-rs got only $(samples) of $N samples" >&2
FIRST_LOG=$NTPD_RS_LOG

# Offset error, per sample.
ERR_DECODED=$(sed -n 's/.*received SockSample { offset: \([^,]*\),.*/\1/p' "$FIRST_LOG" | head -n "$N" \
  | awk -v i="$INJECT" '{d = ($1 - i) * 1e9; if (d < 0) d = -d; printf "%.3f\n", d}' | stats "%.3f")
ERR_HELD=$(grep 'updating source msg=OneWaySourceUpdate' "$FIRST_LOG" | head -n "$N" \
  | sed -n 's/.*KalmanState { state: Matrix { data: \[\[\([^]]*\)\].*/\1/p' \
  | awk -v i="$INJECT" '{d = ($1 - i) * 1e9; if (d < 0) d = -d; printf "%.3f\n", d}' | stats "%.3f")

# Bridge measurement (its debug log's "sample at", system time) -> ntpd-rs's receipt (the
# timestamp of its "received" line), pairing each receipt with the latest sample before it.
LATENCY=$( {
  sed -n 's/.*source phc0: sample at \([0-9.]*\) offset.*/B \1/p' "$T/bridge.log"
  grep 'received SockSample' "$FIRST_LOG" | head -n "$N" | while read -r ts _; do
    echo "R $(iso_ns "$ts" | sed 's/\(.........\)$/.\1/')"
  done
} | sort -k2,2g | awk '$1 == "B" {b = $2} $1 == "R" && b != "" {printf "%.1f\n", ($2 - b) * 1e6; b = ""}' \
  | stats "%.1f")
kill -0 "$NTPD_RS_PID" 2>/dev/null && STEERED=$(grep -cE 'Jumped offset|Slewing by|Changed frequency' "$FIRST_LOG")

# Restart recovery.
FROM_START=() FROM_SOCKET=() LOST=0
for ((r = 1; r <= RESTARTS; r++)); do
  stop_ntpd_rs
  sleep 1
  start_ntpd_rs
  if wait_samples 1 10; then
    t1=$(iso_ns "$(grep -m1 'received SockSample' "$NTPD_RS_LOG" | awk '{print $1}')")
    ts=$(iso_ns "$(grep -m1 'Creating socket at' "$NTPD_RS_LOG" | awk '{print $1}')")
    FROM_START+=("$(awk -v a="$t1" -v b="$NTPD_RS_T0" 'BEGIN{printf "%.3f", (a - b) / 1e9}')")
    FROM_SOCKET+=("$(awk -v a="$t1" -v b="$ts" 'BEGIN{printf "%.3f", (a - b) / 1e9}')")
  else
    LOST=$((LOST + 1))
  fi
done
stop_ntpd_rs
kill "$BRIDGE_PID" 2>/dev/null
wait "$BRIDGE_PID" 2>/dev/null

echo "ntpd-rs $VERSION as a sock consumer (bridge $("$RB_BIN" -v | awk '{print $2}'); $(nproc) CPUs)"
echo "  one fake PHC, offset_ns=$INJECT_NS, no noise, tai_offset 37: the bridge sends $INJECT s every 0.25 s"
echo "  source config: $noise"
echo "  offset error over $N samples, |value - $INJECT s| in ns, min / median / max:"
echo "    decoded by ntpd-rs (the datagram's f64)          $ERR_DECODED"
echo "    held by ntpd-rs for the source (32.32 filter)    $ERR_HELD"
echo "    (32.32 is 2^-32 s = 0.233 ns a step; ntpd-rs converts with 2^32 - 1 and truncates)"
echo "  bridge measurement -> ntpd-rs receipt, us:          $LATENCY"
echo "    (ntpd-rs stamps a sample on receipt and ignores its time: each ms of this is 1 ns of"
echo "    error per ppm of frequency offset between the PHC and the system clock)"
echo "  ntpd-rs steering attempts: ${STEERED:-? (ntpd-rs exited)}"
echo "  restart recovery over $RESTARTS restarts (stopped 1 s, then started), s, min / median / max:"
echo "    ntpd-rs started -> first sample                  $(printf '%s\n' "${FROM_START[@]}" | grep . | stats "%.3f")"
echo "    its socket created -> first sample               $(printf '%s\n' "${FROM_SOCKET[@]}" | grep . | stats "%.3f")"
echo "    restarts with no sample within 10 s: $LOST"
