/*
 * devca_int: what ca/devca.c (the hierarchy) and ca/devca_file.c (writing
 * its files) share. Not for use outside ca/devca*.c.
 */
#ifndef JPKI_DEVCA_INT_H
#define JPKI_DEVCA_INT_H

#include <sys/types.h>

#include <stdio.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/devca.h"

#define DEVCA_MAX_FILES		42

struct devca {
	const struct devca_opts	*o;
	time_t			 now;
	int			 bits;
	int			 days;
	char			*created[DEVCA_MAX_FILES];
	size_t			 ncreated;
	int			 created_dir;
	FILE			*manifest;
	const char		*munis[2];
	char			*err;
	size_t			 errlen;
};

/* The message of a failed step into d->err. */
void	dc_err(struct devca *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the OpenSSL reason (if any) to a failed step's message. */
void	dc_ossl_err(struct devca *d, const char *what);
/* dir/name into buf; -1 with err when too long. */
int	dc_path(struct devca *d, const char *name, char *buf, size_t len);
/*
 * Create name in the directory with mode (O_EXCL: never an existing file)
 * and remember it for cleanup. Returns a stdio stream or NULL with err.
 */
FILE	*dc_create(struct devca *d, const char *name, mode_t mode);
/* Flush, fsync and close; 0 or -1 with err naming the file. */
int	dc_close(struct devca *d, FILE *fp, const char *name);
/* Private key as unencrypted PKCS#8 PEM, mode 0600 from creation. */
int	dc_write_key(struct devca *d, const char *name, EVP_PKEY *pkey);
int	dc_write_cert(struct devca *d, const char *name, X509 *x);
/* <ca>.keyspec: the key spec without any PIN (0600). */
int	dc_write_keyspec(struct devca *d, const char *name, const char *spec);

#endif
