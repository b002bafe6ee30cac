# A real ntpd-rs as the consumer of the bridge's sock output, for test 28 and bench/ntpd_rs.sh.
# It never steers: CAP_SYS_TIME dropped, libnoclockwrite.so turning its clock writes into
# reads, and one source where two must agree. Needs T, PIDS, NTPD_RS and NOCLOCKWRITE.

# ntpd_rs_noise VERSION: the README's source noise line for that version: 1.4 knows only
# measurement_noise_estimate (a variance, s^2, kept in 32.32 fixed point); 1.5 and later take
# precision (1 sigma, s).
ntpd_rs_noise() {
  case "$1" in
    1.[0-4].*) echo "measurement_noise_estimate = 1e-9" ;;
    *) echo "precision = 1e-7" ;;
  esac
}

# ntpd_rs_config NOISE [OBSERVABILITY LINE]: $T/ntp.toml, a debug log (every sample and the
# source's state) and one sock source at $T/phc0.sock.
ntpd_rs_config() {
  cat > "$T/ntp.toml" <<CONF
[observability]
log-level = "debug"
ansi-colors = false
${2:-}
[synchronization]
minimum-agreeing-sources = 2
[[source]]
mode = "sock"
path = "$T/phc0.sock"
$1
CONF
}

# bridge_phc_sock_config FILE [LINES]: the bridge's PHC source (the fake PHC, TAI, tai_offset
# 37) to a sock output at $T/phc0.sock, four samples a second; LINES go first.
bridge_phc_sock_config() {
  cat > "$1" <<CONF
${2:-}
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
timescale = tai
tai_offset = 37
outputs = ntpdrs
[output ntpdrs]
type = sock
path = $T/phc0.sock
CONF
}

# start_ntpd_rs: each run logs to its own $NTPD_RS_LOG; NTPD_RS_T0 is its start (ns).
NTPD_RS_RUNS=0
start_ntpd_rs() {
  NTPD_RS_RUNS=$((NTPD_RS_RUNS + 1))
  NTPD_RS_LOG=$T/ntpd-rs.$NTPD_RS_RUNS.log
  : > "$NTPD_RS_LOG"
  NTPD_RS_T0=$(date +%s%N)
  setpriv --bounding-set -sys_time -- env LD_PRELOAD="$NOCLOCKWRITE" "$NTPD_RS" -c "$T/ntp.toml" \
    > "$NTPD_RS_LOG" 2>&1 &
  NTPD_RS_PID=$!
  PIDS+=("$NTPD_RS_PID")
}
stop_ntpd_rs() {
  kill "$NTPD_RS_PID" 2>/dev/null
  wait "$NTPD_RS_PID" 2>/dev/null
}
# samples: how many datagrams the current run has received
samples() { grep -c 'received SockSample' "$NTPD_RS_LOG"; }
