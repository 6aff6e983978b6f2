/*
 * sd: systemd integration: readiness/stopping/watchdog notifications and
 * socket activation. Every function is a no-op outside systemd.
 */
#ifndef JPKI_SD_H
#define JPKI_SD_H

#include <stdint.h>

void	sd_ready(const char *status);
void	sd_reloading(void);
void	sd_stopping(void);
void	sd_status(const char *status);
void	sd_watchdog_ping(void);
/* Watchdog interval in microseconds, or 0 when not enabled. */
uint64_t sd_watchdog_usec(void);
/*
 * Listening sockets passed by systemd, matched by FileDescriptorName= "api",
 * "status" and "console" (unnamed sockets: api, status, console in that
 * order). Sets -1 when absent. Returns the number of sockets received, or
 * -1 on error.
 */
int	sd_sockets(int *api_fd, int *status_fd, int *console_fd);

#endif
