# 40-ptp4l-track with the linuxptp major version the system does not have: 4.2 on Debian 12,
# 3.1.1 on Debian 13 (scripts/deps.sh unpacks each from the other release), so both releases
# test the tracker against both (3.x polled, 4.x with TIME_SYNC pushes).
RB_OTHER_LINUXPTP=1 exec bash "$(dirname "$0")/40-ptp4l-track.sh"
