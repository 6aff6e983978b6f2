/* Shared helpers for the Check unit suites. */
#ifndef JPKI_TESTLIB_H
#define JPKI_TESTLIB_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <check.h>

/* automake: a test exiting 77 is reported as SKIP. */
#define TEST_SKIP 77

/* Conninfo of a throwaway database, or NULL (then DB suites skip). */
static inline const char *
testlib_db(void)
{
	const char *s = getenv("JPKID_TEST_DB");
	return (s != NULL && *s != '\0') ? s : NULL;
}

/* Run one suite; returns the process exit status (0 = all passed). */
static inline int
testlib_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline int
testlib_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf dir (a suite's mkdtemp directory); nothing when dir is empty. */
static inline void
testlib_rm_tree(const char *dir)
{
	if (dir != NULL && dir[0] != '\0')
		nftw(dir, testlib_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
