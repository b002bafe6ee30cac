/* `refclock-bridge grant-sockets`: run as root by the time daemon's unit (ExecStartPost=+),
   gives the bridge's group read-write access to the SOCK sockets that daemon bound as root. */
#ifndef RB_GRANT_SOCKETS_H
#define RB_GRANT_SOCKETS_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#define GRANT_DEFAULT_GROUP "_refclock-bridge"
#define GRANT_DEFAULT_WAIT_S 5

/* argv[0] is "grant-sockets". Returns the exit code: 0 every socket found granted, 1 a failed
   chown/chmod or an unknown group, 2 a usage error, 78 a configuration error. */
int grant_sockets_command(int argc, char **argv);

/* The mode a socket gets: group read and write added, every other bit kept. */
mode_t grant_mode(mode_t mode);

/* Whether a directory lets a process of group gid (and, when uid is not (uid_t)-1, of user uid)
   search it, from its owner, group and mode alone (no ACLs). */
bool grant_dir_searchable(const struct stat *dir, uid_t uid, gid_t gid);

#endif
