/* Parsing statime's observation document: the one compact JSON object that statime-linux
   writes to each client of its observation socket (read to EOF; no framing, no timestamp).
   Pure functions over a buffer, so the tracker, the unit tests and the fuzzer share them. */
#ifndef RB_STATIME_JSON_H
#define RB_STATIME_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Only the states statime emits get a value of their own; the rest (and the one-key object
   form some future version might use) are OTHER. */
enum statime_port_state {
  STATIME_PS_UNKNOWN = 0,
  STATIME_PS_FAULTY,
  STATIME_PS_LISTENING,
  STATIME_PS_MASTER,
  STATIME_PS_PASSIVE,
  STATIME_PS_SLAVE,
  STATIME_PS_OTHER,
};

#define STATIME_MAX_PORTS 8

/* What the bridge needs from one statime observation document. */
struct statime_obs {
  char version[32]; /* program.version, "" if absent (truncated if longer) */
  /* 3 for the v0.3 shape (no port_ds and no mean_delay, offset in whole ns), 4 for v0.4+
     (offset in ns x 2^32). */
  int schema;
  /* Some port_ds[].port_state is "Slave". v0.3 has no port_ds, so there this is false and
     n_ports 0: the caller then takes steps_removed >= 1 && !gm_is_self as the slave signal. */
  bool any_slave;
  int n_ports;                                             /* all of port_ds[] */
  enum statime_port_state port_state[STATIME_MAX_PORTS]; /* of the first 8 */
  uint16_t steps_removed;
  /* current_ds, in ns. Both are the Kalman estimate of the Slave port's clock (the PHC with
     hardware timestamping), 0 when no port is Slave. mean_delay is absent in v0.3. Both are
     whole multiples of 2^-32 ns (v0.4) or whole ns (v0.3), and within +-2^63 ns (a larger one
     is ERR_RANGE), so rounding them to an int64_t is safe.
     have_offset is false while statime has no estimate yet: for its first seconds in Slave
     (after every entry into Slave) its filter is unsettled and v0.4 writes offset_from_master
     and mean_delay both as exactly 0 (each below 2^-33 s), which no real path delay is. v0.3
     has no mean_delay, so there an offset of 0 cannot be told from an estimate and counts. */
  bool have_offset;
  double offset_ns;
  bool have_mean_delay;
  double mean_delay_ns;
  uint8_t own_identity[8], gm_identity[8];
  bool gm_is_self;    /* grandmaster_identity == default_ds.clock_identity */
  int gm_clock_class; /* -1 if absent */
  bool time_traceable, ptp_timescale;
  bool utc_offset_valid; /* current_utc_offset was an integer, not null */
  int utc_offset;        /* TAI - UTC, s */
  bool leap61, leap59;   /* leap_indicator "Leap61" / "Leap59" */
  uint8_t domain;        /* default_ds.domain_number, 0 if absent */
  /* Of the instance part only, as parsed: equal for two reads of one statime snapshot.
     statime recomputes program.uptime_seconds for every connection, so the document as a
     whole differs on every read; the instance part changes only when statime publishes a new
     snapshot (after each run of its BMCA). Numbers are hashed as the doubles read. */
  uint64_t snapshot_hash;
};

enum statime_error {
  STATIME_OK = 0,
  STATIME_ERR_JSON,  /* not JSON (or duplicate keys, or empty) */
  STATIME_ERR_SHAPE, /* a required member missing, or any member of the wrong type */
  STATIME_ERR_RANGE, /* a number out of range, or non-integral where an integer is needed */
};

/* Parses one document of len bytes (no NUL needed). Safe on any input. On error *out is
   partly filled and must not be used; *err_detail (err_detail may be NULL) then points to a
   short description such as "instance.current_ds missing", valid until the next call (a
   static buffer: not thread-safe). */
enum statime_error statime_parse(const char *doc, size_t len, struct statime_obs *out,
                                 const char **err_detail);
const char *statime_port_state_name(enum statime_port_state s);
const char *statime_error_name(enum statime_error e);

#endif
