#!/usr/bin/python3
# ptp4l_hwts_relay.py FRONT PTP4L BACK: datagrams between one client (bound to FRONT) and ptp4l (from
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
