#!/usr/bin/python3
# Reads an NTP SHM segment (struct shmTime, native layout) without changing it.
# Prints: offset_ns leap precision valid count mode
import ctypes, ctypes.util, sys

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]

class ShmTime(ctypes.Structure):
    _fields_ = [("mode", ctypes.c_int), ("count", ctypes.c_int),
                ("clockSec", ctypes.c_long), ("clockUSec", ctypes.c_int),
                ("recvSec", ctypes.c_long), ("recvUSec", ctypes.c_int),
                ("leap", ctypes.c_int), ("precision", ctypes.c_int), ("nsamples", ctypes.c_int),
                ("valid", ctypes.c_int), ("clockNSec", ctypes.c_uint),
                ("recvNSec", ctypes.c_uint), ("dummy", ctypes.c_int * 8)]

unit = int(sys.argv[1])
shmid = libc.shmget(0x4E545030 + unit, ctypes.sizeof(ShmTime), 0)
if shmid < 0:
    sys.exit(1)
addr = libc.shmat(shmid, None, 0o10000)  # SHM_RDONLY
if addr in (None, ctypes.c_void_p(-1).value):
    sys.exit(1)
t = ShmTime.from_address(addr)
off = (t.clockSec - t.recvSec) * 10**9 + (t.clockNSec - t.recvNSec)
print(off, t.leap, t.precision, t.valid, t.count, t.mode)
