/* The fallback's decision: pure, so every rule is unit-tested without a clock or a bus. */
#include <string.h>

#include "bridge/control/fallback_fsm.h"

const char *fallback_mode_name(enum fallback_mode m)
{
  static const char *const names[] = {"start", "ptp", "ntp"};
  return (unsigned)m < 3 ? names[m] : "?";
}

const char *fallback_wait_name(enum fallback_wait w)
{
  static const char *const names[] = {"none", "enter_after", "exit_after", "min_interval",
                                      "phc2sys"};
  return (unsigned)w < 5 ? names[w] : "?";
}

const char *fallback_reason_name(enum fallback_reason r)
{
  static const char *const names[] = {"loss", "recovered", "phc2sys", "day0", "locked"};
  return (unsigned)r < FALLBACK_REASONS ? names[r] : "?";
}

static int64_t add_sat(int64_t a, int64_t b)
{
  return a > FALLBACK_NEVER - b ? FALLBACK_NEVER : a + b;
}

void fallback_fsm_init(struct fallback_fsm *f, const struct fallback_fsm_config *cfg,
                       int64_t now_ns, bool ntp_running)
{
  memset(f, 0, sizeof(*f));
  f->cfg = *cfg;
  f->mode = ntp_running ? FALLBACK_NTP : FALLBACK_START;
  f->good_changed_ns = f->entered_ns = now_ns;
  f->last_toggle_ns = FALLBACK_NEVER;
}

void fallback_fsm_input(struct fallback_fsm *f, int64_t now_ns, bool good, bool hold_off,
                        int claim)
{
  if (good != f->good) {
    f->good = good;
    f->good_changed_ns = now_ns;
  }
  f->hold_off = hold_off;
  if (claim > f->claim)
    f->claim_rose_ns = now_ns;
  f->claim = claim;
}

/* The time a toggle wanted now may happen at, given min_interval. */
static int64_t allowed_at(const struct fallback_fsm *f)
{
  return f->last_toggle_ns == FALLBACK_NEVER ? 0 : add_sat(f->last_toggle_ns, f->cfg.min_interval_ns);
}

static void toggle(struct fallback_fsm *f, int64_t now_ns, enum fallback_mode to,
                   enum fallback_reason why, struct fallback_step *out)
{
  out->toggled = true;
  out->from = f->mode;
  out->to = to;
  out->reason = why;
  f->mode = to;
  f->entered_ns = now_ns;
  /* Leaving START decides for the first time: it starts no min_interval. */
  if (out->from != FALLBACK_START)
    f->last_toggle_ns = now_ns;
  f->wait = FALLBACK_WAIT_NONE;
}

static void hold(struct fallback_fsm *f, enum fallback_wait w, int64_t until_ns,
                 struct fallback_step *out)
{
  out->wait = w;
  out->wait_changed = w != f->wait;
  out->next_ns = until_ns;
  f->wait = w;
}

/* Loss: wait out enter_after, then phc2sys -a, then min_interval. */
static void on_loss(struct fallback_fsm *f, int64_t now_ns, struct fallback_step *out)
{
  int64_t enter_at = add_sat(f->good_changed_ns, f->cfg.enter_after_ns);
  int64_t at;

  if (now_ns < enter_at) {
    hold(f, FALLBACK_WAIT_ENTER_AFTER, enter_at, out);
    return;
  }
  if (f->cfg.phc2sys_auto && f->hold_off) {
    hold(f, FALLBACK_WAIT_PHC2SYS, FALLBACK_NEVER, out);
    return;
  }
  at = f->mode == FALLBACK_START ? 0 : allowed_at(f);
  if (now_ns < at) {
    hold(f, FALLBACK_WAIT_MIN_INTERVAL, at, out);
    return;
  }
  toggle(f, now_ns, FALLBACK_NTP, FALLBACK_REASON_LOSS, out);
}

static void on_good_in_ntp(struct fallback_fsm *f, int64_t now_ns, struct fallback_step *out)
{
  int64_t exit_at = add_sat(f->good_changed_ns, f->cfg.exit_after_ns);
  int64_t at = allowed_at(f);

  if (now_ns < exit_at) {
    hold(f, FALLBACK_WAIT_EXIT_AFTER, exit_at, out);
    return;
  }
  if (now_ns < at) {
    hold(f, FALLBACK_WAIT_MIN_INTERVAL, at, out);
    return;
  }
  toggle(f, now_ns, FALLBACK_PTP, FALLBACK_REASON_RECOVERED, out);
}

void fallback_fsm_step(struct fallback_fsm *f, int64_t now_ns, struct fallback_step *out)
{
  memset(out, 0, sizeof(*out));
  out->from = out->to = f->mode;
  out->next_ns = FALLBACK_NEVER;

  switch (f->mode) {
  case FALLBACK_START:
    if (f->good)
      toggle(f, now_ns, FALLBACK_PTP, FALLBACK_REASON_LOCKED, out);
    else
      on_loss(f, now_ns, out);
    break;
  case FALLBACK_PTP:
    if (f->good)
      hold(f, FALLBACK_WAIT_NONE, FALLBACK_NEVER, out);
    else
      on_loss(f, now_ns, out);
    break;
  case FALLBACK_NTP:
    /* phc2sys -a takes the clock back on its own (a port became UNCALIBRATED or SLAVE after NTP
       started): two disciplines at once is worse than any flapping, so NTP stops now. */
    if (f->cfg.phc2sys_auto && f->claim > 0 && f->claim_rose_ns > f->entered_ns)
      toggle(f, now_ns, FALLBACK_PTP, FALLBACK_REASON_PHC2SYS, out);
    else if (f->good)
      on_good_in_ntp(f, now_ns, out);
    else
      hold(f, FALLBACK_WAIT_NONE, FALLBACK_NEVER, out);
    break;
  }
  if (out->toggled)
    out->wait_changed = false;
}
