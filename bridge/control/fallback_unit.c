/* The systemd unit action: on the bridge's own event loop, over the system bus, stop the
   exclusive units and start the fallback unit on entering NTP, the reverse on leaving. Each
   step loads the unit (its object path comes from the manager), queues the job with mode
   "replace", waits for the job's JobRemoved, then reads the unit's state: a start that left the
   unit inactive (a failed condition, a failed process) is a failure with the unit's own reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bridge/control/fallback_action.h"
#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define EXCLUSIVE_MAX 8
#define UNIT_NAME_MAX 255
#define RECENT_JOBS 16

struct step {
  const char *unit;
  bool start;
};

struct unit_action {
  char *unit; /* NULL: none */
  char *exclusive[EXCLUSIVE_MAX];
  size_t n_exclusive;
  int64_t timeout_ns;
  struct step steps[EXCLUSIVE_MAX + 1];
  size_t n_steps, step;
  bool probing;
  char unit_path[256], job[256], job_result[32];
  sd_bus_slot *call;
  struct sched_timer *timer;
  bool waiting_job;
  int64_t step_start_ns;
  fallback_done_fn done;
  fallback_probe_fn probe_done;
  void *ctx;
};

/* One connection for every fallback, opened on first use and again after it drops. */
static sd_bus *bus;
static sd_bus_slot *job_match;
static size_t n_users;
static struct unit_action *waiting[64];
static size_t n_waiting;
/* JobRemoved can overtake the reply that named the job. */
static struct {
  char job[256], result[32];
} recent[RECENT_JOBS];
static size_t next_recent;

/* -------- unit names -------- */

static bool valid_unit_name(const char *n)
{
  static const char *const suffixes[] = {".service", ".target", ".socket", ".timer", ".path",
                                         ".mount", NULL};
  size_t len = strlen(n);
  const char *dot = strrchr(n, '.'), *at = strchr(n, '@');
  bool suffix_ok = false;

  if (len == 0 || len > UNIT_NAME_MAX || !dot || dot == n)
    return false;
  for (const char *p = n; *p; p++)
    if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
        !strchr(":-_.\\@", *p))
      return false;
  for (size_t i = 0; suffixes[i]; i++)
    suffix_ok |= strcmp(dot, suffixes[i]) == 0;
  if (!suffix_ok)
    return false;
  /* A template (name@.service) cannot be started: it needs an instance. */
  return !at || (at != n && at + 1 < dot && !strchr(at + 1, '@'));
}

static size_t split_units(const char *text, char **out, size_t max, bool *too_many)
{
  char *copy = xstrdup(text), *save = NULL;
  size_t n = 0;

  *too_many = false;
  for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
    if (n == max) {
      *too_many = true;
      break;
    }
    out[n++] = xstrdup(w);
  }
  free(copy);
  return n;
}

static bool unit_check(const struct conf_section *s)
{
  const char *unit = conf_str(s, "unit");
  char *ex[EXCLUSIVE_MAX];
  bool too_many, ok = true;
  size_t n;

  if (strcmp(unit, "none") != 0 && !valid_unit_name(unit)) {
    conf_fail(s, "unit", "'%s' is not a unit name like chronyd.service (or none)", unit);
    return false;
  }
  if (!conf_is_set(s, "exclusive_units"))
    return true;
  n = split_units(conf_str(s, "exclusive_units"), ex, EXCLUSIVE_MAX, &too_many);
  if (too_many) {
    conf_fail(s, "exclusive_units", "more than %d units", EXCLUSIVE_MAX);
    ok = false;
  }
  for (size_t i = 0; i < n; i++) {
    if (ok && !valid_unit_name(ex[i])) {
      conf_fail(s, "exclusive_units", "'%s' is not a unit name like phc2sys@eth0.service", ex[i]);
      ok = false;
    } else if (ok && strcmp(ex[i], unit) == 0) {
      conf_fail(s, "exclusive_units", "'%s' is the fallback unit itself", ex[i]);
      ok = false;
    }
    free(ex[i]);
  }
  return ok;
}

/* -------- the bus -------- */

static void forget_waiting(struct unit_action *a)
{
  for (size_t i = 0; i < n_waiting; i++)
    if (waiting[i] == a) {
      waiting[i] = waiting[--n_waiting];
      break;
    }
  a->waiting_job = false;
}

static void bus_drop(void)
{
  job_match = sd_bus_slot_unref(job_match);
  bus = sd_bus_flush_close_unref(bus);
}

static void job_finished(struct unit_action *a, const char *result);

static int on_job_removed(sd_bus_message *m, void *arg, sd_bus_error *e)
{
  const char *job, *unit, *result;
  uint32_t id;

  (void)arg;
  (void)e;
  if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
    return 0;
  snprintf(recent[next_recent].job, sizeof(recent[0].job), "%s", job);
  snprintf(recent[next_recent].result, sizeof(recent[0].result), "%s", result);
  next_recent = (next_recent + 1) % RECENT_JOBS;
  for (size_t i = 0; i < n_waiting; i++)
    if (strcmp(waiting[i]->job, job) == 0) {
      job_finished(waiting[i], result);
      break;
    }
  return 0;
}

static int bus_get(char *err, size_t len)
{
  int r;

  if (bus && sd_bus_is_open(bus) > 0)
    return 0;
  bus_drop();
  r = sd_bus_open_system(&bus);
  if (r >= 0)
    r = sd_bus_attach_event(bus, sched_event(), 0);
  if (r >= 0)
    r = sd_bus_match_signal_async(bus, &job_match, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                                  on_job_removed, NULL, NULL);
  /* Job signals reach the client that queued the job anyway; Subscribe makes sure. */
  if (r >= 0)
    r = sd_bus_call_method_async(bus, NULL, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL,
                                 NULL, "");
  if (r < 0) {
    snprintf(err, len, "cannot connect to the system bus: %s", strerror(-r));
    bus_drop();
    return r;
  }
  return 0;
}

static const char *bus_error_text(const sd_bus_error *e, int r, char *buf, size_t len)
{
  if (sd_bus_error_is_set(e))
    snprintf(buf, len, "%s", e->message ? e->message : e->name);
  else
    snprintf(buf, len, "%s", strerror(r < 0 ? -r : r));
  return buf;
}

/* -------- one apply: a list of steps -------- */

static void run_step(struct unit_action *a);

static void fail(struct unit_action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct unit_action *a, const char *fmt, ...)
{
  char err[512];
  va_list ap;
  fallback_done_fn done = a->done;

  va_start(ap, fmt);
  vsnprintf(err, sizeof(err), fmt, ap);
  va_end(ap);
  forget_waiting(a);
  sched_timer_stop(a->timer);
  a->call = sd_bus_slot_unref(a->call);
  if (bus && sd_bus_is_open(bus) <= 0)
    bus_drop();
  if (a->probing) {
    a->probing = false;
    log_warn("cannot tell whether %s runs: %s", a->unit, err);
    a->probe_done(a->ctx, false);
    return;
  }
  a->done = NULL;
  if (done)
    done(a->ctx, false, err);
}

static void step_ok_done(struct unit_action *a)
{
  fallback_done_fn done = a->done;

  a->done = NULL;
  if (done)
    done(a->ctx, true, NULL);
}

static void step_ok(struct unit_action *a)
{
  const struct step *s = &a->steps[a->step];

  log_info("unit %s: %s in %.1f ms", s->unit, s->start ? "started" : "stopped",
           (double)(monotonic_ns() - a->step_start_ns) / 1e6);
  a->step++;
  if (a->step < a->n_steps)
    run_step(a);
  else
    step_ok_done(a);
}

struct unit_state {
  char active[32];
  int condition_result; /* -1: not reported */
  char failed_condition[300];
  char conditions[300]; /* all of them: a unit unloaded after its check has lost their states */
};

static int read_unit_state(sd_bus_message *m, struct unit_state *st)
{
  int r;

  memset(st, 0, sizeof(*st));
  st->condition_result = -1;
  r = sd_bus_message_enter_container(m, 'a', "{sv}");
  if (r < 0)
    return r;
  while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char *key, *s;
    int b;
    if ((r = sd_bus_message_read(m, "s", &key)) < 0)
      return r;
    if (strcmp(key, "ActiveState") == 0) {
      if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
        return r;
      snprintf(st->active, sizeof(st->active), "%s", s);
    } else if (strcmp(key, "ConditionResult") == 0) {
      if ((r = sd_bus_message_read(m, "v", "b", &b)) < 0)
        return r;
      st->condition_result = b;
    } else if (strcmp(key, "Conditions") == 0) {
      const char *type, *param;
      int trigger, negate, state;
      if ((r = sd_bus_message_enter_container(m, 'v', "a(sbbsi)")) < 0 ||
          (r = sd_bus_message_enter_container(m, 'a', "(sbbsi)")) < 0)
        return r;
      while ((r = sd_bus_message_read(m, "(sbbsi)", &type, &trigger, &negate, &param, &state)) > 0) {
        size_t len = strlen(st->conditions);
        if (state < 0 && !st->failed_condition[0])
          snprintf(st->failed_condition, sizeof(st->failed_condition), "%s=%s%s", type,
                   negate ? "!" : "", param);
        snprintf(st->conditions + len, sizeof(st->conditions) - len, "%s%s=%s%s",
                 len ? ", " : "", type, negate ? "!" : "", param);
      }
      if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0 ||
          (r = sd_bus_message_exit_container(m)) < 0)
        return r;
    } else if ((r = sd_bus_message_skip(m, "v")) < 0) {
      return r;
    }
    if ((r = sd_bus_message_exit_container(m)) < 0)
      return r;
  }
  return r < 0 ? r : sd_bus_message_exit_container(m);
}

static bool is_running(const char *active)
{
  return strcmp(active, "active") == 0 || strcmp(active, "reloading") == 0 ||
         strcmp(active, "activating") == 0;
}

static int on_state(sd_bus_message *m, void *arg, sd_bus_error *e)
{
  struct unit_action *a = arg;
  const struct step *s = &a->steps[a->step];
  struct unit_state st;
  char buf[256];
  int r;

  (void)e;
  a->call = sd_bus_slot_unref(a->call);
  if (sd_bus_message_is_method_error(m, NULL))
    return fail(a, "%s: cannot read its state: %s", s->unit,
                bus_error_text(sd_bus_message_get_error(m), 0, buf, sizeof(buf))), 0;
  r = read_unit_state(m, &st);
  if (r < 0)
    return fail(a, "%s: unreadable unit state: %s", s->unit, strerror(-r)), 0;
  if (a->probing) {
    a->probing = false;
    a->probe_done(a->ctx, is_running(st.active));
    return 0;
  }
  if (s->start && strcmp(st.active, "active") != 0 && strcmp(st.active, "reloading") != 0) {
    if (st.condition_result == 0 && st.failed_condition[0])
      return fail(a, "%s: not started: condition %s failed", s->unit, st.failed_condition), 0;
    if (st.condition_result == 0)
      return fail(a, "%s: not started: a condition failed (%s)", s->unit,
                  st.conditions[0] ? st.conditions : "none listed"), 0;
    return fail(a, "%s: start job %s, unit %s", s->unit, a->job_result, st.active), 0;
  }
  if (!s->start && is_running(st.active))
    return fail(a, "%s: stop job %s, unit still %s", s->unit, a->job_result, st.active), 0;
  step_ok(a);
  return 0;
}

static void read_state(struct unit_action *a)
{
  char err[256];
  int r = bus_get(err, sizeof(err));

  if (r >= 0)
    r = sd_bus_call_method_async(bus, &a->call, SD_DEST, a->unit_path,
                                 "org.freedesktop.DBus.Properties", "GetAll", on_state, a, "s",
                                 SD_UNIT);
  if (r < 0)
    fail(a, "%s: cannot read its state: %s", a->steps[a->step].unit, strerror(-r));
}

static void job_finished(struct unit_action *a, const char *result)
{
  forget_waiting(a);
  sched_timer_stop(a->timer);
  snprintf(a->job_result, sizeof(a->job_result), "%s", result);
  read_state(a);
}

static void on_timeout(void *arg)
{
  struct unit_action *a = arg;
  const struct step *s = &a->steps[a->step];

  fail(a, "%s: %s job did not finish in %.3g s", s->unit, s->start ? "start" : "stop",
       (double)a->timeout_ns / 1e9);
}

static int on_job(sd_bus_message *m, void *arg, sd_bus_error *e)
{
  struct unit_action *a = arg;
  const struct step *s = &a->steps[a->step];
  const char *job;
  char buf[256];

  (void)e;
  a->call = sd_bus_slot_unref(a->call);
  /* A unit that does not exist is not running: stopping it is done. */
  if (!s->start && sd_bus_message_is_method_error(m, "org.freedesktop.systemd1.NoSuchUnit"))
    return step_ok(a), 0;
  /* A system shutting down needs no NTP: refusing the start is no failure (safe-state runs then). */
  if (s->start && (sd_bus_message_is_method_error(m, "org.freedesktop.systemd1.TransactionIsDestructive") ||
                   sd_bus_message_is_method_error(m, "org.freedesktop.systemd1.ShuttingDown"))) {
    log_info("unit %s: not started: the system is shutting down", s->unit);
    a->step++;
    return a->step < a->n_steps ? run_step(a) : step_ok_done(a), 0;
  }
  if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "o", &job) < 0)
    return fail(a, "%s: %s: %s", s->unit, s->start ? "StartUnit" : "StopUnit",
                bus_error_text(sd_bus_message_get_error(m), EBADMSG, buf, sizeof(buf))), 0;
  snprintf(a->job, sizeof(a->job), "%s", job);
  for (size_t i = 0; i < RECENT_JOBS; i++)
    if (strcmp(recent[i].job, job) == 0)
      return job_finished(a, recent[i].result), 0;
  if (n_waiting == sizeof(waiting) / sizeof(waiting[0]))
    return fail(a, "%s: too many jobs pending", s->unit), 0;
  waiting[n_waiting++] = a;
  a->waiting_job = true;
  sched_timer_after(a->timer, a->timeout_ns);
  return 0;
}

static int on_loaded(sd_bus_message *m, void *arg, sd_bus_error *e)
{
  struct unit_action *a = arg;
  const struct step *s = &a->steps[a->step];
  const char *path;
  char buf[256];
  int r;

  (void)e;
  a->call = sd_bus_slot_unref(a->call);
  if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "o", &path) < 0)
    return fail(a, "%s: LoadUnit: %s", s->unit,
                bus_error_text(sd_bus_message_get_error(m), EBADMSG, buf, sizeof(buf))), 0;
  snprintf(a->unit_path, sizeof(a->unit_path), "%s", path);
  if (a->probing)
    return read_state(a), 0;
  r = sd_bus_call_method_async(bus, &a->call, SD_DEST, SD_PATH, SD_MANAGER,
                               s->start ? "StartUnit" : "StopUnit", on_job, a, "ss", s->unit,
                               "replace");
  if (r < 0)
    fail(a, "%s: %s: %s", s->unit, s->start ? "StartUnit" : "StopUnit", strerror(-r));
  return 0;
}

static void run_step(struct unit_action *a)
{
  const char *unit = a->probing ? a->unit : a->steps[a->step].unit;
  char err[256];
  int r = bus_get(err, sizeof(err));

  if (r < 0) {
    fail(a, "%s", err);
    return;
  }
  a->job[0] = a->unit_path[0] = 0;
  a->step_start_ns = monotonic_ns();
  r = sd_bus_call_method_async(bus, &a->call, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit",
                               on_loaded, a, "s", unit);
  if (r < 0)
    fail(a, "%s: LoadUnit: %s", unit, strerror(-r));
}

/* -------- the driver -------- */

static void *unit_create(const struct conf_section *s, const char *fallback)
{
  struct unit_action *a;
  const char *unit = conf_str(s, "unit");
  bool too_many;

  (void)fallback;
  if (strcmp(unit, "none") == 0 && !conf_is_set(s, "exclusive_units"))
    return NULL;
  a = xnew(struct unit_action);
  a->unit = strcmp(unit, "none") == 0 ? NULL : xstrdup(unit);
  if (conf_is_set(s, "exclusive_units"))
    a->n_exclusive = split_units(conf_str(s, "exclusive_units"), a->exclusive, EXCLUSIVE_MAX,
                                 &too_many);
  a->timeout_ns = round_to_ns(conf_double(s, "unit_timeout"));
  a->timer = sched_timer_new(on_timeout, a);
  n_users++;
  return a;
}

/* Entering NTP: the exclusive units stop before the unit starts; leaving: the reverse. */
static void unit_apply(void *priv, const struct fallback_change *ch, fallback_done_fn done,
                       void *ctx)
{
  struct unit_action *a = priv;
  bool ntp = ch->to == FALLBACK_NTP;

  a->n_steps = a->step = 0;
  if (ntp) {
    for (size_t i = 0; i < a->n_exclusive; i++)
      a->steps[a->n_steps++] = (struct step){a->exclusive[i], false};
    if (a->unit)
      a->steps[a->n_steps++] = (struct step){a->unit, true};
  } else {
    if (a->unit)
      a->steps[a->n_steps++] = (struct step){a->unit, false};
    for (size_t i = 0; i < a->n_exclusive; i++)
      a->steps[a->n_steps++] = (struct step){a->exclusive[i], true};
  }
  a->done = done;
  a->ctx = ctx;
  a->probing = false;
  run_step(a);
}

static void unit_probe(void *priv, fallback_probe_fn done, void *ctx)
{
  struct unit_action *a = priv;

  if (!a->unit) {
    done(ctx, false);
    return;
  }
  a->probing = true;
  a->probe_done = done;
  a->ctx = ctx;
  run_step(a);
}

static void unit_target(void *priv, char *buf, size_t len)
{
  struct unit_action *a = priv;
  size_t off = (size_t)snprintf(buf, len, "%s", a->unit ? a->unit : "none");

  for (size_t i = 0; i < a->n_exclusive && off < len; i++)
    off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "; exclusive: ",
                            a->exclusive[i]);
}

static void unit_destroy(void *priv)
{
  struct unit_action *a = priv;

  forget_waiting(a);
  sd_bus_slot_unref(a->call);
  sched_timer_free(a->timer);
  for (size_t i = 0; i < a->n_exclusive; i++)
    free(a->exclusive[i]);
  free(a->unit);
  free(a);
  /* The last user gone: nothing keeps the connection. */
  if (--n_users == 0)
    bus_drop();
}

const struct fallback_action_ops fallback_unit_ops = {
  .kind = "unit",
  .create = unit_create,
  .check = unit_check,
  .apply = unit_apply,
  .probe = unit_probe,
  .target = unit_target,
  .destroy = unit_destroy,
  .retried = true,
};
