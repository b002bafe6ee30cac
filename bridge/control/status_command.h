/* `refclock-bridge status`: asks a running daemon for its status document and prints it as a
   table or as JSON. */
#ifndef RB_STATUS_COMMAND_H
#define RB_STATUS_COMMAND_H

/* argv[0] is "status". Returns the exit code: 0 all healthy, 1 degraded, 2 no daemon to talk
   to (or a usage error). */
int status_command(int argc, char **argv);

#endif
