/*
 * ocsp: see ocsp.h. Strict parsing in the rpki-client manner: decode, then
 * require that the input is exactly the DER of what was decoded.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/ocsp.h"
#include "ca/serial.h"

/* RFC 8954 2.1: a nonce of 1..32 octets (+ 2 for its OCTET STRING wrapper). */
#define NONCE_MAX	(32 + 2)

const char *
ocsp_issuer_name(enum ocsp_issuer i)
{
	switch (i) {
	case OCSP_ISSUER_SIGN:
		return "sign";
	case OCSP_ISSUER_AUTH:
		return "auth";
	default:
		return NULL;
	}
}

int
ocsp_ids_init(struct ocsp_ids *ids, X509 *sign_ca, X509 *auth_ca)
{
	X509 *ca[OCSP_NISSUERS] = { sign_ca, auth_ca };
	unsigned int n1, n2, n3, n4;
	int i;

	memset(ids, 0, sizeof(*ids));
	for (i = 0; i < OCSP_NISSUERS; i++) {
		if (ca[i] == NULL ||
		    !X509_NAME_digest(X509_get_subject_name(ca[i]), EVP_sha1(),
		    ids->ca[i].name_sha1, &n1) ||
		    !X509_pubkey_digest(ca[i], EVP_sha1(), ids->ca[i].key_sha1, &n2) ||
		    !X509_NAME_digest(X509_get_subject_name(ca[i]), EVP_sha256(),
		    ids->ca[i].name_sha256, &n3) ||
		    !X509_pubkey_digest(ca[i], EVP_sha256(), ids->ca[i].key_sha256, &n4) ||
		    n1 != 20 || n2 != 20 || n3 != 32 || n4 != 32)
			return -1;
	}
	return 0;
}

/* Which of our CAs a CertID names, by its hash algorithm and both hashes. */
static enum ocsp_issuer
certid_issuer(OCSP_CERTID *cid, const struct ocsp_ids *ids)
{
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *md = NULL;
	const unsigned char *want_n, *want_k;
	int i, nid, hl;

	if (!OCSP_id_get0_info(&nh, &md, &kh, NULL, cid) || nh == NULL || kh == NULL)
		return OCSP_ISSUER_FOREIGN;
	nid = OBJ_obj2nid(md);
	if (nid == NID_sha1)
		hl = 20;
	else if (nid == NID_sha256)
		hl = 32;
	else
		return OCSP_ISSUER_FOREIGN;	/* not a hash we answer for */
	if (ASN1_STRING_length(nh) != hl || ASN1_STRING_length(kh) != hl)
		return OCSP_ISSUER_FOREIGN;
	for (i = 0; i < OCSP_NISSUERS; i++) {
		want_n = hl == 20 ? ids->ca[i].name_sha1 : ids->ca[i].name_sha256;
		want_k = hl == 20 ? ids->ca[i].key_sha1 : ids->ca[i].key_sha256;
		if (memcmp(ASN1_STRING_get0_data(nh), want_n, (size_t)hl) == 0 &&
		    memcmp(ASN1_STRING_get0_data(kh), want_k, (size_t)hl) == 0)
			return (enum ocsp_issuer)i;
	}
	return OCSP_ISSUER_FOREIGN;
}

/*
 * The serial of a CertID as stored (DER INTEGER content octets), or len 0
 * when it cannot be a serial of ours.
 */
static void
certid_serial(OCSP_CERTID *cid, struct ocsp_reqid *out)
{
	ASN1_INTEGER *sn = NULL;
	unsigned char buf[2 + OCSP_SERIAL_MAX + 1], *p = buf;
	int n;

	out->serial_len = 0;
	if (!OCSP_id_get0_info(NULL, NULL, NULL, &sn, cid) || sn == NULL ||
	    ASN1_STRING_type(sn) != V_ASN1_INTEGER ||
	    ASN1_STRING_length(sn) < 1 || ASN1_STRING_length(sn) > OCSP_SERIAL_MAX)
		return;
	if ((n = i2d_ASN1_INTEGER(sn, NULL)) <= 2 || (size_t)n > sizeof(buf))
		return;
	if (i2d_ASN1_INTEGER(sn, &p) != n || buf[1] != n - 2)
		return;
	if (!serial_valid(buf + 2, (size_t)n - 2) || n - 2 > OCSP_SERIAL_MAX)
		return;
	memcpy(out->serial, buf + 2, (size_t)n - 2);
	out->serial_len = (size_t)n - 2;
}

/*
 * tbsRequest.version is DEFAULT v1 and OpenSSL does not expose it: read it
 * from the DER. Accept it absent (DER) or an explicit v1 (some clients).
 */
static int
version_ok(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	long l;
	int tag, cls, r;

	r = ASN1_get_object(&p, &l, &tag, &cls, (long)len);	/* OCSPRequest */
	if ((r & 0x80) || tag != V_ASN1_SEQUENCE)
		return 0;
	r = ASN1_get_object(&p, &l, &tag, &cls, (long)(der + len - p));	/* tbsRequest */
	if ((r & 0x80) || tag != V_ASN1_SEQUENCE || l < 1)
		return 0;
	if (*p != 0xa0)
		return 1;
	/* [0] EXPLICIT INTEGER 0: a0 03 02 01 00 */
	return der + len - p >= 5 && memcmp(p, "\xa0\x03\x02\x01\x00", 5) == 0;
}

/* 1 when every extension is one we know, or not critical; nonce sane. */
static int
request_exts_ok(OCSP_REQUEST *req, int *has_nonce)
{
	X509_EXTENSION *ext;
	int i, n, nid, nonces = 0;

	n = OCSP_REQUEST_get_ext_count(req);
	for (i = 0; i < n; i++) {
		ext = OCSP_REQUEST_get_ext(req, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (nid == NID_id_pkix_OCSP_Nonce) {
			int vl = ASN1_STRING_length(X509_EXTENSION_get_data(ext));

			if (++nonces > 1 || vl < 1 || vl > NONCE_MAX)
				return 0;
		} else if (X509_EXTENSION_get_critical(ext) > 0)
			return 0;
	}
	*has_nonce = nonces;
	return 1;
}

static int
onereq_exts_ok(OCSP_ONEREQ *one)
{
	int i, n = OCSP_ONEREQ_get_ext_count(one);

	for (i = 0; i < n; i++)
		if (X509_EXTENSION_get_critical(OCSP_ONEREQ_get_ext(one, i)) > 0)
			return 0;
	return 1;
}

int
ocsp_req_parse(const unsigned char *der, size_t len, const struct ocsp_ids *ids,
    struct ocsp_req *out)
{
	const unsigned char *p = der;
	unsigned char *enc = NULL;
	OCSP_ONEREQ *one;
	int i, n, enclen, rc = -1;

	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > OCSP_MAX_REQUEST)
		goto out;
	if ((out->req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL ||
	    p != der + len)
		goto out;			/* garbage or trailing bytes */
	enclen = i2d_OCSP_REQUEST(out->req, &enc);
	if (enclen < 0 || (size_t)enclen != len || memcmp(enc, der, len) != 0)
		goto out;			/* BER, not DER */
	if (!version_ok(der, len) || !request_exts_ok(out->req, &out->has_nonce))
		goto out;
	n = OCSP_request_onereq_count(out->req);
	if (n < 1 || n > OCSP_MAX_IDS)
		goto out;
	for (i = 0; i < n; i++) {
		one = OCSP_request_onereq_get0(out->req, i);
		if (one == NULL || !onereq_exts_ok(one))
			goto out;
		out->ids[i].certid = OCSP_onereq_get0_id(one);
		out->ids[i].issuer = certid_issuer(out->ids[i].certid, ids);
		certid_serial(out->ids[i].certid, &out->ids[i]);
	}
	out->nids = n;
	rc = 0;
out:
	OPENSSL_free(enc);
	return rc;
}

void
ocsp_req_clear(struct ocsp_req *r)
{
	OCSP_REQUEST_free(r->req);
	memset(r, 0, sizeof(*r));
}

enum ocsp_issuer
ocsp_req_issuer(const struct ocsp_req *r)
{
	enum ocsp_issuer is;
	int i;

	if (r->nids < 1)
		return OCSP_ISSUER_FOREIGN;
	is = r->ids[0].issuer;
	for (i = 1; i < r->nids; i++)
		if (r->ids[i].issuer != is)
			return OCSP_ISSUER_FOREIGN;
	return is;
}

int
ocsp_resp_build(OCSP_CERTID *const *ids, const struct ocsp_status *st, int n,
    OCSP_REQUEST *nonce_req, time_t now, int validity_s, X509 *responder_cert,
    struct signer *responder_key, unsigned char **der, size_t *len)
{
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_SINGLERESP *single;
	ASN1_TIME *tu = NULL, *nu = NULL, *rt = NULL;
	ASN1_GENERALIZEDTIME *inv = NULL;
	unsigned char *buf = NULL, *p;
	int i, l, reason, rc = -1;

	*der = NULL;
	*len = 0;
	if (n < 1 || validity_s <= 0 || responder_cert == NULL || responder_key == NULL)
		goto out;
	if ((bs = OCSP_BASICRESP_new()) == NULL ||
	    (tu = ASN1_TIME_set(NULL, now)) == NULL ||
	    (nu = ASN1_TIME_set(NULL, now + validity_s)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		ASN1_TIME_free(rt);
		rt = NULL;
		reason = OCSP_REVOKED_STATUS_NOSTATUS;
		if (st[i].status == V_OCSP_CERTSTATUS_REVOKED) {
			if ((rt = ASN1_TIME_set(NULL, st[i].revoked_at)) == NULL)
				goto out;
			/* RFC 5280 5.3.1: leave the reason out rather than say unspecified. */
			if (st[i].reason > 0)
				reason = st[i].reason;
		} else if (st[i].status != V_OCSP_CERTSTATUS_GOOD &&
		    st[i].status != V_OCSP_CERTSTATUS_UNKNOWN)
			goto out;
		if ((single = OCSP_basic_add1_status(bs, ids[i], st[i].status, reason, rt,
		    tu, nu)) == NULL)
			goto out;
		if (st[i].status == V_OCSP_CERTSTATUS_REVOKED && st[i].invalidity != 0) {
			if ((inv = ASN1_GENERALIZEDTIME_set(NULL, st[i].invalidity)) == NULL ||
			    !OCSP_SINGLERESP_add1_ext_i2d(single, NID_invalidity_date, inv, 0, 0))
				goto out;
			ASN1_GENERALIZEDTIME_free(inv);
			inv = NULL;
		}
	}
	if (nonce_req != NULL && OCSP_copy_nonce(bs, nonce_req) == 0)
		goto out;
	/*
	 * producedAt from our clock (test clocks), not OpenSSL's: OCSP_NOTIME
	 * keeps OCSP_basic_sign() from overwriting it.
	 */
	if (ASN1_GENERALIZEDTIME_set((ASN1_GENERALIZEDTIME *)OCSP_resp_get0_produced_at(bs),
	    now) == NULL)
		goto out;
	if (signer_sign_ocsp(responder_key, bs, responder_cert, NULL,
	    OCSP_RESPID_KEY | OCSP_NOTIME) != 0)
		goto out;
	if ((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (l = i2d_OCSP_RESPONSE(resp, NULL)) <= 0 ||
	    (buf = malloc((size_t)l)) == NULL)
		goto out;
	p = buf;
	if (i2d_OCSP_RESPONSE(resp, &p) != l)
		goto out;
	*der = buf;
	*len = (size_t)l;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	ASN1_GENERALIZEDTIME_free(inv);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return rc;
}

const unsigned char *
ocsp_resp_error(int status, size_t *len)
{
	/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } (no responseBytes) */
	static const unsigned char der[][5] = {
		{ 0x30, 0x03, 0x0a, 0x01, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST },
		{ 0x30, 0x03, 0x0a, 0x01, OCSP_RESPONSE_STATUS_INTERNALERROR },
		{ 0x30, 0x03, 0x0a, 0x01, OCSP_RESPONSE_STATUS_TRYLATER },
		{ 0x30, 0x03, 0x0a, 0x01, OCSP_RESPONSE_STATUS_SIGREQUIRED },
		{ 0x30, 0x03, 0x0a, 0x01, OCSP_RESPONSE_STATUS_UNAUTHORIZED },
	};
	size_t i;

	*len = 5;
	for (i = 0; i < sizeof(der) / sizeof(der[0]); i++)
		if (der[i][4] == status)
			return der[i];
	return der[1];		/* anything else: internalError */
}
