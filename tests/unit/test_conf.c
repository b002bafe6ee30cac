/* Unit tests: strict configuration loading with the real driver tables. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/core/conf.h"
#include "bridge/core/output.h"
#include "bridge/core/source.h"
#include "test.h"

static const char *const levels[] = {"error", "info", NULL};
static const struct conf_key bridge_keys[] = {
  {.name = "log_level", .type = CONF_ENUM, .def = "info", .choices = levels},
  {0},
};
static const struct conf_kind kinds[] = {
  {.name = "bridge", .keys = bridge_keys},
  {.name = "source", .named = true, .keys = source_common_keys, .drivers = source_drivers},
  {.name = "output", .named = true, .drivers = output_drivers},
};

static char path[] = "/tmp/rb-test-conf-XXXXXX";

static struct conf *load_text(const char *text, char *err, size_t len)
{
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return conf_load(path, kinds, 3, err, len);
}

/* The error names the file, and contains the expected fragment. */
static int expect_error(const char *text, const char *fragment)
{
  char err[1024];
  struct conf *c = load_text(text, err, sizeof(err));
  if (c) {
    conf_free(c);
    fprintf(stderr, "accepted, expected error '%s'\n", fragment);
    return 0;
  }
  if (!strstr(err, fragment) || strncmp(err, path, strlen(path)) != 0) {
    fprintf(stderr, "error '%s' lacks '%s'\n", err, fragment);
    return 0;
  }
  return 1;
}

#define GOOD_OUT "[output o]\ntype = sock\npath = /run/x.sock\n"

int main(void)
{
  char err[1024];
  struct conf *c;
  const struct conf_section *s;
  const char *const *names;
  int fd = mkstemp(path);

  close(fd);

  c = load_text("[bridge]\nlog_level = error\n"
                "[Source PHC0]\ntype = phc\ndevice = /dev/ptp0\noutputs = O, Shm2\n"
                "interval = 0.0625\n" GOOD_OUT "[output shm2]\ntype = shm\nunit = 2\nmode = 0640\n",
                err, sizeof(err));
  CHECK(c != NULL);
  if (!c) {
    fprintf(stderr, "%s\n", err);
    return test_report("conf");
  }
  s = conf_find(c, "source", "phc0");
  CHECK(s != NULL);
  CHECK(strcmp(conf_type(s), "phc") == 0);
  CHECK(strcmp(conf_str(s, "device"), "/dev/ptp0") == 0);
  CHECK(conf_double(s, "interval") == 0.0625);
  CHECK_EQ_INT(conf_int(s, "readings"), 10); /* default */
  CHECK_EQ_INT(conf_int(s, "tai_offset"), 37);
  CHECK(!conf_is_set(s, "interface"));
  CHECK_EQ_INT(conf_refs(s, "outputs", &names), 2);
  CHECK(strcmp(names[1], "shm2") == 0);
  s = conf_find(c, "output", "shm2");
  CHECK_EQ_INT(conf_int(s, "mode"), 0640);
  CHECK_EQ_INT(conf_enum(conf_find(c, "bridge", ""), "log_level"), 0);
  conf_free(c);

  /* Each class of error: one message naming file, section and key. */
  CHECK(expect_error("[sauce x]\n", "[sauce x]: unknown section"));
  CHECK(expect_error("[source]\ntype = phc\n", "[source]: needs a name"));
  CHECK(expect_error("[bridge x]\n", "takes no name"));
  CHECK(expect_error("[source a]\ndevice = /dev/ptp0\n", "[source a] type: missing required key"));
  CHECK(expect_error("[source a]\ntype = gps\n", "[source a] type: unknown type 'gps'"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o\nbogus = 1\n" GOOD_OUT,
                     "[source a] bogus: unknown key for type 'phc'"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o\nreadings = x\n" GOOD_OUT,
                     "[source a] readings: 'x' is not an integer"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o\nreadings = 26\n" GOOD_OUT,
                     "[source a] readings: 26 is out of range (1 to 25)"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o\ninterval = 32\n" GOOD_OUT,
                     "[source a] interval: 32 is out of range"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o\ninterval = 1s\n" GOOD_OUT,
                     "[source a] interval: '1s' is not a number"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o\nmethod = fast\n" GOOD_OUT,
                     "[source a] method: 'fast' is not one of: auto, precise, extended, basic"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = nowhere\n" GOOD_OUT,
                     "[source a] outputs: no section [output nowhere] is defined"));
  CHECK(expect_error("[source a]\ntype = phc\noutputs = o\n" GOOD_OUT,
                     "[source a] device: set exactly one of 'device' and 'interface'"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = ptp0\noutputs = o\n" GOOD_OUT,
                     "[source a] device: 'ptp0' is not an absolute path"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\n" GOOD_OUT,
                     "[source a] outputs: missing required key"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o\n"
                     "[source b]\ntype = phc\ndevice = /dev/ptp1\noutputs = o\n" GOOD_OUT,
                     "[source b] outputs: [output o] is already fed by [source a]"));
  CHECK(expect_error("[source a]\ntype = phc\ndevice = /dev/ptp0\noutputs = o, o\n" GOOD_OUT,
                     "[source a] outputs: 'o' is listed twice"));
  CHECK(expect_error("[output s]\ntype = shm\nunit = 1\nmode = 0644\n",
                     "[output s] mode: units 0 and 1 are always created with mode 0600"));
  CHECK(expect_error("[output s]\ntype = shm\nunit = 2\nmode = 0999\n",
                     "[output s] mode: '0999' is not an octal mode"));
  CHECK(expect_error("[output s]\ntype = shm\n", "[output s] unit: missing required key"));
  CHECK(expect_error("[output s]\ntype = sock\npath = /run/"
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
                     "[output s] path: longer than"));
  CHECK(expect_error("log_level = info\n[bridge]\n", "key 'log_level' is outside any section"));
  CHECK(expect_error("[bridge]\nthis line is not ini\n", "syntax error"));

  CHECK(!conf_load("/nonexistent/x.conf", kinds, 3, err, sizeof(err)));
  CHECK(strstr(err, "/nonexistent/x.conf: cannot open: No such file or directory") != NULL);

  unlink(path);
  return test_report("conf");
}
