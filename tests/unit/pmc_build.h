/* Shared by the pmc_msg unit tests: management datagrams built by hand, independently of the
   module, sample data sets, and per-group check counts. */
#ifndef RB_TEST_PMC_BUILD_H
#define RB_TEST_PMC_BUILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptpstate/pmc_msg.h"
#include "test.h"

static const uint8_t ptp4l_clock[8] = {0x00, 0x1b, 0x21, 0xff, 0xfe, 0x12, 0x34, 0x56};
static const uint8_t our_clock[8] = {0, 0, 0, 0, 0, 0, 0x12, 0x34};
static const uint8_t gm_clock[8] = {0xac, 0x1f, 0x6b, 0xff, 0xfe, 0xaa, 0xbb, 0xcc};

static inline void put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
  put16(p, (uint16_t)(v >> 16));
  put16(p + 2, (uint16_t)v);
}

static inline void put64(uint8_t *p, uint64_t v)
{
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}

static inline uint16_t get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

/* A datagram as ptp4l 4.x sends it: header, management body, one TLV whose value (after
   the lengthField) is value[0..n). */
static inline size_t build_tlv(uint8_t *b, uint16_t tlv_type, const uint8_t *value, size_t n)
{
  memset(b, 0, 52 + n);
  b[0] = 0x0D;                   /* transportSpecific 0, management */
  b[1] = 0x12;                   /* minorVersionPTP 1, versionPTP 2 */
  put16(b + 2, (uint16_t)(52 + n));
  b[4] = 24;                     /* domain */
  put16(b + 6, 0x0008);          /* flagField[1]: PTP timescale */
  memcpy(b + 20, ptp4l_clock, 8);
  put16(b + 28, 1);              /* source port */
  put16(b + 30, 0x4242);         /* sequenceId */
  b[32] = 4;                     /* controlField */
  b[33] = 0x7F;
  memcpy(b + 34, our_clock, 8);  /* target: the requester */
  put16(b + 42, 7);
  b[46] = PMC_RESPONSE;
  put16(b + 48, tlv_type);
  put16(b + 50, (uint16_t)n);
  memcpy(b + 52, value, n);
  return 52 + n;
}

static inline size_t build_resp(uint8_t *b, uint16_t id, const uint8_t *data, size_t n)
{
  uint8_t value[PMC_MAX_MSG];
  put16(value, id);
  memcpy(value + 2, data, n);
  return build_tlv(b, 0x0001, value, 2 + n);
}

static inline size_t build_error(uint8_t *b, uint16_t code, uint16_t id, size_t n)
{
  uint8_t value[64] = {0};
  put16(value, code);
  put16(value + 2, id);
  return build_tlv(b, 0x0002, value, n);
}

/* Parses an exact-length heap copy. */
static inline enum pmc_parse_error parse_copy(const uint8_t *b, size_t len, struct pmc_msg *m)
{
  uint8_t *copy = malloc(len ? len : 1);
  enum pmc_parse_error e;
  if (len)
    memcpy(copy, b, len);
  e = pmc_parse(copy, len, m);
  free(copy);
  return e;
}

static inline int expect_error(const char *what, const uint8_t *b, size_t len, enum pmc_parse_error want)
{
  struct pmc_msg m;
  enum pmc_parse_error e = parse_copy(b, len, &m);
  if (e != want) {
    fprintf(stderr, "%s: got '%s', expected '%s'\n", what, pmc_parse_error_str(e),
            pmc_parse_error_str(want));
    return 0;
  }
  return 1;
}

static int group_checks, group_failures;

static inline void group_done(const char *name)
{
  printf("pmc %-24s %3d checks, %d failed\n", name, test_checks - group_checks,
         test_failures - group_failures);
  group_checks = test_checks;
  group_failures = test_failures;
}

/* Sample datasets, shared by the round trip and the seed corpus. */
static inline size_t port_ds_slave(uint8_t *b)
{
  uint8_t d[26] = {0};
  memcpy(d, ptp4l_clock, 8);
  put16(d + 8, 1);
  d[10] = PMC_PS_SLAVE;
  d[11] = 0;                                  /* logMinDelayReqInterval */
  put64(d + 12, (uint64_t)(int64_t)-(3 * 65536 + 1)); /* peerMeanPathDelay */
  d[20] = (uint8_t)-3;                        /* logAnnounceInterval */
  d[21] = 3;
  d[22] = (uint8_t)-4;                        /* logSyncInterval */
  d[23] = 1;                                  /* E2E */
  d[24] = 0;
  d[25] = 2;
  return build_resp(b, PMC_ID_PORT_DATA_SET, d, sizeof(d));
}

static inline size_t time_status(uint8_t *b)
{
  uint8_t d[50] = {0};
  put64(d, (uint64_t)(int64_t)-1234);
  put64(d + 8, 1795305358123456789ULL);
  put32(d + 16, (uint32_t)-5000);
  put32(d + 20, 77);
  put16(d + 24, 3);
  put32(d + 38, 1);
  memcpy(d + 42, gm_clock, 8);
  return build_resp(b, PMC_ID_TIME_STATUS_NP, d, sizeof(d));
}

static inline size_t time_properties(uint8_t *b)
{
  uint8_t d[4] = {0};
  put16(d, 37);
  d[2] = 0x04 | 0x08 | 0x01; /* utcOffsetValid | ptpTimescale | leap61 */
  d[3] = 0x20;               /* GPS */
  return build_resp(b, PMC_ID_TIME_PROPERTIES_DATA_SET, d, sizeof(d));
}

static inline size_t default_ds(uint8_t *b)
{
  uint8_t d[20] = {0};
  d[0] = 0x03; /* twoStep | slaveOnly */
  put16(d + 2, 1);
  d[4] = 128;
  d[5] = 248;
  d[6] = 0xFE;
  put16(d + 7, 0xFFFF);
  d[9] = 127;
  memcpy(d + 10, ptp4l_clock, 8);
  d[18] = 24;
  return build_resp(b, PMC_ID_DEFAULT_DATA_SET, d, sizeof(d));
}

#endif
