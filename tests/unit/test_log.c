/* Unit tests: levels filter before formatting; rate-limited call sites emit a burst only. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "test.h"

static int count_lines(const char *path, const char *needle)
{
  FILE *f = fopen(path, "r");
  char line[1200];
  int n = 0;
  while (f && fgets(line, sizeof(line), f))
    if (strstr(line, needle))
      n++;
  if (f)
    fclose(f);
  return n;
}

int main(void)
{
  char path[] = "/tmp/rb-test-log-XXXXXX";
  int fd = mkstemp(path), saved = dup(2);
  struct log_ratelimit rl = {0};

  CHECK_EQ_INT(log_level_from_name("warning"), LOG_WARNING);
  CHECK_EQ_INT(log_level_from_name("DEBUG"), LOG_DEBUG);
  CHECK_EQ_INT(log_level_from_name("loud"), -1);

  dup2(fd, 2);
  log_init(true, LOG_INFO);
  log_info("shown %d", 1);
  log_debug("hidden %d", 2);
  for (int i = 0; i < 20; i++)
    log_rl(&rl, LOG_WARNING, "repeated %d", i);
  CHECK_EQ_INT(rl.suppressed, 20 - LOG_RL_BURST);
  log_rl_restart(&rl, LOG_WARNING); /* reports the count, then lets the next one through */
  log_rl(&rl, LOG_WARNING, "news %d", 1);
  log_set_level(LOG_ERR);
  log_warn("filtered");
  fflush(stderr);
  dup2(saved, 2);

  CHECK_EQ_INT(count_lines(path, "info: shown 1"), 1);
  CHECK_EQ_INT(count_lines(path, "hidden"), 0);
  CHECK_EQ_INT(count_lines(path, "warning: repeated"), LOG_RL_BURST);
  CHECK_EQ_INT(count_lines(path, "similar messages suppressed"), 1);
  CHECK_EQ_INT(count_lines(path, "warning: news 1"), 1);
  CHECK_EQ_INT(count_lines(path, "filtered"), 0);
  unlink(path);
  return test_report("log");
}
