/*
 * ocsp: RFC 6960 requests and responses, pure OpenSSL (no SQL, no HTTP).
 *
 * ocsp_req_parse() takes untrusted DER (a POST body or a decoded RFC 5019
 * GET path) strictly: size bound, exact DER (re-encoding gives the same
 * bytes, so no trailing data, no BER), version 1, 1..OCSP_MAX_IDS CertIDs,
 * no unknown critical extension. Each CertID is matched to one of our two
 * issuers by issuerNameHash + issuerKeyHash (SHA-1 or SHA-256), hashes
 * precomputed from the CA certificates by ocsp_ids_init().
 *
 * ocsp_resp_build() makes the signed BasicOCSPResponse for a list of
 * CertIDs and statuses: thisUpdate = now, nextUpdate = now + validity,
 * responderID byKey, the responder certificate included, the nonce echoed
 * when the request had one. The signature goes through the narrow signer
 * interface (ca/signer.h) with the delegated responder pair of the issuer.
 */
#ifndef JPKI_OCSP_H
#define JPKI_OCSP_H

#include <stddef.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "ca/signer.h"

#define OCSP_MAX_REQUEST	8192	/* bytes of DER; larger is malformedRequest */
#define OCSP_MAX_IDS		32	/* CertIDs per request */
#define OCSP_SERIAL_MAX		20	/* RFC 5280 4.1.2.2 */

/* Our issuers, in this order everywhere (index into arrays). */
enum ocsp_issuer {
	OCSP_ISSUER_SIGN = 0,
	OCSP_ISSUER_AUTH = 1,
	OCSP_NISSUERS = 2,
	OCSP_ISSUER_FOREIGN = -1,	/* hashes match neither CA (or unsupported hash) */
};

/* "sign" / "auth" (the certificates.issuer column), or NULL. */
const char	*ocsp_issuer_name(enum ocsp_issuer);

/* issuerNameHash / issuerKeyHash of one CA with SHA-1 and SHA-256. */
struct ocsp_ids {
	struct {
		unsigned char	name_sha1[20], key_sha1[20];
		unsigned char	name_sha256[32], key_sha256[32];
	} ca[OCSP_NISSUERS];
};

/* Hash the two CA certificates. 0, or -1 (a certificate without key/name). */
int	ocsp_ids_init(struct ocsp_ids *, X509 *sign_ca, X509 *auth_ca);

struct ocsp_reqid {
	OCSP_CERTID	*certid;	/* borrowed from the parsed request */
	enum ocsp_issuer issuer;
	/*
	 * The serial as stored (DER INTEGER content octets, ca/serial.h), or
	 * serial_len 0 when it cannot be one of ours (negative, zero, longer
	 * than 20 octets): such a CertID is "unknown" without a lookup.
	 */
	unsigned char	 serial[OCSP_SERIAL_MAX + 1];
	size_t		 serial_len;
};

struct ocsp_req {
	OCSP_REQUEST	*req;		/* owned */
	int		 nids;
	struct ocsp_reqid ids[OCSP_MAX_IDS];
	int		 has_nonce;
};

/*
 * Parse der strictly into out (ocsp_req_clear() it afterwards, whatever
 * the result). 0 on success; -1 for anything malformed (the caller
 * answers malformedRequest). Foreign issuers are not an error here: see
 * ids[i].issuer.
 */
int	ocsp_req_parse(const unsigned char *der, size_t len, const struct ocsp_ids *,
	    struct ocsp_req *out);
void	ocsp_req_clear(struct ocsp_req *);
/*
 * The one issuer of every CertID, or OCSP_ISSUER_FOREIGN when one is
 * foreign or the request mixes both issuers (one delegated responder
 * cannot sign for both): the request is then answered "unauthorized".
 */
enum ocsp_issuer ocsp_req_issuer(const struct ocsp_req *);


struct ocsp_status {
	int	status;		/* V_OCSP_CERTSTATUS_GOOD, _REVOKED or _UNKNOWN */
	time_t	revoked_at;	/* revoked only */
	int	reason;		/* CRLReason code, revoked only; -1: none */
	time_t	invalidity;	/* revoked only; 0: none (else invalidityDate ext) */
};

/*
 * Build and sign a successful response: one SingleResponse per ids[i] with
 * st[i]. nonce_req: the request whose nonce is echoed, or NULL. On success
 * 0 and *der (malloc'd, caller free()s) / *len; -1 on failure (internal).
 */
int	ocsp_resp_build(OCSP_CERTID *const *ids, const struct ocsp_status *st, int n,
	    OCSP_REQUEST *nonce_req, time_t now, int validity_s, X509 *responder_cert,
	    struct signer *responder_key, unsigned char **der, size_t *len);
/*
 * An unsigned error response (OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
 * _INTERNALERROR, _TRYLATER, _UNAUTHORIZED): its fixed DER, static (never
 * freed), *len set.
 */
const unsigned char *ocsp_resp_error(int status, size_t *len);

#endif
