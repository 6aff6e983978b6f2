/*
 * issuance_client: the load generator of tests/bench/issuance.sh.
 *
 * Each thread keeps one curl easy handle (one keep-alive TLS connection with
 * the terminal's client certificate) and loops over its own residents:
 *
 *	POST /v1/applications			-> 201 {"id": ...}
 *	POST /v1/applications/{id}/certificates	-> 201 (committed certificate)
 *
 * Residents are dealt round-robin to the threads, so no two threads ever
 * work for the same resident. A few warm-up issuances per thread run before
 * the timed window (a barrier lines the threads up); the window closes after
 * --seconds, requests in flight then are finished and counted, and the wall
 * time runs until the last thread is done.
 *
 * Every issuance takes the next CSR of the pool (--csrs: one base64 DER CSR
 * a line, each of its own key): since issue 13 a key is certified once
 * (R22, 409 key-in-use), so no CSR is sent twice. When the pool runs out the
 * threads stop early; the rate is still issued / elapsed, and a line says so.
 *
 * usage: issuance_client --url URL --cacert FILE --cert FILE --key FILE
 *	      --csrs FILE --residents FILE [--threads N] [--seconds S]
 *	      [--warmup N] [--serials FILE] [--at-once]
 *	  issuance_client --get PATH --url URL --cacert FILE --cert FILE --key FILE
 *	      [--threads N] [--seconds S] [--warmup N]
 *
 * --at-once: one POST /v1/applications with "certificates" per issuance
 * (the application and its certificate in one transaction, issue 15)
 * instead of the two POSTs; its latency counts as the certificate POST's.
 *
 * --get PATH: no issuance; each thread sends GET PATH (e.g. /v1/whoami) on
 * its connection for the window, and the client prints
 *	get PATH: N answers 200 in T s = X/s (errors: none | ...)
 *	latency (GET): p50 A ms, p99 B ms
 *	client CPU ...
 * the fixed cost of one API call (TLS record, client certificate, principal,
 * routing, JSON, log line) for the bench's floor figure.
 *
 * Prints (stdout):
 *	issuance: N certificates in T s = X/s (errors: none | ...)
 *	latency (certificate POST): p50 A ms, p99 B ms (application POST: p50 C ms, p99 D ms)
 *	latency (issuance, both POSTs): p50 E ms, p99 F ms
 *	issued_total: M (warm-up included), connections: K, threads: N, client CPU ...
 *	keys: U of P used[; the pool ran out after S s]
 * --serials FILE: every serial of a 201, one a line (warm-up included), for a
 * check against the database. Exit 0 when the run had no error, 1 otherwise.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <curl/curl.h>

#define MAX_STATUS	600	/* 0: transport failure (curl), else HTTP status */

struct buf {
	char	*p;
	size_t	 len, cap;
};

struct lat {
	double	*v;
	size_t	 n, cap;
};

struct opts {
	const char	*url, *cacert, *cert, *key, *csrs, *residents, *serials, *get;
	int		 threads, seconds, warmup, at_once;
};

struct shared {
	const struct opts	*o;
	char			**csrs;		/* base64 DER, one per key */
	size_t			 ncsrs;
	size_t			 next_csr;	/* atomic */
	int			 exhausted;	/* atomic: the pool ran out */
	double			 exhausted_at;	/* seconds into the window */
	double			 t0;
	char			**residents;
	size_t			 nresidents;
	pthread_barrier_t	 ready;		/* warm-up done */
	pthread_barrier_t	 go;		/* start time taken */
	struct timespec		 deadline;
	pthread_mutex_t		 serials_mu;
	FILE			*serials;
};

struct worker {
	struct shared	*sh;
	pthread_t	 tid;
	int		 index;
	int		 failed_setup;
	/* timed window */
	unsigned long	 issued;
	unsigned long	 app_err[MAX_STATUS], cert_err[MAX_STATUS];
	struct lat	 cert_lat, app_lat, both_lat;
	/* everything, warm-up included */
	unsigned long	 issued_total;
	long		 connects;
	char		 curl_error[CURL_ERROR_SIZE];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
buf_add(struct buf *b, const void *p, size_t n)
{
	char *np;
	size_t ncap;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 8192 : b->cap;
		while (b->len + n + 1 > ncap)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * nmemb) != 0)
		return 0;	/* curl reports CURLE_WRITE_ERROR */
	return size * nmemb;
}

static int
lat_add(struct lat *l, double v)
{
	double *nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 1024 : l->cap * 2;
		if ((nv = realloc(l->v, ncap * sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = v;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array; 0 when empty. */
static double
percentile(const double *v, size_t n, double pct)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(pct / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static int
read_file(const char *path, struct buf *b)
{
	FILE *f;
	char chunk[4096];
	size_t n;
	int rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "issuance_client: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) != 0) {
			rc = -1;
			break;
		}
	if (ferror(f)) {
		fprintf(stderr, "issuance_client: %s: read error\n", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* A resident code: 11 digits. */
static int
is_resident(const char *line)
{
	size_t i;

	for (i = 0; line[i] >= '0' && line[i] <= '9'; i++)
		continue;
	return line[i] == '\0' && i == 11;
}

/* A base64 CSR (tests/bench/issuance.sh's key pool). */
static int
is_base64(const char *line)
{
	for (; *line != '\0'; line++)
		if (!((*line >= 'A' && *line <= 'Z') || (*line >= 'a' && *line <= 'z') ||
		    (*line >= '0' && *line <= '9') || *line == '+' || *line == '/' || *line == '='))
			return 0;
	return 1;
}

/*
 * The lines of path, blanks trimmed, blank lines and #comments skipped;
 * every other line must pass ok (what names it in the error).
 */
static int
read_lines(const char *path, int (*ok)(const char *), const char *what, char ***out,
    size_t *nout)
{
	struct buf b = { 0 };
	char **v = NULL, **nv, *line, *save = NULL, *end;
	size_t n = 0, i;

	if (read_file(path, &b) != 0) {
		free(b.p);
		return -1;
	}
	for (line = b.p == NULL ? NULL : strtok_r(b.p, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (!ok(line)) {
			fprintf(stderr, "issuance_client: %s: not %s: %.40s\n", path, what, line);
			goto fail;
		}
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL)
			goto fail;
		v = nv;
		if ((v[n] = strdup(line)) == NULL)
			goto fail;
		n++;
	}
	free(b.p);
	*out = v;
	*nout = n;
	return 0;
fail:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(b.p);
	return -1;
}

/*
 * The string value of the top-level member KEY of a JSON object, copied
 * into out (no unescaping: ids and serials are plain). -1 when absent.
 */
static int
json_top_string(const char *s, const char *key, char *out, size_t outcap)
{
	size_t klen = strlen(key), n;
	const char *p = s, *start;
	int depth = 0, expect_key = 0;

	for (; *p != '\0'; p++) {
		switch (*p) {
		case '{':
			depth++;
			expect_key = depth == 1;
			break;
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ',':
			expect_key = depth == 1;
			break;
		case '"':
			start = ++p;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				p++;
			}
			if (*p == '\0')
				return -1;
			if (!(expect_key && depth == 1 && (size_t)(p - start) == klen &&
			    memcmp(start, key, klen) == 0)) {
				expect_key = 0;
				break;
			}
			p++;
			while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ':')
				p++;
			if (*p != '"')
				return -1;
			start = ++p;
			while (*p != '\0' && *p != '"' && *p != '\\')
				p++;
			if (*p != '"' || (n = (size_t)(p - start)) + 1 > outcap)
				return -1;
			memcpy(out, start, n);
			out[n] = '\0';
			return 0;
		default:
			break;
		}
	}
	return -1;
}

/* POST url body on the worker's handle: HTTP status, 0 on transport failure. */
static long
post(struct worker *w, CURL *c, const char *url, const char *body, struct buf *resp,
    double *seconds)
{
	CURLcode rc;
	long status = 0, connects = 0;
	double t0;

	resp->len = 0;
	if (resp->p != NULL)
		resp->p[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	t0 = now_s();
	rc = curl_easy_perform(c);
	*seconds = now_s() - t0;
	if (rc != CURLE_OK) {
		if (w->curl_error[0] == '\0')
			snprintf(w->curl_error, sizeof(w->curl_error), "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
	w->connects += connects;
	if (status < 0 || status >= MAX_STATUS)
		status = 0;
	return status;
}

/*
 * One issuance for resident code: 1 when a certificate was issued, 0 on an
 * error (counted when timed), -1 when the key pool is used up (nothing sent).
 */
/* The first "serial":"..." of a JSON text (the at-once 201 has one per certificate). */
static int
json_first_serial(const char *s, char *out, size_t outcap)
{
	const char *p = s == NULL ? NULL : strstr(s, "\"serial\":\""), *e;

	if (p == NULL)
		return -1;
	p += strlen("\"serial\":\"");
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) + 1 > outcap)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* --at-once: the application and its AUTH certificate in one POST. */
static int
issue_at_once(struct worker *w, CURL *c, const char *code, const char *csr, struct buf *resp,
    int timed)
{
	char url[1024], serial[128];
	char *body;
	size_t n = strlen(csr) + 512;
	long status;
	double secs;

	snprintf(url, sizeof(url), "%s/v1/applications", w->sh->o->url);
	if ((body = malloc(n)) == NULL)
		return 0;
	snprintf(body, n,
	    "{\"resident_code\":\"%s\",\"procedure\":\"issue\",\"types\":[\"auth\"],"
	    "\"applicant\":{\"kind\":\"self\"},"
	    "\"evidence\":{\"documents\":[{\"kind\":\"mynumber_card\",\"holder\":\"resident\"}]},"
	    "\"certificates\":[{\"type\":\"auth\",\"csr\":\"%s\"}]}", code, csr);
	status = post(w, c, url, body, resp, &secs);
	free(body);
	if (status != 201 || json_first_serial(resp->p, serial, sizeof(serial)) != 0) {
		if (timed)
			w->cert_err[status == 201 ? 0 : status]++;
		if (w->curl_error[0] == '\0' && status != 0)
			snprintf(w->curl_error, sizeof(w->curl_error),
			    "POST /v1/applications (at once) %ld: %.300s", status,
			    resp->p == NULL ? "" : resp->p);
		return 0;
	}
	if (timed) {
		lat_add(&w->cert_lat, secs);
		lat_add(&w->both_lat, secs);
		w->issued++;
	}
	w->issued_total++;
	if (w->sh->serials != NULL) {
		pthread_mutex_lock(&w->sh->serials_mu);
		fprintf(w->sh->serials, "%s\n", serial);
		pthread_mutex_unlock(&w->sh->serials_mu);
	}
	return 1;
}

static int
issue_one(struct worker *w, CURL *c, const char *code, struct buf *resp, int timed)
{
	const struct opts *o = w->sh->o;
	char url[1024], id[128], serial[128], body[512];
	char *certbody;
	long status;
	double secs, both;
	size_t n, k;
	const char *csr;

	k = __atomic_fetch_add(&w->sh->next_csr, 1, __ATOMIC_RELAXED);
	if (k >= w->sh->ncsrs) {
		if (__atomic_exchange_n(&w->sh->exhausted, 1, __ATOMIC_RELAXED) == 0)
			w->sh->exhausted_at = now_s() - w->sh->t0;
		return -1;
	}
	csr = w->sh->csrs[k];
	if (o->at_once)
		return issue_at_once(w, c, code, csr, resp, timed);
	snprintf(url, sizeof(url), "%s/v1/applications", o->url);
	snprintf(body, sizeof(body),
	    "{\"resident_code\":\"%s\",\"procedure\":\"issue\",\"types\":[\"auth\"],"
	    "\"applicant\":{\"kind\":\"self\"},"
	    "\"evidence\":{\"documents\":[{\"kind\":\"mynumber_card\",\"holder\":\"resident\"}]}}",
	    code);
	status = post(w, c, url, body, resp, &secs);
	both = secs;
	if (timed)
		lat_add(&w->app_lat, secs);
	if (status != 201 || json_top_string(resp->p, "id", id, sizeof(id)) != 0) {
		if (timed)
			w->app_err[status == 201 ? 0 : status]++;
		if (w->curl_error[0] == '\0' && status != 0)
			snprintf(w->curl_error, sizeof(w->curl_error),
			    "POST /v1/applications %ld: %.300s", status,
			    resp->p == NULL ? "" : resp->p);
		return 0;
	}

	snprintf(url, sizeof(url), "%s/v1/applications/%s/certificates", o->url, id);
	n = strlen(csr) + 64;
	if ((certbody = malloc(n)) == NULL)
		return 0;
	snprintf(certbody, n, "{\"type\":\"auth\",\"csr\":\"%s\"}", csr);
	status = post(w, c, url, certbody, resp, &secs);
	free(certbody);
	if (status != 201 || json_top_string(resp->p, "serial", serial, sizeof(serial)) != 0) {
		if (timed)
			w->cert_err[status == 201 ? 0 : status]++;
		if (w->curl_error[0] == '\0' && status != 0)
			snprintf(w->curl_error, sizeof(w->curl_error),
			    "POST /v1/applications/%s/certificates %ld: %.300s", id, status,
			    resp->p == NULL ? "" : resp->p);
		return 0;
	}
	if (timed) {
		lat_add(&w->cert_lat, secs);
		lat_add(&w->both_lat, both + secs);
		w->issued++;
	}
	w->issued_total++;
	if (w->sh->serials != NULL) {
		pthread_mutex_lock(&w->sh->serials_mu);
		fprintf(w->sh->serials, "%s\n", serial);
		pthread_mutex_unlock(&w->sh->serials_mu);
	}
	return 1;
}

/* --get: one GET of the path; 1 on 200, 0 on an error (counted when timed). */
static int
get_one(struct worker *w, CURL *c, struct buf *resp, int timed)
{
	char url[1024];
	CURLcode rc;
	long status = 0, connects = 0;
	double t0;

	resp->len = 0;
	snprintf(url, sizeof(url), "%s%s", w->sh->o->url, w->sh->o->get);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	t0 = now_s();
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		w->connects += connects;
	} else if (w->curl_error[0] == '\0') {
		snprintf(w->curl_error, sizeof(w->curl_error), "%s", curl_easy_strerror(rc));
	}
	if (status < 0 || status >= MAX_STATUS)
		status = 0;
	if (status != 200) {
		if (timed)
			w->app_err[status]++;
		if (w->curl_error[0] == '\0' && status != 0)
			snprintf(w->curl_error, sizeof(w->curl_error), "GET %s %ld: %.300s",
			    w->sh->o->get, status, resp->p == NULL ? "" : resp->p);
		return 0;
	}
	if (timed) {
		lat_add(&w->app_lat, now_s() - t0);
		w->issued++;
	}
	w->issued_total++;
	return 1;
}

static int
past(const struct timespec *deadline)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec > deadline->tv_sec ||
	    (ts.tv_sec == deadline->tv_sec && ts.tv_nsec >= deadline->tv_nsec);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	const struct opts *o = sh->o;
	struct curl_slist *hdrs = NULL;
	struct buf resp = { 0 };
	CURL *c;
	size_t next = (size_t)w->index;
	int i;

	c = curl_easy_init();
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (c == NULL || hdrs == NULL) {
		w->failed_setup = 1;
	} else {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
		curl_easy_setopt(c, CURLOPT_SSLCERT, o->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, o->key);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, w->curl_error);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		w->curl_error[0] = '\0';
		/* Warm-up: the TLS handshake and the first requests, untimed. */
		for (i = 0; i < o->warmup; i++) {
			if ((o->get != NULL ? get_one(w, c, &resp, 0) :
			    issue_one(w, c, sh->residents[next], &resp, 0)) != 1)
				w->failed_setup = 1;
			next += (size_t)o->threads;
			if (next >= sh->nresidents)
				next = (size_t)w->index;
		}
	}
	pthread_barrier_wait(&sh->ready);
	pthread_barrier_wait(&sh->go);	/* main has taken the start time */
	if (c != NULL && hdrs != NULL && !w->failed_setup) {
		while (!past(&sh->deadline)) {
			if (o->get != NULL) {
				get_one(w, c, &resp, 1);
				continue;
			}
			if (issue_one(w, c, sh->residents[next], &resp, 1) < 0)
				break;	/* the key pool is used up */
			next += (size_t)o->threads;
			if (next >= sh->nresidents)
				next = (size_t)w->index;
		}
	}
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	free(resp.p);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: issuance_client --url URL --cacert FILE --cert FILE --key FILE\n"
	    "           --csrs FILE --residents FILE [--threads N] [--seconds S]\n"
	    "           [--warmup N] [--serials FILE] [--at-once]\n"
	    "       issuance_client --get PATH --url URL --cacert FILE --cert FILE --key FILE\n"
	    "           [--threads N] [--seconds S] [--warmup N]\n");
	exit(2);
}

static int
parse_int(const char *s, int min, int max, const char *name)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
		fprintf(stderr, "issuance_client: %s must be an integer in %d..%d\n", name, min, max);
		exit(2);
	}
	return (int)v;
}

/* "app 503x3, cert 500x2, transport x1" into out; "none" when no error. */
static void
format_errors(unsigned long app[MAX_STATUS], unsigned long cert[MAX_STATUS], char *out,
    size_t cap)
{
	size_t len = 0;
	int s, k;
	const char *what[2] = { "application", "certificate" };
	unsigned long *v;

	out[0] = '\0';
	for (k = 0; k < 2; k++) {
		v = k == 0 ? app : cert;
		for (s = 0; s < MAX_STATUS; s++) {
			if (v[s] == 0)
				continue;
			if (s == 0)
				len += (size_t)snprintf(out + len, len < cap ? cap - len : 0,
				    "%s%s transport/malformed x%lu", len ? ", " : "", what[k], v[s]);
			else
				len += (size_t)snprintf(out + len, len < cap ? cap - len : 0,
				    "%s%s %d x%lu", len ? ", " : "", what[k], s, v[s]);
		}
	}
	if (len == 0)
		snprintf(out, cap, "none");
}

int
main(int argc, char **argv)
{
	struct opts o = { .threads = 4, .seconds = 10, .warmup = 3 };
	struct shared sh;
	struct worker *w = NULL;
	unsigned long issued = 0, total = 0, app_err[MAX_STATUS] = { 0 },
	    cert_err[MAX_STATUS] = { 0 }, nerr = 0;
	struct lat cl = { 0 }, al = { 0 }, bl = { 0 };
	struct rusage ru;
	long connects = 0;
	double t0, elapsed;
	char errs[2048];
	int i, s, setup_failed = 0, started = 0, rc = 1;
	size_t k;

	memset(&sh, 0, sizeof(sh));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--at-once") == 0) {
			o.at_once = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--url") == 0)
			o.url = argv[++i];
		else if (strcmp(a, "--cacert") == 0)
			o.cacert = argv[++i];
		else if (strcmp(a, "--cert") == 0)
			o.cert = argv[++i];
		else if (strcmp(a, "--key") == 0)
			o.key = argv[++i];
		else if (strcmp(a, "--csrs") == 0)
			o.csrs = argv[++i];
		else if (strcmp(a, "--residents") == 0)
			o.residents = argv[++i];
		else if (strcmp(a, "--serials") == 0)
			o.serials = argv[++i];
		else if (strcmp(a, "--get") == 0)
			o.get = argv[++i];
		else if (strcmp(a, "--threads") == 0)
			o.threads = parse_int(argv[++i], 1, 1024, "--threads");
		else if (strcmp(a, "--seconds") == 0)
			o.seconds = parse_int(argv[++i], 1, 86400, "--seconds");
		else if (strcmp(a, "--warmup") == 0)
			o.warmup = parse_int(argv[++i], 0, 1000, "--warmup");
		else
			usage();
	}
	if (o.url == NULL || o.cacert == NULL || o.cert == NULL || o.key == NULL ||
	    (o.get == NULL && (o.csrs == NULL || o.residents == NULL)) ||
	    (o.get != NULL && (o.get[0] != '/' || o.csrs != NULL || o.residents != NULL ||
	    o.serials != NULL)))
		usage();
	sh.o = &o;
	if (o.get != NULL)
		goto load_done;

	if (read_lines(o.csrs, is_base64, "a base64 CSR", &sh.csrs, &sh.ncsrs) != 0)
		goto out;
	if (sh.ncsrs < (size_t)o.threads * (size_t)o.warmup + 1) {
		fprintf(stderr, "issuance_client: %zu CSRs: the warm-up alone needs %d\n",
		    sh.ncsrs, o.threads * o.warmup + 1);
		goto out;
	}
	if (read_lines(o.residents, is_resident, "a resident code", &sh.residents,
	    &sh.nresidents) != 0)
		goto out;
	if (sh.nresidents < (size_t)o.threads) {
		fprintf(stderr, "issuance_client: %zu residents for %d threads: need one at least"
		    " per thread\n", sh.nresidents, o.threads);
		goto out;
	}
	if (o.serials != NULL && (sh.serials = fopen(o.serials, "a")) == NULL) {
		fprintf(stderr, "issuance_client: %s: %s\n", o.serials, strerror(errno));
		goto out;
	}
load_done:
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "issuance_client: curl_global_init failed\n");
		goto out;
	}
	if ((w = calloc((size_t)o.threads, sizeof(*w))) == NULL)
		goto out_curl;
	pthread_mutex_init(&sh.serials_mu, NULL);
	pthread_barrier_init(&sh.ready, NULL, (unsigned)o.threads + 1);
	pthread_barrier_init(&sh.go, NULL, (unsigned)o.threads + 1);
	for (i = 0; i < o.threads; i++) {
		w[i].sh = &sh;
		w[i].index = i;
		if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "issuance_client: pthread_create failed\n");
			/* threads already started wait on the barrier forever: bail out */
			exit(1);
		}
		started++;
	}
	pthread_barrier_wait(&sh.ready);
	for (i = 0; i < o.threads; i++)
		setup_failed |= w[i].failed_setup;
	t0 = sh.t0 = now_s();
	clock_gettime(CLOCK_MONOTONIC, &sh.deadline);
	sh.deadline.tv_sec += o.seconds;
	pthread_barrier_wait(&sh.go);
	for (i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	elapsed = now_s() - t0;

	for (i = 0; i < o.threads; i++) {
		issued += w[i].issued;
		total += w[i].issued_total;
		connects += w[i].connects;
		for (s = 0; s < MAX_STATUS; s++) {
			app_err[s] += w[i].app_err[s];
			cert_err[s] += w[i].cert_err[s];
			nerr += w[i].app_err[s] + w[i].cert_err[s];
		}
		for (k = 0; k < w[i].cert_lat.n; k++)
			lat_add(&cl, w[i].cert_lat.v[k] * 1000.0);
		for (k = 0; k < w[i].app_lat.n; k++)
			lat_add(&al, w[i].app_lat.v[k] * 1000.0);
		for (k = 0; k < w[i].both_lat.n; k++)
			lat_add(&bl, w[i].both_lat.v[k] * 1000.0);
		if (w[i].curl_error[0] != '\0')
			fprintf(stderr, "issuance_client: thread %d: first error: %s\n", i,
			    w[i].curl_error);
	}
	if (setup_failed) {
		fprintf(stderr, "issuance_client: the warm-up failed; nothing measured\n");
		goto out_threads;
	}
	if (cl.n > 0)
		qsort(cl.v, cl.n, sizeof(*cl.v), cmp_double);
	if (al.n > 0)
		qsort(al.v, al.n, sizeof(*al.v), cmp_double);
	if (bl.n > 0)
		qsort(bl.v, bl.n, sizeof(*bl.v), cmp_double);
	format_errors(app_err, cert_err, errs, sizeof(errs));
	if (o.get != NULL) {
		getrusage(RUSAGE_SELF, &ru);
		printf("get %s: %lu answers 200 in %.2f s = %.1f/s (errors: %s)\n", o.get, issued,
		    elapsed, elapsed > 0 ? (double)issued / elapsed : 0.0, errs);
		printf("latency (GET): p50 %.2f ms, p99 %.2f ms\n", percentile(al.v, al.n, 50),
		    percentile(al.v, al.n, 99));
		printf("connections: %ld, threads: %d, client CPU %.2f s user + %.2f s system\n",
		    connects, o.threads, (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
		rc = nerr == 0 && issued > 0 ? 0 : 1;
		goto out_threads;
	}
	printf("issuance: %lu certificates in %.2f s = %.1f/s (errors: %s)\n", issued, elapsed,
	    elapsed > 0 ? (double)issued / elapsed : 0.0, errs);
	printf("latency (certificate POST): p50 %.1f ms, p99 %.1f ms"
	    " (application POST: p50 %.1f ms, p99 %.1f ms)\n",
	    percentile(cl.v, cl.n, 50), percentile(cl.v, cl.n, 99),
	    percentile(al.v, al.n, 50), percentile(al.v, al.n, 99));
	printf("latency (issuance, both POSTs): p50 %.1f ms, p99 %.1f ms\n",
	    percentile(bl.v, bl.n, 50), percentile(bl.v, bl.n, 99));
	getrusage(RUSAGE_SELF, &ru);
	printf("issued_total: %lu (warm-up included), connections: %ld, threads: %d,"
	    " client CPU %.2f s user + %.2f s system\n", total, connects, o.threads,
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	k = sh.next_csr < sh.ncsrs ? sh.next_csr : sh.ncsrs;
	if (sh.exhausted)
		printf("keys: %zu of %zu used; the pool ran out after %.1f s of the window\n",
		    k, sh.ncsrs, sh.exhausted_at);
	else
		printf("keys: %zu of %zu used\n", k, sh.ncsrs);
	rc = nerr == 0 && issued > 0 ? 0 : 1;

out_threads:
	for (i = 0; i < o.threads; i++) {
		free(w[i].cert_lat.v);
		free(w[i].app_lat.v);
		free(w[i].both_lat.v);
	}
	pthread_barrier_destroy(&sh.ready);
	pthread_barrier_destroy(&sh.go);
	pthread_mutex_destroy(&sh.serials_mu);
	free(cl.v);
	free(al.v);
	free(bl.v);
out_curl:
	free(w);
	curl_global_cleanup();
out:
	if (sh.serials != NULL && fclose(sh.serials) != 0) {
		fprintf(stderr, "issuance_client: %s: %s\n", o.serials, strerror(errno));
		rc = 1;
	}
	for (k = 0; k < sh.nresidents; k++)
		free(sh.residents[k]);
	free(sh.residents);
	for (k = 0; k < sh.ncsrs; k++)
		free(sh.csrs[k]);
	free(sh.csrs);
	return rc;
}
