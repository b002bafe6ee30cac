/* What a fallback does when it toggles: one driver per kind of action (a systemd unit, a marker
   file, a hook), for fallback.c only. */
#ifndef RB_FALLBACK_ACTION_H
#define RB_FALLBACK_ACTION_H

#include <stdbool.h>
#include <stddef.h>

#include "bridge/control/fallback_fsm.h"
#include "bridge/core/conf.h"

struct fallback_change {
  const char *fallback; /* the section's name, for log lines */
  enum fallback_mode from, to;
  const char *reason;
};

/* error is NULL when ok. Called exactly once per apply or probe, possibly before it returns. */
typedef void (*fallback_done_fn)(void *ctx, bool ok, const char *error);
/* ntp_on: the fallback's NTP was found running. */
typedef void (*fallback_probe_fn)(void *ctx, bool ntp_on);

struct fallback_action_ops {
  const char *kind;
  /* The keys of s that ask for this action; NULL if they do not. */
  void *(*create)(const struct conf_section *s, const char *fallback);
  /* Cross-key checks, at load time (conf_fail() and false when wrong). */
  bool (*check)(const struct conf_section *s);
  /* Brings what the action controls to ch->to (FALLBACK_NTP or FALLBACK_PTP). */
  void (*apply)(void *priv, const struct fallback_change *ch, fallback_done_fn done, void *ctx);
  /* NULL, or finds out whether NTP runs now (day 0). */
  void (*probe)(void *priv, fallback_probe_fn done, void *ctx);
  /* What it controls, for the status model. */
  void (*target)(void *priv, char *buf, size_t len);
  /* A pending apply or probe is abandoned: its callback is never called. */
  void (*destroy)(void *priv);
  /* Whether a failed apply is retried with backoff (a hook's is only logged). */
  bool retried;
};

extern const struct fallback_action_ops fallback_unit_ops, fallback_marker_ops, fallback_hook_ops;

#endif
