/* The wire format of ptp4l's management messages (IEEE 1588 header, management body, one
   TLV; all big-endian), as exchanged over its AF_UNIX datagram socket. The only definition of
   it in the daemon: encodes requests, decodes and validates replies and pushes. No I/O. */
#ifndef RB_PMC_MSG_H
#define RB_PMC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PMC_HEADER_LEN 34
#define PMC_MAX_MSG 1500
/* Header + management body (14) + TLV type, length and managementId (6). */
#define PMC_MIN_MSG 54

enum pmc_action { PMC_GET = 0, PMC_SET = 1, PMC_RESPONSE = 2, PMC_COMMAND = 3, PMC_ACKNOWLEDGE = 4 };

enum pmc_id { /* managementId values */
  PMC_ID_DEFAULT_DATA_SET = 0x2000,
  PMC_ID_CURRENT_DATA_SET = 0x2001,
  PMC_ID_PARENT_DATA_SET = 0x2002,
  PMC_ID_TIME_PROPERTIES_DATA_SET = 0x2003,
  PMC_ID_PORT_DATA_SET = 0x2004,
  PMC_ID_TIME_STATUS_NP = 0xC000,
  PMC_ID_SUBSCRIBE_EVENTS_NP = 0xC003,
  PMC_ID_SYNCHRONIZATION_UNCERTAIN_NP = 0xC006,
};

/* Data sizes of the ids above; a SET body must have exactly this size. */
#define PMC_SIZE_DEFAULT_DATA_SET 20
#define PMC_SIZE_CURRENT_DATA_SET 18
#define PMC_SIZE_PARENT_DATA_SET 32
#define PMC_SIZE_TIME_PROPERTIES_DATA_SET 4
#define PMC_SIZE_PORT_DATA_SET 26
#define PMC_SIZE_TIME_STATUS_NP 50
#define PMC_SIZE_SUBSCRIBE_EVENTS_NP 66
#define PMC_SIZE_SYNCHRONIZATION_UNCERTAIN_NP 2

enum pmc_port_state {
  PMC_PS_INITIALIZING = 1,
  PMC_PS_FAULTY = 2,
  PMC_PS_DISABLED = 3,
  PMC_PS_LISTENING = 4,
  PMC_PS_PRE_MASTER = 5,
  PMC_PS_MASTER = 6,
  PMC_PS_PASSIVE = 7,
  PMC_PS_UNCALIBRATED = 8,
  PMC_PS_SLAVE = 9,
  PMC_PS_GRAND_MASTER = 10, /* internal to ptp4l; reported as MASTER */
};

/* Event bit numbers of SUBSCRIBE_EVENTS_NP: event n is bit n%8 of bitmask[n/8]. */
#define PMC_NOTIFY_PORT_STATE 0 /* pushes PORT_DATA_SET on each port state change */
#define PMC_NOTIFY_TIME_SYNC 1  /* pushes TIME_STATUS_NP on each sync (ptp4l 4.0+) */

/* Bits of flagField[1] and of the TIME_PROPERTIES_DATA_SET flags. */
#define PMC_TP_LEAP61 0x01
#define PMC_TP_LEAP59 0x02
#define PMC_TP_UTC_OFFSET_VALID 0x04
#define PMC_TP_PTP_TIMESCALE 0x08
#define PMC_TP_TIME_TRACEABLE 0x10
#define PMC_TP_FREQ_TRACEABLE 0x20

/* SYNCHRONIZATION_UNCERTAIN_NP values. */
#define PMC_SYNC_UNCERTAIN_FALSE 0
#define PMC_SYNC_UNCERTAIN_TRUE 1
#define PMC_SYNC_UNCERTAIN_DONT_CARE 0xFF

/* managementErrorId values of a MANAGEMENT_ERROR_STATUS TLV. */
enum pmc_mgmt_error {
  PMC_MERR_RESPONSE_TOO_BIG = 1,
  PMC_MERR_NO_SUCH_ID = 2,
  PMC_MERR_WRONG_LENGTH = 3,
  PMC_MERR_WRONG_VALUE = 4,
  PMC_MERR_NOT_SETABLE = 5,
  PMC_MERR_NOT_SUPPORTED = 6,
  PMC_MERR_GENERAL_ERROR = 0xFFFE,
};

struct pmc_port_identity {
  uint8_t clock[8];
  uint16_t port;
};

struct pmc_request {
  uint8_t transport_specific; /* 0..15 */
  uint8_t domain;
  uint16_t sequence;
  struct pmc_port_identity source; /* ours */
  enum pmc_action action;          /* GET or SET (COMMAND is also encoded) */
  uint16_t id;
  const uint8_t *data; /* body for SET; empty GET when data_len is 0 */
  size_t data_len;
};

/* Encodes into buf; returns the length, or 0 if it does not fit in len (or PMC_MAX_MSG), or if
   the request is invalid (transport_specific > 15, action not GET/SET/COMMAND, data NULL with
   data_len > 0). Target port identity is the wildcard (all 0xFF), boundaryHops 0
   (startingBoundaryHops 0), versionPTP 2, controlField 0, logMessageInterval 0x7F, TLV
   MANAGEMENT with lengthField = 2 + data_len padded to even (pad 0). */
size_t pmc_encode(uint8_t *buf, size_t len, const struct pmc_request *r);

/* Subscription body for SET SUBSCRIBE_EVENTS_NP: duration (s) + 64-byte bitmask with the given
   event bits set (bit n = event n). Writes 66 bytes. An events of 0 unsubscribes. */
void pmc_subscribe_body(uint8_t out[66], uint16_t duration, uint32_t events);
/* Body for SET SYNCHRONIZATION_UNCERTAIN_NP: the value and a pad byte. Writes 2 bytes. */
void pmc_sync_uncertain_body(uint8_t out[2], uint8_t value);

enum pmc_parse_error {
  PMC_OK = 0,
  PMC_ERR_SHORT,          /* shorter than PMC_MIN_MSG */
  PMC_ERR_LENGTH,         /* messageLength != datagram length */
  PMC_ERR_NOT_MANAGEMENT, /* messageType != 0xD */
  PMC_ERR_VERSION,        /* versionPTP != 2 */
  PMC_ERR_ACTION,         /* not RESPONSE/ACKNOWLEDGE */
  PMC_ERR_TLV,            /* bad TLV type, odd/short/overlong lengthField, bytes after the TLV */
  PMC_ERR_DATA_SIZE,      /* known id, wrong size */
  PMC_ERR_UNKNOWN_ID,
  PMC_ERR_STATUS, /* a MANAGEMENT_ERROR_STATUS TLV: error_code set */
};
const char *pmc_parse_error_str(enum pmc_parse_error e);
/* Name of a managementErrorId, "UNKNOWN" for others. */
const char *pmc_mgmt_error_str(uint16_t code);

struct pmc_default_ds {
  bool slave_only;
  uint16_t number_ports;
  uint8_t priority1, priority2;
  uint8_t clock_class;
  uint8_t clock_accuracy;
  uint16_t variance;
  uint8_t clock_identity[8];
  uint8_t domain;
};

struct pmc_current_ds {
  uint16_t steps_removed;
  int64_t offset_scaled; /* TimeInterval: ns * 2^16 */
  int64_t delay_scaled;
};

struct pmc_parent_ds {
  struct pmc_port_identity parent;
  uint8_t gm_priority1, gm_priority2, gm_clock_class, gm_clock_accuracy;
  uint16_t gm_variance;
  uint8_t gm_identity[8];
};

struct pmc_time_properties {
  int16_t utc_offset;
  bool leap61, leap59, utc_offset_valid, ptp_timescale, time_traceable, freq_traceable;
  uint8_t time_source;
};

struct pmc_port_ds {
  struct pmc_port_identity port;
  uint8_t state;
  int8_t log_min_delay_req_interval;
  int64_t peer_delay_scaled; /* TimeInterval */
  int8_t log_announce_interval;
  uint8_t announce_receipt_timeout;
  int8_t log_sync_interval;
  uint8_t delay_mechanism;
  int8_t log_min_pdelay_req_interval;
  uint8_t version;
};

struct pmc_time_status {
  int64_t master_offset_ns; /* plain ns, not scaled */
  int64_t ingress_time_ns;  /* in ptp4l's clock timescale (usually the PHC's TAI); 0 if none */
  int32_t cumulative_scaled_rate_offset;
  int32_t scaled_last_gm_phase_change;
  uint16_t gm_time_base_indicator;
  int32_t gm_present; /* stale on slaveOnly clocks after GM loss: do not rely on it */
  uint8_t gm_identity[8];
};

struct pmc_subscription {
  uint16_t duration;
  uint8_t bitmask[64];
};

struct pmc_msg {
  uint8_t transport_specific, version, domain; /* version: the versionPTP nibble */
  uint16_t sequence;
  uint16_t flags;                  /* flagField */
  struct pmc_port_identity source; /* sender (ptp4l) */
  struct pmc_port_identity target;
  enum pmc_action action;
  uint16_t id;
  bool error_status;   /* a MANAGEMENT_ERROR_STATUS TLV (PMC_ERR_STATUS) */
  uint16_t error_code; /* with PMC_ERR_STATUS */
  union {
    struct pmc_default_ds default_ds;
    struct pmc_current_ds current_ds;
    struct pmc_parent_ds parent_ds;
    struct pmc_time_properties time_properties;
    struct pmc_port_ds port_ds;
    struct pmc_time_status time_status;
    struct pmc_subscription subscription;
    uint8_t sync_uncertain; /* SYNCHRONIZATION_UNCERTAIN_NP */
  } u;
};

/* Decodes and validates one datagram; never reads outside buf. On PMC_OK everything is
   filled; on PMC_ERR_STATUS the header fields, id and error_code; on PMC_ERR_UNKNOWN_ID and
   PMC_ERR_DATA_SIZE the header fields and id. Other errors leave out partly filled. A datagram
   must hold exactly one TLV, and a known id's data exactly its size (size + 1 for odd sizes). */
enum pmc_parse_error pmc_parse(const uint8_t *buf, size_t len, struct pmc_msg *out);

/* "SLAVE", "MASTER", ...; "UNKNOWN" for values outside 1..10. */
const char *pmc_port_state_name(uint8_t state);
bool pmc_identity_equal(const uint8_t a[8], const uint8_t b[8]);
/* Whether a subscription (as echoed by GET/SET SUBSCRIBE_EVENTS_NP) has event n set. */
bool pmc_subscription_has(const struct pmc_subscription *s, unsigned event);

/* The trust rules of a management client, apart from its I/O: which of its requests are still
   open, ptp4l's clockIdentity once DEFAULT_DATA_SET has told it, and where ptp4l's numbering
   of the pushes to this client stands. A message counts only if it passes them all. */
#define PMC_SESSION_OPEN 64   /* requests remembered: a reply must answer one of these */
#define PMC_PUSH_AHEAD 64     /* sequenceIds a push may skip (pushes lost to a full queue) */
#define PMC_PUSH_RESYNC 3     /* consecutive pushes that re-establish the numbering */

struct pmc_session {
  struct pmc_port_identity me;
  uint8_t domain, transport_specific;
  struct {
    uint16_t seq, id;
    bool used, answered;
    uint32_t ports_answered; /* PORT_DATA_SET: one reply per port (bit n = port n, 1..31) */
  } open[PMC_SESSION_OPEN];
  unsigned n_sent;
  bool have_clock;
  uint8_t clock[8];
  bool subscribed; /* ptp4l accepted a subscription with events */
  bool have_push;
  uint16_t push_seq;   /* the latest push taken */
  uint16_t resync_seq; /* the latest push out of sequence, and how many came in a row */
  unsigned resync_run;
};

enum pmc_verdict {
  PMC_REPLY,            /* answers an open request of ours */
  PMC_PUSH,             /* a subscribed event, in sequence */
  PMC_DROP_TARGET,      /* addressed to another client */
  PMC_DROP_DOMAIN,      /* another domainNumber or transportSpecific */
  PMC_DROP_UNSOLICITED, /* answers no open request of ours, and is no push subscribed to */
  PMC_DROP_REPEATED,    /* a second reply to one request */
  PMC_DROP_EARLY,       /* before ptp4l's clockIdentity is known */
  PMC_DROP_CLOCK,       /* from a clockIdentity other than ptp4l's */
  PMC_DROP_SEQUENCE,    /* a push out of ptp4l's numbering (repeated, or far ahead) */
};
const char *pmc_verdict_str(enum pmc_verdict v);

void pmc_session_init(struct pmc_session *s, const struct pmc_port_identity *me, uint8_t domain,
                      uint8_t transport_specific);
/* Records a request sent. */
void pmc_session_sent(struct pmc_session *s, uint16_t seq, uint16_t id);
/* Judges a message that parsed (PMC_OK or PMC_ERR_STATUS) and learns from it: ptp4l's
   clockIdentity from a DEFAULT_DATA_SET reply whose dataset names its sender, that pushes are
   due from ptp4l's reply to a subscription with events, the push numbering from a push.
   Nothing is learnt from a message that is dropped. */
enum pmc_verdict pmc_session_check(struct pmc_session *s, const struct pmc_msg *m);
/* ptp4l went away: its identity, subscription and numbering are to be learnt afresh. */
void pmc_session_forget(struct pmc_session *s);

#endif
