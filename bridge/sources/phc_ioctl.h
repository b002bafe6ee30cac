/* The PHC ioctls, apart from the driver: finding a NIC's PHC, opening and probing a device, and
   reading it with PTP_SYS_OFFSET_PRECISE, _EXTENDED or the basic PTP_SYS_OFFSET. */
#ifndef RB_PHC_IOCTL_H
#define RB_PHC_IOCTL_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/ptp_clock.h>

enum phc_method { PHC_METHOD_AUTO, PHC_METHOD_PRECISE, PHC_METHOD_EXTENDED, PHC_METHOD_BASIC };

/* "PTP_SYS_OFFSET_PRECISE", ...; "auto" before a method is chosen. */
const char *phc_method_ioctl(enum phc_method m);

/* /dev/ptpN of a network interface, as ethtool -T finds it. Returns 0 or -errno. */
int phc_resolve_interface(const char *ifname, char *path, size_t len);
/* Opens read-only (the bridge never steers a clock) and checks it is a PTP clock. Returns the
   fd, or -errno with *what naming the step that failed. */
int phc_open(const char *path, const char **what);
/* The method did not exist for this device or kernel. */
bool phc_unsupported(int err);
/* Reads with method m (not AUTO), leaving the readings in x in PTP_SYS_OFFSET_EXTENDED's shape;
   a busy or interrupted driver gets one immediate second try. Returns the number of readings
   or -errno. */
int phc_read(int fd, enum phc_method m, int readings, struct ptp_sys_offset_extended *x);
/* With *m AUTO, probes PRECISE, EXTENDED, then basic, and sets *m to the first that works;
   otherwise reads with *m. */
int phc_read_method(int fd, enum phc_method *m, int readings, struct ptp_sys_offset_extended *x);

#endif
