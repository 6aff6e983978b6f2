/*
 * dashboard/static: load the dashboard's files into memory at start and
 * serve them on the console listener.
 *
 * The page (GET /dashboard/) is index.html with its asset base replaced by
 * /dashboard/a/<set id>/, revalidated on every load (no-cache). Everything
 * else is served under that versioned prefix, immutable for a year: a new
 * set of files (another install) has another id, so browsers never mix
 * old and new files. Paths are looked up in the sorted in-memory table
 * only; "..", "%2e%2e" or anything else that is not a loaded path is 404.
 */
#include <config.h>

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "api/api.h"
#include "api/dashboard/static.h"
#include "common/util.h"

static const struct {
	const char	*ext;
	const char	*ctype;
} ctypes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".json", "application/json" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

const char *
dashboard_content_type(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t i;

	base = base != NULL ? base + 1 : path;
	if ((dot = strrchr(base, '.')) != NULL)
		for (i = 0; i < sizeof(ctypes) / sizeof(ctypes[0]); i++)
			if (strcmp(dot, ctypes[i].ext) == 0)
				return ctypes[i].ctype;
	return "application/octet-stream";
}

static void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		abort();
	util_hex(md, 32, out);
}

void
dashboard_free(struct dashboard *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nfiles; i++) {
		free(d->files[i].path);
		free(d->files[i].data);
	}
	free(d->files);
	free(d);
}

/*
 * Read the regular file path, at most DASHBOARD_MAX_FILE bytes, into a
 * malloc'd buffer. 0, or -1 with err set.
 */
static int
read_file(const char *path, char **out, size_t *lenp, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > DASHBOARD_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, DASHBOARD_MAX_FILE);
		goto out;
	}
	/* One byte more than allowed: a file that grew since fstat is seen. */
	if ((buf = malloc((size_t)DASHBOARD_MAX_FILE + 1)) == NULL)
		abort();
	while ((n = read(fd, buf + len, (size_t)DASHBOARD_MAX_FILE + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (len > DASHBOARD_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, DASHBOARD_MAX_FILE);
		goto out;
	}
	if ((*out = realloc(buf, len > 0 ? len : 1)) == NULL)
		abort();
	buf = NULL;
	*lenp = len;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Add one file as rel (owned by the set from here on). 0, or -1 with err. */
static int
add_file(struct dashboard *d, size_t *cap, const char *rel, char *data, size_t len,
    char *err, size_t errlen)
{
	struct dashboard_file *f, *nf;

	if (d->nfiles >= DASHBOARD_MAX_FILES) {
		snprintf(err, errlen, "more than %d files", DASHBOARD_MAX_FILES);
		free(data);
		return -1;
	}
	if (d->nfiles == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		if ((nf = reallocarray(d->files, *cap, sizeof(*nf))) == NULL)
			abort();
		d->files = nf;
	}
	f = &d->files[d->nfiles++];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(rel)) == NULL)
		abort();
	f->data = data;
	f->len = len;
	f->ctype = dashboard_content_type(rel);
	sha256_hex(data, len, f->hash);
	return 0;
}

/*
 * Every regular file under root/rel ("" at the top), dotfiles and dot
 * folders skipped. stat() follows symbolic links; the depth limit ends a
 * loop of them.
 */
static int
walk(struct dashboard *d, size_t *cap, const char *root, const char *rel, int depth,
    char *err, size_t errlen)
{
	char full[4096], sub[4096], *data;
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *dir;
	int rc = -1;

	if (depth > DASHBOARD_MAX_DEPTH) {
		snprintf(err, errlen, "%s/%s: more than %d folders deep", root, rel,
		    DASHBOARD_MAX_DEPTH);
		return -1;
	}
	snprintf(full, sizeof(full), "%s%s%s", root, rel[0] ? "/" : "", rel);
	if ((dir = opendir(full)) == NULL) {
		snprintf(err, errlen, "%s: %s", full, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
		    de->d_name) >= sizeof(sub) ||
		    (size_t)snprintf(full, sizeof(full), "%s/%s", root, sub) >= sizeof(full)) {
			snprintf(err, errlen, "%s/%s: path too long", root, rel);
			goto out;
		}
		if (stat(full, &st) != 0) {
			snprintf(err, errlen, "%s: %s", full, strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (walk(d, cap, root, sub, depth + 1, err, errlen) != 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			if (read_file(full, &data, &len, err, errlen) != 0 ||
			    add_file(d, cap, sub, data, len, err, errlen) != 0)
				goto out;
		}
	}
	rc = 0;
out:
	closedir(dir);
	return rc;
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dashboard_file *)a)->path,
	    ((const struct dashboard_file *)b)->path);
}

/* The set id over the sorted files (static.h). */
static void
set_id(struct dashboard *d)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[65];
	EVP_MD_CTX *ctx;
	size_t i;

	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	for (i = 0; i < d->nfiles; i++)
		if (EVP_DigestUpdate(ctx, d->files[i].path, strlen(d->files[i].path) + 1) != 1 ||
		    EVP_DigestUpdate(ctx, d->files[i].hash, 64) != 1 ||
		    EVP_DigestUpdate(ctx, "\n", 1) != 1)
			abort();
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		abort();
	EVP_MD_CTX_free(ctx);
	util_hex(md, 32, hex);
	memcpy(d->id, hex, 16);
	d->id[16] = '\0';
}

/* Replace every DASHBOARD_ASSET_BASE in f by base; rehash. */
static void
substitute(struct dashboard_file *f, const char *base)
{
	const size_t pl = strlen(DASHBOARD_ASSET_BASE), bl = strlen(base);
	const char *p, *s, *end = f->data + f->len;
	char *out, *o;
	size_t n = 0;

	for (p = f->data; (s = memmem(p, (size_t)(end - p), DASHBOARD_ASSET_BASE, pl)) != NULL;
	    p = s + pl)
		n++;
	if (n == 0)
		return;
	if ((out = malloc(f->len - n * pl + n * bl)) == NULL)
		abort();
	o = out;
	for (p = f->data; (s = memmem(p, (size_t)(end - p), DASHBOARD_ASSET_BASE, pl)) != NULL;
	    p = s + pl) {
		memcpy(o, p, (size_t)(s - p));
		o += s - p;
		memcpy(o, base, bl);
		o += bl;
	}
	memcpy(o, p, (size_t)(end - p));
	o += end - p;
	free(f->data);
	f->data = out;
	f->len = (size_t)(o - out);
	sha256_hex(f->data, f->len, f->hash);
}

struct dashboard *
dashboard_load(const char *dir, const char *chartjs, int *missing, int *chartjs_missing,
    char *err, size_t errlen)
{
	struct dashboard *d;
	struct dashboard_file *f;
	struct stat st;
	char base[64], *data;
	size_t cap = 0, len, i;

	*missing = 0;
	*chartjs_missing = 0;
	if (stat(dir, &st) != 0) {
		*missing = errno == ENOENT || errno == ENOTDIR;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		abort();
	if (walk(d, &cap, dir, "", 0, err, errlen) != 0)
		goto fail;
	if (chartjs != NULL && chartjs[0] != '\0') {
		char cerr[512];

		if (read_file(chartjs, &data, &len, cerr, sizeof(cerr)) != 0) {
			if (stat(chartjs, &st) == 0) {	/* there, but unreadable or too big */
				snprintf(err, errlen, "%s", cerr);
				goto fail;
			}
			*chartjs_missing = 1;
		} else {
			/* The configured file wins over one of that name in dir. */
			for (i = 0; i < d->nfiles; i++)
				if (strcmp(d->files[i].path, DASHBOARD_CHARTJS_PATH) == 0) {
					free(d->files[i].path);
					free(d->files[i].data);
					d->files[i] = d->files[--d->nfiles];
					break;
				}
			if (add_file(d, &cap, DASHBOARD_CHARTJS_PATH, data, len, err, errlen) != 0)
				goto fail;
		}
	}
	if (d->nfiles > 0)
		qsort(d->files, d->nfiles, sizeof(d->files[0]), file_cmp);
	set_id(d);
	snprintf(base, sizeof(base), "%s%s/", DASHBOARD_ASSET_URL, d->id);
	for (i = 0; i < d->nfiles; i++) {
		f = &d->files[i];
		if (strcmp(f->path, "index.html") == 0) {
			substitute(f, base);
			d->index = f;
		}
	}
	return d;
fail:
	dashboard_free(d);
	return NULL;
}

const struct dashboard_file *
dashboard_lookup(const struct dashboard *d, const char *path)
{
	struct dashboard_file key;

	if (d == NULL || d->nfiles == 0)
		return NULL;
	key.path = (char *)path;
	return bsearch(&key, d->files, d->nfiles, sizeof(d->files[0]), file_cmp);
}

/* ---------------------------------------------------------------- handlers */

static void
not_installed(struct api_resp *resp)
{
	api_problem(resp, 404, "dashboard-not-installed", "Not Found", NULL, NULL,
	    "the dashboard files are not installed ([console] dashboard_dir)");
}

static void
redirect(struct api_resp *resp, int status)
{
	api_text(resp, status, NULL, NULL, 0);
	api_add_header(resp, "Location", "%s", DASHBOARD_URL);
}

void
api_dashboard_root(struct api_req *req, struct api_resp *resp)
{
	(void)req;
	redirect(resp, 302);
}

void
api_dashboard_slash(struct api_req *req, struct api_resp *resp)
{
	(void)req;
	redirect(resp, 301);
}

/* f with its strong ETag (32 hex of its hash), or 304 for If-None-Match. */
static void
serve(struct api_req *req, struct api_resp *resp, const struct dashboard_file *f,
    const char *cache_control)
{
	const char *inm = req->header(req->hctx, "If-None-Match");
	char etag[40], *body;

	snprintf(etag, sizeof(etag), "\"%.32s\"", f->hash);
	if (inm != NULL && api_etag_match(inm, etag)) {
		api_text(resp, 304, NULL, NULL, 0);
	} else {
		if ((body = malloc(f->len > 0 ? f->len : 1)) == NULL)
			abort();
		memcpy(body, f->data, f->len);
		api_text(resp, 200, f->ctype, body, f->len);
	}
	api_add_header(resp, "ETag", "%s", etag);
	api_add_header(resp, "Cache-Control", "%s", cache_control);
}

void
api_dashboard_index(struct api_req *req, struct api_resp *resp)
{
	const struct dashboard *d = req->app->dashboard;

	if (d == NULL || d->index == NULL) {
		not_installed(resp);
		return;
	}
	serve(req, resp, d->index, "no-cache");
}

void
api_dashboard_asset(struct api_req *req, struct api_resp *resp)
{
	const struct dashboard *d = req->app->dashboard;
	const struct dashboard_file *f;
	const char *path;

	if (d == NULL) {
		not_installed(resp);
		return;
	}
	/* The pattern is /dashboard/a/{id}/{path*}: the rest follows "<id>/". */
	path = req->path + strlen(DASHBOARD_ASSET_URL) + strlen(req->params[0]) + 1;
	if (strcmp(req->params[0], d->id) != 0) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no dashboard file set %s (the current one is %s)", req->params[0], d->id);
		return;
	}
	if ((f = dashboard_lookup(d, path)) == NULL) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no such dashboard file");
		return;
	}
	serve(req, resp, f, "public, max-age=31536000, immutable");
}
