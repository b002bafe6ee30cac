# 41-ptp4l-instances with the linuxptp major version the system does not have: 4.2 on Debian 12,
# 3.1.1 on Debian 13 (scripts/deps.sh unpacks each from the other release).
RB_OTHER_LINUXPTP=1 exec bash "$(dirname "$0")/41-ptp4l-instances.sh"
