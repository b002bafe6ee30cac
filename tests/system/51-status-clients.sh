# Bad status clients cannot stall the loop: 20 that connect and never read, 200 at once, and
# some that close mid-document, while a PHC source samples every 62.5 ms into a SOCK receiver
# that records the system time (tv) of every sample. The bridge never crashes, keeps serving a
# normal client, drops the readers that stall, and no sample is late by 1 ms or more.
. "$(dirname "$0")/lib.sh"
# The server's send buffer per client is the kernel's minimum (about 4.4 KiB queued): a client
# that never reads stalls the document only if it is bigger than that. Twenty SHM outputs with
# long names (fed by a second source, once a second) make it about 8.5 KB.
PAD=20
for i in $(seq 0 $((PAD - 1))); do shm_unit $((200 + i)); done

# The receiver: binds the SOCK socket and writes "tv_sec tv_usec" for every datagram.
cat > "$T/sockrx.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "w", buffering=1)
while True:
    d = s.recv(64)
    if len(d) == 40:  # struct sock_sample, 64-bit time_t: tv_sec, tv_usec, offset, ...
        sec, usec = struct.unpack_from("=qq", d)
        out.write("%d %d\n" % (sec, usec))
PY

# The bad clients, by phase. Each prints one line of what it saw.
cat > "$T/clients.py" <<'PY'
import socket, sys, time
path, phase = sys.argv[1], sys.argv[2]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def read_all(s):
    s.settimeout(10)
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        data += b
    return data

if phase == "hold":  # N clients that never read, held SECONDS
    n, secs = int(sys.argv[3]), float(sys.argv[4])
    held = [connect() for _ in range(n)]
    time.sleep(secs)
    for s in held:
        s.close()
    print("held %d clients for %.1f s" % (n, secs))
elif phase == "burst":  # N clients connected at once, then read
    n = int(sys.argv[3])
    socks = [connect() for _ in range(n)]
    full = empty = 0
    for s in socks:
        d = read_all(s)
        s.close()
        if d.endswith(b"\n") and d.startswith(b"{"):
            full += 1
        elif not d:
            empty += 1
    print("burst of %d: %d documents, %d closed at once" % (n, full, empty))
elif phase == "midclose":  # N clients, 8 at a time, that read 10 bytes and close
    n = int(sys.argv[3])
    done = 0
    while done < n:
        socks = [connect() for _ in range(min(8, n - done))]
        for s in socks:
            s.recv(10)
            s.close()
        done += len(socks)
    print("%d clients closed after 10 bytes" % n)
PY

{
  cat <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.0625
outputs = rx
[output rx]
type = sock
path = $T/rx.sock
[source pad]
type = phc
device = /dev/ptp0
interval = 1
CONF
  printf 'outputs = %s\n' "$(seq -s, -f 'padding-output-with-a-long-n%02g' 0 $((PAD - 1)))"
  for i in $(seq 0 $((PAD - 1))); do
    printf '[output padding-output-with-a-long-n%02d]\ntype = shm\nunit = %d\n' "$i" $((200 + i))
  done
} > "$T/bridge.conf"

/usr/bin/python3 "$T/sockrx.py" "$T/rx.sock" "$T/tv.txt" &
PIDS+=($!)
wait_for 5 test -S "$T/rx.sock" || fail "the receiver did not bind"
# What is measured is the bridge's own loop, not the machine. The bridge runs SCHED_FIFO, so
# no client of this test (nor anything else that runs there) delays it. On the same CPU, a
# control ticks every millisecond at a higher priority and logs when it wakes late: a stall of
# that CPU (a virtual machine's vCPU descheduled by its host, for a few ms) delays both, a
# stall of the bridge's loop delays only the bridge.
chrt -f 10 true 2>/dev/null || skip "cannot run SCHED_FIFO here (chrt -f): lateness not measurable"
CPU=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
cat > "$T/control.py" <<'PY'
import sys, time
out = open(sys.argv[1], "w", buffering=1)
period = 1000000
due = time.monotonic_ns()
while True:
    due += period
    d = due - time.monotonic_ns()
    if d > 0:
        time.sleep(d / 1e9)
    late = time.monotonic_ns() - due
    if late > 200000:
        out.write("%d %d\n" % (time.time_ns() // 1000, late // 1000))
        due = max(due, time.monotonic_ns() - period)
PY
taskset -c "$CPU" chrt -f 20 /usr/bin/python3 "$T/control.py" "$T/control.txt" &
PIDS+=($!)
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000000042 \
  taskset -c "$CPU" chrt -f 10
status() { "$RB_BIN" status -s "$STATUS_SOCK" "$@"; }
wait_for 10 status || { status; fail "status did not exit 0"; }
size=$(status --json | /usr/bin/python3 -c \
  'import json,sys; print(len(json.dumps(json.load(sys.stdin), separators=(",", ":"))))')
echo "document: $size bytes"
[ "$size" -gt 8000 ] || fail "the document ($size bytes) is too small to stall a client"

# The bound is the build's: 1 ms for the binary that ships; ASan and UBSan make every
# instruction several times slower, so their build gets 3 ms (its test still shows that no
# client blocks the loop, which would cost seconds).
BOUND_US=1000
[[ "$RB_BIN" == */asan/* ]] && BOUND_US=3000
# One attempt (not indented: it holds here-documents): the bad clients while a normal client
# asks and the samples are recorded; returns 1 when a sample was late. A shared virtual machine
# can take a CPU away from under the bridge in ways the control does not always see: a late
# sample fails the test only if the next attempt has one too (a loop that blocks on a client
# would make every attempt late).
attempt() {
# The normal client: asks every 0.1 s and logs "ms rc", until told to stop.
normal_client() {
  rm -f "$T/stop" "$T/normal.txt" "$T/normal.err"
  while [ ! -e "$T/stop" ]; do
    "$RB_BIN" status -s "$STATUS_SOCK" > /dev/null 2>> "$T/normal.err"
    rc=$?
    echo "$(($(date +%s%N) / 1000000)) $rc" >> "$T/normal.txt"
    sleep 0.1
  done
}
normal_client &
NORMAL_PID=$!
PIDS+=("$NORMAL_PID")
sleep 1
bad() { /usr/bin/python3 "$T/clients.py" "$STATUS_SOCK" "$@"; }
T0=$(date +%s%N)
since() { awk -v t0="$T0" -v t="$(date +%s%N)" 'BEGIN{printf "at +%.3f s", (t - t0) / 1e9}'; }
bad hold 20 5 || fail "holding clients failed"
note "holders gone $(since)"
bad burst 200 || fail "the burst failed"
bad midclose 200 || fail "clients closing mid-document failed"
note "burst and early closes done $(since)"
bad hold 20 3 & HOLD=$!
bad burst 200 || fail "the burst during holders failed"
bad midclose 50 || fail "clients closing mid-document during holders failed"
note "the same with holders done $(since)"
wait "$HOLD" || fail "holding clients failed"
sleep 1
T1=$(date +%s%N)
touch "$T/stop"
wait "$NORMAL_PID"

kill -0 "$BRIDGE_PID" || fail "the bridge died"
status > /dev/null || fail "status after the bad clients: exit code $?"
grep "status socket" "$T/bridge.log"
bridge_log_has "status socket: dropped a client that took" || fail "no stalled client was dropped"
bridge_log_has "clients are being served; closed another at once" ||
  fail "the cap was never reached"
bridge_log_has "writing to a client" && fail "a client that left early was logged as an error"

# The normal client was served throughout: no gap between two served requests longer than the
# write deadline (2 s) while 16 stalled clients filled every slot, plus slack for a busy machine.
served() { /usr/bin/python3 - "$T/normal.txt"; }
served <<'PY' || fail "the normal client was not served throughout"
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
ok = [t for t, rc in rows if rc in (0, 1)]
gaps = [b - a for a, b in zip(ok, ok[1:])]
print("normal client: %d requests, %d served, longest gap %d ms" % (len(rows), len(ok), max(gaps)))
sys.exit(0 if len(ok) > len(rows) / 3 and max(gaps) < 4500 else 1)
PY
sort -u "$T/normal.err" | head -n 5

# Every sample on time: consecutive tv 62.5 ms apart to within 1 ms, over the whole run,
# unless the control shows the CPU itself was taken away for as long at that moment.
late() { /usr/bin/python3 - "$T/tv.txt" "$T/control.txt" "$T0" "$T1" "$BOUND_US"; }
late <<'PY' || return 1
import sys
t0, t1 = int(sys.argv[3]) // 1000, int(sys.argv[4]) // 1000
tv = [s * 1000000 + u for s, u in (map(int, l.split()) for l in open(sys.argv[1]))]
tv = [t for t in tv if t0 - 1000000 <= t <= t1]
stalls = [tuple(map(int, l.split())) for l in open(sys.argv[2])]
def stalled(at, dev):
    # the control's worst lateness from just before the late sample's wake-up to just after
    return max([late for t, late in stalls if at - dev - 1500 <= t <= at + 500] + [0])
worst = worst_own = 0
for a, b in zip(tv, tv[1:]):
    dev = abs(b - a - 62500)
    late_one = b if b - a > 62500 else a
    own = dev - stalled(late_one, dev)
    if dev >= 1000:
        print("  %d us at +%.3f s; the control was %d us late then"
              % (dev, (late_one - t0) / 1e6, dev - own))
    worst, worst_own = max(worst, dev), max(worst_own, own)
print("%d samples during the bad clients; worst deviation from 62.5 ms: %d us; not explained "
      "by the CPU being taken away: %d us (control: %d stalls over 0.2 ms)"
      % (len(tv), worst, worst_own, len(stalls)))
sys.exit(0 if worst_own < int(sys.argv[5]) and len(tv) > (t1 - t0) / 62500 * 0.9 else 1)
PY
}
attempt || { note "a sample was late; trying once more"; attempt; } || fail "a sample was late by $BOUND_US us or more, twice"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "bridge exit code $BRIDGE_RC"
echo ok
