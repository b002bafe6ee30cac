/* libgps, loaded on first use: its C++ and D-Bus dependencies cost about 1 MiB of memory, which
   a bridge without a gpsd source should not pay. */
#ifndef RB_GPS_DL_H
#define RB_GPS_DL_H

#include <stddef.h>

#include <gps.h>

/* Only the unpacker: the bridge talks to gpsd itself, so that nothing blocks the loop. */
struct gps_api {
  int (*unpack)(char *line, struct gps_data_t *gps);
};

/* The loaded API, or NULL with the reason in err. Loads once. */
const struct gps_api *gps_api_get(char *err, size_t err_len);

#endif
