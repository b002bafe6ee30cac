/* Unit tests: the source and output registries, fan-out of one sample to SHM and SOCK at
   once, invalidation, and a reconfiguration that keeps unchanged outputs. Also the periodic
   timer of the event loop. */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/core/conf.h"
#include "bridge/core/log.h"
#include "bridge/core/output.h"
#include "bridge/core/sched.h"
#include "shm/shm_time.h"
#include "sock/sock_sample.h"
#include "bridge/core/source_driver.h"
#include "test.h"
#include "bridge/core/util.h"

#define UNIT_A 201
#define UNIT_B 202

static const struct conf_kind kinds[] = {
  {.name = "source", .named = true, .keys = source_common_keys, .drivers = source_drivers},
  {.name = "output", .named = true, .drivers = output_drivers},
};

static struct conf *load(const char *text)
{
  char path[] = "/tmp/rb-test-fanout-XXXXXX", err[512];
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  struct conf *c;
  fputs(text, f);
  fclose(f);
  c = conf_load(path, kinds, 2, err, sizeof(err));
  if (!c)
    fprintf(stderr, "%s\n", err);
  unlink(path);
  return c;
}

static struct shm_time *attach(int unit)
{
  int id = shmget(shm_time_key(unit), sizeof(struct shm_time), 0);
  void *p = id < 0 ? (void *)-1 : shmat(id, NULL, SHM_RDONLY);
  return p == (void *)-1 ? NULL : p;
}

static void remove_segment(int unit)
{
  int id = shmget(shm_time_key(unit), 0, 0);
  if (id >= 0)
    shmctl(id, IPC_RMID, NULL);
}

/* Counters through the status model, as consumers read them. */
static uint64_t sent_of(const char *name)
{
  struct output_report r;
  for (size_t i = 0; i < output_count(); i++) {
    output_report(i, &r);
    if (strcmp(r.name, name) == 0)
      return r.sent;
  }
  return UINT64_MAX;
}

static uint64_t invalid_of(const char *name)
{
  struct source_report r;
  for (size_t i = 0; i < source_count(); i++) {
    source_report(i, &r);
    if (strcmp(r.name, name) == 0)
      return r.invalid;
  }
  return UINT64_MAX;
}

static int ticks;
static void on_tick(void *arg, uint64_t periods)
{
  (void)arg;
  ticks += (int)periods;
}

int main(void)
{
  char sockpath[] = "/tmp/rb-test-fanout-sock-XXXXXX", text[1024];
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  struct rb_sample s = {.sys_ns = 1795305358123456789LL, .ref_ns = 1795305358123580245LL,
                        .leap = RB_LEAP_NONE, .precision = -25, .valid = true};
  struct sock_sample got;
  struct shm_time *a, *b;
  struct conf *c, *c2;
  struct sched_periodic *tick;
  int rx;

  log_init(true, LOG_ERR);
  sched_init();
  remove_segment(UNIT_A);
  remove_segment(UNIT_B);
  close(mkstemp(sockpath));
  unlink(sockpath);
  rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
  CHECK(bind(rx, (struct sockaddr *)&sa, sizeof(sa)) == 0);

  /* A gpsd source that cannot connect (port 1) stands in for any source: samples are
     published to it directly. */
  snprintf(text, sizeof(text),
           "[source x]\ntype = gpsd\nhost = 127.0.0.1\nport = 1\noutputs = a, b, s\n"
           "[output a]\ntype = shm\nunit = %d\n[output b]\ntype = shm\nunit = %d\nmode = 0640\n"
           "[output s]\ntype = sock\npath = %s\n",
           UNIT_A, UNIT_B, sockpath);
  c = load(text);
  CHECK(c != NULL);
  if (!c)
    return test_report("fanout");
  source_drop_changed(c);
  output_reconfigure(c);
  source_add_new(c);
  CHECK(source_find("x") != NULL);
  CHECK(output_find("a") && output_find("b") && output_find("s"));

  /* One sample reaches all three outputs, exactly. */
  source_publish(source_find("x"), &s);
  a = attach(UNIT_A);
  b = attach(UNIT_B);
  CHECK(a && b);
  if (a && b) {
    CHECK_EQ_INT(a->clockTimeStampNSec, 123580245);
    CHECK_EQ_INT(a->receiveTimeStampNSec, 123456789);
    CHECK_EQ_INT(a->leap, 0);
    CHECK_EQ_INT(a->precision, -25);
    CHECK_EQ_INT(b->clockTimeStampSec, 1795305358);
    CHECK_EQ_INT(b->valid, 1);
  }
  CHECK(recv(rx, &got, sizeof(got), 0) == (ssize_t)sizeof(got));
  CHECK_EQ_INT(got.tv.tv_usec, 123456);
  CHECK(got.offset > 123.455e-6 && got.offset < 123.457e-6);
  CHECK_EQ_INT(sent_of("s"), 1);

  /* Not valid: SHM gets leap 3 with the timestamps, SOCK gets nothing. */
  s.valid = false;
  s.sys_ns += NS_PER_SEC;
  s.ref_ns += NS_PER_SEC;
  source_publish(source_find("x"), &s);
  CHECK(a && a->leap == SHM_TIME_LEAP_NOTINSYNC && a->receiveTimeStampSec == 1795305359);
  CHECK(recv(rx, &got, sizeof(got), 0) < 0);
  CHECK_EQ_INT(invalid_of("x"), 1);

  /* Reconfigure: output b changes (mode), a and s do not. x feeds b, so x restarts too. */
  snprintf(text, sizeof(text),
           "[source x]\ntype = gpsd\nhost = 127.0.0.1\nport = 1\noutputs = a, b, s\n"
           "[output a]\ntype = shm\nunit = %d\n[output b]\ntype = shm\nunit = %d\nmode = 0600\n"
           "[output s]\ntype = sock\npath = %s\n",
           UNIT_A, UNIT_B, sockpath);
  c2 = load(text);
  CHECK(c2 != NULL);
  if (c2) {
    const struct output *old_a = output_find("a"), *old_b = output_find("b");
    CHECK(output_unchanged(c2, "a"));
    CHECK(!output_unchanged(c2, "b"));
    source_drop_changed(c2);
    output_reconfigure(c2);
    source_add_new(c2);
    CHECK(output_find("a") == old_a);
    CHECK(output_find("b") != NULL);
    (void)old_b;
    CHECK(source_find("x") != NULL);
    s.valid = true;
    source_publish(source_find("x"), &s);
    CHECK(a && a->leap == 0);
  }

  /* The periodic timer: 5 ms period; the kernel counts periods even if the loop was late. */
  {
    int64_t t0 = monotonic_ns(), elapsed;
    tick = sched_periodic_new(t0 + 5000000, 5000000, on_tick, NULL);
    while (monotonic_ns() - t0 < 52000000)
      sd_event_run(sched_event(), 1000);
    elapsed = monotonic_ns() - t0;
    sd_event_run(sched_event(), 0);
    CHECK(ticks >= 9 && ticks <= elapsed / 5000000 + 1);
    sched_periodic_free(tick);
  }

  source_fini();
  output_fini();
  CHECK(a && a->leap == SHM_TIME_LEAP_NOTINSYNC); /* stopping leaves leap 3 */
  if (a)
    shmdt(a);
  if (b)
    shmdt(b);
  remove_segment(UNIT_A);
  remove_segment(UNIT_B);
  conf_free(c);
  conf_free(c2);
  close(rx);
  unlink(sockpath);
  sched_fini();
  return test_report("fanout");
}
