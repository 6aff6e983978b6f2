/*
 * signer_pkcs11: a CA private key on a PKCS#11 token, through libp11.
 *
 * Spec: an RFC 7512 URI (see pkcs11_uri.c), e.g.
 *   pkcs11:token=jpkid;object=sign-ca;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/jpkid/pin
 * token= and one of object= / id= are required (a CA must not sign with
 * "the first key it finds"); type=, if present, must be private.
 *
 * One libp11 context per module path is shared by every signer of the
 * process and reference counted: C_Finalize (PKCS11_CTX_unload) ends the
 * module for the whole process, so closing one signer must not pull the
 * token from under another. The module's mutex is the signer mutex of all
 * its signers (libp11 0.4 sessions are not for concurrent use).
 *
 * libp11 0.4.12 returns an EVP_PKEY whose RSA has libp11's RSA_METHOD and
 * no private exponent; OpenSSL 3 treats it as a "foreign" legacy key and
 * routes EVP_DigestSign / X509_sign through that method, i.e. C_Sign on the
 * token. open() proves it with a test signature checked against the public
 * key before the signer is handed out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "ca/signer.h"
#include "ca/signer_int.h"

#define PIN_MAX	256

struct p11_login {
	PKCS11_SLOT	*slot;
	unsigned char	 pin_hash[SHA256_DIGEST_LENGTH];
};

struct p11_module {
	struct p11_module	*next;
	char			*path;
	PKCS11_CTX		*ctx;
	PKCS11_SLOT		*slots;
	unsigned int		 nslots;
	/* One entry per slot we logged in to, with the hash of the PIN used. */
	struct p11_login	*logins;
	unsigned int		 nlogins;
	int			 loaded;	/* PKCS11_CTX_load succeeded */
	int			 refs;
	pthread_mutex_t		 lock;
};

struct p11_signer {
	struct p11_module	*mod;
};

static pthread_mutex_t		 p11_modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_module	*p11_modules;

static int
p11_accepts(const char *spec)
{
	return strncmp(spec, "pkcs11:", 7) == 0;
}

/* Last OpenSSL / libp11 error reason (never holds a PIN), then clear. */
static const char *
p11_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return r != NULL ? r : "no detail";
}

static void
module_release(struct p11_module *m)
{
	if (m == NULL)
		return;
	if (m->slots != NULL)
		PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
	if (m->ctx != NULL) {
		if (m->loaded)
			PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
	}
	if (m->logins != NULL) {
		OPENSSL_cleanse(m->logins, m->nlogins * sizeof(*m->logins));
		free(m->logins);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->path);
	free(m);
}

/* Find or load the module at path; takes a reference. NULL with err. */
static struct p11_module *
module_get(const char *path, char *err, size_t errlen)
{
	struct p11_module	*m;

	pthread_mutex_lock(&p11_modules_lock);
	for (m = p11_modules; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0) {
			m->refs++;
			goto out;
		}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		m = NULL;
		signer_err(err, errlen, "pkcs11: out of memory");
		goto out;
	}
	if ((m->path = strdup(path)) == NULL ||
	    (m->ctx = PKCS11_CTX_new()) == NULL) {
		signer_err(err, errlen, "pkcs11: out of memory");
		goto fail;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		signer_err(err, errlen, "pkcs11: cannot load module %s (%s)",
		    path, p11_reason());
		goto fail;
	}
	m->loaded = 1;
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
		m->slots = NULL;
		signer_err(err, errlen, "pkcs11: module %s: cannot list "
		    "slots (%s)", path, p11_reason());
		goto fail;
	}
	m->refs = 1;
	m->next = p11_modules;
	p11_modules = m;
	goto out;
fail:
	module_release(m);
	m = NULL;
out:
	pthread_mutex_unlock(&p11_modules_lock);
	return m;
}

static void
module_put(struct p11_module *m)
{
	struct p11_module **pp;

	if (m == NULL)
		return;
	pthread_mutex_lock(&p11_modules_lock);
	if (--m->refs > 0) {
		pthread_mutex_unlock(&p11_modules_lock);
		return;
	}
	for (pp = &p11_modules; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&p11_modules_lock);
	module_release(m);
}

/* See signer.h. Shared by pin-source=, [ca.*] pin_file and --pin-file. */
int
signer_read_pin(const char *src, char *pin, size_t pinlen, char *err,
    size_t errlen)
{
	const char	*path = src;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rc = -1;

	if (strncmp(path, "file:", 5) == 0) {
		path += 5;
		if (strncmp(path, "//", 2) == 0)
			path += 2;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		signer_err(err, errlen, "PIN file %s: %s", path, strerror(errno));
		return -1;
	}
	while (got < pinlen - 1 &&
	    (n = read(fd, pin + got, pinlen - 1 - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			signer_err(err, errlen, "PIN file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	pin[got] = '\0';
	pin[strcspn(pin, "\r\n")] = '\0';
	if (pin[0] == '\0') {
		signer_err(err, errlen, "PIN file %s is empty", path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Log in to slot with pin unless this process already did. PKCS#11 login
 * state is per token for the whole application, so a second signer on the
 * same token would otherwise be accepted with any PIN: we keep a hash of
 * the PIN that logged in and require the same one. Caller holds m->lock.
 */
static int
p11_login(struct p11_module *m, PKCS11_SLOT *slot, const char *pin,
    char *err, size_t errlen)
{
	unsigned char		 h[SHA256_DIGEST_LENGTH];
	struct p11_login	*l, *nl;
	unsigned int		 i;
	int			 rc = -1;

	if (!slot->token->loginRequired)
		return 0;
	if (pin == NULL || *pin == '\0') {
		signer_err(err, errlen, "pkcs11: token \"%s\" requires a PIN "
		    "(give pin-value, pin-source or --pin-file)",
		    slot->token->label);
		return -1;
	}
	SHA256((const unsigned char *)pin, strlen(pin), h);
	for (i = 0; i < m->nlogins; i++) {
		l = &m->logins[i];
		if (l->slot != slot)
			continue;
		if (CRYPTO_memcmp(l->pin_hash, h, sizeof(h)) != 0) {
			signer_err(err, errlen, "pkcs11: login to token "
			    "\"%s\" failed: wrong PIN", slot->token->label);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (PKCS11_login(slot, 0, pin) != 0) {
		signer_err(err, errlen, "pkcs11: login to token \"%s\" failed "
		    "(%s)", slot->token->label, p11_reason());
		goto out;
	}
	nl = realloc(m->logins, (m->nlogins + 1) * sizeof(*m->logins));
	if (nl == NULL) {
		signer_err(err, errlen, "pkcs11: out of memory");
		goto out;
	}
	m->logins = nl;
	m->logins[m->nlogins].slot = slot;
	memcpy(m->logins[m->nlogins].pin_hash, h, sizeof(h));
	m->nlogins++;
	rc = 0;
out:
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

static void
hex_id(const unsigned char *id, size_t len, char *buf, size_t buflen)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < len && 3 * (i + 1) < buflen; i++)
		snprintf(buf + 3 * i, buflen - 3 * i, "%%%02X", id[i]);
}

/* A test signature over a fixed message, verified with s->pub. */
static int
p11_self_test(struct signer *s)
{
	static const unsigned char	 msg[] = "jpkid signer self-test";
	unsigned char			*sig = NULL;
	size_t				 siglen = 0;
	EVP_MD_CTX			*ctx = NULL;
	int				 ok = 0;

	if (signer_evp_sign(s, EVP_sha256(), msg, sizeof(msg), &sig,
	    &siglen) == -1)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, s->pub) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) == 1;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(sig);
	return ok ? 0 : -1;
}

static int
p11_open(struct signer *s, const char *spec, const char *pin_arg, char *err,
    size_t errlen)
{
	struct pkcs11_uri	 u;
	struct p11_signer	*ps = NULL;
	struct p11_module	*m;
	PKCS11_SLOT		*slot = NULL;
	PKCS11_KEY		*keys = NULL, *key = NULL;
	PKCS11_CERT		*cert;
	EVP_PKEY		*pub = NULL;
	unsigned int		 i, nkeys = 0, nmatch = 0;
	char			 pinbuf[PIN_MAX];
	const char		*pin = NULL;
	char			 idhex[3 * 32 + 1];
	int			 locked = 0, rc = -1;

	pinbuf[0] = '\0';
	if (pkcs11_uri_parse(spec, &u, err, errlen) == -1)
		return -1;
	if (u.type != NULL && strcmp(u.type, "private") != 0) {
		signer_err(err, errlen, "pkcs11: type=%s cannot sign; use "
		    "type=private or leave it out", u.type);
		goto out;
	}
	if (u.object == NULL && u.id == NULL) {
		signer_err(err, errlen, "pkcs11: the URI must name the key "
		    "with object= and/or id=");
		goto out;
	}
	if (u.module_path == NULL) {
		signer_err(err, errlen, "pkcs11: the URI must give "
		    "?module-path=/path/to/module.so");
		goto out;
	}
	if (pin_arg != NULL)
		pin = pin_arg;
	else if (u.pin_value != NULL)
		pin = u.pin_value;
	else if (u.pin_source != NULL) {
		if (signer_read_pin(u.pin_source, pinbuf, sizeof(pinbuf), err,
		    errlen) == -1)
			goto out;
		pin = pinbuf;
	}
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		signer_err(err, errlen, "pkcs11: out of memory");
		goto out;
	}
	s->priv = ps;
	if ((m = module_get(u.module_path, err, errlen)) == NULL)
		goto out;
	ps->mod = m;
	s->lock = &m->lock;
	pthread_mutex_lock(&m->lock);
	locked = 1;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].token != NULL &&
		    m->slots[i].token->initialized &&
		    strcmp(m->slots[i].token->label, u.token) == 0) {
			slot = &m->slots[i];
			break;
		}
	if (slot == NULL) {
		signer_err(err, errlen, "pkcs11: no token labelled \"%s\" in "
		    "module %s", u.token, u.module_path);
		goto out;
	}
	if (p11_login(m, slot, pin, err, errlen) == -1)
		goto out;

	if (u.id != NULL)
		hex_id(u.id, u.idlen, idhex, sizeof(idhex));
	if (PKCS11_enumerate_keys(slot->token, &keys, &nkeys) != 0) {
		signer_err(err, errlen, "pkcs11: cannot list keys on token "
		    "\"%s\" (%s)", u.token, p11_reason());
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		if (u.object != NULL && (keys[i].label == NULL ||
		    strcmp(keys[i].label, u.object) != 0))
			continue;
		if (u.id != NULL && (keys[i].id_len != u.idlen ||
		    memcmp(keys[i].id, u.id, u.idlen) != 0))
			continue;
		key = &keys[i];
		nmatch++;
	}
	if (nmatch != 1) {
		signer_err(err, errlen, "pkcs11: %s private key with "
		    "object=%s id=%s on token \"%s\"",
		    nmatch == 0 ? "no" : "more than one",
		    u.object != NULL ? u.object : "(any)",
		    u.id != NULL ? idhex : "(any)", u.token);
		goto out;
	}
	if ((s->key = PKCS11_get_private_key(key)) == NULL) {
		signer_err(err, errlen, "pkcs11: cannot use private key %s on "
		    "token \"%s\" (%s)", u.object != NULL ? u.object : idhex,
		    u.token, p11_reason());
		goto out;
	}
	/*
	 * Public key: the public attributes of the private key object
	 * (CKA_MODULUS, CKA_PUBLIC_EXPONENT, which libp11 puts into s->key);
	 * else the certificate with the same id; else the token's public key
	 * object. That one is last because in libp11 0.4.12 an EVP_PKEY from
	 * PKCS11_get_public_key() keeps a slot reference alive after it is
	 * freed (valgrind: the slot, its PIN copy and the key object leak).
	 */
	if ((rc = signer_set_public(s, s->key)) == -1 &&
	    (cert = PKCS11_find_certificate(key)) != NULL &&
	    cert->x509 != NULL)
		rc = signer_set_public(s, X509_get0_pubkey(cert->x509));
	if (rc == -1 && (pub = PKCS11_get_public_key(key)) != NULL)
		rc = signer_set_public(s, pub);
	ERR_clear_error();
	if (rc == -1) {
		signer_err(err, errlen, "pkcs11: no public key for %s on token "
		    "\"%s\"", u.object != NULL ? u.object : idhex, u.token);
		goto out;
	}
	rc = -1;
	if (p11_self_test(s) == -1) {
		signer_err(err, errlen, "pkcs11: key %s on token \"%s\" failed "
		    "a test signature (%s)", u.object != NULL ? u.object :
		    idhex, u.token, p11_reason());
		goto out;
	}
	rc = 0;
out:
	if (locked)
		pthread_mutex_unlock(&ps->mod->lock);
	EVP_PKEY_free(pub);
	OPENSSL_cleanse(pinbuf, sizeof(pinbuf));
	pkcs11_uri_free(&u);
	return rc;
}

static void
p11_close(struct signer *s)
{
	struct p11_signer *ps = s->priv;

	/* libp11 key handles die with the slots: free them first. */
	EVP_PKEY_free(s->key);
	s->key = NULL;
	if (ps != NULL) {
		module_put(ps->mod);
		free(ps);
	}
	s->priv = NULL;
	s->lock = &s->own_lock;
}

const struct signer_ops signer_pkcs11_ops = {
	.name = "pkcs11",
	.accepts = p11_accepts,
	.open = p11_open,
	.close = p11_close,
	.sign = signer_evp_sign,
};
