/* PHC ioctls. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "bridge/sources/phc_ioctl.h"

const char *phc_method_ioctl(enum phc_method m)
{
  switch (m) {
  case PHC_METHOD_PRECISE: return "PTP_SYS_OFFSET_PRECISE";
  case PHC_METHOD_EXTENDED: return "PTP_SYS_OFFSET_EXTENDED";
  case PHC_METHOD_BASIC: return "PTP_SYS_OFFSET";
  default: return "auto";
  }
}

int phc_resolve_interface(const char *ifname, char *path, size_t len)
{
  struct ethtool_ts_info info = {.cmd = ETHTOOL_GET_TS_INFO};
  struct ifreq ifr;
  int sock, r;

  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
  ifr.ifr_data = (char *)&info;
  sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return -errno;
  r = ioctl(sock, SIOCETHTOOL, &ifr);
  r = r < 0 ? -errno : 0;
  close(sock);
  if (r < 0)
    return r;
  if (info.phc_index < 0)
    return -ENOTSUP;
  snprintf(path, len, "/dev/ptp%d", info.phc_index);
  return 0;
}

int phc_open(const char *path, const char **what)
{
  struct ptp_clock_caps caps;
  int fd = open(path, O_RDONLY | O_CLOEXEC), err;

  if (fd < 0) {
    *what = "cannot open";
    return -errno;
  }
  if (ioctl(fd, PTP_CLOCK_GETCAPS, &caps) < 0) {
    err = errno;
    close(fd);
    *what = "not a PTP clock:";
    return -err;
  }
  return fd;
}

bool phc_unsupported(int err)
{
  return err == -EOPNOTSUPP || err == -ENOTTY || err == -EINVAL;
}

static int read_precise(int fd, struct ptp_sys_offset_extended *x)
{
  struct ptp_sys_offset_precise y;

  memset(&y, 0, sizeof(y));
  if (ioctl(fd, PTP_SYS_OFFSET_PRECISE, &y) < 0)
    return -errno;
  x->ts[0][0] = x->ts[0][2] = y.sys_realtime; /* a cross-timestamp: a zero-width window */
  x->ts[0][1] = y.device;
  return 1;
}

static int read_extended(int fd, int readings, struct ptp_sys_offset_extended *x)
{
  /* Only the request header: the kernel fills every timestamp asked for. */
  memset(x, 0, offsetof(struct ptp_sys_offset_extended, ts));
  x->n_samples = (unsigned)readings;
  if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, x) < 0)
    return -errno;
  return readings;
}

static int read_basic(int fd, int readings, struct ptp_sys_offset_extended *x)
{
  struct ptp_sys_offset y;

  memset(&y, 0, offsetof(struct ptp_sys_offset, ts));
  y.n_samples = (unsigned)readings;
  if (ioctl(fd, PTP_SYS_OFFSET, &y) < 0)
    return -errno;
  for (int i = 0; i < readings; i++) {
    x->ts[i][0] = y.ts[2 * i];
    x->ts[i][1] = y.ts[2 * i + 1];
    x->ts[i][2] = y.ts[2 * i + 2];
  }
  return readings;
}

static int read_once(int fd, enum phc_method m, int readings, struct ptp_sys_offset_extended *x)
{
  switch (m) {
  case PHC_METHOD_PRECISE: return read_precise(fd, x);
  case PHC_METHOD_EXTENDED: return read_extended(fd, readings, x);
  default: return read_basic(fd, readings, x);
  }
}

int phc_read(int fd, enum phc_method m, int readings, struct ptp_sys_offset_extended *x)
{
  int n = read_once(fd, m, readings, x);

  if (n == -EINTR || n == -EBUSY || n == -EAGAIN)
    n = read_once(fd, m, readings, x);
  return n;
}

int phc_read_method(int fd, enum phc_method *m, int readings, struct ptp_sys_offset_extended *x)
{
  int n = -EOPNOTSUPP;

  if (*m != PHC_METHOD_AUTO)
    return phc_read(fd, *m, readings, x);
  for (enum phc_method try = PHC_METHOD_PRECISE; try <= PHC_METHOD_BASIC; try++) {
    n = phc_read(fd, try, readings, x);
    if (n > 0)
      *m = try;
    if (!phc_unsupported(n))
      break;
  }
  return n;
}
