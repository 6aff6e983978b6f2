/*
 * crl_bench: time the daemon's CRL publication path (api/status/crls.c
 * crl_publish_due: advisory lock, COPY BINARY of the shard's revocations,
 * ca/crl.c build, signature, INSERT INTO crls) against a prepared database.
 * Used by tests/bench/crl.sh.
 *
 * usage: crl_bench CONNINFO CADIR RUNS
 *
 * Each run pretends to be 25 hours after the previous one so every shard is
 * due again. Prints one line per run: "run N: M ms, K CRLs"; the daemon's
 * "CRL built" log line (stderr) splits each CRL into fetch+build, sign and
 * insert.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/status/crls.h"
#include "ca/keyring.h"
#include "common/log.h"
#include "db/store.h"

int
main(int argc, char **argv)
{
	struct app app;
	struct keyring_spec s[4];
	char paths[8][512], err[512];
	const char *names[4] = { "sign-ca", "auth-ca", "sign-ocsp", "auth-ocsp" };
	int i, runs, rc = 0;
	long published;
	struct timespec t0, t1;

	if (argc != 4 || (runs = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: crl_bench CONNINFO CADIR RUNS\n");
		return 2;
	}
	log_set_level(LOG_LVL_INFO);
	memset(&app, 0, sizeof(app));
	memset(s, 0, sizeof(s));
	for (i = 0; i < 4; i++) {
		snprintf(paths[2 * i], sizeof(paths[0]), "%s/%s.crt", argv[2], names[i]);
		snprintf(paths[2 * i + 1], sizeof(paths[0]), "%s/%s.key", argv[2], names[i]);
		s[i].cert = paths[2 * i];
		s[i].key = paths[2 * i + 1];
	}
	if (keyring_load(&s[0], &s[1], &s[2], &s[3], NULL, &app.keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "crl_bench: %s\n", err);
		return 1;
	}
	if ((app.store = store_open(argv[1], 1, 0)) == NULL)
		return 1;
	pthread_rwlock_init(&app.keys_lock, NULL);
	app.borrow_timeout_ms = 10000;
	app.status.crl_publish_hours = 24;
	app.status.crl_next_update_hours = 48;
	app.issuance.status_url = (char *)"http://127.0.0.1:8080";
	for (i = 0; i < runs; i++) {
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (crl_publish_due(&app, time(NULL) + (time_t)i * 25 * 3600, &published) != 0) {
			fprintf(stderr, "crl_bench: publication failed\n");
			rc = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		printf("run %d: %.0f ms, %ld CRLs\n", i + 1, ms, published);
		fflush(stdout);
	}
	store_close(app.store);
	keyring_free(app.keys);
	pthread_rwlock_destroy(&app.keys_lock);
	return rc;
}
