/*
 * devca_file: the files of the development hierarchy (ca/devca.c): each
 * created with O_EXCL and its final mode from the first byte, fsync'd, and
 * remembered so that a failed run removes what it made.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ca/devca_int.h"

void
dc_err(struct devca *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err == NULL || d->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
}

/* Appends the OpenSSL reason (if any) to a failed step's message. */
void
dc_ossl_err(struct devca *d, const char *what)
{
	const char *why = ERR_reason_error_string(ERR_peek_last_error());

	dc_err(d, "%s failed%s%s", what, why != NULL ? ": " : "",
	    why != NULL ? why : "");
	ERR_clear_error();
}

int
dc_path(struct devca *d, const char *name, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "%s/%s", d->o->dir, name);
	if (n < 0 || (size_t)n >= len) {
		dc_err(d, "%s/%s: path too long", d->o->dir, name);
		return -1;
	}
	return 0;
}

/*
 * Create name in the directory with mode (O_EXCL: never an existing file)
 * and remember it for cleanup. Returns a stdio stream or NULL with err.
 */
FILE *
dc_create(struct devca *d, const char *name, mode_t mode)
{
	char	 path[PATH_MAX];
	FILE	*fp;
	int	 fd;

	if (dc_path(d, name, path, sizeof(path)) == -1)
		return NULL;
	if (d->ncreated == DEVCA_MAX_FILES)
		abort();	/* devca_files / municipalities outgrew the table */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd == -1) {
		dc_err(d, "%s: %s%s", path, strerror(errno), errno == EEXIST ?
		    " (left from an earlier run? use --force to replace)" : "");
		return NULL;
	}
	if ((d->created[d->ncreated] = strdup(path)) == NULL) {
		close(fd);
		unlink(path);
		dc_err(d, "out of memory");
		return NULL;
	}
	d->ncreated++;
	if ((fp = fdopen(fd, "w")) == NULL) {
		dc_err(d, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

/* Flush, fsync and close; 0 or -1 with err naming the file. */
int
dc_close(struct devca *d, FILE *fp, const char *name)
{
	int bad;

	bad = fflush(fp) != 0 || fsync(fileno(fp)) != 0;
	bad |= fclose(fp) != 0;
	if (bad) {
		dc_err(d, "%s/%s: write failed: %s", d->o->dir, name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Private key as unencrypted PKCS#8 PEM, mode 0600 from creation. */
int
dc_write_key(struct devca *d, const char *name, EVP_PKEY *pkey)
{
	FILE	*fp;
	int	 ok;

	if ((fp = dc_create(d, name, 0600)) == NULL)
		return -1;
	ok = PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	if (dc_close(d, fp, name) == -1)
		return -1;
	if (!ok) {
		dc_ossl_err(d, name);
		return -1;
	}
	return 0;
}

int
dc_write_cert(struct devca *d, const char *name, X509 *x)
{
	FILE	*fp;
	int	 ok;

	if ((fp = dc_create(d, name, 0644)) == NULL)
		return -1;
	ok = PEM_write_X509(fp, x) == 1;
	if (dc_close(d, fp, name) == -1)
		return -1;
	if (!ok) {
		dc_ossl_err(d, name);
		return -1;
	}
	return 0;
}

/*
 * The key spec as written to <ca>.keyspec: a pkcs11 URI loses any
 * pin-value (a PIN is never written anywhere); a PEM path becomes
 * absolute so that the file still means the same from another directory.
 */
static char *
spec_without_pin(const char *spec)
{
	const char	*path = spec;
	char		*out, *q, *p, *next;
	size_t		 n;

	if (strncmp(spec, "pkcs11:", 7) != 0) {
		if (strncmp(path, "file:", 5) == 0)
			path += strncmp(path + 5, "//", 2) == 0 ? 7 : 5;
		if ((out = realpath(path, NULL)) == NULL)
			out = strdup(spec);
		return out;
	}
	if ((out = strdup(spec)) == NULL)
		return NULL;
	if ((q = strchr(out, '?')) == NULL)
		return out;
	p = q + 1;
	while (*p != '\0') {
		next = strchr(p, '&');
		n = next != NULL ? (size_t)(next - p) + 1 : strlen(p);
		if (strncmp(p, "pin-value=", 10) == 0) {
			OPENSSL_cleanse(p, n);
			memmove(p, p + n, strlen(p + n) + 1);
			continue;
		}
		p += n;
	}
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '&' || out[n - 1] == '?'))
		out[--n] = '\0';
	return out;
}

int
dc_write_keyspec(struct devca *d, const char *name, const char *spec)
{
	FILE	*fp;
	char	*clean;
	int	 ok;

	if ((clean = spec_without_pin(spec)) == NULL) {
		dc_err(d, "out of memory");
		return -1;
	}
	/* 0600: it names where the CA key and its PIN file live. */
	if ((fp = dc_create(d, name, 0600)) == NULL) {
		free(clean);
		return -1;
	}
	ok = fprintf(fp, "%s\n", clean) > 0;
	free(clean);
	if (dc_close(d, fp, name) == -1)
		return -1;
	if (!ok) {
		dc_err(d, "%s/%s: write failed", d->o->dir, name);
		return -1;
	}
	return 0;
}
