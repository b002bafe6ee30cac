/* Unit tests: gpsd lines checked and rebuilt for libgps (gpsd_report.c), from the shapes gpsd
   3.22, 3.25 and 3.27 send, and the lines that made libgps 3.22's gps_unpack() spin; then
   every rebuilt line through the installed libgps, under an alarm. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bridge/sources/gps_dl.h"
#include "bridge/sources/gpsd_report.h"
#include "test.h"

static struct gpsd_report r;

static const char *parse(const char *line, const char *device)
{
  return gpsd_report_parse(line, strlen(line), device, &r);
}

#define CHECK_REBUILT(in, dev, cls_, out)                                                          \
  do {                                                                                             \
    CHECK(parse(in, dev) == NULL);                                                                 \
    CHECK_EQ_INT(r.cls, cls_);                                                                     \
    CHECK(strcmp(r.line, out) == 0 || (fprintf(stderr, "  got %s\n", r.line), 0));               \
  } while (0)

#define CHECK_MALFORMED(in)                                                                        \
  do {                                                                                             \
    CHECK(parse(in, NULL) != NULL);                                                                \
    CHECK_EQ_INT(r.cls, GPSD_SKIP);                                                                \
    CHECK(r.line[0] == '\0');                                                                      \
  } while (0)

static void test_shapes(void)
{
  /* gpsd 3.22 */
  CHECK_REBUILT("{\"class\":\"TPV\",\"device\":\"/dev/ttyS0\",\"status\":2,\"mode\":3,"
                "\"time\":\"2026-11-22T00:00:00.000Z\",\"leapseconds\":18,\"ept\":0.005,"
                "\"lat\":52.1,\"lon\":4.3,\"altHAE\":12.5}",
                NULL, GPSD_TPV, "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22T00:00:00.000Z\"}");
  CHECK_REBUILT("{\"class\":\"TPV\",\"device\":\"/dev/ttyS0\",\"mode\":1}", NULL, GPSD_TPV,
                "{\"class\":\"TPV\",\"mode\":1}");
  CHECK_REBUILT("{\"class\":\"TOFF\",\"device\":\"/dev/ttyS0\",\"real_sec\":1795305600,"
                "\"real_nsec\":0,\"clock_sec\":1795305600,\"clock_nsec\":412345678,\"precision\":-1}",
                NULL, GPSD_TOFF,
                "{\"class\":\"TOFF\",\"real_sec\":1795305600,\"real_nsec\":0,\"clock_sec\":1795305600,"
                "\"clock_nsec\":412345678}");
  CHECK_REBUILT("{\"class\":\"PPS\",\"device\":\"/dev/pps0\",\"real_sec\":1795305601,\"real_nsec\":0,"
                "\"clock_sec\":1795305600,\"clock_nsec\":999876544,\"precision\":-20}",
                NULL, GPSD_PPS,
                "{\"class\":\"PPS\",\"real_sec\":1795305601,\"real_nsec\":0,\"clock_sec\":1795305600,"
                "\"clock_nsec\":999876544}");
  CHECK_REBUILT("{\"class\":\"SKY\",\"device\":\"/dev/ttyS0\",\"hdop\":0.9,\"satellites\":["
                "{\"PRN\":5,\"el\":40,\"az\":120,\"ss\":40,\"used\":true},"
                "{\"PRN\":7,\"el\":10,\"az\":20,\"ss\":20,\"used\":false},{\"PRN\":9}]}",
                NULL, GPSD_SKY,
                "{\"class\":\"SKY\",\"nSat\":3,\"satellites\":[{\"used\":true},{\"used\":false},"
                "{\"used\":false}]}");
  CHECK_EQ_INT(r.used_without_list, -1);
  /* gpsd 3.25 / 3.27: proto_major 16, TOFF with precision and shm, DOP-only SKY */
  CHECK(parse("{\"class\":\"VERSION\",\"release\":\"3.27.5\",\"rev\":\"3.27.5\",\"proto_major\":16,"
              "\"proto_minor\":0}", NULL) == NULL);
  CHECK_EQ_INT(r.cls, GPSD_VERSION);
  CHECK(strcmp(r.text, "3.27.5") == 0 && r.line[0] == '\0');
  CHECK_REBUILT("{\"class\":\"TOFF\",\"device\":\"/dev/ttyS0\",\"real_sec\":1795305600,"
                "\"real_nsec\":0,\"clock_sec\":1795305600,\"clock_nsec\":412345678,"
                "\"precision\":-1,\"shm\":\"NTP2\"}",
                "/dev/ttyS0", GPSD_TOFF,
                "{\"class\":\"TOFF\",\"real_sec\":1795305600,\"real_nsec\":0,\"clock_sec\":1795305600,"
                "\"clock_nsec\":412345678}");
  CHECK_REBUILT("{\"class\":\"SKY\",\"device\":\"/dev/ttyS0\",\"time\":\"2026-11-22T00:00:01.000Z\","
                "\"hdop\":0.86,\"pdop\":1.53,\"vdop\":1.26,\"uSat\":9}",
                NULL, GPSD_SKY, "");
  CHECK_EQ_INT(r.used_without_list, 9);
  CHECK_REBUILT("{\"class\":\"SKY\",\"hdop\":0.86}", NULL, GPSD_SKY, "");
  CHECK_EQ_INT(r.used_without_list, -1);
  CHECK_REBUILT("{\"class\":\"SKY\",\"nSat\":0,\"uSat\":0,\"satellites\":[]}", NULL, GPSD_SKY,
                "{\"class\":\"SKY\",\"nSat\":0,\"satellites\":[]}");
  CHECK_REBUILT("{\"class\":\"TPV\",\"mode\":2,\"time\":\"2026-11-22T00:00:00.123456789Z\"}", NULL,
                GPSD_TPV, "{\"class\":\"TPV\",\"mode\":2,\"time\":\"2026-11-22T00:00:00.123456789Z\"}");
  CHECK_REBUILT("{\"class\":\"TPV\",\"mode\":3,\"time\":\"2016-12-31T23:59:60Z\"}", NULL, GPSD_TPV,
                "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2016-12-31T23:59:60Z\"}");
  CHECK(parse("{\"class\":\"ERROR\",\"message\":\"No such device as /dev/x\\n\"}", NULL) == NULL);
  CHECK_EQ_INT(r.cls, GPSD_ERROR);
  CHECK(strcmp(r.text, "No such device as /dev/x?") == 0);
  /* Classes not used, and other devices' reports, are skipped. */
  CHECK_REBUILT("{\"class\":\"DEVICES\",\"devices\":[]}", NULL, GPSD_SKIP, "");
  CHECK_REBUILT("{\"class\":\"TPVX\",\"mode\":3}", NULL, GPSD_SKIP, "");
  CHECK_REBUILT("{\"class\":\"TPV\",\"device\":\"/dev/ttyS1\",\"mode\":3}", "/dev/ttyS0", GPSD_SKIP,
                "");
  /* jansson refuses \u0000, so a device name cannot end early for the comparison. */
  CHECK(parse("{\"class\":\"TPV\",\"device\":\"/dev/ttyS0\\u0000x\",\"mode\":3}", "/dev/ttyS0"));
}

static void test_malformed(void)
{
  static const char *const bad[] = {
    "not json", "[1,2,3]", "{\"mode\":3}", "{\"class\":3}",
    "{\"class\":\"TPV\",\"mode\":3,\"mode\":2}", /* a key twice */
    "{\"class\":\"TPV\"}", "{\"class\":\"TPV\",\"mode\":\"3\"}", "{\"class\":\"TPV\",\"mode\":4}",
    "{\"class\":\"TPV\",\"mode\":3.0}", "{\"class\":\"TPV\",\"mode\":3,\"device\":7}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":1795305600}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22 00:00:00Z\"}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-13-22T00:00:00Z\"}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22T24:00:00Z\"}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22T00:00:00.Z\"}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22T00:00:00.1234567890Z\"}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22T00:00:00.000\"}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"1969-11-22T00:00:00Z\"}",
    "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22T00:00:00.0\\\"Z\"}",
    "{\"class\":\"SKY\",\"satellites\":{}}", "{\"class\":\"SKY\",\"satellites\":[1]}",
    "{\"class\":\"SKY\",\"satellites\":[{\"used\":1}]}", "{\"class\":\"SKY\",\"uSat\":-1}",
    "{\"class\":\"SKY\",\"uSat\":\"9\"}",
    "{\"class\":\"TOFF\",\"real_sec\":\"x\"}",
    "{\"class\":\"TOFF\",\"real_sec\":1795305600,\"real_nsec\":0,\"clock_sec\":1795305600}",
    ("{\"class\":\"PPS\",\"real_sec\":1795305600,\"real_nsec\":1000000000,\"clock_sec\":1,"
     "\"clock_nsec\":0}"),
    "{\"class\":\"PPS\",\"real_sec\":1600000000,\"real_nsec\":0,\"clock_sec\":1,\"clock_nsec\":0}",
    "{\"class\":\"PPS\",\"real_sec\":4294967296,\"real_nsec\":0,\"clock_sec\":1,\"clock_nsec\":0}",
    "{\"class\":\"PPS\",\"real_sec\":1795305600,\"real_nsec\":0,\"clock_sec\":0,\"clock_nsec\":0}",
    "{\"class\":\"PPS\",\"real_sec\":1795305600,\"real_nsec\":0.5,\"clock_sec\":1,\"clock_nsec\":0}",
  };
  char sky[8192];
  size_t at, i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK(parse(bad[i], NULL) != NULL || (fprintf(stderr, "  accepted %s\n", bad[i]), 0));
    CHECK_EQ_INT(r.cls, GPSD_SKIP);
    CHECK(r.line[0] == '\0');
  }
  /* A failure after the line was begun leaves nothing half-built. */
  CHECK_MALFORMED("{\"class\":\"SKY\",\"satellites\":[{\"used\":true},{\"used\":\"x\"}]}");
  /* 140 satellites fit, 141 do not. */
  at = (size_t)snprintf(sky, sizeof(sky), "{\"class\":\"SKY\",\"satellites\":[");
  for (i = 0; i < GPSD_MAX_SATELLITES; i++)
    at += (size_t)snprintf(sky + at, sizeof(sky) - at, "%s{\"PRN\":%zu,\"used\":false}",
                           i ? "," : "", i + 1);
  snprintf(sky + at, sizeof(sky) - at, "]}");
  CHECK(parse(sky, NULL) == NULL);
  CHECK(strlen(r.line) < sizeof(r.line) && strstr(r.line, "\"nSat\":140,"));
  snprintf(sky + at, sizeof(sky) - at, ",{}]}");
  CHECK_MALFORMED(sky);
}

/* The lines that made gps_unpack() spin (tests/fuzz/regressions/gpsd/): each is refused, or
   rebuilt into a line with "class": at offset 1 only. */
static const char *const spinners[] = {
  "{\"mode\":\"3\",\"class\":\"TPV\"}",
  ("{\"device\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"class\":\"TPV\",\"mode\":3}"),
  "{\"class\":\"SKY\",\"satellites\":[{\"class\":\"TPV\",\"used\":\"yes\"}]}",
  "{\"class\":\"SKY\",\"satellites\":[{\"class\":\"TPV\",\"used\":true}]}",
  "{\"mode\":3,\"x\":{\"class\":\"PPS\"},\"class\":\"TPV\"}",
};

static void test_spinners(void)
{
  for (size_t i = 0; i < sizeof(spinners) / sizeof(spinners[0]); i++) {
    (void)parse(spinners[i], NULL);
    CHECK(r.line[0] == '\0' ||
          (strncmp(r.line, "{\"class\":", 9) == 0 && !strstr(r.line + 2, "\"class\":")));
  }
  CHECK_REBUILT(spinners[1], NULL, GPSD_TPV, "{\"class\":\"TPV\",\"mode\":3}");
  CHECK_REBUILT(spinners[3], NULL, GPSD_SKY,
                "{\"class\":\"SKY\",\"nSat\":1,\"satellites\":[{\"used\":true}]}");
}

static void spun(int sig)
{
  (void)sig;
  static const char msg[] = "libgps did not return within 5 s\n";
  (void)!write(2, msg, sizeof(msg) - 1);
  _exit(1);
}

/* What the installed libgps makes of rebuilt lines: the fields the source reads. */
static void test_libgps(void)
{
  static struct gps_data_t gps;
  const struct gps_api *api;
  char err[256];

  api = gps_api_get(err, sizeof(err));
  if (!api) {
    printf("libgps round trips skipped: %s\n", err);
    return;
  }
  signal(SIGALRM, spun);
  alarm(5);
  CHECK(parse("{\"class\":\"TPV\",\"mode\":3,\"time\":\"2026-11-22T00:00:01.250Z\",\"ept\":0.005}",
              NULL) == NULL);
  memset(&gps, 0, sizeof(gps));
  api->unpack(r.line, &gps);
  CHECK((gps.set & MODE_SET) && (gps.set & TIME_SET));
  CHECK_EQ_INT(gps.fix.mode, MODE_3D);
  CHECK_EQ_INT(gps.fix.time.tv_sec, 1795305601);
  CHECK(gps.fix.time.tv_nsec > 249999000 && gps.fix.time.tv_nsec <= 250000000);

  CHECK(parse("{\"class\":\"TPV\",\"mode\":1}", NULL) == NULL);
  memset(&gps, 0, sizeof(gps));
  api->unpack(r.line, &gps);
  CHECK((gps.set & MODE_SET) && !(gps.set & TIME_SET));
  CHECK_EQ_INT(gps.fix.mode, MODE_NO_FIX);

  CHECK(parse("{\"class\":\"SKY\",\"satellites\":[{\"PRN\":1,\"used\":true},{\"used\":false},"
              "{\"used\":true},{}]}",
              NULL) == NULL);
  memset(&gps, 0, sizeof(gps));
  api->unpack(r.line, &gps);
  CHECK(gps.set & SATELLITE_SET);
  CHECK_EQ_INT(gps.satellites_used, 2);

  CHECK(parse("{\"class\":\"PPS\",\"real_sec\":1795305601,\"real_nsec\":0,\"clock_sec\":1795305600,"
              "\"clock_nsec\":999876544,\"precision\":-20,\"qErr\":12}",
              NULL) == NULL);
  memset(&gps, 0, sizeof(gps));
  api->unpack(r.line, &gps);
  CHECK(gps.set & PPS_SET);
  CHECK_EQ_INT(gps.pps.real.tv_sec, 1795305601);
  CHECK_EQ_INT(gps.pps.clock.tv_sec, 1795305600);
  CHECK_EQ_INT(gps.pps.clock.tv_nsec, 999876544);

  CHECK(parse("{\"class\":\"TOFF\",\"real_sec\":2147483647,\"real_nsec\":999999999,"
              "\"clock_sec\":2147483647,\"clock_nsec\":999999999,\"shm\":\"NTP0\"}",
              NULL) == NULL);
  memset(&gps, 0, sizeof(gps));
  api->unpack(r.line, &gps);
  CHECK(gps.set & TOFF_SET);
#if GPSD_API_MAJOR_VERSION <= 11
  CHECK_EQ_INT(gps.pps.real.tv_sec, 2147483647);
  CHECK_EQ_INT(gps.pps.clock.tv_nsec, 999999999);
#else
  CHECK_EQ_INT(gps.toff.real.tv_sec + gps.pps.real.tv_sec, 2147483647);
  CHECK_EQ_INT(gps.toff.clock.tv_nsec + gps.pps.clock.tv_nsec, 999999999);
#endif

  /* The spinners, rebuilt, return (the alarm ends the test if not). */
  for (size_t i = 0; i < sizeof(spinners) / sizeof(spinners[0]); i++)
    if (!parse(spinners[i], NULL) && r.line[0]) {
      memset(&gps, 0, sizeof(gps));
      api->unpack(r.line, &gps);
    }
  alarm(0);
}

int main(void)
{
  test_shapes();
  test_malformed();
  test_spinners();
  test_libgps();
  return test_report("gpsd_report");
}
