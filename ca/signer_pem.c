/*
 * signer_pem: a CA private key in a PEM file (development and tests).
 *
 * Spec: "/path/key.pem", "relative/key.pem" or "file:/path/key.pem".
 * The file must be a regular file not readable or writable by group or
 * others (mode & 077 == 0): this is a CA key, and a key that others could
 * have read must be treated as compromised, not used.
 * An encrypted PEM is decrypted with the PIN given to signer_open(), if any.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ca/signer_int.h"

static int
pem_accepts(const char *spec)
{
	return strncmp(spec, "pkcs11:", 7) != 0;
}

/*
 * Passphrase callback: hands out the PIN if there is one, never prompts
 * on a terminal (the daemon has none).
 */
static int
pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char	*pin = u;
	size_t		 n;

	(void)rwflag;
	if (pin == NULL || size <= 0)
		return -1;
	n = strlen(pin);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pin, n);
	return (int)n;
}

static int
pem_open(struct signer *s, const char *spec, const char *pin, char *err,
    size_t errlen)
{
	const char	*path = spec;
	struct stat	 st;
	BIO		*bio = NULL;
	FILE		*fp = NULL;
	int		 fd = -1, rc = -1;

	if (strncmp(path, "file:", 5) == 0) {
		path += 5;
		/* file:///abs/path is the URI form of /abs/path. */
		if (strncmp(path, "//", 2) == 0)
			path += 2;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		signer_err(err, errlen, "%s: cannot open CA key: %s", path,
		    strerror(errno));
		goto out;
	}
	/* Check the file we opened, not the name (no race with a rename). */
	if (fstat(fd, &st) == -1) {
		signer_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		signer_err(err, errlen, "%s: CA key is not a regular file",
		    path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		signer_err(err, errlen, "%s: CA key file has mode %04o: it "
		    "must not be accessible by group or others (chmod 600 it, "
		    "and consider the key compromised if others could read "
		    "it)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		signer_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if ((bio = BIO_new_fp(fp, BIO_NOCLOSE)) == NULL) {
		signer_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	s->key = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, (void *)pin);
	if (s->key == NULL) {
		const char *why = ERR_reason_error_string(ERR_peek_last_error());

		signer_err(err, errlen, "%s: not a readable PEM private key "
		    "(%s)", path, why != NULL ? why : "no key found");
		ERR_clear_error();
		goto out;
	}
	if (signer_set_public(s, s->key) == -1) {
		signer_err(err, errlen, "%s: cannot derive the public key",
		    path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	if (fp != NULL)
		fclose(fp);
	if (fd != -1)
		close(fd);
	return rc;
}

static void
pem_close(struct signer *s)
{
	(void)s;	/* s->key and s->pub are freed by signer_free(). */
}

const struct signer_ops signer_pem_ops = {
	.name = "pem",
	.accepts = pem_accepts,
	.open = pem_open,
	.close = pem_close,
	.sign = signer_evp_sign,
};
