/* Tracker registry and the state machine. Adding a driver: one file, one table row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memory.h"
#include "registry.h"
#include "sched.h"
#include "tracker.h"
#include "util.h"

extern const struct tracker_ops ptp4l_tracker_ops;
extern const struct tracker_ops statime_tracker_ops;

static const struct tracker_ops *const tracker_table[] = {
  &ptp4l_tracker_ops,
  &statime_tracker_ops,
  NULL,
};

const struct conf_driver *const tracker_conf_drivers[] = {
  &ptp4l_tracker_ops.conf,
  &statime_tracker_ops.conf,
  NULL,
};

/* Defaults follow OpenShift's ptp-operator: holdOverTimeout 5 s, offset within +/-100 ns. */
const struct conf_key tracker_common_keys[] = {
  {.name = "max_offset", .type = CONF_INT, .def = "100", .min = 1, .max = 1000000000},
  {.name = "lock_updates", .type = CONF_INT, .def = "3", .min = 1, .max = 1000},
  {.name = "holdover", .type = CONF_DOUBLE, .def = "5", .min = 0, .max = 86400},
  {.name = "max_clock_class", .type = CONF_INT, .min = 0, .max = 255},
  {.name = "require_time_traceable", .type = CONF_BOOL, .def = "no"},
  {0},
};

struct tracker {
  char *name;
  char *digest;
  const struct tracker_ops *ops;
  void *priv;
  int64_t max_offset_ns;
  int lock_updates;
  int64_t holdover_ns;
  int max_clock_class; /* -1: not checked */
  bool require_traceable;
  enum trk_state state;
  int good_updates;
  struct sched_timer *holdover_timer;
  struct trk_observation last;
  char why[160]; /* why the latest update was not good */
};

struct watch {
  char *name;
  tracker_watch_fn fn;
  void *arg;
};

static void destroy(void *item);
static const char *name_of(const void *item);
static struct registry trackers = {.name_of = name_of, .destroy = destroy};
static struct watch *watches;
static size_t n_watches;

const char *trk_state_name(enum trk_state s)
{
  static const char *const names[] = {"UNKNOWN", "FREERUN", "LOCKED", "HOLDOVER"};
  return (unsigned)s < 4 ? names[s] : "?";
}

static bool still_watching(const char *name, tracker_watch_fn fn, void *arg)
{
  for (size_t i = 0; i < n_watches; i++)
    if (watches[i].fn == fn && watches[i].arg == arg && strcmp(watches[i].name, name) == 0)
      return true;
  return false;
}

static void set_state(struct tracker *t, enum trk_state to, const char *reason)
{
  enum trk_state from = t->state;

  if (from == to)
    return;
  t->state = to;
  log_notice("tracker %s: %s -> %s: %s", t->name, trk_state_name(from), trk_state_name(to),
             reason);
  if (to == TRK_HOLDOVER)
    sched_timer_after(t->holdover_timer, t->holdover_ns);
  else
    sched_timer_stop(t->holdover_timer);
  /* Watchers may watch or unwatch (themselves or others) from their callback: call those
     watching now, each only while it still is. */
  {
    struct watch *snap = xnew_array(struct watch, n_watches + 1);
    size_t n = 0;
    for (size_t i = 0; i < n_watches; i++)
      if (strcmp(watches[i].name, t->name) == 0)
        snap[n++] = watches[i];
    for (size_t j = 0; j < n; j++)
      if (still_watching(t->name, snap[j].fn, snap[j].arg))
        snap[j].fn(snap[j].arg, t->name, from, to, reason);
    free(snap);
  }
}

static void holdover_expired(void *arg)
{
  struct tracker *t = arg;
  char reason[96];

  if (t->state != TRK_HOLDOVER)
    return;
  snprintf(reason, sizeof(reason), "holdover of %.3g s expired", (double)t->holdover_ns / 1e9);
  set_state(t, TRK_FREERUN, reason);
}

/* Why an observation does not count toward LOCKED, or NULL if it does. */
static const char *not_good(struct tracker *t, const struct trk_observation *o)
{
  if (!o->slave) {
    snprintf(t->why, sizeof(t->why), "no port in SLAVE (%s)", o->port_state ? o->port_state : "?");
    return t->why;
  }
  if (!o->fresh)
    return "sync data is stale: no sync received for too long";
  if (!o->have_offset)
    return "no offset from master yet";
  if (o->offset_ns > t->max_offset_ns || o->offset_ns < -t->max_offset_ns) {
    snprintf(t->why, sizeof(t->why), "offset %+lld ns beyond +/-%lld ns",
             (long long)o->offset_ns, (long long)t->max_offset_ns);
    return t->why;
  }
  if (t->max_clock_class >= 0 && (o->gm_clock_class < 0 || o->gm_clock_class > t->max_clock_class)) {
    snprintf(t->why, sizeof(t->why), "grandmaster clockClass %d above %d", o->gm_clock_class,
             t->max_clock_class);
    return t->why;
  }
  if (t->require_traceable && !o->time_traceable)
    return "grandmaster time is not traceable";
  return NULL;
}

void tracker_update(struct tracker *t, const struct trk_observation *o)
{
  const char *bad = not_good(t, o);
  char reason[200];

  t->last = *o;
  if (!bad) {
    if (!o->new_measurement)
      return;
    if (t->good_updates < t->lock_updates)
      t->good_updates++;
    if (t->state != TRK_LOCKED && t->good_updates >= t->lock_updates) {
      snprintf(reason, sizeof(reason), "SLAVE, offset %+lld ns within +/-%lld ns for %d updates",
               (long long)o->offset_ns, (long long)t->max_offset_ns, t->good_updates);
      set_state(t, TRK_LOCKED, reason);
    }
    return;
  }
  t->good_updates = 0;
  if (t->state == TRK_LOCKED)
    set_state(t, TRK_HOLDOVER, bad);
  else if (t->state == TRK_UNKNOWN)
    set_state(t, TRK_FREERUN, bad);
}

/* The margin: a PTP master re-arms a one-shot timer after each Sync (ptp4l does), so Syncs come
   a little later than the interval, and a loaded host delays them by tens of ms more. Half an
   interval, at least STALE_MARGIN_MIN (fast profiles, where the daemon's own announce timeout
   comes first anyway) and at most STALE_MARGIN_MAX (slow ones: the loss is still seen within
   stale_syncs intervals and one default poll). A Sync seen up to lag_ns late came at the
   earliest lag_ns before it was seen: the window counts from then, so the loss shows as soon
   with polls as with pushes; but two sightings of Syncs that keep coming may lie an interval
   and lag_ns apart, and that, with the margin, is never stale. */
#define STALE_MARGIN_MIN (NS_PER_SEC / 10)
#define STALE_MARGIN_MAX (NS_PER_SEC / 4)

int64_t trk_stale_window(int stale_syncs, int64_t interval_ns, int64_t lag_ns)
{
  int64_t margin = interval_ns / 2, window, floor;

  margin = margin < STALE_MARGIN_MIN ? STALE_MARGIN_MIN
           : margin > STALE_MARGIN_MAX ? STALE_MARGIN_MAX : margin;
  window = (int64_t)stale_syncs * interval_ns + margin - lag_ns;
  floor = interval_ns + lag_ns + margin;
  return window > floor ? window : floor;
}

void tracker_unreachable(struct tracker *t, const char *why)
{
  t->good_updates = 0;
  memset(&t->last, 0, sizeof(t->last));
  set_state(t, TRK_UNKNOWN, why);
}

const char *tracker_name(const struct tracker *t)
{
  return t->name;
}

static const char *name_of(const void *item)
{
  return ((const struct tracker *)item)->name;
}

struct tracker *tracker_find(const char *name)
{
  return registry_find(&trackers, name);
}

enum trk_state tracker_state(const struct tracker *t)
{
  return t->state;
}

bool tracker_utc_offset(const struct tracker *t, int *offset)
{
  if (t->state == TRK_UNKNOWN || !t->last.have_time_properties || !t->last.utc_offset_valid)
    return false;
  *offset = t->last.utc_offset;
  return true;
}

enum rb_leap tracker_leap(const struct tracker *t)
{
  if (t->state == TRK_UNKNOWN || !t->last.have_time_properties)
    return RB_LEAP_NONE;
  return t->last.leap61 ? RB_LEAP_INSERT : t->last.leap59 ? RB_LEAP_DELETE : RB_LEAP_NONE;
}

void tracker_watch(const char *name, tracker_watch_fn fn, void *arg)
{
  watches = xreallocarray(watches, n_watches + 1, sizeof(*watches));
  watches[n_watches].name = xstrdup(name);
  watches[n_watches].fn = fn;
  watches[n_watches].arg = arg;
  n_watches++;
}

void tracker_unwatch(const char *name, tracker_watch_fn fn, void *arg)
{
  for (size_t i = 0; i < n_watches; i++)
    if (watches[i].fn == fn && watches[i].arg == arg && strcmp(watches[i].name, name) == 0) {
      free(watches[i].name);
      watches[i] = watches[--n_watches];
      break;
    }
  if (n_watches == 0) {
    free(watches);
    watches = NULL;
  }
}

static const struct tracker_ops *find_ops(const char *type)
{
  for (size_t i = 0; tracker_table[i]; i++)
    if (strcmp(tracker_table[i]->conf.type, type) == 0)
      return tracker_table[i];
  return NULL;
}

static void destroy(void *item)
{
  struct tracker *t = item;

  t->ops->destroy(t->priv);
  /* Consumers learn that the state they gated on is gone. */
  set_state(t, TRK_UNKNOWN, "tracker stopped");
  sched_timer_free(t->holdover_timer);
  free(t->digest);
  free(t->name);
  free(t);
}

static bool unchanged(const void *item, const void *ctx)
{
  const struct tracker *t = item;
  const struct conf_section *s = conf_find(ctx, "tracker", t->name);
  return s && strcmp(conf_digest(s), t->digest) == 0;
}

void tracker_drop_changed(const struct conf *c)
{
  /* Destroying runs the watchers, which may look trackers up: the registry lets them. */
  registry_prune(&trackers, unchanged, c);
}

void tracker_add_new(const struct conf *c)
{
  for (size_t i = 0; i < conf_count(c); i++) {
    const struct conf_section *s = conf_at(c, i);
    struct tracker *t;

    if (strcmp(conf_kind_name(s), "tracker") != 0 || tracker_find(conf_name(s)))
      continue;
    t = xnew(struct tracker);
    t->name = xstrdup(conf_name(s));
    t->digest = xstrdup(conf_digest(s));
    t->ops = find_ops(conf_type(s));
    t->max_offset_ns = conf_int(s, "max_offset");
    t->lock_updates = (int)conf_int(s, "lock_updates");
    t->holdover_ns = round_to_ns(conf_double(s, "holdover"));
    t->max_clock_class = conf_is_set(s, "max_clock_class") ? (int)conf_int(s, "max_clock_class") : -1;
    t->require_traceable = conf_bool(s, "require_time_traceable");
    t->state = TRK_UNKNOWN;
    t->holdover_timer = sched_timer_new(holdover_expired, t);
    t->priv = t->ops->create(t, s);
    registry_add(&trackers, t);
    t->ops->start(t->priv);
  }
}

void tracker_fini(void)
{
  registry_clear(&trackers);
}
