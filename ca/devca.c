/*
 * devca: the development hierarchy of `jpkictl init` (see devca.h for the
 * file list). Every certificate is built from structures (no config
 * strings, docs/foundation.md "C") and signed through signer_sign_x509(), so the same
 * code path signs with a PEM key or a PKCS#11 token.
 *
 * Keys are created with open(O_CREAT | O_EXCL, 0600): the mode is right
 * from the first byte, and an existing file is never silently replaced.
 * On failure the files this run created are removed again.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/devca_int.h"
#include "ca/pinreset.h"
#include "ca/x509ext.h"
#include "ca/signer.h"

#define DEVCA_DEFAULT_BITS	2048
#define DEVCA_DEFAULT_DAYS	3650
#define DEVCA_OCSP_DAYS		365	/* responder certificates: one year */
#define DEVCA_LEAF_DAYS		825	/* TLS server and client certificates */
#define DEVCA_BACKDATE		3600	/* notBefore one hour back: clock skew */

/* Every file devca may write; unlinked up front when opts->force. */
static const char *const devca_files[] = {
	"sign-ca.key", "sign-ca.crt", "sign-ca.keyspec",
	"auth-ca.key", "auth-ca.crt", "auth-ca.keyspec",
	"sign-ocsp.key", "sign-ocsp.crt", "auth-ocsp.key", "auth-ocsp.crt",
	"client-ca.key", "client-ca.crt", "server.key", "server.crt",
	"feed.key", "feed.crt", "rp.key", "rp.crt",
	"operator.key", "operator.crt", "manifest.txt",
	"pinreset.key", "pinreset.crt", "kiosk.key", "kiosk.crt", "kiosk-auth.key", "kiosk-auth.crt",
	"audit.key", "audit.crt",
	NULL
};

/* R22: RSA, e = 65537 (the OpenSSL default). */
static EVP_PKEY *
dc_genkey(struct devca *d, int bits)
{
	EVP_PKEY *k;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)) == NULL)
		dc_ossl_err(d, "RSA key generation");
	return k;
}

/*
 * Generate a key, write it to name (0600) and open it through the signer,
 * so that every signature, even with a fresh development key, takes the
 * signer path. Returns the signer or NULL.
 */
static struct signer *
dc_new_key(struct devca *d, const char *name, int bits)
{
	struct signer	*s = NULL;
	EVP_PKEY	*k;
	char		 path[PATH_MAX];

	if (dc_path(d, name, path, sizeof(path)) == -1)
		return NULL;
	if ((k = dc_genkey(d, bits)) == NULL)
		return NULL;
	if (dc_write_key(d, name, k) == 0)
		(void)signer_open(path, NULL, &s, d->err, d->errlen);
	EVP_PKEY_free(k);
	return s;
}

/* docs/foundation.md: 16 bytes from the CSPRNG, top bit cleared (positive). */
static int
dc_serial(struct devca *d, X509 *x)
{
	unsigned char	 buf[16];
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;
	int		 rc = -1;

	if (RAND_bytes(buf, sizeof(buf)) != 1)
		goto out;
	buf[0] &= 0x7f;
	if ((bn = BN_bin2bn(buf, sizeof(buf), NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, ai) != 1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		dc_ossl_err(d, "serial number");
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

/* R22: validity as UTCTime (so it must end before 2050). */
static int
dc_validity(struct devca *d, X509 *x, int days)
{
	ASN1_UTCTIME	*nb = NULL, *na = NULL;
	int		 rc = -1;

	nb = ASN1_UTCTIME_adj(NULL, d->now, 0, -DEVCA_BACKDATE);
	na = ASN1_UTCTIME_adj(NULL, d->now, days, 0);
	if (nb == NULL || na == NULL) {
		dc_err(d, "validity of %d days does not fit a UTCTime (R22: "
		    "must end before 2050)", days);
		goto out;
	}
	if (X509_set1_notBefore(x, nb) != 1 || X509_set1_notAfter(x, na) != 1) {
		dc_ossl_err(d, "validity");
		goto out;
	}
	rc = 0;
out:
	ASN1_UTCTIME_free(nb);
	ASN1_UTCTIME_free(na);
	return rc;
}

/* C=JP, O=o[, OU=ou][, CN=cn]: C PrintableString, others UTF8String. */
static X509_NAME *
name_dev(const char *o, const char *ou, const char *cn)
{
	X509_NAME *n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (x509_name_add(n, NID_countryName, V_ASN1_PRINTABLESTRING, "JP") == -1 ||
	    x509_name_add(n, NID_organizationName, V_ASN1_UTF8STRING, o) == -1 ||
	    (ou != NULL && x509_name_add(n, NID_organizationalUnitName,
	    V_ASN1_UTF8STRING, ou) == -1) ||
	    (cn != NULL && x509_name_add(n, NID_commonName, V_ASN1_UTF8STRING,
	    cn) == -1)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* TLS server SAN: DNS:localhost, IP:127.0.0.1, IP:::1. */
static int
ext_san_localhost(X509 *x)
{
	GENERAL_NAMES	*gns;
	unsigned char	 v4[4], v6[16];
	int		 rc = -1;

	if ((gns = GENERAL_NAMES_new()) == NULL)
		return -1;
	if (inet_pton(AF_INET, "127.0.0.1", v4) != 1 ||
	    inet_pton(AF_INET6, "::1", v6) != 1)
		goto out;
	if (x509_gn_push(gns, GEN_DNS, (const unsigned char *)"localhost", 9) == -1 ||
	    x509_gn_push(gns, GEN_IPADD, v4, sizeof(v4)) == -1 ||
	    x509_gn_push(gns, GEN_IPADD, v6, sizeof(v6)) == -1)
		goto out;
	rc = x509_ext_add(x, NID_subject_alt_name, 0, gns);
out:
	GENERAL_NAMES_free(gns);
	return rc;
}

/*
 * A v3 certificate skeleton: serial, names, validity, public key. issuer
 * NULL means self-issued.
 */
static X509 *
dc_skeleton(struct devca *d, X509_NAME *subject, X509 *issuer, EVP_PKEY *pub,
    int days)
{
	X509	*x;

	if ((x = X509_new()) == NULL) {
		dc_err(d, "out of memory");
		return NULL;
	}
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : subject) != 1 ||
	    X509_set_pubkey(x, pub) != 1) {
		dc_ossl_err(d, "certificate fields");
		goto fail;
	}
	if (dc_serial(d, x) == -1 || dc_validity(d, x, days) == -1)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* Sign x with s, write it as name. */
static int
dc_sign_write(struct devca *d, struct signer *s, X509 *x, const char *name)
{
	if (signer_sign_x509(s, x) == -1) {
		dc_ossl_err(d, name);
		return -1;
	}
	return dc_write_cert(d, name, x);
}

/*
 * A self-signed CA (basicConstraints critical CA:TRUE, keyUsage critical
 * keyCertSign + cRLSign, SKI) named subject, signed by s. Returns the
 * certificate or NULL.
 */
static X509 *
dc_ca(struct devca *d, struct signer *s, X509_NAME *subject, const char *crt)
{
	X509 *x;

	if (subject == NULL) {
		dc_err(d, "out of memory");
		return NULL;
	}
	x = dc_skeleton(d, subject, NULL, signer_public_key(s), d->days);
	X509_NAME_free(subject);
	if (x == NULL)
		return NULL;
	if (x509_ext_basic_constraints(x, 1) == -1 ||
	    x509_ext_key_usage(x, KUBIT_KEY_CERT_SIGN, KUBIT_CRL_SIGN, -1) == -1 ||
	    x509_ext_ski(x) == -1) {
		dc_ossl_err(d, "CA extensions");
		goto fail;
	}
	if (dc_sign_write(d, s, x, crt) == -1)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

enum leaf_kind { LEAF_OCSP, LEAF_SERVER, LEAF_CLIENT, LEAF_PINRESET, LEAF_AUDIT };

/* R16a: the PIN reset authority's EKU (ca/pinreset.h), not critical. */
static int
ext_eku_pinreset(X509 *x)
{
	EXTENDED_KEY_USAGE	*eku;
	ASN1_OBJECT		*obj;
	int			 rc = -1;

	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return -1;
	if ((obj = OBJ_txt2obj(PINRESET_EKU_OID, 1)) == NULL)
		goto out;
	if (sk_ASN1_OBJECT_push(eku, obj) <= 0) {
		ASN1_OBJECT_free(obj);
		goto out;
	}
	rc = x509_ext_add(x, NID_ext_key_usage, 0, eku);
out:
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

/*
 * An end-entity certificate for a new RSA-2048 key written to key, issued
 * by ca (signed with cas), written to crt. Returns the certificate (for
 * the manifest) or NULL.
 */
static X509 *
dc_leaf(struct devca *d, enum leaf_kind kind, struct signer *cas, X509 *ca,
    X509_NAME *subject, const char *key, const char *crt)
{
	struct signer	*ks = NULL;
	X509		*x = NULL;
	int		 days, ok;

	if (subject == NULL) {
		dc_err(d, "out of memory");
		return NULL;
	}
	days = kind == LEAF_OCSP || kind == LEAF_PINRESET ? DEVCA_OCSP_DAYS : DEVCA_LEAF_DAYS;
	if (days > d->days)
		days = d->days;		/* never outlive the issuer */
	/* R22: RSA-2048 for end entities. */
	if ((ks = dc_new_key(d, key, 2048)) == NULL)
		goto fail;
	if ((x = dc_skeleton(d, subject, ca, signer_public_key(ks), days)) == NULL)
		goto fail;
	ok = x509_ext_basic_constraints(x, 0) == 0 &&
	    x509_ext_ski(x) == 0 && x509_ext_aki(x, ca) == 0;
	switch (kind) {
	case LEAF_OCSP:
		ok = ok && x509_ext_key_usage(x, KUBIT_DIGITAL_SIGNATURE, -1) == 0 &&
		    x509_ext_eku(x, NID_OCSP_sign) == 0 && x509_ext_ocsp_nocheck(x) == 0;
		break;
	case LEAF_PINRESET:
		ok = ok && x509_ext_key_usage(x, KUBIT_DIGITAL_SIGNATURE, -1) == 0 &&
		    ext_eku_pinreset(x) == 0;
		break;
	case LEAF_AUDIT:
		/* Audit checkpoints (api/operators/audit_seal.c): signatures only, no EKU. */
		ok = ok && x509_ext_key_usage(x, KUBIT_DIGITAL_SIGNATURE, -1) == 0;
		break;
	case LEAF_SERVER:
		ok = ok && x509_ext_key_usage(x, KUBIT_DIGITAL_SIGNATURE,
		    KUBIT_KEY_ENCIPHERMENT, -1) == 0 &&
		    x509_ext_eku(x, NID_server_auth) == 0 &&
		    ext_san_localhost(x) == 0;
		break;
	case LEAF_CLIENT:
		ok = ok && x509_ext_key_usage(x, KUBIT_DIGITAL_SIGNATURE,
		    KUBIT_KEY_ENCIPHERMENT, -1) == 0 &&
		    x509_ext_eku(x, NID_client_auth) == 0;
		break;
	}
	if (!ok) {
		dc_ossl_err(d, "certificate extensions");
		goto fail;
	}
	if (dc_sign_write(d, cas, x, crt) == -1)
		goto fail;
	X509_NAME_free(subject);
	signer_free(ks);
	return x;
fail:
	X509_NAME_free(subject);
	signer_free(ks);
	X509_free(x);
	return NULL;
}

/* One manifest line: kind file municipality sha256(DER) in hex. */
static int
dc_manifest(struct devca *d, const char *kind, const char *crt,
    const char *muni, X509 *x)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len, i;
	char		hex[2 * EVP_MAX_MD_SIZE + 1];

	if (x == NULL)
		return -1;
	if (X509_digest(x, EVP_sha256(), md, &len) != 1) {
		dc_ossl_err(d, "certificate digest");
		return -1;
	}
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (fprintf(d->manifest, "%s %s %s %s\n", kind, crt,
	    muni != NULL ? muni : "-", hex) < 0) {
		dc_err(d, "%s/manifest.txt: write failed", d->o->dir);
		return -1;
	}
	return 0;
}

/*
 * An issuing CA (R22/R23): with an existing key (spec) the key stays where
 * it is and <ca>.keyspec records the spec (without any PIN); else a fresh
 * key goes to <ca>.key. Returns the CA certificate and its signer.
 */
static X509 *
dc_issuing_ca(struct devca *d, const char *ca, const char *ou,
    const char *spec, struct signer **sp)
{
	struct signer	*s = NULL;
	X509		*x;
	char		 key[32], crt[32], keyspec[32];

	snprintf(key, sizeof(key), "%s.key", ca);
	snprintf(crt, sizeof(crt), "%s.crt", ca);
	snprintf(keyspec, sizeof(keyspec), "%s.keyspec", ca);
	*sp = NULL;
	if (spec != NULL) {
		if (signer_open(spec, d->o->pin, &s, d->err, d->errlen) == -1)
			return NULL;
		if (dc_write_keyspec(d, keyspec, spec) == -1) {
			signer_free(s);
			return NULL;
		}
	} else if ((s = dc_new_key(d, key, d->bits)) == NULL)
		return NULL;
	if ((x = dc_ca(d, s, x509_name_r23(ou, NULL), crt)) == NULL) {
		signer_free(s);
		return NULL;
	}
	*sp = s;
	return x;
}

static int
valid_municipality(const char *code)
{
	size_t i;

	for (i = 0; code[i] != '\0'; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return i == 6;
}

static int
dc_prepare_dir(struct devca *d)
{
	const char	*dir = d->o->dir;
	struct stat	 st;
	char		 path[PATH_MAX], name[64];
	size_t		 i;

	if (mkdir(dir, 0700) == 0)
		d->created_dir = 1;
	else if (errno != EEXIST) {
		dc_err(d, "%s: cannot create directory: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		dc_err(d, "%s: not a directory", dir);
		return -1;
	}
	if (dc_path(d, "sign-ca.crt", path, sizeof(path)) == -1)
		return -1;
	if (!d->o->force && access(path, F_OK) == 0) {
		dc_err(d, "%s already exists: refusing to overwrite a CA "
		    "(use --force to replace the whole hierarchy)", path);
		return -1;
	}
	if (!d->o->force)
		return 0;
	for (i = 0; devca_files[i] != NULL; i++) {
		if (dc_path(d, devca_files[i], path, sizeof(path)) == -1)
			return -1;
		if (unlink(path) == -1 && errno != ENOENT) {
			dc_err(d, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "terminal-%s.%s", d->munis[i / 2],
		    i % 2 ? "crt" : "key");
		if (dc_path(d, name, path, sizeof(path)) == -1)
			return -1;
		if (unlink(path) == -1 && errno != ENOENT) {
			dc_err(d, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
devca_init(const struct devca_opts *o, char *err, size_t errlen)
{
	struct devca	 d;
	struct signer	*sign_s = NULL, *auth_s = NULL, *client_s = NULL;
	X509		*sign_ca = NULL, *auth_ca = NULL, *client_ca = NULL;
	X509		*x;
	const char	**munis = d.munis;
	char		 key[64], crt[64], cn[64];
	size_t		 i;
	int		 rc = -1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.err = err;
	d.errlen = errlen;
	d.now = o->now != 0 ? o->now : time(NULL);
	d.bits = o->bits != 0 ? o->bits : DEVCA_DEFAULT_BITS;
	d.days = o->days != 0 ? o->days : DEVCA_DEFAULT_DAYS;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	if (o->dir == NULL || *o->dir == '\0') {
		dc_err(&d, "no directory given");
		goto out;
	}
	if (d.bits != 2048 && d.bits != 3072 && d.bits != 4096) {
		dc_err(&d, "RSA size %d: use 2048, 3072 or 4096 (R22)", d.bits);
		goto out;
	}
	if (d.days < 1) {
		dc_err(&d, "validity of %d days: must be at least 1", d.days);
		goto out;
	}
	for (i = 0; i < 2; i++) {
		munis[i] = o->municipalities[i] != NULL ? o->municipalities[i] :
		    (i == 0 ? "131016" : "141003");
		if (!valid_municipality(munis[i])) {
			dc_err(&d, "municipality code \"%s\": must be 6 digits",
			    munis[i]);
			goto out;
		}
	}
	if (strcmp(munis[0], munis[1]) == 0) {
		dc_err(&d, "the two sample municipalities must differ (%s)",
		    munis[0]);
		goto out;
	}
	if (dc_prepare_dir(&d) == -1)
		goto out;
	/* The issuing CAs first: a bad key spec or PIN fails early. */
	if ((sign_ca = dc_issuing_ca(&d, "sign-ca", R23_OU_SIGN, o->sign_key,
	    &sign_s)) == NULL)
		goto out;
	if ((auth_ca = dc_issuing_ca(&d, "auth-ca", R23_OU_AUTH, o->auth_key,
	    &auth_s)) == NULL)
		goto out;

	/* Delegated OCSP responders (docs/foundation.md "OCSP"), one per issuing CA. */
	x = dc_leaf(&d, LEAF_OCSP, sign_s, sign_ca, x509_name_r23(R23_OU_SIGN,
	    "JPKI SIGN OCSP Responder"),
	    "sign-ocsp.key", "sign-ocsp.crt");
	if (x == NULL)
		goto out;
	X509_free(x);
	x = dc_leaf(&d, LEAF_OCSP, auth_s, auth_ca, x509_name_r23(R23_OU_AUTH,
	    "JPKI AUTH OCSP Responder"),
	    "auth-ocsp.key", "auth-ocsp.crt");
	if (x == NULL)
		goto out;
	X509_free(x);
	/* R16a: the PIN reset authority, delegated by the AUTH CA the cards trust. */
	x = dc_leaf(&d, LEAF_PINRESET, auth_s, auth_ca, x509_name_r23(R23_OU_AUTH,
	    "JPKI PIN Reset Authority"), "pinreset.key", "pinreset.crt");
	if (x == NULL)
		goto out;
	X509_free(x);

	/* The client CA and what it issues. */
	if ((client_s = dc_new_key(&d, "client-ca.key", d.bits)) == NULL)
		goto out;
	if ((client_ca = dc_ca(&d, client_s, name_dev("jpkid development",
	    NULL, "jpkid client CA"), "client-ca.crt")) == NULL)
		goto out;
	x = dc_leaf(&d, LEAF_SERVER, client_s, client_ca,
	    name_dev("jpkid development", NULL, "localhost"),
	    "server.key", "server.crt");
	if (x == NULL)
		goto out;
	X509_free(x);
	/* The audit checkpoint signer ([audit] cert/key), an operational key: client CA. */
	x = dc_leaf(&d, LEAF_AUDIT, client_s, client_ca,
	    name_dev("jpkid development", "audit", "jpkid audit checkpoints"),
	    "audit.key", "audit.crt");
	if (x == NULL)
		goto out;
	X509_free(x);

	if ((d.manifest = dc_create(&d, "manifest.txt", 0644)) == NULL)
		goto out;
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "terminal-%s.key", munis[i]);
		snprintf(crt, sizeof(crt), "terminal-%s.crt", munis[i]);
		snprintf(cn, sizeof(cn), "terminal-%s-01", munis[i]);
		x = dc_leaf(&d, LEAF_CLIENT, client_s, client_ca,
		    name_dev(munis[i], "terminal", cn), key, crt);
		rc = dc_manifest(&d, "terminal", crt, munis[i], x);
		X509_free(x);
		if (rc == -1)
			goto out;
	}
	rc = -1;
	x = dc_leaf(&d, LEAF_CLIENT, client_s, client_ca,
	    name_dev("jpkid development", "register feed", "register-feed"),
	    "feed.key", "feed.crt");
	if (dc_manifest(&d, "register_feed", "feed.crt", NULL, x) == -1)
		goto leaf_out;
	X509_free(x);
	x = dc_leaf(&d, LEAF_CLIENT, client_s, client_ca,
	    name_dev("jpkid development", "relying party",
	    "relying-party-demo"), "rp.key", "rp.crt");
	if (dc_manifest(&d, "relying_party", "rp.crt", NULL, x) == -1)
		goto leaf_out;
	X509_free(x);
	x = dc_leaf(&d, LEAF_CLIENT, client_s, client_ca,
	    name_dev("jpkid development", "operator", "operator-admin"),
	    "operator.key", "operator.crt");
	if (dc_manifest(&d, "operator", "operator.crt", NULL, x) == -1)
		goto leaf_out;
	/* R16a kiosks: one without and one with AUTH PIN resets (kind kiosk_auth). */
	X509_free(x);
	x = dc_leaf(&d, LEAF_CLIENT, client_s, client_ca,
	    name_dev("jpkid development", "kiosk", "kiosk-demo"), "kiosk.key", "kiosk.crt");
	if (dc_manifest(&d, "kiosk", "kiosk.crt", NULL, x) == -1)
		goto leaf_out;
	X509_free(x);
	x = dc_leaf(&d, LEAF_CLIENT, client_s, client_ca,
	    name_dev("jpkid development", "kiosk", "kiosk-auth-demo"), "kiosk-auth.key",
	    "kiosk-auth.crt");
	if (dc_manifest(&d, "kiosk_auth", "kiosk-auth.crt", NULL, x) == -1)
		goto leaf_out;
	rc = dc_close(&d, d.manifest, "manifest.txt");
	d.manifest = NULL;
leaf_out:
	X509_free(x);
out:
	if (d.manifest != NULL)
		fclose(d.manifest);
	signer_free(sign_s);
	signer_free(auth_s);
	signer_free(client_s);
	X509_free(sign_ca);
	X509_free(auth_ca);
	X509_free(client_ca);
	/* Leave nothing half made: remove what this run created. */
	for (i = 0; i < d.ncreated; i++) {
		if (rc == -1)
			unlink(d.created[i]);
		free(d.created[i]);
	}
	if (rc == -1 && d.created_dir)
		rmdir(o->dir);
	return rc;
}
