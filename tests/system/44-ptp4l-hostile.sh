# Hostile and corrupted management traffic on the tracker's socket, sent by root (the kernel
# already refuses other users' datagrams), while a real ptp4l pair stays locked: messages from a
# foreign clock identity, ptp4l's identity with sequenceIds that are neither replies to the
# tracker's requests nor in ptp4l's numbering of its pushes, pushes before the identity is known
# (a tracker whose ptp4l is absent), wrong domain and target, garbage and truncated datagrams.
# None may change any state or make the tracker say ptp4l answers or does not; each is dropped
# and counted, and the warnings stay within the rate limit. (A root sender that copies ptp4l's
# identity and guesses an open sequenceId cannot be told apart from ptp4l: nothing on a Unix
# socket could.)
. "$(dirname "$0")/lib.sh"
ptp_netns_setup
ptp4l_start m
ptp4l_start s
ptp4l_certain
cat > "$T/bridge.conf" <<CONF
[tracker ptp]
type = ptp4l
socket = $T/ptp4l-s
client_address = $T/bridge-ptp.sock
max_offset = 100000
[tracker nowhere]
type = ptp4l
socket = $T/no-ptp4l-here
client_address = $T/bridge-nowhere.sock
CONF
start_bridge "$T/bridge.conf"
wait_for 20 bridge_log_has "tracker ptp: .* -> LOCKED" || fail "never LOCKED"
wait_for 3 bridge_log_has "tracker nowhere: ptp4l at .*: no socket" || fail "no outage for the absent ptp4l"
clock=$(pmc_ s 'GET DEFAULT_DATA_SET' | awk '/clockIdentity/ {print $2; exit}')
[ -n "$clock" ] || fail "could not read ptp4l's clockIdentity"
sleep 1
mark=$(( $(wc -l < "$T/bridge.log") + 1 ))
sent=$(timeout 30 /usr/bin/python3 - "$BRIDGE_PID" "$clock" "$T" <<'PY'
import os, random, socket, struct, sys, time
pid, clock, tmp = int(sys.argv[1]), bytes.fromhex(sys.argv[2].replace('.', '')), sys.argv[3]
random.seed(7)

def ident(name):  # the tracker's own port identity (ptp4l_create)
    h = 5381
    for c in name.encode():
        h = (h * 33 + c) & 0xffffffff
    return b"rcbrid" + bytes([(pid >> 8) & 0xff, pid & 0xff]), 1 + h % 0xfffe

def msg(src, target, seq, mid, data, domain=0, action=2):
    tlv = struct.pack(">HHH", 1, 2 + len(data), mid) + data
    n = 48 + len(tlv)
    hdr = struct.pack(">BBHBBH8s4s", 0x0d, 0x12, n, domain, 0, 0, bytes(8), bytes(4))
    hdr += src + struct.pack(">H", 1) + struct.pack(">HBB", seq, 4, 0x7f)
    body = target[0] + struct.pack(">H", target[1]) + bytes([0, 0, action, 0])
    return hdr + body + tlv

def port_ds(clk, state):
    return clk + struct.pack(">H", 1) + bytes([state, 0xfe]) + bytes(8) + bytes([0xfe, 3, 0xfe, 1, 0xfe, 2])

def time_status(offset, ingress):
    return struct.pack(">qq", offset, ingress) + bytes(34)

def default_ds(clk):
    return bytes([2, 0]) + struct.pack(">H", 1) + bytes([128, 248, 0xfe, 0xff, 0xff, 128]) + clk + bytes([0, 0])

foreign = bytes.fromhex("0011220000334455")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sent = 0
def send(path, b):
    global sent
    try:
        s.sendto(b, path)
        sent += 1
    except (BlockingIOError, ConnectionRefusedError, FileNotFoundError):
        pass

end = time.monotonic() + 8
while time.monotonic() < end:
    for name in ("ptp", "nowhere"):
        path = "%s/bridge-%s.sock" % (tmp, name)
        me = ident(name)
        bad_seq = random.randrange(0x4000, 0x8000)   # neither ours (0x8000 up) nor ptp4l's pushes
        sweep = 0x8000 + random.randrange(0, 4096)    # the tracker's own recent sequenceIds
        for m in (
            msg(foreign, me, sweep, 0x2000, default_ds(foreign)),          # another clock, "reply"
            msg(foreign, me, bad_seq, 0x2004, port_ds(foreign, 4)),         # another clock, push
            msg(foreign, me, sweep, 0xc000, time_status(5, random.getrandbits(62))),
            msg(clock, me, bad_seq, 0x2004, port_ds(clock, 2)),            # FAULTY, out of sequence
            msg(clock, me, bad_seq, 0xc000, time_status(999999, random.getrandbits(62))),
            msg(clock, me, bad_seq, 0x2003, bytes([0, 37, 0x15, 0xa0])),   # a reply to nothing
            msg(clock, me, bad_seq, 0x2000, default_ds(clock)),
            msg(clock, me, bad_seq, 0x2004, port_ds(clock, 4), domain=7),  # wrong domain
            msg(clock, (foreign, 9), bad_seq, 0x2004, port_ds(clock, 4)),  # another client's
            os.urandom(random.randrange(0, 120)),                          # garbage
            msg(clock, me, bad_seq, 0x2004, port_ds(clock, 4))[:60],       # truncated
        ):
            b = bytearray(m)
            if random.random() < 0.3 and len(b) > 54:                      # a flipped bit
                b[random.randrange(0, 54)] ^= 1 << random.randrange(8)
            send(path, bytes(b))
    time.sleep(0.01)
print(sent)
PY
) || fail "the hostile sender failed"
sleep 1
echo "hostile datagrams sent: $sent"
tail -n +"$mark" "$T/bridge.log" > "$T/flood.log"
lines=$(wc -l < "$T/flood.log")
sed 's/^[^ ]* //' "$T/flood.log" | head -20
echo "log lines during the flood: $lines"
[ "$sent" -gt 1000 ] || fail "too few datagrams sent ($sent)"
! grep -E "tracker (ptp|nowhere): [A-Z]+ -> " "$T/flood.log" || fail "forged traffic changed a state"
! grep -E "answers|does not answer|passes the checks|port 1 " "$T/flood.log" || fail "forged traffic was taken for ptp4l"
grep -q "tracker ptp: management message dropped" "$T/flood.log" || fail "no drop was logged for ptp"
grep -q "tracker nowhere: management message dropped" "$T/flood.log" || fail "no drop was logged for nowhere"
[ "$lines" -le 12 ] || fail "$lines log lines in 9 s of forged traffic: not rate-limited"
# Still following the real ptp4l: the master killed, HOLDOVER.
ptp4l_stop m
wait_for 5 bridge_log_has "tracker ptp: LOCKED -> HOLDOVER" || fail "no HOLDOVER after the master died"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
