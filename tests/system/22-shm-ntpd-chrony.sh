# One PHC fanned out to three outputs at once: chronyd through SOCK, chronyd through NTP SHM
# unit 3, and ntpsec's ntpd through NTP SHM unit 2. All report the injected offset: chronyd
# within 10 ns, ntpd to ntpq's display resolution.
. "$(dirname "$0")/lib.sh"
NTPD=$NTPSEC_ROOT/usr/sbin/ntpd
NTPQ=$NTPSEC_ROOT/usr/bin/ntpq
[ -x "$NTPD" ] || skip "ntpsec is not unpacked at $NTPSEC_ROOT (make deps)"
# ntpd and ntpq in a network namespace of their own: port 123 may be taken on the machine (SHM
# is per IPC namespace, not per network namespace).
NS_NTP=rbn$$
ip netns add "$NS_NTP" && NETNS+=("$NS_NTP") || fail "cannot create a network namespace"
ip -n "$NS_NTP" link set lo up
shm_unit 2
shm_unit 3

start_chronyd "refclock SOCK $T/chrony/phc0.sock refid SOCK poll 0 filter 1
refclock SHM 3 refid SHM3 poll 0 filter 1"
mkdir -p "$T/ntp"
cat > "$T/ntp/ntp.conf" <<CONF
driftfile $T/ntp/ntp.drift
statsdir $T/ntp/
refclock shm unit 2 refid PHC minpoll 3 maxpoll 3
disable ntp
disable kernel
restrict default ignore
restrict 127.0.0.1
restrict ::1
CONF
ip netns exec "$NS_NTP" $NOTIME "$NTPD" -n -c "$T/ntp/ntp.conf" -p "$T/ntp/ntpd.pid" -l "$T/ntpd.log" -I lo &
PIDS+=($!)

cat > "$T/bridge.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.5
readings = 9
method = extended
outputs = chrony, chrony-shm, ntpd
[output chrony]
type = sock
path = $T/chrony/phc0.sock
[output chrony-shm]
type = shm
unit = 3
[output ntpd]
type = shm
unit = 2
mode = 0600
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456,delay_ns=400

both_selected() { chronyc_ -n sources | grep -q '^#[*+] SOCK' && chronyc_ -n sources | grep -q '^#[*+-] SHM3'; }
wait_for 25 both_selected || { chronyc_ -n sources; fail "chronyd did not use both SOCK and SHM3"; }
chronyc_ -n sources
for refid in SOCK SHM3; do
  raw=$(awk -v r="$refid" '$3 == r && $7 != "-" {print $7}' "$T/chrony/refclocks.log" | tail -n 3)
  [ -n "$raw" ] || fail "no $refid samples in chronyd's refclocks.log"
  for r in $raw; do
    d=$(diff_ns "$r" 0.000123456)
    echo "chronyd $refid raw sample $r: error $d ns"
    awk -v d="$d" 'BEGIN{exit !(d <= 10)}' || fail "$refid sample $r is $d ns off"
  done
done

ntpq_() { ip netns exec "$NS_NTP" "$NTPQ" "$@"; }
ntpd_offset() { ntpq_ -c "rv &1 offset,reach" 127.0.0.1 2>/dev/null; }
ntpd_reached() { ntpd_offset | grep -q 'reach=0*[1-7][0-7]*'; }
wait_for 30 ntpd_reached || { ntpq_ -p 127.0.0.1; fail "ntpd never reached SHM(2)"; }
sleep 9
ntpq_ -p 127.0.0.1
out=$(ntpd_offset)
echo "ntpq: $out"
off=$(echo "$out" | sed -n 's/.*offset=\([-0-9.]*\).*/\1/p')
# ntpq shows milliseconds: 0.123456 ms at its finest, 0.123 at its coarsest
awk -v o="$off" 'BEGIN{exit !(o >= 0.1234 && o <= 0.1235)}' || fail "ntpd offset $off ms, expected 0.123456 ms"
grep -i "clash\|stale" "$T/ntpd.log" && fail "ntpd saw a torn or stale SHM sample"
echo ok
