/* Unit tests: grant-sockets' pure rules — the mode a socket gets, and whether a directory on
   its path lets the bridge's group (or user) search it. */
#include <sys/stat.h>

#include "bridge/control/grant_sockets.h"
#include "test.h"

static struct stat dir(uid_t uid, gid_t gid, mode_t mode)
{
  struct stat st = {0};
  st.st_uid = uid;
  st.st_gid = gid;
  st.st_mode = S_IFDIR | mode;
  return st;
}

static void modes(void)
{
  /* chronyd's socket under umask 022: group read-write added, the rest kept */
  CHECK_EQ_INT(grant_mode(S_IFSOCK | 0755), 0775);
  CHECK_EQ_INT(grant_mode(S_IFSOCK | 0700), 0760);
  CHECK_EQ_INT(grant_mode(S_IFSOCK | 0666), 0666);
  /* never takes away another bit, never adds others' or execute */
  CHECK_EQ_INT(grant_mode(S_IFSOCK | 01600), 01660);
  CHECK_EQ_INT(grant_mode(S_IFSOCK | 0), 0060);
}

static void dirs(void)
{
  struct stat st;
  /* Debian's /run/chrony: 0700 _chrony (uid 100, gid 101); the bridge is uid 200, gid 300 */
  st = dir(100, 101, 0700);
  CHECK(!grant_dir_searchable(&st, 200, 300));
  /* /run: 0755 root */
  st = dir(0, 0, 0755);
  CHECK(grant_dir_searchable(&st, 200, 300));
  /* a setgid directory of the bridge's group, 2750 */
  st = dir(0, 300, 02750);
  CHECK(grant_dir_searchable(&st, 200, 300));
  /* the owner's bits decide for the owner, even when others may search */
  st = dir(200, 0, 0605);
  CHECK(!grant_dir_searchable(&st, 200, 300));
  /* the group's bits decide for the group */
  st = dir(0, 300, 0705);
  CHECK(!grant_dir_searchable(&st, 200, 300));
  /* no such user: only the group and others count */
  st = dir(200, 0, 0700);
  CHECK(!grant_dir_searchable(&st, (uid_t)-1, 300));
}

int main(void)
{
  modes();
  dirs();
  return test_report("grant_sockets");
}
