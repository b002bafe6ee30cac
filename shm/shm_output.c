/* NTP SHM output: a SysV segment that ntpd (classic, ntpsec) or chrony polls. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/output_driver.h"
#include "bridge/core/sched.h"
#include "shm/shm_time.h"
#include "bridge/core/util.h"

#define RETRY_MIN_NS (1 * NS_PER_SEC)
#define RETRY_MAX_NS (60 * NS_PER_SEC)
#define PRIVATE_UNITS 2 /* units 0 and 1 are root's by convention: always 0600 */

struct shm_out {
  struct output *out;
  int unit;
  int perm;
  struct shm_time *seg;
  struct sched_timer *retry;
  bool created; /* by the bridge, rather than attached to a reader's */
  char target[40], mode[8]; /* for reports, made once */
};

void shm_time_write(struct shm_time *t, int64_t ref_ns, int64_t sys_ns, int leap, int precision)
{
  struct timespec ref = ns_to_ts(ref_ns), sys = ns_to_ts(sys_ns);

  t->valid = 0;
  t->count++;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  t->clockTimeStampSec = ref.tv_sec;
  t->clockTimeStampUSec = (int)(ref.tv_nsec / 1000);
  t->clockTimeStampNSec = (unsigned)ref.tv_nsec;
  t->receiveTimeStampSec = sys.tv_sec;
  t->receiveTimeStampUSec = (int)(sys.tv_nsec / 1000);
  t->receiveTimeStampNSec = (unsigned)sys.tv_nsec;
  t->leap = leap;
  /* Readers overwrite precision at start-up, so it is rewritten with every sample. */
  t->precision = precision;
  t->nsamples = 3;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  t->count++;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  t->valid = 1;
}

static bool shm_check(const struct conf_section *s)
{
  if (conf_int(s, "unit") < PRIVATE_UNITS && conf_is_set(s, "mode")) {
    conf_fail(s, "mode", "units 0 and 1 are always created with mode 0600");
    return false;
  }
  /* Without owner read-write the bridge could create the segment but never attach to it. */
  if ((conf_int(s, "mode") & 0600) != 0600 || (conf_int(s, "mode") & 0111)) {
    conf_fail(s, "mode", "must give the owner read and write (0600) and nobody execute");
    return false;
  }
  return true;
}

static void try_attach(void *arg);

static void *shm_create(struct output *out, const struct conf_section *s)
{
  struct shm_out *so = xnew(struct shm_out);

  so->out = out;
  so->unit = (int)conf_int(s, "unit");
  so->perm = so->unit < PRIVATE_UNITS ? 0600 : (int)conf_int(s, "mode");
  so->retry = sched_timer_new(try_attach, so);
  snprintf(so->target, sizeof(so->target), "NTP SHM unit %d (key 0x%08x)", so->unit,
           shm_time_key(so->unit));
  snprintf(so->mode, sizeof(so->mode), "%04o", (unsigned)so->perm);
  health_set_retry(output_health(out), RETRY_MIN_NS, RETRY_MAX_NS);
  return so;
}

/* shmctl(IPC_STAT) needs read permission, so describe the segment from /proc instead. */
static void describe_segment(int key, char *buf, size_t len)
{
  FILE *f = fopen("/proc/sysvipc/shm", "r");
  char line[512];

  snprintf(buf, len, "no details available");
  if (!f)
    return;
  while (fgets(line, sizeof(line), f)) {
    int k, id;
    unsigned perms, uid, gid;
    unsigned long size;
    int cpid, lpid, nattch;
    if (sscanf(line, "%d %d %o %lu %d %d %d %u %u", &k, &id, &perms, &size, &cpid, &lpid, &nattch,
               &uid, &gid) == 9 &&
        k == key) {
      snprintf(buf, len, "size %lu, owner uid %u gid %u, mode %04o, created by pid %d", size, uid,
               gid, perms & 0777, cpid);
      break;
    }
  }
  fclose(f);
}

static void attach_failed(struct shm_out *so, int err)
{
  int key = shm_time_key(so->unit);
  struct health *h = output_health(so->out);
  char what[160];
  int64_t retry;

  describe_segment(key, what, sizeof(what));
  if (err == EINVAL)
    retry = health_down(h, "SHM segment 0x%08x exists with the wrong size (%s; need %zu bytes): "
                        "a writer or reader with another ABI made it; remove it with "
                        "ipcrm -M 0x%08x", key, what, sizeof(struct shm_time), key);
  else if (err == EACCES)
    retry = health_down(h, "SHM segment 0x%08x is not writable by uid %u (%s); run the bridge "
                        "as its owner or let its creator give the bridge access",
                        key, (unsigned)getuid(), what);
  else
    retry = health_down(h, "cannot attach SHM segment 0x%08x: %s", key, strerror(err));
  sched_timer_after(so->retry, retry);
}

static void try_attach(void *arg)
{
  struct shm_out *so = arg;
  int key = shm_time_key(so->unit), id;
  bool created = true;
  void *p;

  id = shmget(key, sizeof(struct shm_time), IPC_CREAT | IPC_EXCL | so->perm);
  if (id < 0 && errno == EEXIST) {
    created = false;
    id = shmget(key, sizeof(struct shm_time), 0);
  }
  if (id < 0) {
    attach_failed(so, errno);
    return;
  }
  p = shmat(id, NULL, 0);
  if (p == (void *)-1) {
    attach_failed(so, errno);
    return;
  }
  so->seg = p;
  if (created) {
    memset(so->seg, 0, sizeof(*so->seg));
    so->seg->leap = SHM_TIME_LEAP_NOTINSYNC;
    so->seg->precision = -20;
    so->seg->nsamples = 3;
  }
  so->seg->mode = 1;
  so->created = created;
  output_set_connected(so->out, true);
  if (created)
    log_info("output %s: created NTP SHM unit %d (key 0x%08x, mode %04o)", output_name(so->out),
             so->unit, key, (unsigned)so->perm);
  else
    log_info("output %s: attached to NTP SHM unit %d (key 0x%08x)", output_name(so->out),
             so->unit, key);
  health_up(output_health(so->out), "attached to NTP SHM unit %d", so->unit);
}

static void shm_start(void *priv)
{
  try_attach(priv);
}

static void shm_send(void *priv, const struct rb_sample *sample)
{
  struct shm_out *so = priv;

  if (!so->seg) {
    output_count_dropped(so->out);
    return;
  }
  shm_time_write(so->seg, sample->ref_ns, sample->sys_ns, (int)sample->leap, sample->precision);
  output_count_sent(so->out);
}

/* Leap 3 tells ntpd the source is not in sync (and chrony drops it). A measured but untrusted
   sample keeps its timestamps; a lost source keeps the last ones. */
static void shm_invalidate(void *priv, const struct rb_sample *last)
{
  struct shm_out *so = priv;

  if (!so->seg)
    return;
  if (last)
    shm_time_write(so->seg, last->ref_ns, last->sys_ns, SHM_TIME_LEAP_NOTINSYNC, last->precision);
  else
    so->seg->leap = SHM_TIME_LEAP_NOTINSYNC;
}

static void shm_destroy(void *priv)
{
  struct shm_out *so = priv;

  sched_timer_free(so->retry);
  /* Detach only: readers may still hold the segment. */
  if (so->seg)
    shmdt(so->seg);
  free(so);
}

static const struct conf_key shm_keys[] = {
  {.name = "unit", .type = CONF_INT, .required = true, .min = 0, .max = 255, .unique = true},
  {.name = "mode", .type = CONF_MODE, .def = "0600", .min = 0, .max = 0666},
  {0},
};

static void shm_report(void *priv, struct output_report *r)
{
  const struct shm_out *so = priv;

  report_copy(r->target, sizeof(r->target), so->target);
  report_int(&r->extras, "unit", so->unit);
  report_string(&r->extras, "mode", so->mode);
  if (so->seg)
    report_bool(&r->extras, "created", so->created);
}

const struct output_ops shm_output_ops = {
  .conf = {.type = "shm", .keys = shm_keys, .check = shm_check},
  .create = shm_create,
  .start = shm_start,
  .send = shm_send,
  .invalidate = shm_invalidate,
  .destroy = shm_destroy,
  .report = shm_report,
};
