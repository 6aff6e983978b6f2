/*
 * test_dashboard: the dashboard file loader (api/dashboard/static.c): the
 * set id is stable for the same files and changes with any byte, content
 * types by extension, {{ASSET_BASE}} replaced in index.html, dotfiles
 * skipped, Chart.js as vendor/chart.js, and lookups that are not a loaded
 * path ("../x") fail.
 */
#include <config.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/dashboard/static.h"
#include "tests/unit/testlib.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static char dir[256], chart[300];

static void
put(const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
}

static void
setup(void)
{
	char path[512];

	snprintf(dir, sizeof(dir), "/tmp/test_dashboard.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/js", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/.git", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	put("index.html", "<link href=\"{{ASSET_BASE}}app.css\"><script src=\"{{ASSET_BASE}}js/app.js\">");
	put("app.css", "body { color: black }\n");
	put("js/app.js", "export const x = 1;\n");
	put(".hidden", "secret\n");
	put(".git/config", "secret\n");
	snprintf(chart, sizeof(chart), "%s.chart.js", dir);
	snprintf(path, sizeof(path), "%s", chart);
	{
		FILE *f;

		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs("/* chart */\n", f);
		fclose(f);
	}
}

static void
teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, chart);
	ck_assert_int_eq(system(cmd), 0);
}

static struct dashboard *
load(const char *cj)
{
	struct dashboard *d;
	char err[512];
	int missing, cmissing;

	d = dashboard_load(dir, cj, &missing, &cmissing, err, sizeof(err));
	ck_assert_msg(d != NULL, "load: %s", err);
	ck_assert_int_eq(missing, 0);
	return d;
}

START_TEST(test_dashboard_loads_files_skips_dotfiles)
{
	struct dashboard *d = load(chart);

	ck_assert_uint_eq(d->nfiles, 4);	/* app.css index.html js/app.js vendor/chart.js */
	ck_assert_str_eq(d->files[0].path, "app.css");
	ck_assert_str_eq(d->files[1].path, "index.html");
	ck_assert_str_eq(d->files[2].path, "js/app.js");
	ck_assert_str_eq(d->files[3].path, "vendor/chart.js");
	ck_assert_ptr_null(dashboard_lookup(d, ".hidden"));
	ck_assert_ptr_null(dashboard_lookup(d, ".git/config"));
	ck_assert_uint_eq(strlen(d->id), 16);
	ck_assert_uint_eq(strspn(d->id, "0123456789abcdef"), 16);
	ck_assert_uint_eq(dashboard_lookup(d, "vendor/chart.js")->len, 12);
	ck_assert(memcmp(dashboard_lookup(d, "vendor/chart.js")->data, "/* chart */\n", 12) == 0);
	dashboard_free(d);
}
END_TEST

START_TEST(test_dashboard_set_id_stable_and_changes_with_a_byte)
{
	struct dashboard *a = load(chart), *b = load(chart), *c, *e;
	char id[17];

	ck_assert_str_eq(a->id, b->id);
	memcpy(id, a->id, sizeof(id));
	put("js/app.js", "export const x = 2;\n");
	c = load(chart);
	ck_assert_str_ne(c->id, id);
	put("js/app.js", "export const x = 1;\n");
	e = load(chart);
	ck_assert_str_eq(e->id, id);
	dashboard_free(e);
	dashboard_free(c);
	dashboard_free(b);
	dashboard_free(a);
	/* Without Chart.js the set differs too. */
	a = load(NULL);
	ck_assert_str_ne(a->id, id);
	ck_assert_ptr_null(dashboard_lookup(a, "vendor/chart.js"));
	dashboard_free(a);
}
END_TEST

START_TEST(test_dashboard_asset_base_substituted)
{
	struct dashboard *d = load(chart);
	char want[256];

	snprintf(want, sizeof(want), "<link href=\"/dashboard/a/%s/app.css\">"
	    "<script src=\"/dashboard/a/%s/js/app.js\">", d->id, d->id);
	ck_assert_ptr_nonnull(d->index);
	ck_assert_uint_eq(d->index->len, strlen(want));
	ck_assert(memcmp(d->index->data, want, d->index->len) == 0);
	ck_assert_ptr_eq(dashboard_lookup(d, "index.html"), d->index);
	ck_assert_str_eq(d->index->ctype, "text/html; charset=utf-8");
	dashboard_free(d);
}
END_TEST

static const struct {
	const char	*path;
	const char	*ctype;
} ctype_rows[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "app.css", "text/css; charset=utf-8" },
	{ "js/app.js", "text/javascript; charset=utf-8" },
	{ "js/mod.mjs", "text/javascript; charset=utf-8" },
	{ "favicon.svg", "image/svg+xml" },
	{ "img/logo.png", "image/png" },
	{ "i18n/ja.json", "application/json" },
	{ "fonts/a.woff2", "font/woff2" },
	{ "LICENSE.txt", "text/plain; charset=utf-8" },
	{ "data.bin", "application/octet-stream" },
	{ "Makefile", "application/octet-stream" },
	{ "js.d/noext", "application/octet-stream" },
	{ "app.CSS", "application/octet-stream" },
};

START_TEST(test_dashboard_content_types)
{
	ck_assert_str_eq(dashboard_content_type(ctype_rows[_i].path), ctype_rows[_i].ctype);
}
END_TEST

static const char *const bad_paths[] = {
	"../x", "../index.html", "js/../app.css", "./app.css", "/app.css", "app.css/",
	"js//app.js", "", "js", "JS/app.js", "app.css\n",
};

START_TEST(test_dashboard_lookup_only_exact_paths)
{
	struct dashboard *d = load(chart);

	ck_assert_ptr_nonnull(dashboard_lookup(d, "app.css"));
	ck_assert_ptr_nonnull(dashboard_lookup(d, "js/app.js"));
	ck_assert_ptr_null(dashboard_lookup(d, bad_paths[_i]));
	dashboard_free(d);
}
END_TEST

START_TEST(test_dashboard_missing_dir_and_chartjs)
{
	struct dashboard *d;
	char err[512], path[512];
	int missing, cmissing;

	snprintf(path, sizeof(path), "%s/nothing-here", dir);
	d = dashboard_load(path, chart, &missing, &cmissing, err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_int_eq(missing, 1);
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
	d = dashboard_load(dir, path, &missing, &cmissing, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(cmissing, 1);
	ck_assert_ptr_null(dashboard_lookup(d, "vendor/chart.js"));
	dashboard_free(d);
	/* A file, not a folder: an error, not "not installed". */
	snprintf(path, sizeof(path), "%s/app.css", dir);
	d = dashboard_load(path, chart, &missing, &cmissing, err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_int_eq(missing, 0);
}
END_TEST

static Suite *
dashboard_suite(void)
{
	Suite *s = suite_create("dashboard");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dashboard_loads_files_skips_dotfiles);
	tcase_add_test(tc, test_dashboard_set_id_stable_and_changes_with_a_byte);
	tcase_add_test(tc, test_dashboard_asset_base_substituted);
	tcase_add_loop_test(tc, test_dashboard_content_types, 0, NROWS(ctype_rows));
	tcase_add_loop_test(tc, test_dashboard_lookup_only_exact_paths, 0, NROWS(bad_paths));
	tcase_add_test(tc, test_dashboard_missing_dir_and_chartjs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	return testlib_run(dashboard_suite());
}
