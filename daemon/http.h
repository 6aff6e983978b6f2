/*
 * http: the libmicrohttpd listeners. The API listener speaks HTTPS and
 * verifies the client certificate on every request (libmicrohttpd only
 * requests one); the status listener is plain HTTP (OCSP and CRLs are
 * signed objects; health and metrics are not secret); the optional console
 * listener speaks HTTPS with the same certificate and settings but asks for
 * no client certificate: operators log in there (api/operators/session.c).
 */
#ifndef JPKI_HTTP_H
#define JPKI_HTTP_H

#include <stddef.h>

#include "api/api.h"
#include "daemon/config.h"

struct http_server;

/*
 * Open a listening TCP socket on "host:port" ("[v6]:port"; empty host:
 * all addresses). Returns the fd or -1 with err.
 */
int	http_listen_socket(const char *addr, char *err, size_t errlen);
/* Local port of a listening socket, or -1. */
int	http_socket_port(int fd);

/*
 * Start the listeners on the given listening sockets (which the server
 * then owns): API and status always, console when console_fd >= 0.
 * Returns NULL with err on failure (bad TLS files, ...).
 */
struct http_server *http_start(struct app *, const struct config *, int api_fd,
	    int status_fd, int console_fd, char *err, size_t errlen);
/* Stop accepting new connections; requests in flight go on. */
void	http_quiesce(struct http_server *);
/* Connections still open on all listeners. */
unsigned int http_connections(struct http_server *);
/* Stop and free (accepts NULL). */
void	http_stop(struct http_server *);

#endif
