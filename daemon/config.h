/*
 * config: jpkid.conf, an INI file read with inih. Every key is documented in
 * deploy/jpkid.conf.example. Unknown sections or keys are errors (a typo
 * must not silently fall back to a default). Relative paths are resolved
 * against the directory of the config file.
 */
#ifndef JPKI_CONFIG_H
#define JPKI_CONFIG_H

#include <stddef.h>

#include "common/log.h"

struct config_key {		/* one CA or OCSP responder key pair */
	char	*cert;		/* PEM certificate path */
	char	*key;		/* PEM path or pkcs11: URI (ca/signer.h) */
	char	*pin_file;	/* file holding the PKCS#11 PIN, or NULL */
};

struct config {
	char		*path;		/* the file read */

	/* [daemon] */
	enum log_level	 log_level;
	int		 threads;	/* libmicrohttpd thread pool per listener */
	int		 drain_timeout_s;	/* SIGTERM: wait this long for requests */
	int		 migrate;	/* apply pending migrations at start */

	/* [api]: HTTPS, client certificates required */
	char		*api_listen;	/* "host:port", "[v6]:port" or "systemd" */
	char		*tls_cert;
	char		*tls_key;
	char		*client_ca;	/* bundle of CAs that issue terminal/feed/RP/operator certs */
	char		*tls_priorities;	/* GnuTLS priority string */
	int		 connection_limit;
	int		 per_ip_connection_limit;
	int		 connection_memory_limit;	/* bytes per connection */
	int		 connection_timeout_s;
	size_t		 max_body;	/* bytes; larger bodies get 413 */
	size_t		 import_max_body;	/* bytes, streamed bodies (POST /v1/residents:import) */
	/* ---- network (issue 13; docs/network.md) ---- */
	int		 head_timeout_s;	/* every listener: whole request head (0 = none) */
	int		 min_body_rate;		/* every listener: bytes/s (0 = none) */
	int		 body_rate_window_s;	/* ... measured over each window this long */
	int		 status_connection_limit;	/* [status] */
	int		 status_per_ip_connection_limit;
	int		 console_connection_limit;	/* [console] */
	int		 console_per_ip_connection_limit;
	/* ---- end network ---- */

	/* [status]: plain HTTP (OCSP, CRLs, CA certificates, health) */
	char		*status_listen;
	int		 require_relying_party;	/* OCSP and CRLs only for registered RPs (R26) */

	/* [crl]: publication (R26; per-municipality overrides in the database) */
	int		 crl_publish_hours;	/* publish every N hours (default 24) */
	int		 crl_next_update_hours;	/* nextUpdate = thisUpdate + N hours (48) */
	int		 crl_check_interval_s;	/* how often the job looks for due CRLs */

	/* [ocsp] */
	int		 ocsp_validity_s;	/* nextUpdate - thisUpdate of a response */
	int		 ocsp_cache_entries;	/* signed responses kept in memory */

	/* [jobs] */
	int		 register_sweep_interval_s;	/* R10/R12 pending-change scan */
	int		 usage_flush_interval_s;	/* relying-party check counters -> database */

	/* [database] */
	char		*conninfo;
	int		 pool_size;
	int		 statement_timeout_ms;
	int		 borrow_timeout_ms;

	/* [ca.sign] [ca.auth] [ocsp.sign] [ocsp.auth] */
	struct config_key ca_sign, ca_auth, ocsp_sign, ocsp_auth;

	/* [issuance]: what goes into certificates and applications (R13, R18, R24) */
	char		*status_url;	/* public base URL of the status listener (CRL, OCSP, CA) */
	char		*sign_policy_oid;	/* R24 certificatePolicies */
	char		*auth_policy_oid;
	int		 inquiry_days;	/* R13: an inquiry expires after this many days */
	int		 fee_reissue_yen;	/* R18: per certificate on a re-issued card */
	int		 fee_reissue_both_yen;	/* R18: both at once on a re-issued card */
	int		 fees_waived;	/* R18: waive every fee (also per municipality) */
	char		*answer_key;	/* R13: answer-code key file (ca/answercode.h); NULL: none */
	/* ---- pin resets ---- */
	/* [pinreset]: R16a PIN reset authority (optional; without it the routes answer 503) */
	struct config_key pinreset;
	int		 pinreset_authorization_ttl_s;	/* authorization lifetime (300) */
	int		 pinreset_challenge_ttl_s;	/* kiosk challenge lifetime (120) */
	/* ---- end pin resets ---- */
	/* ---- suspensions notices ---- */
	/* [notices]: R21 expiry notices */
	int		 notice_lead_months;	/* calendar months ahead (Decision: 3) */
	int		 notice_interval_s;	/* seconds between runs of the job */
	int		 notices_enabled;	/* the job runs (POST /v1/notices/run always can) */
	/* ---- end suspensions notices ---- */
	/* ---- operators (issue 11) ---- */
	/* [console]: HTTPS for operators with a password and a second factor, no client certificate */
	char		*console_listen;	/* "host:port" or "systemd"; NULL: no console listener */
	char		*console_origin;	/* allowed Origin ("https://host:port"); NULL: https://<Host> */
	int		 session_idle_s;	/* idle timeout of a session (900) */
	int		 session_absolute_s;	/* absolute lifetime of a session (28800) */
	/* [operators]: accounts (Argon2id, TOTP, lockout) */
	int		 argon2_memory_kib;	/* m (65536) */
	int		 argon2_iterations;	/* t (3) */
	int		 argon2_parallelism;	/* p (1) */
	int		 totp_for_viewers;	/* viewers need a second factor too (false) */
	int		 login_lock_after;	/* failures in a row that lock an account (5) */
	int		 login_lock_s;		/* how long a lock lasts (900) */
	int		 login_address_lock_after;	/* failures from one address that lock it (20) */
	int		 login_delay_ms;	/* first delay after a failure; doubles each time (500) */
	/* [audit]: sealing of audit_log (hash chain + signed checkpoints) */
	struct config_key audit_key;	/* [audit] cert, key, pin_file; NULL cert: no sealing */
	int		 audit_seal_interval_s;	/* checkpoint interval (60) */
	int		 audit_journal;		/* also log each checkpoint (seq, hash) (true) */
	/* [stats] */
	int		 stats_fold_interval_s;	/* how often the job folds rollup deltas (5) */
	/* ---- end operators ---- */
	/* ---- dashboard ---- */
	char		*dashboard_dir;	/* [console] dashboard_dir (JPKID_DASHBOARD_DIR) */
	char		*chartjs;	/* [console] chartjs, served as vendor/chart.js */
	/* ---- end dashboard ---- */
};

/*
 * Read path into a new config. Returns NULL with a message (file:line:
 * reason) in err on any error: unreadable file, syntax, unknown key, bad
 * value, missing required key.
 */
struct config	*config_load(const char *path, char *err, size_t errlen);
void		 config_free(struct config *);
/*
 * Split a listen address "127.0.0.1:8443", "[::1]:8443" or ":8443" into
 * host (may be empty: all addresses) and port. 0 on success.
 */
int		 config_split_listen(const char *, char *host, size_t hostlen, int *port);

#endif
