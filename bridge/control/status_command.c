/* `refclock-bridge status`: finds the status socket, reads the document the daemon writes,
   and prints it as a table or as JSON. Exit 0 healthy, 1 degraded, 2 no daemon to talk to. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/control/status_command.h"
#include "bridge/control/status_json.h"
#include "bridge/control/status_table.h"
#include "bridge/core/memory.h"
#include "bridge/core/util.h"

#define DEFAULT_CONFIG "/etc/refclock-bridge.conf"
#define TIMEOUT_MS 5000
/* Far more than any document; a peer that sends more is not the daemon. */
#define DOC_MAX (16 * 1024 * 1024)
#define EXIT_HEALTHY 0
#define EXIT_DEGRADED 1
#define EXIT_NO_DAEMON 2

static void usage(FILE *f)
{
  fprintf(f, "Usage: refclock-bridge status [--json] [-c FILE | -s SOCKET]\n"
             "Prints what a running refclock-bridge is doing.\n\n"
             "  -c, --config FILE   read status_socket from FILE\n"
             "  -s, --socket PATH   the daemon's status socket\n"
             "  -j, --json          print the status document (JSON)\n"
             "  -h, --help          print this help\n\n"
             "Exit status: 0 all healthy, 1 something degraded, 2 no daemon to talk to.\n");
}

static int no_daemon(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int no_daemon(const char *fmt, ...)
{
  va_list ap;

  fputs("refclock-bridge status: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return EXIT_NO_DAEMON;
}

/* The socket of -c FILE, else of the default file if it loads, else the default socket. The
   returned path lives as long as *c. */
static const char *socket_from_config(const char *config, struct conf **c)
{
  struct bridge_settings b;
  char err[1024];

  *c = config_load(config ? config : DEFAULT_CONFIG, err, sizeof(err));
  if (!*c) {
    if (config) {
      no_daemon("%s", err);
      return NULL;
    }
    return CONFIG_STATUS_SOCKET;
  }
  config_bridge(*c, &b);
  return b.status_socket;
}

static int remaining_ms(int64_t deadline)
{
  int64_t left = deadline - monotonic_ns();
  return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* Connects without blocking: a daemon whose backlog is full answers EAGAIN; try again until
   the deadline. Returns the fd, or -1 with errno. */
static int connect_by(const char *path, int64_t deadline)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int fd;

  if (strlen(path) >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(addr.sun_path, path, strlen(path) + 1);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  for (;;) {
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
      return fd;
    if (errno != EAGAIN || remaining_ms(deadline) == 0)
      break;
    nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

/* Everything up to EOF, or NULL (errno ETIMEDOUT at the deadline, EFBIG past DOC_MAX). */
static char *read_all(int fd, int64_t deadline, size_t *len)
{
  size_t cap = 65536;
  char *buf = xmalloc(cap);

  *len = 0;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n;
    int r = poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0)
      errno = ETIMEDOUT;
    if (r <= 0)
      break;
    if (*len == cap) {
      if (cap >= DOC_MAX) {
        errno = EFBIG;
        break;
      }
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    n = read(fd, buf + *len, cap - *len);
    if (n == 0 || (n < 0 && errno == ECONNRESET && *len > 0))
      return buf;
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n < 0)
      break;
    *len += (size_t)n;
  }
  free(buf);
  return NULL;
}

static int terminal_width(void)
{
  struct winsize ws;

  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 0;
}

static int show(const char *path, bool as_json)
{
  int64_t deadline = monotonic_ns() + (int64_t)TIMEOUT_MS * 1000000;
  char err[256], *buf, *out;
  size_t len;
  json_t *doc;
  int fd, healthy;

  fd = connect_by(path, deadline);
  if (fd < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED)
      return no_daemon("no daemon at %s: %s", path, strerror(errno));
    return no_daemon("cannot connect to %s: %s", path, strerror(errno));
  }
  buf = read_all(fd, deadline, &len);
  close(fd);
  if (!buf)
    return no_daemon("reading from %s: %s", path,
                     errno == ETIMEDOUT ? "no complete answer within 5 s" : strerror(errno));
  doc = status_doc_parse(buf, len, err, sizeof(err));
  free(buf);
  if (!doc)
    return no_daemon("%s: %s", path, len ? err : "closed without an answer (too many clients?)");
  healthy = json_is_true(json_object_get(doc, "healthy"));
  if (as_json)
    out = json_dumps(doc, JSON_INDENT(2) | STATUS_JSON_REAL);
  else
    out = status_table(doc, terminal_width());
  json_decref(doc);
  if (!out)
    return no_daemon("cannot print the document");
  fputs(out, stdout);
  if (as_json)
    fputc('\n', stdout);
  free(out);
  if (fflush(stdout) != 0)
    return no_daemon("writing the output: %s", strerror(errno));
  return healthy ? EXIT_HEALTHY : EXIT_DEGRADED;
}

int status_command(int argc, char **argv)
{
  static const struct option opts[] = {
    {"json", no_argument, NULL, 'j'},         {"config", required_argument, NULL, 'c'},
    {"socket", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *config = NULL, *sock = NULL;
  struct conf *c = NULL;
  bool as_json = false;
  int opt, r;

  optind = 0; /* a fresh getopt: argv[0] is "status" */
  while ((opt = getopt_long(argc, argv, "jc:s:h", opts, NULL)) != -1) {
    switch (opt) {
    case 'j': as_json = true; break;
    case 'c': config = optarg; break;
    case 's': sock = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return EXIT_NO_DAEMON;
    }
  }
  if (optind < argc || (config && sock)) {
    usage(stderr);
    return EXIT_NO_DAEMON;
  }
  if (!sock) {
    sock = socket_from_config(config, &c);
    if (!sock)
      return EXIT_NO_DAEMON;
  }
  r = show(sock, as_json);
  conf_free(c);
  return r;
}
