/* `refclock-bridge grant-sockets`: chronyd binds its SOCK sockets as root before dropping
   privileges (mode from its umask, root:root 0755), which the unprivileged bridge cannot write.
   Run as root right after the daemon starts, this gives the bridge's group read-write access
   to every sock output's path. It opens no device and no status socket, and reads no clock. */
#define _GNU_SOURCE /* AT_EMPTY_PATH, O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/control/grant_sockets.h"
#include "bridge/core/conf.h"
#include "bridge/core/memory.h"
#include "bridge/core/util.h"

#define DEFAULT_CONFIG "/etc/refclock-bridge.conf"
#define POLL_NS (50 * 1000000LL)
#define MAX_WAIT_S 3600

struct target {
  const char *output; /* the [output NAME] */
  const char *path;
};

static void usage(FILE *f)
{
  fprintf(f, "Usage: refclock-bridge grant-sockets [-c FILE] [--group NAME] [--wait SECONDS]\n"
             "Gives a group read-write access to the socket of every sock output (run as root\n"
             "by the time daemon's unit, ExecStartPost=+).\n\n"
             "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
             "  -g, --group NAME    the group to grant (default " GRANT_DEFAULT_GROUP ")\n"
             "  -w, --wait SECONDS  how long to wait in all for the sockets to appear (default %d)\n"
             "  -h, --help          print this help\n\n"
             "Exit status: 0 every socket found granted, 1 a change failed, 78 a config error.\n",
          GRANT_DEFAULT_WAIT_S);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
  va_list ap;

  fputs("refclock-bridge grant-sockets: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* ==== pure rules */

mode_t grant_mode(mode_t mode)
{
  return (mode & 07777) | S_IRGRP | S_IWGRP;
}

bool grant_dir_searchable(const struct stat *dir, uid_t uid, gid_t gid)
{
  if (uid != (uid_t)-1 && dir->st_uid == uid)
    return dir->st_mode & S_IXUSR;
  if (dir->st_gid == gid)
    return dir->st_mode & S_IXGRP;
  return dir->st_mode & S_IXOTH;
}

/* ==== waiting */

static bool exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0 || errno != ENOENT;
}

/* One deadline for all: a daemon binds its sockets together, and the unit's start waits on us. */
static void wait_for_paths(const struct target *t, size_t n, int64_t wait_ns)
{
  int64_t deadline = monotonic_ns() + wait_ns;

  for (;;) {
    size_t missing = 0;
    for (size_t i = 0; i < n; i++)
      missing += !exists(t[i].path);
    if (!missing || monotonic_ns() >= deadline)
      return;
    struct timespec ts = {0, POLL_NS};
    nanosleep(&ts, NULL);
  }
}

/* ==== one socket */

static const char *kind_of(mode_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFLNK: return "a symbolic link";
  case S_IFREG: return "a regular file";
  case S_IFDIR: return "a directory";
  case S_IFIFO: return "a FIFO";
  case S_IFCHR: return "a character device";
  case S_IFBLK: return "a block device";
  default: return "not a socket";
  }
}

/* Warns about the first directory on the path that the group may not search: the grant alone
   would not let the bridge in (Debian's /run/chrony is 0700 _chrony). */
static void check_dirs(const struct target *t, const char *group, uid_t uid, gid_t gid)
{
  const char *last = strrchr(t->path, '/');
  char dir[CONF_SOCKET_PATH_MAX + 1];

  for (const char *p = strchr(t->path + 1, '/'); p && p <= last; p = strchr(p + 1, '/')) {
    size_t len = (size_t)(p - t->path);
    struct stat st;
    if (len >= sizeof(dir))
      return;
    memcpy(dir, t->path, len);
    dir[len] = '\0';
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || grant_dir_searchable(&st, uid, gid))
      continue;
    struct group *g = getgrgid(st.st_gid);
    struct passwd *pw = getpwuid(st.st_uid);
    say("output %s: warning: directory %s (%04o %s:%s) does not let group %s search it; "
        "the bridge cannot reach %s (for chronyd use /run/chrony.%s.sock)",
        t->output, dir, (unsigned)(st.st_mode & 07777), pw ? pw->pw_name : "?",
        g ? g->gr_name : "?", group, t->path, t->output);
    return;
  }
}

/* Returns false when a change failed. Pins the inode with O_PATH|O_NOFOLLOW so that what gets
   changed is what was checked, never a symlink's target. */
static bool grant_one(const struct target *t, const char *group, gid_t gid)
{
  char proc[64];
  struct stat st;
  mode_t mode;
  bool ok = true;
  int fd;

  /* With O_PATH, O_NOFOLLOW opens a symlink itself: it is then "not a socket" below. */
  fd = open(t->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    say("output %s: warning: %s does not exist; not granted (is the time daemon using it?)",
        t->output, t->path);
    return true;
  }
  if (fd < 0 || fstat(fd, &st) < 0) {
    say("output %s: cannot examine %s: %s", t->output, t->path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return false;
  }
  if (!S_ISSOCK(st.st_mode)) {
    say("output %s: warning: %s is %s, not a socket; left alone", t->output, t->path,
        kind_of(st.st_mode));
    close(fd);
    return true;
  }
  mode = grant_mode(st.st_mode);
  if (st.st_gid != gid && fchownat(fd, "", (uid_t)-1, gid, AT_EMPTY_PATH) < 0) {
    say("output %s: cannot change the group of %s to %s: %s", t->output, t->path, group,
        strerror(errno));
    ok = false;
  }
  /* An O_PATH descriptor cannot be fchmod()ed; its /proc link reaches the same inode. */
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  if (ok && mode != (st.st_mode & 07777) && chmod(proc, mode) < 0) {
    say("output %s: cannot change the mode of %s to %04o: %s", t->output, t->path,
        (unsigned)mode, strerror(errno));
    ok = false;
  }
  if (ok)
    say("output %s: %s: group %s, mode %04o -> %04o", t->output, t->path, group,
        (unsigned)(st.st_mode & 07777), (unsigned)mode);
  close(fd);
  return ok;
}

/* ==== the command */

/* The sock outputs of c; their strings live as long as c. */
static size_t collect(const struct conf *c, struct target **out)
{
  size_t n = 0;

  *out = xnew_array(struct target, conf_count(c) + 1);
  for (size_t i = 0; i < conf_count(c); i++) {
    const struct conf_section *s = conf_at(c, i);
    const char *type = conf_type(s);
    if (strcmp(conf_kind_name(s), "output") != 0 || !type || strcmp(type, "sock") != 0)
      continue;
    (*out)[n].output = conf_name(s);
    (*out)[n].path = conf_str(s, "path");
    n++;
  }
  return n;
}

static bool parse_wait(const char *arg, int64_t *ns)
{
  char *end;
  double s;

  errno = 0;
  s = strtod(arg, &end);
  if (errno || end == arg || *end || !(s >= 0 && s <= MAX_WAIT_S))
    return false;
  *ns = (int64_t)(s * NS_PER_SEC);
  return true;
}

int grant_sockets_command(int argc, char **argv)
{
  static const struct option opts[] = {
    {"config", required_argument, NULL, 'c'}, {"group", required_argument, NULL, 'g'},
    {"wait", required_argument, NULL, 'w'},   {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *config = DEFAULT_CONFIG, *group = GRANT_DEFAULT_GROUP;
  int64_t wait_ns = GRANT_DEFAULT_WAIT_S * NS_PER_SEC;
  struct target *targets;
  struct passwd *pw;
  struct group *g;
  struct conf *c;
  char err[1024];
  uid_t uid;
  gid_t gid;
  size_t n;
  int opt, r = 0;

  optind = 0; /* a fresh getopt: argv[0] is "grant-sockets" */
  while ((opt = getopt_long(argc, argv, "c:g:w:h", opts, NULL)) != -1) {
    switch (opt) {
    case 'c': config = optarg; break;
    case 'g': group = optarg; break;
    case 'w':
      if (!parse_wait(optarg, &wait_ns)) {
        say("--wait: '%s' is not a number of seconds from 0 to %d", optarg, MAX_WAIT_S);
        return 2;
      }
      break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  c = config_load(config, err, sizeof(err));
  if (!c) {
    fprintf(stderr, "refclock-bridge: %s\n", err);
    return EXIT_CONFIG;
  }
  g = getgrnam(group);
  if (!g) {
    say("unknown group '%s'", group);
    conf_free(c);
    return 1;
  }
  gid = g->gr_gid;
  /* The bridge's user usually shares the group's name; a directory it owns is fine too. */
  pw = getpwnam(group);
  uid = pw ? pw->pw_uid : (uid_t)-1;

  n = collect(c, &targets);
  if (n == 0)
    say("%s has no sock output; nothing to do", config);
  wait_for_paths(targets, n, wait_ns);
  for (size_t i = 0; i < n; i++) {
    if (!grant_one(&targets[i], group, gid))
      r = 1;
    check_dirs(&targets[i], group, uid, gid);
  }
  free(targets);
  conf_free(c);
  return r;
}
