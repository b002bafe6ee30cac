#!/usr/bin/python3
"""A stand-in for statime's observation socket: on each connection writes the JSON document
named in CONTROL_FILE (a path to a fixture) and closes, as statime does.
Usage: fakestatime.py SOCKET CONTROL_FILE"""
import os, socket, sys

path, control = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
while True:
    conn, _ = srv.accept()
    try:
        with open(open(control).read().strip(), "rb") as f:
            conn.sendall(f.read())
    except OSError:
        pass
    conn.close()
