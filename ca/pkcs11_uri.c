/*
 * pkcs11_uri: the subset of RFC 7512 the signer needs (see signer_int.h).
 *
 *   pk11-URI  = "pkcs11:" pk11-path [ "?" pk11-query ]
 *   pk11-path = [ pk11-pattr *(";" pk11-pattr) ]
 *   pk11-query = [ pk11-qattr *("&" pk11-qattr) ]
 *
 * Unknown attributes are refused rather than ignored: a CA key spec that
 * says more than we understand (slot-id=, serial=) must not silently select
 * a different key.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "ca/signer_int.h"
#include "common/util.h"

enum uri_part { PART_PATH, PART_QUERY };

enum uri_attr {
	ATTR_TOKEN, ATTR_OBJECT, ATTR_ID, ATTR_TYPE,
	ATTR_MODULE_PATH, ATTR_PIN_VALUE, ATTR_PIN_SOURCE,
	ATTR_COUNT
};

static const struct {
	const char	*name;
	enum uri_part	 part;
	int		 binary;	/* value may hold NUL bytes */
	int		 secret;	/* never echo the value */
} uri_attrs[ATTR_COUNT] = {
	[ATTR_TOKEN] =		{ "token",		PART_PATH,	0, 0 },
	[ATTR_OBJECT] =		{ "object",		PART_PATH,	0, 0 },
	[ATTR_ID] =		{ "id",			PART_PATH,	1, 0 },
	[ATTR_TYPE] =		{ "type",		PART_PATH,	0, 0 },
	[ATTR_MODULE_PATH] =	{ "module-path",	PART_QUERY,	0, 0 },
	[ATTR_PIN_VALUE] =	{ "pin-value",		PART_QUERY,	0, 1 },
	[ATTR_PIN_SOURCE] =	{ "pin-source",		PART_QUERY,	0, 0 },
};

static const char *const uri_types[] = {
	"private", "public", "cert", "secret-key", "data", NULL
};

/*
 * Percent-decode [s, s + n) into a new NUL-terminated buffer; *outlen is
 * the decoded length. Returns NULL on a bad escape, a raw control or space
 * character, or allocation failure (*bad says which: 1 = bad input).
 */
static unsigned char *
pct_decode(const char *s, size_t n, size_t *outlen, int *bad)
{
	unsigned char	*out;
	size_t		 i, o = 0;
	int		 hi, lo;

	*bad = 0;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n)
				goto bad;
			if ((hi = util_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = util_hexval((unsigned char)s[i + 2])) < 0)
				goto bad;
			out[o++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c <= 0x20 || c >= 0x7f) {
			goto bad;
		} else
			out[o++] = c;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	OPENSSL_cleanse(out, n + 1);
	free(out);
	*bad = 1;
	return NULL;
}

/* Store one attribute. 0 or -1 (with err). */
static int
store_attr(struct pkcs11_uri *u, enum uri_attr a, unsigned char *val,
    size_t len, char *err, size_t errlen)
{
	char	**slot = NULL;
	size_t	  i;

	if (!uri_attrs[a].binary && memchr(val, '\0', len) != NULL) {
		signer_err(err, errlen, "pkcs11 URI: attribute \"%s\" contains "
		    "a NUL byte", uri_attrs[a].name);
		return -1;
	}
	switch (a) {
	case ATTR_TOKEN:	slot = &u->token; break;
	case ATTR_OBJECT:	slot = &u->object; break;
	case ATTR_TYPE:		slot = &u->type; break;
	case ATTR_MODULE_PATH:	slot = &u->module_path; break;
	case ATTR_PIN_VALUE:	slot = &u->pin_value; break;
	case ATTR_PIN_SOURCE:	slot = &u->pin_source; break;
	case ATTR_ID:
		if (len == 0) {
			signer_err(err, errlen, "pkcs11 URI: attribute \"%s\" "
			    "is empty", "id");
			return -1;
		}
		u->id = val;
		u->idlen = len;
		return 0;
	case ATTR_COUNT:
		abort();
	}
	if (a == ATTR_TYPE) {
		for (i = 0; uri_types[i] != NULL; i++)
			if (strcmp((char *)val, uri_types[i]) == 0)
				break;
		if (uri_types[i] == NULL) {
			signer_err(err, errlen, "pkcs11 URI: type=%s is not one "
			    "of private, public, cert, secret-key, data",
			    (char *)val);
			return -1;
		}
	}
	*slot = (char *)val;
	return 0;
}

/* Parse the attributes of one part ([s, end), separated by sep). */
static int
parse_part(struct pkcs11_uri *u, const char *s, const char *end, char sep,
    enum uri_part part, int *seen, char *err, size_t errlen)
{
	const char	*p, *q, *eq;
	unsigned char	*val;
	size_t		 nlen, vlen;
	int		 a, bad;
	char		 name[32];

	for (p = s; p < end; p = q + 1) {
		if ((q = memchr(p, sep, (size_t)(end - p))) == NULL)
			q = end;
		if (q == p) {
			/* Tolerate an empty component ("a=1;;b=2" or a trailing ";"). */
			if (q == end)
				break;
			continue;
		}
		if ((eq = memchr(p, '=', (size_t)(q - p))) == NULL) {
			nlen = (size_t)(q - p) < sizeof(name) - 1 ?
			    (size_t)(q - p) : sizeof(name) - 1;
			memcpy(name, p, nlen);
			name[nlen] = '\0';
			signer_err(err, errlen, "pkcs11 URI: attribute \"%s\" has "
			    "no value", name);
			return -1;
		}
		nlen = (size_t)(eq - p);
		if (nlen >= sizeof(name))
			nlen = sizeof(name) - 1;
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		for (a = 0; a < ATTR_COUNT; a++)
			if (strlen(uri_attrs[a].name) == (size_t)(eq - p) &&
			    strncmp(p, uri_attrs[a].name, (size_t)(eq - p)) == 0)
				break;
		if (a == ATTR_COUNT || uri_attrs[a].part != part) {
			signer_err(err, errlen, "pkcs11 URI: unsupported %s "
			    "attribute \"%s\" (supported: token, object, id, "
			    "type; ?module-path, pin-value, pin-source)",
			    part == PART_PATH ? "path" : "query", name);
			return -1;
		}
		if (seen[a]) {
			signer_err(err, errlen, "pkcs11 URI: duplicate attribute "
			    "\"%s\"", name);
			return -1;
		}
		seen[a] = 1;
		val = pct_decode(eq + 1, (size_t)(q - eq - 1), &vlen, &bad);
		if (val == NULL) {
			if (bad)
				signer_err(err, errlen, "pkcs11 URI: attribute "
				    "\"%s\" has a bad percent escape or a "
				    "character that must be escaped", name);
			else
				signer_err(err, errlen, "pkcs11 URI: out of "
				    "memory");
			return -1;
		}
		if (store_attr(u, (enum uri_attr)a, val, vlen, err,
		    errlen) == -1) {
			OPENSSL_cleanse(val, vlen + 1);
			free(val);
			return -1;
		}
	}
	return 0;
}

int
pkcs11_uri_parse(const char *uri, struct pkcs11_uri *out, char *err,
    size_t errlen)
{
	const char	*path, *query, *end;
	int		 seen[ATTR_COUNT] = { 0 };
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	if (uri == NULL || strncasecmp(uri, "pkcs11:", 7) != 0) {
		signer_err(err, errlen, "pkcs11 URI: must start with \"pkcs11:\"");
		goto out;
	}
	path = uri + 7;
	end = path + strlen(path);
	if ((query = strchr(path, '?')) == NULL)
		query = end;
	if (parse_part(out, path, query, ';', PART_PATH, seen, err,
	    errlen) == -1)
		goto out;
	if (query != end && parse_part(out, query + 1, end, '&', PART_QUERY,
	    seen, err, errlen) == -1)
		goto out;
	if (out->token == NULL) {
		signer_err(err, errlen, "pkcs11 URI: token= is required "
		    "(the label of the token holding the CA key)");
		goto out;
	}
	if (out->pin_value != NULL && out->pin_source != NULL) {
		signer_err(err, errlen, "pkcs11 URI: give pin-value or "
		    "pin-source, not both");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		pkcs11_uri_free(out);
	return rc;
}

void
pkcs11_uri_free(struct pkcs11_uri *u)
{
	if (u == NULL)
		return;
	free(u->token);
	free(u->object);
	free(u->id);
	free(u->type);
	free(u->module_path);
	if (u->pin_value != NULL) {
		OPENSSL_cleanse(u->pin_value, strlen(u->pin_value));
		free(u->pin_value);
	}
	free(u->pin_source);
	memset(u, 0, sizeof(*u));
}
