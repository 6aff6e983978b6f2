#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/sd.h"

void
sd_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status,
	    (unsigned long)getpid());
}

void
sd_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading configuration and keys");
}

void
sd_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=draining requests");
}

void
sd_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void
sd_watchdog_ping(void)
{
	sd_notify(0, "WATCHDOG=1");
}

uint64_t
sd_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

int
sd_sockets(int *api_fd, int *status_fd, int *console_fd)
{
	char **names = NULL;
	int n, i, unnamed = 0;

	*api_fd = *status_fd = *console_fd = -1;
	n = sd_listen_fds_with_names(1, &names);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names != NULL ? names[i] : "unknown";

		if (strcmp(name, "api") == 0)
			*api_fd = fd;
		else if (strcmp(name, "status") == 0)
			*status_fd = fd;
		else if (strcmp(name, "console") == 0)
			*console_fd = fd;
		else if (unnamed++ == 0 && *api_fd < 0)
			*api_fd = fd;
		else if (*status_fd < 0)
			*status_fd = fd;
		else if (*console_fd < 0)
			*console_fd = fd;
	}
	if (names != NULL) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return n;
}
