/*
 * crl: X.509 v2 CRLs of one issuer and shard (docs/rules.md R24, R26; RFC 5280
 * section 5), built fast enough for a 1,000,000-entry shard: the
 * revokedCertificates are DER-encoded by hand into one buffer as the
 * caller adds them (in the order given), the small parts (issuer name,
 * extensions) by OpenSSL, and the TBSCertList bytes are signed once
 * through the signer interface (sha256WithRSAEncryption, R22).
 *
 * CRL extensions, in this order: authorityKeyIdentifier (the CA
 * certificate's SKI as written), cRLNumber, and a CRITICAL
 * issuingDistributionPoint whose fullName is profile_crldp_names() of the
 * shard (byte-identical to the certificates' cRLDistributionPoints) with
 * onlyContainsUserCerts TRUE. Entries: serial, revocationDate, reasonCode
 * (omitted for unspecified, as RFC 5280 5.3.1 recommends), invalidityDate
 * when known. thisUpdate/nextUpdate/revocationDate: UTCTime (GeneralizedTime
 * from 2050 on, RFC 5280 5.1.2.4).
 *
 * No database, no HTTP. Thread safety: a builder is used by one thread.
 */
#ifndef JPKI_CRL_H
#define JPKI_CRL_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "ca/profile.h"
#include "ca/signer.h"

/* RFC 5280 CRLReason codes (R26 uses 0-5; certificateHold is never used). */
#define CRL_REASON_UNSPECIFIED		0
#define CRL_REASON_KEY_COMPROMISE	1
#define CRL_REASON_CA_COMPROMISE	2
#define CRL_REASON_AFFILIATION_CHANGED	3
#define CRL_REASON_SUPERSEDED		4
#define CRL_REASON_CESSATION		5

/*
 * R26: the reason names the database and API use ("keyCompromise", ...)
 * and their CRLReason codes, in one table (also for OCSP). -1 / NULL for
 * anything R26 does not use.
 */
int		 crl_reason_code(const char *name);
const char	*crl_reason_name(int code);

/*
 * R26: the times of the next CRL of a series, published at now (the
 * instance's clock) after one whose thisUpdate was last_this (0: none).
 * thisUpdate = now, never later: after a backward clock step it goes back
 * (the cRLNumber still increases: the caller's last + 1, and the crls
 * trigger insists on that alone, migration 0011), and *step_back is how far
 * (last_this - now, else 0) for the caller's warning. nextUpdate =
 * thisUpdate + next_hours, so always after it (RFC 5280 5.1.2.5).
 * 0, or -1 when next_hours < 1.
 */
int		 crl_next_times(time_t now, time_t last_this, int next_hours,
		    time_t *this_update, time_t *next_update, time_t *step_back);

struct crl_params {
	enum profile_type	 type;
	X509			*issuer;	/* the issuing CA certificate (name, SKI); borrowed */
	/* The shard, as in the certificates (profile_crldp_names). */
	const char		*prefecture, *municipality, *crl_url;
	long long		 number;	/* cRLNumber, > 0 */
	time_t			 this_update, next_update;
};

struct crl_entry {
	/* Serial as an unsigned big-endian magnitude (e.g. DER INTEGER content
	 * octets as stored); leading zero bytes are ignored. 1..20 bytes. */
	const unsigned char	*serial;
	size_t			 serial_len;
	time_t			 revoked_at;
	int			 reason;	/* CRL_REASON_*; unspecified: no reasonCode */
	int			 has_invalidity;
	time_t			 invalidity;	/* RFC 5280 5.3.2, when has_invalidity */
};

struct crl_builder;

/*
 * Start a CRL: encodes the issuer name, times and extensions now (so a bad
 * issuer fails before any entry). NULL with err on failure.
 */
struct crl_builder *crl_builder_new(const struct crl_params *, char *err, size_t errlen);
/* Append one entry. 0, or -1 (bad serial or reason, out of memory). */
int		 crl_builder_add(struct crl_builder *, const struct crl_entry *);
/* Entries added so far. */
size_t		 crl_builder_count(const struct crl_builder *);
/*
 * Sign the TBSCertList with ca and assemble the CertificateList. On 0,
 * *der and *len point into the builder (valid until crl_builder_free); -1 with
 * err. Call at most once.
 */
int		 crl_builder_finish(struct crl_builder *, struct signer *ca,
		    const unsigned char **der, size_t *len, char *err, size_t errlen);
/* Accepts NULL. */
void		 crl_builder_free(struct crl_builder *);

#endif
