/*
 * vcard_file: the card file of tools/vcard (see tools/vcard.c for its
 * layout): JSON encoding and strict parsing, and the atomic write.
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "tools/vcard_int.h"

void
vcard_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static json_t *
b64_json(const unsigned char *der, size_t len)
{
	json_t	*v;
	char	*s;

	if (der == NULL)
		return json_null();
	if ((s = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, der, (int)len);
	v = json_string(s);
	free(s);
	return v;
}

/* Decode standard base64 (with padding); malloc'd, or NULL. */
static unsigned char *
b64_dec(const char *s, size_t *len)
{
	unsigned char	*out;
	size_t		 n = strlen(s);
	int		 r;

	if (n == 0 || n % 4 != 0 || n > INT_MAX)
		return NULL;
	if ((out = malloc(n / 4 * 3 + 1)) == NULL)
		return NULL;
	if ((r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n)) < 0) {
		free(out);
		return NULL;
	}
	if (s[n - 1] == '=')
		r--;
	if (s[n - 2] == '=')
		r--;
	*len = (size_t)r;
	return out;
}

static json_t *
pem_json(EVP_PKEY *k)
{
	BIO	*b;
	BUF_MEM	*m;
	json_t	*v = NULL;

	if (k == NULL)
		return json_null();
	if ((b = BIO_new(BIO_s_secmem())) == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1 &&
	    BIO_get_mem_ptr(b, &m) == 1)
		v = json_stringn(m->data, m->length);
	BIO_free(b);
	return v;
}

static EVP_PKEY *
pem_load(const char *s)
{
	BIO		*b;
	EVP_PKEY	*k;

	if ((b = BIO_new_mem_buf(s, -1)) == NULL)
		return NULL;
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k != NULL && (!EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_get_bits(k) != 2048)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

static json_t *
pin_json(const struct vpin *p)
{
	if (!p->set)
		return json_null();
	return json_pack("{s:o, s:i, s:o}", "salt", b64_json(p->salt, PIN_SALT),
	    "iter", p->iter, "hash", b64_json(p->hash, PIN_HASH));
}

static int
pin_load(json_t *v, struct vpin *p)
{
	unsigned char	*salt = NULL, *hash = NULL;
	size_t		 sl = 0, hl = 0;
	const char	*s, *h;
	int		 iter = 0, rc = -1;

	memset(p, 0, sizeof(*p));
	if (json_is_null(v))
		return 0;
	if (json_unpack(v, "{s:s, s:i, s:s !}", "salt", &s, "iter", &iter, "hash", &h) != 0)
		return -1;
	if (iter < 1000 || (salt = b64_dec(s, &sl)) == NULL || sl != PIN_SALT ||
	    (hash = b64_dec(h, &hl)) == NULL || hl != PIN_HASH)
		goto out;
	memcpy(p->salt, salt, PIN_SALT);
	memcpy(p->hash, hash, PIN_HASH);
	p->iter = iter;
	p->set = 1;
	rc = 0;
out:
	free(salt);
	free(hash);
	return rc;
}

static json_t *
key_json(const struct vkey *k)
{
	json_t *pend = json_null();

	if (k->pend != NULL)
		pend = json_pack("{s:o, s:o}", "key", pem_json(k->pend), "pin",
		    pin_json(&k->pend_pin));
	return json_pack("{s:o, s:o, s:i, s:o, s:o, s:o}", "key", pem_json(k->key),
	    "pin", pin_json(&k->pin), "tries", k->tries, "cert", b64_json(k->cert, k->certlen),
	    "ca", b64_json(k->ca, k->calen), "pending", pend);
}

/* A DER certificate from base64 (strict: one whole certificate). */
static int
der_load(json_t *v, unsigned char **der, size_t *len)
{
	const unsigned char	*p;
	X509			*x;

	*der = NULL;
	*len = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || (*der = b64_dec(json_string_value(v), len)) == NULL)
		return -1;
	p = *der;
	if ((x = d2i_X509(NULL, &p, (long)*len)) == NULL || (size_t)(p - *der) != *len) {
		X509_free(x);
		free(*der);
		*der = NULL;
		return -1;
	}
	X509_free(x);
	return 0;
}

static int
key_load(json_t *v, struct vkey *k, enum vcard_key which)
{
	json_t	*key, *pin, *cert, *ca, *pend, *pkey = NULL, *ppin = NULL;
	int	 tries;

	if (json_unpack(v, "{s:o, s:o, s:i, s:o, s:o, s:o !}", "key", &key, "pin", &pin,
	    "tries", &tries, "cert", &cert, "ca", &ca, "pending", &pend) != 0)
		return -1;
	if (tries < 0 || tries > vcard_max_tries(which))
		return -1;
	k->tries = tries;
	if (!json_is_null(key) && (!json_is_string(key) ||
	    (k->key = pem_load(json_string_value(key))) == NULL))
		return -1;
	if (pin_load(pin, &k->pin) != 0 || (k->key == NULL) != (!k->pin.set))
		return -1;
	if (der_load(cert, &k->cert, &k->certlen) != 0 || der_load(ca, &k->ca, &k->calen) != 0)
		return -1;
	if (json_is_null(pend))
		return 0;
	if (json_unpack(pend, "{s:o, s:o !}", "key", &pkey, "pin", &ppin) != 0 ||
	    !json_is_string(pkey) || (k->pend = pem_load(json_string_value(pkey))) == NULL ||
	    pin_load(ppin, &k->pend_pin) != 0 || !k->pend_pin.set)
		return -1;
	return 0;
}

static json_t *
card_json(const struct vcard *c)
{
	json_t		*anchors = json_array(), *used = json_array();
	unsigned char	*der;
	size_t		 i;
	int		 len;

	for (i = 0; i < c->nanchors; i++) {
		der = NULL;
		if ((len = i2d_X509(c->anchors[i], &der)) <= 0) {
			json_decref(anchors);
			json_decref(used);
			return NULL;
		}
		json_array_append_new(anchors, b64_json(der, (size_t)len));
		OPENSSL_free(der);
	}
	for (i = 0; i < c->nused; i++)
		json_array_append_new(used, json_string(c->used[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "format", VCARD_FORMAT,
	    "card_number", c->card_number, "anchors", anchors, "used_authorizations", used,
	    "sign", key_json(&c->k[VCARD_SIGN]), "auth", key_json(&c->k[VCARD_AUTH]));
}

/*
 * Write the card atomically: a temporary file beside path, fsync, then
 * rename over path (or, with excl, link to path, failing if it exists),
 * then fsync of the directory. In a build configured with
 * --enable-test-clock (tests only), JPKI_VCARD_CRASH_BEFORE_RENAME=1 makes
 * the process _exit(3) after the temporary file is synced; a normal build
 * has no such switch.
 */
static int
write_atomic(const char *path, const char *data, size_t len, int excl, char *err,
    size_t errlen)
{
	char		*tmp, *dir, *slash;
	size_t		 n = strlen(path) + 16, off = 0;
	ssize_t		 w;
	int		 fd, dfd, rc = VCARD_E_IO;

	if ((tmp = malloc(n)) == NULL || (dir = strdup(path)) == NULL) {
		free(tmp);
		vcard_seterr(err, errlen, "out of memory");
		return VCARD_E_IO;
	}
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = mkstemp(tmp)) == -1) {
		vcard_seterr(err, errlen, "cannot create a file beside %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		goto fail_fd;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail_fd;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail_fd;
#ifdef JPKID_TEST_CLOCK
	{
		const char *crash = getenv("JPKI_VCARD_CRASH_BEFORE_RENAME");

		if (crash != NULL && strcmp(crash, "1") == 0)
			_exit(3);
	}
#endif
	if (close(fd) != 0) {
		fd = -1;
		goto fail_fd;
	}
	fd = -1;
	if (excl) {
		if (link(tmp, path) != 0) {
			vcard_seterr(err, errlen, errno == EEXIST ? "%s already exists" :
			    "cannot write %s", path);
			rc = errno == EEXIST ? VCARD_E_EXISTS : VCARD_E_IO;
			unlink(tmp);
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0)
		goto fail_fd;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		if (fsync(dfd) != 0) {
			close(dfd);
			vcard_seterr(err, errlen, "cannot sync the directory of %s", path);
			goto out;
		}
		close(dfd);
	}
	rc = VCARD_OK;
	goto out;
fail_fd:
	vcard_seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

static int
card_save_excl(struct vcard *c, int excl, char *err, size_t errlen)
{
	json_t	*j;
	char	*s;
	int	 rc;

	if ((j = card_json(c)) == NULL) {
		vcard_seterr(err, errlen, "cannot encode the card");
		return VCARD_E_CRYPTO;
	}
	s = json_dumps(j, JSON_INDENT(1));
	json_decref(j);
	if (s == NULL) {
		vcard_seterr(err, errlen, "cannot encode the card");
		return VCARD_E_IO;
	}
	rc = write_atomic(c->path, s, strlen(s), excl, err, errlen);
	OPENSSL_cleanse(s, strlen(s));		/* private keys */
	free(s);
	return rc;
}

int
vcard_file_save(struct vcard *c)
{
	return card_save_excl(c, 0, c->err, sizeof(c->err));
}

static void
key_clear(struct vkey *k)
{
	EVP_PKEY_free(k->key);
	EVP_PKEY_free(k->pend);
	free(k->cert);
	free(k->ca);
	OPENSSL_cleanse(k, sizeof(*k));
}

void
vcard_close(struct vcard *c)
{
	size_t i;

	if (c == NULL)
		return;
	key_clear(&c->k[VCARD_SIGN]);
	key_clear(&c->k[VCARD_AUTH]);
	for (i = 0; i < c->nanchors; i++)
		X509_free(c->anchors[i]);
	free(c->used);
	free(c->path);
	free(c);
}

static int
valid_card_number(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 16)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

static int
card_load(struct vcard *c, json_t *j)
{
	json_t		*anchors, *used, *sign, *auth, *v;
	const char	*fmt, *num;
	size_t		 i, len;
	unsigned char	*der;
	const unsigned char *p;

	if (json_unpack(j, "{s:s, s:s, s:o, s:o, s:o, s:o !}", "format", &fmt,
	    "card_number", &num, "anchors", &anchors, "used_authorizations", &used,
	    "sign", &sign, "auth", &auth) != 0 || strcmp(fmt, VCARD_FORMAT) != 0 ||
	    !valid_card_number(num) || !json_is_array(anchors) || !json_is_array(used) ||
	    json_array_size(anchors) > MAX_ANCHORS)
		return -1;
	snprintf(c->card_number, sizeof(c->card_number), "%s", num);
	json_array_foreach(anchors, i, v) {
		if (der_load(v, &der, &len) != 0 || der == NULL)
			return -1;
		p = der;
		c->anchors[c->nanchors] = d2i_X509(NULL, &p, (long)len);
		free(der);
		if (c->anchors[c->nanchors++] == NULL)
			return -1;
	}
	if (json_array_size(used) > 0 &&
	    (c->used = calloc(json_array_size(used), sizeof(*c->used))) == NULL)
		return -1;
	json_array_foreach(used, i, v) {
		if (!json_is_string(v) || json_string_length(v) != 36)
			return -1;
		memcpy(c->used[c->nused++], json_string_value(v), 37);
	}
	if (key_load(sign, &c->k[VCARD_SIGN], VCARD_SIGN) != 0 ||
	    key_load(auth, &c->k[VCARD_AUTH], VCARD_AUTH) != 0)
		return -1;
	return 0;
}

int
vcard_open(const char *path, struct vcard **out, char *err, size_t errlen)
{
	struct vcard	*c;
	json_error_t	 je;
	json_t		*j;
	char		*data;
	size_t		 len;
	int		 rc = VCARD_E_FORMAT;

	*out = NULL;
	if ((data = util_read_file(path, &len)) == NULL) {
		vcard_seterr(err, errlen, "cannot read the card file %s: %s", path,
		    strerror(errno));
		return VCARD_E_IO;
	}
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	OPENSSL_cleanse(data, len);
	free(data);
	if (j == NULL) {
		vcard_seterr(err, errlen, "%s is not a card file (line %d: %s)", path, je.line,
		    je.text);
		return VCARD_E_FORMAT;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		json_decref(j);
		vcard_seterr(err, errlen, "out of memory");
		return VCARD_E_IO;
	}
	if (card_load(c, j) != 0) {
		vcard_seterr(err, errlen, "%s is not a " VCARD_FORMAT " card file or is corrupt",
		    path);
		vcard_close(c);
	} else {
		*out = c;
		rc = VCARD_OK;
	}
	json_decref(j);
	return rc;
}

int
vcard_create(const char *path, const char *card_number, const char *anchors_pem,
    struct vcard **out, char *err, size_t errlen)
{
	struct vcard	*c;
	FILE		*fp;
	X509		*x;
	int		 rc;

	*out = NULL;
	if (card_number == NULL || !valid_card_number(card_number)) {
		vcard_seterr(err, errlen,
		    "the card number must be 1 to 16 characters of 0-9 and A-Z");
		return VCARD_E_FORMAT;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		vcard_seterr(err, errlen, "out of memory");
		return VCARD_E_IO;
	}
	snprintf(c->card_number, sizeof(c->card_number), "%s", card_number);
	if (anchors_pem != NULL) {
		if ((fp = fopen(anchors_pem, "r")) == NULL) {
			vcard_seterr(err, errlen, "cannot read %s: %s", anchors_pem,
			    strerror(errno));
			vcard_close(c);
			return VCARD_E_IO;
		}
		while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
			if (c->nanchors == MAX_ANCHORS) {
				X509_free(x);
				break;
			}
			c->anchors[c->nanchors++] = x;
		}
		fclose(fp);
		if (c->nanchors == 0) {
			vcard_seterr(err, errlen, "%s holds no PEM certificate", anchors_pem);
			vcard_close(c);
			return VCARD_E_FORMAT;
		}
	}
	if ((rc = card_save_excl(c, 1, err, errlen)) != VCARD_OK) {
		vcard_close(c);
		return rc;
	}
	*out = c;
	return VCARD_OK;
}

const char *
vcard_last_error(const struct vcard *c)
{
	return c == NULL ? "no card" : c->err;
}

const char *
vcard_card_number(const struct vcard *c)
{
	return c->card_number;
}
