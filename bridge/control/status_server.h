/* The status socket: a Unix stream socket that writes the status document (JSON) to every
   client that connects, then closes. Clients never stall the loop. */
#ifndef RB_STATUS_SERVER_H
#define RB_STATUS_SERVER_H

/* At most this many clients are served at once; more are accepted and closed at once. */
#define STATUS_MAX_CLIENTS 16
/* A client that has not taken the whole document after this long is dropped. */
#define STATUS_WRITE_DEADLINE_NS (2 * 1000000000LL)

/* Serves at path, mode 0660, owned by group when not NULL. A later call with another path or
   group replaces the socket; the same ones keep it. Failures are logged and retried. A NULL
   or empty path serves nothing. */
void status_server_apply(const char *path, const char *group);
void status_server_fini(void);

#endif
