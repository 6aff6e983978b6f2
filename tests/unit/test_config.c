/*
 * test_config: jpkid.conf parsing (daemon/config.c): defaults, relative
 * paths, every kind of bad value naming file:line, unknown keys, required
 * keys, listen addresses, and the shipped example file.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "tests/unit/testlib.h"

static char dir[] = "/tmp/jpkid-test-config.XXXXXX";

static const char *base =
    "[api]\n"
    "listen = 127.0.0.1:8443\n"
    "tls_cert = tls/server.crt\n"
    "tls_key = /abs/server.key\n"
    "client_ca = client-ca.crt\n"
    "[status]\n"
    "listen = [::1]:8080\n"
    "[database]\n"
    "conninfo = host=/tmp dbname=jpkid\n"
    "[ca.sign]\ncert = sign-ca.crt\nkey = pkcs11:token=jpkid;object=sign?pin-source=file:/p\n"
    "[ca.auth]\ncert = auth-ca.crt\nkey = file:auth-ca.key\n"
    "[ocsp.sign]\ncert = sign-ocsp.crt\nkey = sign-ocsp.key\n"
    "[ocsp.auth]\ncert = auth-ocsp.crt\nkey = auth-ocsp.key\npin_file = pin\n";

/* Write base + extra to dir/jpkid.conf and load it. */
static struct config *
load_with(const char *extra, char *err, size_t errlen)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/jpkid.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(extra, f);	/* first, so its line numbers are 1.. */
	fputs(base, f);
	fclose(f);
	return config_load(path, err, errlen);
}

START_TEST(test_defaults_and_relative_paths)
{
	char err[512], want[512];
	struct config *c = load_with("", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->threads, 8);
	ck_assert_int_eq(c->pool_size, 8);
	ck_assert_int_eq(c->migrate, 1);
	ck_assert_int_eq(c->drain_timeout_s, 10);
	ck_assert_uint_eq(c->max_body, 1048576);
	ck_assert_int_eq(c->log_level, LOG_LVL_INFO);
	snprintf(want, sizeof(want), "%s/tls/server.crt", dir);
	ck_assert_str_eq(c->tls_cert, want);
	ck_assert_str_eq(c->tls_key, "/abs/server.key");
	/* A pkcs11: URI is a key spec, not a path: kept as written. */
	ck_assert_str_eq(c->ca_sign.key, "pkcs11:token=jpkid;object=sign?pin-source=file:/p");
	snprintf(want, sizeof(want), "%s/auth-ca.key", dir);
	ck_assert_str_eq(c->ca_auth.key, want);
	snprintf(want, sizeof(want), "%s/pin", dir);
	ck_assert_str_eq(c->ocsp_auth.pin_file, want);
	ck_assert_ptr_null(c->ocsp_sign.pin_file);
	ck_assert_str_eq(c->conninfo, "host=/tmp dbname=jpkid");
	config_free(c);
}
END_TEST

/* [issuance] defaults: URL from the status listener (R24), J-LIS OIDs, R13 30 days, R18 200 yen. */
START_TEST(test_issuance_defaults)
{
	char err[512];
	struct config *c = load_with("", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->status_url, "http://[::1]:8080");
	ck_assert_str_eq(c->sign_policy_oid, "1.2.392.200149.8.5.1.1.20");
	ck_assert_str_eq(c->auth_policy_oid, "1.2.392.200149.8.5.1.3.30");
	ck_assert_int_eq(c->inquiry_days, 30);
	ck_assert_int_eq(c->fee_reissue_yen, 200);
	ck_assert_int_eq(c->fee_reissue_both_yen, 200);
	ck_assert_int_eq(c->fees_waived, 0);
	config_free(c);
}
END_TEST

START_TEST(test_issuance_values_and_refusals)
{
	char err[512], want[512];
	struct config *c = load_with("[issuance]\nstatus_url = https://status.example.jp/\n"
	    "sign_policy_oid = 1.3.6.1.4.1.99999.1\ninquiry_days = 14\nfees_waived = yes\n",
	    err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->status_url, "https://status.example.jp");	/* no trailing slash */
	ck_assert_str_eq(c->sign_policy_oid, "1.3.6.1.4.1.99999.1");
	ck_assert_int_eq(c->inquiry_days, 14);
	ck_assert_int_eq(c->fees_waived, 1);
	ck_assert_ptr_null(c->answer_key);	/* R13: optional (then no proxy applications) */
	config_free(c);
	/* R13: the answer-code key file, a path relative to the config file. */
	c = load_with("[issuance]\nanswer_key = answer.key\n", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	snprintf(want, sizeof(want), "%s/answer.key", dir);
	ck_assert_str_eq(c->answer_key, want);
	config_free(c);
	ck_assert_ptr_null(load_with("[issuance]\nauth_policy_oid = 1..2\n", err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/jpkid.conf: [issuance] auth_policy_oid: '1..2' is not an OID",
	    dir);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(load_with("[issuance]\nstatus_url = ftp://x\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "status_url: 'ftp://x' is not an http(s) URL") != NULL, "%s", err);
}
END_TEST

/* Issue 4: [status] [crl] [ocsp] [jobs] defaults (R26: daily CRLs, 48 h). */
START_TEST(test_status_defaults)
{
	char err[512];
	struct config *c = load_with("", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->require_relying_party, 0);
	ck_assert_int_eq(c->crl_publish_hours, 24);
	ck_assert_int_eq(c->crl_next_update_hours, 48);
	ck_assert_int_eq(c->crl_check_interval_s, 60);
	ck_assert_int_eq(c->ocsp_validity_s, 3600);
	ck_assert_int_eq(c->ocsp_cache_entries, 100000);
	ck_assert_int_eq(c->register_sweep_interval_s, 5);
	ck_assert_int_eq(c->usage_flush_interval_s, 10);
	config_free(c);
}
END_TEST

START_TEST(test_r26_crl_window_refusals)
{
	char err[512];
	struct config *c = load_with("[status]\nrequire_relying_party = yes\n"
	    "[crl]\npublish_hours = 6\nnext_update_hours = 12\ncheck_interval = 5\n"
	    "[ocsp]\nvalidity = 900\n[jobs]\nregister_sweep_interval = 2\n", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->require_relying_party, 1);
	ck_assert_int_eq(c->crl_publish_hours, 6);
	ck_assert_int_eq(c->crl_next_update_hours, 12);
	ck_assert_int_eq(c->crl_check_interval_s, 5);
	ck_assert_int_eq(c->ocsp_validity_s, 900);
	ck_assert_int_eq(c->register_sweep_interval_s, 2);
	config_free(c);
	/* The next CRL must be out before this one lapses. */
	ck_assert_ptr_null(load_with("[crl]\npublish_hours = 48\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "[crl] next_update_hours (48) must be greater than"
	    " publish_hours (48)") != NULL, "%s", err);
	ck_assert_ptr_null(load_with("[ocsp]\nvalidity = 10\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "validity") != NULL, "%s", err);
}
END_TEST

START_TEST(test_values_set)
{
	char err[512];
	struct config *c = load_with("[daemon]\nthreads = 16\nlog_level = debug\n"
	    "migrate = no\n[api]\nmax_body = 2048\n", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->threads, 16);
	ck_assert_int_eq(c->log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(c->migrate, 0);
	ck_assert_uint_eq(c->max_body, 2048);
	config_free(c);
}
END_TEST

/* Each bad input and the exact message it must produce (after "DIR/jpkid.conf"). */
static const struct {
	const char *extra;
	const char *want;
} bad[] = {
	{ "[daemon]\nthreads = 0\n", ":2: [daemon] threads must be an integer from 1 to 256, not '0'" },
	{ "[daemon]\nthreads = 8x\n", ":2: [daemon] threads must be an integer from 1 to 256, not '8x'" },
	{ "[daemon]\nmigrate = maybe\n", ":2: [daemon] migrate must be true or false, not 'maybe'" },
	{ "[daemon]\nlog_level = loud\n", ":2: [daemon] log_level must be error, warn, info or debug, not 'loud'" },
	{ "[daemon]\nthread = 4\n", ":2: unknown key 'thread' in [daemon]" },
	{ "[nosuch]\nx = 1\n", ":2: unknown key 'x' in [nosuch]" },
	{ "[database]\npool_size = 100000\n", ":2: [database] pool_size must be an integer from 1 to 512, not '100000'" },
	{ "garbage line\n", ":1: syntax error" },
};

START_TEST(test_bad_values_name_file_line)
{
	char err[512], want[512];
	struct config *c = load_with(bad[_i].extra, err, sizeof(err));

	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s/jpkid.conf%s", dir, bad[_i].want);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_missing_required_key)
{
	char path[256], err[512], want[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/min.conf", dir);
	f = fopen(path, "w");
	fputs("[api]\nlisten = 127.0.0.1:1\n", f);
	fclose(f);
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: [api] tls_cert is required", path);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A later value replaces an earlier one, so the bad listen goes last. */
START_TEST(test_bad_listen)
{
	char path[256], err[512], want[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/listen.conf", dir);
	f = fopen(path, "w");
	fputs(base, f);
	fputs("[status]\nlisten = localhost\n", f);
	fclose(f);
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
	    "%s: [status] listen must be host:port, [v6]:port or systemd, not 'localhost'", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_missing_file)
{
	char err[512];

	ck_assert_ptr_null(config_load("/nonexistent/jpkid.conf", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/jpkid.conf: No such file or directory");
}
END_TEST

START_TEST(test_split_listen)
{
	char host[64];
	int port;

	ck_assert_int_eq(config_split_listen("127.0.0.1:8443", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_int_eq(port, 8443);
	ck_assert_int_eq(config_split_listen("[::1]:80", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(port, 80);
	ck_assert_int_eq(config_split_listen(":0", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "");
	ck_assert_int_eq(port, 0);
	ck_assert_int_eq(config_split_listen("host:65536", host, sizeof(host), &port), -1);
	ck_assert_int_eq(config_split_listen("[::1]8443", host, sizeof(host), &port), -1);
	ck_assert_int_eq(config_split_listen("noport", host, sizeof(host), &port), -1);
}
END_TEST

/* The shipped example documents every key and must itself load. */
START_TEST(test_example_file_loads)
{
	const char *src = getenv("top_srcdir");
	char path[512], err[512];
	struct config *c;

	snprintf(path, sizeof(path), "%s/deploy/jpkid.conf.example", src ? src : ".");
	c = config_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->api_listen, "127.0.0.1:8443");
	ck_assert_str_eq(c->status_listen, "127.0.0.1:8080");
	ck_assert_str_eq(c->ca_sign.cert, "/etc/jpkid/sign-ca.crt");
	config_free(c);
}
END_TEST

/* ---- pin resets ---- */
/* R16a [pinreset]: optional; TTL defaults 300/120 s and their ranges; cert and key together. */
START_TEST(test_pinreset_defaults_and_ranges)
{
	char err[512], want[512];
	struct config *c = load_with("", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(c->pinreset.cert);
	ck_assert_ptr_null(c->pinreset.key);
	ck_assert_int_eq(c->pinreset_authorization_ttl_s, 300);
	ck_assert_int_eq(c->pinreset_challenge_ttl_s, 120);
	config_free(c);
	c = load_with("[pinreset]\ncert = pinreset.crt\nkey = pinreset.key\n"
	    "authorization_ttl = 60\nchallenge_ttl = 30\n", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	snprintf(want, sizeof(want), "%s/pinreset.crt", dir);
	ck_assert_str_eq(c->pinreset.cert, want);
	ck_assert_int_eq(c->pinreset_authorization_ttl_s, 60);
	ck_assert_int_eq(c->pinreset_challenge_ttl_s, 30);
	config_free(c);
	ck_assert_ptr_null(load_with("[pinreset]\nauthorization_ttl = 29\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "jpkid.conf:2: [pinreset] authorization_ttl must be an integer "
	    "from 30 to 3600, not '29'") != NULL, "%s", err);
	ck_assert_ptr_null(load_with("[pinreset]\nchallenge_ttl = 601\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "[pinreset] challenge_ttl must be an integer from 10 to 600")
	    != NULL, "%s", err);
	ck_assert_ptr_null(load_with("[pinreset]\ncert = pinreset.crt\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "[pinreset] key is required") != NULL, "%s", err);
}
END_TEST
/* ---- end pin resets ---- */

/* ---- network (issue 13) ---- */
/* Head deadline, body rate and per-listener limits: defaults sized for the status listener. */
START_TEST(test_network_defaults)
{
	char err[512];
	struct config *c = load_with("", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->head_timeout_s, 10);
	ck_assert_int_eq(c->min_body_rate, 1024);
	ck_assert_int_eq(c->body_rate_window_s, 10);
	ck_assert_int_eq(c->connection_limit, 512);
	ck_assert_int_eq(c->per_ip_connection_limit, 64);
	ck_assert_int_eq(c->status_connection_limit, 4096);
	ck_assert_int_eq(c->status_per_ip_connection_limit, 256);
	ck_assert_int_eq(c->console_connection_limit, 128);
	ck_assert_int_eq(c->console_per_ip_connection_limit, 32);
	config_free(c);
}
END_TEST

START_TEST(test_network_values_and_ranges)
{
	char err[512];
	struct config *c = load_with("[api]\nhead_timeout = 3\nmin_body_rate = 0\n"
	    "body_rate_window = 2\nconnection_limit = 100\nper_ip_connection_limit = 0\n"
	    "[status]\nconnection_limit = 20000\nper_ip_connection_limit = 1000\n"
	    "[console]\nconnection_limit = 16\nper_ip_connection_limit = 4\n", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->head_timeout_s, 3);
	ck_assert_int_eq(c->min_body_rate, 0);
	ck_assert_int_eq(c->body_rate_window_s, 2);
	ck_assert_int_eq(c->connection_limit, 100);
	ck_assert_int_eq(c->per_ip_connection_limit, 0);
	ck_assert_int_eq(c->status_connection_limit, 20000);
	ck_assert_int_eq(c->status_per_ip_connection_limit, 1000);
	ck_assert_int_eq(c->console_connection_limit, 16);
	ck_assert_int_eq(c->console_per_ip_connection_limit, 4);
	config_free(c);
	ck_assert_ptr_null(load_with("[api]\nhead_timeout = -1\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "jpkid.conf:2: [api] head_timeout must be an integer "
	    "from 0 to 3600, not '-1'") != NULL, "%s", err);
	ck_assert_ptr_null(load_with("[api]\nbody_rate_window = 0\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "[api] body_rate_window must be an integer from 1 to 3600")
	    != NULL, "%s", err);
	ck_assert_ptr_null(load_with("[status]\nconnection_limit = 0\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "[status] connection_limit must be an integer from 1 to 100000")
	    != NULL, "%s", err);
	ck_assert_ptr_null(load_with("[console]\nper_ip_connection_limit = x\n", err, sizeof(err)));
	ck_assert_msg(strstr(err, "[console] per_ip_connection_limit must be an integer")
	    != NULL, "%s", err);
}
END_TEST
/* ---- end network ---- */

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	int rc;

	if (mkdtemp(dir) == NULL)
		return 99;
	tcase_add_test(tc, test_defaults_and_relative_paths);
	tcase_add_test(tc, test_values_set);
	tcase_add_test(tc, test_issuance_defaults);
	tcase_add_test(tc, test_issuance_values_and_refusals);
	tcase_add_test(tc, test_status_defaults);
	tcase_add_test(tc, test_r26_crl_window_refusals);
	tcase_add_loop_test(tc, test_bad_values_name_file_line, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_missing_required_key);
	tcase_add_test(tc, test_bad_listen);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_split_listen);
	tcase_add_test(tc, test_example_file_loads);
	tcase_add_test(tc, test_pinreset_defaults_and_ranges);	/* pin resets */
	tcase_add_test(tc, test_network_defaults);	/* network */
	tcase_add_test(tc, test_network_values_and_ranges);
	suite_add_tcase(s, tc);
	rc = testlib_run(s);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			rc = 99;
	}
	return rc;
}
