# A real gpsd (gpsfake replaying a shipped GPS-only capture) through the bridge's gpsd source
# to a real chronyd: every serial-time sample chronyd takes equals, to the nanosecond, the
# TOFF sample gpsd reported; samples start only after 3 good fixes.
. "$(dirname "$0")/lib.sh"
PORT=29531
start_chronyd "refclock SOCK $T/chrony/nmea.sock refid NMEA poll 0 filter 1 noselect"
start_gpsfake tests/data/gps-only.nmea $PORT
cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
min_fix = 3d
outputs = chrony
[output chrony]
type = sock
path = $T/chrony/nmea.sock
CONF
start_bridge "$T/bridge.conf"
has_samples() { [ "$(awk '$3 == "NMEA" && $7 != "-"' "$T/chrony/refclocks.log" | wc -l)" -ge 8 ]; }
wait_for 40 has_samples || fail "chronyd got fewer than 8 NMEA samples"
grep -E "connected to gpsd|fix after|publishing" "$T/bridge.log"
bridge_log_has "3D fix after 3 good fixes; serial time is valid" || fail "no gating message"
# The capture has 4 cycles without a fix and 3 with a 2D fix before 3D: nothing may have been
# published as valid before the third 3D fix.
first_valid=$(grep -n "publishing" "$T/bridge.log" | head -1 | cut -d: -f1)
fix_line=$(grep -n "fix after" "$T/bridge.log" | head -1 | cut -d: -f1)
[ "$first_valid" -gt "$fix_line" ] || fail "published before the fix was good"

# Every offset chronyd logged must be one the bridge published, exactly (chrony logs 7 digits).
bridge_offsets nmea > "$T/published"
n=0
for raw in $(awk '$3 == "NMEA" && $7 != "-" {print $7}' "$T/chrony/refclocks.log"); do
  best=$(awk -v r="$raw" 'BEGIN{b=1e18} {d=r*1e9-$1; if(d<0)d=-d; if(d<b)b=d} END{printf "%.1f", b}' "$T/published")
  awk -v d="$best" -v r="$raw" 'BEGIN{exit !(d <= 10 || d <= (r<0?-r:r)*1e9*5e-7)}' \
    || fail "chronyd sample $raw matches no published offset (closest $best ns)"
  n=$((n + 1))
done
echo "$n chronyd samples match the bridge's published offsets"
stop_gpsfake
echo ok
